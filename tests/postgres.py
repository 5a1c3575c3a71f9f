"""A real PostgreSQL server for the test session: initdb and pg_ctl from the PATH (or Debian's
/usr/lib/postgresql/VERSION/bin, where its packages put them), on loopback.

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

# Debian's postgresql packages keep initdb and pg_ctl here, off the PATH; the newest first.
DEBIAN_BINARIES = sorted(
    Path("/usr/lib/postgresql").glob("*/bin"),
    key=lambda d: [int(part) for part in d.parent.name.split(".") if part.isdigit()],
    reverse=True,
)


def tool(name: str) -> str | None:
    """Where a PostgreSQL program is: on the PATH, or in Debian's folder."""
    found = shutil.which(name)
    if found:
        return found
    return next((str(d / name) for d in DEBIAN_BINARIES if (d / name).exists()), None)


class PostgresServer:
    def __init__(self, password: str | None = None) -> None:
        """With `password`, the user `postgres` must give it (scram-sha-256), else anyone may
        connect (trust)."""
        self.password = password
        self.folder = Path(tempfile.mkdtemp(prefix="ecwid-image-pg-"))
        self.port = free_port()
        self._names = itertools.count(1)
        self._as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    def _run(self, program: str, *arguments: str) -> None:
        command = (tool(program) or program, *arguments)
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
        for program in ("initdb", "pg_ctl", "psql"):
            if tool(program) is None:
                raise RuntimeError(
                    f"PostgreSQL's {program} is neither on the PATH nor in "
                    "/usr/lib/postgresql/*/bin; the tests need it"
                )
        if self._as_user:
            os.chmod(self.folder, 0o755)
            shutil.chown(self.folder, "nobody")
        data = self.folder / "data"
        auth = ["-A", "trust"]
        if self.password is not None:
            secret = self.folder / "pw"
            secret.write_text(self.password)
            if self._as_user:
                shutil.chown(secret, "nobody")
            auth = ["-A", "scram-sha-256", f"--pwfile={secret}"]
        self._run("initdb", "-D", str(data), *auth, "-U", "postgres", "--no-sync")
        self.resume()

    def halt(self) -> None:
        """Stop the server at once, as a crash or an outage would; its data is kept."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")

    def resume(self) -> None:
        """Start the server (again), on the same port and data."""
        data = self.folder / "data"
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
            [
                tool("psql") or "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-q",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        data = self.folder / "data"
        if data.exists():
            subprocess.run(
                [
                    *self._as_user,
                    tool("pg_ctl") or "pg_ctl",
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.folder, ignore_errors=True)
