"""Every text the bot shows in Slack. Text from users or Ecwid is escaped here, and only here."""

from __future__ import annotations

from typing import Any

from bot import form
from bot.command import EXAMPLE, USAGE
from bot.ecwid import Product, StoreLanguages, UploadResult
from bot.probe import ImageInfo
from bot.upload_request import MAX_ALT_LENGTH, MAX_SIDE, Draft, Size, UploadRequest


def escape(text: str) -> str:
    """Make untrusted text inert in mrkdwn: no live mentions, links or `<!channel>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def usage() -> str:
    return (
        "*Replace a product's main image in Ecwid*\n"
        f"`{escape(USAGE)}`\n"
        f"For example: `{escape(EXAMPLE)}`\n"
        "PRODUCT is the product id or `sku:` and its SKU. The link must be https:// (JPG, PNG or "
        "GIF); leave out the size to have it read from the image. `/ecwid-image` alone opens a form."
    )


def input_error(problem: str) -> str:
    return f":warning: {escape(problem)}\nUsage: `{escape(USAGE)}`"


def _product(product: Product) -> str:
    sku = f" · SKU {escape(product.sku)}" if product.sku else ""
    name = escape(product.name) or "(no name)"
    return f"*{name}* (#{product.id}{sku})"


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
    real = Size(image.width, image.height)
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


def upload_failed(reason: str) -> str:
    return f":x: The image was not uploaded. {escape(reason)}"


def not_started(reason: str) -> str:
    return f":x: Nothing was uploaded. {escape(reason)}"


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


def product_option(product: Product) -> dict[str, Any]:
    """An option reading "Name · SKU · #id"; the name is shortened to fit Slack's limit."""
    tail = f" · {product.sku}" if product.sku else ""
    tail += f" · #{product.id}"
    name = product.name or "(no name)"
    room = MAX_OPTION_TEXT - len(tail)
    if len(name) > room:
        name = name[: room - 1] + "…"
    return {"text": {"type": "plain_text", "text": name + tail}, "value": str(product.id)}


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
    """The modal. `languages` None means they could not be read: only the default alt field."""
    blocks: list[dict[str, Any]] = []
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note)}]})

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

    channel_select: dict[str, Any] = {
        "type": "conversations_select",
        "default_to_current_conversation": True,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id:
        channel_select["initial_conversation"] = channel_id
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


def channel_not_allowed(channels: frozenset[str]) -> str:
    where = ", ".join(f"<#{escape(c)}>" for c in sorted(channels))
    return (
        f":no_entry: Sorry, this bot can only be used and report in {where}. Nothing was changed."
    )


def plain_refusal(reason: str) -> str:
    """For form field errors, which are plain text."""
    if reason == "user":
        return "You are not allowed to change the catalog with this bot; ask the store owner."
    return "The bot may not report in this channel; choose one the store owner allowed."
