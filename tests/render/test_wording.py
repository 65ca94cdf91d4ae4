"""Uncertain is said as uncertain (issue 12 §2): one wording decision (bot.wording), one headline (bot.render.headline),
and every view opens with it. Pastes written for this test (example hosts, placeholders for secrets)."""

from __future__ import annotations

import pytest

from bot.diagnose import CHANNEL_THRESHOLD, channel_reply, diagnose
from bot.kb import load_knowledge_base
from bot.kb.model import KnowledgeBase
from bot.model import CauseMatch, Diagnosis, Evidence, Facts
from bot.render.headline import headline
from bot.render.text import render_text
from bot.wording import WORDINGS, error_text, settings_match, wording
from tests.render.settings_corpus import RIGHT, WRONG


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


LIKELY = [
    "535 5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8 "
    "https://support.google.com/mail/?p=BadCredentials d2-20020a05600c1234 - gsmtp",
    "Error: connect ETIMEDOUT 203.0.113.5:587\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)",
    "[2026-11-30 10:02:11] production.ERROR: Connection could not be established with host "
    "\"smtp.example.com:465\": stream_socket_client(): Unable to connect",
]
POSSIBLY = [
    "SMTP server mail.example.org port 587, it just hangs when sending",
    'We use Office 365 to send mail from the ERP. The log line reads: "Authentication unsuccessful"',
]
NOT_ENOUGH = [
    "smtplib.SMTPException: something went wrong while talking to smtp.example.com",
    "Mail settings: smtp host smtp.example.com port 587 and the email never arrives",
    "Our WordPress WP Mail SMTP plugin says the test email could not be sent via smtp.example.com",
]


@pytest.mark.parametrize("paste", LIKELY)
def test_likely_only_at_or_above_the_channel_threshold(kb: KnowledgeBase, paste: str) -> None:
    d = diagnose(paste, kb=kb)
    assert wording(d, kb) == "likely"
    assert d.top is not None
    assert d.top.confidence >= CHANNEL_THRESHOLD
    assert channel_reply(d)
    text = render_text(d, kb)
    assert text.startswith("Likely cause: ")
    assert "%" not in text.splitlines()[0]


@pytest.mark.parametrize("paste", POSSIBLY)
def test_below_the_threshold_a_cause_with_evidence_is_possibly_with_what_decides(kb: KnowledgeBase,
                                                                                  paste: str) -> None:
    d = diagnose(paste, kb=kb)
    assert d.top is not None
    assert d.top.confidence < CHANNEL_THRESHOLD
    assert wording(d, kb) == "possibly"
    text = render_text(d, kb)
    first = text.splitlines()[0]
    assert first.startswith("Possibly ")
    assert "What would decide:" in first
    assert "Likely cause" not in text
    assert "%" not in first
    assert "How to fix it:" in text  # the uncertain cause's fix still follows


@pytest.mark.parametrize("paste", NOT_ENOUGH)
def test_nothing_worth_naming_asks_for_the_error(kb: KnowledgeBase, paste: str) -> None:
    d = diagnose(paste, kb=kb)
    assert d.is_smtp
    assert wording(d, kb) == "not_enough"
    text = render_text(d, kb)
    assert text.startswith("Not enough to go on: ")
    assert "paste the error the app shows (" in text.splitlines()[0]
    assert "Likely cause" not in text
    assert "How to fix it" not in text
    assert "Other possible causes" not in text


def test_not_smtp(kb: KnowledgeBase) -> None:
    d = diagnose("Traceback (most recent call last):\n  File \"app.py\", line 3\nKeyError: 'user_id'", kb=kb)
    assert wording(d, kb) == "not_smtp"
    assert render_text(d, kb).startswith("This does not look like an SMTP sending problem")


def _d(cause: str, confidence: float, evidence: tuple[Evidence, ...], text: str = "") -> Diagnosis:
    return Diagnosis(is_smtp=True, causes=(CauseMatch(id=cause, confidence=confidence, evidence=evidence),),
                     facts=Facts(), text=text)


