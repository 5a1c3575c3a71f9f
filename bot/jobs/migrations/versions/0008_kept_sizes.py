"""The kept copies' sizes by age, in an index: a bulk job sums them before it keeps each batch
of copies (HISTORY_MAX_MB is never passed), and SQLite, whose rows hold the bytes before the
size, would otherwise read every copy's bytes to find its size (0.1 s for 200 MB of copies,
against 0.1 ms from the index). The prune reads them oldest first from it too.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("kept_images_sizes", "kept_images", ["kept_at", "change_id", "size"])
    op.drop_index("kept_images_by_age", "kept_images")


def downgrade() -> None:
    op.create_index("kept_images_by_age", "kept_images", ["kept_at"])
    op.drop_index("kept_images_sizes", "kept_images")
