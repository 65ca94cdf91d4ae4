"""The misconfigured servers of the live-fire suite, each labelled by construction with the taxonomy cause(s).

One scenario = one server (or deliberately no server) on its own loopback address 127.B.0.N, on the port a user
would really use (25, 465, 587), plus the client-side settings a user got wrong (TLS mode, credentials).
`expected` lists every cause a careful support engineer would accept as the first answer for what the client
prints (two only where the client's output alone cannot tell them apart, as /work/shared/TAXONOMY.md allows).

Server replies that imitate a provider use that provider's documented wording:
  Gmail: "Gmail SMTP errors and codes", https://support.google.com/a/answer/3726730 (the on-wire form is
         multi-line, "535-5.7.8 ... For more information, go to" / "535 5.7.8  https://support.google.com/mail/?p=…
         <id> - gsmtp").
  Postfix: smtpd_check.c, reject_sender_login_mismatch: "553 5.7.1 <addr>: Sender address rejected: not owned by
         user <login>" (http://www.postfix.org/postconf.5.html#reject_sender_login_mismatch).
Everything else the servers say is aiosmtpd's own wording (aiosmtpd/smtp.py): it is real server software.
The postfix_* scenarios are Debian's Postfix + Dovecot SASL (scripts/lab/postfix-lab.sh, started with base 0 so
its services sit on 127.0.0.1:25/587/465/466): every word of their replies is Postfix's or Dovecot's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FROM", "GOOD_PASSWORD", "SCENARIOS", "TO", "USER", "WRONG_PASSWORD", "Scenario", "ServerSpec"]

USER = "livefire@example.com"
GOOD_PASSWORD = "lf-Good-Pa55word"  # test values; redacted from every capture all the same
WRONG_PASSWORD = "lf-Wrong-Pa55word"
FROM = "livefire@example.com"
TO = "recipient@example.net"
UNRESOLVABLE_HOST = "smtp.example.invalid"  # RFC 6761: .invalid never resolves; our stub resolver says NXDOMAIN


def _gmail(code: int, enhanced: str, text: str, page: str) -> str:
    """Gmail's on-wire form of a documented reply: the text, then the help link on the last line."""
    return (f"{code}-{enhanced} {text} For more information, go to\r\n"
            f"{code} {enhanced}  https://support.google.com/mail/?p={page} a1b2c3d4e5f6-0123456789 - gsmtp")


@dataclass(frozen=True)
class ServerSpec:
    """How the server of a scenario is built (see servers.py)."""

    kind: str = "smtp"                # smtp | greet | refused | blackhole | unresolvable | postfix
    tls: str = "starttls"             # starttls | implicit | none   (what the server speaks)
    cert: str = "good"                # good | self_signed | expired | wrong_name | unknown_ca
    tls10_only: bool = False          # the TLS context allows TLS 1.0 and nothing newer
    require_starttls: bool = False    # aiosmtpd: "530 Must issue a STARTTLS command first"
    auth_require_tls: bool = True     # AUTH advertised only after STARTTLS
    auth_mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN")
    auth_failure: str | None = None   # reply to wrong credentials
    auth_reply: str | None = None     # reply to every AUTH attempt (a temporary failure)
    greeting: str | None = None       # kind=greet: the whole greeting (then the server hangs up)
    mail_unauthenticated: str | None = None  # reply to MAIL FROM when the client never authenticated
    mail_reply: str | None = None     # reply to MAIL FROM (after AUTH)
    rcpt_reply: str | None = None
    data_reply: str | None = None     # reply after the message data


@dataclass(frozen=True)
class Scenario:
    name: str
    expected: tuple[str, ...]
    port: int
    mode: str          # what the client is told to speak: starttls | tls (implicit) | none
    credentials: str   # good | wrong | none
    server: ServerSpec = field(default_factory=ServerSpec)
    why: str = ""

    @property
    def password(self) -> str | None:
        return {"good": GOOD_PASSWORD, "wrong": WRONG_PASSWORD}.get(self.credentials)


