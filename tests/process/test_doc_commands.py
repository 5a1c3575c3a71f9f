"""The commands README.md and docs/ give, run: each `runnable` block exits 0, each benchmark an
`illustrative` block names knows its flags, and the bot README's set-up command starts serves
/healthz and stops on SIGTERM. The blocks' markers: tests/doc_blocks.py."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.doc_blocks import VENV_BIN, Command, commands
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import environment
from tests.processes import ROOT, free_port, reap, start_bot, stopped_by_sigterm, wait_healthy


@pytest.mark.slow  # starts `python -m bot`
async def test_the_bot_that_the_readme_starts_serves_and_stops_on_sigterm(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    port = free_port()
    process = await start_bot({**environment(slack, ecwid, tls), "PORT": str(port)}, tmp_path)
    try:
        await wait_healthy(f"http://127.0.0.1:{port}", process)
        assert await stopped_by_sigterm(process) == 0
    finally:
        await reap(process)


@pytest.mark.parametrize("command", commands("runnable"), ids=str)
def test_runnable_commands_run(command: Command) -> None:
    # The venv that runs these tests is the one the README's commands make.
    script = command.text.replace(VENV_BIN, str(Path(sys.executable).parent) + "/")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("command", commands("illustrative"), ids=str)
def test_illustrative_commands_are_listed(command: Command) -> None:
    """Not run; a benchmark's documented flags must be ones its argparse knows."""
    for line in command.text.splitlines():
        words = shlex.split(line, comments=True)
        script = next((w for w in words if re.fullmatch(r"benchmarks/\w+\.py", w)), None)
        if script is None:
            continue
        flags = {w.split("=")[0] for w in words if w.startswith("--")}
        usage = subprocess.run(
            [sys.executable, script, "--help"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert usage.returncode == 0, usage.stderr
        known = set(re.findall(r"--[\w-]+", usage.stdout))
        assert flags <= known, f"{script} has no {sorted(flags - known)}"
