"""Triage threads: whether an unasked answer is warranted, and whether a new reply changes the answer. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import re2

from bot.diagnose import CHANNEL_THRESHOLD, channel_reply
from bot.model import Diagnosis

__all__ = ["AUTO_REPLY_MIN_CONFIDENCE", "ThreadUpdate", "confident_enough", "still_failing", "thread_update"]

AUTO_REPLY_MIN_CONFIDENCE = CHANNEL_THRESHOLD  # set in bot.diagnose from the reliability table
# RE2 (linear time): this runs on every thread reply.
_STILL_FAILING = re2.compile(
    r"(?i)\b(still (?:fail\w*|broken|not working|doesn'?t work|the same|getting|get(?:ting)? (?:it|the same))"
    r"|(?:did ?n[o']?t|does ?n[o']?t|didnt|doesnt) (?:work|help|fix)|same (?:error|problem|issue)"
    r"|no luck|not fixed)\b",
)
def still_failing(text: str) -> bool:
    """True when a thread reply says the suggested fix did not work."""
    return bool(_STILL_FAILING.search(text))


def confident_enough(d: Diagnosis) -> bool:
    """Whether an unasked reply in a channel is warranted: bot.diagnose.channel_reply decides."""
    return channel_reply(d)


_FACT_LABELS = (
    ("provider", "provider"),
    ("client", "mail library"),
    ("host", "host"),
    ("port", "port"),
    ("tls_mode", "TLS mode"),
    ("username_form", "username form"),
)


@dataclass(frozen=True)
class ThreadUpdate:
    """An answer worth posting in a triage thread: which cause to show and what changed since last time."""

    cause_id: str
    changes: tuple[str, ...]


def _fact_changes(old: Diagnosis, new: Diagnosis) -> list[str]:
    out = []
    for attr, label in _FACT_LABELS:
        before, after = getattr(old.facts, attr), getattr(new.facts, attr)
        if after is not None and after != before:
            out.append(
                f"{label}: {before} → {after}" if before is not None else f"{label} now known: {after}"
            )
    new_codes = [
        c
        for c in (*new.facts.enhanced_codes, *map(str, new.facts.reply_codes))
        if c not in {*old.facts.enhanced_codes, *map(str, old.facts.reply_codes)}
    ]
    if new_codes:
        out.append("new reply codes: " + ", ".join(new_codes[:6]))
    return out


def thread_update(
    *,
    before: Diagnosis,
    after: Diagnosis,
    reply: Diagnosis,
    reply_text: str,
    last_causes: Sequence[str],
    titles: Mapping[str, str],
) -> ThreadUpdate | None:
    """Decide whether a new thread reply changes the answer; None means chatter (say nothing).

    `before` is the diagnosis of the thread so far, `after` of the thread with the reply, `reply` of the reply
    alone. A new error, new settings or "still failing" count as news; thanks and small talk do not.
    """

    def title(cause_id: str) -> str:
        return titles.get(cause_id, cause_id)  # bot.render.names.cause_titles knows every cause of the knowledge base

    failing = still_failing(reply_text)
    facts = _fact_changes(before, after)
    if not (reply.is_smtp or facts or failing) or not after.top or not after.is_smtp:
        return None
    previous = last_causes[0] if last_causes else None
    top = after.top.id
    changes = list(facts)
    if failing and previous and top == previous:
        nxt = next((c.id for c in after.causes if c.id != previous), None)
        if nxt is None:
            return ThreadUpdate(
                top,
                (
                    *changes,
                    f"you report it still fails after the fix for {title(previous)}; "
                    "no other cause fits, so check each step again",
                ),
            )
        return ThreadUpdate(
            nxt,
            (
                *changes,
                f"you report it still fails after the fix for {title(previous)}, "
                f"so the next most likely cause is {title(nxt)}",
            ),
        )
    if previous and top != previous:
        changes.append(f"most likely cause: {title(previous)} → {title(top)}")
    elif not previous:
        changes.append(f"most likely cause: {title(top)}")
    if not changes:
        return None
    return ThreadUpdate(top, tuple(changes))
