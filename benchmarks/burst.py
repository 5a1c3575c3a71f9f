"""Burst benchmark: ack latency against a bare Bolt app, end-to-end latency, peak memory.

    .venv/bin/python benchmarks/burst.py [--requests 200] [--concurrency 50] [--runs 3]
        [--profile FILE]

Starts the loopback Slack, Ecwid (each upload answered after 300 ms) and image host from tests/,
the bot as users run it (`python -m bot`, HTTP mode), a bare Bolt app that only acks, and the
floor (benchmarks/floor_app.py: acks, then makes only the network calls an upload needs, with no
checks, retries or limits), all served the same way. Against each, after a warm-up, it fires
signed `/ecwid-image PRODUCT <https url> 640x480` commands (each to a product of its own, which
has a current image, so that Undo's work is real), so many at a time, and prints ack p50/p99
for the bot and the bare app and their p99 ratio, the end-to-end p99 (command sent → its thread
reply posted at the Slack stand-in) of the bot and the floor and their ratio, how many got their
reply, and the bot's peak resident memory. Then, per upload of the bot: the new image's reads at
the image host stand-in (whole GETs, and ranged reads of its header), the whole GETs of the image
it replaced, the images its conversion pool decoded at full size and reduced (the count the bot
logs when it stops), and the CPU the bot and its pool used from its burst until it stopped (and
the floor over the same time). With several runs it also prints the median and the range of each
figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
WARM_UP = 20
WARM_UP_BASE = 100_000  # request numbers of the warm-up, apart from the measured ones
FLOOR_BASE = 200_000  # the floor's request numbers, apart from the bot's
PLAIN_BASE = 300_000  # the plain floor's (without Undo's calls)
PRODUCTS_EACH = 1000  # products each app uploads to: every request one of its own
STOCKED_FIRST = 20_001  # benchmarks.fakes --stocked: products with a current image
# The line the bot logs when it stops (bot.images.convert.ImagePreparer.close).
DECODES = re.compile(r"images decoded in the pool: (\d+) at full size, (\d+) reduced")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_env(fakes: dict[str, Any], bot_token: str = BOT_TOKEN) -> dict[str, str]:
    """The bot's settings against the benchmark's fakes, with a job store of its own."""
    jobs = tempfile.mkdtemp(prefix="ecwid-image-bench-jobs-")
    return {
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fakes["slack_api_url"],
        "ECWID_STORE_ID": str(fakes["ecwid_store_id"]),
        "ECWID_TOKEN": fakes["ecwid_token"],
        "ECWID_API_URL": fakes["ecwid_api_url"],
        "PROBE_ALLOW_PRIVATE_NETWORKS": "true",
        "SSL_CERT_FILE": fakes["ca_file"],
        "DATABASE_URL": f"sqlite:///{jobs}/jobs.sqlite3",
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Figures:
    bare_p50: float
    bare_p99: float
    bot_p50: float
    bot_p99: float
    e2e_p99: float
    floor_e2e_p99: float
    plain_e2e_p99: float  # the floor without Undo's calls: what Undo costs
    answered: int
    peak_rss_mb: float
    ecwid_calls_per_upload: float
    new_whole_per_upload: float  # GETs of the new image's link, whole (image host stand-in)
    new_ranged_per_upload: float  # … with a Range header: its header read
    replaced_whole_per_upload: float  # GETs of the image the upload replaced, whole
    full_decodes_per_upload: float  # in the bot's conversion pool, at the image's full size
    reduced_decodes_per_upload: float  # … at 1/2, 1/4 or 1/8 (a JPEG's draft)
    cpu_ms_per_upload: float  # the bot's process, from its burst until it stops
    pool_cpu_ms_per_upload: float  # its children's (the conversion pool's worker)
    floor_cpu_ms_per_upload: float  # the floor's (with Undo's calls), over the same time

    @property
    def ratio(self) -> float:
        return self.bot_p99 / self.bare_p99

    @property
    def e2e_ratio(self) -> float:
        return self.e2e_p99 / self.floor_e2e_p99


class Process:
    def __init__(self, args: list[str], env: dict[str, str], port: int | None = None) -> None:
        self.args, self.env, self.port = args, env, port
        self.proc: asyncio.subprocess.Process | None = None
        # What a helper says on stderr is kept, to say why it failed (see first_line).
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  # closed with the process
        self.said = ""  # all it said on stderr, once stopped

    async def first_line(self) -> dict[str, Any]:
        """The JSON line a helper prints when it is up; why it failed, if it did not."""
        assert self.proc is not None and self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        try:
            return dict(json.loads(line))
        except ValueError:
            await self.proc.wait()
            self._stderr.seek(0)
            said = self._stderr.read().decode(errors="replace").strip().splitlines()[-15:]
            raise RuntimeError(
                f"{' '.join(self.args[1:])} did not start (exit status {self.proc.returncode}); "
                "are the dev extras installed (pip install -e '.[dev]')? It said:\n"
                + "\n".join(said)
            ) from None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.args,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
        )
        if self.port:
            async with httpx.AsyncClient() as client:
                for _ in range(400):
                    try:
                        await client.post(f"http://127.0.0.1:{self.port}/slack/events")
                        return
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
            raise RuntimeError(f"{self.args} did not start")

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the process and its children, added up."""
        total = 0
        for pid in self._tree():
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        return total / 1024

    def cpu_seconds(self) -> tuple[float, float]:
        """User and system CPU used so far by the process, and by its children alive now."""
        own, *children = [_cpu_seconds(pid) for pid in self._tree()]
        return own, sum(children)

    def _tree(self) -> list[int]:
        """The process and its descendants, itself first."""
        assert self.proc is not None
        pids, found = [self.proc.pid], []
        while pids:
            pid = pids.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        return found

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
        if not self._stderr.closed:
            self._stderr.seek(0)
            self.said = self._stderr.read().decode(errors="replace")
            self._stderr.close()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def fakes_and_bot(
    *fakes_args: str, token: str
) -> tuple[Process, Process, dict[str, Any], str]:
    """The loopback fakes (`benchmarks/fakes.py` with `fakes_args`) started, and the bot as users
    run it against them (`python -m bot`, HTTP mode, with the bot token `token`), to start: both
    processes, the fakes' addresses, and the bot's events URL."""
    fakes = Process([sys.executable, "-m", "benchmarks.fakes", *fakes_args], {})
    await fakes.start()
    config = await fakes.first_line()
    port = free_port()
    bot = Process(
        [sys.executable, "-m", "bot"],
        {**bot_env(config, token), "PORT": str(port), "LOG_LEVEL": "WARNING"},
        port,
    )
    return fakes, bot, config, f"http://127.0.0.1:{port}/slack/events"


