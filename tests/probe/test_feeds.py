"""Status feeds beyond Statuspage: RSS 2.0, RSS 1.0, Atom and AWS Health, served from a loopback HTTP server.

A feed that is down, slow, malformed, huge or hostile XML (XXE, billion laughs) is a note on the report
(StatusFeed.error), never an exception and never a finding.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.probe import run_probe
from bot.probe.status import MAX_FEED_BYTES, aws_region, fetch_status, parse_feed, read_xml_items
from tests.probe.conftest import ServerFactory
from tests.tinykb import tiny_kb

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def rfc822(when: dt.datetime) -> str:
    return email.utils.format_datetime(when)


def rss2(*items: tuple[str, dt.datetime, str]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><pubDate>{rfc822(w)}</pubDate><description>{d}</description></item>"
        for t, w, d in items
    )
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>x</title>'
    return f"{head}{body}</channel></rss>".encode()


def atom(*entries: tuple[str, dt.datetime, str]) -> bytes:
    body = "".join(
        f"<entry><title>{t}</title><updated>{w.isoformat()}</updated><content type=\"html\">{c}</content></entry>"
        for t, w, c in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>s</title>{body}</feed>'.encode()


def rss1(title: str, when: dt.datetime) -> bytes:
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="x"><title>s</title></channel><item rdf:about="i"><title>{title}</title>'
        f"<dc:date>{when.isoformat()}</dc:date></item></rdf:RDF>"
    ).encode()


# Statuspage-style Atom history: the newest update of each incident leads its (escaped HTML) content.
OPEN_ATOM = atom(
    ("Delayed SMTP delivery", NOW - dt.timedelta(minutes=20),
     "&lt;p&gt;&lt;small&gt;Nov 30&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - "
     "We are looking into delays.&lt;/p&gt;"),
    ("Login errors", NOW - dt.timedelta(hours=2),
     "&lt;p&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - This incident has been resolved.&lt;/p&gt;"
     "&lt;p&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - errors&lt;/p&gt;"),
    ("Old outage", NOW - dt.timedelta(days=3), "Investigating - never closed in the feed"),
)
QUIET_RSS = rss2(("Maintenance completed", NOW - dt.timedelta(hours=1), "Completed - all done"),
                 ("[Resolved] SMTP relay errors", NOW - dt.timedelta(hours=3), "fixed"))
OPEN_RSS = rss2(("SMTP relay unreachable in EU", NOW - dt.timedelta(minutes=5), "Identified - a fix is underway"),
                ("Unresolved: API latency", NOW - dt.timedelta(minutes=50), "Investigating"))

AWS_EVENTS = [
    {"service": "ses-eu-west-1", "service_name": "Amazon Simple Email Service", "region_name": "Ireland",
     "summary": "Increased SMTP error rates", "status": "1", "end_time": None},
    {"service": "ses-us-east-1", "service_name": "Amazon Simple Email Service", "region_name": "N. Virginia",
     "summary": "Increased API latency", "status": "1"},
    {"service": "ses-us-west-2", "region_name": "Oregon", "summary": "[RESOLVED] Delays", "status": "0",
     "end_time": 1764460000},
    {"service": "s3-eu-west-1", "region_name": "Ireland", "summary": "Elevated S3 errors", "status": "1"},
]


def aws_json() -> bytes:
    return b"\xff\xfe" + json.dumps(AWS_EVENTS).encode("utf-16-le")  # as the dashboard serves it: UTF-16, BOM


XXE = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b"<rss><channel><item><title>&xxe;</title></item></channel></rss>")
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                     for i in range(1, 10))
          + b"]><rss><channel><item><title>&lol9;</title></item></channel></rss>")


@pytest.fixture
async def feeds() -> AsyncIterator[str]:
    bodies: dict[str, tuple[bytes, str]] = {
        "atom-open": (OPEN_ATOM, "application/atom+xml"),
        "rss-quiet": (QUIET_RSS, "application/rss+xml"),
        "rss-open": (OPEN_RSS, "application/rss+xml"),
        "rss1": (rss1("Mail delivery delayed", NOW - dt.timedelta(minutes=3)), "application/rdf+xml"),
        "aws": (aws_json(), "application/json;charset=utf-16"),
        "aws-rss-open": (rss2(("Informational message: Increased SMTP errors", NOW - dt.timedelta(minutes=9), "x"),
                              ("Service is operating normally: [RESOLVED] Delays", NOW - dt.timedelta(hours=5), "")),
                         "application/rss+xml"),
        "aws-rss-quiet": (rss2(("Service is operating normally: [RESOLVED] Increased SMTP errors",
                                NOW - dt.timedelta(minutes=2), ""),
                               ("Informational message: Increased SMTP errors", NOW - dt.timedelta(minutes=9), "")),
                          "application/rss+xml"),
        "xxe": (XXE, "application/rss+xml"),
        "laughs": (LAUGHS, "application/rss+xml"),
        "html": (b"<html><body>status</body></html>", "text/html"),
        "broken": (b"<rss><channel><item><title>unclosed", "application/rss+xml"),
    }

    async def serve(request: web.Request) -> web.StreamResponse:
        which = request.match_info["which"]
        if which == "slow":
            await asyncio.sleep(3)
        if which == "down":
            return web.Response(status=503, text="busy")
        if which in ("huge", "huge-chunked"):
            response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            if which == "huge":
                response.content_length = 3 * MAX_FEED_BYTES
            await response.prepare(request)
            chunk = b"<!-- " + b"x" * 65_000 + b" -->"
            try:
                for _ in range(3 * MAX_FEED_BYTES // len(chunk)):
                    await response.write(chunk)
            except (ConnectionResetError, RuntimeError):
                pass
            return response
        body, kind = bodies[which]
        return web.Response(body=body, headers={"Content-Type": kind})

    app = web.Application()
    app.router.add_get("/{which}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def provider(feed: str, feed_format: str, **extra: Any) -> dict[str, Any]:
    return {"id": "labmail", "recognise": {"hosts": ["127.0.0.1"]},
            "status": {"page": "https://status.lab.test/", "feed": feed, "feed_format": feed_format, **extra}}


@pytest.mark.parametrize(
    ("which", "fmt", "extra", "host", "titles"),
    [
        ("atom-open", "rss", {}, None, ("Delayed SMTP delivery",)),
        ("rss-quiet", "rss", {}, None, ()),
        ("rss-open", "rss", {}, None, ("SMTP relay unreachable in EU", "Unresolved: API latency")),
        ("rss1", "rss", {}, None, ("Mail delivery delayed",)),
        ("aws", "aws_health", {"services": ["ses"]}, "email-smtp.eu-west-1.amazonaws.com",
         ("Increased SMTP error rates (Ireland)",)),
        ("aws", "aws_health", {"services": ["ses"]}, "email-smtp.us-west-2.amazonaws.com", ()),
        ("aws", "aws_health", {"services": ["ses"]}, "smtp.example.com",
         ("Increased SMTP error rates (Ireland)", "Increased API latency (N. Virginia)")),
        ("aws-rss-open", "aws_health", {}, None, ("Informational message: Increased SMTP errors",)),
        ("aws-rss-quiet", "aws_health", {}, None, ()),
    ],
)
async def test_each_format_is_read_from_a_real_http_server(
    feeds: str, which: str, fmt: str, extra: dict[str, Any], host: str | None, titles: tuple[str, ...]
) -> None:
    result = await fetch_status("labmail", provider(f"{feeds}/{which}", fmt, **extra), host=host)
    assert result is not None
    assert result.ok, result.error
    assert result.titles == titles
    assert result.incident is bool(titles)


@pytest.mark.parametrize(
    ("which", "fmt", "error"),
    [
        ("slow", "rss", "did not answer in time"),
        ("down", "rss", "HTTP 503"),
        ("huge", "rss", "too large"),
        ("huge-chunked", "rss", "too large"),
        ("xxe", "rss", "could not be read"),
        ("laughs", "rss", "could not be read"),
        ("html", "rss", "could not be read"),
        ("broken", "rss", "could not be read"),
        ("html", "aws_health", "could not be read"),
        ("aws", "aws_health", "could not be read"),  # no services named: never "every AWS incident is ours"
    ],
)
async def test_a_bad_feed_is_a_note_within_its_time_out(feeds: str, which: str, fmt: str, error: str) -> None:
    started = time.monotonic()
    result = await fetch_status("labmail", provider(f"{feeds}/{which}", fmt), timeout_s=1.0)
    assert time.monotonic() - started < 1.5
    assert result is not None
    assert not result.ok
    assert not result.incident
    assert error in (result.error or "")


async def test_an_unreachable_feed_is_a_note() -> None:
    result = await fetch_status("labmail", provider("http://127.0.0.1:9/feed", "rss"), timeout_s=1.0)
    assert result is not None
    assert "unreachable" in (result.error or "")


def test_hostile_xml_is_refused_before_any_entity_is_expanded() -> None:
    for body in (XXE, LAUGHS):
        started = time.monotonic()
        with pytest.raises(ValueError, match="document type"):
            read_xml_items(body)
        assert time.monotonic() - started < 0.1
    with pytest.raises(ValueError, match="not an RSS or Atom feed"):
        read_xml_items(b"<html><body/></html>")


def test_resolved_words_are_words_and_undated_items_never_count() -> None:
    undated = b"<rss><channel><item><title>Outage</title></item></channel></rss>"
    assert parse_feed(undated, "rss", now=NOW) == (False, ())
    assert parse_feed(OPEN_RSS, "rss", now=NOW)[1][1] == "Unresolved: API latency"  # "unresolved" is not resolved
    assert parse_feed(OPEN_RSS, "rss", now=NOW + dt.timedelta(days=2)) == (False, ())  # out of the window


def test_aws_region_comes_from_the_ses_host_only() -> None:
    assert aws_region("email-smtp.eu-west-1.amazonaws.com") == "eu-west-1"
    assert aws_region("email-smtp.us-gov-west-1.amazonaws.com") == "us-gov-west-1"
    assert aws_region("smtp.gmail.com") is None
    assert aws_region("evil.eu-west-1.amazonaws.com.example.org") is None


async def test_an_open_rss_incident_becomes_a_finding_and_a_down_feed_does_not(
    feeds: str, smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("implicit")
    opened = await run_probe("127.0.0.1:465", port_map={465: port},
                             providers=tiny_kb(provider(f"{feeds}/atom-open", "rss")), **probe_kwargs)
    assert opened.status_feed is not None
    assert opened.status_feed.incident
    assert [f.cause for f in opened.findings] == ["provider_outage"]
    assert "Delayed SMTP delivery" in opened.findings[0].detail
    down = await run_probe("127.0.0.1:465", port_map={465: port},
                           providers=tiny_kb(provider(f"{feeds}/down", "rss")), **probe_kwargs)
    assert down.status_feed is not None
    assert down.status_feed.error == "feed answered HTTP 503"
    assert down.findings == ()
    assert down.ports[0].status == "ok"


def test_a_long_history_is_read_no_further_than_its_newest_items() -> None:
    history = rss2(*((f"Incident {i}", NOW - dt.timedelta(minutes=i), "Investigating - " + "x" * 300)
                     for i in range(4000)))  # 1.8 MB: under the cap, far more than a status check needs
    started = time.monotonic()
    items = read_xml_items(history)
    assert time.monotonic() - started < 0.1  # the probe's event loop is not held by old history
    assert len(items) == 100
    assert items[0].title == "Incident 0"
