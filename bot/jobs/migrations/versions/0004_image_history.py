"""The catalog's image history: every change the bot makes (single uploads, bulk lines, undos),
the bytes of a bulk line's previous image (kept for Undo, pruned by age and total size), and
which job an undo job undoes (one undo job a job: a unique column decides a second press).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_changes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("product_id", sa.BigInteger, nullable=False),
        sa.Column("product_name", sa.Text),
        sa.Column("variation_id", sa.BigInteger),
        sa.Column("variation_label", sa.Text),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("image_id", sa.BigInteger),
        sa.Column("before_fp", sa.String(16)),
        sa.Column("after_fp", sa.String(16)),
        sa.Column("before_url", sa.Text),
        sa.Column("after_url", sa.Text),
        sa.Column("after_url_fp", sa.String(20)),
        sa.Column("kept_file", sa.String(32)),
        sa.Column("kept_in_store", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("alt_main", sa.Text),
        sa.Column("alt_translated", sa.Text),
        sa.Column("job_id", sa.String(32)),
        sa.Column("line", sa.Integer),
        sa.Column("undo_of", sa.String(32)),
        sa.Column("change_key", sa.String(200)),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_index("image_changes_by_product", "image_changes", ["product_id", "at"])
    op.create_index("image_changes_by_user", "image_changes", ["user_id", "at"])
    op.create_index("image_changes_by_job", "image_changes", ["job_id", "line"])
    op.create_table(
        "kept_images",
        sa.Column("change_id", sa.String(32), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("kept_at", sa.Float, nullable=False),
    )
    op.create_index("kept_images_by_age", "kept_images", ["kept_at"])
    with op.batch_alter_table("bulk_jobs") as batch:
        batch.add_column(sa.Column("undo_of", sa.String(32)))
        batch.create_unique_constraint("bulk_jobs_one_undo", ["undo_of"])


def downgrade() -> None:
    with op.batch_alter_table("bulk_jobs") as batch:
        batch.drop_constraint("bulk_jobs_one_undo", type_="unique")
        batch.drop_column("undo_of")
    op.drop_table("kept_images")
    op.drop_table("image_changes")
