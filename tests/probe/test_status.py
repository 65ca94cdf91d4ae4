"""Provider recognition and status feeds, against a fake Statuspage feed served by aiohttp on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.extract import provider_of_host
from bot.kb import KnowledgeBase
from bot.probe import run_probe
from bot.probe.status import fetch_status, parse_feed
from tests.probe.conftest import ServerFactory
from tests.tinykb import tiny_kb

OPEN = {
    "status": {"indicator": "major"},
    "components": [{"name": "SMTP", "status": "major_outage"}],
    "incidents": [
        {"name": "Delayed SMTP delivery", "status": "investigating"},
        {"name": "Old one", "status": "resolved"},
    ],
}
QUIET = {
    "status": {"indicator": "none"},
    "components": [{"name": "SMTP", "status": "operational"}],
    "incidents": [],
}


def labmail(feed: str) -> dict[str, Any]:
    return {
        "id": "labmail",
        "recognise": {"hosts": ["127.0.0.1", ".lab.test"]},
        "status": {"page": "https://status.lab.test/", "feed": feed, "feed_format": "statuspage"},
    }


def providers(feed: str) -> KnowledgeBase:
    return tiny_kb(labmail(feed))


@pytest.fixture
async def feed_server() -> AsyncIterator[str]:
    async def summary(request: web.Request) -> web.Response:
        which = request.match_info["which"]
        if which == "slow":
            await asyncio.sleep(1.5)
        if which == "broken":
            return web.Response(text="<html>not json</html>")
        return web.json_response(OPEN if which == "open" else QUIET)

    app = web.Application()
    app.router.add_get("/{which}/api/v2/summary.json", summary)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def test_recognise_by_exact_host_and_suffix() -> None:
    """The probe asks extraction's recogniser: one answer for a host, whichever room asks."""
    kb = providers("x")
    assert provider_of_host(kb, "127.0.0.1") == "labmail"
    assert provider_of_host(kb, "smtp.lab.test") == "labmail"
    assert provider_of_host(kb, "MX.lab.test.") == "labmail"
    assert provider_of_host(kb, "smtp.gmail.com") == "gmail"
    assert provider_of_host(kb, "smtp.example.com") is None


def test_statuspage_parsing() -> None:
    assert parse_feed(json.dumps(OPEN).encode(), "statuspage") == (True, ("Delayed SMTP delivery",))
    assert parse_feed(json.dumps(QUIET).encode(), "statuspage") == (False, ())


async def test_open_incident_is_provider_outage(
    feed_server: str, smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("implicit")
    report = await run_probe(
        "127.0.0.1:465",
        port_map={465: port},
        providers=providers(f"{feed_server}/open/api/v2/summary.json"),
        **probe_kwargs,
    )
    assert report.provider == "labmail"
    assert report.status_feed is not None
    assert report.status_feed.incident
    assert [f.cause for f in report.findings] == ["provider_outage"]
    assert "Delayed SMTP delivery" in report.findings[0].detail


async def test_quiet_feed_adds_nothing(
    feed_server: str, smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("implicit")
    report = await run_probe(
        "127.0.0.1:465",
        port_map={465: port},
        providers=providers(f"{feed_server}/quiet/api/v2/summary.json"),
        **probe_kwargs,
    )
    assert report.status_feed is not None
    assert report.status_feed.ok
    assert not report.status_feed.incident
    assert report.findings == ()


@pytest.mark.parametrize(("which", "error"), [("slow", "in time"), ("broken", "could not be read")])
async def test_bad_feeds_are_reported_not_raised(feed_server: str, which: str, error: str) -> None:
    data = labmail(f"{feed_server}/{which}/api/v2/summary.json")
    result = await fetch_status("labmail", data, timeout_s=0.5)
    assert result is not None
    assert not result.ok
    assert error in (result.error or "")
