"""build_app(settings, services) -> AsyncApp: the bolt app, wired and nothing else.

The app acks inside the listener and returns (process_before_response=True): slow work goes to
`services.background`, so the HTTP response leaves as soon as the listener has acked rather than after bolt's
10 ms ack-polling loop. Requests no listener matches get 200 (logged), never a 404 that Slack would retry.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack.guard import redact_log_records
from bot.slack.listeners import register_all
from bot.slack.services import Services

__all__ = ["BOT_SCOPES", "INSTALL_PATH", "REDIRECT_PATH", "build_app", "web_client"]

log = logging.getLogger(__name__)

# Least privilege (security.md K9); manifest.yml lists the same scopes.
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "chat:write",
    "commands",
    "files:read",  # a shared text file or snippet is read like a paste (bot.slack.files): files.info + download
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def web_client(settings: Settings, *, session: Any = None) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL base (GovSlack, tests), shared session, 429s retried."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=session,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(settings: Settings, services: Services) -> AsyncApp:
    """The bolt app for Socket Mode, single-workspace HTTP or OAuth (multi-workspace) HTTP."""
    mode = settings.slack_mode
    oauth = None
    if mode == "oauth":
        oauth = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(BOT_SCOPES),
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=services.store.installation_store,
            state_store=services.store.oauth_state_store,
        )
    app = AsyncApp(
        client=web_client(settings, session=services.http)
        if oauth is None
        else AsyncWebClient(base_url=settings.slack_api_url, session=services.http),
        signing_secret=settings.slack_signing_secret or "",
        oauth_settings=oauth,
        installation_store=services.store.installation_store if oauth else None,
        request_verification_enabled=mode != "socket",
        process_before_response=True,
        raise_error_for_unhandled_request=True,
        name="smtp-help",
    )

    @app.error
    async def on_error(error: Exception, body: Any, logger: logging.Logger) -> BoltResponse | None:
        if isinstance(error, BoltUnhandledRequestError):
            log.debug("no listener for %s; answered 200 so Slack does not retry", _kind(body))
            return BoltResponse(status=200, body="")
        log.error("listener failed on %s", _kind(body), exc_info=error)
        return None

    register_all(app, services)
    redact_log_records()  # bolt and slack_sdk log payloads: their records go through the redactor
    return app


def _kind(body: Any) -> str:
    if not isinstance(body, dict):
        return "request"
    event = body.get("event") or {}
    return str(event.get("type") or body.get("type") or body.get("command") or "request")