GMAIL_535 = _gmail(535, "5.7.8", "Username and Password not accepted.", "BadCredentials")
GMAIL_530 = _gmail(530, "5.7.0", "Authentication Required.", "WantAuthError")
GMAIL_421 = "421 4.7.0 Try again later, closing connection. a1b2c3d4e5f6-0123456789 - gsmtp"
GMAIL_451 = "451 4.3.0 Mail server temporarily rejected message. a1b2c3d4e5f6-0123456789 - gsmtp"
GMAIL_454 = "454 4.7.0 Cannot authenticate due to a temporary system problem. Try again later. a1b2c3d4e5f6 - gsmtp"
GMAIL_5_4_5 = _gmail(550, "5.4.5", "Daily user sending limit exceeded.", "SendingLimits")
GMAIL_5_7_26 = (
    "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\r\n"
    "550-5.7.26 DMARC policy. Please contact the administrator of example.com domain if\r\n"
    "550-5.7.26 this was a legitimate mail. To learn about the DMARC initiative, go to\r\n"
    "550 5.7.26  https://support.google.com/mail/?p=DmarcRejection a1b2c3d4e5f6-0123456789 - gsmtp"
)
GMAIL_5_1_1 = (
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n"
    "550-5.1.1 double-checking the recipient's email address for typos or\r\n"
    "550-5.1.1 unnecessary spaces. For more information, go to\r\n"
    "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1b2c3d4e5f6-0123456789 - gsmtp"
)
GMAIL_5_3_4 = _gmail(552, "5.3.4", "Your message exceeded Google's message size limits.", "MaxSizeError")
# Microsoft 365 (smtp.office365.com offers AUTH only after STARTTLS), "How to set up a multifunction device or
# application to send email using Microsoft 365" and the 5.7.57 text it documents:
# https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365
MICROSOFT_530 = ("530 5.7.57 Client not authenticated to send mail. "
                 "[BN9PR03CA0123.namprd03.prod.outlook.com 2026-11-30T19:00:00.000Z 08DBE7319275F6BA]")
GMAIL_534_5_7_9 = _gmail(534, "5.7.9", "Application-specific password required.", "InvalidSecondFactor")
GMAIL_534_5_7_14 = (
    "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbtEXAMPLE>\r\n"
    "534-5.7.14 Please log in via your web browser and then try again.\r\n"
    "534-5.7.14  Learn more at\r\n"
    "534 5.7.14  https://support.google.com/mail/answer/78754 a1b2c3d4e5f6-0123456789 - gsmtp"
)
# Microsoft, "Enable or disable SMTP AUTH in Exchange Online" / authenticated client SMTP submission:
# https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission
MICROSOFT_5_7_139 = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
                     "Visit https://aka.ms/smtp_auth_disabled for more information. "
                     "[BN9PR03CA0123.namprd03.prod.outlook.com 2026-11-30T19:00:00.000Z 08DBE7319275F6BA]")
# Microsoft, the multifunction-device page above: "5.7.60 SMTP; Client does not have permissions to send as this
# sender" when the authenticated mailbox may not send as the From address.
MICROSOFT_5_7_60 = "550 5.7.60 SMTP; Client does not have permissions to send as this sender"
POSTFIX_553 = f"553 5.7.1 <{FROM}>: Sender address rejected: not owned by user other-user@example.com"

