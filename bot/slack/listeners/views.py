"""The paste modal `/smtp-help` opens with no text: on submit, diagnose and answer privately."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.slack.home import MODAL_CALLBACK, MODAL_INPUT_ACTION, MODAL_INPUT_BLOCK
from bot.slack import answers
from bot.slack.answers import Where
from bot.slack.parse import view_value
from bot.slack.services import Services

__all__ = ["handle_paste_submission", "register"]

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    """Wire the paste modal's submission."""

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_paste_submission(ack=ack, body=body, view=view, client=client, services=services)

    app.view(MODAL_CALLBACK)(on_submit)


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
    text = view_value(view, MODAL_INPUT_BLOCK, MODAL_INPUT_ACTION)
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

    where = Where(team_id=team_id, channel=channel, source="command", share=False)
    await answers.answer_paste(services, where, answers.ephemeral_or_dm(client, channel=channel, user=user), text=text)
