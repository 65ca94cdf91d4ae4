"""A loopback fake of Slack's Web API (and of response_url) that records every call and answers like Slack.

Serve it with `FakeSlack()` + `await fake.start()`; point the app at `fake.api_url` (SLACK_API_URL) and
rewrite
payloads' response_url to `fake.response_url()`. Each call is recorded as a `Call`: the Web API method (or
"response_url"), its arguments, and where it went (channel, thread_ts, ephemeral or public).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

__all__ = ["BOT_ID", "BOT_USER_ID", "TEAM_ID", "Call", "FakeSlack"]

TEAM_ID = "T123ABC456"
BOT_USER_ID = "UBOTSMTP1"
BOT_ID = "BBOTSMTP1"


@dataclass
class Call:
    """One request the app made to Slack."""

    method: str
    args: dict[str, Any]
    path: str = ""

    @property
    def channel(self) -> str | None:
        return self.args.get("channel")

    @property
    def thread_ts(self) -> str | None:
        return self.args.get("thread_ts")

    @property
    def ephemeral(self) -> bool:
        if self.method == "chat.postEphemeral":
            return True
        if self.method == "response_url":
            return self.args.get("response_type", "ephemeral") != "in_channel"
        return False

    @property
    def public(self) -> bool:
        return self.method in {"chat.postMessage", "chat.update"} or (
            self.method == "response_url" and not self.ephemeral
        )

    @property
    def text(self) -> str:
        """Everything readable in the message: text and every text object in the blocks."""
        parts = [str(self.args.get("text") or "")]
        blocks = self.args.get("blocks") or (self.args.get("view") or {}).get("blocks") or []
        parts.extend(_texts(blocks))
        return "\n".join(parts)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.args.get("blocks") or (self.args.get("view") or {}).get("blocks") or [])

    def action_values(self) -> dict[str, str]:
        """action_id -> value for every button in the message."""
        out = {}
        for block in self.blocks:
            for el in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
                if isinstance(el, dict) and el.get("type") == "button":
                    out[el["action_id"]] = el.get("value", "")
        return out


def _texts(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, Mapping):
        if isinstance(node.get("text"), str):
            out.append(node["text"])
        for v in node.values():
            if isinstance(v, (list, dict)):
                out.extend(_texts(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_texts(v))
    return out


@dataclass
class FakeSlack:
    """The fake server; `calls` is what the app did, in order."""

    calls: list[Call] = field(default_factory=list)
    threads: dict[tuple[str, str], list[dict[str, Any]]] = field(
        default_factory=dict
    )  # conversations.replies
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error to answer once
    rate_limited: dict[str, int] = field(default_factory=dict)  # method -> number of 429s to answer first
    response_errors: dict[str, int] = field(default_factory=dict)  # response_url name -> HTTP status to answer
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # files.info: id -> file object
    file_bodies: dict[str, bytes] = field(default_factory=dict)  # file download path -> bytes
    file_delay: float = 0.0  # seconds before a file download answers
    file_token: str = "xoxb-1-test"  # the token a file download must carry
    socket_url: str | None = None  # what apps.connections.open answers (a loopback fake Socket Mode server)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_get("/files-pri/{path:.*}", self._file)
        app.router.add_get("/_calls", self._dump)  # for benchmarks running the fake in another process
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def file_url(self, file_id: str, name: str) -> str:
        """A url_private_download on this fake, as Slack shapes it."""
        return f"http://127.0.0.1:{self.port}/files-pri/{TEAM_ID}-{file_id}/download/{name}"

    def add_file(self, file_id: str, name: str, body: bytes, *, mimetype: str = "text/plain",
                 filetype: str = "text", size: int | None = None) -> dict[str, Any]:
        """Serve `body` as a shared file; returns its file object (as events and files.info carry it)."""
        url = self.file_url(file_id, name)
        self.file_bodies[url.split(str(self.port), 1)[1]] = body
        self.files[file_id] = {
            "id": file_id, "name": name, "title": name, "mimetype": mimetype, "filetype": filetype,
            "pretty_type": filetype.title(), "size": len(body) if size is None else size,
            "mode": "snippet" if filetype == "text" else "hosted", "url_private_download": url,
            "url_private": url.replace("/download", ""),
        }
        return self.files[file_id]

    def response_url(self, name: str = "1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # ------------------------------------------------------------------ queries

    def of(self, *methods: str) -> list[Call]:
        """Calls of the given methods (all but auth.test when none given)."""
        if not methods:
            return [c for c in self.calls if c.method != "auth.test"]
        return [c for c in self.calls if c.method in methods]

    @property
    def posts(self) -> list[Call]:
        """Every message the app posted anywhere (Web API or response_url)."""
        return self.of("chat.postMessage", "chat.postEphemeral", "response_url", "chat.update")

    async def wait_for(self, count: int, *methods: str, timeout: float = 3.0) -> list[Call]:  # noqa: ASYNC109
        """Wait until at least `count` calls of `methods` were recorded."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.of(*methods)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} {methods or 'calls'}, got {self.of(*methods)}")
            await asyncio.sleep(0.01)
        return self.of(*methods)

    # ------------------------------------------------------------------ handlers

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw.decode())))
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        self.calls.append(Call(method, args, request.path))
        if self.rate_limited.get(method):
            self.rate_limited[method] -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
            )
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors.pop(method)})
        return web.json_response(self._answer(method, args))

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "apps.connections.open":
            if not self.socket_url:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "smtp-help",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            channel = args.get("channel")
            if isinstance(channel, str) and channel.startswith(("U", "W")):
                channel = "D" + channel[1:]
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts, "bot_id": BOT_ID, "user": BOT_USER_ID},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": args.get("ts"),
                "text": args.get("text"),
            }
        if method == "conversations.replies":
            msgs = self.threads.get((args.get("channel", ""), args.get("ts", "")))
            if msgs is None:
                return {"ok": False, "error": "thread_not_found"}
            return {"ok": True, "messages": msgs, "has_more": False}
        if method == "files.info":
            file = self.files.get(args.get("file", ""))
            return {"ok": True, "file": file} if file else {"ok": False, "error": "file_not_found"}
        if method in {"views.publish", "views.open"}:
            return {"ok": True, "view": {"id": "V0001", **(args.get("view") or {})}}
        return {"ok": True}

    async def _file(self, request: web.Request) -> web.Response:
        """A file download: Slack answers a request without a valid token with its sign-in page (HTML, 200)."""
        self.calls.append(Call("file_download", {"authorization": request.headers.get("Authorization", "")},
                               request.path))
        if self.file_delay:
            await asyncio.sleep(self.file_delay)
        body = self.file_bodies.get(request.path)
        if request.headers.get("Authorization") != f"Bearer {self.file_token}":
            return web.Response(text="<html>sign in</html>", content_type="text/html")
        if body is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=body, content_type="text/plain")

    async def _dump(self, _request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "method": c.method,
                    "channel": c.channel,
                    "thread_ts": c.thread_ts,
                    "ephemeral": c.ephemeral,
                    "path": c.path,
                }
                for c in self.calls
            ]
        )

    async def _response_url(self, request: web.Request) -> web.Response:
        args = json.loads(await request.read() or b"{}")
        self.calls.append(Call("response_url", args, request.path))
        status = self.response_errors.get(request.match_info["id"])
        if status:  # Slack answers an expired or used response_url with 404 and a short reason
            return web.Response(status=status, text="expired_url")
        return web.Response(text="ok")
