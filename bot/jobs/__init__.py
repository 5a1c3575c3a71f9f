"""Durable bulk jobs and the catalog's image history: the job store (SQLite by default,
PostgreSQL with DATABASE_URL), the history's changes and kept copies, and the schema migrations,
run at start-up. May import bot.domain; knows nothing of Slack or Ecwid."""
