"""Probe paths under hostile input (issue 14 items 4, 7, 8, 9): one resolver setting for every path, strict
ports, no secret in any message, and a --jsonl batch that loses only its bad lines."""

from __future__ import annotations

import argparse
import io
import json
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

import dns.message
import dns.rrset
import pytest

from bot.cli import main
from bot.errors import InputError, TargetNotAllowed
from bot.kb import KnowledgeBase
from bot.probe.targets import parse_target
from bot.settings import Settings

NAME = "only-in-the-stub.example.com"  # resolves (to a TEST-NET address) only through the configured stub


class _ThreadedDns:
    """A UDP DNS stub on 127.0.0.1 in its own thread (the CLI paths run their own event loop); counts queries."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.queries: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except OSError:
                continue
            query = dns.message.from_wire(data)
            question = query.question[0]
            self.queries.append(question.name.to_text(omit_final_dot=True).lower())
            response = dns.message.make_response(query)
            if question.name.to_text(omit_final_dot=True).lower() == NAME and question.rdtype == 1:
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", "192.0.2.25"))
            self.sock.sendto(response.to_wire(), addr)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def stub() -> Iterator[_ThreadedDns]:
    server = _ThreadedDns()
    yield server
    server.close()


def _settings(stub: _ThreadedDns) -> Settings:
    return Settings(extra={"SMTP_HELP_PROBE_DNS_SERVERS": f"127.0.0.1:{stub.port}"})


def test_smtp_help_probe_resolves_through_the_configured_servers(stub: _ThreadedDns) -> None:
    from bot.commands import probe as command

    args = argparse.Namespace(target=f"{NAME}:587", sender_domain=None, auth=False, json=True)
    with pytest.raises(TargetNotAllowed):  # the stub's TEST-NET answer is refused: so the stub was asked
        command.run(args, _settings(stub), out=io.StringIO())
    assert NAME in stub.queries


def test_diagnose_probe_resolves_through_the_configured_servers(stub: _ThreadedDns, kb: KnowledgeBase,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from bot.commands.diagnose import _with_probe
    from bot.diagnose import diagnose

    text = f"smtplib.SMTPServerDisconnected: Connection unexpectedly closed {NAME}:587"
    _with_probe(text, diagnose(text, kb=kb), kb, _settings(stub))
    assert NAME in stub.queries


async def test_slack_app_and_worker_probes_resolve_through_the_configured_servers(stub: _ThreadedDns) -> None:
    """bot.probe.runner.probe_now is what the Slack app's runners, the login test and the arq worker call."""
    from bot.probe.runner import probe_now

    with pytest.raises(TargetNotAllowed):
        await probe_now(_settings(stub), f"{NAME}:587")
    assert NAME in stub.queries


def test_a_malformed_dns_server_setting_is_a_config_error() -> None:
    from bot.errors import ConfigError
    from bot.probe.dns import configured_nameservers

    for value in ("dns.google", "127.0.0.1:²", "127.0.0.1:99999", "[::1]:x"):
        with pytest.raises(ConfigError):
            configured_nameservers(Settings(extra={"SMTP_HELP_PROBE_DNS_SERVERS": value}))


# ------------------------------------------------------------------------------------------- strict arguments

SECRET = "S3cretPw-" + "q" * 6


@pytest.mark.parametrize("text", ["host.example.com:²", "smtp.example.com:¹", "smtp.example.com:³",
                                  "smtp.example.com:٥٨٧", "smtp.example.com:５８７", "[2001:db8::1]:²",
                                  "smtps://smtp.example.com:²", "smtp.example.com:+587", "smtp.example.com: 587"])
def test_a_port_that_is_not_ascii_digits_is_a_clean_input_error(text: str) -> None:
    with pytest.raises(InputError):
        parse_target(text)


@pytest.mark.parametrize("text", [f"smtps://apikey:{SECRET}", f"apikey:{SECRET}", f"smtp://apikey:{SECRET}@",
                                  f"smtps://user:{SECRET}@smtp.example.com:abc", f"smtp.example.com:{SECRET}",
                                  "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
                                  f"smtp://u:{SECRET}@[::1"])
def test_no_error_quotes_a_secret(text: str) -> None:
    with pytest.raises((InputError, TargetNotAllowed)) as info:
        parse_target(text)
    message = str(info.value)
    assert SECRET not in message
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij" not in message


@pytest.mark.parametrize("target", ["host.example.com:²", f"smtps://apikey:{SECRET}"])
def test_cli_probe_with_a_bad_target_exits_2_with_one_line(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", target]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert SECRET not in captured.err + captured.out
    assert len(captured.err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------------- --jsonl


def _jsonl(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lines: list[bytes]) -> tuple[
        int, list[dict[str, Any]], str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\n".join(lines) + b"\n")))
    status = main(["diagnose", "--jsonl"])
    captured = capsys.readouterr()
    return status, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_jsonl_bad_lines_cost_only_themselves(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    good = [json.dumps({"id": i, "text": "535 5.7.8 Username and Password not accepted smtp.gmail.com:587"})
            .encode() for i in ("a", "b", "c")]
    bad = [b"[" * 200_000 + b"]" * 200_000,                                   # RecursionError before
           json.dumps({"id": [[[[1]]]], "text": "x"}).encode(),              # an id that cannot be echoed
           b'{"text": "' + b"x" * (2 << 20) + b'"}',                          # over the line bound
           b"\xff\xfe not json " + SECRET.encode(),
           json.dumps({"id": "d", "text": ["not", "a", "string"]}).encode()]
    status, answers, err = _jsonl(monkeypatch, capsys, [good[0], *bad, good[1], good[2]])
    assert status == 1
    assert [a["id"] for a in answers] == ["a", "b", "c"]
    assert len(err.strip().splitlines()) == len(bad)
    assert "Traceback" not in err
    assert SECRET not in err


async def test_the_status_feed_fetch_resolves_through_the_configured_servers() -> None:
    """The provider status feed is fetched over HTTP; its host name goes to the probe's resolver as well."""
    from aiohttp import web

    from bot.probe.dns import feed_resolver, make_resolver
    from bot.probe.status import fetch_status
    from tests.probe.dnsstub import start_dns_stub

    async def summary(_request: web.Request) -> web.Response:
        return web.json_response({"status": {"indicator": "none", "description": "ok"}, "incidents": []})

    app = web.Application()
    app.router.add_get("/api/v2/summary.json", summary)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    transport, dns_port = await start_dns_stub({"feed.only-in-the-stub.example.com": {"A": ["127.0.0.1"]}})
    try:
        feed = f"http://feed.only-in-the-stub.example.com:{port}/api/v2/summary.json"
        data = {"id": "labmail", "status": {"feed": feed, "feed_format": "statuspage"}}
        resolver = feed_resolver(make_resolver(nameservers=[f"127.0.0.1:{dns_port}"]))
        result = await fetch_status("labmail", data, timeout_s=3.0, resolver=resolver)
    finally:
        transport.close()
        await runner.cleanup()
    assert result is not None
    assert result.ok, result.error
