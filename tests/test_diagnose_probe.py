"""`smtp-help diagnose --probe`: a live probe of the pasted host joins the evidence (real server on loopback)."""

from __future__ import annotations

import json
import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.model import Evidence, Finding
from bot.probe.choose import probe_target
from bot.probe.report import ProbeReport

CLI = [str(Path(sys.executable).parent / "smtp-help")]


class _Busy(socketserver.BaseRequestHandler):
    """An SMTP server that is overloaded: it greets with 421 and hangs up (RFC 5321 §3.1)."""

    def handle(self) -> None:
        self.request.sendall(b"421 4.3.2 mx.example.test Service not available, closing transmission channel\r\n")


@pytest.fixture
def busy_server_on_2525() -> Iterator[int]:
    socketserver.TCPServer.allow_reuse_address = True
    try:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 2525), _Busy)
    except OSError:
        pytest.skip("port 2525 on loopback is taken")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 2525
    server.shutdown()
    server.server_close()


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROBE_ALLOW_NETWORKS": "127.0.0.0/8", "PROBE_TIMEOUT": "5"}
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, timeout=60, env=env, check=False)


def test_probe_findings_join_the_ranking_with_their_evidence(busy_server_on_2525: int) -> None:
    paste = "nodemailer: Error: Greeting never received\nhost: 127.0.0.1\nport: 2525\n"
    out = _cli("diagnose", "--probe", "--json", stdin=paste)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["probe"]["ports"][0]["port"] == 2525
    outage = next(c for c in answer["causes"] if c["id"] == "provider_outage")
    assert any(line.startswith("live probe:") and "421" in line for line in outage["evidence"])
    assert answer["causes"][0]["id"] == "provider_outage"


def test_probe_of_a_private_address_is_refused_in_one_line_and_the_diagnosis_still_comes() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROBE_ALLOW_NETWORKS"}
    out = subprocess.run([*CLI, "diagnose", "--probe", "Error: connect ETIMEDOUT 10.0.0.5:587 (nodemailer)"],
                         capture_output=True, text=True, timeout=60, env=env, check=False)
    assert out.returncode == 0
    assert "not allowed" in out.stderr
    assert "Traceback" not in out.stderr
    assert "10.0.0.5 is or resolves" in out.stderr or "non-public" in out.stderr
    assert "Likely cause" in out.stdout


def test_a_paste_without_a_host_says_there_is_nothing_to_probe() -> None:
    out = _cli("diagnose", "--probe", "535 Incorrect authentication data from our PHPMailer form")
    assert "names no SMTP host" in out.stderr
    assert "Likely cause" in out.stdout


def test_probe_target_prefers_the_pasted_host_and_port(kb: KnowledgeBase) -> None:
    d = diagnose("MAIL_HOST=smtp.example.org\nMAIL_PORT=587\n535 Authentication failed", kb=kb)
    assert probe_target(d, kb) == "smtp.example.org:587"


def test_probe_target_falls_back_to_the_providers_documented_host(kb: KnowledgeBase) -> None:
    d = diagnose("534-5.7.9 Application-specific password required ... gsmtp", kb=kb)
    assert d.facts.host is None
    assert d.facts.provider == "gmail"
    assert probe_target(d, kb) == "smtp.gmail.com"


def test_a_probe_finding_outweighs_a_single_text_hint(kb: KnowledgeBase) -> None:
    report = ProbeReport(target="smtp.example.org", host="smtp.example.org",
                         findings=(Finding(cause="network_blocked", detail="every port timed out"),))
    d = diagnose("PHPMailer: SMTP connect() failed. host smtp.example.org", kb=kb, probe=report)
    assert d.top is not None
    assert d.top.id == "network_blocked"
    assert d.top.evidence[0] == Evidence("probe", "every port timed out")
    assert str(d.top.evidence[0]) == "live probe: every port timed out"

