"""redact() and the pipeline: every secret family of security.md §2.2 is replaced by a typed placeholder,
in plain text, in a code fence, in JSON and in YAML; the secret never reaches the diagnosis or its rendering;
ordinary SMTP lines stay untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.redact import PLACEHOLDER, redact
from bot.render.text import render_text

PW = "Tr0ub4dor3xq"
SG = "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
XOXB = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
XAPP = "xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef"
HOOK = "hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
AKIA = "AKIAIOSFODNN7EXAMPLE"
SES_PW = "BHtl6vDJcAq0j0fI8HZ2A3GEa8ZkbcXd/oO5dX6+A7xq"   # 44 chars, starts with B (SigV4 SMTP password)
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
MG_LEGACY = "key-0123456789abcdef0123456789abcdef"
MG_HEX = "0123456789abcdef0123456789abcdef-01234567-89abcdef"
POSTMARK = "01234567-89ab-cdef-0123-456789abcdef"
APP_PW = "abcd efgh ijkl mnop"
PLAIN_B64 = "AG1lQGV4YW1wbGUuY29tAFRyMHViNGRvcjM="       # \0me@example.com\0Tr0ub4dor3
LOGIN_B64 = "VHIwdWI0ZG9yMw=="                           # Tr0ub4dor3
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
LOGIN_TRANSCRIPT = ["S: 334 VXNlcm5hbWU6", "C: bWVAZXhhbXBsZS5jb20=", "S: 334 UGFzc3dvcmQ6", f"C: {LOGIN_B64}",
                    "S: 535 5.7.8 Error: authentication failed"]


@dataclass(frozen=True)
class Family:
    """One secret format: the value that must disappear, its kind, and how it looks in each container."""

    name: str
    kind: str
    secret: str
    plain: str
    json: str
    yaml: str


def _j(obj: object) -> str:
    return json.dumps(obj, indent=2)


FAMILIES = [
    Family("env_mail_password", "password", PW, f"MAIL_PASSWORD={PW}",
           _j({"MAIL_PASSWORD": PW}), f"MAIL_PASSWORD: {PW}"),
    Family("env_smtp_pass_single_quoted", "password", PW, f"SMTP_PASS='{PW}'",
           _j({"SMTP_PASS": PW}), f"SMTP_PASS: '{PW}'"),
    Family("django_email_host_password", "password", PW, f'EMAIL_HOST_PASSWORD = "{PW}"',
           _j({"EMAIL_HOST_PASSWORD": PW}), f"email_host_password: {PW}"),
    Family("shell_export", "password", PW, f"export SMTP_PASSWORD={PW}",
           _j({"env": {"SMTP_PASSWORD": PW}}), f"environment:\n  SMTP_PASSWORD: {PW}"),
    Family("dotnet_network_credential", "password", PW,
           f'client.Credentials = new NetworkCredential("me@example.com", "{PW}");',
           _j({"Smtp": {"Host": "smtp.office365.com", "Password": PW}}), f"Smtp:\n  Password: {PW}"),
    Family("phpmailer_password", "password", PW, f"$mail->Password = '{PW}';",
           _j({"mail": {"password": PW}}), f"mail:\n  password: {PW}"),
    Family("smtplib_login", "password", PW, f'server.login("me@example.com", "{PW}")',
           _j({"smtp_password": PW}), f"smtp_password: {PW}"),
    Family("nodemailer_auth_pass", "password", PW, f"auth: {{ user: 'me@example.com', pass: '{PW}' }}",
           _j({"auth": {"user": "me@example.com", "pass": PW}}), f"auth:\n  user: me@example.com\n  pass: {PW}"),
    Family("url_userinfo_with_at_in_password", "url_password", "p@ssw0rdXY",
           "MAILER_DSN=smtps://me:p@ssw0rdXY@smtp.example.org:465",
           _j({"MAILER_DSN": "smtps://me:p@ssw0rdXY@smtp.example.org:465"}),
           "mailer:\n  dsn: smtps://me:p@ssw0rdXY@smtp.example.org:465"),
    Family("sendgrid_key", "sendgrid_key", SG, f"SENDGRID_API_KEY {SG}",
           _j({"sendgrid": {"key": SG}}), f"sendgrid:\n  key: {SG}"),
    Family("slack_bot_token", "slack_token", XOXB, f"bot token is {XOXB}",
           _j({"slack": {"bot": XOXB}}), f"slack:\n  bot: {XOXB}"),
    Family("slack_app_token", "slack_app_token", XAPP, f"socket mode with {XAPP}",
           _j({"slack": {"app": XAPP}}), f"slack:\n  app: {XAPP}"),
    Family("slack_webhook", "slack_webhook", HOOK, f"posting to https://{HOOK}",
           _j({"webhook_url": f"https://{HOOK}"}), f"webhook_url: https://{HOOK}"),
    Family("aws_access_key_id", "aws_access_key_id", AKIA, f"SES user {AKIA}",
           _j({"smtp_user": AKIA}), f"smtp_user: {AKIA}"),
    Family("ses_smtp_password_v4", "ses_smtp_password", SES_PW, f"SES SMTP user {AKIA} with {SES_PW}",
           _j({"ses": {"user": AKIA, "smtp": SES_PW}}), f"ses:\n  user: {AKIA}\n  smtp: {SES_PW}"),
    Family("aws_secret_access_key", "aws_secret_key", AWS_SECRET, f"aws_secret_access_key = {AWS_SECRET}",
           _j({"aws_secret_access_key": AWS_SECRET}), f"aws_secret_access_key: {AWS_SECRET}"),
    Family("mailgun_legacy_key", "mailgun_key", MG_LEGACY, f"mailgun api {MG_LEGACY}",
           _j({"mailgun": {"api": MG_LEGACY}}), f"mailgun:\n  api: {MG_LEGACY}"),
    Family("mailgun_hex_key", "mailgun_key", MG_HEX, f"mailgun api {MG_HEX}",
           _j({"mailgun": {"api": MG_HEX}}), f"mailgun:\n  api: {MG_HEX}"),
    Family("postmark_server_token", "postmark_token", POSTMARK, f"X-Postmark-Server-Token: {POSTMARK}",
           _j({"headers": {"X-Postmark-Server-Token": POSTMARK}}), f"headers:\n  X-Postmark-Server-Token: {POSTMARK}"),
    Family("google_app_password", "app_password", APP_PW, f"gmail app password: {APP_PW}",
           _j({"gmail_app_password": APP_PW}), f"gmail:\n  app_password: {APP_PW}"),
    Family("auth_plain_transcript", "smtp_auth_plain", PLAIN_B64, f"C: AUTH PLAIN {PLAIN_B64}\nS: 535 5.7.8 nope",
           _j({"log": f"C: AUTH PLAIN {PLAIN_B64}"}), f"log: |\n  C: AUTH PLAIN {PLAIN_B64}\n  S: 535 5.7.8 nope"),
    Family("auth_login_password_line", "smtp_auth_login", LOGIN_B64, "\n".join(LOGIN_TRANSCRIPT),
           _j({"log": "\n".join(LOGIN_TRANSCRIPT)}),
           "log: |\n" + "\n".join("  " + line for line in LOGIN_TRANSCRIPT)),
    Family("pem_private_key", "private_key", PEM_BODY, PEM,
           _j({"dkim_private_key": PEM}),
           "dkim_private_key: |\n" + "\n".join("  " + line for line in PEM.splitlines())),
]

CONTAINERS = ("plain", "fenced", "json", "yaml")


def _paste(family: Family, container: str) -> str:
    if container == "plain":
        return family.plain
    if container == "fenced":
        return f"here is my config:\n```\n{family.plain}\n```\nit fails with 535"
    return getattr(family, container)


CASES = [pytest.param(f, c, id=f"{f.name}-{c}") for f in FAMILIES for c in CONTAINERS]


@pytest.mark.parametrize(("family", "container"), CASES)
def test_secret_is_removed_from_the_text(family: Family, container: str) -> None:
    out = redact(_paste(family, container))
    assert family.secret not in out.text
    assert "[REDACTED:" in out.text


@pytest.mark.parametrize(("family", "container"), CASES)
def test_secret_is_replaced_by_a_placeholder_naming_its_kind(family: Family, container: str) -> None:
    out = redact(_paste(family, container))
    assert family.kind in out.kinds
    assert PLACEHOLDER.format(kind=family.kind) in out.text


@pytest.mark.parametrize(("family", "container"), CASES)
def test_secret_never_reaches_the_diagnosis_json_or_text(kb: KnowledgeBase, family: Family, container: str) -> None:
    d = diagnose(_paste(family, container), kb=kb)
    as_json = json.dumps(d.to_dict(), ensure_ascii=False)
    assert family.secret not in as_json
    assert family.secret not in render_text(d, kb)
    assert family.secret not in d.text


@pytest.mark.parametrize(("family", "container"), CASES)
def test_diagnosis_facts_name_the_secret_kind(kb: KnowledgeBase, family: Family, container: str) -> None:
    d = diagnose(_paste(family, container), kb=kb)
    assert family.kind in d.facts.secrets
    assert family.kind in d.to_dict()["secrets_redacted"]


def test_redaction_reports_kinds_in_order_without_repeats() -> None:
    out = redact(f"MAIL_PASSWORD={PW}\nSMTP_PASS={PW}x\nkey {SG}")
    assert out.kinds == ("password", "sendgrid_key")


def test_sendgrid_key_assigned_to_a_password_setting_is_named_sendgrid_key() -> None:
    """The typed placeholder is what lets the fix say "that is a SendGrid key: the username must be apikey"."""
    for line in (f"MAIL_PASSWORD={SG}", f'SMTP_PASS="{SG}"', f"password: {SG}"):
        out = redact(line)
        assert SG not in out.text
        assert "sendgrid_key" in out.kinds, line


def test_text_without_secrets_comes_back_unchanged() -> None:
    text = "Connection: opening to smtp.example.org:587, timeout=300"
    assert redact(text).text == text
    assert redact(text).kinds == ()


def test_google_app_password_without_a_password_keyword_is_left_alone() -> None:
    text = "the quick brown fox jump over lazy dogs"
    assert redact(text).text == text


def test_auth_plain_shorter_than_twelve_characters_is_not_a_credential() -> None:
    assert redact("C: AUTH PLAIN dGVzdA==").kinds == ()


@pytest.mark.parametrize("value", ["${SMTP_PASSWORD}", "<password>", "****", "changeme", "null", "env('MAIL_PASSWORD')",
                                   "%env(MAILER_PASSWORD)%", '"{{ smtp_password }}"', "process.env.SMTP_PASS"])
def test_placeholder_values_stay_readable(value: str) -> None:
    for line in (f"password: {value}", f"MAIL_PASSWORD={value}"):
        out = redact(line)
        assert out.text == line, line


NEGATIVES = [
    pytest.param("535-5.7.8 Username and Password not accepted. For more information, go to\n"
                 "535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1-20020a170906 - gsmtp",
                 id="gmail_535"),
    pytest.param("550 5.7.1 <someone@example.net>: Relay access denied", id="relay_denied"),
    pytest.param("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\n"
                 " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdA==", id="dkim_bh"),
    pytest.param("421 4.7.0 Try again later, closing connection. (EHLO) "
                 "2adb3069b0e04-52b8d5e5b9asm1234567e87.66 - gsmtp", id="gsmtp_queue_id"),
    pytest.param("Received: from web01 (web01.example.org [192.0.2.10]) by mx.example.org (Postfix) "
                 "with ESMTPSA id 4Vx3Kq0ZbQz9sRk", id="received_line"),
    pytest.param("MAIL_HOST=smtp.example.org\nMAIL_PORT=587\nMAIL_ENCRYPTION=tls", id="mail_port"),
    pytest.param("password: ${SMTP_PASSWORD}", id="env_placeholder"),
    pytest.param("S: 250-smtp.example.org\nS: 250-AUTH PLAIN LOGIN\nS: 250-AUTH=PLAIN LOGIN XOAUTH2\nS: 250 8BITMIME",
                 id="ehlo_auth_mechanisms"),
    pytest.param("smtp auth fail when send, password is correct I think", id="prose"),
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_smtp_text_is_not_redacted(text: str) -> None:
    out = redact(text)
    assert out.text == text
    assert out.kinds == ()


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_smtp_text_reports_no_secret_in_the_diagnosis(kb: KnowledgeBase, text: str) -> None:
    assert diagnose(text, kb=kb).facts.secrets == ()
