"""The job store's tables, as the latest migration leaves them (the migrations are the truth)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

jobs = Table(
    "bulk_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("message_ts", String(32)),  # the plan, then progress, then result message
    Column("source", String(16), nullable=False),  # lines, csv or files
    # checking → planned → running → (stopping →) finished; checking or planned → cancelled
    Column("state", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("started_by", String(32)),
    Column("stopped_by", String(32)),
    Column("lease_owner", String(128)),  # the process running it
    Column("lease_until", Float, nullable=False, server_default="0"),
    Column("reported_at", Float),  # the final report is in the thread
    Index("bulk_jobs_by_state", "state", "lease_until"),
)

lines = Table(
    "bulk_lines",
    metadata,
    Column("job_id", String(32), ForeignKey("bulk_jobs.id"), primary_key=True),
    Column("number", Integer, primary_key=True),  # the line's number in what was sent
    Column("text", Text, nullable=False),
    Column("product", Text, nullable=False),  # as the report names it
    Column("slot", String(16)),  # main, gallery or variation, once known
    Column("request", Text),  # the checked upload, as JSON; NULL for a line with a problem
    # invalid (never to run), pending, started (its upload may have begun: checked before it is
    # sent again), done, failed, not_run (stopped before it)
    Column("status", String(16), nullable=False),
    Column("image_id", BigInteger),
    Column("reason", Text),  # our words
    Column("quoted", Text),  # Ecwid's own words, shown as code
    Column("changes", Text),  # what was done to the image to make it ready (plain text)
    Column("finished_at", Float),
    Index("bulk_lines_by_status", "job_id", "status", "number"),
)

# One row per undone change, keyed by the change itself (product, slot, the image it put there):
# whichever process, message or button a press comes from, a change is undone once.
undo_claims = Table(
    "undo_claims",
    metadata,
    Column("change", String(200), primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("claimed_at", Float, nullable=False),
)
