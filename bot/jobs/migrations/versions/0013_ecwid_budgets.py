"""#38: each store's Ecwid call schedule, shared by every process on one PostgreSQL (GCRA: one
timestamp per store, booked a few calls at a time; bot.jobs.budgets).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ecwid_budgets",
        sa.Column("store_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("next_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ecwid_budgets")
