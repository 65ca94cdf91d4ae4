"""Facts read right (issue 12): the details a fix quotes in step 1 come from realistic pastes, whole and in place.

Each paste below is written for this test in the shape real tools print: Postfix's smtp(8) log line, PHPMailer's
SMTPDebug "Connection: opening to" line, Nodemailer settings beside a stack trace.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.render.fix import fix_text

POSTFIX_MX = (
    "Nov 30 10:12:01 web1 postfix/smtp[2231]: 4F1A23C0D2: to=<alice@gmail.com>, relay=none, delay=30, "
    "delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to gmail-smtp-in.l.google.com[142.250.102.27]:25: "
    "Connection timed out)")


@pytest.mark.parametrize(("paste", "host"), [
    ("2024-03-02 09:14:22 Connection: opening to ssl://mx.hostingcompany.net:465, timeout=300, options=array()",
     "mx.hostingcompany.net"),
    ("SMTP ERROR: Failed to connect to server: Connection timed out (110)\nhost: mx.hosting-provider.net",
     "mx.hosting-provider.net"),
    ("smtp_server: mail.server-hosting.com\nsmtp_port: 587", "mail.server-hosting.com"),
    ("spring.mail.host=smtp.example.org\nspring.mail.port=587", "smtp.example.org"),
])
def test_a_host_is_never_cut_where_a_setting_word_sits_inside_it(kb: KnowledgeBase, paste: str, host: str) -> None:
    facts = diagnose(paste, kb=kb).facts
    assert facts.host == host
    assert all(h == host or not host.endswith(h) for h in facts.hosts), facts.hosts


def test_the_port_of_a_postfix_connect_line_is_read_with_its_bracketed_address(kb: KnowledgeBase) -> None:
    facts = diagnose(POSTFIX_MX, kb=kb).facts
    assert (facts.host, facts.port) == ("gmail-smtp-in.l.google.com", 25)


def test_bracketed_ipv6_address_keeps_the_port(kb: KnowledgeBase) -> None:
    paste = ("postfix/smtp[881]: connect to mx.example.net[2001:db8::25]:25: Network is unreachable\n"
             "postfix/smtp[881]: 9A0C1: to=<bob@example.net>, relay=none, status=deferred")
    assert diagnose(paste, kb=kb).facts.port == 25


def test_direct_mx_delivery_on_25_is_flagged_and_the_fix_is_a_relay_host_not_587(kb: KnowledgeBase) -> None:
    d = diagnose(POSTFIX_MX, kb=kb)
    assert "mx_delivery" in d.facts.flags
    assert d.causes[0].id == "network_blocked"
    text = fix_text(d, kb, "network_blocked", mrkdwn=False)
    assert "relayhost = [" in text
    assert "port-25 block" in text
    assert "-Port 25" in text
    assert "587 (STARTTLS) or 465" not in text


def test_a_configured_relay_host_is_not_mx_delivery(kb: KnowledgeBase) -> None:
    paste = ("relayhost = [smtp.example.com]:25\n"
             "postfix/smtp[90]: connect to smtp.example.com[198.51.100.7]:25: Connection timed out")
    assert "mx_delivery" not in diagnose(paste, kb=kb).facts.flags


def test_a_provider_port_list_names_each_port_once(kb: KnowledgeBase) -> None:
    for provider in kb.providers.values():
        paste = f"Error: connect ETIMEDOUT\nhost: {next(iter(provider.hosts), 'smtp.example.com')}\nport: 587"
        d = diagnose(paste, kb=kb)
        text = fix_text(d, kb, "network_blocked", mrkdwn=False)
        for line in text.splitlines():
            if " offers " in line:
                listed = line.split(" offers ", 1)[1].split(" — ", 1)[0].replace(" ", "").split(",")
                assert len(listed) == len(set(listed)), (provider.id, line)


def test_client_setting_names_are_quoted_not_read_as_values(kb: KnowledgeBase) -> None:
    paste = ("Error: connect ETIMEDOUT 203.0.113.5:587\n    at TCPConnectWrap.afterConnect [as oncomplete] "
             "(node:net:1555:16)\n"
             "const transporter = nodemailer.createTransport({ host: 'mail.example.org', port: 587 })")
    d = diagnose(paste, kb=kb)
    assert d.facts.client == "nodemailer"
    text = fix_text(d, kb, "network_blocked", mrkdwn=False)
    assert "the host and port are host and port" not in text
    assert "`host`" in text
    assert "`port`" in text


# --- settings as people paste them from a mail app's dialog or in prose ------------------------------------------

APP_DIALOG = ("Outgoing server (SMTP): smtp.office365.com\nPort: 587\nEncryption method: STARTTLS\n"
              "User name: frontdesk@contoso-clinic.example\nRequires authentication: yes\n")


def test_an_app_dialog_is_read_for_mode_and_user_and_its_labels_are_not_errors(kb: KnowledgeBase) -> None:
    d = diagnose(APP_DIALOG, kb=kb)
    assert (d.facts.port, d.facts.tls_mode, d.facts.username_form) == (587, "starttls", "full_address")
    # "Requires authentication: yes" is a tick box, not the server's 530 "authentication required".
    assert all(c.id != "auth_not_sent" or c.confidence < 0.3 for c in d.causes), d.causes


@pytest.mark.parametrize(("paste", "mode"), [
    ("Outgoing server is mail.example-dental.com port 465, SSL. Nothing changed on our side.", "implicit"),
    ("we send through smtp.example.net on 587 with STARTTLS and get a timeout", "starttls"),
    ("SMTP: mail.example.org, 465 (SSL/TLS)", "implicit"),
    ("SMTP: mail.example.org, port 587, TLS", None),   # "TLS" alone means STARTTLS in some apps, implicit in others
])
def test_a_port_paired_with_its_mode_in_prose_gives_the_mode(kb: KnowledgeBase, paste: str, mode: str | None) -> None:
    assert diagnose(paste, kb=kb).facts.tls_mode == mode


def test_tls_mismatch_does_not_tell_a_user_to_switch_to_the_mode_they_already_use(kb: KnowledgeBase) -> None:
    paste = ("Task 'desk@example-dental.com - Sending' reported error (0x800CCC0F) : 'The connection to the server was "
             "interrupted.'\nOutgoing server is mail.example-dental.com port 465, SSL.")
    d = diagnose(paste, kb=kb)
    text = fix_text(d, kb, "tls_mismatch", mrkdwn=False)
    assert "already pair port 465 with implicit TLS" in text
    assert "switch to implicit TLS" not in text


def test_phpmailer_opening_a_plain_connection_to_465_is_the_encryption_mode(kb: KnowledgeBase) -> None:
    paste = ("2026-10-14 12:00:01\tConnection: opening to mail.acme-hosting.example:465, timeout=300, options=array()\n"
             "2026-10-14 12:00:01\tConnection: opened\n"
             "2026-10-14 12:05:01\tSMTP ERROR: Failed to connect to server:  (0)\n"
             "SMTP Error: Could not connect to SMTP host.")
    assert diagnose(paste, kb=kb).causes[0].id == "tls_mismatch"
    with_ssl = paste.replace("opening to mail", "opening to ssl://mail")
    assert diagnose(with_ssl, kb=kb).causes[0].id != "tls_mismatch"


@pytest.mark.parametrize("cause", ["bad_credentials", "network_blocked", "wrong_host_or_port"])
def test_a_library_line_never_names_the_same_setting_twice(kb: KnowledgeBase, cause: str) -> None:
    """smtplib, MailKit, .NET and Go take user and password in one call: "goes in X and the password in X" is noise."""
    for client in kb.clients.values():
        d = diagnose("535 5.7.8 Authentication failed", kb=kb)
        d = dataclasses.replace(d, facts=dataclasses.replace(d.facts, client=client.id))
        text = fix_text(d, kb, cause, mrkdwn=False)
        for line in text.splitlines():
            if line.startswith(f"In {client.name}"):
                values = [v for v in (client.data.get("settings") or {}).values() if isinstance(v, str) and len(v) > 12]
                assert not any(line.count(v) > 1 for v in values), line


def test_an_aws_key_id_alone_is_redacted_but_asks_for_no_rotation(kb: KnowledgeBase) -> None:
    """The SES SMTP username is an access key id: an identifier. Only a secret beside it asks for rotation."""
    from bot.render.slack.answer import diagnosis_blocks
    from bot.render.text import render_text

    settings = ("spring.mail.host=email-smtp.eu-west-1.amazonaws.com\nspring.mail.port=587\n"
                "spring.mail.username=AKIAEXAMPLE7QWERTYUI\n"
                "535 Authentication Credentials Invalid\n")
    d = diagnose(settings, kb=kb)
    assert "AKIAEXAMPLE7QWERTYUI" not in d.text
    assert d.facts.secrets == ("aws_access_key_id",)
    assert d.facts.exposed == ()
    assert "rotate" not in render_text(d, kb).lower()
    assert "rotate" not in str(diagnosis_blocks(d, kb=kb, fix=None)).lower()
    with_password = settings + "spring.mail.password=BAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcd\n"
    d = diagnose(with_password, kb=kb)
    assert d.facts.exposed
    assert "rotate" in render_text(d, kb).lower()
