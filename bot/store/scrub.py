"""Defence-in-depth redaction before anything is persisted (security.md R1).

Callers hand the store text that is already redacted; the store runs it through `bot.redact.redact` again
when that module exists, and always through a small fallback for the commonest secret shapes, so a caller's
slip never lands a password in a database row.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["scrub"]

_FALLBACK = (
    # KEY=value / KEY: value where the key names a secret (MAIL_PASSWORD=..., "smtp_pass": "...")
    re.compile(r"""(?i)(\b[\w.-]*(?:pass(?:word|wd)?|pwd|pw|secret|token|api[_-]?key)[\w.-]*["']?\s*[:=]\s*["']?)"""
               r"""(?!\[REDACTED)([^\s"',;]+)"""),
    # Slack tokens, bearer/basic credentials, URL userinfo
    re.compile(r"(xox[abposr]-|xapp-)([\w-]+)"),
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)([\w.~+/=-]{8,})"),
    re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(?=@)"),
    # SMTP AUTH PLAIN / LOGIN base64 arguments
    re.compile(r"(?i)(\bAUTH\s+(?:PLAIN|LOGIN)\s+)([A-Za-z0-9+/=]{4,})"),
)
_MASK = "[REDACTED]"


def _project_redact(text: str) -> str:
    try:
        from bot.redact import redact
    except ImportError:
        return text
    out: Any = redact(text)
    if isinstance(out, str):
        return out
    for attr in ("text", "redacted"):
        value = getattr(out, attr, None)
        if isinstance(value, str):
            return value
    if isinstance(out, tuple) and out and isinstance(out[0], str):
        return out[0]
    return text


def scrub(text: str) -> str:
    """Return `text` with secrets masked: the project redactor first, then the fallback patterns."""
    text = _project_redact(text)
    for pattern in _FALLBACK:
        text = pattern.sub(lambda m: m.group(1) + _MASK, text)
    return text
