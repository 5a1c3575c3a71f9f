"""Who sent a payload: one function reads it from every kind Slack sends."""

from __future__ import annotations

import pytest

from bot.domain.requests import Requester
from bot.slack.requester import requester_of

URL = "https://hooks.slack.com/commands/T1/1/abc"


def test_a_command_names_its_user_and_channel_at_the_top() -> None:
    body = {"user_id": "U1", "channel_id": "C1", "response_url": URL, "text": "help"}
    assert requester_of(body) == Requester("U1", "C1", URL)


def test_a_button_in_a_message_is_answered_where_it_was_pressed() -> None:
    body = {
        "user": {"id": "U1"},
        "container": {"type": "message", "channel_id": "C2", "message_ts": "1.2"},
        "channel": {"id": "C2"},
        "response_url": URL,
    }
    assert requester_of(body) == Requester("U1", "C2", URL)
    # A refusal under a gallery card must not go by the card's response_url.
    assert requester_of(body, answer_by_url=False) == Requester("U1", "C2", None)


def test_a_form_or_the_home_tab_names_the_channel_chosen_or_none() -> None:
    submission = {"user": {"id": "U1"}, "view": {"id": "V1"}}
    assert requester_of(submission, channel="C9") == Requester("U1", "C9")
    home = {"user": {"id": "U1"}, "container": {"type": "view", "view_id": "V2"}}
    assert requester_of(home) == Requester("U1", None)
    assert requester_of({**home, "channel": {"id": "C3"}}, channel=None) == Requester("U1", None)


def test_a_payload_with_no_user_is_refused() -> None:
    with pytest.raises(ValueError, match="no user"):
        requester_of({"channel_id": "C1"})
