"""extract(): reply codes, enhanced codes, host, port, TLS mode, username form, provider, client and flags."""

from __future__ import annotations

import pytest

from bot.diagnose import diagnose
from bot.extract import extract, username_form
from bot.kb import KnowledgeBase
from bot.model import Facts
from bot.normalize import normalize


def facts(kb: KnowledgeBase, text: str) -> Facts:
    return diagnose(text, kb=kb).facts


# ------------------------------------------------------------------------------------------ reply codes


def test_transcript_reply_code_and_enhanced_code_are_read(kb: KnowledgeBase) -> None:
    f = facts(kb, "2024-05-01 10:00:01 SERVER -> CLIENT: 535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6\n"
                  "2024-05-01 10:00:01 SMTP ERROR: Password command failed: 535 5.7.8 Error: authentication failed")
    assert 535 in f.reply_codes
    assert "5.7.8" in f.enhanced_codes


def test_multiline_reply_with_hyphen_is_read(kb: KnowledgeBase) -> None:
    f = facts(kb, "535-5.7.8 Username and Password not accepted.\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials")
    assert f.reply_codes == (535,)
    assert f.enhanced_codes == ("5.7.8",)


def test_smtplib_exception_tuple_code_is_read(kb: KnowledgeBase) -> None:
    f = facts(kb, "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted.')")
    assert f.reply_codes == (535,)
    assert f.enhanced_codes == ("5.7.8",)


def test_smtplib_tuple_without_enhanced_code_still_gives_the_reply_code(kb: KnowledgeBase) -> None:
    assert facts(kb, "smtplib.SMTPAuthenticationError: (535, b'Authentication failed')").reply_codes == (535,)


def test_nodemailer_response_code_field_is_read(kb: KnowledgeBase) -> None:
    f = facts(kb, "{ Error: Invalid login: 535 Authentication failed\n  code: 'EAUTH',\n"
                  "  response: '535 Authentication failed',\n  responseCode: 535,\n  command: 'AUTH PLAIN' }")
    assert f.reply_codes == (535,)


def test_nodemailer_response_code_alone_is_read(kb: KnowledgeBase) -> None:
    assert 554 in facts(kb, "{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }").reply_codes


def test_swift_expected_code_is_not_taken_only_the_code_got(kb: KnowledgeBase) -> None:
    f = facts(kb, 'Swift_TransportException: Expected response code 250 but got code "535", with message '
                  '"535 Incorrect authentication data"')
    assert 535 in f.reply_codes
    assert 250 not in f.reply_codes


def test_swift_expected_code_without_message_is_not_taken(kb: KnowledgeBase) -> None:
    f = facts(kb, 'Expected response code 354 but got code "554", with message "554 5.7.1 Spam message rejected"')
    assert 354 not in f.reply_codes
    assert 554 in f.reply_codes


def test_software_versions_are_not_enhanced_codes(kb: KnowledgeBase) -> None:
    f = facts(kb, "Exim 4.94.2 on PHP 5.6.40 and PHP 7.0.13, Exim 4.84: 535 Incorrect authentication data")
    assert f.enhanced_codes == ()
    assert f.reply_codes == (535,)


def test_version_word_before_a_dotted_number_is_not_an_enhanced_code(kb: KnowledgeBase) -> None:
    assert facts(kb, "running version 5.7.1 of the mailer, SMTP said 535 Authentication failed").enhanced_codes == ()


def test_line_numbers_ports_and_timeouts_are_not_reply_codes(kb: KnowledgeBase) -> None:
    f = facts(kb, 'File "/usr/lib/python3.11/smtplib.py", line 535, in send\nport 587 timeout 250')
    assert f.reply_codes == ()


def test_enhanced_code_in_parentheses_is_read(kb: KnowledgeBase) -> None:
    assert "5.7.1" in facts(kb, "Mail rejected by recipient server (#5.7.1)").enhanced_codes


def test_postfix_log_dsn_is_read(kb: KnowledgeBase) -> None:
    f = facts(kb, "postfix/smtp[123]: 4Vx3K: to=<a@example.net>, relay=mx.example.net[192.0.2.1]:25, "
                  "dsn=5.7.26, status=bounced (host said: 550 5.7.26 unauthenticated email)")
    assert "5.7.26" in f.enhanced_codes
    assert 550 in f.reply_codes


def test_code_inside_a_slack_code_fence_is_read(kb: KnowledgeBase) -> None:
    """People paste the bare reply inside ``` fences; the reply code must survive fence removal."""
    f = facts(kb, "```535 5.7.8 Username and Password not accepted```")
    assert 535 in f.reply_codes
    assert "5.7.8" in f.enhanced_codes


