"""Socket Mode end to end: `serve()` with SLACK_APP_TOKEN against a fake Socket Mode server on loopback.

The fake Web API answers apps.connections.open with the ws:// URL of a small aiohttp WebSocket server that
speaks Slack's Socket Mode frames (tests/slack/payloads/socket_mode_*.json): it says hello, sends a slash
command envelope, reads the app's ack, and later asks the app to reconnect with a `disconnect` envelope.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from bot.slack import serve
from bot.slack.services import Services
from bot.store import MemoryStore
from tests.slack.conftest import FakeProbe, make_settings, payload
from tests.slack.engine import fake_diagnose, fake_fix_text
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_http_app import SMTP_PASTE
from tests.tinykb import tiny_kb


@dataclass
class FakeSocketMode:
    """A loopback Socket Mode endpoint: each connection gets `hello`, then whatever the test sends."""

    connections: list[web.WebSocketResponse] = field(default_factory=list)
    received: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    connected: asyncio.Queue[web.WebSocketResponse] = field(default_factory=asyncio.Queue)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._ws)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/link"

    async def stop(self) -> None:
        for ws in self.connections:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections.append(ws)
        await ws.send_json(payload("socket_mode_hello.json"))
        await self.connected.put(ws)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await self.received.put(json.loads(msg.data))
        return ws

    async def next_ack(self, timeout: float = 3.0) -> dict[str, Any]:  # noqa: ASYNC109
        return await asyncio.wait_for(self.received.get(), timeout)


@pytest.fixture
async def socket_server() -> AsyncIterator[FakeSocketMode]:
    server = FakeSocketMode()
    await server.start()
    yield server
    await server.stop()


def command_envelope(text: str, response_url: str, envelope_id: str) -> dict[str, Any]:
    env = payload("socket_mode_slash_commands_envelope.json")
    env["envelope_id"] = envelope_id
    env["payload"].update({"command": "/smtp-help", "text": text, "response_url": response_url})
    return env


async def test_socket_mode_acks_envelopes_posts_answers_and_reconnects_on_disconnect(
    fake: FakeSlack,
    socket_server: FakeSocketMode,
    unused_tcp_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.socket_url = socket_server.url
    settings = make_settings(fake, slack_app_token="xapp-1-A1234-1-test")
    assert settings.slack_mode == "socket"
    services = Services(settings=settings, kb=tiny_kb(), store=MemoryStore(), probe=FakeProbe(),
                        diagnose=fake_diagnose, fix_text=fake_fix_text)
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve.serve(settings, host="127.0.0.1", port=unused_tcp_port, services=services, stop=stop)
    )
    with caplog.at_level(logging.WARNING):
        try:
            ws = await asyncio.wait_for(socket_server.connected.get(), 5)
            assert len(fake.of("apps.connections.open")) == 1
            # a paste: acked empty at once, answered afterwards on the response_url
            await ws.send_json(command_envelope(SMTP_PASTE, fake.response_url("sm"), "env-paste-1"))
            ack = await socket_server.next_ack()
            assert ack["envelope_id"] == "env-paste-1"
            [answer] = await fake.wait_for(1, "response_url")
            assert answer.path == "/response/sm"
            assert answer.ephemeral
            assert "Wrong username or password" in answer.text
            # help answers inside the ack itself: the payload rides on the envelope ack
            await ws.send_json(command_envelope("help", fake.response_url("sm2"), "env-help-2"))
            ack = await socket_server.next_ack()
            assert ack["envelope_id"] == "env-help-2"
            assert "smtp-help" in json.dumps(ack["payload"])
            # disconnect (refresh_requested): the client opens a new link and keeps working on it
            await ws.send_json(payload("socket_mode_disconnect.json"))
            ws2 = await asyncio.wait_for(socket_server.connected.get(), 10)
            assert ws2 is not ws
            assert len(fake.of("apps.connections.open")) == 2
            await ws2.send_json(command_envelope(SMTP_PASTE, fake.response_url("sm3"), "env-paste-3"))
            assert (await socket_server.next_ack())["envelope_id"] == "env-paste-3"
            await fake.wait_for(2, "response_url")
        finally:
            stop.set()
            assert await asyncio.wait_for(server, 10) == 0
    assert [c.path for c in fake.of("response_url")] == ["/response/sm", "/response/sm3"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