def test_the_threshold_is_the_channel_one_at_its_edge(kb: KnowledgeBase) -> None:
    line = "Error: Invalid login: 535 Authentication failed"
    ev = (Evidence("paste", line),)
    assert wording(_d("bad_credentials", CHANNEL_THRESHOLD, ev, line), kb) == "likely"
    assert wording(_d("bad_credentials", CHANNEL_THRESHOLD - 0.001, ev, line), kb) == "possibly"
    # below it, a reason the knowledge base gives (no line of this paste) is not worth naming
    reason = (Evidence("paste", "a sending service: its SMTP login is an API key"),)
    assert wording(_d("bad_credentials", 0.3, reason, "smtp.example.com"), kb) == "not_enough"
    # a settings contradiction is the paste's own
    lint = (Evidence("settings", "Port 465 expects TLS from the first byte"),)
    assert wording(_d("tls_mismatch", 0.3, lint), kb) == "possibly"
    # a cause the reader picks among the others is named, as uncertain
    assert wording(_d("bad_credentials", 0.3, reason), kb, cause_id="bad_credentials") == "possibly"


def test_every_level_has_a_headline_with_no_percentage(kb: KnowledgeBase) -> None:
    pastes = LIKELY + POSSIBLY + NOT_ENOUGH + ["hello there", "SMTP_HOST=smtp.sendgrid.net\nSMTP_PORT=587\n"
                                                "SMTP_USER=apikey\nSMTP_PASS=<your key>"]
    seen = set()
    for paste in pastes:
        d = diagnose(paste, kb=kb)
        h = headline(d, kb)
        seen.add(h.level)
        assert h.level == wording(d, kb)
        assert "%" not in h.title
        assert "%" not in h.text
        assert len(h.title) <= 150
        assert h.show_fix == (h.level in ("likely", "possibly"))
    assert seen == set(WORDINGS)


# --- settings that look right (issue 12 §2) ---------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(RIGHT))
def test_settings_that_match_the_provider_get_their_own_verdict(kb: KnowledgeBase, name: str) -> None:
    provider, paste = RIGHT[name]
    d = diagnose(paste, kb=kb)
    assert d.facts.provider == provider
    assert not error_text(d)
    assert wording(d, kb) == "settings_look_right", (d.facts, d.lint)
    text = render_text(d, kb)
    name_shown = kb.providers[provider].name
    assert text.startswith(f"These settings look right for {name_shown}: ")
    assert "paste the error you see" in text.splitlines()[0]
    assert "Likely cause" not in text
    assert "How to fix it" not in text


def test_the_verdict_names_the_documented_settings(kb: KnowledgeBase) -> None:
    d = diagnose(RIGHT["office365 laravel env"][1], kb=kb)
    h = headline(d, kb)
    assert h.text.startswith("These settings look right for Microsoft 365")
    assert "smtp.office365.com, 587, STARTTLS, full address as username — paste the error you see." in h.text
    m = settings_match(d, kb)
    assert m is not None
    assert m.port == 587
    assert m.tls == "starttls"


@pytest.mark.parametrize("name", sorted(WRONG))
def test_settings_that_contradict_the_provider_keep_their_warnings(kb: KnowledgeBase, name: str) -> None:
    provider, paste = WRONG[name]
    d = diagnose(paste, kb=kb)
    assert d.facts.provider == provider
    assert settings_match(d, kb) is None
    assert wording(d, kb) in ("likely", "possibly")
    text = render_text(d, kb)
    assert "look right" not in text
    assert d.lint, "the contradiction is still a settings warning"


def test_an_error_next_to_right_settings_is_diagnosed_not_approved(kb: KnowledgeBase) -> None:
    paste = RIGHT["office365 laravel env"][1] + "\n\nExpected response code 250 but got code \"535\", with message " \
        "\"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.\""
    d = diagnose(paste, kb=kb)
    assert error_text(d)
    assert wording(d, kb) != "settings_look_right"


