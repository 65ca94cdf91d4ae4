"""Channel pastes, DMs and helpdesk triage threads (`message` events of every subtype, so none gets a 404).

Guard clauses first (housekeeping subtypes, our own and other bots' posts, @mentions that app_mention
answers),
then everything slow runs after the ack: de-duplication by event_id, diagnosis, the thread reply.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.slack.answer import secret_warning_blocks
from bot.slack import replies
from bot.slack.services import Services
from bot.slack.triage import confident_enough, mentions_user, message_text, skip_reason, thread_update

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
    context: Any,
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
    if not text.strip() or mentions_user(text, context.bot_user_id):
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
    d = await replies.diagnose_soon(services, text)
    user = event.get("user")
    if (
        d.facts.secrets
        and user
        and not event.get("bot_id")
        and event.get("channel_type") in SHARED_CHANNEL_TYPES
    ):
        await client.chat_postEphemeral(
            channel=channel,
            user=str(user),
            text="Rotate the secret you pasted",
            blocks=secret_warning_blocks(d.facts.secrets),
        )
    if event.get("channel_type") == "im":
        await _answer_dm(services, client, team_id=team_id, channel=channel, d=d)
        return
    thread_ts = event.get("thread_ts")
    in_thread = bool(thread_ts and thread_ts != ts)
    if not in_thread and not confident_enough(d):
        return  # most channel traffic: no database round trip for a message we stay silent on
    if not await store.get_channel_auto(team_id, channel):
        return
    if in_thread:
        ctx = await store.get_thread(team_id, channel, str(thread_ts))
        if ctx is not None:
            await _update_thread(services, client, ctx=ctx, d=d, text=text)
            return
    root = str(thread_ts or ts)
    if not confident_enough(d):
        return
    await _post(
        services,
        client,
        team_id=team_id,
        channel=channel,
        thread_ts=root,
        d=d,
        text=d.text,
        source="thread" if root != ts else "message",
    )


async def _post(
    services: Services,
    client: AsyncWebClient,
    *,
    team_id: str,
    channel: str,
    thread_ts: str,
    d: Any,
    text: str,
    source: str,
    cause_id: str | None = None,
    changes: tuple[str, ...] = (),
) -> None:
    """Post a diagnosis in a thread and remember the thread (its accumulated text, the cause shown)."""
    shown = cause_id or d.top.id
    message = replies.answer(services, d, ref=thread_ts, cause_id=cause_id, changes=changes, share=False)
    resp = await client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False, **message
    )
    others = tuple(c.id for c in d.causes if c.id != shown)
    await replies.remember(
        services,
        team_id=team_id,
        channel=channel,
        ref=thread_ts,
        d=d,
        text=text,
        last_causes=(shown, *others),
        reply_ts=resp.get("ts"),
    )
    await services.store.record_diagnosis(team_id=team_id, channel=channel, cause_id=shown, source=source)


async def _update_thread(services: Services, client: AsyncWebClient, *, ctx: Any, d: Any, text: str) -> None:
    """Re-diagnose the whole thread with a new reply; post only when the answer changed."""
    combined = f"{ctx.text}\n{d.text}"
    before = services.run_diagnosis(ctx.text)
    after = await replies.diagnose_soon(services, combined)
    update = thread_update(
        before=before,
        after=after,
        reply=d,
        reply_text=text,
        last_causes=ctx.last_causes,
        titles=replies.titles(services),
    )
    if update is None:
        await replies.remember(
            services,
            team_id=ctx.team_id,
            channel=ctx.channel,
            ref=ctx.thread_ts,
            d=after,
            text=combined,
            last_causes=ctx.last_causes,
            reply_ts=ctx.reply_ts,
        )
        return
    await _post(
        services,
        client,
        team_id=ctx.team_id,
        channel=ctx.channel,
        thread_ts=ctx.thread_ts,
        d=after,
        text=combined,
        source="thread",
        cause_id=None if after.top and update.cause_id == after.top.id else update.cause_id,
        changes=update.changes,
    )


async def _answer_dm(
    services: Services, client: AsyncWebClient, *, team_id: str, channel: str, d: Any
) -> None:
    """A DM (App Home Messages tab) is always a question for us: answer it, SMTP or not."""
    ref = replies.new_ref() if d.is_smtp and d.top else None
    if ref:
        await replies.remember(services, team_id=team_id, channel=channel, ref=ref, d=d)
    await client.chat_postMessage(
        channel=channel,
        unfurl_links=False,
        unfurl_media=False,
        **replies.answer(services, d, ref=ref, share=False),
    )
    await services.store.record_diagnosis(
        team_id=team_id, channel=channel, cause_id=d.top.id if ref and d.top else None, source="message"
    )
