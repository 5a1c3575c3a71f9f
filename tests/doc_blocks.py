"""The shell blocks of README.md and docs/, for the tests that check them (tests/unit/test_docs.py)
and run them (tests/process/test_doc_commands.py).

Every shell block in README.md and docs/ is marked on the line before it:
- `<!-- runnable -->`: run here, from the repo root, offline; it must exit 0;
- `<!-- runnable: ci -->`: README's test command, which CI runs verbatim (.ci/run);
- `<!-- runnable: serves -->`: README's set-up-and-run command: its install steps are CI's own,
  and the bot it starts is started here against the loopback fakes, up to /healthz and SIGTERM;
- `<!-- illustrative -->`: not run (it needs real tokens, Heroku, a long time); listed by
  `test_illustrative_commands_are_listed`, and a benchmark's flags are checked against its code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.processes import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").rglob("*.md"))
PAGES = [README, *DOCS]
MARKERS = ("runnable", "runnable: ci", "runnable: serves", "illustrative")
VENV_BIN = ".venv/bin/"


@dataclass(frozen=True)
class Command:
    page: Path
    marker: str
    text: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}: {self.text}"


def shell_blocks() -> list[Command]:
    """Every shell block of the README and docs/, with the marker on the line before it."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in re.finditer(
            r"(?P<before>[^\n]*)\n```(?:sh|bash|shell|console)\n(.*?)\n```", text, re.S
        ):
            marker = re.fullmatch(r"<!-- (.+?) -->", block["before"].strip())
            found.append(Command(page, marker[1] if marker else "", block[2].strip()))
    return found


def commands(marker: str) -> list[Command]:
    return [c for c in shell_blocks() if c.marker == marker]
