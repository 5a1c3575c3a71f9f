"""Ecwid's own words kept apart from ours on a line, and undo claims shared by every process.

(A line's new `started` status needs no change of schema: it is a value of `status`.)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bulk_lines", sa.Column("quoted", sa.Text))
    op.create_table(
        "undo_claims",
        sa.Column("change", sa.String(200), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("undo_claims")
    op.drop_column("bulk_lines", "quoted")
