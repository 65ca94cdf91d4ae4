"""Issue 12 §1: an answer reads cause, then the step for THIS paste, then the rest, and says no sentence twice.

The combinations are every cause × every provider variant its fix has (and none) × every library its fix names
(and none, and three for a generic library part), each with a lint sentence repeated as evidence, a warning and
that line cut at two offsets, as the pipeline used to show it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator

import pytest

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase, load_knowledge_base
from bot.model import CauseMatch, Diagnosis, Evidence, Facts, LintIssue
from bot.render.fix import fix_text
from bot.render.order import Seen, first_step_first, sentences
from bot.render.slack.answer import diagnosis_blocks
from bot.render.text import render_text

LINT = ("Port 465 expects TLS from the first byte (implicit TLS), but the settings ask for STARTTLS, so the "
        "client waits for a greeting the server will only send inside TLS and the connection times out.")


def _combinations(kb: KnowledgeBase) -> Iterator[tuple[str, str | None, str | None]]:
    for cid, cause in sorted(kb.causes.items()):
        fix = cause.fix
        providers = [None, *sorted(p for p in (fix.get("providers") or {}) if p in kb.providers)]
        clients: list[str | None] = [None, *sorted(c for c in (fix.get("clients") or {}) if c in kb.clients)]
        if fix.get("client"):
            clients += sorted(kb.clients)[:3]
        for p in providers:
            for c in clients:
                yield cid, p, c


def _diagnosis(kb: KnowledgeBase, cid: str, provider: str | None, client: str | None) -> Diagnosis:
    summary = kb.causes[cid].summary
    others = [c for c in sorted(kb.causes) if c != cid][:2]
    evidence = (Evidence("paste", "535 5.7.8 Username and Password not accepted. Learn more at the help page."),
                Evidence("settings", LINT), Evidence("settings", LINT[20:]), Evidence("settings", LINT[:150]))
    return Diagnosis(
        is_smtp=True,
        causes=(CauseMatch(id=cid, confidence=0.7, evidence=evidence),
                *(CauseMatch(id=o, confidence=0.1) for o in others)),
        facts=Facts(provider=provider, client=client, host="smtp.example.org", port=465, tls_mode="starttls"),
        lint=(LintIssue(id="port_tls_mismatch", cause=cid, message=LINT),),
        ambiguity=(str(summary).split(". ")[0] + ". The reply text after the code decides.") if summary else None,
        text="535 5.7.8 Username and Password not accepted",
    )


def _duplicates(text: str) -> list[str]:
    """Sentences said twice: the same words (a view's label such as "settings:" aside), or one inside another."""
    keys = []
    for s in sentences(text):
        s = re.sub(r"^(?:settings|live probe):\s*", "", s)
        k = re.sub(r"[\W_]+", " ", s.lower()).strip()
        if len(k) >= 12 and not k.startswith(("how to fix it", "evidence", "other possible causes")):
            keys.append(k)
    counts = Counter(keys)
    return sorted({k for k in keys if counts[k] > 1 or (len(k) >= 30 and any(k in o for o in keys if o != k))})


def _slack_text(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        if "text" in b and isinstance(b["text"], dict):
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            if isinstance(e, dict) and e.get("type") == "mrkdwn":
                out.append(e["text"])
    return "\n".join(out)


def test_no_rendered_answer_says_a_sentence_twice() -> None:
    kb = load_knowledge_base()
    renders, bad = 0, []
    for cid, provider, client in _combinations(kb):
        d = _diagnosis(kb, cid, provider, client)
        text = render_text(d, kb)
        blocks = diagnosis_blocks(d, kb=kb, fix=fix_text(d, kb, mrkdwn=True))
        renders += 2
        for view, out in (("text", text), ("slack", _slack_text(blocks))):
            dups = _duplicates(out)
            if dups:
                bad.append((view, cid, provider, client, dups[:2]))
    assert renders > 100
    assert not bad, f"{len(bad)} of {renders} renders repeat a sentence, e.g. {bad[:3]}"


def test_the_fix_comes_before_evidence_and_the_lint_sentence_is_said_once() -> None:
    kb = load_knowledge_base()
    cid = sorted(kb.causes)[0]
    text = render_text(_diagnosis(kb, cid, None, None), kb)
    assert text.index("How to fix it") < text.index("Evidence")
    assert text.startswith("Likely cause:")
    assert text.count("implicit TLS") == 1


def test_an_evidence_line_cut_at_two_offsets_is_one_line() -> None:
    seen = Seen()
    assert seen.keep([LINT[:120], LINT[30:], "A different line entirely, about DNS."], whole=True) == [
        LINT[30:], "A different line entirely, about DNS."]  # the longer cut is the one shown


@pytest.mark.parametrize("paste", [
    'smtplib.SMTPAuthenticationError: (535, b"5.7.139 Authentication unsuccessful, the user credentials were '
    'incorrect. Security defaults policy enabled for the tenant")\nhost smtp.office365.com port 587\n',
    "smtplib.SMTPAuthenticationError: (535, b'5.7.139 Authentication unsuccessful, user is locked by your "
    "organization\\'s security defaults policy. Contact your administrator.')\nhost smtp.office365.com port 587\n",
])
def test_microsoft_365_security_defaults_in_the_paste_puts_that_step_first(paste: str) -> None:
    kb = load_knowledge_base()
    d = diagnose(paste, kb=kb)
    first = fix_text(d, kb, mrkdwn=False).splitlines()[0]
    assert first.startswith("1. ")
    assert "security defaults" in first.lower()
    text = render_text(d, kb)
    assert text.splitlines()[0].startswith("Likely cause:")
    assert "security defaults" in text.split("How to fix it:")[1].splitlines()[1].lower()


def test_a_conditional_step_stays_where_it_is_when_the_paste_does_not_say_it() -> None:
    fix = "1. Reset the password.\n2. If the error mentions Security Defaults, turn them off."
    assert first_step_first(fix, "535 5.7.8 bad password") == fix
    moved = first_step_first(fix, "535 5.7.139 ... security defaults policy")
    assert moved == "1. If the error mentions Security Defaults, turn them off.\n2. Reset the password."


def _token(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()[:40]


@pytest.mark.parametrize("n", [3, 9, 20, 21, 35, 120])
def test_and_n_more_counts_every_evidence_line_not_shown(kb: KnowledgeBase, n: int) -> None:
    """Past 20 evidence lines the count used to stop at 20 - 8 = 12 (the lines were cut before counting)."""
    lines = [f"line {i}: 550 5.1.1 <{_token(i)}@example.net> unknown" for i in range(n)]
    # a repeat and a line cut at two offsets are one line each, wherever they are
    evidence = [Evidence("paste", t) for t in lines] + [Evidence("paste", lines[0]), Evidence("paste", lines[-1])]
    d = Diagnosis(is_smtp=True, causes=(CauseMatch(id="other_smtp", confidence=0.9, evidence=tuple(evidence)),),
                  facts=Facts(), text="\n".join(lines))
    hidden = max(0, n - 8)
    terminal = render_text(d, kb)
    slack = "\n".join(str(b.get("text", {}).get("text", "")) for b in diagnosis_blocks(d, kb=kb, fix=None)
                      if isinstance(b.get("text"), dict))
    if hidden:
        assert f"… and {hidden} more" in terminal
        assert f"… and {hidden} more" in slack
    else:
        assert "more" not in terminal.split("Evidence:")[1]
    shown = [line for line in terminal.splitlines() if line.startswith("  - line ")]
    assert len(shown) == min(n, 8)


def test_many_evidence_lines_stay_fast(kb: KnowledgeBase) -> None:
    import time

    lines = [f"{i} " + _token(i) * 7 for i in range(5000)]
    t = time.perf_counter()
    kept = Seen().keep(lines, whole=True)
    assert len(kept) == 5000
    assert time.perf_counter() - t < 5.0
