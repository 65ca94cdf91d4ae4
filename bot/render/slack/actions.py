"""The button protocol: every action id the app puts on a message, and the value each button carries.

A value is compact JSON with short keys, written by `encode_value` and read back by `decode_value`, both here:
`r` the paste's reference in the store, `t` a probe target, `c` a cause id, `th` the thread to share into.
Buttons carry a reference, never the paste.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.render.slack.kit import Block, button

__all__ = [
    "ACTIONS_BLOCK",
    "ACTION_AUTH_CHECK",
    "ACTION_FIXED",
    "ACTION_NOT_FIXED",
    "ACTION_OTHER",
    "ACTION_PREFIX",
    "ACTION_PROBE",
    "ACTION_SHARE",
    "ACTION_SHOW_FIX",
    "FEEDBACK_BLOCK",
    "TARGET_MAX",
    "ButtonSpec",
    "ButtonValue",
    "action_button",
    "action_row",
    "decode_value",
    "encode_value",
]

ACTION_PREFIX = "smtp_help_"
ACTION_PROBE = "smtp_help_probe"
ACTION_AUTH_CHECK = "smtp_help_auth_check"  # "Test login": opens the private credential modal
ACTION_SHARE = "smtp_help_share"
ACTION_OTHER = "smtp_help_other_causes"
ACTION_FIXED = "smtp_help_fixed"
ACTION_NOT_FIXED = "smtp_help_not_fixed"
ACTION_SHOW_FIX = "smtp_help_show_fix"
ACTIONS_BLOCK = "smtp_help_actions"  # an answer's first row of buttons: what to do next
FEEDBACK_BLOCK = "smtp_help_feedback"  # its second row: Fixed it / Didn't help / Share in channel
TARGET_MAX = 255  # a host name's length limit; a longer target is not a host


@dataclass(frozen=True, kw_only=True)
class ButtonValue:
    """What a button carries back: the paste's reference, a probe target, a cause id, a thread to share into."""

    ref: str = ""
    target: str = ""
    cause: str = ""
    thread: str = ""


_KEYS = (("r", "ref"), ("t", "target"), ("c", "cause"), ("th", "thread"))


def encode_value(value: ButtonValue) -> str:
    """The compact JSON a button's `value` holds (empty fields left out)."""
    fields = {short: getattr(value, name) for short, name in _KEYS if getattr(value, name)}
    return json.dumps(fields, separators=(",", ":"))


def decode_value(raw: str | None) -> ButtonValue:
    """A button's value read back; an empty ButtonValue when it is not ours."""
    try:
        data = json.loads(raw or "")
    except ValueError:
        return ButtonValue()
    if not isinstance(data, dict):
        return ButtonValue()
    return ButtonValue(**{name: str(data[short]) for short, name in _KEYS if data.get(short) is not None})


def action_button(label: str, action_id: str, value: ButtonValue, *, style: str | None = None) -> Block:
    """A button of this protocol."""
    return button(label, action_id, encode_value(value), style=style)


ButtonSpec = tuple[str, str, ButtonValue, str | None]  # label, action id, value, style


def action_row(buttons: list[ButtonSpec], *, block_id: str = ACTIONS_BLOCK) -> Block:
    """One row of an answer's buttons (an actions block), in order."""
    return {"type": "actions", "block_id": block_id,
            "elements": [action_button(label, action_id, value, style=style)
                         for label, action_id, value, style in buttons]}
