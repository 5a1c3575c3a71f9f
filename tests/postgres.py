"""A real PostgreSQL server for the test session: initdb and pg_ctl from the PATH, on loopback.

PostgreSQL refuses to run as root; as root, the server runs as the unprivileged `nobody`.
Nothing is skipped when it cannot start: the session fails, saying why.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.processes import free_port


class PostgresServer:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ecwid-image-pg-"))
        self.port = free_port()
        self._names = itertools.count(1)
        self._as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self._as_user, *command], capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            log = self.folder / "server.log"
            detail = log.read_text() if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{detail}"
            )

    def start(self) -> None:
        for tool in ("initdb", "pg_ctl", "psql"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"PostgreSQL's {tool} is not on the PATH; the tests need it")
        if self._as_user:
            os.chmod(self.folder, 0o755)
            shutil.chown(self.folder, "nobody")
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def new_database(self) -> str:
        """A fresh, empty database; its URL in Heroku's own spelling (postgres://)."""
        name = f"bot_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name}")
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def psql(self, sql: str) -> None:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c", sql],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        data = self.folder / "data"
        if data.exists():
            subprocess.run(
                [*self._as_user, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.folder, ignore_errors=True)
