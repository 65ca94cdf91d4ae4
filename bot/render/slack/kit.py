"""Block Kit primitives and Slack's limits: the one place text is escaped, capped and fitted into a message.

Every piece of user, knowledge-base or probe text goes through `esc` (or into a plain_text object), so a paste
can never ping @channel or a person, and mrkdwn text objects carry `verbatim: true` so Slack does not auto-link.
Limits are enforced here and nowhere else: at most MAX_BLOCKS blocks, SECTION_MAX characters per section text,
HEADER_MAX per header, and a total JSON size under MAX_MESSAGE_JSON (Slack rejects messages with about 13k
characters of blocks, bolt-js#2509); what does not fit is cut with a note, and the action buttons always
survive the cut.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.render.escape import escape_mrkdwn
from bot.text import strip_controls

__all__ = [
    "BUTTON_TEXT_MAX",
    "BUTTON_VALUE_MAX",
    "CUT_NOTE",
    "FILE_MAX_BYTES",
    "HEADER_MAX",
    "LINE_MAX",
    "MAX_BLOCKS",
    "MAX_MESSAGE_JSON",
    "MAX_VIEW_BLOCKS",
    "SECTION_MAX",
    "Block",
    "button",
    "chunks",
    "clip",
    "code",
    "confidence_label",
    "context",
    "divider",
    "esc",
    "fit",
    "header",
    "message_blocks",
    "mrkdwn",
    "plain",
    "section",
]

Block = dict[str, Any]

MAX_BLOCKS = 50  # per message (modals and Home: 100)
MAX_VIEW_BLOCKS = 100
SECTION_MAX = 3000  # section text object
HEADER_MAX = 150  # header plain_text
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
MAX_MESSAGE_JSON = 11_000  # total serialized blocks; Slack's undocumented msg_blocks_too_long is near 13k
LINE_MAX = 300  # one echoed evidence / server line
FILE_MAX_BYTES = 1_000_000  # the largest shared text file or snippet the app reads (bot.slack.files); the paste
# modal points longer logs there, and the diagnosis keeps a paste's head and tail (bot.normalize) anyway

CUT_NOTE = "… (cut to fit Slack's message limits)"


def clip(text: str, limit: int, note: str = "…") -> str:
    """Cut `text` to at most `limit` characters, at a line break when one is close, ending with `note`."""
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - len(note) - 1)]
    cut = head.rfind("\n")
    if cut > limit // 2:
        head = head[:cut]
    # never leave half an entity such as "&am" behind
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head.rstrip() + "\n" + note if "\n" in head else head.rstrip() + note


def esc(text: str, limit: int = LINE_MAX) -> str:
    """User / server text made safe for mrkdwn and capped."""
    return escape_mrkdwn(clip(strip_controls(str(text)), limit))


def code(text: str, limit: int = LINE_MAX) -> str:
    """Untrusted text as inline code on one line: controls stripped, capped, backticks neutralised, &<> escaped."""
    return f"`{esc(str(text).replace(chr(10), ' ').replace('`', chr(39)), limit)}`"


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object (trusted text; callers escape what they interpolate)."""
    return {"type": "mrkdwn", "text": clip(text, SECTION_MAX), "verbatim": True}


def plain(text: str, limit: int = SECTION_MAX) -> dict[str, Any]:
    """A plain_text object: Slack shows it literally."""
    return {"type": "plain_text", "text": clip(strip_controls(text), limit) or " ", "emoji": True}


def section(text: str) -> Block:
    """A section block of mrkdwn."""
    return {"type": "section", "text": mrkdwn(text)}


def header(text: str) -> Block:
    """A header block (plain text, capped)."""
    return {"type": "header", "text": plain(text, HEADER_MAX)}


def context(*texts: str) -> Block:
    """A context block of up to ten mrkdwn elements."""
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def divider() -> Block:
    """A divider block."""
    return {"type": "divider"}


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    """A button element; `value` is capped at Slack's limit (bot.render.slack.actions encodes it)."""
    out: dict[str, Any] = {
        "type": "button",
        "text": plain(label, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_MAX],
    }
    if style:
        out["style"] = style
    return out


def message_blocks(text: str) -> list[Block]:
    """A short app-written mrkdwn message (trusted text; callers escape anything user-supplied)."""
    return [section(text)]


def confidence_label(confidence: float) -> str:
    """ "high (82%)" style wording for a 0..1 confidence."""
    word = "high" if confidence >= 0.75 else "medium" if confidence >= 0.5 else "low"
    return f"{word} confidence ({round(confidence * 100)}%)"


def chunks(text: str, limit: int) -> list[str]:
    """Split long mrkdwn into pieces of at most `limit` characters, at line breaks where possible."""
    out: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > limit:  # one enormous line: hard split
            if current:
                out.append(current)
                current = ""
            out.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out


def _size(blocks: Iterable[Block]) -> int:
    return sum(len(json.dumps(b, separators=(",", ":"))) for b in blocks)


def fit(
    body: Sequence[Block],
    tail: Sequence[Block] = (),
    *,
    max_blocks: int = MAX_BLOCKS,
    max_json: int = MAX_MESSAGE_JSON,
) -> list[Block]:
    """Keep as much of `body` as fits with `tail` (e.g. the buttons) under the limits; say so when cutting."""
    note = context(CUT_NOTE)
    budget_blocks = max_blocks - len(tail)
    budget_json = max_json - _size(tail)
    kept: list[Block] = []
    used = 0
    for i, block in enumerate(body):
        size = _size([block])
        last = i == len(body) - 1
        room_blocks = budget_blocks - len(kept) - (0 if last else 1)
        room_json = budget_json - used - (0 if last else _size([note]))
        if room_blocks >= 1 and size <= room_json:
            kept.append(block)
            used += size
            continue
        if block.get("type") == "section" and room_blocks >= 1:  # shorten the block that does not fit
            text = block["text"]["text"]
            allowed = room_json - (size - len(json.dumps(text))) - 20 - len(CUT_NOTE)
            if allowed > 200:
                kept.append({**block, "text": {**block["text"], "text": clip(text, allowed, CUT_NOTE)}})
                return kept + list(tail)
        kept.append(note)
        return kept + list(tail)
    return kept + list(tail)
