"""Provider status feeds: read the recognised provider's public feed with a short time-out.

The provider is recognised from the host by extraction's recogniser (bot.extract.provider_of_host); the feed URL
and format come from the knowledge base (knowledge/providers/<id>.yaml, `status:`), never from the user.
`parse_feed()` is pure; `fetch_status()` does one HTTP GET (aiohttp),
with a time-out and a size cap, and turns every failure into a StatusFeed with `ok=False`.
Formats: statuspage (Atlassian /api/v2/summary.json), google_workspace (incidents.json), rss (RSS/Atom:
items are read as recent incidents only when the feed says so - we report titles, not a verdict).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.probe.report import StatusFeed, clean_text

__all__ = ["MAX_FEED_BYTES", "fetch_status", "parse_feed"]

MAX_FEED_BYTES = 2_000_000


def parse_feed(body: bytes, feed_format: str) -> tuple[bool, tuple[str, ...]]:
    """(any open incident, incident titles) from a feed body; ValueError if it cannot be read."""
    if feed_format == "statuspage":
        doc = json.loads(body)
        incidents = [
            i for i in doc.get("incidents") or () if i.get("status") not in ("resolved", "postmortem")
        ]
        titles = [str(i.get("name", "")) for i in incidents]
        indicator = (doc.get("status") or {}).get("indicator", "none")
        degraded = [
            c.get("name", "")
            for c in doc.get("components") or ()
            if c.get("status") not in (None, "operational")
        ]
        if not titles and indicator not in ("none", None) and degraded:
            titles = [f"degraded: {', '.join(str(n) for n in degraded[:5])}"]
        return bool(titles), tuple(clean_text(t, 150) for t in titles[:5])
    if feed_format == "google_workspace":
        doc = json.loads(body)
        open_ = [i for i in doc if not i.get("end")] if isinstance(doc, list) else []
        titles = [str(i.get("external_desc") or i.get("service_name") or "incident") for i in open_]
        return bool(titles), tuple(clean_text(t, 150) for t in titles[:5])
    raise ValueError(f"feed format {feed_format!r} is not read by the probe")


async def fetch_status(
    provider: str, data: Mapping[str, Any], *, timeout_s: float = 3.0, url: str | None = None,
    resolver: Any = None,
) -> StatusFeed | None:
    """Read the provider's feed (or `url` instead); None when the provider has no readable feed. `resolver` (an
    aiohttp resolver: bot.probe.dns.feed_resolver) makes the fetch use the probe's configured DNS servers."""
    status = data.get("status") or {}
    feed_url, feed_format, page = (
        url or status.get("feed"),
        status.get("feed_format", "none"),
        status.get("page"),
    )
    if not feed_url or feed_format in (None, "none", "aws_health", "rss"):
        return None
    try:
        client_timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with (
            aiohttp.ClientSession(timeout=client_timeout,
                                  connector=aiohttp.TCPConnector(resolver=resolver) if resolver else None) as session,
            session.get(feed_url, allow_redirects=False, headers={"Accept": "application/json"}) as response,
        ):
            if response.status != 200:
                return StatusFeed(provider=provider, page=page, error=f"feed answered HTTP {response.status}")
            body = await response.content.read(MAX_FEED_BYTES + 1)
            if len(body) > MAX_FEED_BYTES:
                return StatusFeed(provider=provider, page=page, error="feed too large")
        incident, titles = parse_feed(body, feed_format)
    except TimeoutError:
        return StatusFeed(provider=provider, page=page, error="feed did not answer in time")
    except (aiohttp.ClientError, OSError) as exc:
        return StatusFeed(provider=provider, page=page, error=clean_text(f"feed unreachable: {exc}", 150))
    except (ValueError, AttributeError, TypeError):
        return StatusFeed(provider=provider, page=page, error="feed could not be read")
    return StatusFeed(provider=provider, page=page, ok=True, incident=incident, titles=titles)
