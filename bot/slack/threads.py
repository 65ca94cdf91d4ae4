"""Triage threads: whether an unasked answer is warranted, whether a new reply changes the answer, and what a
thread remembers between replies (the causes whose fix was tried, the last live probe). Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import re2

from bot.diagnose import CHANNEL_THRESHOLD, channel_reply
from bot.model import Diagnosis

__all__ = [
    "AUTO_REPLY_MIN_CONFIDENCE",
    "PROBE_FRESH_S",
    "ThreadState",
    "ThreadUpdate",
    "confident_enough",
    "still_failing",
    "thread_update",
]

# A live probe's findings join a thread's later answers (and the buttons of a probed answer) for this long. A
# probe sees the server as it was: in a triage thread someone is changing settings or the server between replies,
# so after half an hour the answer leaves the old findings out and says so (run the probe again).
PROBE_FRESH_S = 30 * 60

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
    """An answer worth posting in a triage thread: which cause to show and what changed since last time.

    `tried` is every cause whose fix the thread has reported as not working (kept in the ThreadState).
    `exhausted`: every ranked cause has been tried; the reply asks for the current error instead of an answer.
    """

    cause_id: str
    changes: tuple[str, ...]
    tried: tuple[str, ...] = ()
    exhausted: bool = False


@dataclass(frozen=True)
class ThreadState:
    """What a triage thread (or a private answer's reference) remembers beside its redacted text: the causes
    whose fix was reported not to work, in the order they were tried, and the last live probe's report (as
    bot.probe.report.ProbeReport.to_dict, which holds no paste text) with the epoch second it ran."""

    tried: tuple[str, ...] = ()
    probe: Mapping[str, Any] | None = None
    probe_at: float = 0.0

    def probe_fresh(self, now: float) -> bool:
        """Whether the remembered probe may still join an answer (PROBE_FRESH_S)."""
        return self.probe is not None and 0 <= now - self.probe_at < PROBE_FRESH_S

    def with_tried(self, *cause_ids: str) -> ThreadState:
        """This state with more causes tried (each kept once, first try first)."""
        tried = list(self.tried)
        tried.extend(c for c in cause_ids if c and c not in tried)
        return replace(self, tried=tuple(tried))

    def to_doc(self) -> dict[str, Any]:
        """The JSON document the store keeps."""
        return {"v": 1, "tried": list(self.tried), "probe": dict(self.probe) if self.probe else None,
                "probe_at": self.probe_at}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> ThreadState:
        """A stored document read back; an empty state for anything unreadable."""
        if not isinstance(doc, Mapping) or doc.get("v") != 1:
            return cls()
        tried = doc.get("tried")
        probe = doc.get("probe")
        try:
            probe_at = float(doc.get("probe_at") or 0.0)
        except (TypeError, ValueError):
            probe_at = 0.0
        return cls(tried=tuple(str(c) for c in tried) if isinstance(tried, list) else (),
                   probe=probe if isinstance(probe, Mapping) else None, probe_at=probe_at)


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


def _names(ids: Sequence[str], title: Callable[[str], str]) -> str:
    names = [title(c) for c in ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def thread_update(
    *,
    before: Diagnosis,
    after: Diagnosis,
    reply: Diagnosis,
    reply_text: str,
    last_causes: Sequence[str],
    titles: Mapping[str, str],
    tried: Sequence[str] = (),
) -> ThreadUpdate | None:
    """Decide whether a new thread reply changes the answer; None means chatter (say nothing).

    `before` is the diagnosis of the thread so far, `after` of the thread with the reply, `reply` of the reply
    alone, `tried` the causes whose fix the thread already reported as not working. A new error, new settings or
    "still failing" count as news; thanks and small talk do not. "Still failing" marks the cause shown last as
    tried and moves to the most likely cause not tried yet, so repeated replies walk down the ranking and never
    go back; when every ranked cause has been tried, the update says so and asks for the current error.
    """

    def title(cause_id: str) -> str:
        return titles.get(cause_id, cause_id)  # bot.render.names.cause_titles knows every cause of the knowledge base

    failing = still_failing(reply_text)
    facts = _fact_changes(before, after)
    if not (reply.is_smtp or facts or failing) or not after.top or not after.is_smtp:
        return None
    previous = last_causes[0] if last_causes else None
    done = list(tried)
    if failing and previous and previous not in done:
        done.append(previous)
    top = after.top.id
    untried = [c.id for c in after.causes if c.id not in done]
    changes = list(facts)
    if failing:
        said = f"you report it still fails after the fix for {title(previous)}" if previous else \
            "you report it still fails"
        if not untried:
            return ThreadUpdate(top, (*changes, f"{said}; the fixes for {_names(done, title)} have all been "
                                      "tried and no other cause fits"), tried=tuple(done), exhausted=True)
        nxt = untried[0]
        return ThreadUpdate(nxt, (*changes, f"{said}, so the next most likely cause is {title(nxt)}"),
                            tried=tuple(done))
    shown = top
    if top in done and untried:  # news, but it points back at a fix already tried: the best one not tried yet
        shown = untried[0]
        if shown != previous:
            changes.append(f"the fix for {title(top)} was tried already, so the next most likely cause is "
                           f"{title(shown)}")
    elif previous and top != previous:
        changes.append(f"most likely cause: {title(previous)} → {title(top)}")
    elif not previous:
        changes.append(f"most likely cause: {title(top)}")
    if not changes:
        return None
    if top in done and not untried:
        changes.append("its fix was tried already: check each step against the new error")
    return ThreadUpdate(shown, tuple(changes), tried=tuple(done))
