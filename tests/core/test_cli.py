"""The `smtp-help` console script, run as a user runs it: diagnose (argument, stdin, --json, --jsonl) and kb check.

Each test starts a real process, so the environment is minimal and explicit (no Slack credentials, no
database URL) and nothing here touches the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import DEFAULT_KNOWLEDGE_DIR

ROOT = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).parent / "smtp-help"
if not EXE.exists():  # the tests may run under another interpreter than the project's venv
    EXE = ROOT / ".venv" / "bin" / "smtp-help"
GMAIL_535 = "535-5.7.8 Username and Password not accepted. smtp.gmail.com:587"
TIMEOUT = 30


def run(*args: str, stdin: bytes | str | None = None, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    proc = subprocess.run([str(EXE), *args], input=data if data is not None else b"", capture_output=True,
                          env=env, timeout=timeout, check=False)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def test_diagnose_text_argument_prints_the_likely_cause() -> None:
    p = run("diagnose", GMAIL_535)
    assert p.returncode == 0, p.stderr
    assert "Likely cause:" in p.stdout
    assert "Gmail" in p.stdout


def test_diagnose_reads_standard_input_when_no_text_is_given() -> None:
    p = run("diagnose", stdin=GMAIL_535 + "\n")
    assert p.returncode == 0, p.stderr
    assert "Likely cause:" in p.stdout


def test_diagnose_json_has_the_documented_shape() -> None:
    p = run("diagnose", "--json", GMAIL_535)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert {"is_smtp", "causes", "provider", "client", "facts"} <= set(out)
    assert out["is_smtp"] is True
    assert out["provider"] == "gmail"
    assert out["causes"]
    assert all(set(c) == {"id", "confidence", "evidence", "title", "fix"} for c in out["causes"])
    assert all(set(c["fix"]) == {"plain", "mrkdwn"} for c in out["causes"])
    assert out["schema"] == 2
    assert out["wording"] == "likely"
    assert out["headline"] == "Likely cause: " + out["causes"][0]["title"]
    assert isinstance(out["causes"][0]["confidence"], float)
    assert isinstance(out["causes"][0]["evidence"], list)
    assert out["facts"]["reply_codes"] == [535]


def test_diagnose_jsonl_answers_each_line_with_its_id_and_reports_a_bad_line() -> None:
    lines = [json.dumps({"id": "a", "text": GMAIL_535}), "{not json", json.dumps({"id": 7, "text": "lunch?"}),
             json.dumps(["no", "object"]), json.dumps({"text": "421 4.3.2 Service not available"})]
    p = run("diagnose", "--jsonl", stdin="\n".join(lines) + "\n")
    assert p.returncode == 1
    answers = [json.loads(line) for line in p.stdout.splitlines()]
    assert [a["id"] for a in answers] == ["a", 7, 5]
    assert answers[0]["is_smtp"] is True
    assert answers[1]["is_smtp"] is False
    assert answers[1]["causes"] == []
    assert answers[1]["wording"] == "not_smtp"
    assert {a["schema"] for a in answers} == {2}
    errors = p.stderr.strip().splitlines()
    assert len(errors) == 2
    assert "line 2" in errors[0]
    assert "line 4" in errors[1]
    assert "Traceback" not in p.stderr


def test_diagnose_jsonl_with_only_good_lines_exits_0() -> None:
    p = run("diagnose", "--jsonl", stdin=json.dumps({"id": "x", "text": GMAIL_535}) + "\n\n")
    assert p.returncode == 0, p.stderr
    assert len(p.stdout.splitlines()) == 1


def test_diagnose_empty_input_says_so_in_one_line_and_exits_2() -> None:
    p = run("diagnose", stdin="  \n\n")
    assert p.returncode == 2
    assert p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1
    assert "Traceback" not in p.stderr


def test_diagnose_binary_junk_on_stdin_is_answered_without_a_traceback() -> None:
    junk = bytes(range(256)) * 64 + b"\xff\xfe\x00\x00" * 500
    p = run("diagnose", "--json", stdin=junk)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert json.loads(p.stdout)["is_smtp"] is False


def test_diagnose_a_megabyte_paste_is_answered() -> None:
    paste = ("INFO worker heartbeat ok\n" * 40_000) + "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username " \
            "and Password not accepted.') smtp.gmail.com:587\n"
    assert len(paste) > 1_000_000 - 100_000
    p = run("diagnose", "--json", stdin=paste)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["is_smtp"] is True
    assert out["causes"][0]["id"] in ("bad_credentials", "app_password_required")


# kb check runs every example of ~900 signals (about 9 s of CPU) and, on a machine where no earlier load filled the
# pattern cache, compiles the Hyperscan database: a generous limit, not a speed bar (bench/ holds those).
KB_CHECK_TIMEOUT = 300


def test_kb_check_passes_on_the_repository_knowledge() -> None:
    p = run("kb", "check", timeout=KB_CHECK_TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert "knowledge base OK" in p.stdout


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = [
    pytest.param("causes/tls_mismatch.yaml", "title: ", "title: [unclosed ", ("causes/tls_mismatch.yaml", "YAML"),
                 id="yaml_syntax_error"),
    pytest.param("causes/bad_credentials.yaml", "  - cause: app_password_required",
                 "  - cause: app_password_needed",
                 ("causes/bad_credentials.yaml", "confusable_with", "app_password_needed"),
                 id="unknown_cause_id_in_confusable_with"),
    pytest.param("lint.yaml", "cause: tls_mismatch", "cause: tls_mismatched", ("lint.yaml", "cause", "tls_mismatched"),
                 id="unknown_cause_id_in_lint_rule"),
    pytest.param("causes/auth_not_sent.yaml", "detect:\n  signals:\n",
                 "detect:\n  signals:\n    - {pattern: '(a)\\1', weight: 1}\n",
                 ("causes/auth_not_sent.yaml", "detect.signals[0].pattern", "RE2"), id="back_reference_pattern"),
    pytest.param("causes/provider_outage.yaml", "status: ", "colour: red\nstatus: ",
                 ("causes/provider_outage.yaml", "colour"), id="unknown_field"),
]


@pytest.mark.parametrize(("rel", "old", "new", "named"), BROKEN)
def test_kb_check_on_a_broken_copy_names_file_and_field_in_one_line(
        kb_copy: Path, rel: str, old: str, new: str, named: tuple[str, ...]) -> None:
    _edit(kb_copy / rel, old, new)
    p = run("kb", "check", "--dir", str(kb_copy), timeout=KB_CHECK_TIMEOUT)
    assert p.returncode in (1, 2)
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    for word in named:
        assert word in lines[0], (word, lines[0])


def test_version_and_help_say_what_a_newcomer_needs() -> None:
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("smtp-help ")
    helptext = run("--help").stdout
    for needle in ("examples:", "environment:", "exit codes:", "SLACK_BOT_TOKEN", "smtp-help diagnose --jsonl"):
        assert needle in helptext