def test_evidence_line_of_a_code_is_the_line_it_was_read_from(kb: KnowledgeBase) -> None:
    text = normalize("connecting...\nS: 535 5.7.8 Error: authentication failed\nbye")
    ext = extract(text, kb)
    assert ext.code_lines["535"] == "S: 535 5.7.8 Error: authentication failed"


# ------------------------------------------------------------------------------------------ hosts and ports


def test_host_and_port_from_host_colon_port(kb: KnowledgeBase) -> None:
    f = facts(kb, "Connection: opening to smtp.example.org:587, timeout=300")
    assert (f.host, f.port) == ("smtp.example.org", 587)


def test_host_and_port_from_dotenv(kb: KnowledgeBase) -> None:
    f = facts(kb, "MAIL_MAILER=smtp\nMAIL_HOST=smtp.mailgun.org\nMAIL_PORT=2525\nMAIL_ENCRYPTION=tls")
    assert (f.host, f.port, f.tls_mode) == ("smtp.mailgun.org", 2525, "starttls")


def test_host_port_and_tls_from_yaml(kb: KnowledgeBase) -> None:
    f = facts(kb, "spring:\n  mail:\n    host: smtp.sendgrid.net\n    port: 587\n    username: apikey\n"
                  "    properties:\n      mail.smtp.starttls.enable: true")
    assert (f.host, f.port, f.tls_mode) == ("smtp.sendgrid.net", 587, "starttls")
    assert f.username_form == "apikey"


def test_host_port_and_tls_from_nodemailer_code(kb: KnowledgeBase) -> None:
    f = facts(kb, 'const transporter = nodemailer.createTransport({\n  host: "smtp.sendgrid.net",\n  port: 465,\n'
                  '  secure: true,\n  auth: { user: "apikey", pass: process.env.SENDGRID_API_KEY }\n});')
    assert (f.host, f.port, f.tls_mode) == ("smtp.sendgrid.net", 465, "implicit")


def test_host_port_and_tls_from_django_settings(kb: KnowledgeBase) -> None:
    f = facts(kb, "EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'\nEMAIL_HOST = 'smtp.gmail.com'\n"
                  "EMAIL_PORT = 465\nEMAIL_USE_SSL = True\nEMAIL_HOST_USER = 'me@gmail.com'")
    assert (f.host, f.port, f.tls_mode) == ("smtp.gmail.com", 465, "implicit")


def test_host_port_and_tls_from_phpmailer_code(kb: KnowledgeBase) -> None:
    f = facts(kb, "$mail->isSMTP();\n$mail->Host = 'smtp.office365.com';\n$mail->Port = 587;\n"
                  "$mail->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;\n$mail->Username = 'me@example.org';")
    assert (f.host, f.port, f.tls_mode) == ("smtp.office365.com", 587, "starttls")
    assert f.username == "me@example.org"


def test_smtps_url_means_implicit_tls(kb: KnowledgeBase) -> None:
    f = facts(kb, "MAILER_DSN=smtps://apikey:secretvalue1@smtp.sendgrid.net:465")
    assert f.tls_mode == "implicit"
    assert f.host == "smtp.sendgrid.net"


def test_python_exception_class_names_are_not_hosts(kb: KnowledgeBase) -> None:
    f = facts(kb, "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted.')")
    assert f.host is None
    assert not any(h.startswith("smtplib.") for h in f.hosts)


def test_dotnet_exception_class_names_are_not_hosts(kb: KnowledgeBase) -> None:
    f = facts(kb, "MailKit.Net.Smtp.SmtpCommandException: 5.7.3 Authentication unsuccessful\n"
                  "   at MailKit.Net.Smtp.SmtpClient.AuthenticateAsync(ICredentials credentials)")
    assert f.host is None
    assert not any(h.startswith("mailkit.") for h in f.hosts)


def test_source_file_names_are_not_hosts(kb: KnowledgeBase) -> None:
    f = facts(kb, 'File "/usr/lib/python3.11/smtplib.py", line 750, in login\n  at mailer.js:12:5')
    assert not any(h.endswith((".py", ".js")) for h in f.hosts)


# ------------------------------------------------------------------------------------------ provider and client


