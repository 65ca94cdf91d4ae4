"""classify() through diagnose(): is_smtp, the ranking for each taxonomy cause, confidence, evidence,
ambiguity, and settings lint. Example texts are written here (never taken from the held-out eval set).
"""

from __future__ import annotations

import pytest

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.model import Diagnosis
from bot.normalize import normalize

TAXONOMY = {
    "account_restricted", "app_password_required", "auth_mechanism_unsupported", "auth_not_sent",
    "bad_credentials", "basic_auth_disabled", "network_blocked", "other_smtp", "provider_outage",
    "sender_domain_auth", "sender_not_authorized", "tls_handshake_failure", "tls_mismatch", "wrong_host_or_port",
}

# ------------------------------------------------------------------------------------------ is_smtp

NOT_SMTP = [
    pytest.param("hey, is anyone going to lunch today? the new place on 5th looks good", id="chit_chat"),
    pytest.param("Deploy finished in 4m 12s. All 312 tests passed, coverage 81%.", id="ci_chatter"),
    pytest.param("imaplib.IMAP4.error: b'[AUTHENTICATIONFAILED] Invalid credentials (Failure)'\n"
                 "while fetching INBOX from imap.gmail.com:993", id="imap_only"),
    pytest.param("* OK [CAPABILITY IMAP4rev1] Dovecot ready.\na1 LOGIN bob secret\n"
                 "a1 NO [AUTHENTICATIONFAILED] Authentication failed.", id="imap_transcript"),
    pytest.param("$ pip install requests\nCould not fetch URL https://pypi.org/simple/requests/: There was a problem "
                 "confirming the ssl certificate: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded "
                 "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
                 "failed: self signed certificate in certificate chain')))", id="pip_https_cert"),
    pytest.param("$ curl https://api.example.com/health\ncurl: (60) SSL certificate problem: unable to get local "
                 "issuer certificate\nMore details here: https://curl.se/docs/sslcerts.html", id="curl_https_cert"),
    pytest.param("psycopg2.OperationalError: connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: "
                 "FATAL:  password authentication failed for user \"app\"", id="postgres_auth"),
    pytest.param("SQLSTATE[HY000] [1045] Access denied for user 'root'@'localhost' (using password: YES)",
                 id="mysql_auth"),
    pytest.param("redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
                 id="redis_refused"),
]


@pytest.mark.parametrize("text", NOT_SMTP)
def test_text_that_is_not_about_smtp_is_not_smtp(kb: KnowledgeBase, text: str) -> None:
    d = diagnose(text, kb=kb)
    assert d.is_smtp is False
    assert d.ambiguity is None


def test_empty_text_is_not_smtp(kb: KnowledgeBase) -> None:
    d = diagnose("", kb=kb)
    assert d.is_smtp is False
    assert d.causes == ()


# ------------------------------------------------------------------------------------------ ranking

