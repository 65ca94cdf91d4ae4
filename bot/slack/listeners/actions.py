"""Buttons on an answer: run live probe, test login, share in channel, other causes, show a cause's fix, feedback.

Every button acks at once; its value (bot.render.slack.actions) is a reference to the redacted paste kept in
the store, and its work is one verb of bot.slack.answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.escape import escape_mrkdwn
from bot.render.names import cause_title
from bot.render.slack.actions import (
    ACTION_AUTH_CHECK,
    ACTION_FIXED,
    ACTION_NOT_FIXED,
    ACTION_OTHER,
    ACTION_PREFIX,
    ACTION_PROBE,
    ACTION_SHARE,
    ACTION_SHOW_FIX,
    ButtonValue,
    decode_value,
)
from bot.render.slack.answer import other_causes_blocks
from bot.render.slack.kit import fit, message_blocks
from bot.slack import answers
from bot.slack.services import Services
from bot.store import ThreadContext

__all__ = ["handle_action", "register"]

log = logging.getLogger(__name__)

ACTION_PATTERN = re.compile("^" + re.escape(ACTION_PREFIX))
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
EXPIRED = "That answer has expired. Paste the error again with `/smtp-help`."


def register(app: AsyncApp, services: Services) -> None:
    """Wire every smtp_help_* button."""

    async def on_action(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_action(ack=ack, body=body, action=action, client=client, services=services)

    app.action(ACTION_PATTERN)(on_action)


async def handle_action(
    *,
    ack: AsyncAck,
    body: Mapping[str, Any],
    action: Mapping[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Ack, then run the button's work in the background."""
    services.background.saw_request()
    await ack()
    handler = _HANDLERS.get(str(action.get("action_id")))
    if handler is None:
        return
    services.background.spawn(handler(services, client, _Click.of(body, action, client)),
                              name=str(action["action_id"]))


@dataclass(frozen=True, kw_only=True)
class _Click:
    """The parts of a block_actions payload the handlers use."""

    team_id: str
    channel: str
    user: str
    value: ButtonValue
    response_url: str | None
    ephemeral: bool
    thread_ts: str | None
    trigger_id: str = ""  # for views.open (Test login), valid for 3 s
    client: AsyncWebClient | None = None  # for the private fallback when Slack refuses the response_url

    @classmethod
    def of(cls, body: Mapping[str, Any], action: Mapping[str, Any], client: AsyncWebClient | None = None) -> _Click:
        container = body.get("container") or {}
        message = body.get("message") or {}
        return cls(
            team_id=str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""),
            channel=str((body.get("channel") or {}).get("id") or container.get("channel_id") or ""),
            user=str((body.get("user") or {}).get("id") or ""),
            value=decode_value(action.get("value")),
            response_url=body.get("response_url"),
            ephemeral=bool(container.get("is_ephemeral")) or not message,
            thread_ts=message.get("thread_ts") or message.get("ts"),
            trigger_id=str(body.get("trigger_id") or ""),
            client=client,
        )

    async def reply(self, services: Services, message: Mapping[str, Any], **kw: Any) -> None:
        """Answer through the click's response_url; when Slack refuses it (logged in one line), privately to the
        user with a line saying why."""
        if await answers.respond_to(services, self.response_url, message, **kw) or self.client is None:
            return
        fallback = answers.ephemeral_or_dm(self.client, channel=self.channel, user=self.user)
        await answers.to_response_url(services, None, fallback=fallback)(message)


async def _paste(services: Services, click: _Click) -> ThreadContext | None:
    """The paste the button refers to; an "expired" reply when it is gone."""
    paste = await answers.load_paste(services, team_id=click.team_id, channel=click.channel, ref=click.value.ref)
    if paste is None:
        await click.reply(services, {"text": EXPIRED, "blocks": message_blocks(EXPIRED)})
    return paste


async def _share(services: Services, client: AsyncWebClient, click: _Click) -> None:
    if (paste := await _paste(services, click)) is None:
        return
    d = await answers.reanswer(services, paste)
    intro = f"Shared by <@{click.user}>" if _USER_ID.match(click.user) else None
    message = answers.answer_message(services, d, ref=paste.thread_ts, cause_id=click.value.cause or None,
                                     share=False, intro=intro)
    await click.reply(services, message, response_type="in_channel", thread_ts=click.value.thread or None)


async def _other(services: Services, client: AsyncWebClient, click: _Click) -> None:
    if (paste := await _paste(services, click)) is None:
        return
    d = await answers.reanswer(services, paste)
    blocks = other_causes_blocks(d, kb=services.kb, ref=paste.thread_ts)
    await click.reply(services, {"text": "Other possible causes", "blocks": blocks})


async def _show_fix(services: Services, client: AsyncWebClient, click: _Click) -> None:
    if (paste := await _paste(services, click)) is None:
        return
    d = await answers.reanswer(services, paste)
    await click.reply(services, answers.answer_message(services, d, ref=paste.thread_ts,
                                                       cause_id=click.value.cause or None, share=click.ephemeral))


async def _feedback(services: Services, click: _Click, *, helpful: bool) -> None:
    cause_id = click.value.cause
    paste = await _paste(services, click)
    if paste is None or not cause_id:
        return
    if await services.store.claim_event(
        f"feedback:{click.team_id}:{click.channel}:{click.value.ref}:{cause_id}:{click.user}"
    ):
        await services.store.record_feedback(team_id=click.team_id, channel=click.channel, user=click.user,
                                             cause_id=cause_id, helpful=helpful, paste=paste.text)
    title = escape_mrkdwn(cause_title(services.kb, cause_id))
    if helpful:
        text = f"Thanks! Glad the fix for *{title}* worked; it is noted so the next person gets it faster."
        await click.reply(services, {"text": text, "blocks": message_blocks(text)})
        return
    await answers.mark_tried(services, paste, cause_id)  # the thread's later replies move past it
    d = await answers.reanswer(services, paste)
    text = f"Thanks for telling me. I noted that the fix for *{title}* did not help."
    blocks = message_blocks(text)
    if len(d.causes) > 1:
        blocks += other_causes_blocks(d, kb=services.kb, ref=paste.thread_ts, shown=cause_id)
    await click.reply(services, {"text": text, "blocks": fit(blocks)})


async def _fixed(services: Services, client: AsyncWebClient, click: _Click) -> None:
    await _feedback(services, click, helpful=True)


async def _not_fixed(services: Services, client: AsyncWebClient, click: _Click) -> None:
    await _feedback(services, click, helpful=False)


async def _probe(services: Services, client: AsyncWebClient, click: _Click) -> None:
    if click.value.target:
        await answers.probe_button(services, client, team_id=click.team_id, user_id=click.user, channel=click.channel,
                                   target=click.value.target, ref=click.value.ref, response_url=click.response_url,
                                   thread_ts=None if click.ephemeral else click.thread_ts)


async def _login(services: Services, client: AsyncWebClient, click: _Click) -> None:
    if click.value.target and click.trigger_id:
        await client.views_open(trigger_id=click.trigger_id, view=answers.login_view(click.value.target, click.channel))


_HANDLERS: dict[str, Callable[[Services, AsyncWebClient, _Click], Coroutine[Any, Any, None]]] = {
    ACTION_SHARE: _share,
    ACTION_OTHER: _other,
    ACTION_SHOW_FIX: _show_fix,
    ACTION_FIXED: _fixed,
    ACTION_NOT_FIXED: _not_fixed,
    ACTION_PROBE: _probe,
    ACTION_AUTH_CHECK: _login,
}
