"""Properties of the diagnosis core over generated text: it never raises, stays within its bounds, and a
secret dropped anywhere into a paste never comes back out.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.normalize import MAX_CHARS, normalize
from bot.redact import redact

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text that looks like what people paste: SMTP words, codes, hosts and brackets among arbitrary characters.
FRAGMENTS = st.sampled_from([
    "535", "5.7.8", "421 4.7.0", "smtp.gmail.com", ":587", "<", ">", "&lt;", "&amp;", "```", "\n", "\r\n",
    "password=", "AUTH PLAIN ", "334 UGFzc3dvcmQ6\n", "<!channel>", "<http://a.b|a.b>", "EHLO", "STARTTLS",
    "MAIL_PORT=465\n", "MAIL_ENCRYPTION=tls\n", "nodemailer", "smtplib.", "Username and Password not accepted",
])
PASTES = st.lists(st.one_of(FRAGMENTS, st.text(max_size=20)), max_size=40).map("".join)


@FAST
@given(PASTES)
def test_diagnose_never_raises_and_confidences_stay_in_bounds(kb: KnowledgeBase, text: str) -> None:
    d = diagnose(text, kb=kb)
    json.dumps(d.to_dict())
    confidences = [c.confidence for c in d.causes]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert confidences == sorted(confidences, reverse=True)
    if not d.is_smtp:
        assert d.ambiguity is None


@FAST
@given(st.binary(max_size=2000))
def test_diagnose_accepts_any_bytes(kb: KnowledgeBase, data: bytes) -> None:
    diagnose(data, kb=kb)


@FAST
@given(PASTES)
def test_normalize_output_is_bounded_and_free_of_control_characters(text: str) -> None:
    out = normalize(text)
    assert len(out) <= max(len(text), MAX_CHARS + 3)
    assert not any(ord(ch) < 32 and ch not in "\t\n" for ch in out)
    assert "\r" not in out


XOXB = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SECRETS = st.sampled_from([
    ("MAIL_PASSWORD=Zq8vLm2Rt6Wy", "Zq8vLm2Rt6Wy"),
    ("SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
     "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"),
    (f"bot {XOXB}", XOXB),
    ("smtps://me:Zq8vLm2Rt6Wy@smtp.example.org:465", "Zq8vLm2Rt6Wy"),
    ("AUTH PLAIN AG1lQGV4YW1wbGUuY29tAFRyMHViNGRvcjM=", "AG1lQGV4YW1wbGUuY29tAFRyMHViNGRvcjM="),
])
LINES = st.lists(st.sampled_from([
    "535 5.7.8 Username and Password not accepted", "EMAIL_PORT = 587", "host: smtp.example.org",
    "Traceback (most recent call last):", "  at SMTPConnection._formatError (index.js:1:1)", "", "ok",
]), max_size=8)


@FAST
@given(LINES, SECRETS, LINES)
def test_a_secret_on_its_own_line_never_survives(kb: KnowledgeBase, before: list[str], secret: tuple[str, str],
                                                 after: list[str]) -> None:
    line, value = secret
    text = "\n".join([*before, line, *after])
    assert value not in redact(text).text
    assert value not in json.dumps(diagnose(text, kb=kb).to_dict())
