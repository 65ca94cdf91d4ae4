"""Provider status feeds: read the recognised provider's public feed with a short time-out.

The provider is recognised from the host by extraction's recogniser (bot.extract.provider_of_host); the feed URL
and format come from the knowledge base (knowledge/providers/<id>.yaml, `status:`), never from the user.
`parse_feed()` is pure; `fetch_status()` does one HTTP GET (aiohttp), with a time-out and a size cap, and turns
every failure into a StatusFeed with `ok=False`: a feed that is down, slow, malformed or huge is a note, never a
fault of the probe. Formats:
  statuspage        Atlassian Statuspage /api/v2/summary.json: unresolved incidents, else degraded components.
  google_workspace  Google Workspace Status Dashboard incidents.json: incidents without an `end`.
  rss               any RSS 2.0, RSS 1.0 or Atom incident feed: an entry is open when it was published or
                    updated in the last OPEN_WINDOW and its title and the start of its text do not say it is
                    resolved/completed (a history feed keeps resolved incidents; their newest update leads).
  aws_health        the AWS Health Dashboard: the JSON its page loads (health.aws.amazon.com/public/currentevents,
                    UTF-16 with a BOM; one event per service-region, `service` like "ses-eu-west-1", open while
                    `status` is not "0", there is no `end_time` and the summary is not "[RESOLVED]"), or a
                    per-service RSS feed (status.aws.amazon.com/rss/ses-us-east-1.rss: one item per update, so
                    only the newest counts). `services` in the YAML names AWS's service ids; the host's region
                    (email-smtp.<region>.amazonaws.com) narrows them, so an incident elsewhere is not ours.
XML is parsed by expat with no document type allowed: no DTD means no entity of any kind (no XXE, no
billion laughs); bodies are capped at MAX_FEED_BYTES before parsing.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import xml.parsers.expat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.probe.report import StatusFeed, clean_text

__all__ = ["MAX_FEED_BYTES", "OPEN_WINDOW", "FeedItem", "aws_region", "fetch_status", "parse_feed", "read_xml_items"]

MAX_FEED_BYTES = 2_000_000
MAX_ITEMS = 100
OPEN_WINDOW = dt.timedelta(hours=24)
_RESOLVED_WORDS = frozenset({"resolved", "completed", "postmortem", "closed"})
_ACCEPT = {
    "rss": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8",
    "aws_health": "application/json, application/rss+xml;q=0.9, */*;q=0.5",
}


class _Enough(Exception):
    """MAX_ITEMS items read: the rest of the document is not parsed (a newest-first feed's old history)."""


@dataclass(frozen=True)
class FeedItem:
    """One RSS item or Atom entry: its title, its newest date if it has one, and the start of its text."""

    title: str
    when: dt.datetime | None
    text: str


def _strip_tags(html: str) -> str:
    """Visible text of an HTML fragment (feed descriptions carry escaped HTML); a plain scan, no regex."""
    out: list[str] = []
    inside = False
    for ch in html:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
            out.append(" ")
        elif not inside:
            out.append(ch)
    return " ".join("".join(out).split())


def _when(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)  # Atom: RFC 3339
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(text)  # RSS: RFC 822
        except (TypeError, ValueError, IndexError):
            return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def read_xml_items(body: bytes) -> list[FeedItem]:
    """The items of an RSS 2.0 / RSS 1.0 / Atom document, newest first as the feed lists them; ValueError for a
    document that is not well formed, declares a document type (and so could declare entities), or is no feed."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    items: list[FeedItem] = []
    stack: list[str] = []
    current: dict[str, list[str]] | None = None
    root: list[str] = []

    def local(name: str) -> str:
        return name.rpartition(" ")[2].lower()

    def no_doctype(*_: Any) -> None:
        raise ValueError("a feed with a document type declaration is not read")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal current
        tag = local(name)
        if not root:
            root.append(tag)
        stack.append(tag)
        if tag in ("item", "entry") and current is None:
            if len(items) >= MAX_ITEMS:
                raise _Enough
            current = {}

    def end(name: str) -> None:
        nonlocal current
        tag = stack.pop() if stack else ""
        if tag in ("item", "entry") and current is not None:
            dates = [w for k in ("updated", "pubdate", "date", "published")
                     if (w := _when("".join(current.get(k, [])))) is not None]
            text = "".join(current.get("content") or current.get("description") or current.get("summary") or [])
            items.append(FeedItem(title=" ".join("".join(current.get("title", [])).split()),
                                  when=max(dates) if dates else None, text=_strip_tags(text)[:300]))
            current = None

    def data(text: str) -> None:
        if current is not None and stack and stack[-1] in (
            "title", "updated", "pubdate", "date", "published", "content", "description", "summary"
        ):
            parts = current.setdefault(stack[-1], [])
            if sum(map(len, parts)) < 20_000:
                parts.append(text)

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(body, True)
    except _Enough:
        pass
    except xml.parsers.expat.ExpatError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    if not root or root[0] not in ("rss", "feed", "rdf"):
        raise ValueError("not an RSS or Atom feed")
    return items


def _resolved(item: FeedItem) -> bool:
    head = f"{item.title} {item.text[:120]}".lower()
    words = {w.strip(".,:;-!()[]") for w in head.split()}
    return bool(words & _RESOLVED_WORDS) or "operating normally" in head


def _open_items(items: Sequence[FeedItem], now: dt.datetime) -> list[FeedItem]:
    return [i for i in items if i.when is not None and now - i.when <= OPEN_WINDOW and not _resolved(i)]


def _decode(body: bytes) -> str:
    """Text of a body that may be UTF-16 with a byte-order mark (the AWS Health JSON) or UTF-8."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body.decode("utf-16")
    return body.decode("utf-8-sig")


def _aws_service_matches(service: str, services: Sequence[str], region: str | None) -> bool:
    if region:
        return service in {f"{s}-{region}" for s in services}
    return any(service == s or service.startswith(f"{s}-") for s in services)


def _aws_events(doc: Any, services: Sequence[str], region: str | None) -> list[str]:
    if not isinstance(doc, list):
        raise ValueError("AWS Health: expected a list of events")
    if not services:
        raise ValueError("AWS Health: the provider names no AWS service (status.services)")
    titles = []
    for event in doc:
        if not isinstance(event, Mapping):
            continue
        if not _aws_service_matches(str(event.get("service") or ""), services, region):
            continue
        summary = str(event.get("summary") or "event")
        if str(event.get("status", "1")) == "0" or event.get("end_time") or summary.lower().startswith("[resolved"):
            continue
        where = event.get("region_name") or event.get("service")
        titles.append(f"{summary} ({where})")
    return titles


def parse_feed(
    body: bytes,
    feed_format: str,
    *,
    now: dt.datetime | None = None,
    services: Sequence[str] = (),
    region: str | None = None,
) -> tuple[bool, tuple[str, ...]]:
    """(any open incident, incident titles) from a feed body; ValueError if it cannot be read."""
    moment = now or dt.datetime.now(dt.UTC)
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
    if feed_format == "rss":
        titles = [i.title or "incident" for i in _open_items(read_xml_items(body), moment)]
        return bool(titles), tuple(clean_text(t, 150) for t in titles[:5])
    if feed_format == "aws_health":
        text = _decode(body).lstrip()
        if text.startswith("<"):
            newest = read_xml_items(body)[:1]  # one item per update: only the newest counts
            titles = [i.title or "incident" for i in _open_items(newest, moment)]
        else:
            titles = _aws_events(json.loads(text), services, region)
        return bool(titles), tuple(clean_text(t, 150) for t in titles[:5])
    raise ValueError(f"feed format {feed_format!r} is not read by the probe")


def aws_region(host: str | None) -> str | None:
    """The AWS region named in a host such as email-smtp.eu-west-1.amazonaws.com; None for any other host."""
    if not host:
        return None
    labels = host.lower().rstrip(".").split(".")
    if len(labels) < 4 or labels[-2:] != ["amazonaws", "com"]:
        return None
    parts = labels[-3].split("-")
    return labels[-3] if len(parts) >= 3 and parts[-1].isdigit() and all(p.isalpha() for p in parts[:-1]) else None


async def _read_capped(response: aiohttp.ClientResponse) -> bytes | None:
    """The body, or None when it is larger than MAX_FEED_BYTES (read no further than one byte past the cap)."""
    length = response.content_length
    if length is not None and length > MAX_FEED_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_FEED_BYTES:
        chunk = await response.content.read(min(65536, MAX_FEED_BYTES + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None


async def fetch_status(
    provider: str, data: Mapping[str, Any], *, timeout_s: float = 3.0, url: str | None = None,
    resolver: Any = None, host: str | None = None, now: dt.datetime | None = None,
) -> StatusFeed | None:
    """Read the provider's feed (or `url` instead); None when the provider has no readable feed. `resolver` (an
    aiohttp resolver: bot.probe.dns.feed_resolver) makes the fetch use the probe's configured DNS servers;
    `host` (the probed host) narrows an AWS Health feed to its region."""
    status = data.get("status") or {}
    feed_url, feed_format, page = (
        url or status.get("feed"),
        status.get("feed_format", "none"),
        status.get("page"),
    )
    if not feed_url or feed_format in (None, "none"):
        return None
    try:
        client_timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with (
            aiohttp.ClientSession(timeout=client_timeout,
                                  connector=aiohttp.TCPConnector(resolver=resolver) if resolver else None) as session,
            session.get(feed_url, allow_redirects=False,
                        headers={"Accept": _ACCEPT.get(feed_format, "application/json")}) as response,
        ):
            if response.status != 200:
                return StatusFeed(provider=provider, page=page, error=f"feed answered HTTP {response.status}")
            body = await _read_capped(response)
            if body is None:
                return StatusFeed(provider=provider, page=page, error="feed too large")
        incident, titles = parse_feed(body, feed_format, now=now, services=tuple(status.get("services") or ()),
                                      region=aws_region(host))
    except TimeoutError:
        return StatusFeed(provider=provider, page=page, error="feed did not answer in time")
    except (aiohttp.ClientError, OSError) as exc:
        return StatusFeed(provider=provider, page=page, error=clean_text(f"feed unreachable: {exc}", 150))
    except (ValueError, AttributeError, TypeError, RecursionError):
        return StatusFeed(provider=provider, page=page, error="feed could not be read")
    return StatusFeed(provider=provider, page=page, ok=True, incident=incident, titles=titles)
