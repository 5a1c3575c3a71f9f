"""Shortcuts: the global one opens the form; the message one prefills it with the message's link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.domain.grammar import products_named
from bot.domain.requests import Draft, ValidationError, check_image_url
from bot.slack import texts
from bot.slack.context import forms_of, runtime_of, store_of
from bot.slack.files import image_files
from bot.slack.requester import requester_of

GLOBAL_SHORTCUT = "upload_product_image"
MESSAGE_SHORTCUT = "use_as_product_image"
BULK_MESSAGE_SHORTCUT = "use_as_product_images"  # files named by SKU, as a bulk job
GALLERY_SHORTCUT = "manage_gallery"  # the gallery card of the product a message names

_LINK = re.compile(r"<(https://[^|>\s]+)(?:\|[^>]*)?>|(https://[^\s<>|]+)")
_IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif|hei[cf]|webp|avif|tiff?|bmp)$", re.IGNORECASE)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object inside a message's blocks or attachments, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _usable(link: str) -> str | None:
    try:
        return check_image_url(link.replace("&amp;", "&"))
    except ValidationError:
        return None


def image_link(message: dict[str, Any]) -> tuple[str | None, bool]:
    """The message's best link, and whether it is surely an image.

    Images first: `image` blocks and attachments' images, then links whose path ends in an image
    extension (in the text, rich-text link elements, attachments); a page link only as a last
    resort, and never silently (the caller says it may not be an image).
    """
    images: list[str] = []
    links: list[str] = []
    texts = [message.get("text") or ""]
    for node in _walk([message.get("blocks") or [], message.get("attachments") or []]):
        if node.get("type") == "image" and isinstance(node.get("image_url"), str):
            images.append(node["image_url"])
        if isinstance(node.get("image_url"), str) and node.get("type") != "image":
            images.append(node["image_url"])  # an attachment's image
        if node.get("type") == "link" and isinstance(node.get("url"), str):
            links.append(node["url"])
        for key in ("from_url", "title_link"):
            if isinstance(node.get(key), str):
                links.append(node[key])
        if isinstance(node.get("text"), str):
            texts.append(node["text"])
    for text in texts:
        links += [m.group(1) or m.group(2) for m in _LINK.finditer(text)]
    images += [link for link in links if _IMAGE_PATH.search(link.split("?")[0])]
    for candidates, is_image in ((images, True), (links, False)):
        for link in candidates:
            if usable := _usable(link):
                return usable, is_image
    return None, False


async def upload_product_image(
    ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    who = requester_of(shortcut, channel=None)
    await forms_of(context).open_upload_form(
        trigger_id=shortcut["trigger_id"], who=who, draft=Draft()
    )


async def use_as_product_image(
    ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    message = shortcut.get("message") or {}
    files = image_files(message.get("files"))
    link, is_image = image_link(message)
    who = requester_of(shortcut)
    if files:  # files take precedence over links in the text
        link, note = None, None
    elif link is None:
        note = "That message has no image or https:// link: paste the image's link below."
    elif not is_image:
        note = (
            "That message has no image, only the link below, which may be a web page: "
            "check it, or paste the image's own link."
        )
    else:
        note = None
    await forms_of(context).open_upload_form(
        trigger_id=shortcut["trigger_id"],
        who=who,
        draft=Draft(image_url=link, files=files),
        note=note,
    )


async def use_as_product_images(
    ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    message = shortcut.get("message") or {}
    files = image_files(message.get("files"))
    channel = (shortcut.get("channel") or {}).get("id")
    who = requester_of(shortcut, channel=channel)
    if not files:
        await runtime.notifier.tell(who, texts.bulk_no_files())
        return
    if not channel:
        await runtime.notifier.tell(who, texts.bulk_notice("not_posted"))
        return
    if not runtime.workers.accepting:
        await runtime.notifier.tell(who, texts.restarting())
        return
    runtime.workers.submit(lambda: runtime.bulk.plan_files(store, who, channel, files))


async def manage_gallery(
    ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    message = shortcut.get("message") or {}
    who = requester_of(shortcut)
    named = products_named(str(message.get("text") or ""))
    runtime.workers.submit(lambda: runtime.gallery.show_named(store, who, named))


def register(app: AsyncApp) -> None:
    app.shortcut(GLOBAL_SHORTCUT)(upload_product_image)
    app.shortcut(MESSAGE_SHORTCUT)(use_as_product_image)
    app.shortcut(BULK_MESSAGE_SHORTCUT)(use_as_product_images)
    app.shortcut(GALLERY_SHORTCUT)(manage_gallery)
