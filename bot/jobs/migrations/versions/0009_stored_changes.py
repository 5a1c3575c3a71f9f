"""#35: a bulk line holds one encoded `SlotChange` (bot.changes.codec's text, version 1), and
what is not part of the change has typed columns: the SKU, the product's name, the variation's
label, and a problem line's "did you mean" (the SKU, the slot, the file). A gallery's orders
(a card's reorder, and its undo) move from JSON lists in image_changes' URL columns to a table,
change_orders (a row an image); the URL columns then hold URLs only (NULL for a reorder).

Before, `bulk_lines.request` held one of three JSON dialects:
- an upload (bulk_plan.encode_line): product_id, kind, variation_id, url or file, width and
  height, alt and alt_translated, external_id, target, convert, name, variation, sku;
- an undo job's line (bulk_undo.undo_line): product_id, kind, variation_id, undo (the entry);
- a suggestion (bulk_plan.Suggested.replan), on a problem line: suggest, file, target.
An upload becomes its change (the target from product_id, kind and variation_id; the link or
the file; the size and whether to convert as known; the alt texts; the external id), with
`target` (main or gallery: what `kind` says already), and name, variation and sku into their
columns. The format `convert` named ("WEBP", "HEIF") was for the plan's message only: the
change knows that the link is converted. An undo line becomes the inverse of the entry it
undoes (as bot.changes.edits.inverse builds it), naming it (`undoes`). A suggestion goes to its
columns. Each change is the deployment's one store's (`store_id`, from JobStore.open: never
guessed, a database with lines to convert is refused without it), asked by whoever started
the job (else made it), in its channel; from a drop, an undo, or a bulk line.

A line whose request cannot be converted is left without one only where it never runs again
(a problem, or a line whose run is over: e.g. an undo line whose entry was pruned since);
a line still to run (pending, started, duplicate) stops the migration, naming it.

The codec's form is written here as it is at this revision (the migration must not change with
the code), and tests/integration/jobs/test_store_migration.py checks it against the codec.

The downgrade converts back: each change to its old dialect (`convert` as `true`: the older
bot only asks whether it is set), the suggestion's columns to its JSON, the orders to their
JSON lists.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CODEC_VERSION = 1
RUNNABLE = ("pending", "started", "duplicate")  # a line that may still run
EDITS = ("reordered", "removed", "alt")  # a gallery card's edits: undone from their entry


def _line_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("sku", sa.Text),
        sa.Column("product_name", sa.Text),
        sa.Column("variation_label", sa.Text),
        sa.Column("suggested_sku", sa.Text),
        sa.Column("suggested_target", sa.String(16)),
        sa.Column("suggested_file_id", sa.Text),
        sa.Column("suggested_file_name", sa.Text),
        sa.Column("suggested_file_mimetype", sa.Text),
        sa.Column("suggested_file_size", sa.BigInteger),
        sa.Column("suggested_file_url", sa.Text),
    ]


LINE_COLUMNS = _line_columns()

jobs = sa.table(
    "bulk_jobs",
    sa.column("id", sa.String),
    sa.column("user_id", sa.String),
    sa.column("channel_id", sa.String),
    sa.column("source", sa.String),
    sa.column("started_by", sa.String),
)
lines = sa.table(
    "bulk_lines",
    sa.column("job_id", sa.String),
    sa.column("number", sa.Integer),
    sa.column("request", sa.Text),
    sa.column("status", sa.String),
    *(sa.column(c.name, c.type) for c in LINE_COLUMNS),
)
changes = sa.table(
    "image_changes",
    sa.column("id", sa.String),
    sa.column("after_url", sa.Text),
    sa.column("product_id", sa.BigInteger),
    sa.column("variation_id", sa.BigInteger),
    sa.column("slot", sa.String),
    sa.column("action", sa.String),
    sa.column("before_url", sa.Text),
    sa.column("kept_file", sa.String),
    sa.column("kept_in_store", sa.Boolean),
    sa.column("alt_main", sa.Text),
    sa.column("alt_translated", sa.Text),
)


class StoreIdMissing(RuntimeError):
    """Lines to convert, and no store id to give their changes."""


class NotConverted(RuntimeError):
    """A line still to run whose stored request cannot be converted."""


def _store_id() -> int | None:
    store_id = context.config.attributes.get("store_id")
    return int(store_id) if store_id else None


SIDES = ("before", "after")
orders = sa.table(
    "change_orders",
    sa.column("change_id", sa.String),
    sa.column("side", sa.String),
    sa.column("position", sa.Integer),
    sa.column("url", sa.Text),
)


def upgrade() -> None:
    # Every line converted before the schema changes (SQLite's DDL is not in the transaction):
    # a refusal (no store id, a line still to run that cannot be converted) changes nothing.
    converted = _converted_lines()
    for column in _line_columns():
        op.add_column("bulk_lines", column)
    op.create_table(
        "change_orders",
        sa.Column("change_id", sa.String(32), sa.ForeignKey("image_changes.id"), primary_key=True),
        sa.Column("side", sa.String(8), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text),
    )
    if converted:
        op.get_bind().execute(
            sa.update(lines).where(
                lines.c.job_id == sa.bindparam("b_job"),
                lines.c.number == sa.bindparam("b_number"),
            ),
            converted,  # each row's columns: the SET clause
        )
    _convert_orders()


def downgrade() -> None:
    _orders_back()
    op.drop_table("change_orders")
    _lines_back()
    with op.batch_alter_table("bulk_lines") as table:
        for column in reversed(LINE_COLUMNS):
            table.drop_column(column.name)


# ---- upgrade: the orders -----------------------------------------------------------------------


def _order(value: str | None) -> list[str | None] | None:
    """A URL column's JSON list of URLs (a reorder's), or None for a URL (or nothing)."""
    if value is None or not value.startswith("["):
        return None
    order = json.loads(value)
    if not isinstance(order, list) or not all(u is None or isinstance(u, str) for u in order):
        raise ValueError(f"an order that is not a list of URLs: {value[:80]!r}")
    return order


def _convert_orders() -> None:
    bind = op.get_bind()
    listed = bind.execute(
        sa.select(changes.c.id, changes.c.before_url, changes.c.after_url).where(
            changes.c.before_url.like("[%") | changes.c.after_url.like("[%")
        )
    ).all()
    for change in listed:
        rows = []
        emptied: dict[str, None] = {}
        for side, value in zip(SIDES, (change.before_url, change.after_url), strict=True):
            order = _order(value)
            if order is None:
                continue  # a URL (or nothing): it stays
            emptied[f"{side}_url"] = None
            rows += [
                {"change_id": change.id, "side": side, "position": position, "url": url}
                for position, url in enumerate(order)
            ]
        if rows:
            bind.execute(orders.insert(), rows)
        bind.execute(sa.update(changes).where(changes.c.id == change.id).values(**emptied))


def _orders_back() -> None:
    bind = op.get_bind()
    found: dict[str, dict[str, list[str | None]]] = {}
    for row in bind.execute(
        sa.select(orders).order_by(orders.c.change_id, orders.c.side, orders.c.position)
    ):
        found.setdefault(row.change_id, {}).setdefault(row.side, []).append(row.url)
    for change_id, sides in found.items():
        values = {
            f"{side}_url": json.dumps(sides[side]) if side in sides else None for side in SIDES
        }
        bind.execute(sa.update(changes).where(changes.c.id == change_id).values(**values))


# ---- upgrade: the lines ------------------------------------------------------------------------


def _converted_lines() -> list[dict[str, Any]]:
    """Each line's converted columns (read only: an undo line of a reorder reads its order from
    before_url, as it is before the orders move)."""
    bind = op.get_bind()
    found = bind.execute(
        sa.select(
            lines.c.job_id,
            lines.c.number,
            lines.c.request,
            lines.c.status,
            jobs.c.user_id,
            jobs.c.channel_id,
            jobs.c.source,
            jobs.c.started_by,
        )
        .join(jobs, jobs.c.id == lines.c.job_id)
        .where(lines.c.request.is_not(None))
        .order_by(lines.c.job_id, lines.c.number)
    ).all()
    if not found:
        return []
    store_id = _store_id()
    updates: list[dict[str, Any]] = []
    for row in found:
        try:
            data = json.loads(row.request)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            if "suggest" in data:
                values = _suggestion(data)
            else:
                if store_id is None:
                    raise StoreIdMissing(
                        "the job store holds bulk lines written by an older version, whose "
                        "changes need the Ecwid store's id: start the bot with ECWID_STORE_ID "
                        "set (JobStore.open(…, store_id=…)); nothing was changed"
                    )
                asker = {"user": row.started_by or row.user_id, "channel": row.channel_id}
                if "undo" in data:
                    values = {"request": _undo_change(bind, data, store_id, asker)}
                else:
                    origin = "drop" if row.source == "drop" else "bulk_line"
                    values = _upload(data, store_id, asker, origin)
        except StoreIdMissing:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            if row.status in RUNNABLE:
                raise NotConverted(
                    f"bulk job {row.job_id}, line {row.number} ({row.status}): its stored "
                    f"request cannot be converted ({exc}); nothing was changed"
                ) from exc
            values = {"request": None}  # never runs again: nothing reads it
        updates.append({"b_job": row.job_id, "b_number": row.number, **_all_columns(values)})
    return updates


def _all_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every converted column of a line (executemany takes the same keys for every row)."""
    return {name: values.get(name) for name in ("request", *(c.name for c in LINE_COLUMNS))}


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _whole(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not a whole number")
    return value


def _target(product_id: object, kind: object, variation_id: object) -> dict[str, Any]:
    """The codec's target of a slot (bot.changes.slot_change.Target.of_slot), checked as
    Target checks it."""
    owner_id = _whole(product_id)
    variation = None if variation_id is None else _whole(variation_id)
    if owner_id <= 0:
        raise ValueError("a product or category id is a positive whole number")
    if kind == "category":
        if variation is not None:
            raise ValueError("a category has one image")
        return {"owner": "category", "id": owner_id, "place": "main", "variation": None}
    if kind not in ("main", "gallery", "variation"):
        raise ValueError(f"no slot {kind!r}")
    if (kind == "variation") != (variation is not None):
        raise ValueError("a variation's slot, and only it, names its variation")
    return {"owner": "product", "id": owner_id, "place": kind, "variation": variation}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _alt(main: object, translated: object) -> dict[str, Any]:
    """bot.changes.slot_change.AltText.of, in the codec's form: composed texts, empty
    translations left out, sorted by language."""
    if not isinstance(translated, Mapping):
        raise TypeError("alt texts in languages are not an object")
    texts = {_text(lang): _nfc(_text(text)) for lang, text in translated.items() if text}
    main_text = _optional_text(main)
    return {
        "main": _nfc(main_text) if main_text else None,
        "translated": [[lang, text] for lang, text in sorted(texts.items())],
    }


def _change(
    store_id: int,
    target: dict[str, Any],
    source: dict[str, Any],
    asker: dict[str, Any],
    origin: str,
    *,
    alt: dict[str, Any] | None = None,
    size: list[int] | None = None,
    convert: bool = False,
    external_id: str | None = None,
    undoes: str | None = None,
) -> str:
    """bot.changes.codec.dumps's text of a change (version 1)."""
    encoded = {
        "v": CODEC_VERSION,
        "store": store_id,
        "target": target,
        "source": source,
        "asker": asker,
        "origin": origin,
        "alt": alt or {"main": None, "translated": []},
        "known": {"identity": None, "size": size, "convert": convert},
        "external_id": external_id,
        "undoes": undoes,
    }
    return json.dumps(encoded, ensure_ascii=False, separators=(",", ":"))


def _file_source(file: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": "slack_file",
        "id": _text(file["id"]),
        "name": _text(file.get("name", "")),
        "mimetype": _text(file.get("mimetype", "")),
        "size": None if file.get("size") is None else _whole(file["size"]),
        "download_url": _optional_text(file.get("download_url")),
        "thumb_url": _optional_text(file.get("thumb_url")),
    }


def _upload(
    data: Mapping[str, Any], store_id: int, asker: dict[str, Any], origin: str
) -> dict[str, Any]:
    """An upload line (bulk_plan.encode_line's JSON): its change, and its columns."""
    target = _target(data["product_id"], data["kind"], data.get("variation_id"))
    file = data.get("file")
    if file:
        if not isinstance(file, Mapping):
            raise TypeError("a file is not an object")
        source = _file_source(file)
    else:
        source = {"kind": "link", "url": _text(data["url"])}
    # As bulk_run.BulkItem.decode read it: a size when a width is given.
    size = [_whole(data["width"]), _whole(data["height"])] if data.get("width") else None
    request = _change(
        store_id,
        target,
        source,
        asker,
        origin,
        alt=_alt(data.get("alt"), data.get("alt_translated") or {}),
        size=size,
        convert=bool(data.get("convert")),
        external_id=_optional_text(data.get("external_id")),
    )
    return {
        "request": request,
        "sku": _optional_text(data.get("sku")),
        "product_name": _optional_text(data.get("name")),
        "variation_label": _optional_text(data.get("variation")),
    }


def _suggestion(data: Mapping[str, Any]) -> dict[str, Any]:
    """A "did you mean" line (bulk_plan.Suggested.replan's JSON): its columns; no change."""
    file = data["file"]
    if not isinstance(file, Mapping):
        raise TypeError("a file is not an object")
    size = file.get("size")
    return {
        "request": None,
        "suggested_sku": _text(data["suggest"]),
        "suggested_target": _text(data.get("target") or "main"),
        "suggested_file_id": _text(file["id"]),
        "suggested_file_name": _text(file.get("name", "")),
        "suggested_file_mimetype": _text(file.get("mimetype", "")),
        "suggested_file_size": None if size is None else _whole(size),
        "suggested_file_url": _optional_text(file.get("download_url")),
    }


def _undo_change(bind: Any, data: Mapping[str, Any], store_id: int, asker: dict[str, Any]) -> str:
    """An undo job's line: the inverse of the entry it undoes, as bot.changes.edits.inverse
    builds it from bot.changes.records.record_of(entry), naming the entry."""
    entry_id = _text(data["undo"])
    entry = bind.execute(sa.select(changes).where(changes.c.id == entry_id)).first()
    if entry is None:
        # Pruned since the undo job was planned: its line names the entry and fails when it
        # runs ("no longer in the history"), as it did before; it does not stop the upgrade.
        kind = str(data["kind"])
        variation = data.get("variation_id") if kind == "variation" else None
        on = _target(data["product_id"], kind, variation)
        delete = {"kind": "delete", "image_url": None, "without_copy": False}
        return _change(store_id, on, delete, asker, "undo", alt=None, undoes=entry_id)
    slot = str(entry.slot)
    variation = entry.variation_id if slot == "variation" else None
    target = _target(entry.product_id, slot, variation)
    gallery = _target(entry.product_id, "gallery", None)
    try:
        translated = json.loads(entry.alt_translated or "{}")
    except ValueError:
        translated = {}
    alt = _alt(entry.alt_main, translated)

    def change(on: dict[str, Any], source: dict[str, Any], with_alt: bool = True) -> str:
        return _change(
            store_id, on, source, asker, "undo", alt=alt if with_alt else None, undoes=entry_id
        )

    action = str(entry.action)
    if action in EDITS:
        if action == "reordered":
            order = [_text(url) for url in json.loads(entry.before_url or "[]")]
            return change(gallery, {"kind": "reorder", "order": order}, with_alt=False)
        if action == "removed":
            return change(target, {"kind": "kept", "reference": entry_id, "in_store": True})
        return change(gallery, {"kind": "alt_only", "image_url": entry.before_url})
    if slot == "gallery":  # the image it added, found again when the undo runs
        delete = {"kind": "delete", "image_url": None, "without_copy": False}
        return change(target, delete, with_alt=False)
    in_store = bool(entry.kept_in_store) or (action == "replaced" and entry.kept_file is None)
    if in_store:
        return change(target, {"kind": "kept", "reference": entry_id, "in_store": True})
    if entry.kept_file is not None:
        return change(target, {"kind": "kept", "reference": entry.kept_file, "in_store": False})
    delete = {"kind": "delete", "image_url": None, "without_copy": False}
    return change(target, delete, with_alt=False)


# ---- downgrade: the lines ----------------------------------------------------------------------


def _lines_back() -> None:
    bind = op.get_bind()
    found = bind.execute(
        sa.select(lines).where(lines.c.request.is_not(None) | lines.c.suggested_sku.is_not(None))
    ).all()
    updates = []
    for row in found:
        if row.suggested_sku is not None:
            file = {
                "id": row.suggested_file_id,
                "name": row.suggested_file_name,
                "mimetype": row.suggested_file_mimetype,
                "size": row.suggested_file_size,
                "download_url": row.suggested_file_url,
            }
            old = {"suggest": row.suggested_sku, "file": file, "target": row.suggested_target}
        else:
            old = _old_request(json.loads(row.request), row)
        text = json.dumps(old, ensure_ascii=False, separators=(",", ":"))
        updates.append({"b_job": row.job_id, "b_number": row.number, "request": text})
    if updates:
        bind.execute(
            sa.update(lines).where(
                lines.c.job_id == sa.bindparam("b_job"),
                lines.c.number == sa.bindparam("b_number"),
            ),
            updates,
        )


def _old_request(change: Mapping[str, Any], row: Any) -> dict[str, Any]:
    target = change["target"]
    kind = "category" if target["owner"] == "category" else target["place"]
    slot = {"product_id": target["id"], "kind": kind, "variation_id": target["variation"]}
    if change.get("undoes"):
        return {**slot, "undo": change["undoes"]}
    source, known, alt = change["source"], change["known"], change["alt"]
    file = None
    if source["kind"] == "slack_file":
        file = {k: source[k] for k in ("id", "name", "mimetype", "size", "download_url")}
    size = known["size"] or [None, None]
    return {
        **slot,
        "url": source.get("url"),
        "file": file,
        "width": size[0],
        "height": size[1],
        "alt": alt["main"],
        "alt_translated": dict(alt["translated"]),
        "external_id": change["external_id"],
        "target": "gallery" if kind == "gallery" else "main",
        "convert": True if known["convert"] else None,
        "name": row.product_name,
        "variation": row.variation_label,
        "sku": row.sku,
    }
