"""What was done to a line's image to make it ready for Ecwid (converted, turned upright,
location removed…), for the report's `changes` column.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bulk_lines", sa.Column("changes", sa.Text))


def downgrade() -> None:
    op.drop_column("bulk_lines", "changes")
