"""Help, the App Home tab, a provider's settings card and the paste modal, in Block Kit. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.kb.model import KnowledgeBase, Provider
from bot.render.escape import escape_mrkdwn
from bot.render.names import cause_title
from bot.render.slack.kit import (
    FILE_MAX_BYTES,
    MAX_VIEW_BLOCKS,
    SECTION_MAX,
    Block,
    chunks,
    context,
    divider,
    esc,
    fit,
    header,
    message_blocks,
    plain,
    section,
)
from bot.render.slack.style import styled

if TYPE_CHECKING:  # the store is the shell; a view only reads its report
    from bot.store.base import FeedbackReport

__all__ = [
    "HELP_TEXT",
    "LONG_LOG_HINT",
    "MODAL_CALLBACK",
    "MODAL_INPUT_ACTION",
    "MODAL_INPUT_BLOCK",
    "PASTE_MAX",
    "help_blocks",
    "home_view",
    "paste_modal",
    "provider_blocks",
]

MODAL_CALLBACK = "smtp_help_paste_modal"
MODAL_INPUT_BLOCK = "paste"
MODAL_INPUT_ACTION = "paste_text"
PASTE_MAX = 3000  # Slack's plain_text_input limit
LONG_LOG_HINT = (f"This box takes up to {PASTE_MAX:,} characters (Slack's limit). For a longer log, send it to me "
                 "in a direct message as a file (.txt, .log) or a text snippet, or share it in a channel or thread "
                 f"I am in: I read text files up to {FILE_MAX_BYTES // 1_000_000} MB.")

HELP_TEXT = (
    "*smtp-help* reads an SMTP error or your mail settings and tells you the likely cause and the fix.\n"
    "• `/smtp-help <paste>` — diagnose a pasted error or settings (only you see the answer)\n"
    "• `/smtp-help` — open a box to paste a long log into\n"
    "• `/smtp-help probe smtp.example.com:587` — check a server live (connect, TLS, AUTH offered)\n"
    "• `/smtp-help probe smtp.example.com:587 --auth` — test a login privately: one AUTH over TLS, "
    "the password is never stored\n"
    "• `/smtp-help provider gmail` — a provider's SMTP settings\n"
    "• `/smtp-help channel on|off` — answer pastes in this channel by myself, or not\n"
    "• In a thread: mention me to diagnose the whole thread, or use the message shortcut "
    "*Diagnose SMTP problem* on any message (slash commands do not work in threads)."
)


def help_blocks() -> list[Block]:
    """The usage text for `/smtp-help help`."""
    return message_blocks(HELP_TEXT)


def provider_blocks(provider: Provider) -> list[Block]:
    """A provider's submission settings from its knowledge file (`provider.data` is the YAML dict)."""
    data: Mapping[str, Any] = provider.data
    body: list[Block] = [header(f"{provider.name}: SMTP settings")]
    rows = []
    for sub in data.get("submission") or []:
        if isinstance(sub, Mapping):
            rows.append(
                f"• `{esc(str(sub.get('host', '?')), 120)}` port {esc(str(sub.get('port', '?')), 8)}"
                f" — {esc(str(sub.get('tls', '?')), 20)}"
            )
    if rows:
        body.append(section("*Submission*\n" + "\n".join(rows)))
    for key, label in (("username", "Username"), ("password", "Password"), ("app_passwords", "App passwords")):
        part = data.get(key)
        if isinstance(part, Mapping) and part.get("note"):
            text = f"*{label}:* {esc(str(part['note']), 1200)}"
            if part.get("url"):
                text += f"\n{esc(str(part['url']), 300)}"
            body.append(section(styled(text)))  # the knowledge base's words: URLs as links, settings in code
    status = data.get("status")
    if isinstance(status, Mapping) and status.get("page"):
        body.append(context(styled(f"Status page: {esc(str(status['page']), 300)}")))
    return fit(body)


def home_view(
    kb: KnowledgeBase, counts: Mapping[str, int], *, feedback: FeedbackReport | None = None
) -> dict[str, Any]:
    """The App Home tab: how to use the bot, what it knows, this workspace's counts, and per cause how often it
    was suggested and marked helpful or not, so the team sees which knowledge entries need work."""
    causes = sorted(kb.causes.values(), key=lambda c: c.title)
    providers = sorted(kb.providers.values(), key=lambda p: p.name)
    blocks: list[Block] = [header("smtp-help"), section(HELP_TEXT), divider()]
    figures = " · ".join(f"{escape_mrkdwn(k.replace('_', ' '))}: *{int(v)}*" for k, v in counts.items())
    blocks.append(section("*This workspace*\n" + (figures or "nothing yet")))
    rows = [c for c in (feedback.causes if feedback else ()) if c.suggested or c.helpful or c.not_helpful][:12]
    if rows:
        lines = [f"• *{esc(cause_title(kb, c.cause_id), 100)}*: suggested {int(c.suggested)}, "
                 f"helped {int(c.helpful)}, didn't help {int(c.not_helpful)}" for c in rows]
        blocks.append(section("*Feedback by cause* (most \"Didn't help\" first; `smtp-help feedback` lists the "
                              "pastes)\n" + "\n".join(lines)))
    if causes:
        lines = [f"• *{esc(c.title, 100)}* — {esc(c.summary, 160)}" for c in causes]
        blocks.extend(
            section(("*Causes I know*\n" if i == 0 else "") + chunk)
            for i, chunk in enumerate(chunks("\n".join(lines), SECTION_MAX - 40))
        )
    if providers:
        names = ", ".join(esc(p.name, 60) for p in providers)
        blocks.append(section(f"*Providers I know*\n{names}"))
    return {"type": "home", "blocks": fit(blocks, max_blocks=MAX_VIEW_BLOCKS, max_json=90_000)}


def paste_modal(*, channel_id: str | None) -> dict[str, Any]:
    """The modal `/smtp-help` with no text opens; private_metadata remembers the channel to answer in."""
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": json.dumps({"channel": channel_id}) if channel_id else "",
        "title": plain("SMTP help", 24),
        "submit": plain("Diagnose", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": MODAL_INPUT_BLOCK,
                "label": plain("Paste the error or your SMTP settings", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": MODAL_INPUT_ACTION,
                    "multiline": True,
                    "max_length": PASTE_MAX,
                    "placeholder": plain("535 5.7.8 Username and Password not accepted …", 150),
                },
                "hint": plain(LONG_LOG_HINT, 2000),
            },
        ],
    }
