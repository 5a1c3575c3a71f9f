"""Alembic's entry point: migrations run on the connection JobStore.open hands over."""

from __future__ import annotations

from alembic import context

from bot.jobs.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # JobStore.open's: it logs each migration applied once they are committed.
    on_version_apply=context.config.attributes.get("on_version_apply"),
)
with context.begin_transaction():
    context.run_migrations()
