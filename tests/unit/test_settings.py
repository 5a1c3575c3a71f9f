"""A workspace's settings as its App Home form gives them (#38, part 5): read and checked, each
problem said under its own field, the naming rules compiled as the bulk engine reads names."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.bulk import DEFAULT_VIEWS, read_name
from bot.domain.settings import AccessLists, Naming, SettingError, WorkspaceSettings, naming
from bot.slack.views import settings_form
from bot.slack.views.settings_form import FieldError, read_settings, read_store_naming


def _view(metadata: str = "", **fields: Any) -> dict[str, Any]:
    values = {block: {block: state} for block, state in fields.items()}
    return {"private_metadata": metadata, "state": {"values": values}}


def _typed(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def test_the_form_gives_the_lists_the_channels_and_the_naming() -> None:
    view = _view(
        allowed_users={"selected_users": ["U0ANNA", "W0GRID"]},
        allowed_usergroups=_typed("S0ONE, S0TWO  S0ONE"),
        allowed_channels={"selected_conversations": ["C0CATALOG", "G0PRIVATE"]},
        watch_channels={"selected_conversations": ["C0DROPS"]},
        filename_pattern=_typed(r" (?P<sku>[A-Z]+-\d+)~(?P<n>\d+) "),
        filename_views=_typed("Front, back"),
    )
    assert read_settings(view) == WorkspaceSettings(
        access=AccessLists(
            users=frozenset({"U0ANNA", "W0GRID"}),
            usergroups=frozenset({"S0ONE", "S0TWO"}),
            channels=frozenset({"C0CATALOG", "G0PRIVATE"}),
        ),
        watch_channels=frozenset({"C0DROPS"}),
        naming=Naming(r"(?P<sku>[A-Z]+-\d+)~(?P<n>\d+)", ("front", "back")),
    )
    # An empty form: no lists, the deployment's naming.
    assert read_settings(_view()) == WorkspaceSettings()


@pytest.mark.parametrize(
    ("fields", "block", "said"),
    [
        (
            {"allowed_usergroups": _typed("buyers")},
            "allowed_usergroups",
            "User groups must be Slack ids starting with S, e.g. S0123ABCD",
        ),
        (
            {"allowed_usergroups": _typed(" ".join(f"S{n:04d}" for n in range(101)))},
            "allowed_usergroups",
            "User groups: at most 100 ids",
        ),
        (
            {"allowed_channels": {"selected_conversations": ["D0DIRECT"]}},
            "allowed_channels",
            "The choices must be Slack ids starting with C or G, e.g. CG0123ABCD",
        ),
        (
            {"filename_pattern": _typed("(?P<sku>[A-Z]+")},
            "filename_pattern",
            "The file name pattern cannot be used: it is not a regular expression",
        ),
        (
            {"filename_pattern": _typed("(?P<sku>X)(?P<n>1)(?P<view>a)")},
            "filename_pattern",
            "The file name pattern cannot be used: give it a group `n` or a group `view`",
        ),
        (
            {"filename_views": _typed("front,back-left")},
            "filename_views",
            "The views must be up to 20 comma-separated words",
        ),
    ],
    ids=["group-name", "too-many-groups", "a-dm", "no-regex", "n-and-view", "views"],
)
def test_each_problem_is_said_under_its_own_field(
    fields: dict[str, Any], block: str, said: str
) -> None:
    with pytest.raises(FieldError) as problem:
        read_settings(_view(**fields))
    assert problem.value.block == block
    assert problem.value.text.startswith(said)


def test_a_stores_form_names_its_store_and_empty_means_the_workspaces_rules() -> None:
    rules = _typed(r"(?P<sku>\w+)@(?P<n>\d)")
    assert read_store_naming(_view("1003", filename_pattern=rules)) == (
        1003,
        Naming(r"(?P<sku>\w+)@(?P<n>\d)", DEFAULT_VIEWS),
    )
    assert read_store_naming(_view("1003", filename_pattern=_typed("  "))) == (1003, None)
    assert read_store_naming(_view("../1003")) == (None, None)


def test_saved_rules_read_names_as_the_environments_do() -> None:
    rules = naming(r"(?P<sku>BULK-[0-9]+)~(?P<n>[0-9]+)", "front,back").rules()
    (first, *_) = read_name("BULK-12~3", rules)
    assert (first.sku, first.target, first.place, first.how) == (
        "BULK-12",
        "gallery",
        3,
        "FILENAME_PATTERN",
    )
    # The views are the saved ones, in their order: "back" is the second.
    (back, *_) = (r for r in read_name("BULK-12-back", rules) if r.sku == "BULK-12")
    (front, *_) = (r for r in read_name("BULK-12-front", rules) if r.sku == "BULK-12")
    assert front.place < back.place
    with pytest.raises(SettingError, match="longer than 300"):
        naming("x" * 301, None)


def test_the_forms_show_what_was_saved() -> None:
    saved = WorkspaceSettings(
        AccessLists(frozenset({"U0ANNA"}), frozenset({"S0ONE"}), frozenset({"C0CATALOG"})),
        frozenset({"C0DROPS"}),
        Naming("(?P<sku>X)", ("front",)),
    )
    blocks = {
        b["block_id"]: b["element"] for b in settings_form.settings_modal(saved).to_dict()["blocks"]
    }
    assert blocks["allowed_users"]["initial_users"] == ["U0ANNA"]
    assert blocks["allowed_usergroups"]["initial_value"] == "S0ONE"
    assert blocks["allowed_channels"]["initial_conversations"] == ["C0CATALOG"]
    assert blocks["watch_channels"]["initial_conversations"] == ["C0DROPS"]
    assert blocks["filename_pattern"]["initial_value"] == "(?P<sku>X)"
    assert blocks["filename_views"]["initial_value"] == "front"
    assert read_settings(_echo(settings_form.settings_modal(saved).to_dict())) == saved


def _echo(view: dict[str, Any]) -> dict[str, Any]:
    """The form submitted as it was opened: each field's initial value sent back."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block["element"]
        if "initial_users" in element:
            state = {"selected_users": element["initial_users"]}
        elif element["type"] == "multi_conversations_select":
            state = {"selected_conversations": element.get("initial_conversations", [])}
        else:
            state = {"value": element.get("initial_value")}
        values[block["block_id"]] = {block["block_id"]: state}
    return {"state": {"values": values}}
