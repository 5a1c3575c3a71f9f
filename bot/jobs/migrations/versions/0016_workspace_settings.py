"""#38: each workspace's settings (allow-lists, drop zone channels, default naming rules) and
each store's own naming rules, edited in many-stores mode's App Home (bot.jobs.settings); and
the store each of the bot's messages and forms was made for (bot.jobs.surfaces).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_settings",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("allowed_users", sa.Text, nullable=False, server_default=""),
        sa.Column("allowed_usergroups", sa.Text, nullable=False, server_default=""),
        sa.Column("allowed_channels", sa.Text, nullable=False, server_default=""),
        sa.Column("watch_channels", sa.Text, nullable=False, server_default=""),
        sa.Column("filename_pattern", sa.Text),
        sa.Column("filename_views", sa.Text),
        sa.Column("changed_by", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False),
    )
    op.create_table(
        "store_naming",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("store_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("filename_pattern", sa.Text, nullable=False),
        sa.Column("filename_views", sa.Text, nullable=False),
        sa.Column("changed_by", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False),
    )
    op.create_index("store_naming_by_store", "store_naming", ["store_id"])
    op.create_table(
        "bot_surfaces",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("surface", sa.String(120), primary_key=True),
        sa.Column("store_id", sa.BigInteger, nullable=False),
        sa.Column("made_at", sa.Float, nullable=False),
    )
    op.create_index("bot_surfaces_by_age", "bot_surfaces", ["made_at"])
    op.create_index("bot_surfaces_by_store", "bot_surfaces", ["store_id"])


def downgrade() -> None:
    op.drop_table("bot_surfaces")
    op.drop_table("store_naming")
    op.drop_table("workspace_settings")
