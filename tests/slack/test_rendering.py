"""Issue 12 §3, Slack rendering: every URL a link, setting names in code, user text literal, the next action as
the primary button, at most two rows of buttons.

The answers are every cause × every provider variant its fix has (and none) × every library its fix names (and
none, and three for a generic library part), rendered with the real knowledge base and the real fix renderer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.kb import load_knowledge_base
from bot.model import CauseMatch, Diagnosis, Evidence, Facts
from bot.render.fix import fix_text
from bot.render.slack.actions import ACTION_FIXED, ACTION_PROBE
from bot.render.slack.answer import diagnosis_blocks
from bot.render.slack.style import bare_urls, link, styled
from tests.render.test_answer_order import _combinations

KB = load_knowledge_base()


COMBOS = list(_combinations(KB))


def _diagnosis(cid: str, provider: str | None, client: str | None, *, evidence: str = "535 5.7.8 rejected",
               host: str = "smtp.example.org") -> Diagnosis:
    others = [c for c in sorted(KB.causes) if c != cid][:2]
    return Diagnosis(
        is_smtp=True,
        causes=(CauseMatch(id=cid, confidence=0.8, evidence=(Evidence("paste", evidence),)),
                *(CauseMatch(id=o, confidence=0.1) for o in others)),
        facts=Facts(provider=provider, client=client, host=host, port=587, tls_mode="starttls"),
        text=evidence,
    )


def _mrkdwn(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn text object in the blocks (sections, their fields, context elements)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                out.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return out


def _render(cid: str, p: str | None, c: str | None, **kw: Any) -> list[dict[str, Any]]:
    d = _diagnosis(cid, p, c, **kw)
    return diagnosis_blocks(d, kb=KB, fix=fix_text(d, KB, cid, mrkdwn=True), ref="p-1",
                            probe_target="smtp.example.org:587")


def test_every_knowledge_answer_shows_its_urls_as_links() -> None:
    assert len(COMBOS) >= 100
    links = 0
    for cid, p, c in COMBOS:
        texts = _mrkdwn(_render(cid, p, c))
        for text in texts:
            assert bare_urls(text) == [], (cid, p, c, text)
        links += sum(t.count("<https://") for t in texts)
    assert links >= 40  # the provider pages (app passwords, security settings, admin centres) are real links


def test_a_link_shows_where_it_goes() -> None:
    assert link("https://myaccount.google.com/apppasswords") == (
        "<https://myaccount.google.com/apppasswords|myaccount.google.com/apppasswords>")
    long = link("https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated")
    assert long.startswith("<https://learn.microsoft.com/en-us/")
    assert long.endswith("…>")
    assert styled("open https://a.example/x. Then (https://b.example/y)") == (
        "open <https://a.example/x|a.example/x>. Then (<https://b.example/y|b.example/y>)")
    # already a link, code and code blocks are kept as they are
    kept = "see <https://a.example|a> and `https://b.example` and ```https://c.example```"
    assert styled(kept) == kept
    # a template's placeholder is shown literally, in prose and in code (Slack reads <…> inside code too)
    assert styled("connector (<tenant>.mail.protection.outlook.com)") == (
        "connector (&lt;tenant&gt;.mail.protection.outlook.com)")
    assert styled("host `email-smtp.<region>.amazonaws.com`") == "host `email-smtp.&lt;region&gt;.amazonaws.com`"


@pytest.mark.parametrize(("text", "coded"), [
    ("set MAIL_ENCRYPTION=tls in .env", "`MAIL_ENCRYPTION=tls`"),
    ("MAIL_ENCRYPTION must be ssl", "`MAIL_ENCRYPTION`"),
    ("spring.mail.properties.mail.smtp.starttls.enable=true.",
     "`spring.mail.properties.mail.smtp.starttls.enable=true`"),
    ("set mail.smtp.starttls.enable to true", "`mail.smtp.starttls.enable`"),
    ("the username goes in SMTPUser / $config['smtp_user']", "`SMTPUser` / `$config['smtp_user']`"),
    ("$mail-&gt;SMTPSecure = 'tls'", "`$mail-&gt;SMTPSecure`"),
    ("host smtp.office365.com, port 587", "host `smtp.office365.com`, port 587"),
    ("pass username= and password= to aiosmtplib.send()", "`username=` and `password=` to `aiosmtplib.send()`"),
    ("set `UseDefaultCredentials = false` first", "`UseDefaultCredentials = false`"),
    ("(or -&gt;setEncryption('tls')); for 465", "(or `-&gt;setEncryption('tls')`); for 465"),
    ("the full address (user@example.com) as username", "(`user@example.com`)"),
])
def test_setting_names_are_shown_as_code(text: str, coded: str) -> None:
    assert coded in styled(text)


def test_prose_is_not_turned_into_code() -> None:
    prose = "Sign in to Gmail, e.g. with CodeIgniter or PHPMailer: port 587 (STARTTLS) and OAuth 2.0 (XOAUTH2)."
    assert styled(prose) == prose


def _in_code(text: str, at: int) -> bool:
    return any(m.start() < at < m.end() for m in re.finditer(r"(?s)```.*?```|`[^`\n]*`", text))


def test_setting_names_from_the_knowledge_base_are_code_in_the_answer() -> None:
    """The library lines of the TLS-mismatch fix name the settings to change: each is inline code."""
    seen = 0
    for cid, p, c in COMBOS:
        if cid != "tls_mismatch" or c is None:
            continue
        fix_mrkdwn = "\n".join(_mrkdwn(_render(cid, p, c)))
        for name in ("MAIL_ENCRYPTION", "mail.smtp.starttls.enable", "SMTPSecure", "SMTPCrypto", "use_tls"):
            for found in re.finditer(re.escape(name), fix_mrkdwn):
                seen += 1
                assert _in_code(fix_mrkdwn, found.start()), (c, name, fix_mrkdwn[found.start() - 80:found.end() + 40])
    assert seen >= 3


def test_pasted_mentions_and_links_never_become_live() -> None:
    hostile = "<!channel> see <http://evil.example/login|your bank> and <@U0123ABCD> 535 5.7.8"
    for cid, p, c in COMBOS[:40]:
        texts = _mrkdwn(_render(cid, p, c, evidence=hostile, host="<!here>.example.org"))
        joined = "\n".join(texts)
        assert "<!channel>" not in joined
        assert "<!here>" not in joined
        assert "<@U0123ABCD>" not in joined
        assert "<http://evil.example" not in joined
        assert "&lt;!channel&gt;" in joined  # shown, literally


def test_the_next_action_is_the_primary_button_and_there_are_two_rows_at_most() -> None:
    for cid, p, c in COMBOS:
        for target in ("smtp.example.org:587", None):
            d = _diagnosis(cid, p, c)
            blocks = diagnosis_blocks(d, kb=KB, fix="1. step", ref="p-1", probe_target=target)
            rows = [b for b in blocks if b["type"] == "actions"]
            assert 1 <= len(rows) <= 2
            buttons = [e for r in rows for e in r["elements"]]
            primary = [e["action_id"] for e in buttons if e.get("style") == "primary"]
            assert primary == ([ACTION_PROBE] if target else [])
            assert ACTION_FIXED in {e["action_id"] for e in buttons}
            assert len({r["block_id"] for r in rows}) == len(rows)  # block ids are unique in a message


# ------------------------------------------------------------------ the answer's wording (bot.wording, §2)


def _header(blocks: list[dict[str, Any]]) -> str:
    return next(str(b["text"]["text"]) for b in blocks if b["type"] == "header")


def test_the_header_says_likely_only_above_the_threshold_and_never_with_a_percentage() -> None:
    from bot.diagnose import CHANNEL_THRESHOLD
    from bot.render.slack.answer import diagnosis_fallback

    levels: dict[str, int] = {}
    for cid, p, c in COMBOS[::4]:
        for confidence in (0.9, CHANNEL_THRESHOLD, 0.3, 0.12):
            d = _diagnosis(cid, p, c)
            d = Diagnosis(is_smtp=True, causes=(CauseMatch(id=cid, confidence=confidence,
                                                           evidence=d.causes[0].evidence), *d.causes[1:]),
                          facts=d.facts, text=d.text)
            blocks = diagnosis_blocks(d, kb=KB, fix=fix_text(d, KB, cid, mrkdwn=True), ref="p-1",
                                      probe_target="smtp.example.org:587")
            head = _header(blocks)
            levels[head.split(":")[0]] = levels.get(head.split(":")[0], 0) + 1
            assert head.startswith("Likely cause: ") is (confidence >= CHANNEL_THRESHOLD), (confidence, head)
            assert "%" not in head
            assert "%" not in diagnosis_fallback(d, KB)
            if confidence < CHANNEL_THRESHOLD:
                opening = "\n".join(_mrkdwn(blocks))
                assert "Possibly" in opening
                assert "What would decide" in opening
                assert "confidence (" not in opening  # no "low confidence (12%)" beside an uncertain cause
    assert set(levels) == {"Likely cause", "Possibly"}


def test_settings_that_look_right_get_their_own_verdict_and_the_probe_as_next_step() -> None:
    from bot.diagnose import diagnose
    from bot.probe.choose import probe_target

    paste = ("MAIL_MAILER=smtp\nMAIL_HOST=smtp.office365.com\nMAIL_PORT=587\nMAIL_ENCRYPTION=tls\n"
             "MAIL_USERNAME=jane@contoso.example\n")
    d = diagnose(paste, kb=KB)
    target = probe_target(d, KB)
    blocks = diagnosis_blocks(d, kb=KB, fix=None, ref="p-1", probe_target=target)
    assert _header(blocks).startswith("These settings look right for Microsoft 365")
    text = "\n".join(_mrkdwn(blocks))
    assert "paste the error you see" in text
    assert "`smtp.office365.com`" in text  # the host is a setting: code
    assert "How to fix it" not in text
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert ACTION_FIXED not in {e["action_id"] for e in buttons}  # nothing was proposed, so no "Fixed it"
    if target:
        assert [e["action_id"] for e in buttons if e.get("style") == "primary"] == [ACTION_PROBE]


def test_not_enough_to_go_on_asks_for_the_error_and_proposes_no_fix() -> None:
    d = Diagnosis(is_smtp=True, causes=(CauseMatch(id="other_smtp", confidence=0.1),), facts=Facts(),
                  text="mail does not work since yesterday, smtp")
    blocks = diagnosis_blocks(d, kb=KB, fix="1. a generic step", ref="p-1", probe_target=None)
    assert _header(blocks) == "Not enough to go on"
    text = "\n".join(_mrkdwn(blocks))
    assert "paste the error the app shows" in text
    assert "a generic step" not in text
    assert not [b for b in blocks if b["type"] == "actions"]


def test_provider_settings_show_their_pages_as_links() -> None:
    from bot.render.slack.home import provider_blocks

    links = 0
    for provider in KB.providers.values():
        for text in _mrkdwn(provider_blocks(provider)):
            assert bare_urls(text) == [], (provider.id, text)
            links += text.count("<https://")
    assert links >= 10


async def test_a_probe_result_without_a_paste_links_its_fix_too() -> None:
    from bot.model import Finding
    from bot.probe.report import PortResult, ProbeReport
    from bot.settings import Settings
    from bot.slack.answers import ProbeOutcome, _probe_message
    from bot.slack.services import Services
    from bot.store import MemoryStore
    from tests.slack.conftest import FakeProbe

    services = Services(settings=Settings(), kb=KB, store=MemoryStore(), probe=FakeProbe(),
                        diagnose=lambda *a, **k: None, fix_text=fix_text)  # type: ignore[arg-type]
    report = ProbeReport(target="smtp.gmail.com:587", host="smtp.gmail.com", provider="gmail",
                         addresses=("192.0.2.10",), ports=(PortResult(port=587, status="ok", tls="starttls"),),
                         findings=(Finding(cause="app_password_required", detail="port 587: AUTH answered 534"),))
    message = await _probe_message(services, ProbeOutcome(target=report.target, report=report))
    texts = _mrkdwn(message["blocks"])
    assert any("<https://myaccount.google.com/apppasswords|" in t for t in texts)
    for text in texts:
        assert bare_urls(text) == [], text
