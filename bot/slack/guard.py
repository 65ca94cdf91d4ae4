"""The gate in front of bolt at POST /slack/events: only a well-formed, signed, fresh, first-seen request gets in.

Checked here, on the raw bytes, before bolt parses or logs anything (security.md K1; issue 14 items 5, 6, 10):

- `X-Slack-Request-Timestamp` is ASCII digits (`'²'.isdigit()` is True and bolt's int() then raised: a 500),
  within 300 s of now; `X-Slack-Signature` is `v0=` + HMAC-SHA256(secret, `v0:{ts}:{raw body}`), compared in
  constant time. Missing, stale or wrong → 401. Bolt logs a rejected request's raw body at INFO (a clock-skewed
  genuine request would put its pasted password in the log); it never sees one now.
- The body is UTF-8 (whatever charset the Content-Type claims) and parses as what its Content-Type says: a JSON
  object, or a form whose `payload` (if any) is a JSON object (deep nesting is bad JSON). Otherwise → 400.
- A signature seen before within the window is a replay (Slack signatures carry no nonce): answered 200 and not
  run, so a captured slash command runs once. Remembered through the store's `claim_event` when there is one, so
  instances sharing a database or Redis share the memory.

Every rejection is one log line with the reason and the status, never the body or a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import re2
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

__all__ = ["REPLAY_WINDOW_S", "Rejected", "RequestGuard", "Verified", "quiet_parser_errors", "redact_log_records"]

log = logging.getLogger(__name__)

REPLAY_WINDOW_S = 300  # Slack's own freshness window (slack_sdk SignatureVerifier)
_LOCAL_MEMORY = 50_000  # signatures kept in-process when no store is shared


@dataclass(frozen=True)
class Rejected:
    """A request that does not reach bolt: the status to answer and why (for the one log line)."""

    status: int
    reason: str


@dataclass(frozen=True)
class Verified:
    """A signed, fresh, well-formed request: its body as text."""

    body: str
    signature: str


def _json_object(raw: str) -> bool:
    # json's C decoder raises RecursionError on deep nesting ([[[[…), which is caught like any other bad JSON
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False


def _well_formed(body: str, content_type: str) -> str | None:
    """None if the body is what Slack sends under this Content-Type, else why not."""
    if content_type == "application/json":
        return None if _json_object(body) else "body is not a JSON object"
    if content_type in ("application/x-www-form-urlencoded", ""):
        try:
            form = parse_qs(body, keep_blank_values=True, strict_parsing=bool(body), max_num_fields=200)
        except ValueError:
            return "body is not a form"
        payload = form.get("payload")
        if payload is not None and (len(payload) != 1 or not _json_object(payload[0])):
            return "form payload is not a JSON object"
        return None
    return f"unsupported content type {content_type[:40]!r}"


class RequestGuard:
    """Verify requests for one signing secret; remember signatures through `store.claim_event` (or in-process)."""

    def __init__(self, signing_secret: str, *, store: Any = None, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode()
        self._store = store
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def check(self, headers: Any, raw: bytes, content_type: str) -> Verified | Rejected:
        """Signature, freshness, encoding and shape; not replay (see `first_time`)."""
        if not self._secret:
            return Rejected(404, "no signing secret configured (Socket Mode serves no HTTP events)")
        timestamp = headers.get("X-Slack-Request-Timestamp")
        signature = headers.get("X-Slack-Signature")
        if timestamp is None or signature is None:
            return Rejected(401, "missing X-Slack-Request-Timestamp or X-Slack-Signature")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return Rejected(400, "X-Slack-Request-Timestamp is not a number")
        if abs(self._clock() - int(timestamp)) > REPLAY_WINDOW_S:
            return Rejected(401, "stale or future X-Slack-Request-Timestamp")
        expected = "v0=" + hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
        if not signature.isascii() or not hmac.compare_digest(expected, signature):
            return Rejected(401, "invalid X-Slack-Signature")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Rejected(400, "body is not UTF-8")
        why = _well_formed(body, content_type)
        if why is not None:
            return Rejected(400, why)
        return Verified(body=body, signature=signature)

    async def first_time(self, signature: str) -> bool:
        """True the first time a signature is seen within the window; False for a replay."""
        if self._store is not None:
            try:
                return bool(await self._store.claim_event("sig:" + signature, ttl_s=REPLAY_WINDOW_S + 30))
            except Exception:  # the store degrades; fall back to this process's memory
                log.warning("replay check: store unavailable, using this process's memory")
        now = self._clock()
        while self._seen and (len(self._seen) > _LOCAL_MEMORY or next(iter(self._seen.values())) < now):
            self._seen.popitem(last=False)
        if signature in self._seen:
            return False
        self._seen[signature] = now + REPLAY_WINDOW_S + 30
        return True


class _ParserErrorsOnOneLine(logging.Filter):
    """aiohttp logs a request its parser refuses (a header over 8190 bytes, a bad request line) at ERROR with a
    traceback whose message quotes the offending bytes. It already answers 400; make the log one WARNING line with
    the error's type only (the bytes may hold anything a client sent). Other exceptions keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if isinstance(record.exc_info, tuple) else None
        if isinstance(exc, RequestPayloadError):
            # a body aiohttp cannot decode (Content-Encoding: gzip over garbage): the handler has already answered
            # 400 with its own line; this one is only the connection's leftover, at DEBUG
            record.msg, record.args = "unreadable request body drained (%s)", (type(exc).__name__,)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        elif isinstance(exc, HttpProcessingError):
            record.msg = "rejected a malformed HTTP request (%s, %s)"
            record.args = (type(exc).__name__, getattr(exc, "code", 400))
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = "WARNING"
        return True


_PARSER_FILTER = _ParserErrorsOnOneLine()


def quiet_parser_errors() -> None:
    """Install the filter on aiohttp's server logger (idempotent)."""
    server_log = logging.getLogger("aiohttp.server")
    if _PARSER_FILTER not in server_log.filters:
        server_log.addFilter(_PARSER_FILTER)


_REDACTED_LOGGERS = ("slack_bolt", "slack_sdk", "aiohttp", "bot", "asyncio")
# A response_url is a bearer credential for about 30 minutes (it can post as the app): slack_sdk's retry handler
# logs it whole at INFO when a post fails to connect. Its path is replaced; the host stays for the reader.
_RESPONSE_URL = re2.compile(r"(https://hooks\.slack(?:-gov)?\.com)/[A-Za-z0-9/_%.-]+")
_installed_factory: Any = None


def redact_log_records() -> None:
    """Every record from Slack's libraries, aiohttp, asyncio and bot.* gets its message through the redactor.

    Bolt logs whole request bodies in some warnings ("... without providing a response for the request ({body})")
    and slack_sdk logs API payloads at DEBUG: only verified content reaches them (the gate above), and this makes
    sure a pasted secret in it is redacted too. Installed once, as a LogRecord factory (records are only built for
    enabled levels, so a quiet logger costs nothing).
    """
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is _installed_factory:
        return
    from bot.redact import redact

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if record.name.startswith(_REDACTED_LOGGERS):
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: leave it for logging to report
                return record
            redacted = redact(message)
            text = redacted.text if redacted.kinds else message
            if "hooks.slack" in text:
                text = _RESPONSE_URL.sub(r"\1/[response_url]", text)
            if text != message:
                record.msg, record.args = text, ()
        return record

    _installed_factory = factory
    logging.setLogRecordFactory(factory)