CANONICAL = [
    pytest.param("account_restricted",
                 "smtplib.SMTPSenderRefused: (534, b'5.7.14 <https://accounts.google.com/signin/continue?sarp=1> "
                 "Please log in via your web browser and then try again. 5.7.14 Learn more at "
                 "https://support.google.com/mail/answer/78754 - gsmtp', 'me@gmail.com')", id="account_restricted"),
    pytest.param("app_password_required",
                 "Error: Invalid login: 534-5.7.9 Application-specific password required. Learn more at "
                 "https://support.google.com/mail/?p=InvalidSecondFactor", id="app_password_required"),
    pytest.param("auth_mechanism_unsupported",
                 "Traceback (most recent call last):\n  File \"send.py\", line 9, in <module>\n"
                 "    server.login(user, password)\nsmtplib.SMTPNotSupportedError: SMTP AUTH extension not supported "
                 "by server.", id="auth_mechanism_unsupported"),
    pytest.param("auth_not_sent",
                 "MailKit.Net.Smtp.SmtpCommandException: 5.7.57 Client not authenticated to send mail. Error: "
                 "530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM", id="auth_not_sent"),
    pytest.param("bad_credentials",
                 "535 5.7.3 Authentication unsuccessful: the user credentials were incorrect "
                 "[AM6PR01MB1234.eurprd01.prod.outlook.com] host smtp.office365.com", id="bad_credentials"),
    pytest.param("basic_auth_disabled",
                 "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
                 "Visit https://aka.ms/smtp_auth_disabled for more information.", id="basic_auth_disabled"),
    pytest.param("network_blocked",
                 "Error: connect ETIMEDOUT 142.250.102.108:587\n    at TCPConnectWrap.afterConnect [as oncomplete] "
                 "(node:net:1555:16) { errno: -110, code: 'ESOCKET', syscall: 'connect' }\nhost smtp.gmail.com",
                 id="network_blocked"),
    pytest.param("other_smtp",
                 "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
                 id="other_smtp"),
    pytest.param("provider_outage", "421 4.3.2 Service not available, closing transmission channel",
                 id="provider_outage"),
    pytest.param("sender_domain_auth",
                 "550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all "
                 "senders to authenticate with either SPF or DKIM.", id="sender_domain_auth"),
    pytest.param("sender_not_authorized",
                 "554 5.2.252 SendAsDenied; ops@example.com not allowed to send as ceo@example.com; "
                 "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
                 id="sender_not_authorized"),
    pytest.param("tls_handshake_failure",
                 "[Symfony\\Component\\Mailer\\Exception\\TransportException] Connection could not be established with "
                 "host \"ssl://mail.example.com:465\": stream_socket_client(): SSL operation failed with code 1. "
                 "OpenSSL Error messages: error:1416F086:SSL routines:tls_process_server_certificate:certificate "
                 "verify failed", id="tls_handshake_failure"),
    pytest.param("tls_mismatch",
                 "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1131)\n"
                 "server = smtplib.SMTP_SSL('smtp.example.org', 587)", id="tls_mismatch"),
    pytest.param("wrong_host_or_port",
                 "Error: getaddrinfo ENOTFOUND smtp.gmial.com\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] "
                 "(node:dns:107:26) { code: 'EDNS', command: 'CONN' }", id="wrong_host_or_port"),
]


def test_canonical_examples_cover_the_whole_taxonomy(kb: KnowledgeBase) -> None:
    assert {p.values[0] for p in CANONICAL} == TAXONOMY == set(kb.causes)


@pytest.mark.parametrize(("cause", "text"), CANONICAL)
def test_canonical_error_ranks_its_cause_first(kb: KnowledgeBase, cause: str, text: str) -> None:
    d = diagnose(text, kb=kb)
    assert d.is_smtp
    assert d.top is not None
    assert d.top.id == cause, [(c.id, c.confidence) for c in d.causes]


@pytest.mark.parametrize(("cause", "text"), CANONICAL)
def test_confidences_are_between_0_and_1_and_best_first(kb: KnowledgeBase, cause: str, text: str) -> None:
    d = diagnose(text, kb=kb)
    confidences = [c.confidence for c in d.causes]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert confidences == sorted(confidences, reverse=True)
    assert len({c.id for c in d.causes}) == len(d.causes)


def _explanations(kb: KnowledgeBase) -> set[str]:
    signals = [s for cause in kb.causes.values() for s in cause.signals]
    return {s.why for s in signals if s.why} | {"settings"}


def _from_paste(evidence: str, text: str) -> bool:
    """An evidence line is a line of the paste, or a piece of one cut to length and marked with "…"."""
    lines = [line.strip() for line in normalize(text).splitlines()]
    piece = evidence.strip("…").strip()
    return evidence in lines or (evidence != piece and any(piece in line for line in lines))


@pytest.mark.parametrize(("cause", "text"), CANONICAL)
def test_evidence_lines_are_lines_of_the_paste(kb: KnowledgeBase, cause: str, text: str) -> None:
    d = diagnose(text, kb=kb)
    assert d.top is not None
    assert d.top.evidence
    quoted = [e.text for e in d.top.evidence if e.source == "paste"]
    assert quoted
    assert _from_paste(quoted[0], text)
    for match in d.causes:
        for e in match.evidence:
            assert _from_paste(e.text, text) or e.text in _explanations(kb) or e.source == "settings", e


