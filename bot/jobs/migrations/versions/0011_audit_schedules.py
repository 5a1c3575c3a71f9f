"""#37: weekly audits, as rows that each run claims with a conditional update.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_schedules",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("store_id", sa.BigInteger, nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("category", sa.BigInteger),
        sa.Column("search", sa.String(200)),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("last_at", sa.Float),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index(
        "audit_schedules_one",
        "audit_schedules",
        ["store_id", "channel_id", "scope"],
        unique=True,
    )
    op.create_index("audit_schedules_due", "audit_schedules", ["next_at"])


def downgrade() -> None:
    op.drop_index("audit_schedules_due", "audit_schedules")
    op.drop_index("audit_schedules_one", "audit_schedules")
    op.drop_table("audit_schedules")
