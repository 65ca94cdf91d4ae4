"""`app_home_opened` (publish the Home tab) and `app_mention` (diagnose the whole thread, answer in it)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import StoreError
from bot.render.slack.answer import thread_unclear_blocks
from bot.render.slack.home import home_view
from bot.render.slack.kit import message_blocks
from bot.slack import answers
from bot.slack.answers import Where
from bot.slack.files import has_files, read_files
from bot.slack.parse import message_text, skip_reason, strip_mentions
from bot.slack.services import Services

__all__ = ["THREAD_FETCH_LIMIT", "handle_app_home_opened", "handle_app_mention", "register"]

log = logging.getLogger(__name__)

THREAD_FETCH_LIMIT = 100  # messages read from a thread on an @mention (conversations.replies, one page)


def register(app: AsyncApp, services: Services) -> None:
    """Wire `app_home_opened` and `app_mention`."""

    async def on_home(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_app_home_opened(event=event, body=body, client=client, services=services)

    async def on_mention(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await handle_app_mention(event=event, body=body, context=context, client=client, services=services)

    app.event("app_home_opened")(on_home)
    app.event("app_mention")(on_mention)


async def handle_app_home_opened(
    *, event: Mapping[str, Any], body: Mapping[str, Any], client: AsyncWebClient, services: Services
) -> None:
    """Publish the Home tab (usage, known causes and providers, this workspace's counts)."""
    services.background.saw_request()
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    services.background.spawn(
        _publish_home(services, client, team_id=str(body.get("team_id") or ""), user=str(event["user"])),
        name="home",
    )


async def _publish_home(services: Services, client: AsyncWebClient, *, team_id: str, user: str) -> None:
    counts = await services.store.counts(team_id)
    try:
        feedback = await services.store.feedback_report(team_id)
    except StoreError:  # the database is down: Home still shows usage and what the bot knows
        feedback = None
    await client.views_publish(user_id=user, view=home_view(services.kb, counts, feedback=feedback))


async def handle_app_mention(
    *,
    event: Mapping[str, Any],
    body: Mapping[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """An explicit request: read the thread (after the ack) and always answer in it."""
    services.background.saw_request()
    if skip_reason(
        {**event, "subtype": None},
        bot_user_id=context.bot_user_id,
        bot_id=context.bot_id,
        triage_bot_ids=services.settings.triage_bot_ids,
    ):
        return
    services.background.spawn(
        _answer_mention(
            services, client, event=event, body=body, bot_user_id=context.bot_user_id, bot_id=context.bot_id
        ),
        name="mention",
    )


async def _answer_mention(
    services: Services,
    client: AsyncWebClient,
    *,
    event: Mapping[str, Any],
    body: Mapping[str, Any],
    bot_user_id: str | None,
    bot_id: str | None,
) -> None:
    store = services.store
    channel, ts = str(event["channel"]), str(event["ts"])
    team_id = str(body.get("team_id") or "")
    # retries repeat the event_id; the same message may also come as message.channels: claim (channel, ts) too
    if not await store.claim_event(str(body.get("event_id") or f"mention:{channel}:{ts}")):
        return
    if not await store.claim_event(f"mention:{channel}:{ts}"):
        return
    thread_ts = str(event.get("thread_ts") or ts)
    text = message_text(event)
    if event.get("thread_ts"):
        text = await _thread_text(
            services,
            client,
            channel=channel,
            thread_ts=thread_ts,
            fallback=text,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            team_id=team_id,
        )
    if has_files(event):  # a log shared with the mention: read like a paste; files not read get one line
        read = await read_files(services, client, event.get("files") or [])
        text = "\n".join(part for part in (text, read.text) if part.strip())
        if read.refusals:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=read.refusals[0],
                                          blocks=message_blocks("\n".join(read.refusals)))
    d = await answers.diagnose_soon(services, strip_mentions(text))
    if not (d.is_smtp and d.top):
        await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text="No SMTP problem found", blocks=thread_unclear_blocks()
        )
        return
    where = Where(team_id=team_id, channel=channel, source="mention", ref=thread_ts, share=False)
    await answers.answer_paste(services, where, answers.in_thread(client, channel=channel, thread_ts=thread_ts), d=d)


async def _thread_text(
    services: Services,
    client: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str,
    fallback: str,
    bot_user_id: str | None,
    bot_id: str | None,
    team_id: str,
) -> str:
    """The thread's messages (people and allow-listed helpdesk bots, not us) joined, oldest first."""
    try:
        resp = await client.conversations_replies(channel=channel, ts=thread_ts, limit=THREAD_FETCH_LIMIT)
    except SlackApiError as exc:
        log.warning(
            "conversations.replies failed (%s); using what we remember of the thread",
            exc.response.get("error"),
        )
        ctx = await services.store.get_thread(team_id, channel, thread_ts)
        return f"{ctx.text}\n{fallback}" if ctx else fallback
    texts = []
    for msg in resp.get("messages") or []:
        if not isinstance(msg, Mapping):
            continue
        readable = {**msg, "channel": channel, "subtype": msg.get("subtype")}
        if (
            skip_reason(
                readable,
                bot_user_id=bot_user_id,
                bot_id=bot_id,
                triage_bot_ids=services.settings.triage_bot_ids,
            )
            is None
        ):
            texts.append(message_text(msg))
    return "\n".join(texts) or fallback