class Load:
    def __init__(
        self, port: int, response_url: str, image_base: str, first_product: int = STOCKED_FIRST
    ) -> None:
        self.first_product = first_product  # each request its own product, with an image
        self.url = f"http://127.0.0.1:{port}/slack/events"
        self.response_url = response_url
        self.image_base = image_base
        self.verifier = SignatureVerifier(SECRET)

    def body(self, n: int) -> str:
        return urlencode(
            {
                "team_id": "T1",
                "channel_id": "C123",
                "user_id": "U123",
                "command": "/ecwid-image",
                "text": f"{self.product(n)} {self.image_base}img/{n}.jpg 640x480",
                "response_url": self.response_url,
                "trigger_id": f"{n}.42",
                "api_app_id": "A1",
            }
        )

    def product(self, n: int) -> int:
        return self.first_product + n % PRODUCTS_EACH

    async def fire(
        self, client: httpx.AsyncClient, numbers: range, concurrency: int
    ) -> dict[int, tuple[float, float]]:
        """Send the commands, `concurrency` at a time; (sent, acked) monotonic times for each."""
        gate = asyncio.Semaphore(concurrency)
        times: dict[int, tuple[float, float]] = {}

        async def one(n: int) -> None:
            body = self.body(n)
            async with gate:
                ts = str(int(time.time()))
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
                }
                sent = time.monotonic()
                async with client.post(self.url, data=body, headers=headers) as response:
                    await response.read()
                acked = time.monotonic()
                if response.status != 200:
                    raise RuntimeError(f"request {n}: HTTP {response.status}")
                times[n] = (sent, acked)

        await asyncio.gather(*(one(n) for n in numbers))
        return times


async def replies(client: aiohttp.ClientSession, calls_url: str) -> dict[int, float]:
    """When each command's thread reply reached the Slack stand-in, by request number."""
    async with client.get(calls_url) as response:
        calls = await response.json()
    found: dict[int, float] = {}
    for call in calls:
        params = call["params"]
        if call["method"] == "chat.postMessage" and params.get("thread_ts"):
            match = re.search(r"/img/(\d+)\.jpg", params.get("text", ""))
            if match:
                found.setdefault(int(match.group(1)), call["at"])
    return found


