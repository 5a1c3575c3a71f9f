"""Who sent a Slack payload, and where they can be answered: the one place a `Requester` is
made from what Slack sends (a command, a shortcut, a button, a form)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bot.domain.requests import Requester


class _FromPayload:
    """The channel the payload itself names (the default)."""


FROM_PAYLOAD: Final = _FromPayload()


def user_of(body: Mapping[str, Any]) -> str | None:
    """A command names `user_id`; interactions name `user.id`."""
    return body.get("user_id") or (body.get("user") or {}).get("id")


def channel_of(body: Mapping[str, Any]) -> str | None:
    """A command's `channel_id`, a message button's container, or an interaction's `channel`."""
    return (
        body.get("channel_id")
        or (body.get("container") or {}).get("channel_id")
        or (body.get("channel") or {}).get("id")
    )


def requester_of(
    body: Mapping[str, Any],
    *,
    channel: str | _FromPayload | None = FROM_PAYLOAD,
    answer_by_url: bool = True,
) -> Requester:
    """The person, the channel the result goes to (`channel`: a form's chosen one, a card's, or
    None for none), and the payload's `response_url` to answer them privately (not where an
    answer must not replace or follow the pressed message: `answer_by_url=False`)."""
    user = user_of(body)
    if not user:
        raise ValueError("a payload with no user")
    return Requester(
        user_id=str(user),
        channel_id=channel_of(body) if isinstance(channel, _FromPayload) else channel,
        response_url=body.get("response_url") if answer_by_url else None,
    )
