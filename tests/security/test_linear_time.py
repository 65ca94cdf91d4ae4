"""Hostile pastes cost about what ordinary ones do: the redactor, normalizer and store scrub stay linear.

The bounds here are generous on purpose (a loaded CI machine must not flake): they catch the failure mode, which is
seconds to hours (the old store fallback: 23 s on 2.1 KB of `pw-`), not milliseconds. Exact figures are measured
by bench/hostile_bench.py and quoted in README.md.
"""

from __future__ import annotations

import time

import pytest

from bot import redact as redact_module
from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.normalize import normalize
from bot.redact import MAX_MATCHES, redact
from bot.store.scrub import scrub

# Repeated fragments aimed at each family of rule: key/value separators, quotes that never close, AUTH
# transcripts, PEM headers without bodies, URL userinfo, CLI flags, the nested-run attack on the old fallback.
FRAGMENTS = [
    "pw-", "password=", "password: ", "pass ", "password ", "AUTH PLAIN\n334\n", "AUTH PLAIN ",
    "-----BEGIN PRIVATE KEY-----\n", "smtp://a:", "a:b@", "334 UGFzc3dvcmQ6\n", 'key="password" value=',
    "password is ", "<password>", "('password', ", "xoxb-", "A", "AAAA\n", '"password": "', "'pass' => '",
    "define(", "--password ", "-u a:", "machine x password ", "[h]:25 u:", "a.b u:", "token ", "eyJhbGciOi.",
    "SG.", "key-", "?password=", "Password=", "NetworkCredential(", ".login(a, ", "aws secret ", "postmark ",
    '\\"password\\": \\"', "MAIL_PASSWORD=", " -xp ", "334 \n", "app password ", "abcd ", "static:",
    "login a password ", '<add key="pwd" ', 'PlainAuth("", ', "a\\", "é", "<" * 3, "```", "&lt;",
]
SIZE = 40_000
BOUND_S = 2.0  # per 40 KB paste; measured worst is ~20 ms (bench/hostile_bench.py)


def _hostile(fragment: str) -> str:
    return (fragment * (SIZE // len(fragment) + 1))[:SIZE]


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_redact_of_a_hostile_paste_is_bounded(fragment: str) -> None:
    text = _hostile(fragment)
    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < BOUND_S


@pytest.mark.parametrize("fragment", ["pw-", "password=", '"password": "', "AUTH PLAIN\n334\n", "<" * 3, "```"])
def test_normalize_and_store_scrub_of_a_hostile_paste_are_bounded(fragment: str) -> None:
    text = _hostile(fragment)
    started = time.perf_counter()
    scrub(normalize(text))
    assert time.perf_counter() - started < BOUND_S


def test_the_old_store_freeze_input_is_instant() -> None:
    """2.1 KB of `pw-` took 23 s in bot/store/scrub.py's Python-re fallback."""
    started = time.perf_counter()
    scrub("pw-" * 700)
    scrub("MAIL_PASSWORD=" + "pw-" * 4000)
    assert time.perf_counter() - started < 0.5


def test_whole_pipeline_on_a_hostile_paste_is_bounded(kb: KnowledgeBase) -> None:
    text = "535 5.7.8 Username and Password not accepted smtp.gmail.com:587\n" + _hostile("password: pw-")
    started = time.perf_counter()
    diagnose(text, kb=kb)
    assert time.perf_counter() - started < 3 * BOUND_S


def test_no_rule_has_a_large_program() -> None:
    """Counted repetitions ({1,512}) blow up RE2's DFA and push it to the slow NFA (32 ms on one 36 KB line);
    every rule stays small enough for the DFA cache."""
    for rule, regex in redact_module._COMPILED:
        assert regex.programsize <= 1_500, (rule.kind, rule.pattern[:60], regex.programsize)


def test_past_the_match_budget_the_rest_is_redacted_whole() -> None:
    """A paste with more candidate secrets than MAX_MATCHES is hostile: nothing after the budget leaks."""
    text = "".join(f"password=s3cr3t{i:05d} " for i in range(MAX_MATCHES * 2))
    out = redact(text)
    assert "s3cr3t" not in out.text
    assert out.kinds == ("password",)
