"""Processes the Slack benchmark starts: the fake Web API, and the floor (a bolt app that only acks).

python bench/slack_procs.py fake  PORT          # loopback fake Slack Web API + response_url sink
python bench/slack_procs.py floor PORT API_URL  # minimal AsyncApp: ack /smtp-help, respond("ok")
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

__all__ = ["main"]


async def _fake(port: int) -> None:
    from aiohttp import web

    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack()
    await fake.start()  # random port; put a fixed-port site beside it
    assert fake._runner is not None
    await web.TCPSite(fake._runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


def _floor(port: int, api_url: str) -> None:
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(
            token="xoxb-1-floor",  # noqa: S106 - fake token for the loopback fake
            base_url=api_url,
        ),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    )

    @app.command("/smtp-help")
    async def only_ack(ack, respond):  # type: ignore[no-untyped-def]
        await ack()
        await respond("ok")

    print("ready", flush=True)
    app.start(port=port, path="/slack/events")


def main() -> None:
    """Dispatch on argv[1]."""
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "fake":
        asyncio.run(_fake(port))
    else:
        _floor(port, sys.argv[3])


if __name__ == "__main__":
    main()
