"""One choice of probe target: Slack offers Run live probe / Test login exactly when the probe would accept it.

The SES paste names only a `<region>` placeholder host and the Laravel paste a port outside the allow-list; both
once got buttons that ended in a refusal. The property test generates extracted facts and checks that the
buttons of the Slack answer and the probe's own target checks agree for every one of them.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.diagnose import diagnose
from bot.errors import InputError, TargetNotAllowed
from bot.kb import KnowledgeBase
from bot.model import CauseMatch, Diagnosis, Facts
from bot.probe.choose import candidates, probe_target
from bot.probe.targets import check_port, parse_target
from bot.render.slack.actions import ACTION_AUTH_CHECK, ACTION_PROBE
from bot.render.slack.answer import diagnosis_blocks

SES_PASTE = (
    "[2026-11-30 09:12:01] production.ERROR: Expected response code 250 but got code \"535\", with message "
    "\"535 Authentication Credentials Invalid\"\nWe send through Amazon SES and I use my IAM access key as the "
    "SMTP username."
)
PORT_8025_PASTE = (
    "MAIL_MAILER=smtp\nMAIL_HOST=smtp.example.com\nMAIL_PORT=8025\nMAIL_USERNAME=app@example.com\n"
    "MAIL_PASSWORD=[REDACTED]\n\nSymfony\\Component\\Mailer\\Exception\\TransportException: Failed to authenticate "
    "on SMTP server with username \"app@example.com\" using 2 possible authenticators. Authenticator LOGIN "
    "returned \"535 Authentication failed\"."
)


def _accepted(target: str) -> bool:
    try:
        for port in parse_target(target).ports:
            check_port(port)
    except (InputError, TargetNotAllowed):
        return False
    return True


def _buttons(d: Diagnosis, kb: KnowledgeBase) -> set[str]:
    blocks = diagnosis_blocks(d, kb=kb, fix=None, ref="p-1", probe_target=probe_target(d, kb))
    return {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_ses_paste_names_only_a_region_placeholder_so_no_probe_is_offered(kb: KnowledgeBase) -> None:
    d = diagnose(SES_PASTE, kb=kb)
    assert d.facts.provider == "ses"
    assert any("<region>" in c for c in candidates(d.facts, kb))
    assert probe_target(d, kb) is None
    assert not _buttons(d, kb) & {ACTION_PROBE, ACTION_AUTH_CHECK}


def test_port_8025_paste_is_probed_on_the_submission_ports_the_probe_allows(kb: KnowledgeBase) -> None:
    d = diagnose(PORT_8025_PASTE, kb=kb)
    assert (d.facts.host, d.facts.port) == ("smtp.example.com", 8025)
    target = probe_target(d, kb)
    assert target == "smtp.example.com"
    assert _accepted(target)
    assert {ACTION_PROBE, ACTION_AUTH_CHECK} <= _buttons(d, kb)


HOSTS = st.one_of(
    st.sampled_from(["smtp.example.com", "mail.example.org", "email-smtp.<region>.amazonaws.com", "127.0.0.1",
                     "[::1]", "smtp..example.com", "-bad-.example.com", "xn--bcher-kva.example", "smtp_ex.com",
                     "a" * 300 + ".com", "bücher.example", ""]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-<>_:[]", max_size=40),
)
FACTS = st.builds(
    Facts,
    host=st.one_of(st.none(), HOSTS),
    port=st.one_of(st.none(), st.sampled_from([25, 465, 587, 2525, 8025, 2587, 1025, 0, 65535])),
    provider=st.one_of(st.none(), st.sampled_from(["gmail", "ses", "sendgrid", "office365", "zoho", "nosuch"])),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(FACTS)
def test_buttons_are_offered_exactly_when_the_probe_accepts_the_target(kb: KnowledgeBase, facts: Facts) -> None:
    d = Diagnosis(is_smtp=True, causes=(CauseMatch(id="bad_credentials", confidence=0.8),), facts=facts)
    target = probe_target(d, kb)
    offered = {ACTION_PROBE, ACTION_AUTH_CHECK} & _buttons(d, kb)
    assert bool(offered) == (target is not None)
    assert target is None or _accepted(target)
    assert (target is None) == (not any(_accepted(c) for c in candidates(facts, kb)))
