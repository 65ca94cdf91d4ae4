"""Pure decisions for the Slack front end: which messages to read, what a command asks, what changed.

No Slack client, no store, no clock: events and Diagnoses in, plain values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.model import Diagnosis

__all__ = [
    "AUTO_REPLY_MIN_CONFIDENCE",
    "MAX_PASTE_CHARS",
    "READABLE_SUBTYPES",
    "Command",
    "ThreadUpdate",
    "confident_enough",
    "mentions_user",
    "message_text",
    "parse_command",
    "skip_reason",
    "still_failing",
    "strip_mentions",
    "thread_update",
]

AUTO_REPLY_MIN_CONFIDENCE = 0.5  # unasked replies in a channel need at least medium confidence
MAX_PASTE_CHARS = 40_000  # security.md §4.3: larger messages are cut before any pattern runs
# Message subtypes that carry something a person (or an allow-listed helpdesk bot) wrote.
READABLE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "bot_message"})

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_STILL_FAILING = re.compile(
    r"\b(still (?:fail\w*|broken|not working|doesn'?t work|the same|getting|get(?:ting)? (?:it|the same))"
    r"|(?:did ?n[o']?t|does ?n[o']?t|didnt|doesnt) (?:work|help|fix)|same (?:error|problem|issue)"
    r"|no luck|not fixed)\b",
    re.IGNORECASE,
)
_HOST = re.compile(r"^(?:smtps?://)?[A-Za-z0-9.-]+(?::\d{1,5})?/?$")


@dataclass(frozen=True)
class Command:
    """What `/smtp-help <text>` asks for: kind is diagnose | help | probe | login | provider | channel | modal."""

    kind: str
    arg: str = ""


def parse_command(text: str) -> Command:
    """Read a slash command's text; anything that is not an exact sub-command is a paste to diagnose."""
    stripped = text.strip()
    if not stripped:
        return Command("modal")
    words = stripped.split()
    head = words[0].lower()
    if len(words) == 1 and head in {"help", "-h", "--help", "?"}:
        return Command("help")
    if len(words) == 2 and head == "probe" and _HOST.match(words[1]):
        return Command("probe", words[1])
    if len(words) == 3 and head == "probe" and words[2].lower() == "--auth" and _HOST.match(words[1]):
        return Command("login", words[1])
    if len(words) == 2 and head == "provider" and re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", words[1]):
        return Command("provider", words[1].lower())
    if len(words) == 2 and head == "channel" and words[1].lower() in {"on", "off"}:
        return Command("channel", words[1].lower())
    return Command("diagnose", stripped[:MAX_PASTE_CHARS])


def message_text(event: Mapping[str, Any]) -> str:
    """The readable text of a message event: `text`, plus attachment and section text helpdesk bots use."""
    parts: list[str] = []
    if event.get("text"):
        parts.append(str(event["text"]))
    for att in event.get("attachments") or []:
        if isinstance(att, Mapping):
            for key in ("pretext", "title", "text"):
                if att.get(key):
                    parts.append(str(att[key]))
            for fld in att.get("fields") or []:
                if isinstance(fld, Mapping) and fld.get("value"):
                    parts.append(f"{fld.get('title', '')}: {fld['value']}")
            if not any(att.get(k) for k in ("pretext", "title", "text")) and att.get("fallback"):
                parts.append(str(att["fallback"]))
    if not parts:  # blocks-only posts (Workflow Builder, some helpdesks)
        for block in event.get("blocks") or []:
            if isinstance(block, Mapping):
                parts.extend(_block_text(block))
    text = "\n".join(p for p in parts if p)
    return text[:MAX_PASTE_CHARS]


def _block_text(block: Mapping[str, Any]) -> Iterable[str]:
    text = block.get("text")
    if isinstance(text, Mapping) and text.get("text"):
        yield str(text["text"])
    for fld in block.get("fields") or []:
        if isinstance(fld, Mapping) and fld.get("text"):
            yield str(fld["text"])
    if block.get("type") == "rich_text":
        yield "".join(_rich_text(block.get("elements") or []))


def _rich_text(elements: Sequence[Any]) -> Iterable[str]:
    for el in elements:
        if not isinstance(el, Mapping):
            continue
        if el.get("type") == "text":
            yield str(el.get("text", ""))
        elif el.get("type") == "link":
            yield str(el.get("text") or el.get("url", ""))
        elif el.get("elements"):
            yield from _rich_text(el["elements"])
            if el.get("type") in {"rich_text_section", "rich_text_preformatted", "rich_text_quote"}:
                yield "\n"


def skip_reason(
    event: Mapping[str, Any], *, bot_user_id: str | None, bot_id: str | None, triage_bot_ids: Iterable[str]
) -> str | None:
    """Why a message event must not be read, or None to read it. Guard clauses, in the order they matter."""
    subtype = event.get("subtype")
    if subtype not in READABLE_SUBTYPES or event.get("hidden"):
        return f"subtype {subtype}"
    if not event.get("channel") or not event.get("ts"):
        return "no channel or ts"
    sender_bot = event.get("bot_id")
    if (sender_bot and sender_bot == bot_id) or (bot_user_id and event.get("user") == bot_user_id):
        return "own message"
    if sender_bot or subtype == "bot_message":
        if sender_bot and sender_bot in set(triage_bot_ids):
            return None
        return "bot not on the triage allow-list"
    if not event.get("user"):
        return "no author"
    return None


def mentions_user(text: str, user_id: str | None) -> bool:
    """True when `text` @-mentions `user_id` (Slack's `<@U…>` form)."""
    return bool(user_id) and any(m.group(1) == user_id for m in _MENTION.finditer(text))


def strip_mentions(text: str) -> str:
    """Drop `<@U…>` mentions (they are addressing, not evidence)."""
    return _MENTION.sub("", text).strip()


def still_failing(text: str) -> bool:
    """True when a thread reply says the suggested fix did not work."""
    return bool(_STILL_FAILING.search(text))


def confident_enough(d: Diagnosis) -> bool:
    """Whether an unasked reply in a channel is warranted."""
    top = d.top
    return bool(d.is_smtp and top and top.id != "not_smtp" and top.confidence >= AUTO_REPLY_MIN_CONFIDENCE)


# -------------------------------------------------------------------------------------------- triage threads

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
        return titles.get(cause_id, cause_id.replace("_", " "))

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
