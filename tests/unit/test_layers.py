"""The layers hold: each package imports only what its `__init__` allows, and the records a change
leaves are built in bot/changes/ alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"

# What each layer may import of the bot (its `__init__` says the same in words).
MAY_IMPORT = {
    "domain": set(),
    "ecwid": {"domain", "config"},
    "images": {"domain"},
    "jobs": {"domain"},
    "changes": {"domain", "ecwid", "images", "jobs"},
    "flows": {"domain", "ecwid", "images", "jobs", "changes", "tokens"},
}


def imports_of(path: Path) -> set[str]:
    """The bot's packages a module imports (`bot.ecwid.client` → `ecwid`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found |= {n.split(".")[1] for n in names if n.startswith("bot.") and n.count(".") >= 1}
    return found


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_a_layer_imports_only_what_it_may(layer: str) -> None:
    wrong = {
        f"{path.relative_to(BOT)} imports bot.{name}"
        for path in (BOT / layer).rglob("*.py")
        for name in imports_of(path) - MAY_IMPORT[layer] - {layer}
    }
    assert sorted(wrong) == []


def constructions(name: str) -> list[str]:
    """Every place outside bot/changes/ that calls `name(…)` itself."""
    places = []
    for path in sorted(BOT.rglob("*.py")):
        if path.is_relative_to(BOT / "changes"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                places.append(str(path.relative_to(BOT)))
    return places


def test_only_bot_changes_builds_history_entries() -> None:
    # bot/jobs/history.py reads them back from their rows.
    assert constructions("Change") == ["jobs/history.py"]


def test_undo_records_are_built_in_bot_changes_and_only_decoded_elsewhere() -> None:
    assert constructions("UndoRecord") == [
        "slack/views/upload_result.py",  # the Undo button's value, decoded
    ]


def apply_calls() -> list[str]:
    """Where `ChangeRunner.apply` is called (`….apply(change, …)`), by module."""
    places = []
    for path in sorted(BOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "apply"
                and isinstance(node.func.value, ast.Attribute | ast.Name)
                and "runner" in ast.unparse(node.func.value)
            ):
                places.append(str(path.relative_to(BOT)))
    return places


def test_every_way_in_meets_in_change_runner_apply() -> None:
    """A single upload (command, form, shortcut), a job's line (bulk, drop), the gallery card's
    edits and copies, an audit fix's alt texts, and every undo (a press, an undo job's line)
    apply their change through
    the one runner; no flow changes a slot around it."""
    assert apply_calls() == [
        "flows/bulk_run.py",  # a bulk or drop line
        "flows/bulk_run.py",  # an audit fix's alt-text line
        "flows/gallery.py",  # a card's move, delete, alt text
        "flows/gallery.py",  # a card's copy to variations
        "flows/undo.py",  # an undo, pressed or an undo job's line
        "flows/upload.py",  # a command, the form, a shortcut
    ]
    writes = (".upload_image", ".set_alt(", ".set_image_alt(", ".delete_shown(", ".delete_image(")
    writes += (".reorder(",)
    for path in sorted((BOT / "flows").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert not [w for w in writes if w in source], path.name


LISTENERS = sorted((BOT / "slack" / "listeners").glob("*.py"))


def module_functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


@pytest.mark.parametrize("path", LISTENERS, ids=lambda path: path.name)
def test_listeners_are_module_functions_registered_in_register(path: Path) -> None:
    """#35: a listener is a module-level function that reaches the runtime through its `context`
    (bot.slack.context.runtime_of); `register(app)` only hands it to Bolt, with no closure."""
    nested = [
        f"{path.name}: {node.name} inside {fn.name}"
        for fn in module_functions(path)
        if fn.name == "register"
        for node in ast.walk(fn)
        if isinstance(node, ast.AsyncFunctionDef)
    ]
    assert nested == []


@pytest.mark.parametrize("path", LISTENERS, ids=lambda path: path.name)
def test_listener_modules_functions_are_short(path: Path) -> None:
    long = {
        f"{path.name}: {fn.name}": fn.end_lineno - fn.lineno + 1
        for fn in module_functions(path)
        if fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 >= 60
    }
    assert long == {}


def flows_imported_by(module: str) -> set[str]:
    """The modules of bot.flows that a flow module imports."""
    tree = ast.parse((BOT / "flows" / f"{module}.py").read_text(encoding="utf-8"))
    return {
        node.module.removeprefix("bot.flows.")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.flows.")
    }


def test_flows_take_narrow_collaborators_not_sibling_flows() -> None:
    """The drop zone plans through `FilesPlanner`, an undo job through `LineUndoer`; bulk jobs
    still take the upload flow until ChangeRunner replaces it (#35)."""
    assert "bulk" not in flows_imported_by("drops")
    assert "undo" not in flows_imported_by("bulk") | flows_imported_by("bulk_run")


STORE_PARTS = {"EcwidClient", "StoreInfo", "ChangeRunner", "StoreContext", "ImageSources"}
# Built for one request or one job, with that store's context (not at start-up).
PER_CALL = {"JobRun", "ProductSearch", "Relay"}


def test_no_flow_captures_a_store_at_start_up() -> None:
    """A flow is handed its store's context per request or per job (bot.changes.context), so
    a second store has a place: none built at start-up takes the Ecwid client, the catalog or
    the runner. (`Stores`, the registry, is how a job's and a drop's store is looked up.)"""
    captured = []
    for path in sorted((BOT / "flows").glob("*.py")):
        for cls in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(cls, ast.ClassDef) or cls.name in PER_CALL:
                continue
            for node in cls.body:
                if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                    for argument in node.args.args + node.args.kwonlyargs:
                        named = ast.unparse(argument.annotation) if argument.annotation else ""
                        if set(named.replace("|", " ").split()) & STORE_PARTS:
                            captured.append(f"{cls.name}: {argument.arg}: {named}")
    assert captured == []


PAYLOAD_KINDS = (
    "block_actions",
    "view_submission",
    "shortcut",
    "message_action",
    "block_suggestion",
    "event_callback",
)


def test_each_kind_of_slack_payload_has_one_builder_in_the_tests() -> None:
    """A payload shaped once, as Slack sends it (tests/slack_requests.py): a change to its
    shape is made in one place, not in every test that presses something."""
    tests = BOT.parent / "tests"
    built = [
        f"{path.relative_to(tests)}: {kind}"
        for path in sorted(tests.rglob("*.py"))
        if path.name != "slack_requests.py" and "fixtures" not in path.parts
        for kind in PAYLOAD_KINDS
        if f'"type": "{kind}"' in path.read_text(encoding="utf-8")
    ]
    assert built == []


# Calls whose text no user reads: the log, and errors that mean a bug in the bot.
_UNREAD_CALLS = {"debug", "info", "warning", "error", "exception", "TypeError", "AssertionError"}


def _sentences(path: Path) -> list[str]:
    """The sentences a module writes itself (three words or more, starting with a capital),
    leaving out docstrings, the log and programming errors."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if isinstance(parents.get(node), ast.JoinedStr | ast.Expr):
                continue  # a piece of an f-string, or a docstring
        else:
            continue
        above, unread = parents.get(node), False
        while above is not None and not unread:
            if isinstance(above, ast.Call):
                func = above.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                unread = name in _UNREAD_CALLS
            above = parents.get(above)
        if not unread and len(text.split()) >= 3 and text[:1].isupper():
            found.append(f"{path.relative_to(BOT)}:{node.lineno}: {text[:60]}")
    return found


def test_flows_and_changes_write_no_sentence_of_their_own() -> None:
    """What a person reads comes from bot.domain.texts (and is shown by bot.slack.texts)."""
    modules = sorted([*(BOT / "flows").glob("*.py"), *(BOT / "changes").glob("*.py")])
    assert [s for path in modules for s in _sentences(path)] == []