@pytest.mark.parametrize("line", [
    "SMTP Error: Could not authenticate.",
    "the test email failed",
    "Error: connect ECONNREFUSED 127.0.0.1:587",
    "It worked until Monday, now mails are rejected",
])
def test_error_words_make_a_paste_more_than_settings(kb: KnowledgeBase, line: str) -> None:
    d = diagnose(f"{line}\nhost smtp.office365.com\nport 587", kb=kb)
    assert error_text(d)


def test_setting_names_that_hold_error_words_are_settings(kb: KnowledgeBase) -> None:
    paste = ("SMTP_HOST=smtp.sendgrid.net\nSMTP_PORT=587\nSMTP_USER=apikey\nSMTP_TIMEOUT=30\n"
             "tls: { rejectUnauthorized: true },")
    assert not error_text(diagnose(paste, kb=kb))


UNKNOWN_SERVER = [
    "MAIL_HOST=mail.acme-shop.example\nMAIL_PORT=587\nMAIL_ENCRYPTION=tls\nMAIL_USERNAME=orders@acme-shop.example",
    "$mail->Host = 'mail.example.org';\n$mail->Port = 465;\n$mail->SMTPSecure = 'ssl';\n"
    "$mail->Username = 'web@example.org';",
    "host=mail.example.net\nport=25\nuser=info@example.net",
    "relayhost = [smtp.example.net]:587\nsmtp_sasl_auth_enable = yes\nsmtp_tls_security_level = encrypt",
]


@pytest.mark.parametrize("paste", UNKNOWN_SERVER)
def test_consistent_settings_for_an_unknown_server_name_no_cause(kb: KnowledgeBase, paste: str) -> None:
    """A quoted setting line is no sign of a fault: "Possibly encryption mode does not match the port" for
    MAIL_ENCRYPTION=tls on 587 was wrong. Settings alone name a cause only through a contradiction."""
    d = diagnose(paste, kb=kb)
    assert wording(d, kb) == "not_enough"
    h = headline(d, kb)
    assert h.text.startswith("Not enough to go on: the settings (")
    assert "do not contradict each other" in h.text
    assert d.facts.host is not None
    assert d.facts.host in h.text
    assert render_text(d, kb).startswith(h.text)


def test_contradicting_settings_for_an_unknown_server_still_name_the_cause(kb: KnowledgeBase) -> None:
    d = diagnose("MAIL_HOST=mail.acme-shop.example\nMAIL_PORT=465\nMAIL_ENCRYPTION=tls", kb=kb)
    assert d.lint
    assert wording(d, kb) in ("likely", "possibly")


def test_a_username_in_prose_is_read_only_when_it_is_an_address() -> None:
    kb = load_knowledge_base()
    said = diagnose("I'm using smtp-mail.outlook.com on port 587 with STARTTLS, login is my.name@outlook.com.", kb=kb)
    assert said.facts.username == "my.name@outlook.com"
    assert "auth_attempted" not in said.facts.flags  # naming the login is not sending it
    for paste in ("535 5.7.8 Username and Password not accepted", "the user credentials were incorrect",
                  "Authentication unsuccessful, user is locked by your organization's security defaults policy"):
        assert diagnose(paste, kb=kb).facts.username is None


@pytest.mark.parametrize(("paste", "mode"), [
    ("host smtp.office365.com port 587 STARTTLS username jane.doe@contoso.example", "starttls"),
    ("server smtp.office365.com, port 587, encryption STARTTLS, user scans@contoso.example", "starttls"),
    ("smtp server smtp.aol.com port 465 ssl, user grandma@aol.com", "implicit"),
])
def test_the_encryption_named_next_to_the_port_in_prose_is_read(kb: KnowledgeBase, paste: str, mode: str) -> None:
    d = diagnose(paste, kb=kb)
    assert d.facts.tls_mode == mode
    assert "Not read from the paste" not in headline(d, kb).text
