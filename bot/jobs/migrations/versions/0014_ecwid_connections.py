"""#38: Ecwid stores connected by OAuth (their tokens sealed: bot.tokens), the workspaces each
is linked to, the one-time links that start a connection from Slack, the codes Ecwid gave (each exchanged
once), and the webhook events already seen (bot.jobs.connections).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ecwid_stores",
        sa.Column("store_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("connected_at", sa.Float, nullable=False),
        sa.Column("claim_hash", sa.String(64), unique=True),
        sa.Column("claim_until", sa.Float),
        sa.Column("uninstall_said_at", sa.Float),
    )
    op.create_table(
        "store_links",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("store_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("linked_by", sa.String(32), nullable=False),
        sa.Column("linked_at", sa.Float, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("store_links_by_store", "store_links", ["store_id"])
    op.create_table(
        "connect_requests",
        sa.Column("nonce_hash", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("opened_at", sa.Float),
        sa.Column("session_hash", sa.String(64), unique=True),
        sa.Column("finished_at", sa.Float),
    )
    op.create_table(
        "ecwid_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_table(
        "ecwid_webhook_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ecwid_webhook_events")
    op.drop_table("ecwid_codes")
    op.drop_table("connect_requests")
    op.drop_index("store_links_by_store", "store_links")
    op.drop_table("store_links")
    op.drop_table("ecwid_stores")
