"""The unit tier: no I/O (no socket, no child process, no database; committed files may be read).
See tests/conftest.py."""
