"""`smtp-help probe`: bad input is one line on stderr and exit 2; real probes print text or JSON."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from bot.probe.report import CertInfo, DnsFacts, PortResult, ProbeReport
from bot.render.text import render_probe
from tests.probe.conftest import PASSWORD, USER, Certs, Handler, _authenticator

CLI = [sys.executable, "-m", "bot"]
ROOT = str(Path(__file__).resolve().parents[2])


async def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTP_HELP_", "PROBE_"))}
    full_env.update(env or {})
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "probe",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=full_env,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("smtp.gmail.com:abc", "not a number"),
        ("smtp.gmail.com:0", "out of range"),
        ("smtp.gmail.com:70000", "out of range"),
        ("a" * 300 + ".com", "at most 253"),
        ("smtp://user:hunter2@smtp.gmail.com:99999", "out of range"),
        ("127.0.0.1", "not allowed"),
        ("[::ffff:169.254.169.254]:587", "not allowed"),
        ("localhost:587", "internal name"),
        ("smtp.gmail.com:22", "not an SMTP submission port"),
        ("metadata.google.internal", "internal name"),
    ],
)
async def test_bad_input_is_one_line_and_exit_2(target: str, words: str) -> None:
    code, out, err = await cli(target)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert words in err
    assert "Traceback" not in err
    assert "hunter2" not in err


def _sample() -> ProbeReport:
    return ProbeReport(
        target="mail.example.com:587",
        host="mail.example.com",
        addresses=("192.0.2.10",),
        dns=DnsFacts(status="ok", addresses=("192.0.2.10",)),
        ports=(
            PortResult(
                port=587,
                status="ok",
                tls="starttls",
                greeting_code=220,
                greeting_text="mail ESMTP",
                auth_after_tls=("PLAIN",),
                tls_version="TLSv1.3",
                cert=CertInfo(
                    subject="CN=mail.example.com", trusted=True, hostname_match=True, not_after="2030-01-01"
                ),
            ),
        ),
    )


def test_text_report_has_table_certificate_and_findings_line() -> None:
    text = render_probe(_sample())
    assert "PORT" in text
    assert "587" in text
    assert "PLAIN (after TLS)" in text
    assert "certificate: CN=mail.example.com" in text
    assert "Findings: none" in text


class _EhloHandler(Handler):
    def __init__(self, seen: list[str]) -> None:
        super().__init__()
        self.seen = seen

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.seen.append(hostname)
        session.host_name = hostname
        return responses


@pytest.fixture
async def port_2525(certs: Certs) -> Any:
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    certs.seen_ehlo = seen  # type: ignore[attr-defined]
    try:
        server = await loop.create_server(
            lambda: SMTP(
                _EhloHandler(seen),
                hostname="mail.lab.test",
                tls_context=certs.good,
                authenticator=_authenticator,
                auth_require_tls=True,
            ),
            "127.0.0.1",
            2525,
        )
    except OSError:
        pytest.skip("127.0.0.1:2525 is busy")
    yield certs
    server.close()


async def test_json_output_against_a_real_server_with_env_credentials(port_2525: Certs) -> None:
    env = {
        "PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
        "PROBE_TIMEOUT": "5",
        "SSL_CERT_FILE": port_2525.ca_file,
        "SMTP_HELP_PROBE_USER": USER,
        "SMTP_HELP_PROBE_PASSWORD": PASSWORD,
    }
    code, out, err = await cli("smtp://someone:hunter2@127.0.0.1:2525", "--json", "--auth", env=env)
    doc = json.loads(out)
    assert doc["host"] == "127.0.0.1"
    assert doc["ports"][0]["port"] == 2525
    assert doc["ports"][0]["status"] == "ok"
    assert doc["ports"][0]["tls"] == "starttls"
    assert doc["ports"][0]["auth"]["ok"] is True
    assert doc["target"] == "smtp://***@127.0.0.1:2525"
    assert {"cause", "detail"} <= set(doc["findings"][0])
    for secret in ("hunter2", PASSWORD):
        assert secret not in out
        assert secret not in err
    assert code == 1  # AUTH only after STARTTLS is reported


async def test_auth_without_env_or_terminal_is_a_clear_error() -> None:
    code, _out, err = await cli("smtp.example.com:587", "--auth")
    assert code == 2
    assert "SMTP_HELP_PROBE_USER" in err


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--port", "22"], "not an SMTP submission port"),
        (["--port", "x1"], "--port: not a number"),
        (["--ehlo", "bad name\r\nMAIL FROM:<a@b>"], "--ehlo: give a host name"),
        (["--timeout", "600"], "--timeout: between 1 and 60"),
        (["--timeout", "soon"], "--timeout: not a number"),
        (["--tls", "ssl"], "--tls: one of starttls, implicit, none"),
        (["--tls", ""], "--tls: one of starttls, implicit, none"),
        (["--tls", "none", "--auth"], "--tls none never sends credentials"),
    ],
)
async def test_forced_mode_flags_refuse_bad_values_in_one_line(flags: list[str], words: str) -> None:
    code, out, err = await cli("smtp.example.com", *flags)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert words in err


async def test_forced_port_ehlo_and_timeout_reach_a_real_server(port_2525: Certs) -> None:
    env = {"PROBE_ALLOW_NETWORKS": "127.0.0.0/8", "PROBE_TIMEOUT": "5", "SSL_CERT_FILE": port_2525.ca_file}
    _code, out, _err = await cli("127.0.0.1", "--port", "2525", "--ehlo", "client.example.org", "--timeout", "4",
                                "--json", env=env)
    doc = json.loads(out)
    assert [p["port"] for p in doc["ports"]] == [2525]
    assert doc["ports"][0]["status"] == "ok"
    assert port_2525.seen_ehlo == ["client.example.org", "client.example.org"]  # before and after STARTTLS
    still_refused = await cli("127.0.0.1", "--port", "2525", "--timeout", "4")  # allow-list still applies
    assert still_refused[0] == 2
    assert "not allowed" in still_refused[2]


async def test_forced_tls_modes_reach_a_real_server(port_2525: Certs) -> None:
    env = {"PROBE_ALLOW_NETWORKS": "127.0.0.0/8", "PROBE_TIMEOUT": "5", "SSL_CERT_FILE": port_2525.ca_file}
    _code, out, _err = await cli("127.0.0.1:2525", "--tls", "none", "--json", env=env)
    plain = json.loads(out)["ports"][0]
    assert (plain["status"], plain["tls"], plain["expected_tls"]) == ("ok", "none", "none")
    assert port_2525.seen_ehlo == ["probe.smtp-help.invalid"]  # one EHLO: no STARTTLS was sent
    assert plain["auth"] is None
    code, out, _err = await cli("127.0.0.1:2525", "--tls", "IMPLICIT", "--json", env=env)
    forced = json.loads(out)
    assert forced["ports"][0]["expected_tls"] == "implicit"
    assert forced["ports"][0]["wrong_mode"] == "plaintext_on_implicit"  # the server greets in plaintext
    assert "tls_mismatch" in {f["cause"] for f in forced["findings"]}
    assert code == 1
    still_refused = await cli("127.0.0.1:2525", "--tls", "none")  # the SSRF guard still applies
    assert still_refused[0] == 2
    assert "not allowed" in still_refused[2]
