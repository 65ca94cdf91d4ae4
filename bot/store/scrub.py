"""Defence-in-depth redaction before anything is persisted (security.md R1).

Callers hand the store text that is already redacted; the store runs it through the same linear-time RE2
redactor (`bot.redact.redact`) again, so a caller's slip never lands a password in a database row. There is no
second, weaker rule set: a Python `re` fallback here once took 23 s on 2 KB of `pw-` and froze the event loop
(issue 14). `scrub_async` runs a long text in a worker thread so the event loop never waits on it.
"""

from __future__ import annotations

import asyncio

from bot.redact import redact

__all__ = ["THREAD_MIN_CHARS", "scrub", "scrub_async"]

# Below this size a scrub takes well under a millisecond (bench/diagnose_bench.py); above it, a thread.
THREAD_MIN_CHARS = 2_000


def scrub(text: str) -> str:
    """Return `text` with every secret the redactor knows replaced by `[REDACTED:kind]`."""
    return redact(text).text


async def scrub_async(text: str) -> str:
    """`scrub`, off the event loop for long texts."""
    if len(text) < THREAD_MIN_CHARS:
        return scrub(text)
    return await asyncio.to_thread(scrub, text)
