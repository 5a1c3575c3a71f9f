"""#37: the audits' numbers, so that the next audit of the same scope says what changed since.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("store_id", sa.BigInteger, nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("numbers", sa.Text, nullable=False),
    )
    op.create_index("audits_by_scope", "audits", ["store_id", "scope", "at"])


def downgrade() -> None:
    op.drop_index("audits_by_scope", "audits")
    op.drop_table("audits")
