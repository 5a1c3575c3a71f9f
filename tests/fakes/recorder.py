"""What both fakes share: starting on loopback, and waiting for a recorded call."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class LoopbackServer:
    """An aiohttp app on 127.0.0.1 with a random port; `changed` wakes anyone waiting for calls."""

    def __init__(self, max_body: int = 1024**2) -> None:
        self.web_app = web.Application(client_max_size=max_body)
        self._server: TestServer | None = None
        self._changed = asyncio.Condition()

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = TestServer(self.web_app, host="127.0.0.1")
        await self._server.start_server(ssl=tls)

    @property
    def port(self) -> int:
        assert self._server is not None and self._server.port is not None
        return self._server.port

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    def url(self, path: str = "") -> str:
        assert self._server is not None
        return str(self._server.make_url(path))

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, check: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until `check()` returns something truthy, and return it."""

        async def waiting() -> Any:
            async with self._changed:
                while not (found := check()):
                    # Woken by notify(), or every 50 ms for state changed without one.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)
                return found

        return await asyncio.wait_for(waiting(), timeout)


async def delay_or_drop(request: web.Request, delay: float, *, drop: bool) -> web.Response | None:
    """A fault's first part: wait, then maybe hang up without answering (a dropped connection)."""
    await asyncio.sleep(delay)
    if not drop:
        return None
    assert request.transport is not None
    request.transport.abort()
    return web.Response()
