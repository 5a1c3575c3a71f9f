"""Opening the upload form: the way in for the empty command, partial commands and shortcuts."""

from __future__ import annotations

import asyncio
import logging

from bot import messages
from bot.ecwid import EcwidError, Product, StoreLanguages
from bot.notify import Requester
from bot.runtime import Runtime
from bot.slack_client import SLACK_FAILURES, slack_error
from bot.upload_request import Draft, ProductId

log = logging.getLogger(__name__)

# A trigger_id expires 3 s after the user acted: look-ups get this much, then the form opens anyway.
LOOKUP_BUDGET_SECONDS = 1.5
OPEN_BUDGET_SECONDS = 2.5  # views.open after that is pointless: the trigger is gone


async def _languages(runtime: Runtime) -> StoreLanguages | None:
    try:
        return await asyncio.wait_for(runtime.store.languages(), LOOKUP_BUDGET_SECONDS)
    except (EcwidError, TimeoutError) as exc:
        log.warning("store languages unavailable for the form: %s", exc)
        return None


async def _product(runtime: Runtime, draft: Draft) -> tuple[Product | None, str | None]:
    """The prefilled product, and a note (mrkdwn) for the form when it could not be found."""
    ref = draft.product
    if ref is None:
        return None, None
    try:
        return await asyncio.wait_for(runtime.store.product(ref), LOOKUP_BUDGET_SECONDS), None
    except EcwidError as exc:
        return None, messages.problem(exc)
    except TimeoutError:
        if isinstance(ref, ProductId):  # still usable, just without its name
            return Product(id=ref.id, name=f"Product #{ref.id}", sku=None), None
        return None, "Ecwid was too slow to find that SKU; search for the product below."


async def open_upload_form(
    runtime: Runtime,
    *,
    trigger_id: str,
    who: Requester,
    draft: Draft,
    note: str | None = None,
) -> None:
    (languages, (product, product_note)) = await asyncio.gather(
        _languages(runtime), _product(runtime, draft)
    )
    notes = [messages.escape(note)] if note else []
    if product_note:
        notes.append(product_note)
    if who.channel_id and not messages.is_channel(who.channel_id):
        notes.append("Results are posted in a channel: choose one below.")
    if languages is None:
        notes.append("The store's languages could not be read: only the default alt text is asked.")
    view = messages.upload_form(
        draft,
        languages=languages,
        product=product,
        channel_id=who.channel_id,
        note=" ".join(notes) or None,
    )
    try:
        async with asyncio.timeout(OPEN_BUDGET_SECONDS):
            await runtime.slack.views_open(trigger_id=trigger_id, view=view)
    except SLACK_FAILURES as exc:
        error = slack_error(exc)
        log.warning("could not open the form: %s", error)
        await runtime.notifier.tell(who, messages.form_not_opened(str(error)))
