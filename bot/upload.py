"""The one upload flow both entry points share: look up and probe → announce → upload → report.

Slash commands cannot run inside threads, so the result gets its thread this way: a parent
message in the channel, the result as a reply in its thread, and the parent updated to match.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.ecwid import EcwidClient, EcwidError, ImageUpload, Product, UploadResult
from bot.errors import UserFacingError
from bot.notify import Notifier, Requester
from bot.probe import ImageInfo, ImageProbe
from bot.slack_client import SLACK_FAILURES, slack_error
from bot.store import StoreInfo
from bot.upload_request import (
    ProductId,
    ProductRef,
    UploadRequest,
    ValidationError,
    check_languages,
    check_size,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How one upload ended, for its log line."""

    name: str
    ecwid_status: int | None = None


class UploadFlow:
    def __init__(
        self,
        ecwid: EcwidClient,
        store: StoreInfo,
        probe: ImageProbe,
        slack: AsyncWebClient,
        notifier: Notifier,
    ) -> None:
        self._ecwid = ecwid
        self._store = store
        self._probe = probe
        self._slack = slack
        self._notifier = notifier

    async def run(self, request: UploadRequest, who: Requester) -> None:
        """Carry one request to its single final answer; never raises."""
        started = time.monotonic()
        outcome = Outcome("error")
        try:
            outcome = await self._run(request, who)
        except asyncio.CancelledError:  # shut down before it finished: say so, then stop
            outcome = Outcome("interrupted")
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._notifier.tell(who, messages.interrupted()), 2)
            raise
        except Exception:
            log.exception("upload flow failed unexpectedly")
            await self._notifier.tell(who, messages.unexpected_failure())
        finally:
            log.info(
                "upload user=%s channel=%s product=%s outcome=%s ecwid_status=%s duration_ms=%d",
                who.user_id,
                who.channel_id,
                _describe(request.product),
                outcome.name,
                outcome.ecwid_status,
                (time.monotonic() - started) * 1000,
            )

    async def _run(self, request: UploadRequest, who: Requester) -> Outcome:
        # The reads are independent: do them at once.
        found, probed, languages = await asyncio.gather(
            self._store.product(request.product),
            self._probe.probe(request.image_url, need_size=request.size is None),
            self._check_languages(request),
            return_exceptions=True,
        )
        results = (found, probed, languages)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, UserFacingError):
                raise result
        refusals = [r for r in results if isinstance(r, UserFacingError)]
        if refusals:
            await self._notifier.tell(who, messages.not_started(*refusals))
            return Outcome("refused", getattr(found, "status", None))
        assert isinstance(found, Product) and isinstance(probed, ImageInfo)
        assert isinstance(languages, dict)
        product, image = found, probed
        try:
            size = request.size or check_size(image.width or 0, image.height or 0)
        except ValidationError as problem:
            await self._notifier.tell(who, messages.not_started(problem))
            return Outcome("refused")
        upload = ImageUpload(
            url=request.image_url,
            size=size,
            alt_main=request.alt_main,
            alt_translated=tuple(languages.items()),
            external_id=request.external_id,
        )

        # The announcement need not hold the upload up: both go out at once.
        parent_ts, result = await asyncio.gather(
            self._post_parent(who, product), self._upload(product.id, upload)
        )
        if isinstance(result, EcwidError):
            failed = messages.upload_failed(result)
            await self._report(who, product, parent_ts, failed, ok=False)
            return Outcome("upload-failed", result.status)
        body = messages.upload_succeeded(request, image, size, result)
        await self._report(who, product, parent_ts, body, ok=True)
        return Outcome("uploaded", 200)

    async def _upload(self, product_id: int, upload: ImageUpload) -> UploadResult | EcwidError:
        try:
            return await self._ecwid.upload_main_image(product_id, upload)
        except EcwidError as exc:
            return exc

    async def _check_languages(self, request: UploadRequest) -> dict[str, str]:
        """The translated alt texts keyed as the store spells its language codes."""
        if not request.alt_translated:
            return {}
        try:
            languages = await self._store.languages()
        except EcwidError as exc:  # Ecwid itself refuses unknown languages, with its own message
            log.warning("cannot check alt languages: %s", exc)
            return dict(request.alt_translated)
        return check_languages(
            request.alt_translated, default=languages.default, enabled=languages.enabled
        )

    async def _post_parent(self, who: Requester, product: Product) -> str | None:
        if who.channel_id is None:
            return None
        try:
            response = await self._slack.chat_postMessage(
                channel=who.channel_id, text=messages.parent_pending(who.user_id, product)
            )
        except SLACK_FAILURES as exc:
            # e.g. not_in_channel, or no answer: the upload goes ahead and the result goes to
            # the user privately
            log.warning("cannot post in %s: %s", who.channel_id, slack_error(exc))
            return None
        return response["ts"]

    async def _report(
        self, who: Requester, product: Product, parent_ts: str | None, body: str, *, ok: bool
    ) -> None:
        if parent_ts is None:
            await self._notifier.tell(who, messages.result_for_user(product, body, who.channel_id))
            return
        try:
            await self._slack.chat_postMessage(
                channel=who.channel_id, thread_ts=parent_ts, text=body
            )
        except SLACK_FAILURES as exc:  # whatever went wrong, the result still reaches the user
            log.warning("cannot reply in %s: %s", who.channel_id, slack_error(exc))
            await self._notifier.tell(who, messages.result_for_user(product, body, who.channel_id))
        try:
            await self._slack.chat_update(
                channel=who.channel_id,
                ts=parent_ts,
                text=messages.parent_finished(who.user_id, product, ok=ok),
            )
        except SLACK_FAILURES as exc:  # the answer is already given; only the parent is stale
            log.warning("cannot update parent in %s: %s", who.channel_id, slack_error(exc))


def _describe(ref: ProductRef) -> str:
    return str(ref.id) if isinstance(ref, ProductId) else f"sku:{ref.sku}"
