"""Every text the bot shows in Slack. Text from users or Ecwid is escaped here, and only here."""

from __future__ import annotations

from bot.command import EXAMPLE, USAGE
from bot.ecwid import Product, UploadResult
from bot.upload_request import UploadRequest


def escape(text: str) -> str:
    """Make untrusted text inert in mrkdwn: no live mentions, links or `<!channel>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def usage() -> str:
    return (
        "*Replace a product's main image in Ecwid*\n"
        f"`{escape(USAGE)}`\n"
        f"For example: `{escape(EXAMPLE)}`\n"
        "PRODUCT is the product id or `sku:` and its SKU. The link must be https://."
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


def upload_succeeded(request: UploadRequest, result: UploadResult) -> str:
    if result.image_id is None:
        headline = ":white_check_mark: Ecwid accepted the image, but returned no image id."
    else:
        headline = f":white_check_mark: New main image id: *{result.image_id}*"
    lines = [headline, f"Image: {_link(request.image_url)}"]
    if request.size is not None:
        lines.append(f"Size: {request.size} px")
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


def result_for_user(product: Product, body: str) -> str:
    """The whole result, for when it cannot go to the channel thread."""
    return f"Main image of {_product(product)}:\n{body}"


def restarting() -> str:
    return ":arrows_counterclockwise: The bot is restarting; nothing was uploaded. Try again in a minute."
