"""Shortcuts: the global one opens the form; the message one prefills it with the message's link."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.notify import Requester
from bot.open_form import open_upload_form
from bot.runtime import Runtime
from bot.upload_request import Draft, ValidationError, check_image_url

GLOBAL_SHORTCUT = "upload_product_image"
MESSAGE_SHORTCUT = "use_as_product_image"

_LINK = re.compile(r"<(https://[^|>\s]+)(?:\|[^>]*)?>|(https://[^\s<>|]+)")
_IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif)$", re.IGNORECASE)


def image_link(message: dict[str, Any]) -> str | None:
    """The message's best image link: one that looks like an image file first, else any https link."""
    texts = [message.get("text") or ""]
    for attachment in message.get("attachments") or []:
        texts += [attachment.get(k) or "" for k in ("image_url", "from_url", "title_link", "text")]
    links: list[str] = []
    for text in texts:
        for match in _LINK.finditer(text):
            link = (match.group(1) or match.group(2)).replace("&amp;", "&")
            try:
                links.append(check_image_url(link))
            except ValidationError:
                continue
    images = [link for link in links if _IMAGE_PATH.search(link.split("?")[0])]
    return (images or links or [None])[0]


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.shortcut(GLOBAL_SHORTCUT)
    async def upload_product_image(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        who = Requester(user_id=shortcut["user"]["id"], channel_id=None)
        await open_upload_form(runtime, trigger_id=shortcut["trigger_id"], who=who, draft=Draft())

    @app.shortcut(MESSAGE_SHORTCUT)
    async def use_as_product_image(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        link = image_link(shortcut.get("message") or {})
        who = Requester(
            user_id=shortcut["user"]["id"],
            channel_id=(shortcut.get("channel") or {}).get("id"),
            response_url=shortcut.get("response_url"),
        )
        note = None if link else "That message has no https:// link: paste the image's link below."
        await open_upload_form(
            runtime,
            trigger_id=shortcut["trigger_id"],
            who=who,
            draft=Draft(image_url=link),
            note=note,
        )
