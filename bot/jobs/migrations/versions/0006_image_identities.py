"""Image identities (bot.images.identity: the original's size, a gradient hash and a colour
signature) in place of a bare 16-digit hash.

Rows written before keep their bare hash: an Undo of such a change never trusts it alone (it
undoes only while Ecwid serves the very URL it served right after the change, and refuses
otherwise, saying the image may have changed).

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


def upgrade() -> None:
    with op.batch_alter_table("image_changes") as table:
        for column in ("before_fp", "after_fp"):
            table.alter_column(column, type_=sa.String(100), existing_type=sa.String(16))


def downgrade() -> None:
    with op.batch_alter_table("image_changes") as table:
        for column in ("before_fp", "after_fp"):
            table.alter_column(column, type_=sa.String(16), existing_type=sa.String(100))
