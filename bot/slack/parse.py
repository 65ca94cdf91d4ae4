"""Reading what Slack sends: a slash command's text, a message event's readable text, whose message it is.

Pure: events in, plain values out. Text is passed on whole: the diagnosis cuts a paste once, where it is
normalised (bot.normalize keeps its head and its tail).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import re2

__all__ = [
    "READABLE_SUBTYPES",
    "Command",
    "mentions_user",
    "message_text",
    "parse_command",
    "skip_reason",
    "strip_mentions",
    "view_value",
]

# Message subtypes that carry something a person (or an allow-listed helpdesk bot) wrote.
READABLE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "bot_message"})

# RE2 (linear time, no backtracking): these run on every message and command.
_MENTION = re2.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_HOST = re2.compile(r"^(?:smtps?://)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?/?$")
_PROVIDER = re2.compile(r"[A-Za-z0-9_.-]{1,64}")


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
    if len(words) == 2 and head == "provider" and _PROVIDER.fullmatch(words[1]):
        return Command("provider", words[1].lower())
    if len(words) == 2 and head == "channel" and words[1].lower() in {"on", "off"}:
        return Command("channel", words[1].lower())
    return Command("diagnose", stripped)


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
    return "\n".join(p for p in parts if p)


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
    return str(_MENTION.sub("", text)).strip()


def view_value(view: Mapping[str, Any], block: str, action: str) -> str:
    """What the user typed into one input of a submitted modal ("" when absent)."""
    values = ((view.get("state") or {}).get("values") or {}).get(block) or {}
    return str((values.get(action) or {}).get("value") or "")
