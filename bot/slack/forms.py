"""Opening the forms: the few reads a form is prefilled with (the store's languages, the product
given), each within what is left of Slack's 3 s trigger, then views.open; a form that cannot be
opened is explained privately. A listener opens them with its request's client (`using`). The
views themselves only build and read blocks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.models.views import View

from bot.changes.context import StoreContext, Stores
from bot.domain.audit import Scope
from bot.domain.requests import Draft, ProductId, Requester
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import Product, StoreLanguages
from bot.flows.gallery import Card, GalleryFlow
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error
from bot.slack.notify import Notifier
from bot.slack.texts import escape
from bot.slack.views.alt_fix_form import fix_form
from bot.slack.views.bulk_form import bulk_form
from bot.slack.views.gallery_card import Pressed, alt_form, copy_form
from bot.slack.views.history import gallery_open_form, history_form
from bot.slack.views.square_fix_form import square_form
from bot.slack.views.upload_form import is_channel, upload_form, with_option_values

log = logging.getLogger(__name__)

# A trigger_id expires 3 s after the user acted: look-ups get this much, then the form opens anyway.
LOOKUP_BUDGET_SECONDS = 1.5
OPEN_BUDGET_SECONDS = 2.5  # views.open after that is pointless: the trigger is gone
STORES_BUDGET_SECONDS = 0.5  # the workspace's stores (one small read): the form opens without


class Forms:
    """A request's forms: opened with its own Slack client (bot.slack.context.client_of), for
    its store."""

    def __init__(
        self,
        slack: BoundedWebClient,
        store: StoreContext,
        notifier: Notifier,
        stores: Stores | None = None,
    ) -> None:
        """`stores`: where the workspace's other stores are found (a form may offer them)."""
        self._slack = slack
        self._context = store
        self._store = store.catalog
        self._notifier = notifier
        self._stores = stores

    async def open_upload_form(
        self, *, trigger_id: str, who: Requester, draft: Draft, note: str | None = None
    ) -> None:
        (languages, (product, product_note), stores) = await asyncio.gather(
            self._languages(), self._product(draft), self._linked()
        )
        notes = [escape(note)] if note else []
        if product_note:
            notes.append(product_note)
        if who.channel_id and not is_channel(who.channel_id):
            notes.append("Results are posted in a channel: choose one below.")
        if languages is None:
            notes.append(
                "The store's languages could not be read: only the default alt text is asked."
            )
        view = upload_form(
            draft,
            languages=languages,
            product=product,
            channel_id=who.channel_id,
            note=" ".join(notes) or None,
            stores=stores,
            store_id=self._context.store_id,
        )
        opened = await self._open(trigger_id, who, view, "the form")
        # Its option values: read once the form is open (the trigger's 3 s are spent by then),
        # and offered as if the product had just been chosen in it.
        if opened is not None and product is not None and product.variation is None:
            await self.offer_option_values(
                opened, product.id if product.kind == "product" else None
            )

    async def switch_store(self, view: dict[str, Any], channel_id: str | None) -> None:
        """The open upload form, after another store was chosen in it: made anew for that
        store (this form's store), its product and alt texts asked again."""
        languages, stores = await asyncio.gather(self._languages(), self._linked())
        fresh = upload_form(
            Draft(),
            languages=languages,
            product=None,
            channel_id=channel_id,
            stores=stores,
            store_id=self._context.store_id,
        )
        try:
            await self._slack.views_update(
                view_id=str(view.get("id") or ""), hash=view.get("hash"), view=fresh
            )
        except SLACK_FAILURES as exc:  # e.g. hash_conflict: the form changed meanwhile
            log.info("the form was not made anew: %s", slack_error(exc))

    async def offer_option_values(self, view: dict[str, Any], product_id: int | None) -> None:
        """The open upload form, after a product was chosen in it: the product's option-value
        select, or none (a variation, a category, a product without options). Ecwid too slow or
        away: the form stays as it is, and works without it."""
        product = None
        if product_id is not None:
            try:
                state = await asyncio.wait_for(
                    self._context.ecwid.product_state(product_id), LOOKUP_BUDGET_SECONDS
                )
                product = state.product
            except (EcwidError, TimeoutError) as exc:  # none offered: not another product's
                log.info("option values not offered: %s", type(exc).__name__)
        updated = with_option_values(view, product)
        if updated is None:
            return
        try:
            await self._slack.views_update(
                view_id=str(view.get("id") or ""), hash=view.get("hash"), view=updated
            )
        except SLACK_FAILURES as exc:  # e.g. hash_conflict: the form changed meanwhile
            log.info("the form was not updated: %s", slack_error(exc))

    async def open_alt_fix_form(
        self, *, trigger_id: str, who: Requester, scope: Scope, channel_id: str
    ) -> None:
        """The audit's alt-text fix: a template a language the store has enabled."""
        languages = await self._languages()
        if languages is None:
            await self._notifier.tell(who, texts.ALT_FIX_NO_LANGUAGES)
            return
        ordered = tuple(dict.fromkeys((languages.default, *languages.others)))
        await self._open(trigger_id, who, fix_form(scope, ordered, channel_id), "the fix form")

    async def open_square_fix_form(
        self, *, trigger_id: str, who: Requester, scope: Scope, channel_id: str
    ) -> None:
        """The audit's square fix: which images, and the white background."""
        await self._open(trigger_id, who, square_form(scope, channel_id), "the square fix form")

    async def _linked(self) -> list[int]:
        """The workspace's stores (many-stores mode), read within the trigger's budget."""
        if self._stores is None:
            return []
        try:
            async with asyncio.timeout(STORES_BUDGET_SECONDS):
                return await self._stores.linked(self._context.tenant.team_id)
        except Exception as exc:  # the form is for its store alone, then
            log.warning("the workspace's stores not read: %s", type(exc).__name__)
            return []

    async def open_bulk_form(self, *, trigger_id: str, who: Requester) -> None:
        view = bulk_form(who.channel_id, await self._linked(), self._context.store_id)
        await self._open(trigger_id, who, view, "the bulk form")

    async def open_history_form(self, *, trigger_id: str, who: Requester) -> None:
        await self._open(trigger_id, who, history_form(), "the history form")

    async def open_gallery_open_form(self, *, trigger_id: str, who: Requester) -> None:
        await self._open(trigger_id, who, gallery_open_form(), "the gallery form")

    async def open_gallery_form(
        self,
        *,
        trigger_id: str,
        who: Requester,
        pressed: Pressed,
        card: Card,
        gallery: GalleryFlow,
    ) -> None:
        """Edit alt text, or Copy to variations: the image as Ecwid has it now (a stale card is
        refused and redrawn instead), within what is left of the trigger's 3 s."""
        try:
            found = await asyncio.wait_for(
                gallery.current(
                    self._context,
                    who,
                    card,
                    pressed.product_id,
                    pressed.image_id,
                    pressed.signature,
                ),
                LOOKUP_BUDGET_SECONDS,
            )
        except TimeoutError:
            await self._notifier.tell(who, texts.gallery_refused(texts.GALLERY_SLOW))
            return
        except EcwidError as exc:
            await self._notifier.tell(who, texts.gallery_not_shown(exc))
            return
        if found is None:
            return
        shown, image = found
        if pressed.action == "copy":
            if not shown.product.variations:
                await self._notifier.tell(who, texts.gallery_refused(texts.GALLERY_NO_VARIATIONS))
                return
            view = copy_form(pressed, card, shown)
        else:
            languages = await self._languages() or await gallery.languages(self._context)
            view = alt_form(pressed, card, image, languages)
        await self._open(trigger_id, who, view, "the gallery form")

    async def _open(
        self, trigger_id: str, who: Requester, view: View, what: str
    ) -> dict[str, Any] | None:
        """The view as Slack opened it (its id and hash), or None when it could not be."""
        try:
            async with asyncio.timeout(OPEN_BUDGET_SECONDS):
                response = await self._slack.views_open(trigger_id=trigger_id, view=view)
        except SLACK_FAILURES as exc:
            error = slack_error(exc)
            log.warning("could not open %s: %s", what, error)
            await self._notifier.tell(who, texts.form_not_opened(str(error)))
            return None
        opened = response.get("view")
        return opened if isinstance(opened, dict) else None

    async def _languages(self) -> StoreLanguages | None:
        try:
            return await asyncio.wait_for(self._store.languages(), LOOKUP_BUDGET_SECONDS)
        except (EcwidError, TimeoutError) as exc:
            log.warning("store languages unavailable for the form: %s", exc)
            return None

    async def _product(self, draft: Draft) -> tuple[Product | None, str | None]:
        """The prefilled product, and a note (mrkdwn) for the form when it could not be found."""
        ref = draft.product
        if ref is None:
            return None, None
        try:
            return await asyncio.wait_for(self._store.product(ref), LOOKUP_BUDGET_SECONDS), None
        except EcwidError as exc:
            return None, texts.problem(exc)
        except TimeoutError:
            if isinstance(ref, ProductId):  # still usable, just without its name
                return Product(id=ref.id, name=f"Product #{ref.id}", sku=None), None
            return None, "Ecwid was too slow to find that SKU; search for the product below."
