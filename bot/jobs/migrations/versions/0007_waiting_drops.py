"""The drop zone's waiting drops: the messages still waiting out DROP_GROUP_SECONDS (or a check
of who dropped them), kept so that the next process plans them when this one is killed.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waiting_drops",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("checked", sa.Boolean, nullable=False),
    )
    op.create_index("waiting_drops_by_due", "waiting_drops", ["due_at"])
    op.create_index(
        "waiting_drops_by_group", "waiting_drops", ["channel_id", "user_id", "thread_ts"]
    )


def downgrade() -> None:
    op.drop_index("waiting_drops_by_group", table_name="waiting_drops")
    op.drop_index("waiting_drops_by_due", table_name="waiting_drops")
    op.drop_table("waiting_drops")
