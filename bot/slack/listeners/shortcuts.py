"""The message shortcut "Diagnose SMTP problem": works on any message, in threads too; answers privately."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.slack import replies
from bot.slack.services import Services
from bot.slack.triage import message_text, strip_mentions

__all__ = ["SHORTCUT_CALLBACK", "handle_shortcut", "register"]

SHORTCUT_CALLBACK = "smtp_help_diagnose_message"


def register(app: AsyncApp, services: Services) -> None:
    """Wire the message shortcut."""

    async def on_shortcut(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await handle_shortcut(ack=ack, shortcut=shortcut, services=services)

    app.shortcut(SHORTCUT_CALLBACK)(on_shortcut)


async def handle_shortcut(*, ack: AsyncAck, shortcut: Mapping[str, Any], services: Services) -> None:
    """Ack, then diagnose the message in the background and answer the user privately."""
    services.background.saw_request()
    await ack()
    services.background.spawn(_diagnose(services, shortcut), name="shortcut")


async def _diagnose(services: Services, shortcut: Mapping[str, Any]) -> None:
    message = shortcut.get("message") or {}
    team_id = str((shortcut.get("team") or {}).get("id") or "")
    channel = str((shortcut.get("channel") or {}).get("id") or "")
    d = await replies.diagnose_soon(services, strip_mentions(message_text(message)))
    ref = replies.new_ref() if d.is_smtp and d.top else None
    if ref:
        await replies.remember(services, team_id=team_id, channel=channel, ref=ref, d=d)
    thread = message.get("thread_ts") or message.get("ts")
    await replies.respond_to(
        services, shortcut.get("response_url"), replies.answer(services, d, ref=ref, share_thread=thread)
    )
    await services.store.record_diagnosis(
        team_id=team_id, channel=channel, cause_id=d.top.id if ref and d.top else None, source="shortcut"
    )
