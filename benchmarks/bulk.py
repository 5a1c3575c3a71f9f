"""Bulk benchmark: a job of 1,000 lines against the loopback Ecwid with its rate limit on.

    .venv/bin/python benchmarks/bulk.py [--lines 1000] [--rate 100/1] [--runs 1] [--by-sku] [--catalog 0]
        [--spread 0]

Starts the loopback Slack, Ecwid and image host from tests/ (Ecwid answering 429 past the
limit, counted as strictly as a sliding window can be; each upload answered after 50 ms), and
the bot as users run it (`python -m bot`, HTTP mode, told the same limit with ECWID_RATE_LIMIT).
The limit is scaled from Ecwid's 600 a minute to 100 a second by default, so that a run takes
seconds, not minutes. It submits the bulk form with a CSV of a line per product, presses Start
once the plan is shown, and waits for the report. It prints:

- images a minute while the job ran (first upload to last) as a share of the most the limit
  allows (every line is one call: an upload by link with its size and alt text; the slots are
  read for Undo a batch of 32 lines a call, and a product's further lines read theirs);
- the lines that failed on a 429, from the job's own report, and how many 429s Ecwid answered;
- the bot's peak resident memory;
- the bot's CPU per line while the job ran, and the ack p99 of another user's commands sent
  while it ran, beside the idle p99 (`--spread K` puts the lines over K products);
- with BULK_PROFILE=FILE in the environment, the bot runs under cProfile, writing FILE;
- the look-up calls the job's plan took (`--by-sku` names products by SKU; `--catalog N` puts N
  products in the store, so that the choice between a search per SKU and paging the catalog
  shows).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, as burst.py
from benchmarks.burst import SECRET, Process, bot_env, free_port, percentile
from bot.slack.texts import PLAN_CSV_TITLE  # a long plan uploads its CSV file too
from tests.fakes.slack_api import BOT_TOKEN  # the token the fake serves its files for


def _signed(body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


async def _interaction(client: aiohttp.ClientSession, url: str, payload: dict[str, object]) -> None:
    body = urlencode({"payload": json.dumps(payload)})
    async with client.post(url, data=body, headers=_signed(body)) as response:
        assert response.status == 200, await response.text()


async def _slack_calls(client: aiohttp.ClientSession, url: str) -> list[dict[str, object]]:
    async with client.get(url) as response:
        return list(await response.json())


def start_press(job_id: str, ts: str) -> dict[str, object]:
    """Start pressed on a plan's message, as Slack sends it (block_actions)."""
    return {
        "type": "block_actions",
        "user": {"id": "U123", "username": "merch", "team_id": "T1"},
        "team": {"id": "T1", "domain": "shop"},
        "api_app_id": "A1",
        "container": {"type": "message", "message_ts": ts, "channel_id": "C123"},
        "channel": {"id": "C123", "name": "catalog"},
        "message": {"type": "message", "ts": ts, "text": ""},
        "actions": [{"type": "button", "action_id": "bulk_start", "value": job_id}],
    }


def bulk_form_submission(csv_file: object) -> dict[str, object]:
    """The bulk form submitted with a CSV file shared in Slack, as Slack sends it."""
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "shop"},
        "user": {"id": "U123", "username": "merch", "team_id": "T1"},
        "api_app_id": "A1",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "ecwid_bulk_upload",
            "private_metadata": "",
            "state": {
                "values": {
                    "lines": {"lines": {"type": "plain_text_input", "value": None}},
                    "csv_file": {"csv_file": {"type": "file_input", "files": [csv_file]}},
                    "channel": {
                        "channel": {
                            "type": "conversations_select",
                            "selected_conversation": "C123",
                        }
                    },
                }
            },
        },
    }


async def _ack(client: aiohttp.ClientSession, url: str) -> float:
    """One `/ecwid-image help` from another user: seconds until it was acked."""
    body = urlencode(
        {
            "command": "/ecwid-image",
            "text": "help",
            "user_id": "U0OTHER",
            "channel_id": "C9",
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "1.2.3",
        }
    )
    started = time.monotonic()
    async with client.post(url, data=body, headers=_signed(body)) as response:
        await response.read()
        assert response.status == 200
    return time.monotonic() - started


