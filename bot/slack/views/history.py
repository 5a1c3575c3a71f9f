"""The image history as Slack shows it: a product's changes (a private message), the App Home
(the person's changes and jobs, three buttons, the settings at a glance) and the small Product
history form. Action ids are a contract: `undo_upload` (each change still undoable, the same
button as the thread's), `home_upload`, `home_bulk`, `home_history`; the form's callback id is
`ecwid_history` and its product field is the upload form's type-ahead. Texts come from
bot.slack.texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    ImageElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.changes.records import record_of
from bot.domain.requests import ProductId
from bot.domain.schedule import WeeklyAudit
from bot.jobs.history import Change
from bot.jobs.store import Counts, Job
from bot.slack import texts
from bot.slack.views.upload_form import CHANNEL, PRODUCT, input_block
from bot.slack.views.upload_result import undo_button

MAX_SECTION = 2900

HOME_UPLOAD = "home_upload"
HOME_BULK = "home_bulk"
HOME_HISTORY = "home_history"
HOME_GALLERY = "home_gallery"
HISTORY_FORM = "ecwid_history"
GALLERY_OPEN_FORM = "ecwid_gallery_open"  # Manage a gallery: the product, and where the card goes
MAX_HOME_BLOCKS = 100  # Slack's limit for a Home tab
MAX_MESSAGE_BLOCKS = 50


def permalink(base: str | None, channel: str | None, ts: str | None) -> str | None:
    """A message's link, as Slack's permalinks are made: the workspace's URL (auth.test),
    /archives/CHANNEL/p and the ts without its dot."""
    if not (base and channel and ts):
        return None
    return f"{base.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def _thumbnails(change: Change) -> list[ImageElement]:
    """Before and after, where there is something to show: the kept file, or the image's URL
    (which may be gone: the caller then sends the message without images)."""
    found: list[ImageElement] = []
    if change.kept_file:
        found.append(ImageElement(slack_file={"id": change.kept_file}, alt_text="before"))
    elif change.before_url:
        found.append(ImageElement(image_url=change.before_url, alt_text="before"))
    if change.after_url:
        found.append(ImageElement(image_url=change.after_url, alt_text="after"))
    return found


def change_blocks(
    change: Change, base_url: str | None, *, images: bool, name_product: bool
) -> list[Block]:
    what = texts.change_what(change.action, change.slot, change.variation_label)
    line = texts.change_line(
        change.at,
        change.user_id,
        what,
        (change.product_name or f"#{change.product_id}") if name_product else None,
        link=permalink(base_url, change.channel_id, change.thread_ts or change.message_ts),
        undone_by=change.undone_by,
        job=change.job_id is not None and change.action != "undone",
    )
    section = SectionBlock(text=MarkdownTextObject(text=line[:3000]))
    if change.undoable:
        name = change.product_name or texts.target_number(change.product_id, change.slot)
        section.accessory = undo_button(record_of(change), name)
    blocks: list[Block] = [section]
    thumbnails = _thumbnails(change) if images else []
    if thumbnails:
        label = MarkdownTextObject(text="before → after" if len(thumbnails) == 2 else "image")
        blocks.append(ContextBlock(elements=[*thumbnails, label]))
    return blocks


def history_blocks(
    product_id: int,
    name: str | None,
    changes: Sequence[Change],
    base_url: str | None,
    *,
    images: bool,
    category: bool = False,
) -> list[Block]:
    head = texts.history_head(product_id, name, len(changes), category=category)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head))]
    for change in changes:
        entry = change_blocks(change, base_url, images=images, name_product=False)
        if len(blocks) + len(entry) > MAX_MESSAGE_BLOCKS:
            break
        blocks.extend(entry)
    return blocks


def _home_buttons() -> ActionsBlock:
    return ActionsBlock(
        block_id="home_actions",
        elements=[
            ButtonElement(text="Upload an image", action_id=HOME_UPLOAD, style="primary"),
            ButtonElement(text="Bulk upload", action_id=HOME_BULK),
            ButtonElement(text="Product history", action_id=HOME_HISTORY),
            ButtonElement(text="Manage a gallery", action_id=HOME_GALLERY),
        ],
    )


def home_view(
    *,
    allowed: bool,
    changes: Sequence[Change],
    jobs: Sequence[tuple[Job, Counts]],
    glance: str | None,
    base_url: str | None,
    problem: str | None = None,
    images: bool = True,
    weekly: Sequence[WeeklyAudit] = (),
) -> View:
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"{texts.HOME_TITLE}\n{texts.HOME_INTRO}"))
    ]
    if not allowed:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=texts.HOME_NOT_ALLOWED)))
        return View(type="home", blocks=blocks)
    blocks.append(_home_buttons())
    if problem:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=problem)))
    blocks += [DividerBlock(), HeaderBlock(text="Your recent changes")]
    if not changes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=texts.HOME_NO_CHANGES)]))
    for change in changes:
        blocks.extend(change_blocks(change, base_url, images=images, name_product=True))
    if weekly:
        blocks += [DividerBlock(), HeaderBlock(text="Weekly audits")]
        listed = [
            texts.home_weekly(w.channel_id, w.scope, w.weekday, w.zone, w.user_id, w.next_at)
            for w in weekly
        ]
        shown = "\n".join(f"• {line}" for line in listed)
        if len(shown) > MAX_SECTION:  # Slack: a section's text is at most 3000 characters
            shown = shown[: MAX_SECTION - 1] + "…"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=shown)))
    blocks += [DividerBlock(), HeaderBlock(text="Bulk jobs")]
    if not jobs:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=texts.HOME_NO_JOBS)]))
    for job, counts in jobs:
        text = texts.home_job(
            job.state,
            job.source,
            job.created_at,
            counts.done,
            counts.failed,
            counts.pending,
            permalink(base_url, job.channel_id, job.message_ts),
            undo=job.undo_of is not None,
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text[:3000])))
    if glance:
        blocks += [
            DividerBlock(),
            HeaderBlock(text="Settings"),
            SectionBlock(text=MarkdownTextObject(text=glance[:3000])),
        ]
    return View(type="home", blocks=blocks[:MAX_HOME_BLOCKS])


def history_form() -> View:
    """Product history: the product, with the upload form's type-ahead."""
    product = ExternalDataSelectElement(
        placeholder=PlainTextObject(text="Type a name, SKU or id"), min_query_length=1
    )
    return View(
        type="modal",
        callback_id=HISTORY_FORM,
        title=PlainTextObject(text="Product history"),
        submit=PlainTextObject(text="Show"),
        close=PlainTextObject(text="Close"),
        blocks=[input_block(PRODUCT, "Product", product)],
    )


