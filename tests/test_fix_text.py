"""Fix steps speak to what the paste says: provider, library, and which kind of failure it is."""

from __future__ import annotations

import pytest

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.render.fix import fix_text


@pytest.mark.parametrize(("paste", "first_step_says"), [
    ("nodemailer ESOCKET: certificate has expired (smtp.example.org:587)", "has expired"),
    ("nodemailer: Hostname/IP does not match certificate's altnames: Host: smtp.example.org. is not in the cert's "
     "altnames: DNS:*.hosting.example.net", "another name"),
    ("smtplib: ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
     "self signed certificate in certificate chain", "does not trust who issued"),
    ("SmtpClient: The client and server cannot communicate, because they do not possess a common algorithm "
     "(smtp.example.org:587)", "share no TLS version"),
    ("grafana: 454 4.7.0 TLS not available due to local problem (smtp host mail.example.org:25)", "cannot start TLS"),
])
def test_certificate_failures_get_the_steps_for_their_kind(kb: KnowledgeBase, paste: str, first_step_says: str) -> None:
    d = diagnose(paste, kb=kb)
    assert d.top is not None
    assert d.top.id == "tls_handshake_failure"
    first_step = fix_text(d, kb, mrkdwn=False).splitlines()[0]
    assert first_step_says in first_step


def test_fix_names_the_provider_host_and_the_library_settings(kb: KnowledgeBase) -> None:
    paste = "EMAIL_HOST = 'smtp.gmail.com'\nEMAIL_PORT = 465\nEMAIL_USE_TLS = True\n"
    text = fix_text(diagnose(paste, kb=kb), kb, mrkdwn=False)
    assert "smtp.gmail.com port 587 with STARTTLS" in text
    assert "EMAIL_USE_SSL = True" in text


def test_mrkdwn_fix_escapes_values_taken_from_the_paste(kb: KnowledgeBase) -> None:
    paste = "getaddrinfo ENOTFOUND smtp.<!channel>.example\nMAIL_HOST=smtp.exa&mple.org\nMAIL_PORT=587"
    text = fix_text(diagnose(paste, kb=kb), kb, mrkdwn=True)
    assert "<!channel>" not in text
    assert "<" not in text.replace("&lt;", "")
