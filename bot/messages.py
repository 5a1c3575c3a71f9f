"""Every text the bot shows in Slack. Text from users or Ecwid is escaped here, and only here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot import form
from bot.command import EXAMPLE, USAGE
from bot.ecwid import AmbiguousSku, Product, StoreLanguages, UploadResult
from bot.errors import UserFacingError
from bot.probe import ImageInfo
from bot.upload_request import MAX_ALT_LENGTH, MAX_SIDE, Draft, Size, UploadRequest

MAX_QUOTED = 200  # characters of outside text shown at most
_WHITESPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """Make untrusted text inert in mrkdwn: no live mentions, links or `<!channel>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """Text from outside (Ecwid, an image host) as inline code: no bold, no links, one line.

    Backticks would end the code span early, so they become a look-alike.
    """
    flat = _WHITESPACE.sub(" ", text).strip().replace("`", "\u02cb")
    if len(flat) > MAX_QUOTED:
        flat = flat[: MAX_QUOTED - 1] + "…"
    return f"`{escape(flat)}`" if flat else "(none)"


def problem(error: UserFacingError) -> str:
    """A problem as the user reads it in Slack: our words escaped, anyone else's quoted as code."""
    text = escape(error.message)
    if isinstance(error, AmbiguousSku):
        choices = "\n".join(f"• {_product(p)}" for p in error.candidates)
        return f"{text}\n{choices}"
    if error.quoted is not None:
        text += f" {escape(error.quoted_by)} said: {code(error.quoted)}"
    return text


def problems(errors: Iterable[UserFacingError]) -> str:
    return " ".join(problem(e) for e in errors)


def usage() -> str:
    return (
        "*Replace a product's main image in Ecwid*\n"
        f"`{escape(USAGE)}`\n"
        f"For example: `{escape(EXAMPLE)}`\n"
        "PRODUCT is the product id or `sku:` and its SKU. The link must be https:// (JPG, PNG or "
        "GIF); leave out the size to have it read from the image. `/ecwid-image` alone opens a form."
    )


def input_error(error: UserFacingError) -> str:
    return f":warning: {problem(error)}\nUsage: `{escape(USAGE)}`"


def _product(product: Product) -> str:
    """Names and SKUs are Ecwid's text: shown as code, so that they never become formatting."""
    sku = f" · SKU {code(product.sku)}" if product.sku else ""
    name = code(product.name) if product.name.strip() else "(no name)"
    return f"{name} (#{product.id}{sku})"


def _link(url: str) -> str:
    return f"<{escape(url)}|{escape(url)}>"


def parent_pending(user_id: str, product: Product) -> str:
    return (
        f":hourglass_flowing_sand: <@{escape(user_id)}> is replacing the main image of "
        f"{_product(product)}…"
    )


def parent_finished(user_id: str, product: Product, *, ok: bool) -> str:
    if ok:
        return f":white_check_mark: <@{escape(user_id)}> replaced the main image of {_product(product)}."
    return (
        f":x: <@{escape(user_id)}> tried to replace the main image of {_product(product)}, "
        "but it failed (see thread)."
    )


def upload_succeeded(
    request: UploadRequest, image: ImageInfo, size: Size, result: UploadResult
) -> str:
    if result.image_id is None:
        headline = ":white_check_mark: Ecwid accepted the image, but returned no image id."
    else:
        headline = f":white_check_mark: New main image id: *{result.image_id}*"
    lines = [headline, f"Image: {_link(request.image_url)} ({image.format}, {size} px)"]
    real = Size(image.width, image.height) if image.width and image.height else size
    if size != real:
        lines.append(
            f":information_source: You gave the size {size}, but the image is {real} px; "
            f"Ecwid was told {size}."
        )
    if request.alt_main:
        lines.append(f"Alt text: {escape(request.alt_main)}")
    for lang, text in sorted(request.alt_translated.items()):
        lines.append(f"Alt text ({escape(lang)}): {escape(text)}")
    return "\n".join(lines)


def upload_failed(error: UserFacingError) -> str:
    return f":x: The image was not uploaded. {problem(error)}"


def not_started(*errors: UserFacingError) -> str:
    return f":x: Nothing was uploaded. {problems(errors)}"


def unexpected_failure() -> str:
    return ":x: Something went wrong on the bot's side; the image may not have been uploaded. The error is in the bot's log."


def interrupted() -> str:
    return (
        ":warning: The bot was restarted before your upload finished: the main image may or may "
        "not have been replaced. Check the product in Ecwid, or run the command again."
    )


def result_for_user(product: Product, body: str, channel_id: str | None) -> str:
    """The whole result, for when it cannot go to the channel thread."""
    where = ""
    if channel_id:
        where = (
            f"\n_I could not post in <#{escape(channel_id)}>: invite me there "
            "(`/invite @Ecwid Image`) to have results in the channel._"
        )
    return f"Main image of {_product(product)}:\n{body}{where}"


def restarting() -> str:
    return ":arrows_counterclockwise: The bot is restarting; nothing was uploaded. Try again in a minute."


# ---- the upload form ------------------------------------------------------------------------

MAX_OPTION_TEXT = 75  # Slack's limit for an option's text
MIN_OPTION_NAME = 12  # of the name kept before the SKU is shortened too


