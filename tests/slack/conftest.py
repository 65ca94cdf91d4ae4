"""Fixtures: the real bolt app served by aiohttp on loopback, signed requests, and the fake Slack Web API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.model import Finding
from bot.probe.report import PortResult, ProbeReport
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.serve import ServerState, create_web_app
from bot.slack.services import Services
from bot.store import MemoryStore
from tests.slack.engine import fake_diagnose, fake_fix_text
from tests.slack.fake_slack import FakeSlack
from tests.tinykb import tiny_kb

PAYLOADS = Path(__file__).resolve().parent / "payloads"  # Slack's documented payloads, copied into the repository
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def payload(name: str) -> Any:
    """A documented Slack payload from tests/slack/payloads (parsed JSON, or raw text for .txt)."""
    raw = (PAYLOADS / name).read_text()
    return raw if name.endswith(".txt") else json.loads(raw)


class FakeProbe:
    """Probe runner stand-in: records targets, returns a canned report."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.report = ProbeReport(
            target="smtp.gmail.com:587",
            host="smtp.gmail.com",
            addresses=("192.0.2.10",),
            ports=(PortResult(port=587, status="ok", tls="starttls", tls_version="TLSv1.3", greeting_code=220,
                              greeting_text="smtp.gmail.com ESMTP", auth_after_tls=("PLAIN", "LOGIN")),),
            findings=(Finding(cause="bad_credentials", detail="port 587: AUTH answered 535 5.7.8 rejected"),),
        )

    async def run(self, target: str, **kw: Any) -> ProbeReport:
        self.targets.append(target)
        return self.report

    async def close(self) -> None:
        pass


@dataclass
class Harness:
    """The app under test, its fake Slack, and a signed-request sender."""

    fake: FakeSlack
    services: Services
    base: str
    http: aiohttp.ClientSession
    state: ServerState

    sent: int = 0

    def sign(self, body: str, ts: int | None = None) -> dict[str, str]:
        # Slack never signs two requests alike (trigger_id, event_id differ); these fixed payloads would, and
        # the app refuses a signature it has seen (replay guard). A step back in time per request keeps each
        # signature unique and well inside the 300 s window.
        self.sent += 1
        ts = int(time.time()) - self.sent % 200 if ts is None else ts
        sig = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=str(ts), body=body)
        return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig}

    async def post(
        self, body: str, *, content_type: str, headers: dict[str, str] | None = None, sign: bool = True
    ) -> tuple[int, str]:
        hdrs = {"Content-Type": content_type, **(self.sign(body) if sign else {}), **(headers or {})}
        async with self.http.post(self.base + "/slack/events", data=body.encode(), headers=hdrs) as resp:
            return resp.status, await resp.text()

    async def event(self, body: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post(json.dumps(body), content_type="application/json", **kw)

    async def interactive(self, body: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post(
            "payload=" + quote(json.dumps(body)), content_type="application/x-www-form-urlencoded", **kw
        )

    async def command(self, text: str, **fields: str) -> tuple[int, str]:
        form = {
            "token": "x",
            "team_id": "T123ABC456",
            "team_domain": "example",
            "channel_id": "C2147483705",
            "channel_name": "test",
            "user_id": "U2147483697",
            "user_name": "Steve",
            "command": "/smtp-help",
            "text": text,
            "response_url": self.fake.response_url("cmd"),
            "trigger_id": "13345224609.7384",
            "api_app_id": "A123456",
            **fields,
        }
        return await self.post(urlencode(form), content_type="application/x-www-form-urlencoded")

    async def settle(self, timeout: float = 3.0) -> None:  # noqa: ASYNC109
        """Wait until every background task the app started has finished."""
        deadline = time.monotonic() + timeout
        while self.services.background.pending:
            if time.monotonic() > deadline:
                raise AssertionError("background work did not finish")
            await asyncio.sleep(0.01)


def make_settings(fake: FakeSlack, **kw: Any) -> Settings:
    return Settings(
        slack_bot_token="xoxb-1-test", slack_signing_secret=SIGNING_SECRET, slack_api_url=fake.api_url, **kw
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings_kw() -> dict[str, Any]:
    """Override per test (e.g. triage_bot_ids)."""
    return {}


@contextlib.asynccontextmanager
async def serve(fake: FakeSlack, services: Services, http: aiohttp.ClientSession) -> AsyncIterator[Harness]:
    """The real bolt app for `services`, served on loopback port 0, as a Harness."""
    state = ServerState()
    web_app = create_web_app(build_app(services.settings, services), state, store=services.store)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Harness(fake=fake, services=services, base=f"http://127.0.0.1:{port}", http=http, state=state)
    finally:
        await services.background.drain(2)
        await runner.cleanup()


def real_engine() -> tuple[Any, Any, Any]:
    """The real knowledge base, diagnose and fix_text (imported here so the fake-engine tests stay light)."""
    from bot.diagnose import diagnose
    from bot.kb import load_knowledge_base
    from bot.render.fix import fix_text

    return load_knowledge_base(), diagnose, fix_text


@contextlib.asynccontextmanager
async def live_harness(fake: FakeSlack, *, runner: Any, probe_options: dict[str, Any],
                       **settings_kw: Any) -> AsyncIterator[Harness]:
    """The real app with the real engine and a real probe runner (`runner(settings, store)`); the probe reaches
    loopback test servers only through `probe_options`, set here in code, never from input."""
    kb, diagnose, fix_text = real_engine()
    settings = make_settings(fake, **settings_kw)
    store = MemoryStore()
    async with aiohttp.ClientSession() as http:
        services = Services(settings=settings, kb=kb, store=store, probe=runner(settings, store),
                            probe_options=probe_options, diagnose=diagnose, fix_text=fix_text, http=http)
        async with serve(fake, services, http) as h:
            yield h


@pytest.fixture
async def harness(fake: FakeSlack, settings_kw: dict[str, Any]) -> AsyncIterator[Harness]:
    async with aiohttp.ClientSession() as http:
        settings = make_settings(fake, **settings_kw)
        services = Services(
            settings=settings,
            kb=tiny_kb(),
            store=MemoryStore(),
            probe=FakeProbe(),
            diagnose=fake_diagnose,
            fix_text=fake_fix_text,
            http=http,
        )
        async with serve(fake, services, http) as h:
            yield h
