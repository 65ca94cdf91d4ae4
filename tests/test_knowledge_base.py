"""The knowledge base checks itself: every entry's examples and every fix variant, one test each.

The same checks run in `smtp-help kb check`; here each is its own test, so a failure names the entry and the
example. `todo_match` examples are known misses, kept as expected failures rather than deleted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.kb import load_knowledge_base
from bot.kb.check import iter_checks
from bot.settings import DEFAULT_KNOWLEDGE_DIR

_KB = load_knowledge_base()
_CHECKS = list(iter_checks(_KB))
TAXONOMY = {
    "bad_credentials", "app_password_required", "basic_auth_disabled", "auth_not_sent", "tls_mismatch",
    "tls_handshake_failure", "network_blocked", "wrong_host_or_port", "provider_outage", "account_restricted",
    "sender_not_authorized", "auth_mechanism_unsupported", "sender_domain_auth", "other_smtp",
}


@pytest.mark.parametrize("check", _CHECKS, ids=[c.name for c in _CHECKS])
def test_knowledge_entry(check) -> None:  # type: ignore[no-untyped-def]
    if check.expected_failure:
        pytest.xfail("todo_match: a known miss kept on record")
    problem = check.run()
    assert problem is None, problem


def test_every_taxonomy_cause_has_a_file_named_after_its_id() -> None:
    files = {p.stem for p in (DEFAULT_KNOWLEDGE_DIR / "causes").glob("*.yaml")}
    assert files == TAXONOMY
    assert set(_KB.causes) == TAXONOMY


def test_every_cause_has_matching_and_non_matching_examples() -> None:
    for cause in _KB.causes.values():
        assert cause.examples.get("match"), cause.id
        assert cause.examples.get("no_match"), cause.id


def test_required_providers_and_clients_are_present() -> None:
    providers = {"gmail", "google_workspace", "office365", "outlook_com", "yahoo", "aol", "icloud", "zoho", "fastmail",
                 "gmx", "proton_bridge", "sendgrid", "mailgun", "ses", "postmark", "brevo", "mailjet", "sparkpost",
                 "mandrill", "godaddy", "cpanel"}
    clients = {"dotnet_smtpclient", "mailkit", "phpmailer", "laravel", "symfony_mailer", "django", "python_smtplib",
               "nodemailer", "javamail", "spring", "go_net_smtp", "rails", "wordpress"}
    assert providers <= set(_KB.providers)
    assert clients <= set(_KB.clients)


def test_confusable_pairs_name_the_deciding_fact_both_ways_or_one_way() -> None:
    """Every confusable pair points at a known cause, and no cause lists itself."""
    for cause in _KB.causes.values():
        assert cause.id not in cause.confusable
        assert set(cause.confusable) <= TAXONOMY


def test_no_cause_text_is_copied_from_the_development_set() -> None:
    """The knowledge base writes its own examples: none may be a line of ../shared/eval/dev.jsonl."""
    dev = DEFAULT_KNOWLEDGE_DIR.parent.parent / "shared" / "eval" / "dev.jsonl"
    if not dev.exists():
        pytest.skip("development set not present")
    corpus = dev.read_text(encoding="utf-8")
    for cause in _KB.causes.values():
        for text in cause.examples.get("match", ()) + cause.examples.get("no_match", ()):
            long_enough = [line for line in text.splitlines() if len(line) > 60]
            for line in long_enough:
                assert line not in corpus, f"{cause.id}: example copied from the development set: {line[:60]}"


def test_knowledge_yaml_files_contain_no_secret_shaped_values() -> None:
    """Examples must use placeholders, never real-looking keys."""
    sendgrid = re.compile(r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}")
    for path in Path(DEFAULT_KNOWLEDGE_DIR).rglob("*.yaml"):
        assert not sendgrid.search(path.read_text(encoding="utf-8")), path
