"""Running `python -m bot` as users do, in a child process, against the loopback fakes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# What asyncio buffers of a child's output, unread: past twice this it stops reading the pipe,
# and Process.wait() (which waits for the pipes to close too) no longer returns. Tests read a
# run's whole log once it has ended, and a DEBUG log passes twice the default 64 KiB.
OUTPUT_BUFFER = 64 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The parent's environment without any real Slack/Ecwid settings, plus `extra`."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ECWID_", "ALLOWED_", "PROBE_"))
    }
    return {**keep, "PYTHONPATH": str(ROOT), **extra}


async def start_bot(
    env: dict[str, str], cwd: Path, *args: str, split_stderr: bool = False
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=clean_env(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE if split_stderr else asyncio.subprocess.STDOUT,
        limit=OUTPUT_BUFFER,
    )


async def wait_healthy(base_url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.returncode is not None:
                break
            try:
                if (await client.get(f"{base_url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    process.kill()
    output = (await process.stdout.read()).decode() if process.stdout else ""
    raise AssertionError(f"the bot never became healthy:\n{output}")


async def run_to_end(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of a run that ends by itself."""
    process = await start_bot(env, cwd, *args, split_stderr=True)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def stopped_by_sigterm(process: asyncio.subprocess.Process) -> int:
    """SIGTERM, as Heroku and Ctrl-C send it: the exit status, within 30 s."""
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), 30)


async def reap(process: asyncio.subprocess.Process) -> None:
    """Kill a bot that a failed assertion left running (for a `finally:`)."""
    if process.returncode is None:
        process.kill()
        await process.wait()
