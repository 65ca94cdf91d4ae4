"""The transcript reader: each debug format people paste, the failing step, hidden AUTH, and hostile input.

The transcripts in tests/data/transcripts/ are written for these tests in each tool's own format (PHPMailer
SMTPDebug 2, swaks, Nodemailer's logger, MailKit's ProtocolLogger, smtplib.set_debuglevel(1), Ruby Net::SMTP
debug_output, JavaMail mail.debug, Postfix smtp(8), Exim's main log).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.kb import KnowledgeBase
from bot.transcript import HIDDEN, read_transcript

DATA = Path(__file__).resolve().parents[1] / "data" / "transcripts"


@pytest.mark.parametrize(("name", "fmt", "step", "code"), [
    ("phpmailer_auth_535", "phpmailer", "auth", 535),
    ("swaks_no_greeting", "swaks", "greeting", None),
    ("smtplib_auth_before_starttls", "smtplib", "auth", 530),
    ("postfix_sasl_535", "postfix", "auth", 535),
    ("exim_rcpt_550", "exim", "rcpt", 550),
    ("nodemailer_tls_verify", "s_c_log", "tls", None),
    ("javamail_sender_553", "bare", "mail", 553),
    ("ruby_auth_535", "ruby", "auth", 535),
    ("mailkit_530_no_auth", "s_c_log", "mail", 530),
    ("swaks_size_552", "swaks", "end_of_data", 552),
])
def test_each_format_is_read_and_the_failing_step_named(name: str, fmt: str, step: str, code: int | None) -> None:
    t = read_transcript((DATA / f"{name}.txt").read_text())
    assert t is not None
    assert t.format == fmt
    assert t.failed is not None
    assert (t.failed.step, t.failed.code) == (step, code)


def test_the_dialogue_keeps_its_order_and_marks_tls() -> None:
    t = read_transcript((DATA / "phpmailer_auth_535.txt").read_text())
    assert t is not None
    assert [e.step for e in t.exchanges] == ["greeting", "ehlo", "starttls", "tls", "ehlo", "auth", "quit"]
    assert [e.ok for e in t.exchanges] == [True, True, True, True, True, False, True]


def test_auth_payloads_are_never_kept_whatever_the_redactor_left() -> None:
    text = ("C: EHLO me\nS: 250-mx.example.com\nS: 250 AUTH LOGIN\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\n"
            "C: dXNlckBleGFtcGxlLmNvbQ==\nS: 334 UGFzc3dvcmQ6\nC: c2VjcmV0LXBhc3N3b3Jk\nS: 535 5.7.8 bad\n")
    t = read_transcript(text)
    assert t is not None
    auth = next(e for e in t.exchanges if e.step == "auth")
    assert auth.sent == f"AUTH LOGIN {HIDDEN}"
    assert "c2VjcmV0" not in str(t.to_list())
    assert "dXNlckBl" not in str(t.to_list())


def test_auth_plain_initial_response_is_hidden() -> None:
    t = read_transcript("send: 'AUTH PLAIN AHVzZXIAc2VjcmV0\\r\\n'\nreply: b'535 5.7.8 no\\r\\n'\n"
                        "reply: b'250 ok\\r\\n'\n")
    assert t is not None
    assert t.exchanges[0].sent == f"AUTH PLAIN {HIDDEN}"


def test_json_shape() -> None:
    t = read_transcript((DATA / "exim_rcpt_550.txt").read_text())
    assert t is not None
    assert t.to_list() == [{"step": "rcpt", "sent": "", "ok": False,
                            "reply": "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in "
                                     "virtual mailbox table"}]


@pytest.mark.parametrize("text", [
    "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted.')",
    "MAIL_HOST=smtp.gmail.com\nMAIL_PORT=587\nMAIL_ENCRYPTION=tls",
    "Error: connect ECONNREFUSED 127.0.0.1:587\n    at TCPConnectWrap.afterConnect",
    "OS: Windows 10\nC:\\Users\\me> python send.py",
    "",
])
def test_no_transcript_in_an_ordinary_paste(text: str) -> None:
    assert read_transcript(text) is None


def test_a_connection_refused_before_any_greeting_fails_at_connect() -> None:
    text = ("2024-05-01 10:00:00 Connection: opening to smtp.example.com:465, timeout=300\n"
            "2024-05-01 10:00:01 Connection failed. Error #2: stream_socket_client(): Unable to connect to "
            "ssl://smtp.example.com:465 (Connection refused)\n"
            "2024-05-01 10:00:01 SMTP ERROR: Failed to connect to server: Connection refused (111)\n"
            "SERVER -> CLIENT: \n")
    t = read_transcript(text)
    assert t is not None
    assert t.failed_step == "connect"


def test_a_command_left_unanswered_is_the_failing_step() -> None:
    t = read_transcript("S: 220 mx.example.com ESMTP\nC: EHLO me\nS: 250 ok\nC: STARTTLS\n")
    assert t is not None
    assert t.failed is not None
    assert (t.failed.step, t.failed.ok) == ("starttls", None)


def test_a_mechanism_retry_that_succeeds_is_not_the_failure() -> None:
    t = read_transcript("S: 220 mx ESMTP\nC: EHLO me\nS: 250 AUTH CRAM-MD5 LOGIN\nC: AUTH CRAM-MD5\n"
                        "S: 504 5.5.4 Unrecognized authentication type\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: x\n"
                        "S: 334 UGFzc3dvcmQ6\nC: y\nS: 235 2.7.0 ok\nC: MAIL FROM:<a@example.com>\n"
                        "S: 550 5.7.1 Sender rejected\n")
    assert t is not None
    assert t.failed is not None
    assert (t.failed.step, t.failed.code) == ("mail", 550)


@pytest.mark.parametrize("text", [
    "S: 250 ok\n" * 1_000_000,                                           # a million lines
    ("C: EHLO a\nS: 250 ok\n" * 5000)[:-7] + "\x00\x01\xff\ufffd" * 100,  # truncated, binary in the middle
    "C: EHLO a\nreply: b'250 ok'\nS: 220 x\n<- \"MAIL FROM:<a>\"\n" * 2000,   # interleaved formats
    "S: 220 " + "x" * 2_000_000,                                         # one enormous line
])
def test_hostile_input_gives_a_bounded_answer(text: str) -> None:
    start = time.process_time()
    t = read_transcript(text)
    assert time.process_time() - start < 5.0          # generous: the point is "bounded", not a speed bar
    assert t is None or len(t.exchanges) <= 400
    assert t is None or all(len(e.reply) <= 300 and len(e.sent) <= 300 for e in t.exchanges)


def test_invalid_utf8_bytes_decoded_with_replacement_are_read() -> None:
    raw = b"S: 220 mx.example.com ESMTP\nC: EHLO caf\xe9\nS: 535 5.7.8 Authentication failed \xff\n"
    t = read_transcript(raw.decode("utf-8", "replace"))
    assert t is not None
    assert t.failed_step == "ehlo"


def test_the_answer_shows_the_dialogue_with_the_failing_step_in_text_and_json(kb: KnowledgeBase) -> None:
    from bot.diagnose import diagnose
    from bot.render.text import render_text

    d = diagnose((DATA / "javamail_sender_553.txt").read_text(), kb=kb)
    assert d.transcript is not None
    text = render_text(d, kb)
    assert "The SMTP dialogue (it failed at MAIL FROM):" in text
    assert "✗ MAIL FROM" in text
    out = d.to_dict()
    assert out["failed_step"] == "mail"
    assert out["transcript"][-1] == {"step": "mail", "sent": "MAIL FROM:<noreply@example.com>", "ok": False,
                                     "reply": "553 5.7.1 <noreply@example.com>: Sender address rejected: not "
                                              "owned by user ops@example.com"}
