"""`smtp-help serve`: run the Slack app until SIGTERM.

Socket Mode when SLACK_APP_TOKEN is set; otherwise HTTP on $PORT with bolt at POST /slack/events (and the
OAuth install routes when SLACK_CLIENT_ID/SECRET are set). Both modes serve GET /healthz (the process is up)
and GET /readyz (503 once draining). SIGTERM: readyz fails, background work (answers, probes) gets up to
DRAIN_TIMEOUT_S to finish, then the server and connections close and the process exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.errors import ConfigError
from bot.settings import Settings
from bot.slack.app import INSTALL_PATH, REDIRECT_PATH, build_app
from bot.slack.guard import Rejected, RequestGuard, quiet_parser_errors
from bot.slack.services import DRAIN_TIMEOUT_S, Services, open_services

__all__ = ["EVENTS_PATH", "ServerState", "add_arguments", "create_web_app", "run", "serve"]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024  # Slack payloads are far smaller; aiohttp answers 413 above this


@dataclass
class ServerState:
    """Mutable process state the health endpoints report."""

    draining: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `smtp-help serve`."""
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")  # noqa: S104
    parser.add_argument("--port", type=int, default=None, help="port to listen on (default $PORT or 3000)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point from bot.cli: exit status 0 after a clean shutdown, 2 on configuration errors."""
    if settings.slack_mode == "console":
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is needed to serve Slack (with SLACK_SIGNING_SECRET for HTTP, or "
            "SLACK_APP_TOKEN for Socket Mode); without Slack credentials use `smtp-help console`",
        )
    return asyncio.run(serve(settings, host=args.host, port=args.port or settings.port))


def create_web_app(
    app: AsyncApp, state: ServerState, *, signing_secret: str | None = None, store: Any = None
) -> web.Application:
    """The aiohttp application: bolt at /slack/events, OAuth routes, /healthz and /readyz.

    Every POST to /slack/events passes bot.slack.guard first (signature on the raw bytes, UTF-8, well-formed,
    not a replay); `store` shares the replay memory across instances (its claim_event).
    """
    secret = signing_secret if signing_secret is not None else str(getattr(app, "_signing_secret", "") or "")
    guard = RequestGuard(secret, store=store)
    quiet_parser_errors()

    def reject(request: web.Request, rejected: Rejected) -> web.Response:
        log.warning("rejected %s %s: %s (%d)", request.method, request.path, rejected.reason, rejected.status)
        return web.json_response({"error": rejected.reason}, status=rejected.status)

    async def events(request: web.Request) -> web.Response:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return reject(request, Rejected(413, f"body larger than {MAX_BODY_BYTES} bytes"))
        except RequestPayloadError as exc:  # e.g. Content-Encoding: gzip over bytes that are not gzip
            return reject(request, Rejected(400, f"body could not be read ({type(exc.__cause__ or exc).__name__})"))
        if raw.startswith(b"ssl_check=") and b"&payload=" not in raw and b"&command=" not in raw:
            return web.Response(status=200, text="")  # Slack's certificate check: nothing to run, nothing to log
        verdict = guard.check(request.headers, raw, request.content_type)
        if isinstance(verdict, Rejected):
            return reject(request, verdict)
        if not await guard.first_time(verdict.signature):
            log.warning("ignored a replayed request to %s (signature seen within %ds)", request.path, 300)
            return web.Response(status=200, text="")
        try:
            bolt_req = AsyncBoltRequest(
                body=verdict.body, query=request.query_string, headers=dict(request.headers)
            )
        except Exception as exc:  # a shape bolt cannot read, signed or not: 400, one line, no body
            return reject(request, Rejected(400, f"unreadable payload ({type(exc).__name__})"))
        return await to_aiohttp_response(await app.async_dispatch(bolt_req))

    async def oauth(request: web.Request) -> web.Response:
        flow = app.oauth_flow
        if flow is None:
            raise web.HTTPNotFound()
        bolt_req = AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
        handle = flow.handle_installation if request.path == INSTALL_PATH else flow.handle_callback
        return await to_aiohttp_response(await handle(bolt_req))

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_request: web.Request) -> web.Response:
        return web.Response(status=503, text="draining") if state.draining else web.Response(text="ready")

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, events)
    web_app.router.add_get(INSTALL_PATH, oauth)
    web_app.router.add_get(REDIRECT_PATH, oauth)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    return web_app


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    services: Services | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Serve until SIGTERM/SIGINT (or `stop` is set), then drain and close."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or no signals
            loop.add_signal_handler(sig, stop.set)
    session = aiohttp.ClientSession()
    runner: web.AppRunner | None = None
    socket_handler: Any = None
    try:
        services = services or await open_services(settings)
        if services.http is None:
            services.http = session
        app = build_app(settings, services)
        state = ServerState()
        web_app = create_web_app(app, state, signing_secret=settings.slack_signing_secret or "",
                                 store=services.store)
        runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise ConfigError("PORT", f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        if settings.slack_mode == "socket":
            socket_handler = AsyncSocketModeHandler(app, settings.slack_app_token)
            await socket_handler.connect_async()
            log.info("smtp-help connected in Socket Mode; health on http://%s:%s/healthz", host, port)
        else:
            log.info(
                "smtp-help listening on http://%s:%s%s (%s mode)",
                host,
                port,
                EVENTS_PATH,
                settings.slack_mode,
            )
        await stop.wait()
        log.info("shutting down: draining %d background task(s)", services.background.pending)
        state.draining = True
        if socket_handler is not None:
            await socket_handler.close_async()
            socket_handler = None
        cancelled = await services.background.drain(DRAIN_TIMEOUT_S)
        if cancelled:
            log.warning("cancelled %d background task(s) still running at the drain deadline", cancelled)
        return 0
    finally:
        if socket_handler is not None:
            await socket_handler.close_async()
        if runner is not None:
            await runner.cleanup()
        if services is not None:
            await services.background.drain(5.0)
            await services.close()
        await session.close()