def slack_length(text: str) -> int:
    """Length as Slack counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _shorten(text: str, room: int) -> str:
    """`text` cut to at most `room` UTF-16 units, with "…" when cut."""
    if slack_length(text) <= room:
        return text
    kept = ""
    for char in text:
        if slack_length(kept + char) > room - 1:
            break
        kept += char
    return kept + "…"


def product_option(product: Product) -> dict[str, Any]:
    """An option reading "Name · SKU · #id" within Slack's 75: the name gives way, then the SKU."""
    ident = f" · #{product.id}"
    name = product.name.strip() or "(no name)"
    sku = f" · {product.sku}" if product.sku else ""
    room = MAX_OPTION_TEXT - slack_length(ident)
    if slack_length(name + sku) > room:
        name = _shorten(name, max(room - slack_length(sku), min(MIN_OPTION_NAME, room)))
        sku = _shorten(sku, room - slack_length(name))
    text = _shorten(name + sku, room) + ident
    return {"text": {"type": "plain_text", "text": text}, "value": str(product.id)}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _text_input(initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": MAX_ALT_LENGTH}
    if initial:
        element["initial_value"] = initial
    return element


def _side_input(initial: int | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": str(MAX_SIDE),
    }
    if initial is not None:
        element["initial_value"] = str(initial)
    return element


def upload_form(
    draft: Draft,
    *,
    languages: StoreLanguages | None,
    product: Product | None,
    channel_id: str | None,
    note: str | None = None,
) -> dict[str, Any]:
    """`note` is mrkdwn, already escaped (see `problem`)."""
    """The modal. `languages` None means they could not be read: only the default alt field."""
    blocks: list[dict[str, Any]] = []
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})

    product_select: dict[str, Any] = {
        "type": "external_select",
        "placeholder": _plain("Type a name, SKU or id"),
        "min_query_length": 1,
    }
    if product is not None:
        product_select["initial_option"] = product_option(product)
    blocks.append(_input(form.PRODUCT, "Product", product_select))

    url_input: dict[str, Any] = {"type": "url_text_input"}
    if draft.image_url:
        url_input["initial_value"] = draft.image_url
    blocks.append(
        _input(
            form.IMAGE_URL, "Image URL", url_input, hint="An https:// link to a JPG, PNG or GIF."
        )
    )
    size = draft.size
    blocks.append(
        _input(
            form.WIDTH,
            "Width (px)",
            _side_input(size and size.width),
            optional=True,
            hint="Leave width and height blank to have them read from the image.",
        )
    )
    blocks.append(
        _input(form.HEIGHT, "Height (px)", _side_input(size and size.height), optional=True)
    )

    default = languages.default if languages else "default language"
    blocks.append(
        _input(form.ALT_MAIN, f"Alt text ({default})", _text_input(draft.alt_main), optional=True)
    )
    others = languages.others if languages else ()
    for lang in others:
        initial = draft.alt_translated.get(lang)
        blocks.append(
            _input(form.alt_block(lang), f"Alt text ({lang})", _text_input(initial), optional=True)
        )

    # Only channels can hold the announcement and its thread. The conversation the form was
    # opened from is offered only when it is one: a DM (D…) would be a choice the filter forbids.
    channel_select: dict[str, Any] = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id and is_channel(channel_id):
        channel_select["initial_conversation"] = channel_id
        channel_select["default_to_current_conversation"] = True
    blocks.append(_input(form.CHANNEL, "Report in channel", channel_select))

    metadata = form.FormMetadata(languages=others, external_id=draft.external_id)
    return {
        "type": "modal",
        "callback_id": form.CALLBACK_ID,
        "title": _plain("Product image"),
        "submit": _plain("Upload"),
        "close": _plain("Cancel"),
        "private_metadata": metadata.dump(),
        "blocks": blocks,
    }


def is_channel(conversation_id: str) -> bool:
    """A public (C…) or private (G…) channel, not a DM (D…)."""
    return conversation_id[:1] in ("C", "G")


def form_not_opened(error: str) -> str:
    return (
        f":warning: The upload form could not be opened (Slack said `{escape(error)}`). "
        "Please try again, or use the command with all its parts."
    )


def user_not_allowed() -> str:
    return (
        ":no_entry: Sorry, you are not on the list of people who may change the store's catalog "
        "with this bot. Nothing was changed. Ask the store owner to add you."
    )


def access_unchecked() -> str:
    return (
        ":hourglass: I could not check with Slack just now whether you are in a user group "
        "allowed to change the catalog, so nothing was changed. Please try again in a minute."
    )


def channel_not_allowed(channels: frozenset[str]) -> str:
    where = ", ".join(f"<#{escape(c)}>" for c in sorted(channels))
    return (
        f":no_entry: Sorry, this bot can only be used and report in {where}. Nothing was changed."
    )


def plain_refusal(reason: str) -> str:
    """For form field errors, which are plain text."""
    if reason == "user":
        return "You are not allowed to change the catalog with this bot; ask the store owner."
    if reason == "unchecked":
        return "Your user group could not be checked with Slack just now; try again in a minute."
    return "The bot may not report in this channel; choose one the store owner allowed."