def _cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_run(
    lines: int, rate: str, *, by_sku: bool, catalog: int, spread: int
) -> dict[str, float]:
    fakes = Process(
        [
            sys.executable,
            "-m",
            "benchmarks.fakes",
            "0.05",
            "--products",
            str(lines),
            "--rate",
            rate,
            "--catalog",
            str(catalog),
            "--spread",
            str(spread),
            *(["--by-sku"] if by_sku else []),
        ],
        {},
    )
    await fakes.start()
    assert fakes.proc and fakes.proc.stdout
    config = await fakes.first_line()
    port = free_port()
    bot = Process(
        [
            sys.executable,
            *(
                ["-m", "cProfile", "-o", os.environ["BULK_PROFILE"]]
                if os.environ.get("BULK_PROFILE")
                else []
            ),
            "-m",
            "bot",
        ],
        {
            **bot_env(config, BOT_TOKEN),
            "ECWID_RATE_LIMIT": rate,
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
        },
        port,
    )
    events = f"http://127.0.0.1:{port}/slack/events"
    try:
        await bot.start()
        async with aiohttp.ClientSession() as client:
            idle_acks = [await _ack(client, events) for _ in range(50)]
            submission = bulk_form_submission(config["csv_file"])
            await _interaction(client, events, submission)
            plan_started = time.monotonic()
            job_id = ts = None
            while job_id is None:
                await asyncio.sleep(0.2)
                for call in await _slack_calls(client, config["slack_calls_url"]):
                    params = call["params"]
                    assert isinstance(params, dict)
                    blocks = params.get("blocks") or []
                    for block in blocks if isinstance(blocks, list) else []:
                        for element in block.get("elements") or []:
                            if element.get("action_id") == "bulk_start":
                                job_id, ts = element["value"], params["ts"]
                if time.monotonic() - plan_started > 120:
                    said = [
                        c["params"].get("text")  # type: ignore[union-attr]
                        for c in await _slack_calls(client, config["slack_calls_url"])
                    ]
                    raise RuntimeError(f"no plan within 2 minutes; the bot said {said}")
            planned_in = time.monotonic() - plan_started
            press = start_press(job_id, ts)
            assert bot.proc is not None
            cpu_before = _cpu_seconds(bot.proc.pid)
            await _interaction(client, events, press)
            busy_acks: list[float] = []
            report = None
            while report is None:
                for _ in range(10):  # another user's commands while the job runs
                    busy_acks.append(await _ack(client, events))
                    await asyncio.sleep(0.05)
                for call in await _slack_calls(client, config["slack_calls_url"]):
                    # The job's report (a long plan's CSV file is uploaded too, titled so).
                    if call["method"] == "files.completeUploadExternal" and (
                        PLAN_CSV_TITLE not in json.dumps(call["params"].get("files"))
                    ):
                        answer = call["answer"]
                        assert isinstance(answer, dict)
                        report = answer["files"][0]["url_private_download"]
            cpu_used = _cpu_seconds(bot.proc.pid) - cpu_before
            async with client.get(report, headers={"Authorization": f"Bearer {BOT_TOKEN}"}) as r:
                rows = list(csv.DictReader(io.StringIO((await r.read()).decode("utf-8-sig"))))
            async with client.get(config["ecwid_stats_url"]) as r:
                stats = await r.json()
        peak = bot.peak_rss_mb()
    finally:
        await bot.stop()
        await fakes.stop()
    uploads = sorted(stats["uploads"])
    calls, seconds = rate.split("/")
    most_per_minute = int(calls) / float(seconds) * 60
    # n uploads span n-1 gaps; the first window's burst is not counted as speed.
    per_minute = (len(uploads) - 1) / (uploads[-1] - uploads[0]) * 60
    lost = sum(r["outcome"] == "failed" and "rate" in r["reason"].lower() for r in rows)
    return {
        "planned_s": planned_in,
        "uploaded": sum(r["outcome"] == "uploaded" for r in rows),
        "per_minute": per_minute,
        "share": per_minute / most_per_minute,
        "lost_to_429": lost,
        "answered_429": stats["rate_limited"],
        "peak_rss_mb": peak,
        "plan_sku_searches": stats["plan_sku_searches"],
        "plan_catalog_pages": stats["plan_catalog_pages"],
        "plan_other_lookups": stats["plan_other_lookups"],
        # All the bot's CPU while the job ran (the event loop's and the rest), per line.
        "cpu_ms_per_line": cpu_used / lines * 1000,
        "idle_ack_p99": percentile(idle_acks, 99),
        "busy_ack_p99": percentile(busy_acks, 99),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--rate", default="100/1", help="Ecwid's limit, CALLS/SECONDS")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--by-sku", action="store_true", help="lines name products by SKU")
    parser.add_argument("--catalog", type=int, default=0, help="products in the store in all")
    parser.add_argument("--spread", type=int, default=0, help="the lines over so many products")
    options = parser.parse_args()
    runs = []
    for n in range(options.runs):
        figures = await one_run(
            options.lines,
            options.rate,
            by_sku=options.by_sku,
            catalog=options.catalog,
            spread=options.spread,
        )
        runs.append(figures)
        print(
            f"run {n + 1}: {figures['uploaded']:.0f}/{options.lines} uploaded; "
            f"{figures['per_minute']:,.0f} images a minute = {figures['share']:.1%} of the "
            f"limit's most ({options.rate}); lines lost to 429: {figures['lost_to_429']:.0f} "
            f"(429s answered: {figures['answered_429']:.0f}); plan shown after "
            f"{figures['planned_s']:.1f} s; peak RSS {figures['peak_rss_mb']:.0f} MB; "
            f"the plan's look-ups: {figures['plan_sku_searches']:.0f} SKU searches, "
            f"{figures['plan_catalog_pages']:.0f} catalog pages, "
            f"{figures['plan_other_lookups']:.0f} by id; CPU {figures['cpu_ms_per_line']:.2f} ms a "
            f"line; ack p99 while it ran {figures['busy_ack_p99'] * 1000:.0f} ms, idle "
            f"{figures['idle_ack_p99'] * 1000:.0f} ms "
            f"(ratio {figures['busy_ack_p99'] / figures['idle_ack_p99']:.2f})",
            flush=True,
        )
    if len(runs) > 1:
        shares = [r["share"] for r in runs]
        print(
            f"median share {statistics.median(shares):.1%} "
            f"(range {min(shares):.1%}–{max(shares):.1%}); "
            f"lines lost to 429 in all: {sum(r['lost_to_429'] for r in runs):.0f}; "
            f"peak RSS at most {max(r['peak_rss_mb'] for r in runs):.0f} MB"
        )


if __name__ == "__main__":
    asyncio.run(main())
