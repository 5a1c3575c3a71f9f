"""The README and docs/ say what the code does: their settings are the code's, their links and
pictures exist, their shell blocks are marked (tests/doc_blocks.py; the commands are run by
tests/process/test_doc_commands.py), and the README stays short enough to follow."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.doc_blocks import MARKERS, PAGES, README, VENV_BIN, commands, shell_blocks
from tests.processes import ROOT


def ci_script() -> str:
    return (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_shell_block_is_marked_runnable_or_illustrative() -> None:
    blocks = shell_blocks()
    assert blocks, "no shell block found: the docs lost their commands"
    unmarked = [str(c) for c in blocks if c.marker not in MARKERS]
    assert unmarked == [], f"mark each with one of {MARKERS}"


def test_the_readme_has_the_two_commands_and_its_test_command_is_what_ci_runs() -> None:
    readme = [c for c in shell_blocks() if c.page == README]
    tests = [c.text for c in readme if c.marker == "runnable: ci"]
    serves = [c.text for c in readme if c.marker == "runnable: serves"]
    assert len(tests) == 1 and len(serves) == 1
    assert tests[0] in ci_script().splitlines()


def test_the_readme_set_up_command_installs_as_ci_does() -> None:
    """Its steps before `python -m bot` are CI's own, but for the test tools (`[dev]`): CI runs
    them on a fresh clone, so they are not run again here (that would reach the package index)."""
    (serves,) = [c.text for c in commands("runnable: serves") if c.page == README]
    *install, run = serves.split(" && ")
    assert run == f"{VENV_BIN}python -m bot"
    (tests,) = [c.text for c in commands("runnable: ci") if c.page == README]
    assert " && ".join(install) == tests.rsplit(" && ", 1)[0].replace("-e '.[dev]'", "-e .")


# --- settings ---------------------------------------------------------------------------------

# How bot/config.py reads a variable: _Env's methods, and `get` on its values.
READERS = {"text", "url", "number", "ids", "flag", "get"}


def settings_in_code() -> dict[str, str | None]:
    """Every variable bot/config.py reads (in any function), with its default where the call
    names one."""
    tree = ast.parse((ROOT / "bot" / "config.py").read_text(encoding="utf-8"))
    # `number("IMAGE_MAX_SIDE", …) if env.values.get("IMAGE_MAX_SIDE") else 0`: read only when
    # set, so the default there is no default.
    only_when_set = {id(n.body) for n in ast.walk(tree) if isinstance(n, ast.IfExp)}
    found: dict[str, str | None] = {}
    for node in ast.walk(tree):
        name = default = None
        if isinstance(node, ast.Call):
            called = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if called in READERS and args and isinstance(args[0], str):
                name = args[0]
                if called in {"url", "number"} and id(node) not in only_when_set:
                    default = args[1]
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            name = node.slice.value if isinstance(node.slice.value, str) else None
        if name and re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", name):
            found[name] = found.get(name) or default
    return found


def test_settings_are_found_in_the_code() -> None:
    found = settings_in_code()
    assert {"SLACK_BOT_TOKEN", "ECWID_TOKEN", "DATABASE_URL", "FILENAME_PATTERN"} <= set(found)
    assert found["ECWID_TIMEOUT_SECONDS"] == "10" and found["PORT"] == "3000"


def documented_settings() -> dict[str, str]:
    """docs/configuration.md's table: the variable (first column) → its row."""
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "| variable | default | meaning |" in page  # the columns read below
    return {m[1]: m[0] for m in re.finditer(r"^\| `([A-Z][A-Z0-9_]+)` \|.*$", page, re.M)}


def test_every_setting_the_code_reads_is_documented_with_its_default() -> None:
    code, documented = settings_in_code(), documented_settings()
    assert sorted(documented) == sorted(code)
    for name, default in code.items():
        if default is not None:
            default_cell = documented[name].split("|")[2]  # | variable | default | meaning |
            assert f"`{default}`" in default_cell, f"{name}: the default is {default}"


def test_env_example_lists_every_setting_with_its_default() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=(.*)$", example, re.M))
    code = settings_in_code()
    assert sorted(listed) == sorted(code)
    for name, default in code.items():
        if default is not None:
            assert listed[name] == default, f"{name}: .env.example says {listed[name]!r}"


# --- links, pictures, length ------------------------------------------------------------------


def test_every_relative_link_and_picture_exists() -> None:
    missing = []
    for page in PAGES:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            path = target.split("#", 1)[0]
            if path and not re.match(r"[a-z]+:", path) and not (page.parent / path).exists():
                missing.append(f"{page.relative_to(ROOT)} → {target}")
    assert missing == []


def test_the_readme_shows_pictures_and_stays_short() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert len(re.findall(r"!\[[^\]]+\]\(docs/images/[\w-]+\.png\)", text)) >= 2
    assert "not screenshots of Slack" in text


def usage_lines(script: Path) -> list[str]:
    """The docstring's usage lines, each with the lines of `[--flags]` that continue it."""
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    usage: list[str] = []
    for line in doc.splitlines():
        if f"benchmarks/{script.name} " in line:
            usage.append(line)
        elif usage and line.strip().startswith("[--"):
            usage[-1] += " " + line.strip()
    return usage


# The scripts people run (the others are pieces they start, such as benchmarks/fakes.py).
BENCHMARKS = [p for p in sorted((ROOT / "benchmarks").glob("*.py")) if usage_lines(p)]


def argparse_defaults(script: Path) -> dict[str, str | None]:
    """`--flag` → its default as written in the script's `add_argument` (None: a switch)."""
    flags: dict[str, str | None] = {}
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            names = [a.value for a in node.args if isinstance(a, ast.Constant)]
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            for name in names:
                if isinstance(name, str) and name.startswith("--"):
                    flags[name] = ast.literal_eval(default) if default is not None else None
    return {k: None if v is None else str(v) for k, v in flags.items()}


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_a_benchmarks_usage_line_shows_its_real_flags_and_defaults(script: Path) -> None:
    """`[--runs 1]` in a docstring's usage line is the flag and the default its code has
    (`[--profile FILE]`: a value in capitals names what to give, for a flag with no default)."""
    code = argparse_defaults(script)
    shown = re.findall(r"\[(--[\w-]+)(?: ([^\]]+))?\]", " ".join(usage_lines(script)))
    assert {flag for flag, _ in shown} == set(code), f"{script.name}: flags {sorted(code)}"
    for flag, value in shown:
        documented = None if not value or value.isupper() else value
        assert documented == code[flag], f"{script.name}: {flag} defaults to {code[flag]}"


def test_the_benchmarks_say_how_to_run_them() -> None:
    assert len(BENCHMARKS) >= 6
