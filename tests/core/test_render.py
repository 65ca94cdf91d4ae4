"""Rendering: terminal text with provider- and client-specific fix steps; mrkdwn escaping of interpolated
values; the sandboxed, strict template environment.
"""

from __future__ import annotations

import jinja2
import pytest
from jinja2.sandbox import SecurityError

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.model import CauseMatch, Diagnosis, Facts
from bot.render.env import render_template
from bot.render.escape import escape_mrkdwn, strip_controls
from bot.render.fix import fix_text
from bot.render.text import render_text

DJANGO_GMAIL_535 = (
    'File "/srv/app/venv/lib/python3.11/site-packages/django/core/mail/backends/smtp.py", line 87, in open\n'
    "    self.connection.login(self.username, self.password)\n"
    "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. For more information, "
    "go to\\n5.7.8  https://support.google.com/mail/?p=BadCredentials x1-20020a05 - gsmtp')\n"
    "EMAIL_HOST = 'smtp.gmail.com'\nEMAIL_PORT = 587\nEMAIL_USE_TLS = True\nEMAIL_HOST_USER = 'ops@gmail.com'"
)
HOSTILE = "<!channel> & <@U1> <https://evil.example|click me>"


def test_django_gmail_535_text_names_django_setting_and_app_password_page(kb: KnowledgeBase) -> None:
    d = diagnose(DJANGO_GMAIL_535, kb=kb)
    assert (d.facts.provider, d.facts.client) == ("gmail", "django")
    out = render_text(d, kb)
    assert "EMAIL_HOST_PASSWORD" in out
    assert "https://myaccount.google.com/apppasswords" in out
    assert "How to fix it:" in out
    assert "Likely cause:" in out


def test_text_output_lists_the_other_candidates(kb: KnowledgeBase) -> None:
    d = diagnose(DJANGO_GMAIL_535, kb=kb)
    out = render_text(d, kb)
    if len(d.causes) > 1:
        assert "Other possible causes:" in out


def test_nodemailer_sendgrid_fix_names_apikey_and_the_auth_user_setting(kb: KnowledgeBase) -> None:
    d = diagnose("const t = nodemailer.createTransport({ host: 'smtp.sendgrid.net', port: 587,\n"
                 "  auth: { user: 'ops@example.org', pass: process.env.SENDGRID_API_KEY } });\n"
                 "Error: Invalid login: 535 Authentication failed: Bad username / password\n"
                 "  code: 'EAUTH', responseCode: 535", kb=kb)
    assert (d.facts.provider, d.facts.client) == ("sendgrid", "nodemailer")
    out = render_text(d, kb)
    assert "apikey" in out
    assert "auth.user" in out or "auth.pass" in out


def test_not_smtp_text_says_so_and_gives_no_fix(kb: KnowledgeBase) -> None:
    out = render_text(diagnose("lunch at noon?", kb=kb), kb)
    assert "does not look like an SMTP" in out
    assert "How to fix it" not in out


def test_text_output_mentions_a_redacted_secret_without_echoing_it(kb: KnowledgeBase) -> None:
    out = render_text(diagnose(DJANGO_GMAIL_535 + "\nEMAIL_HOST_PASSWORD = 'hunter2hunter2'", kb=kb), kb)
    assert "hunter2hunter2" not in out
    assert "rotate" in out


def test_text_output_has_no_control_characters(kb: KnowledgeBase) -> None:
    out = render_text(diagnose("535 5.7.8 Username and Password not accepted\x1b[2J\x07 smtp.gmail.com", kb=kb), kb)
    assert "\x1b" not in out
    assert "\x07" not in out


def test_escape_mrkdwn_escapes_only_the_three_control_characters() -> None:
    assert escape_mrkdwn(HOSTILE) == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://evil.example|click me&gt;"
    assert escape_mrkdwn("*bold* _it_ `code`") == "*bold* _it_ `code`"


def test_strip_controls_keeps_tab_and_newline() -> None:
    assert strip_controls("a\tb\nc\x00d\x1be\x9bf") == "a\tb\ncdef"


@pytest.mark.parametrize("value", ["<!channel>", "<@U1>", "<https://evil|x>", "a & b", "<!here|here>"])
def test_mrkdwn_template_escapes_interpolated_values(kb: KnowledgeBase, value: str) -> None:
    out = render_template(kb, "Host: {{ facts.host }}", facts=Facts(host=value), provider=None, client=None,
                          mrkdwn=True)
    assert out == "Host: " + escape_mrkdwn(value)
    assert "<" not in out.removeprefix("Host: ")


def test_mrkdwn_template_keeps_its_own_words_unescaped(kb: KnowledgeBase) -> None:
    out = render_template(kb, "<https://myaccount.google.com/apppasswords|App passwords> for {{ facts.host }}",
                          facts=Facts(host="<!channel>"), provider=None, client=None, mrkdwn=True)
    assert out == "<https://myaccount.google.com/apppasswords|App passwords> for &lt;!channel&gt;"


def test_plain_text_template_does_not_escape(kb: KnowledgeBase) -> None:
    out = render_template(kb, "{{ facts.host }}", facts=Facts(host="a & b"), provider=None, client=None, mrkdwn=False)
    assert out == "a & b"


def test_mrkdwn_fix_escapes_a_hostile_host_read_from_the_paste(kb: KnowledgeBase) -> None:
    d = Diagnosis(is_smtp=True, causes=(CauseMatch(id="wrong_host_or_port", confidence=0.9),),
                  facts=Facts(host=HOSTILE, hosts=(HOSTILE,)))
    out = fix_text(d, kb, mrkdwn=True)
    assert "<!channel>" not in out
    assert "<@U1>" not in out
    assert "<https://evil.example" not in out
    assert "&lt;!channel&gt;" in out


def test_strict_undefined_raises_on_an_unknown_name(kb: KnowledgeBase) -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_template(kb, "Use {{ no_such_name }} now", facts=Facts(), provider=None, client=None, mrkdwn=False)


def test_strict_undefined_raises_on_an_unknown_fact(kb: KnowledgeBase) -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_template(kb, "{{ facts.no_such_fact }}", facts=Facts(), provider=None, client=None, mrkdwn=True)


def test_sandbox_refuses_python_internals(kb: KnowledgeBase) -> None:
    with pytest.raises(SecurityError):
        render_template(kb, "{{ ''.__class__.__mro__[1].__subclasses__() }}", facts=Facts(), provider=None,
                        client=None, mrkdwn=False)


def test_every_fact_name_is_defined_for_templates_even_when_empty(kb: KnowledgeBase) -> None:
    out = render_template(kb, "[{{ facts.host }}|{{ facts.port }}|{{ provider }}]", facts=Facts(), provider=None,
                          client=None, mrkdwn=False)
    assert out == "[None|None|None]"


@pytest.mark.parametrize("cause", ["bad_credentials", "app_password_required", "tls_mismatch", "network_blocked"])
def test_gmail_fix_is_specific_to_gmail(kb: KnowledgeBase, cause: str) -> None:
    d = Diagnosis(is_smtp=True, causes=(CauseMatch(id=cause, confidence=0.9),),
                  facts=Facts(provider="gmail", host="smtp.gmail.com", port=587))
    out = fix_text(d, kb, mrkdwn=False)
    assert "Gmail" in out
    assert "{{" not in out
    assert "{%" not in out
