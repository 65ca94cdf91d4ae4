"""The paste modal `/smtp-help` opens with no text: on submit, diagnose and answer privately."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.slack.home import MODAL_CALLBACK, MODAL_INPUT_ACTION, MODAL_INPUT_BLOCK
from bot.slack import replies
from bot.slack.services import Services
from bot.slack.triage import MAX_PASTE_CHARS

__all__ = ["handle_paste_submission", "register"]

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    """Wire the paste modal's submission."""

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_paste_submission(ack=ack, body=body, view=view, client=client, services=services)

    app.view(MODAL_CALLBACK)(on_submit)


def _pasted(view: Mapping[str, Any]) -> str:
    values = ((view.get("state") or {}).get("values") or {}).get(MODAL_INPUT_BLOCK) or {}
    return str((values.get(MODAL_INPUT_ACTION) or {}).get("value") or "")[:MAX_PASTE_CHARS]


async def handle_paste_submission(
    *,
    ack: AsyncAck,
    body: Mapping[str, Any],
    view: Mapping[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Close the modal (or say what is missing), then answer in the background."""
    services.background.saw_request()
    text = _pasted(view)
    if not text.strip():
        await ack(
            response_action="errors", errors={MODAL_INPUT_BLOCK: "Paste an error or your SMTP settings."}
        )
        return
    await ack()
    services.background.spawn(_answer(services, client, body, view, text), name="modal")


async def _answer(
    services: Services, client: AsyncWebClient, body: Mapping[str, Any], view: Mapping[str, Any], text: str
) -> None:
    user = str((body.get("user") or {}).get("id") or "")
    team_id = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")
    try:
        channel = str(json.loads(view.get("private_metadata") or "{}").get("channel") or "")
    except (ValueError, AttributeError):
        channel = ""
    d = await replies.diagnose_soon(services, text)
    ref = replies.new_ref() if d.is_smtp and d.top else None
    message = replies.answer(services, d, ref=ref, share=False)
    answered_in = channel
    try:
        if channel:
            await client.chat_postEphemeral(channel=channel, user=user, **message)
        else:
            answered_in = str((await client.chat_postMessage(channel=user, **message)).get("channel") or user)
    except SlackApiError as exc:  # not in that channel: answer in the app's DM instead
        log.info("ephemeral answer failed (%s); sending a DM", exc.response.get("error"))
        answered_in = str((await client.chat_postMessage(channel=user, **message)).get("channel") or user)
    if ref:
        await replies.remember(services, team_id=team_id, channel=answered_in, ref=ref, d=d)
    await services.store.record_diagnosis(
        team_id=team_id, channel=answered_in, cause_id=d.top.id if ref and d.top else None, source="command"
    )
