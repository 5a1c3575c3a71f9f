"""#38: every row of image work is keyed by its workspace and its store (the tenant), so that no
one reaches a store that is not linked to their workspace: bulk jobs (and through them their
lines), the history's changes (and through them their orders), the kept copies (by store: each
store's quota), the undo claims (a change is undone once in its store), the waiting drops, and
the audits and their schedules.

A database of the single-store set-up has one workspace and one store. Its rows get the store's
id (`store_id`, from JobStore.open: ECWID_STORE_ID, never guessed: a database with rows to key
is refused without it) and the workspace key '' (single-store mode's one workspace, whose id
the database never held). A database with no rows to key takes no store id.

The downgrade drops the keys (an older bot serves one store).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ONE_WORKSPACE = ""  # single-store mode's workspace (bot.domain.tenant.ONE_WORKSPACE)

# Table → whether it is keyed by workspace too (kept copies and undo claims are a store's).
KEYED = {
    "bulk_jobs": True,
    "image_changes": True,
    "waiting_drops": True,
    "audits": True,
    "audit_schedules": True,
    "kept_images": False,
    "undo_claims": False,
}


class StoreIdMissing(RuntimeError):
    """Rows to key, and no store id to give them."""


def _store_id() -> int | None:
    store_id = context.config.attributes.get("store_id")
    return int(store_id) if store_id else None


def upgrade() -> None:
    bind = op.get_bind()
    store_id = _store_id()
    # First, before anything changes: rows to key need the store's id.
    if store_id is None:
        for table in KEYED:
            if bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
                raise StoreIdMissing(
                    f"the job store holds rows of one store ({table}) that must now name it: "
                    "start the bot once in single-store mode with ECWID_STORE_ID set "
                    "(JobStore.open(…, store_id=…)); nothing was changed"
                )
    for table, by_workspace in KEYED.items():
        with op.batch_alter_table(table) as batch:
            if by_workspace:
                batch.add_column(
                    sa.Column(
                        "team_id", sa.String(32), nullable=False, server_default=ONE_WORKSPACE
                    )
                )
            if table not in ("audits", "audit_schedules"):  # these name their store already
                batch.add_column(sa.Column("store_id", sa.BigInteger))
        if table not in ("audits", "audit_schedules") and store_id is not None:
            bind.execute(sa.text(f"UPDATE {table} SET store_id = :store"), {"store": store_id})

    with op.batch_alter_table("bulk_jobs") as batch:
        batch.alter_column("store_id", existing_type=sa.BigInteger, nullable=False)
        batch.create_index("bulk_jobs_by_person", ["team_id", "store_id", "user_id", "created_at"])
    with op.batch_alter_table("image_changes") as batch:
        batch.alter_column("store_id", existing_type=sa.BigInteger, nullable=False)
        batch.drop_index("image_changes_by_product")
        batch.drop_index("image_changes_by_user")
        batch.create_index("image_changes_by_product", ["store_id", "product_id", "at"])
        batch.create_index("image_changes_by_user", ["team_id", "store_id", "user_id", "at"])
    with op.batch_alter_table("waiting_drops") as batch:
        batch.alter_column("store_id", existing_type=sa.BigInteger, nullable=False)
    with op.batch_alter_table("kept_images") as batch:
        batch.alter_column("store_id", existing_type=sa.BigInteger, nullable=False)
        batch.create_index("kept_images_by_store", ["store_id", "kept_at", "change_id", "size"])
    # A change is undone once in its store: the claim's key is the store and the change. A new
    # table (SQLite cannot change a primary key in place; its old one has no name to drop).
    _rebuild_claims(["store_id", "change"], with_store=True, name="undo_claims_by_store")
    with op.batch_alter_table("audit_schedules") as batch:
        batch.drop_index("audit_schedules_one")
        batch.create_index(
            "audit_schedules_one", ["team_id", "store_id", "channel_id", "scope"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_schedules") as batch:
        batch.drop_index("audit_schedules_one")
        batch.create_index("audit_schedules_one", ["store_id", "channel_id", "scope"], unique=True)
    _rebuild_claims(["change"], with_store=False, name="undo_claims_by_change")
    with op.batch_alter_table("kept_images") as batch:
        batch.drop_index("kept_images_by_store")
    with op.batch_alter_table("image_changes") as batch:
        batch.drop_index("image_changes_by_product")
        batch.drop_index("image_changes_by_user")
        batch.create_index("image_changes_by_product", ["product_id", "at"])
        batch.create_index("image_changes_by_user", ["user_id", "at"])
    with op.batch_alter_table("bulk_jobs") as batch:
        batch.drop_index("bulk_jobs_by_person")
    for table, by_workspace in KEYED.items():
        with op.batch_alter_table(table) as batch:
            if by_workspace:
                batch.drop_column("team_id")
            if table not in ("audits", "audit_schedules", "undo_claims"):
                batch.drop_column("store_id")


def _rebuild_claims(key: list[str], *, with_store: bool, name: str) -> None:
    """undo_claims again, keyed by `key` (a constraint `name` the old table's is not), its rows
    copied."""
    store = [sa.Column("store_id", sa.BigInteger, nullable=False)] if with_store else []
    op.create_table(
        "undo_claims_new",
        *store,
        sa.Column("change", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(*key, name=name),
    )
    columns = ", ".join(["store_id"] * with_store + ["change", "user_id", "claimed_at"])
    op.execute(f"INSERT INTO undo_claims_new ({columns}) SELECT {columns} FROM undo_claims")
    op.drop_table("undo_claims")
    op.rename_table("undo_claims_new", "undo_claims")