@pytest.mark.parametrize(("host", "provider"), [
    ("smtp.gmail.com", "gmail"),
    ("smtp.office365.com", "office365"),
    ("am6pr01mb1234.eurprd01.prod.outlook.com", "office365"),
    ("email-smtp.eu-west-1.amazonaws.com", "ses"),
    ("email-smtp.us-east-1.amazonaws.com", "ses"),
    ("smtp.sendgrid.net", "sendgrid"),
    ("smtp.mailgun.org", "mailgun"),
])
def test_provider_is_recognised_from_the_host(kb: KnowledgeBase, host: str, provider: str) -> None:
    assert facts(kb, f"SMTP_HOST={host}\nSMTP_PORT=587").provider == provider


def test_office365_is_recognised_from_an_exchange_online_server_name_in_an_error(kb: KnowledgeBase) -> None:
    text = ("554 5.2.252 SendAsDenied; me@example.org not allowed to send as ceo@example.org; "
            "STOREDRV.Submission.Exception:SendAsDeniedException [Hostname=AM6PR01MB1234.eurprd01.prod.outlook.com]")
    assert facts(kb, text).provider == "office365"


def test_unknown_host_gives_no_provider(kb: KnowledgeBase) -> None:
    assert facts(kb, "MAIL_HOST=mail.example.org\nMAIL_PORT=587").provider is None


@pytest.mark.parametrize(("text", "client"), [
    pytest.param("File \"/app/venv/lib/python3.11/site-packages/django/core/mail/backends/smtp.py\", line 78, in open\n"
                 "    self.connection.login(self.username, self.password)\n"
                 "smtplib.SMTPAuthenticationError: (535, b'Authentication failed')", "django", id="django"),
    pytest.param("import smtplib\nserver = smtplib.SMTP('smtp.example.org', 587)\nserver.starttls()\n"
                 "smtplib.SMTPAuthenticationError: (535, b'Authentication failed')", "python_smtplib", id="smtplib"),
    pytest.param("Symfony\\Component\\Mailer\\Exception\\TransportException: Failed to authenticate on SMTP server\n"
                 "#3 vendor/laravel/framework/src/Illuminate/Mail/Mailer.php(521)\nMAIL_MAILER=smtp", "laravel",
                 id="laravel"),
    pytest.param("Symfony\\Component\\Mailer\\Exception\\TransportException: Failed to authenticate on SMTP server "
                 "with username \"me@example.org\"\nMAILER_DSN=smtp://smtp.example.org:587", "symfony_mailer",
                 id="symfony"),
    pytest.param("Error: Invalid login: 535 Authentication failed\n    at SMTPConnection._formatError "
                 "(/app/node_modules/nodemailer/lib/smtp-connection/index.js:790:19)", "nodemailer", id="nodemailer"),
    pytest.param("MailKit.Security.AuthenticationException: 535: 5.7.3 Authentication unsuccessful\n"
                 "   at MailKit.Net.Smtp.SmtpClient.AuthenticateAsync()", "mailkit", id="mailkit"),
    pytest.param("System.Net.Mail.SmtpException: The SMTP server requires a secure connection or the client was "
                 "not authenticated.\n   at System.Net.Mail.SmtpClient.Send(MailMessage message)", "dotnet_smtpclient",
                 id="system_net_mail"),
])
def test_client_library_is_recognised(kb: KnowledgeBase, text: str, client: str) -> None:
    assert facts(kb, text).client == client


def test_client_gives_the_language(kb: KnowledgeBase) -> None:
    text = "Error: Invalid login\n at /app/node_modules/nodemailer/lib/smtp-connection/index.js:1:1"
    assert facts(kb, text).language == "javascript"


# ------------------------------------------------------------------------------------------ username form


@pytest.mark.parametrize(("value", "form"), [
    ("me@example.org", "full_address"),
    ("'me@example.org'", "full_address"),
    ("apikey", "apikey"),
    ("APIKEY", "apikey"),
    ("AKIAIOSFODNN7EXAMPLE", "aws_key_id"),
    ("alice", "local_part"),
    ("", "empty"),
    ("''", "empty"),
    ("null", "empty"),
    ("${SMTP_USER}", None),
    ("[REDACTED:password]", None),
    (None, None),
])
def test_username_form_classifies_values(value: str | None, form: str | None) -> None:
    assert username_form(value) == form


def test_username_form_is_read_from_settings(kb: KnowledgeBase) -> None:
    f = facts(kb, "MAIL_HOST=smtp.example.org\nMAIL_USERNAME=alice\nMAIL_PORT=587")
    assert f.username_form == "local_part"
    assert f.username is None  # a bare local part could be a person's name: not echoed


