"""The integration tier: the bot in one process on loopback, the loopback fakes, SQLite (the
PostgreSQL half of the store tests: `slow`). See tests/conftest.py."""
