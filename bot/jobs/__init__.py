"""Durable bulk jobs: the job store (SQLite by default, PostgreSQL with DATABASE_URL) and its
schema migrations, run at start-up. May import bot.domain; knows nothing of Slack or Ecwid."""