def test_ses_access_key_id_username_is_an_aws_key_id(kb: KnowledgeBase) -> None:
    f = facts(kb, "MAIL_HOST=email-smtp.eu-west-1.amazonaws.com\nMAIL_PORT=587\nMAIL_USERNAME=AKIAIOSFODNN7EXAMPLE")
    assert f.username_form == "aws_key_id"
    assert "AKIAIOSFODNN7EXAMPLE" not in (f.username or "")


def test_nodemailer_invalid_login_message_is_not_a_username(kb: KnowledgeBase) -> None:
    """"Error: Invalid login: 535 …" is nodemailer's wording, not a `login: <user>` setting."""
    f = facts(kb, "Error: Invalid login: 535-5.7.8 Username and Password not accepted. host smtp.gmail.com")
    assert f.username_form is None
    assert not any(i.id == "username_form" for i in diagnose(
        "Error: Invalid login: 535-5.7.8 Username and Password not accepted. host smtp.gmail.com", kb=kb).lint)


def test_prose_about_credentials_is_not_a_username(kb: KnowledgeBase) -> None:
    assert facts(kb, "535 5.7.3 Authentication unsuccessful, the user credentials were incorrect").username_form is None


# ------------------------------------------------------------------------------------------ flags


GREETED_BY_HOSTING = (
    "2024-03-01 10:00:00 Connection: opening to smtp.gmail.com:587, timeout=300\n"
    "2024-03-01 10:00:00 SERVER -> CLIENT: 220-box123.bluehostingco.com ESMTP Exim 4.96 #2\n"
    "2024-03-01 10:00:01 CLIENT -> SERVER: EHLO example.org\n"
    "2024-03-01 10:00:01 SERVER -> CLIENT: 535 Incorrect authentication data"
)


def test_provider_host_greeted_by_an_unrelated_host_is_intercepted(kb: KnowledgeBase) -> None:
    f = facts(kb, GREETED_BY_HOSTING)
    assert f.greeting_host == "box123.bluehostingco.com"
    assert "intercepted" in f.flags


def test_gmail_greeting_as_mx_google_com_is_not_intercepted(kb: KnowledgeBase) -> None:
    f = facts(kb, "Connection: opening to smtp.gmail.com:587, timeout=300\n"
                  "SERVER -> CLIENT: 220 mx.google.com ESMTP a1-20020a17sm123 - gsmtp\n"
                  "SERVER -> CLIENT: 535-5.7.8 Username and Password not accepted.")
    assert f.greeting_host == "mx.google.com"
    assert "intercepted" not in f.flags


def test_gmail_greeting_as_itself_is_not_intercepted(kb: KnowledgeBase) -> None:
    f = facts(kb, "Connection: opening to smtp.gmail.com:587\nSERVER -> CLIENT: 220 smtp.gmail.com ESMTP x - gsmtp")
    assert "intercepted" not in f.flags


def test_unknown_provider_greeting_another_name_is_not_intercepted(kb: KnowledgeBase) -> None:
    """Only a known provider's host can be judged: a company relay may greet with any internal name."""
    f = facts(kb, "Connection: opening to mail.example.org:587\nSERVER -> CLIENT: 220 mx01.internal.example.net ESMTP")
    assert "intercepted" not in f.flags


def test_auth_command_in_a_transcript_sets_auth_attempted(kb: KnowledgeBase) -> None:
    f = facts(kb, "C: EHLO web01\nS: 250-AUTH PLAIN LOGIN\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6")
    assert "auth_attempted" in f.flags


def test_235_reply_sets_auth_succeeded(kb: KnowledgeBase) -> None:
    f = facts(kb, "C: AUTH LOGIN\nS: 235 2.7.0 Authentication successful\nC: MAIL FROM:<a@example.org>\n"
                  "S: 550 5.7.1 Relay access denied")
    assert {"auth_attempted", "auth_succeeded"} <= set(f.flags)


def test_no_auth_in_the_paste_sets_no_auth_flag(kb: KnowledgeBase) -> None:
    f = facts(kb, "S: 220 mail.example.org ESMTP\nC: MAIL FROM:<a@example.org>\nS: 530 5.7.0 Authentication required")
    assert "auth_attempted" not in f.flags


def test_sender_domain_is_read_from_the_from_setting(kb: KnowledgeBase) -> None:
    assert facts(kb, "MAIL_FROM_ADDRESS=noreply@shop.example.org\nMAIL_HOST=smtp.example.org").sender_domain \
        == "shop.example.org"