def test_long_evidence_line_is_cut_not_echoed_whole(kb: KnowledgeBase) -> None:
    text = "x" * 3000 + " 535 5.7.8 Username and Password not accepted " + "y" * 3000
    d = diagnose(text, kb=kb)
    assert d.top is not None
    assert all(len(e.text) <= 250 for e in d.top.evidence)


def test_confidence_of_a_strong_match_is_high(kb: KnowledgeBase) -> None:
    d = diagnose("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", kb=kb)
    assert d.top is not None
    assert d.top.confidence >= 0.75


def test_smtp_text_with_no_specific_cause_falls_back_to_other_smtp(kb: KnowledgeBase) -> None:
    d = diagnose("our SMTP relay on port 587 is not sending mail since this morning, any idea? postfix says nothing",
                 kb=kb)
    assert d.is_smtp
    assert d.top is not None


def test_intercepted_connection_puts_network_blocked_among_the_causes(kb: KnowledgeBase) -> None:
    d = diagnose("Connection: opening to smtp.gmail.com:587, timeout=300\n"
                 "SERVER -> CLIENT: 220-box123.bluehostingco.com ESMTP Exim 4.96 #2\n"
                 "SERVER -> CLIENT: 535 Incorrect authentication data", kb=kb)
    assert "network_blocked" in [c.id for c in d.causes[:2]]


# ------------------------------------------------------------------------------------------ ambiguity

GMAIL_535 = ("535-5.7.8 Username and Password not accepted. For more information, go to\n"
             "535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1-20020a170906 - gsmtp")


def test_gmail_535_578_is_ambiguous_between_bad_credentials_and_app_password(kb: KnowledgeBase) -> None:
    d = diagnose(GMAIL_535, kb=kb)
    assert d.top is not None
    assert d.top.id in ("bad_credentials", "app_password_required")
    ids = [c.id for c in d.causes[:2]]
    assert set(ids) == {"bad_credentials", "app_password_required"}
    assert d.ambiguity is not None
    assert "2-Step Verification" in d.ambiguity


def test_ambiguity_appears_in_the_json(kb: KnowledgeBase) -> None:
    out = diagnose(GMAIL_535, kb=kb).to_dict()
    assert "2-Step Verification" in out.get("ambiguity", "")


def test_clear_single_cause_has_no_ambiguity(kb: KnowledgeBase) -> None:
    d = diagnose("534-5.7.9 Application-specific password required. Learn more at "
                 "https://support.google.com/mail/?p=InvalidSecondFactor", kb=kb)
    assert d.ambiguity is None


# ------------------------------------------------------------------------------------------ settings lint

LINT = [
    pytest.param("starttls_on_465",
                 "EMAIL_HOST = 'smtp.example.org'\nEMAIL_PORT = 465\nEMAIL_USE_TLS = True", id="django_465_starttls"),
    pytest.param("implicit_tls_on_587",
                 "EMAIL_HOST = 'smtp.example.org'\nEMAIL_PORT = 587\nEMAIL_USE_SSL = True", id="django_587_ssl"),
    pytest.param("implicit_tls_on_587",
                 "const t = nodemailer.createTransport({ host: 'mail.example.org', port: 587, secure: true });",
                 id="nodemailer_587_secure"),
    pytest.param("dotnet_smtpclient_on_465",
                 "var smtp = new SmtpClient(\"smtp.office365.com\", 465);\nsmtp.EnableSsl = true;",
                 id="system_net_mail_465"),
    pytest.param("username_form",
                 "MAIL_HOST=smtp.sendgrid.net\nMAIL_PORT=587\nMAIL_USERNAME=alerts@example.org",
                 id="sendgrid_not_apikey"),
    pytest.param("username_form",
                 "MAIL_HOST=smtp.gmail.com\nMAIL_PORT=587\nMAIL_USERNAME=alerts\nMAIL_ENCRYPTION=tls",
                 id="gmail_without_domain"),
]