_S = ServerSpec
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("wrong_password", ("bad_credentials",), 587, "starttls", "wrong", _S(auth_failure=GMAIL_535),
             "the password is wrong; the server says so in Gmail's words"),
    Scenario("auth_not_sent", ("auth_not_sent",), 587, "starttls", "none", _S(mail_unauthenticated=GMAIL_530),
             "the client has no credentials configured; MAIL FROM needs AUTH"),
    Scenario("plaintext_to_implicit_tls", ("tls_mismatch", "network_blocked"), 465, "starttls", "good",
             _S(tls="implicit"),
             "STARTTLS (or plain) settings on the implicit-TLS port: the client waits for a greeting that never "
             "comes in clear text; a hang alone also reads as a blocked network"),
    Scenario("implicit_tls_to_starttls_port", ("tls_mismatch",), 587, "tls", "good", _S(),
             "implicit TLS (SSL) settings on the STARTTLS port: the greeting arrives in clear text"),
    Scenario("starttls_required", ("tls_mismatch",), 587, "none", "none", _S(require_starttls=True),
             "encryption off where the server requires STARTTLS"),
    Scenario("auth_only_after_starttls", ("tls_mismatch", "auth_mechanism_unsupported"), 587, "none", "good",
             _S(mail_unauthenticated=MICROSOFT_530),
             "encryption off, so the server never offers AUTH (it does after STARTTLS, as Microsoft 365 does)"),
    Scenario("no_common_auth_mechanism", ("auth_mechanism_unsupported",), 587, "starttls", "good",
             _S(auth_mechanisms=("XOAUTH2",)), "the server offers only XOAUTH2; the client has a password"),
    Scenario("self_signed_certificate", ("tls_handshake_failure",), 465, "tls", "good",
             _S(tls="implicit", cert="self_signed"), "the server's certificate is self-signed"),
    Scenario("expired_certificate", ("tls_handshake_failure",), 587, "starttls", "good", _S(cert="expired"),
             "the server's certificate expired (issued by a CA the client trusts)"),
    Scenario("wrong_name_certificate", ("tls_handshake_failure",), 465, "tls", "good",
             _S(tls="implicit", cert="wrong_name"), "the certificate names another host"),
    Scenario("unknown_ca_certificate", ("tls_handshake_failure",), 587, "starttls", "good", _S(cert="unknown_ca"),
             "the certificate is issued by a CA the client does not trust"),
    Scenario("tls10_only_server", ("tls_handshake_failure", "tls_mismatch"), 465, "tls", "good",
             _S(tls="implicit", tls10_only=True),
             "the server speaks TLS 1.0 and nothing newer; a client that sees only an EOF in the handshake on 465 "
             "reads the same as a TLS-mode mismatch"),
    Scenario("connection_refused", ("wrong_host_or_port", "network_blocked"), 587, "starttls", "good",
             _S(kind="refused"), "nothing listens on that address and port (a firewall's reject reads the same)"),
    Scenario("unresolvable_host", ("wrong_host_or_port",), 587, "starttls", "good", _S(kind="unresolvable"),
             "the host name does not resolve"),
    Scenario("connect_timeout", ("network_blocked",), 587, "starttls", "good", _S(kind="blackhole"),
             "the connection is never accepted (SYNs dropped): the client's connect times out"),
    Scenario("temporary_421", ("provider_outage",), 587, "starttls", "good", _S(kind="greet", greeting=GMAIL_421),
             "the server greets with 421 and hangs up"),
    Scenario("temporary_451", ("provider_outage",), 587, "starttls", "good", _S(mail_reply=GMAIL_451),
             "MAIL FROM gets 451 4.3.0 after a good AUTH"),
    Scenario("temporary_454", ("provider_outage",), 587, "starttls", "good", _S(auth_reply=GMAIL_454),
             "AUTH gets 454 4.7.0, a temporary authentication failure"),
    Scenario("sender_rejected", ("sender_not_authorized",), 587, "starttls", "good", _S(mail_reply=POSTFIX_553),
             "authenticated, but the login may not send as that From address"),
    Scenario("quota_exceeded", ("account_restricted",), 587, "starttls", "good", _S(mail_reply=GMAIL_5_4_5),
             "the account is over its daily sending limit"),
    Scenario("dmarc_rejected", ("sender_domain_auth",), 25, "starttls", "none", _S(data_reply=GMAIL_5_7_26),
             "direct to the MX on 25: the receiver rejects the message on the sender domain's DMARC policy"),
    Scenario("unknown_recipient", ("other_smtp",), 25, "starttls", "none", _S(rcpt_reply=GMAIL_5_1_1),
             "the recipient mailbox does not exist"),
    Scenario("message_too_big", ("other_smtp",), 587, "starttls", "good", _S(data_reply=GMAIL_5_3_4),
             "the message is over the server's size limit"),
    # --- provider refusals that name the account's state (Gmail's and Microsoft's documented texts) -------------
    Scenario("app_password_required", ("app_password_required",), 587, "starttls", "good",
             _S(auth_reply=GMAIL_534_5_7_9), "2-step verification is on: the normal password is refused (534 5.7.9)"),
    Scenario("web_login_required", ("account_restricted",), 587, "starttls", "good",
             _S(auth_reply=GMAIL_534_5_7_14), "the provider wants a browser sign-in first (534 5.7.14)"),
    Scenario("smtp_auth_disabled", ("basic_auth_disabled",), 587, "starttls", "good",
             _S(auth_reply=MICROSOFT_5_7_139), "the tenant has SMTP AUTH (basic) disabled (535 5.7.139)"),
    Scenario("send_as_denied", ("sender_not_authorized",), 587, "starttls", "good",
             _S(mail_reply=MICROSOFT_5_7_60), "the mailbox may not send as that From address (550 5.7.60)"),
    # --- real Postfix + Dovecot (scripts/lab/postfix-lab.sh) -----------------------------------------------------
    Scenario("postfix_wrong_password", ("bad_credentials",), 587, "starttls", "wrong", _S(kind="postfix"),
             "Postfix with Dovecot SASL refuses the password (535 5.7.8 Error: authentication failed)"),
    Scenario("postfix_relay_denied", ("auth_not_sent",), 25, "none", "none", _S(kind="postfix"),
             "no credentials configured: Postfix refuses to relay for an unauthenticated client (554 5.7.1)"),
    Scenario("postfix_auth_only_after_starttls", ("tls_mismatch", "auth_mechanism_unsupported"), 587, "none",
             "good", _S(kind="postfix"),
             "encryption off: Postfix (smtpd_tls_auth_only) offers AUTH only after STARTTLS"),
    Scenario("postfix_self_signed_certificate", ("tls_handshake_failure",), 466, "tls", "good", _S(kind="postfix"),
             "Postfix's implicit-TLS service presents a self-signed certificate"),
)
