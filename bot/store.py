"""Store facts that rarely change, cached briefly so forms open fast: the enabled languages."""

from __future__ import annotations

import asyncio
import time

from bot.ecwid import EcwidClient, StoreLanguages

LANGUAGES_TTL_SECONDS = 300.0


class StoreInfo:
    def __init__(self, ecwid: EcwidClient, ttl: float = LANGUAGES_TTL_SECONDS) -> None:
        self._ecwid = ecwid
        self._ttl = ttl
        self._languages: StoreLanguages | None = None
        self._fetched_at = 0.0
        self._refresh: asyncio.Task[StoreLanguages] | None = None

    async def languages(self) -> StoreLanguages:
        """The cached languages; a stale value is served while one shared call refreshes it."""
        fresh = time.monotonic() - self._fetched_at < self._ttl
        if self._languages is not None and fresh:
            return self._languages
        if self._refresh is None:
            self._refresh = asyncio.create_task(self._fetch())
            # A background refresh may fail with nobody awaiting it; the next call retries.
            self._refresh.add_done_callback(lambda task: task.cancelled() or task.exception())
        if self._languages is not None:
            return self._languages
        return await asyncio.shield(self._refresh)

    async def _fetch(self) -> StoreLanguages:
        try:
            self._languages = (await self._ecwid.get_profile()).languages
            self._fetched_at = time.monotonic()
            return self._languages
        finally:
            self._refresh = None
