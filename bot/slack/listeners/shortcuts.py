"""The message shortcut "Diagnose SMTP problem": works on any message, in threads too; answers privately."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import answers
from bot.slack.answers import Where
from bot.slack.parse import message_text, strip_mentions
from bot.slack.services import Services

__all__ = ["SHORTCUT_CALLBACK", "handle_shortcut", "register"]

SHORTCUT_CALLBACK = "smtp_help_diagnose_message"


def register(app: AsyncApp, services: Services) -> None:
    """Wire the message shortcut."""

    async def on_shortcut(ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_shortcut(ack=ack, shortcut=shortcut, services=services, client=client)

    app.shortcut(SHORTCUT_CALLBACK)(on_shortcut)


async def handle_shortcut(*, ack: AsyncAck, shortcut: Mapping[str, Any], services: Services,
                          client: AsyncWebClient) -> None:
    """Ack, then diagnose the message in the background and answer the user privately."""
    services.background.saw_request()
    await ack()
    services.background.spawn(_diagnose(services, shortcut, client), name="shortcut")


async def _diagnose(services: Services, shortcut: Mapping[str, Any], client: AsyncWebClient) -> None:
    message = shortcut.get("message") or {}
    channel = str((shortcut.get("channel") or {}).get("id") or "")
    user = str((shortcut.get("user") or {}).get("id") or "")
    post = answers.to_response_url(services, shortcut.get("response_url"),
                                   fallback=answers.ephemeral_or_dm(client, channel=channel, user=user))
    where = Where(team_id=str((shortcut.get("team") or {}).get("id") or ""),
                  channel=channel, source="shortcut",
                  share_thread=message.get("thread_ts") or message.get("ts"))
    await answers.answer_paste(services, where, post, text=strip_mentions(message_text(message)))
