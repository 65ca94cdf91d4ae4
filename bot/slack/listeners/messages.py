"""Channel pastes, DMs and helpdesk triage threads (`message` events of every subtype, so none gets a 404).

Guard clauses first (housekeeping subtypes, our own and other bots' posts, @mentions that app_mention answers),
then everything slow runs after the ack: de-duplication by event_id, then one use-case of bot.slack.answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.diagnose import channel_reply
from bot.render.slack.answer import secret_warning_blocks
from bot.render.slack.kit import message_blocks
from bot.slack import answers
from bot.slack.answers import Where
from bot.slack.files import has_files, read_files
from bot.slack.parse import mentions_user, message_text, skip_reason
from bot.slack.services import Services

__all__ = ["SHARED_CHANNEL_TYPES", "handle_message", "register"]

log = logging.getLogger(__name__)

SHARED_CHANNEL_TYPES = frozenset({"channel", "group", "mpim"})


def register(app: AsyncApp, services: Services) -> None:
    """Wire the `message` event (all subtypes)."""

    async def on_message(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await handle_message(body=body, event=event, context=context, client=client, services=services)

    app.event("message")(on_message)


async def handle_message(
    *,
    body: Mapping[str, Any],
    event: Mapping[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Decide quickly whether a message is for us; if so, answer it in the background."""
    services.background.saw_request()
    reason = skip_reason(
        event,
        bot_user_id=context.bot_user_id,
        bot_id=context.bot_id,
        triage_bot_ids=services.settings.triage_bot_ids,
    )
    if reason:
        log.debug("message skipped: %s", reason)
        return
    text = message_text(event)
    if mentions_user(text, context.bot_user_id) or not (text.strip() or has_files(event)):
        return  # an @mention is answered once, by the app_mention listener
    services.background.spawn(_answer(body, event, text, client, services), name="message")


async def _answer(
    body: Mapping[str, Any], event: Mapping[str, Any], text: str, client: AsyncWebClient, services: Services
) -> None:
    store = services.store
    channel, ts = str(event["channel"]), str(event["ts"])
    team_id = str(body.get("team_id") or event.get("team") or "")
    if not await store.claim_event(str(body.get("event_id") or f"message:{channel}:{ts}")):
        return  # a retried delivery we already handled
    if has_files(event):  # a shared text file or snippet is read like a paste (bot.slack.files)
        text = await _with_files(services, client, event, text, team_id=team_id)
        if not text.strip():
            return
    d = await answers.diagnose_soon(services, text)
    user = event.get("user")
    if d.facts.exposed and user and not event.get("bot_id") and event.get("channel_type") in SHARED_CHANNEL_TYPES:
        await client.chat_postEphemeral(channel=channel, user=str(user), text="Rotate the secret you pasted",
                                        blocks=secret_warning_blocks(d.facts.exposed))
    if event.get("channel_type") == "im":  # a DM (App Home Messages tab) is always a question for us
        await answers.answer_paste(services, Where(team_id=team_id, channel=channel, source="message", share=False),
                                   answers.in_channel(client, channel=channel), d=d)
        return
    thread_ts = event.get("thread_ts")
    in_thread = bool(thread_ts and thread_ts != ts)
    if not in_thread and not channel_reply(d):
        return  # most channel traffic: no database round trip for a message we stay silent on
    if not await store.get_channel_auto(team_id, channel):
        return
    if in_thread:
        ctx = await store.get_thread(team_id, channel, str(thread_ts))
        if ctx is not None:
            post = answers.in_thread(client, channel=channel, thread_ts=ctx.thread_ts)
            await answers.update_thread(services, ctx, d, text, post)
            return
    root = str(thread_ts or ts)
    if not channel_reply(d):
        return
    where = Where(team_id=team_id, channel=channel, source="thread" if root != ts else "message", ref=root,
                  share=False)
    await answers.answer_paste(services, where, answers.in_thread(client, channel=channel, thread_ts=root), d=d)


async def _with_files(services: Services, client: AsyncWebClient, event: Mapping[str, Any], text: str, *,
                      team_id: str) -> str:
    """The message's text with its shared files' text after it. Files that were not read get one line each, in
    a DM or a triage thread the bot is already answering (in a channel the bot was not asked, so it says
    nothing). In a channel whose auto-replies are off, nothing is downloaded."""
    channel = str(event["channel"])
    im = event.get("channel_type") == "im"
    thread_ts = event.get("thread_ts")
    known = None
    if not im:
        if not await services.store.get_channel_auto(team_id, channel):
            return ""
        if thread_ts and thread_ts != event.get("ts"):
            known = await services.store.get_thread(team_id, channel, str(thread_ts))
    read = await read_files(services, client, event.get("files") or [])
    if read.refusals and (im or known is not None):
        line = "\n".join(read.refusals)
        post = (answers.in_channel(client, channel=channel) if im
                else answers.in_thread(client, channel=channel, thread_ts=str(thread_ts)))
        await post({"text": read.refusals[0], "blocks": message_blocks(line)})
    return "\n".join(part for part in (text, read.text) if part.strip())
