"""A live probe feeds the diagnosis in Slack, end to end: signed requests to the real app with the real knowledge
base and engine, the real in-process probe runner, an aiosmtpd server on loopback and the fake Web API.

The server is the probe suite's "plain" aiosmtpd (STARTTLS offered, AUTH only after TLS) on 127.0.0.1, port 0;
the probe dials it for port 587 through `port_map`, which only `Services.probe_options` can set (tests, lab).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.probe.runner import LocalProbeRunner
from bot.render.slack.actions import ACTION_OTHER, ACTION_PROBE
from bot.slack.services import Services
from bot.store import MemoryStore
from tests.probe.conftest import Certs, ServerFactory, certs, smtp_server  # noqa: F401  (fixtures)
from tests.slack.conftest import Harness, live_harness, make_settings, real_engine, serve
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_http_app import click

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
# A client that never turned STARTTLS on sees no AUTH: the paste alone points at the server, the probe says why.
PASTE = (
    "smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server. host=127.0.0.1 port=587"
)


@pytest.fixture
async def live(
    fake: FakeSlack, smtp_server: ServerFactory, certs: Certs  # noqa: F811
) -> AsyncIterator[tuple[Harness, Any]]:
    port = await smtp_server("plain")
    async with live_harness(fake, runner=LocalProbeRunner, probe_allow_networks=LOOPBACK, probe_timeout_s=5.0,
                            probe_options={"port_map": {587: port}, "ca_file": certs.ca_file}) as h:
        yield h, smtp_server


def _section_texts(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(str((b.get("text") or {}).get("text", "")) for b in blocks)


async def test_probe_button_merges_the_findings_into_the_ranking_in_place(live: tuple[Harness, Any]) -> None:
    h, _ = live
    await h.command(PASTE)
    await h.settle()
    [first] = h.fake.posts
    assert "live probe:" not in first.text
    before = [line for line in first.text.splitlines() if "Likely cause" in line]
    values = first.action_values()
    assert json.loads(values[ACTION_PROBE])["t"] == "127.0.0.1:587"
    h.fake.calls.clear()

    await h.interactive(click(h, ACTION_PROBE, values[ACTION_PROBE]))
    await h.settle(5)
    progress, result = h.fake.posts
    assert "probing 127.0.0.1:587" in progress.text
    assert result.args["replace_original"]
    assert result.ephemeral
    text = _section_texts(result.blocks)
    # the merged ranking: the paste's cause still leads, the probe's cause joins with its evidence line
    assert "*Ranking with the live probe*" in text
    assert "live probe: port 587 offers AUTH" in text
    assert "only after STARTTLS" in text
    tls_title = h.services.kb.causes["tls_mismatch"].title
    ranking = text[text.index("*Ranking with the live probe*") :]
    assert f"*{tls_title}*" in ranking.split("live probe:")[0]  # the evidence line sits under its cause
    # the per-port table from the real server: STARTTLS negotiated, TLS 1.2+, AUTH after TLS, trusted cert
    assert "```\nport" in text
    [row] = [line for line in text.splitlines() if line.startswith("587 ")]
    assert "ok" in row
    assert "STARTTLS TLSv1." in row
    assert "(after TLS)" in row
    assert "trusted" in row
    assert before
    assert before[0] in result.text
    assert result.blocks[-1]["type"] == "actions"  # buttons survive


async def test_probe_button_in_a_thread_updates_the_progress_message_with_the_merged_answer(
    live: tuple[Harness, Any],
) -> None:
    h, _ = live
    from tests.slack.test_http_app import channel_message

    await h.event(channel_message(PASTE))
    await h.settle()
    [answer] = h.fake.posts
    value = answer.action_values()[ACTION_PROBE]
    h.fake.calls.clear()
    body = click(h, ACTION_PROBE, value, ephemeral=False)
    body["channel"]["id"] = body["container"]["channel_id"] = "C123ABC456"
    body["message"] = {"type": "message", "ts": "1700000000.000001", "thread_ts": "1355517523.000005"}
    await h.interactive(body)
    await h.settle(5)
    progress, update = h.fake.posts
    assert progress.method == "chat.postMessage"
    assert progress.thread_ts == "1355517523.000005"
    assert update.method == "chat.update"
    assert update.channel == progress.channel
    assert update.args["ts"] not in (None, "1355517523.000005")  # the progress message, not the answer above
    assert "live probe: port 587 offers AUTH" in update.text
    assert "```\nport" in update.text


async def test_bare_probe_of_a_healthy_server_shows_the_table_and_notes_but_no_fault(
    live: tuple[Harness, Any],
) -> None:
    """AUTH only after STARTTLS is how a healthy submission port behaves: a note, not a cause with a fix."""
    h, _ = live
    status, ack = await h.command("probe 127.0.0.1:587")
    assert status == 200
    assert "probing 127.0.0.1:587" in ack
    await h.settle(5)
    [result] = h.fake.posts
    text = _section_texts(result.blocks)
    assert "```\nport" in text
    assert "*Worth knowing*\n• port 587 offers AUTH" in text
    assert "Nothing wrong seen from here" in text
    title = h.services.kb.causes["tls_mismatch"].title
    assert f"*{title}*" not in text
    assert "How to fix it" not in text


async def test_production_settings_refuse_loopback_and_never_connect(fake: FakeSlack) -> None:
    """Without PROBE_ALLOW_NETWORKS a private address is refused before any connection, even with a port_map;
    a port outside {25, 465, 587, 2525} is refused too."""
    kb, diagnose, fix_text = real_engine()
    connections = 0

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(fake)
    assert settings.probe_allow_networks == ()
    store = MemoryStore()
    try:
        async with aiohttp.ClientSession() as http:
            services = Services(settings=settings, kb=kb, store=store, probe=LocalProbeRunner(settings, store),
                                probe_options={"port_map": {587: port, 8025: port}},
                                diagnose=diagnose, fix_text=fix_text, http=http)
            async with serve(fake, services, http) as h:
                for target in ("127.0.0.1:587", "127.0.0.1:8025"):
                    await h.command(f"probe {target}")
                    await h.settle(5)
    finally:
        server.close()
    refusals = [p.text for p in fake.posts]
    assert len(refusals) == 2
    assert "I won't probe `127.0.0.1:587`" in refusals[0]
    assert "I won't probe `127.0.0.1:8025`" in refusals[1]
    assert "not an SMTP submission port" in refusals[1]
    assert connections == 0


async def test_other_buttons_of_a_probed_answer_keep_the_probe_evidence(live: tuple[Harness, Any]) -> None:
    h, _ = live
    # A refused login: the probe's "AUTH only after STARTTLS" joins as a second cause (the SMTP-AUTH paste above
    # now reads as a TLS-mode problem on its own, so the probe would only confirm its one cause).
    await h.command("Net::SMTPAuthenticationError: 535 5.7.8 Authentication failed host=127.0.0.1 port=587")
    await h.settle()
    values = h.fake.posts[0].action_values()
    await h.interactive(click(h, ACTION_PROBE, values[ACTION_PROBE]))
    await h.settle(5)
    probed = h.fake.posts[-1].action_values()
    h.fake.calls.clear()
    await h.interactive(click(h, ACTION_OTHER, probed[ACTION_OTHER]))
    await h.settle()
    [other] = h.fake.posts
    assert "live probe: port 587 offers AUTH" in other.text
