"""The process tier: tests that start `python -m bot` or other child processes, start PostgreSQL
servers, or stop a child with `kill -9` or SIGTERM. Each is marked `process` and `slow` from this
folder (tests/conftest.py, which says what every tier is)."""