def gallery_open_form() -> View:
    """Manage a gallery: the product (the upload form's type-ahead) and the channel the card is
    posted in, for the team."""
    product = ExternalDataSelectElement(
        placeholder=PlainTextObject(text="Type a name, SKU or id"), min_query_length=1
    )
    channel = ConversationSelectElement(
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True)
    )
    return View(
        type="modal",
        callback_id=GALLERY_OPEN_FORM,
        title=PlainTextObject(text="Manage a gallery"),
        submit=PlainTextObject(text="Show"),
        close=PlainTextObject(text="Close"),
        blocks=[
            input_block(PRODUCT, "Product", product),
            input_block(CHANNEL, "Post the gallery card in", channel),
        ],
    )


def read_gallery_open_form(values: dict[str, Any]) -> tuple[ProductId, str] | None:
    product = read_history_form(values)
    channel = ((values.get(CHANNEL) or {}).get(CHANNEL) or {}).get("selected_conversation")
    return (product, channel) if product is not None and isinstance(channel, str) else None


def history_modal(blocks: Sequence[Block]) -> View:
    """The history, shown in the form's place."""
    return View(
        type="modal",
        callback_id=HISTORY_FORM + "_shown",
        title=PlainTextObject(text="Product history"),
        close=PlainTextObject(text="Close"),
        blocks=list(blocks)[:MAX_HOME_BLOCKS],
    )


def looking_blocks() -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=texts.HISTORY_LOOKING))]


def read_history_form(values: dict[str, Any]) -> ProductId | None:
    """The chosen product (a variation's option names its product)."""
    selected = ((values.get(PRODUCT) or {}).get(PRODUCT) or {}).get("selected_option") or {}
    product, _, _ = str(selected.get("value") or "").partition(":")
    return ProductId(int(product)) if product.isdigit() else None