async def until_replied(
    client: aiohttp.ClientSession, calls_url: str, count: int, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while len(await replies(client, calls_url)) < count:
        if time.monotonic() > deadline:
            return  # the figures then show what was answered
        await asyncio.sleep(0.1)


async def one_run(
    requests: int, concurrency: int, bot_first: bool, profile: str | None = None
) -> Figures:
    fakes = Process(
        [sys.executable, "-m", "benchmarks.fakes", "0.3", "--stocked", str(3 * PRODUCTS_EACH)],
        {},
    )
    await fakes.start()
    assert fakes.proc and fakes.proc.stdout
    config = await fakes.first_line()
    bot_port, bare_port, floor_port, plain_port = free_port(), free_port(), free_port(), free_port()
    # Ecwid's 600 calls a minute would make 200 uploads (3 calls each) wait for the budget, and
    # the floor has no budget: the bot is told a larger one, to measure its own machinery.
    env = {**bot_env(config), "ECWID_RATE_LIMIT": "6000/60"}
    profiling = ["-m", "cProfile", "-o", profile] if profile else []
    bot = Process(
        [sys.executable, *profiling, "-m", "bot"], {**env, "PORT": str(bot_port)}, bot_port
    )
    bare = Process(
        [sys.executable, "benchmarks/bare_app.py"], {**env, "PORT": str(bare_port)}, bare_port
    )
    floor = Process(
        [sys.executable, "benchmarks/floor_app.py"],
        {**env, "PORT": str(floor_port), "FLOOR_UNDO": "1"},
        floor_port,
    )
    plain = Process(
        [sys.executable, "benchmarks/floor_app.py"],
        {**env, "PORT": str(plain_port), "FLOOR_UNDO": "0"},
        plain_port,
    )
    try:
        await bot.start()
        await bare.start()
        await floor.start()
        await plain.start()
        # aiohttp as the load generator: httpx's own overhead under 50 concurrent requests
        # measured larger than the apps' (p99 of seconds against the bare app).
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as client:
            base = config["image_base"]
            bot_load = Load(bot_port, config["response_url"], base)
            bare_load = Load(bare_port, config["response_url"], base)
            floor_load = Load(floor_port, config["response_url"], base, STOCKED_FIRST + 1000)
            plain_load = Load(plain_port, config["response_url"], base, STOCKED_FIRST + 2000)
            # Warm-up: connections, caches, first auth.test, first upload.
            warm = range(WARM_UP_BASE, WARM_UP_BASE + WARM_UP)
            await bot_load.fire(client, warm, concurrency)
            await bare_load.fire(client, warm, concurrency)
            await floor_load.fire(
                client, range(FLOOR_BASE + warm.start, FLOOR_BASE + warm.stop), concurrency
            )
            await plain_load.fire(
                client, range(PLAIN_BASE + warm.start, PLAIN_BASE + warm.stop), concurrency
            )
            await until_replied(client, config["slack_calls_url"], 3 * WARM_UP, 30)

            numbers = {
                "bot": range(requests),
                "floor": range(FLOOR_BASE, FLOOR_BASE + requests),
                "plain": range(PLAIN_BASE, PLAIN_BASE + requests),
            }
            order = [
                (bot_load, "bot"),
                (floor_load, "floor"),
                (plain_load, "plain"),
                (bare_load, "bare"),
            ]
            if not bot_first:
                order = [order[1], order[0], order[2], order[3]]
            measured: dict[str, dict[int, tuple[float, float]]] = {}
            expected = 3 * WARM_UP
            cpu_before = bot.cpu_seconds(), floor.cpu_seconds()
            for load, name in order:
                measured[name] = await load.fire(
                    client, numbers.get(name, range(requests)), concurrency
                )
                if name in numbers:  # one at a time: the two must not share the machine
                    expected += requests
                    await until_replied(client, config["slack_calls_url"], expected, 60)
            got = await replies(client, config["slack_calls_url"])
            async with client.get(config["ecwid_stats_url"]) as response:
                by_product = (await response.json())["calls_by_product"]
            peak_rss_mb = bot.peak_rss_mb()
            cpu_after = bot.cpu_seconds(), floor.cpu_seconds()
            # Stopped first: its uploads' work after the reply (Undo's) ends, and it logs what
            # its pool decoded; then the image host's reads are counted.
            await bot.stop()
            async with client.get(config["image_hits_url"]) as response:
                hits: dict[str, list[int]] = await response.json()
        ack = {
            name: [(a - s) * 1000 for s, a in times.values()] for name, times in measured.items()
        }
        e2e = [(got[n] - measured["bot"][n][0]) * 1000 for n in range(requests) if n in got]
        floor_e2e = [
            (got[n] - measured["floor"][n][0]) * 1000 for n in numbers["floor"] if n in got
        ]
        plain_e2e = [
            (got[n] - measured["plain"][n][0]) * 1000 for n in numbers["plain"] if n in got
        ]
        bot_calls = sum(by_product.get(str(STOCKED_FIRST + i), 0) for i in range(PRODUCTS_EACH))
        # The measured commands' new images (img/N.jpg: each read by its own upload only), and
        # the stocked images the bot's uploads replaced (current/P.jpg: one per product; the
        # warm-up's links the first uploads replace are left out, being new images too).
        new = [hits.get(f"img/{n}.jpg", [0, 0]) for n in range(requests)]
        uploads = requests + WARM_UP
        stocked = {bot_load.product(n) for n in [*warm, *range(requests)]}
        replaced = sum(hits.get(f"current/{p}.jpg", [0, 0])[0] for p in stocked)
        decoded = DECODES.findall(bot.said)
        full, reduced = (int(x) for x in decoded[-1]) if decoded else (0, 0)
        return Figures(
            bare_p50=percentile(ack["bare"], 50),
            bare_p99=percentile(ack["bare"], 99),
            bot_p50=percentile(ack["bot"], 50),
            bot_p99=percentile(ack["bot"], 99),
            e2e_p99=percentile(e2e, 99) if e2e else float("nan"),
            floor_e2e_p99=percentile(floor_e2e, 99) if floor_e2e else float("nan"),
            plain_e2e_p99=percentile(plain_e2e, 99) if plain_e2e else float("nan"),
            answered=len(e2e),
            peak_rss_mb=peak_rss_mb,
            ecwid_calls_per_upload=bot_calls / uploads,
            new_whole_per_upload=sum(w for w, _ in new) / requests,
            new_ranged_per_upload=sum(r for _, r in new) / requests,
            replaced_whole_per_upload=replaced / len(stocked),
            full_decodes_per_upload=full / uploads,
            reduced_decodes_per_upload=reduced / uploads,
            cpu_ms_per_upload=(cpu_after[0][0] - cpu_before[0][0]) / requests * 1000,
            pool_cpu_ms_per_upload=(cpu_after[0][1] - cpu_before[0][1]) / requests * 1000,
            floor_cpu_ms_per_upload=(cpu_after[1][0] - cpu_before[1][0]) / requests * 1000,
        )
    finally:
        await bot.stop()
        await bare.stop()
        await floor.stop()
        await plain.stop()
        await fakes.stop()


def show(label: str, f: Figures, requests: int) -> None:
    print(
        f"{label:>7}  ack p50/p99 bot {f.bot_p50:6.1f}/{f.bot_p99:6.1f} ms  "
        f"bare {f.bare_p50:6.1f}/{f.bare_p99:6.1f} ms  ratio {f.ratio:4.2f}  "
        f"e2e p99 bot {f.e2e_p99:5.0f} floor {f.floor_e2e_p99:5.0f} ms  ratio {f.e2e_ratio:4.2f}  "
        f"(floor without Undo {f.plain_e2e_p99:5.0f} ms)  "
        f"answered {f.answered}/{requests}  "
        f"Ecwid calls/upload {f.ecwid_calls_per_upload:4.2f}  "
        f"peak RSS {f.peak_rss_mb:5.1f} MB",
        flush=True,
    )
    print(
        f"{'':>7}  per upload: new image read whole {f.new_whole_per_upload:4.2f} (target 1), "
        f"its header (Range) {f.new_ranged_per_upload:4.2f}; "
        f"replaced image read whole {f.replaced_whole_per_upload:4.2f}; "
        f"decoded at full size {f.full_decodes_per_upload:4.2f} (target ≤ 1), "
        f"reduced {f.reduced_decodes_per_upload:4.2f}; "
        f"CPU {f.cpu_ms_per_upload:4.1f} ms (bot) + {f.pool_cpu_ms_per_upload:4.1f} ms (its pool), "
        f"floor {f.floor_cpu_ms_per_upload:4.1f} ms",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="run the bot under cProfile, to FILE")
    args = parser.parse_args()
    runs = []
    for n in range(args.runs):
        figures = await one_run(
            args.requests, args.concurrency, bot_first=n % 2 == 0, profile=args.profile
        )
        show(f"run {n + 1}", figures, args.requests)
        runs.append(figures)
    if len(runs) > 1:
        median = Figures(
            *(statistics.median(getattr(r, f) for r in runs) for f in Figures.__dataclass_fields__)
        )
        show("median", median, args.requests)
        acks = [r.ratio for r in runs]
        e2es = [r.e2e_ratio for r in runs]
        print(
            f"ack p99 ratio (bot / bare): median {statistics.median(acks):.2f}, "
            f"range {min(acks):.2f}–{max(acks):.2f}"
        )
        print(
            f"end-to-end p99 ratio (bot / floor): median {statistics.median(e2es):.2f}, "
            f"range {min(e2es):.2f}–{max(e2es):.2f}"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(main())
