"""A corpus of secrets in the shapes people paste them, generated at run time (no real-looking literal in the repo).

Each `Kind` makes a fresh, obviously fake but format-valid value and the snippets it appears in; `cases()` puts
every snippet in several positions and wrappings: alone, after other text on the same line, inside a code fence,
Slack-escaped (`&amp;` `&lt;` `&gt;`, as Slack sends message text), and split across lines where the format
allows. `leaks(text, case)` says whether any form of the secret survives in an output (raw, JSON-escaped, Slack-
escaped, and for SMTP AUTH the decoded password inside the base64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field

_RNG = random.Random(14)  # reproducible across runs; values still come from here, not from a literal
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B36 = string.ascii_lowercase + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def password() -> str:
    # mixed, with a marker that cannot occur by chance in an answer
    return "Zq" + rand(6) + "-" + rand(5) + "9"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Case:
    kind: str           # the corpus kind (what the paste shows)
    position: str       # alone | after_text | fenced | slack_escaped | split
    text: str           # the paste
    secrets: tuple[str, ...]  # every string that must not survive
    expect: tuple[str, ...] = ()  # redaction kinds one of which must be reported (empty: any)


@dataclass(frozen=True)
class Kind:
    name: str
    make: Callable[[], tuple[str, tuple[str, ...]]]  # -> (snippet, secrets)
    expect: tuple[str, ...] = ()
    split: Callable[[str], str] | None = None  # the snippet split across lines, where the format allows
    one_line: bool = True  # the snippet is one line (so "after other text on the line" applies)
    extra: dict[str, str] = field(default_factory=dict)


def _pw(template: str) -> Callable[[], tuple[str, tuple[str, ...]]]:
    def make() -> tuple[str, tuple[str, ...]]:
        secret = password()
        return template.format(pw=secret), (secret,)
    return make


def _value(template: str, value: Callable[[], str]) -> Callable[[], tuple[str, tuple[str, ...]]]:
    def make() -> tuple[str, tuple[str, ...]]:
        secret = value()
        return template.format(v=secret), (secret,)
    return make


def _auth_plain() -> tuple[str, tuple[str, ...]]:
    secret = password()
    token = b64(b"\0me@example.com\0" + secret.encode())
    return (f"C: EHLO client.example.com\nS: 250-AUTH PLAIN LOGIN\nC: AUTH PLAIN {token}\n"
            "S: 535 5.7.8 Authentication credentials invalid"), (token, secret)


def _auth_plain_two_step() -> tuple[str, tuple[str, ...]]:
    secret = password()
    token = b64(b"\0me@example.com\0" + secret.encode())
    return f"C: AUTH PLAIN\nS: 334 \nC: {token}\nS: 535 5.7.8 Authentication credentials invalid", (token, secret)


def _auth_login() -> tuple[str, tuple[str, ...]]:
    secret = password()
    token = b64(secret.encode())
    return ("2024-05-01 10:00:00 CLIENT -> SERVER: AUTH LOGIN\n2024-05-01 10:00:00 SERVER -> CLIENT: 334 VXNlcm5hbWU6\n"
            f"2024-05-01 10:00:00 CLIENT -> SERVER: {b64(b'me@example.com')}\n"
            "2024-05-01 10:00:00 SERVER -> CLIENT: 334 UGFzc3dvcmQ6\n"
            f"2024-05-01 10:00:00 CLIENT -> SERVER: {token}\n"
            "2024-05-01 10:00:00 SERVER -> CLIENT: 535 5.7.8 Username and Password not accepted"), (token, secret)


def _xoauth2() -> tuple[str, tuple[str, ...]]:
    access = "ya29." + rand(40, ALNUM + "-_")
    token = b64(f"user=me@example.com\x01auth=Bearer {access}\x01\x01".encode())
    return f"send: 'AUTH XOAUTH2 {token}\\r\\n'\nreply: b'535 5.7.8 Username and Password not accepted.'", (token,
                                                                                                               access)


def _cram() -> tuple[str, tuple[str, ...]]:
    challenge = b64(b"<1896.697170952@smtp.example.com>")
    digest = hmac.new(password().encode(), base64.b64decode(challenge), hashlib.md5).hexdigest()
    token = b64(f"me@example.com {digest}".encode())
    return f"C: AUTH CRAM-MD5\nS: 334 {challenge}\nC: {token}\nS: 535 5.7.8 Error: authentication failed", (token,
                                                                                                          digest)


def _pem(end: bool) -> Callable[[], tuple[str, tuple[str, ...]]]:
    def make() -> tuple[str, tuple[str, ...]]:
        lines = ["MII" + rand(61, ALNUM + "+/")] + [rand(64, ALNUM + "+/") for _ in range(5)] + [rand(20) + "=="]
        body = "\n".join(lines)
        text = "-----BEGIN RSA PRIVATE KEY-----\n" + body + ("\n-----END RSA PRIVATE KEY-----" if end else "")
        return text, tuple(lines)
    return make


def _aws() -> tuple[str, tuple[str, ...]]:
    key_id = "AKIA" + rand(16, string.ascii_uppercase + "234567")
    secret = rand(40, ALNUM + "/+")
    return f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}", (key_id, secret)


def _azure_acs() -> tuple[str, tuple[str, ...]]:
    key = rand(86, ALNUM + "+/") + "=="
    return f'"ConnectionString": "endpoint=https://contoso-mail.communication.azure.com/;accesskey={key}"', (key,)


def _jwt() -> tuple[str, tuple[str, ...]]:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).decode().rstrip("=")
    claims = base64.urlsafe_b64encode(json.dumps({"sub": rand(12), "iat": 1700000000}).encode()).decode().rstrip("=")
    token = f"{header}.{claims}.{rand(43, ALNUM + '-_')}"
    return f"the mail API returned 401 for token {token}", (token,)


def _app_password(spaces: bool) -> Callable[[], tuple[str, tuple[str, ...]]]:
    def make() -> tuple[str, tuple[str, ...]]:
        groups = [rand(4, string.ascii_lowercase) for _ in range(4)]
        value = " ".join(groups) if spaces else "".join(groups)
        return f"Gmail app password: {value}", (value, "".join(groups))
    return make


KINDS: tuple[Kind, ...] = (
    Kind("dotenv", _pw("MAIL_PASSWORD={pw}"), ("password",)),
    Kind("dotenv_export", _pw("export SMTP_PASS='{pw}'"), ("password",)),
    Kind("ini", _pw("[smtp]\nhost = smtp.example.com\npassword = {pw}"), ("password",), one_line=False),
    Kind("yaml", _pw("mail:\n  host: smtp.example.com\n  password: {pw}"), ("password",), one_line=False),
    Kind("json", _pw('{{"smtp": {{"host": "smtp.example.com", "password": "{pw}"}}}}'), ("password",),
         split=lambda s: s.replace(", ", ",\n  ")),
    Kind("xml_element", _pw("<smtp><host>smtp.example.com</host><password>{pw}</password></smtp>"), ("password",),
         split=lambda s: s.replace("><", ">\n<")),
    Kind("php_array", _pw("'smtp' => ['host' => 'smtp.example.com', 'password' => '{pw}'],"), ("password",)),
    Kind("wordpress_define", _pw("define( 'WPMS_SMTP_PASS', '{pw}' );"), ("password",)),
    Kind("dotnet_connection_string", _pw('"Mail": "Server=smtp.example.com;Port=587;User Id=me;Password={pw};"'),
         ("password",)),
    Kind("dotnet_appsettings", _pw('<add key="SmtpPassword" value="{pw}" />'), ("password",)),
    Kind("log4j_smtp_appender", _pw('<param name="SMTPPassword" value="{pw}"/>'), ("password",)),
    Kind("log4j_properties", _pw("log4j.appender.mail.SMTPPassword={pw}"), ("password",)),
    Kind("python_login", _pw('server.login("me@example.com", "{pw}")'), ("password",)),
    Kind("django_setting", _pw("EMAIL_HOST_PASSWORD = '{pw}'"), ("password",)),
    Kind("phpmailer", _pw("$mail->Password = '{pw}';"), ("password",)),
    Kind("nodemailer", _pw("auth: {{ user: 'me@example.com', pass: '{pw}' }}"), ("password",),
         split=lambda s: s.replace(", ", ",\n  ")),
    Kind("go_plainauth", _pw('auth := smtp.PlainAuth("", "me@example.com", "{pw}", "smtp.example.com")'),
         ("password",)),
    Kind("javamail", _pw('return new PasswordAuthentication("me@example.com", "{pw}");'), ("password",)),
    Kind("javamail_props", _pw('props.put("mail.smtp.password", "{pw}");'), ("password",)),
    Kind("ruby_hash", _pw(":user_name => 'me@example.com', :password => '{pw}',"), ("password",)),
    Kind("powershell", _pw('$pw = ConvertTo-SecureString "{pw}" -AsPlainText -Force'), ("password",)),
    Kind("csharp_credential", _pw('client.Credentials = new NetworkCredential("me@example.com", "{pw}");'),
         ("password",)),
    Kind("curl_user", _pw("curl --ssl-reqd --url smtps://smtp.example.com:465 --user me@example.com:{pw}"),
         ("password",), split=lambda s: s.replace(" --user", " \\\n  --user")),
    Kind("sendemail", _pw("sendemail -f me@example.com -s smtp.example.com:587 -xu me -xp {pw} -o tls=yes"),
         ("password",)),
    Kind("swaks", _pw("swaks --to you@example.net --server smtp.example.com --auth LOGIN --auth-user me "
                      "--auth-password {pw}"), ("password",)),
    Kind("url_userinfo", _pw("MAILER_DSN=smtps://me%40example.com:{pw}@smtp.example.com:465"), ("url_password",)),
    Kind("msmtprc", _pw("account default\nhost smtp.example.com\nauth on\nuser me@example.com\npassword {pw}"),
         ("password",), one_line=False),
    Kind("postfix_sasl_passwd", _pw("[smtp.example.com]:587 me@example.com:{pw}"), ("password",)),
    Kind("netrc", _pw("machine smtp.example.com login me@example.com password {pw}"), ("password",)),
    Kind("prose", _pw("my smtp password is {pw}"), ("password",)),
    Kind("auth_plain", _auth_plain, ("smtp_auth_plain",), one_line=False),
    Kind("auth_plain_two_step", _auth_plain_two_step, ("smtp_auth_plain",), one_line=False),
    Kind("auth_login", _auth_login, ("smtp_auth_login",), one_line=False),
    Kind("auth_xoauth2", _xoauth2, ("smtp_auth_xoauth2", "google_oauth_token"), one_line=False),
    Kind("auth_cram_md5", _cram, ("smtp_auth_cram",), one_line=False),
    Kind("sendgrid", _value("SENDGRID_API_KEY={v}", lambda: f"SG.{rand(22, ALNUM + '-_')}.{rand(43, ALNUM + '-_')}"),
         ("sendgrid_key",)),
    Kind("mailgun_documented", _value("api: {v}", lambda: "key-" + rand(32, B36)), ("mailgun_key",)),
    Kind("mailgun_hex", _value("MAILGUN_KEY {v}", lambda: f"{rand(32, HEX)}-{rand(8, HEX)}-{rand(8, HEX)}"),
         ("mailgun_key",)),
    Kind("postmark", _value("Postmark server token {v}",
                            lambda: f"{rand(8, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(4, HEX)}-{rand(12, HEX)}"),
         ("postmark_token",)),
    Kind("aws_keys", _aws, ("aws_access_key_id", "aws_secret_key"), one_line=False),
    Kind("ses_smtp_password", _value("SES SMTP user AKIAEXAMPLEEXAMPLE2 with {v}",
                                     lambda: "B" + rand(43, ALNUM + "+/")), ("ses_smtp_password",)),
    Kind("twilio", _value("twilio sid {v}", lambda: "SK" + rand(32, HEX)), ("twilio_api_key",)),
    Kind("github_classic", _value("token {v}", lambda: "ghp_" + rand(36)), ("github_token",)),
    Kind("github_fine_grained", _value("{v}", lambda: "github_pat_" + rand(22) + "_" + rand(59)), ("github_token",)),
    Kind("stripe", _value("STRIPE_KEY={v}", lambda: "sk_live_" + rand(24)), ("stripe_key",)),
    Kind("slack_bot", _value("bot token {v}", lambda: f"xoxb-{rand(12, string.digits)}-{rand(13, string.digits)}-"
                                                  f"{rand(24)}"), ("slack_token",)),
    Kind("slack_webhook", _value("https://hooks.slack.com/services/{v}",
                                 lambda: f"T{rand(8, string.ascii_uppercase)}/B{rand(8, string.ascii_uppercase)}/"
                                         f"{rand(24)}"), ("slack_webhook",)),
    Kind("google_api_key", _value("key={v}", lambda: "AIza" + rand(35, ALNUM + "-_")), ("google_api_key",)),
    Kind("app_password_spaces", _app_password(True), ("app_password",)),
    Kind("app_password_no_spaces", _app_password(False), ("app_password", "password")),
    Kind("azure_communication", _azure_acs, ("azure_communication_key", "password")),
    Kind("jwt", _jwt, ("jwt",)),
    Kind("pem_with_end", _pem(True), ("private_key",), one_line=False),
    Kind("pem_without_end", _pem(False), ("private_key",), one_line=False),
    Kind("high_entropy_next_to_name", _value("mailjet secret {v}", lambda: rand(32, HEX)), ("token", "password")),
)

CONTEXT = "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted') smtp.example.com:587"


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cases() -> list[Case]:
    out: list[Case] = []
    for kind in KINDS:
        snippet, secrets = kind.make()
        variants = {"alone": snippet, "fenced": f"my settings:\n```\n{snippet}\n```\n{CONTEXT}",
                    "slack_escaped": slack_escape(f"{CONTEXT}\n{snippet}")}
        if kind.one_line:
            variants["after_text"] = f"{CONTEXT} -- config: {snippet}"
        if kind.split is not None:
            variants["split"] = f"{CONTEXT}\n{kind.split(snippet)}"
        for position, text in variants.items():
            out.append(Case(kind.name, position, text, secrets, kind.expect))
    return out


def forms(secret: str) -> set[str]:
    """The ways a secret can appear in an output: as is, JSON-escaped, Slack-escaped."""
    escaped = json.dumps(secret)[1:-1]
    return {secret, escaped, slack_escape(secret), slack_escape(escaped)}


def leaks(output: str, case: Case) -> list[str]:
    return [s for s in case.secrets for f in forms(s) if f and f in output]


# Things that look like secrets to a careless rule but are not: no redaction, no rotate warning.
NOT_SECRETS: tuple[str, ...] = (
    "2024-05-01 10:00:00 CLIENT -> SERVER: AUTH LOGIN\n2024-05-01 10:00:00 SERVER -> CLIENT: 334 VXNlcm5hbWU6\n"
    "2024-05-01 10:00:00 CLIENT -> SERVER: [credentials hidden]\n"
    "2024-05-01 10:00:00 SERVER -> CLIENT: 334 UGFzc3dvcmQ6\n"
    "2024-05-01 10:00:00 CLIENT -> SERVER: [credentials hidden]\n"
    "2024-05-01 10:00:00 SERVER -> CLIENT: 535-5.7.8 Username and Password not accepted.\n"
    "2024-05-01 10:00:00 SMTP ERROR: Password command failed: 535-5.7.8 Username and Password not accepted.",
    "MAIL_PASSWORD=${SMTP_PASSWORD}\nMAIL_USERNAME=apikey",
    "password: <password>\nuser: me@example.com",
    "SMTP_PASS=xxxx\nSMTP_USER=me",
    "'password' => '********',",
    "EMAIL_HOST_PASSWORD = os.environ['EMAIL_HOST_PASSWORD']",
    "$mail->Password = getenv('SMTP_PASSWORD');",
    "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\nsmtp_sasl_auth_enable = yes",
    "passwordeval \"gpg --quiet --decrypt ~/.msmtp-password.gpg\"",
    "535 5.7.8 Username and Password not accepted. Learn more at\n"
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials d75a77b69052e-4a2b3c4d5e6sm1234567a.12 - gsmtp",
    "S: 250-AUTH PLAIN LOGIN XOAUTH2\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nS: 535 5.7.8 Authentication failed",
    "Password: not accepted by the server, check the password field",
    "Postfix: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    "password_reset_url: https://example.com/reset\npassword-min-length: 12",
    "WPMS_SMTP_PASS not defined, using the database value",
)
