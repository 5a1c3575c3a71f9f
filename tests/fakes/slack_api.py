"""A loopback Slack Web API: answers the methods the bot calls and records every call."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.recorder import LoopbackServer, delay_or_drop

BOT_USER_ID = "UBOT"
BOT_TOKEN = "xoxb-test-bot-token-1234567890"
SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"


@dataclass
class Download:
    file_id: str
    authorization: str | None


@dataclass
class SlackFault:
    """An answer to give instead of the normal one: an HTTP status (429, 5xx), a delay, or a
    dropped connection."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


@dataclass
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)
    answer: dict[str, Any] | None = None  # what it was answered (e.g. a message's ts)


class FakeSlack(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[SlackCall] = []
        self.responses: list[dict[str, Any]] = []  # what reached response_url
        # method → Slack error code to answer with, in the shape Slack's Web API documents for
        # every failed call ("Evaluating responses"): HTTP 200, {"ok": false, "error": "<code>"}.
        self.errors: dict[str, str] = {}
        self.faults: dict[str, list[SlackFault]] = {}  # method → faults to serve, in order
        self.usergroups: dict[str, list[str]] = {}  # user group id → member ids
        # Channels, as conversations.history sees them: those the bot is not a member of, those
        # that do not exist (or that the bot cannot see), and the private ones (groups:history).
        self.not_member: set[str] = set()
        self.unknown_channels: set[str] = set()
        self.private_channels: set[str] = set()
        self.scopes = "commands,chat:write,usergroups:read,files:read,files:write,users:read"  # the x-oauth-scopes of auth.test
        # users.info's `tz` by user (Slack's users.info reference: its example's is
        # "America/Los_Angeles", given to anyone not listed here).
        self.time_zones: dict[str, str] = {}
        # users.info's `is_admin` (Slack's users.info reference: the user object's is_admin,
        # is_owner, is_restricted): the users who are their workspace's admins.
        self.admins: set[str] = set()
        # Tokens Slack no longer takes (the app uninstalled, the token revoked): every method
        # answers `token_revoked` (Slack's auth.test reference lists it among its errors).
        self.revoked: set[str] = set()
        # oauth.v2.access: each code Slack gave (code → the workspace it installs in), usable
        # once (Slack's reference: `invalid_code`, and a code expires after ten minutes).
        self.oauth_codes: dict[str, tuple[str, str]] = {}
        self.issued: dict[str, str] = {}  # workspace → the bot token oauth.v2.access gave it
        self.file_teams: dict[str, str] = {}  # file → the workspace it was shared in
        self.oauth_client: tuple[str, str] = ("1234.5678", "0123456789abcdef")
        # auth.test's bot_id: None stands for a user token (Slack's auth.test reference: its
        # answer to a user token names no bot).
        self.bot_id: str | None = "BBOT"
        self.socket_acks: list[dict[str, Any]] = []  # what the bot sent back over Socket Mode
        # Shared files: id → (bytes, Slack's mimetype); served only with the bot token.
        self.files: dict[str, tuple[bytes, str]] = {}
        self.file_names: dict[str, str] = {}  # file id → its name, as files.info says it
        self.remote_files: dict[str, dict[str, Any]] = {}  # not hosted by Slack
        self.file_redirects: dict[str, str] = {}  # id → where its download redirects
        self.downloads: list[Download] = []
        self.held_files: dict[str, asyncio.Event] = {}  # id → its download answers once set
        self.held_methods: dict[str, asyncio.Event] = {}  # method → it answers once set
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self.web_app.router.add_post("/api/{method}", self._api)
        self.web_app.router.add_get("/api/{method}", self._api)  # slack-sdk GETs a few methods
        self.web_app.router.add_post("/response/{id}", self._response_url)
        self.web_app.router.add_get("/socket", self._socket)
        self.web_app.router.add_get("/files/{id}/{name}", self._file)
        self.web_app.router.add_post("/upload/{id}", self._upload)
        self._file_ids = itertools.count(1)
        self.pending_uploads: dict[str, bytes] = {}  # file id → bytes, until completed
        self.web_app.router.add_get("/_calls", self._dump_calls)  # for the benchmark

    @property
    def api_url(self) -> str:
        return self.url("/api/")

    def response_url(self, name: str = "1") -> str:
        return self.url(f"/response/{name}")

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    async def wait_for_call(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[SlackCall]:
        return await self.wait_until(
            lambda: (calls := self.calls_to(method)) and len(calls) >= count and calls, timeout
        )

    async def wait_for_response(self, timeout: float = 5.0) -> dict[str, Any]:
        return (await self.wait_until(lambda: self.responses, timeout))[0]

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query)
        elif request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        if request.method == "POST" and request.query:  # slack-sdk puts some in the URL
            params = {**dict(request.query), **params}
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):  # Slack's oauth.v2.access: the app's credentials
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            params = {**params, "client_id": client_id, "client_secret": secret}
        self.calls.append(SlackCall(method, params, auth.removeprefix("Bearer ") or None))
        await self.notify()
        if (held := self.held_methods.get(method)) is not None:
            await held.wait()  # a call Slack never answers, for as long as the test says
        if queued := self.faults.get(method):
            fault = queued.pop(0)
            dropped = await delay_or_drop(request, fault.delay, drop=fault.drop)
            if dropped is not None:
                return dropped
            if fault.status != 200:
                return web.json_response(
                    {"ok": False, "error": "ratelimited" if fault.status == 429 else "fatal"},
                    status=fault.status,
                    headers=fault.headers,
                )
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        if not auth.removeprefix("Bearer ").strip() and method != "oauth.v2.access":
            # Slack's Web API reference, every method's errors: not_authed, "No authentication
            # token provided." (oauth.v2.access takes the app's own credentials instead.)
            return web.json_response({"ok": False, "error": "not_authed"})
        if auth.removeprefix("Bearer ") in self.revoked:
            return web.json_response({"ok": False, "error": "token_revoked"})
        headers = {"x-oauth-scopes": self.scopes} if method == "auth.test" else None
        answer = self._answer(method, params, auth.removeprefix("Bearer ") or None)
        self.calls[-1].answer = answer
        return web.json_response(answer, headers=headers)

    def _answer(
        self, method: str, params: dict[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        if method == "auth.test":
            # Slack's auth.test reference: the token's own workspace. The tokens oauth.v2.access
            # gives here name theirs (xoxb-TEAM-…); the one-store token is T1's.
            team = re.match(r"xoxb-(T[A-Z0-9]+)-", token or "")
            identity = {
                "ok": True,
                "user": "ecwid-image",
                "user_id": BOT_USER_ID,
                "bot_id": self.bot_id,
                "team": "Shop",
                "team_id": team[1] if team else "T1",
                # Slack's auth.test reference: `url` is the workspace's, e.g.
                # "https://subarachnoid.slack.com/" (permalinks start with it).
                "url": "https://shop.slack.com/",
            }
            return {k: v for k, v in identity.items() if v is not None}
        if method in ("chat.postMessage", "chat.update"):
            channel = str(params.get("channel") or "")
            # Slack's chat.postMessage reference: a channel the bot is not in is refused
            # (`not_in_channel`); a user's id posts in the app's DM with them, whose own id
            # (D…) the answer's `channel` gives, and later updates name.
            if channel in self.not_member:
                return {"ok": False, "error": "not_in_channel"}
            if channel.startswith(("U", "W")):
                if method == "chat.update":
                    return {"ok": False, "error": "channel_not_found"}
                channel = "D" + channel[1:]
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": channel, "ts": ts}
        if method == "oauth.v2.access":
            return self._oauth_access(params)
        if method == "users.info":
            if "users:read" not in self.scopes.split(","):
                return {"ok": False, "error": "missing_scope", "needed": "users:read"}
            user = str(params.get("user") or "")
            zone = self.time_zones.get(user, "America/Los_Angeles")
            person = {"id": user, "tz": zone, "is_admin": user in self.admins, "is_owner": False}
            return {"ok": True, "user": {**person, "is_restricted": False}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url("/socket").replace("http://", "ws://")}
        if method == "usergroups.list":
            # Slack's usergroups.list reference: the workspace's groups (its example's shape,
            # cut to the fields read here).
            groups = [{"id": g, "is_usergroup": True} for g in self.usergroups]
            return {"ok": True, "usergroups": groups}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroups.get(params.get("usergroup", ""), [])}
        if method == "files.getUploadURLExternal":
            file_id = f"F0UP{next(self._file_ids):04d}"
            self.pending_uploads[file_id] = b""
            # Slack's files.getUploadURLExternal reference: `filename` (required) names the file.
            if params.get("filename"):
                self.file_names[file_id] = str(params["filename"])
            return {"ok": True, "file_id": file_id, "upload_url": self.url(f"/upload/{file_id}")}
        if method == "files.completeUploadExternal":
            described = params.get("files")
            files = json.loads(described) if isinstance(described, str) else described or []
            done = []
            for file in files:
                data = self.pending_uploads.pop(file["id"], b"")
                kind = "image/jpeg" if data[:2] == b"\xff\xd8" else "image/png"
                self.files[file["id"]] = (data, kind)
                # Shared in the workspace whose bot uploaded it: only that bot's token reads it.
                team = next((t for t, issued in self.issued.items() if issued == token), None)
                if team is not None:
                    self.file_teams[file["id"]] = team
                done.append(self.file_object(file["id"]))
            return {"ok": True, "files": done}
        if method == "files.info":
            file_id = str(params.get("file", ""))
            if file_id in self.remote_files:
                return {"ok": True, "file": dict(self.remote_files[file_id])}
            if file_id not in self.files:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": self.file_object(file_id)}
        if method in ("views.open", "views.push", "views.update"):
            # Slack's views.open reference: the answer carries the view as opened, with its
            # `id` and its `hash` (which views.update may be given, to refuse a stale update).
            view = params.get("view")
            shown = json.loads(view) if isinstance(view, str) else dict(view or {})
            view_id = params.get("view_id") or f"V0{next(self._ts):06d}"
            return {"ok": True, "view": {**shown, "id": view_id, "hash": f"{next(self._ts)}.h"}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
        if method == "conversations.history":
            return self._history(str(params.get("channel", "")))
        return {"ok": True}

    def _oauth_access(self, params: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access as Slack's reference documents it (its example answer's shape, for
        a bot-only install): the app's credentials checked, the code used once."""
        if (params.get("client_id"), params.get("client_secret")) != self.oauth_client:
            return {"ok": False, "error": "invalid_client_id"}
        team = self.oauth_codes.pop(str(params.get("code") or ""), None)
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        team_id, team_name = team
        self.issued[team_id] = f"xoxb-{team_id}-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
        return {
            "ok": True,
            "access_token": self.issued[team_id],
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "U0KRQLJ9H",
            "app_id": "A0KRD7HC3",
            "team": {"name": team_name, "id": team_id},
            "enterprise": None,
            "authed_user": {"id": "U1234"},
        }

    def _history(self, channel: str) -> dict[str, Any]:
        """conversations.history as Slack's reference documents it: a bot token reads the
        conversations the bot is a member of, with `channels:history` (public) or
        `groups:history` (private); otherwise `missing_scope` (with `needed`),
        `channel_not_found`, or `not_in_channel`. No messages are kept here: an empty page."""
        scope = "groups:history" if channel in self.private_channels else "channels:history"
        if scope not in self.scopes.split(","):
            return {"ok": False, "error": "missing_scope", "needed": scope, "provided": self.scopes}
        if channel in self.unknown_channels or not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_member:
            return {"ok": False, "error": "not_in_channel"}
        return {"ok": True, "messages": [], "has_more": False, "pin_count": 0}

    def add_file(
        self,
        file_id: str,
        name: str,
        data: bytes,
        mimetype: str = "image/png",
        team: str | None = None,
    ) -> dict[str, Any]:
        """Share a file; its object as Slack puts it in messages and file_input state. `team`:
        the workspace it was shared in (many-stores mode), whose bot token alone reads it."""
        self.files[file_id] = (data, mimetype)
        if team is not None:
            self.file_teams[file_id] = team
        self.file_names[file_id] = name
        return self.file_object(file_id, name)

    def add_remote_file(self, file_id: str, name: str, url: str) -> dict[str, Any]:
        """A remote file (files.remote.add, Google Drive…): its object names a URL on any host
        (Slack's files.remote docs: `mode: "external"`, `is_external: true`, `url_private` the
        external URL), and files.info answers the same object."""
        self.remote_files[file_id] = {
            "id": file_id,
            "name": name,
            "title": name,
            "mode": "external",
            "is_external": True,
            "external_type": "app",
            "mimetype": "image/png",
            "url_private": url,
            "url_private_download": url,
        }
        return dict(self.remote_files[file_id])

    def file_object(self, file_id: str, name: str | None = None) -> dict[str, Any]:
        """The file object; files.info answers the same object as messages carry (Slack's
        files.info reference: `file` with name, mimetype, url_private…)."""
        data, mimetype = self.files[file_id]
        name = name or self.file_names.get(file_id) or f"{file_id}.{mimetype.rpartition('/')[2]}"
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": mimetype.rpartition("/")[2],
            "size": len(data),
            "url_private": self.url(f"/files/{file_id}/{name}"),
            "url_private_download": self.url(f"/files/{file_id}/{name}?download=1"),
            "thumb_360": self.url(f"/files/{file_id}/thumb_360.png"),
        }

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["id"]
        authorization = request.headers.get("Authorization")
        self.downloads.append(Download(file_id, authorization))
        await self.notify()
        # Slack's url_private: read with a bot token of the workspace it was shared in
        # (Slack's "Working with files" docs); any other token gets the sign-in page.
        team = self.file_teams.get(file_id)
        readers = {BOT_TOKEN} if team is None else {self.issued.get(team)}
        token = (authorization or "").removeprefix("Bearer ")
        if authorization is None or token not in readers or file_id not in self.files:
            # As Slack does: its sign-in page, with status 200.
            return web.Response(body=SIGN_IN_PAGE, content_type="text/html")
        if file_id in self.file_redirects:
            raise web.HTTPFound(self.file_redirects[file_id])
        if (held := self.held_files.get(file_id)) is not None:
            await held.wait()  # a slow download, for as long as the test says
        data, mimetype = self.files[file_id]
        return web.Response(body=data, content_type=mimetype)

    def hold_file(self, file_id: str) -> asyncio.Event:
        """The file's download waits until the returned event is set."""
        self.held_files[file_id] = asyncio.Event()
        return self.held_files[file_id]

    def hold_method(self, method: str) -> asyncio.Event:
        """Calls to `method` go unanswered until the returned event is set (at the latest when
        the stand-in closes)."""
        self.held_methods[method] = asyncio.Event()
        return self.held_methods[method]

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["id"]
        self.pending_uploads[file_id] = await request.read()
        return web.Response(text=f"OK - {len(self.pending_uploads[file_id])}")

    async def _dump_calls(self, _: web.Request) -> web.Response:
        return web.json_response([asdict(c) for c in self.calls])

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        await self.notify()
        return web.Response(text="ok")

    # ---- Socket Mode ----------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        await self.notify()
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(message.json())
                await self.notify()
        return socket

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Deliver an envelope to the connected bot, as Slack does over Socket Mode."""
        await self.wait_until(lambda: self._sockets)
        await self._sockets[-1].send_json(envelope)

    async def close(self) -> None:
        for held in self.held_methods.values():
            held.set()  # held calls end, so the server closes at once
        for socket in self._sockets:
            await socket.close()
        await super().close()
