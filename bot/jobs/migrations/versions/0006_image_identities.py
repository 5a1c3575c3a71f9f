"""Image identities (bot.images.identity: the original's size, a gradient hash, a colour and a
detail signature: about 340 characters) in place of a bare 16-digit hash.

Rows written before keep their bare hash: an Undo of such a change never trusts it alone (it
undoes only while Ecwid serves the very URL it served right after the change, and refuses
otherwise, saying the image may have changed). A downgrade keeps the hash of each identity.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ("before_fp", "after_fp")


def upgrade() -> None:
    with op.batch_alter_table("image_changes") as table:
        for column in COLUMNS:
            table.alter_column(column, type_=sa.Text, existing_type=sa.String(16))


def downgrade() -> None:
    # "WxH:HASH:…" → "HASH": what the older bot stored (its column holds 16 characters).
    find = "strpos" if op.get_bind().dialect.name == "postgresql" else "instr"
    for column in COLUMNS:
        op.execute(
            f"UPDATE image_changes SET {column} = substr({column}, {find}({column}, ':') + 1, 16) "
            f"WHERE {column} LIKE '%:%'"
        )
    with op.batch_alter_table("image_changes") as table:
        for column in COLUMNS:
            table.alter_column(column, type_=sa.String(16), existing_type=sa.Text)
