"""`/smtp-help`: ack at once with what is instant, then diagnose (or probe) in the background, privately.

Sub-commands: `help`, `probe host[:port]` (`--auth`: the private login test's modal), `provider <id>`,
`channel on|off`; no text opens a paste modal; anything else is a paste.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.escape import escape_mrkdwn
from bot.render.slack.home import help_blocks, paste_modal, provider_blocks
from bot.render.slack.kit import message_blocks
from bot.render.slack.probe import progress_blocks
from bot.slack import answers
from bot.slack.answers import Where
from bot.slack.parse import parse_command
from bot.slack.services import Services

__all__ = ["COMMAND", "handle_command", "register"]

COMMAND = "/smtp-help"


def register(app: AsyncApp, services: Services) -> None:
    """Wire `/smtp-help`."""

    async def on_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_command(ack=ack, command=command, client=client, services=services)

    app.command(COMMAND)(on_command)


async def handle_command(
    *, ack: AsyncAck, command: Mapping[str, Any], client: AsyncWebClient, services: Services
) -> None:
    """Ack within Slack's 3 s with what is instant; start whatever is slow in the background."""
    services.background.saw_request()
    cmd = parse_command(str(command.get("text") or ""))
    team_id, channel = str(command.get("team_id") or ""), str(command.get("channel_id") or "")
    user_id, trigger_id = str(command.get("user_id") or ""), str(command.get("trigger_id") or "")
    response_url = command.get("response_url")
    if cmd.kind == "help":
        await ack(text="smtp-help usage", blocks=help_blocks())
    elif cmd.kind == "provider":
        await ack(**_provider_answer(services, cmd.arg))
    elif cmd.kind == "channel":
        on = cmd.arg == "on"
        await ack(text="I will answer SMTP pastes in this channel by myself again." if on
                  else "I will stay quiet in this channel unless someone mentions me or uses /smtp-help.")
        services.background.spawn(services.store.set_channel_auto(team_id, channel, on), name="channel_auto")
    elif cmd.kind == "modal":
        await ack()
        view = paste_modal(channel_id=channel or None)
        services.background.spawn(client.views_open(trigger_id=trigger_id, view=view), name="views_open")
    elif cmd.kind == "login":
        await ack()
        view = answers.login_view(cmd.arg, channel)
        services.background.spawn(client.views_open(trigger_id=trigger_id, view=view), name="views_open")
    elif cmd.kind == "probe":
        await ack(text=f"probing {escape_mrkdwn(cmd.arg)}…", blocks=progress_blocks(cmd.arg))
        probe = answers.probe_command(services, team_id=team_id, user_id=user_id, channel=channel, target=cmd.arg,
                                      response_url=response_url)
        services.background.spawn(probe, name="command_probe")
    else:
        await ack()
        where = Where(team_id=team_id, channel=channel, source="command")
        post = answers.to_response_url(services, response_url,
                                       fallback=answers.ephemeral_or_dm(client, channel=channel, user=user_id))
        services.background.spawn(answers.answer_paste(services, where, post, text=cmd.arg), name="command_diagnose")


def _provider_answer(services: Services, provider_id: str) -> dict[str, Any]:
    provider = services.kb.providers.get(provider_id)
    if provider is None:
        known = ", ".join(f"`{escape_mrkdwn(p)}`" for p in sorted(services.kb.providers)) or "none loaded"
        return {"text": "Unknown provider",
                "blocks": message_blocks(f"I don't know `{escape_mrkdwn(provider_id)}`. Known: {known}.")}
    return {"text": f"{provider.name} SMTP settings", "blocks": provider_blocks(provider)}
