"""Alembic migrations of the job store; `bot.jobs.store.JobStore.open` runs them."""
