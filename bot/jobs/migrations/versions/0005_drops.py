"""The drop zone: what has been planned already (an event, a message's files), so that a
re-delivered event makes no second plan; and the thread a job's message is in (a drop's plan is
posted in the drop's thread).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_events",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.add_column("bulk_jobs", sa.Column("thread_ts", sa.String(32)))


def downgrade() -> None:
    op.drop_column("bulk_jobs", "thread_ts")
    op.drop_table("seen_events")