@pytest.mark.parametrize(("rule", "text"), LINT)
def test_settings_only_paste_raises_the_lint_issue(kb: KnowledgeBase, rule: str, text: str) -> None:
    d = diagnose(text, kb=kb)
    assert rule in [i.id for i in d.lint]
    assert d.is_smtp


@pytest.mark.parametrize(("rule", "text"), LINT)
def test_lint_issue_points_to_the_top_cause_with_a_settings_evidence_line(kb: KnowledgeBase, rule: str,
                                                                          text: str) -> None:
    d = diagnose(text, kb=kb)
    issue = next(i for i in d.lint if i.id == rule)
    assert issue.message
    assert "{{" not in issue.message
    match = next(c for c in d.causes if c.id == issue.cause)
    assert any(e.source == "settings" for e in match.evidence)
    assert d.top is not None
    assert d.top.id == issue.cause


def test_sendgrid_lint_message_names_apikey(kb: KnowledgeBase) -> None:
    d = diagnose("MAIL_HOST=smtp.sendgrid.net\nMAIL_PORT=587\nMAIL_USERNAME=alerts@example.org", kb=kb)
    assert "apikey" in next(i.message for i in d.lint if i.id == "username_form")


def test_dotnet_lint_message_suggests_587_or_mailkit(kb: KnowledgeBase) -> None:
    d = diagnose("var smtp = new SmtpClient(\"smtp.office365.com\", 465);\nsmtp.EnableSsl = true;", kb=kb)
    message = next(i.message for i in d.lint if i.id == "dotnet_smtpclient_on_465")
    assert "587" in message
    assert "MailKit" in message


@pytest.mark.parametrize("text", [
    pytest.param("MAIL_HOST=smtp.gmail.com\nMAIL_PORT=587\nMAIL_USERNAME=alerts@gmail.com\nMAIL_ENCRYPTION=tls",
                 id="gmail_587_starttls_full_address"),
    pytest.param("MAIL_HOST=smtp.sendgrid.net\nMAIL_PORT=587\nMAIL_USERNAME=apikey\nMAIL_ENCRYPTION=tls",
                 id="sendgrid_apikey"),
    pytest.param("EMAIL_HOST = 'smtp.example.org'\nEMAIL_PORT = 465\nEMAIL_USE_SSL = True", id="django_465_ssl"),
    pytest.param("var smtp = new SmtpClient(\"smtp.office365.com\", 587);\nsmtp.EnableSsl = true;",
                 id="system_net_mail_587"),
])
def test_consistent_settings_raise_no_lint_issue(kb: KnowledgeBase, text: str) -> None:
    assert diagnose(text, kb=kb).lint == ()


def test_diagnosis_is_a_pure_function_of_its_input(kb: KnowledgeBase) -> None:
    text = "MAIL_HOST=smtp.gmail.com\nMAIL_PORT=465\nMAIL_ENCRYPTION=tls\n535-5.7.8 Username and Password not accepted"
    first: Diagnosis = diagnose(text, kb=kb)
    second = diagnose(text, kb=kb)
    assert first.to_dict() == second.to_dict()


# ------------------------------------------------------------------------------------------ channel reply

def test_channel_reply_is_one_decision_for_the_listener_and_the_json(kb: KnowledgeBase) -> None:
    import json
    import subprocess
    import sys

    from bot.diagnose import CHANNEL_THRESHOLD, channel_reply
    from bot.slack.threads import confident_enough

    sure = diagnose("smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted')", kb=kb)
    silent = diagnose("Can anyone recommend a good lunch place near the office?", kb=kb)
    assert channel_reply(sure)
    assert sure.top is not None
    assert sure.top.confidence >= CHANNEL_THRESHOLD
    assert not channel_reply(silent)
    assert confident_enough(sure) is channel_reply(sure)
    assert confident_enough(silent) is channel_reply(silent)
    out = subprocess.run([sys.executable, "-m", "bot", "diagnose", "--json",
                          "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted')"],
                         capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout)["channel_reply"] is True
