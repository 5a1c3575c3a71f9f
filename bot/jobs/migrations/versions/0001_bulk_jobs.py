"""Bulk jobs and their lines.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("started_by", sa.String(32)),
        sa.Column("stopped_by", sa.String(32)),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_until", sa.Float, nullable=False, server_default="0"),
        sa.Column("reported_at", sa.Float),
    )
    op.create_index("bulk_jobs_by_state", "bulk_jobs", ["state", "lease_until"])
    op.create_table(
        "bulk_lines",
        sa.Column("job_id", sa.String(32), sa.ForeignKey("bulk_jobs.id"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("slot", sa.String(16)),
        sa.Column("request", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("image_id", sa.BigInteger),
        sa.Column("reason", sa.Text),
        sa.Column("finished_at", sa.Float),
    )
    op.create_index("bulk_lines_by_status", "bulk_lines", ["job_id", "status", "number"])


def downgrade() -> None:
    op.drop_table("bulk_lines")
    op.drop_table("bulk_jobs")
