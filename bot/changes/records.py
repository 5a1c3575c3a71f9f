"""The records every change leaves: its entry in the history, and what undoing it takes.

Built here and nowhere else (the flows ask for them), so that an entry's key in `undo_claims` is
always the one undo looks for.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, replace

from bot.domain.tenant import Tenant
from bot.ecwid.models import ImageSlot
from bot.jobs.history import Action, Change


@dataclass(frozen=True)
class UndoRecord:
    """What one upload did, and what undoing it takes."""

    slot: ImageSlot
    new_image_id: int | None  # for the gallery: the image to remove
    after: str | None  # the slot's image URL right after the upload (see url_fingerprint)
    kept_file: str | None  # the kept copy of the previous image; None: there was no image
    alt_main: str | None = None  # the previous image's alt text
    alt_translated: tuple[tuple[str, str], ...] = ()
    after_image: str | None = None  # the new image's Fingerprint (hex): what it shows
    change_id: str | None = None  # its entry in the history
    kept_in_store: bool = False  # the previous image's bytes are in the history, not the chat
    before_image: str | None = None  # the previous image's Fingerprint (hex)
    # The link the image was given by, when what it shows was not identified then (a bulk
    # line by link): fetched and compared at undo.
    after_link: str | None = None
    # A gallery card's edit (reordered, removed, alt): undone from its entry in the history.
    action: str | None = None
    on_card: bool = False  # offered under a gallery card (its thread's parent): redrawn after
    # The gallery image the change added, as found just now by what it shows (`compare`): where
    # Ecwid serves it from. Never stored: gallery ids and URLs are read again before each undo.
    found_url: str | None = None

    @property
    def had_previous(self) -> bool:
        return self.kept_file is not None or self.kept_in_store


@dataclass(frozen=True)
class UndoPlace:
    """Where the upload was reported (the message with the button), to report the undo there."""

    channel_id: str  # "" when it is not known (the change is not in the history)
    message_ts: str
    thread_ts: str | None
    # The message pressed, as the chat has it now, for the reporter to update; None when the
    # press came from the history or the App Home: nothing there is updated.
    message: object = None


def record_of(change: Change) -> UndoRecord:
    """What undoing a change from the history takes."""
    variation = change.variation_id if change.slot == "variation" else None
    return UndoRecord(
        slot=ImageSlot(change.product_id, change.slot, variation),
        new_image_id=change.image_id,
        after=change.after_url_fp,
        kept_file=change.kept_file,
        alt_main=change.alt_main,
        alt_translated=change.alt_translated,
        after_image=change.after_fp,
        change_id=change.id,
        # A replaced image with no copy kept: looked for in the store, not found, refused (an
        # undo that deleted the slot's image instead would lose it).
        kept_in_store=change.kept_in_store
        or (change.action == Action.REPLACED and change.kept_file is None),
        before_image=change.before_fp,
        after_link=change.after_url,  # None: sent as bytes (Ecwid served its own URL at once)
        action=str(change.action) if change.action in EDITS else None,
    )


EDITS = (Action.REORDERED, Action.REMOVED, Action.ALT)  # a gallery card's edits


def change_key(record: UndoRecord) -> str:
    """The change itself: its product, slot, and the image it put there (Ecwid's id for it,
    and what it shows), whatever message or button undo is pressed on. A gallery card's edit
    is named by its entry in the history."""
    slot = record.slot
    if record.action is not None and record.change_id is not None:
        return f"{slot.product_id}/{record.action}/{record.change_id}"
    image = record.after_image or record.after or "-"
    return f"{slot.product_id}/{slot.kind}/{slot.variation_id or '-'}/{record.new_image_id or '-'}/{image}"[
        :200
    ]


def url_fingerprint(url: str) -> str:
    """A short stand-in for an image URL (which may be 2 KB long): enough to tell it changed."""
    return hashlib.sha256(url.encode()).hexdigest()[:20]


def history_entry(
    *,
    tenant: Tenant,
    user_id: str,
    product_id: int,
    slot: str,
    action: Action,
    channel_id: str | None = None,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    product_name: str | None = None,
    variation_id: int | None = None,
    variation_label: str | None = None,
    image_id: int | None = None,
    before_fp: str | None = None,
    after_fp: str | None = None,
    before_url: str | None = None,
    after_url: str | None = None,
    after_url_fp: str | None = None,
    kept_file: str | None = None,
    kept_in_store: bool = False,
    alt_main: str | None = None,
    alt_translated: tuple[tuple[str, str], ...] = (),
    job_id: str | None = None,
    line: int | None = None,
    undo_of: str | None = None,
    before_order: tuple[str | None, ...] | None = None,
    after_order: tuple[str | None, ...] | None = None,
    change_id: str | None = None,
) -> Change:
    """A new entry of the history: its id (unless `change_id`: a line's, known ahead) and time
    are given here, and a change that can be undone gets its key in `undo_claims` (what undo
    looks for, whatever button is pressed)."""
    change = Change(
        id=change_id or uuid.uuid4().hex,
        at=time.time(),
        user_id=user_id,
        product_id=product_id,
        slot=slot,
        action=action,
        team_id=tenant.team_id,
        store_id=tenant.store_id,
        channel_id=channel_id,
        message_ts=message_ts,
        thread_ts=thread_ts,
        product_name=product_name,
        variation_id=variation_id,
        variation_label=variation_label,
        image_id=image_id,
        before_fp=before_fp,
        after_fp=after_fp,
        before_url=before_url,
        after_url=after_url,
        after_url_fp=after_url_fp,
        kept_file=kept_file,
        kept_in_store=kept_in_store,
        alt_main=alt_main,
        alt_translated=alt_translated,
        job_id=job_id,
        line=line,
        undo_of=undo_of,
        before_order=before_order,
        after_order=after_order,
    )
    if change.action is Action.UNDONE:
        return change
    return replace(change, change_key=change_key(record_of(change)))


def line_change_id(job_id: str, line: int) -> str:
    """The id a job line's change has, known before the line runs (its copy is kept ahead
    under it: bot.jobs.history.History.keep_ahead)."""
    return hashlib.sha256(f"{job_id}:{line}".encode()).hexdigest()[:32]
