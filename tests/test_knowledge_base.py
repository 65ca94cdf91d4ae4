"""The knowledge base checks itself: every entry's examples and every fix variant, one test each.

The same checks run in `smtp-help kb check`; here each is its own test, so a failure names the entry and the
example. `todo_match` examples are known misses, kept as expected failures rather than deleted.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.classify import fires
from bot.commands.kbcheck import iter_checks, signal_checks, top_level_alternatives
from bot.diagnose import diagnose
from bot.errors import KnowledgeBaseError
from bot.extract import extract
from bot.kb import KnowledgeBase, load_knowledge_base
from bot.kb.model import GENERIC_FACTOR, HINT_CAP, KIND_WEIGHTS
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


def test_knowledge_yaml_files_contain_no_secret_shaped_values() -> None:
    """Examples must use placeholders, never real-looking keys."""
    sendgrid = re.compile(r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}")
    for path in Path(DEFAULT_KNOWLEDGE_DIR).rglob("*.yaml"):
        assert not sendgrid.search(path.read_text(encoding="utf-8")), path


# --- knowledge/messages/: the signal format (issue 10 §2), with a small real file from tests/data/messages --------

FIXTURE = Path(__file__).parent / "data" / "messages" / "python_smtplib_fixture.yaml"


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """The repository's knowledge plus the fixture messages file."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    (target / "messages").mkdir(exist_ok=True)
    shutil.copy(FIXTURE, target / "messages" / FIXTURE.name)
    return target


def _edit(kb_dir: Path, old: str, new: str) -> None:
    path = kb_dir / "messages" / FIXTURE.name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(kb_dir: Path) -> list[str]:
    kb = load_knowledge_base(kb_dir, cache_dir=None)
    problems = []
    for check in signal_checks(kb, kb.messages[FIXTURE.stem].signals):
        problem = check.run()
        if problem:
            problems.append(f"{check.name}: {problem}")
    return problems


def test_a_messages_file_loads_with_weights_from_kinds_and_passes_its_own_checks(kb_copy: Path) -> None:
    kb = load_knowledge_base(kb_copy, cache_dir=None)
    signals = {s.id: s for s in kb.messages[FIXTURE.stem].signals}
    assert signals["python_smtplib_fixture.auth_extension_missing"].weight == KIND_WEIGHTS["message"]
    assert signals["python_smtplib_fixture.no_common_mechanism"].weight == KIND_WEIGHTS["message"] * GENERIC_FACTOR
    assert signals["python_smtplib_fixture.starttls_missing"].cause == "tls_mismatch"
    assert signals["python_smtplib_fixture.starttls_missing"] in kb.signals_by_cause["tls_mismatch"]
    assert _problems(kb_copy) == []


def test_a_messages_signal_joins_its_cause_and_a_library_message_is_smtp_in_two_lines(kb_copy: Path) -> None:
    kb = load_knowledge_base(kb_copy, cache_dir=None)
    text = "    raise SMTPNotSupportedError(\nSMTPNotSupportedError: SMTP AUTH extension not supported by server."
    d = diagnose(text, kb=kb)
    assert d.is_smtp
    assert d.top is not None
    assert d.top.id == "auth_mechanism_unsupported"
    assert "SMTP AUTH extension not supported by server" in d.top.evidence[0].text


def test_a_phrase_is_matched_case_insensitively_as_a_literal(kb_copy: Path) -> None:
    _edit(kb_copy, '"SMTP AUTH extension not supported by server"', '"smtp auth extension (not) supported"')
    _edit(kb_copy, "SMTPNotSupportedError: SMTP AUTH extension not supported by server.\"",
          "SMTPNotSupportedError: SMTP AUTH EXTENSION (NOT) SUPPORTED.\"")
    kb = load_knowledge_base(kb_copy, cache_dir=None)
    assert _problems(kb_copy) == []
    signal = kb.messages[FIXTURE.stem].signals[0]
    assert fires(signal, extract("Smtp Auth Extension (Not) Supported", kb))
    assert not fires(signal, extract("smtp auth extension not supported", kb))   # "(not)" is text, not a group


def test_a_generic_message_alone_does_not_make_a_paste_smtp(kb_copy: Path) -> None:
    kb = load_knowledge_base(kb_copy, cache_dir=None)
    generic = kb.messages[FIXTURE.stem].signals[1]     # SSH.NET prints the same words
    assert generic.generic
    assert not generic.strong
    assert kb.messages[FIXTURE.stem].signals[0].strong


def test_a_not_smtp_signal_counts_against_is_smtp(kb_copy: Path) -> None:
    _edit(kb_copy, "signals:\n", "signals:\n  - id: ssh_login\n    cause: not_smtp\n    kind: message\n"
          "    phrases: [\"SshAuthenticationException\"]\n    source: \"SSH.NET src/Renci.SshNet/Common/"
          "SshAuthenticationException.cs\"\n    examples: [\"Renci.SshNet.Common.SshAuthenticationException: "
          "Permission denied (password).\"]\n")
    kb = load_knowledge_base(kb_copy, cache_dir=None)
    text = "smtp.example.com:587\nRenci.SshNet.Common.SshAuthenticationException: Permission denied (password)."
    with_signal = diagnose(text, kb=kb)
    plain = diagnose(text, kb=load_knowledge_base(DEFAULT_KNOWLEDGE_DIR, cache_dir=None))
    assert with_signal.facts.host == plain.facts.host
    assert _smtp_score(text, kb) == _smtp_score(text, load_knowledge_base(DEFAULT_KNOWLEDGE_DIR)) - 6


def _smtp_score(text: str, kb: KnowledgeBase) -> float:
    from bot.classify import classify
    return classify(extract(text, kb), kb).smtp_score


@pytest.mark.parametrize(("old", "new", "named"), [
    pytest.param('    source: "Lib/smtplib.py, SMTP.login(): if not', '    note: "Lib/smtplib.py, SMTP.login(): if not',
                 "signals[0](auth_extension_missing).source: is missing", id="missing_source"),
    pytest.param("    examples:\n      - \"Traceback", "    nothing:\n      - \"Traceback",
                 "signals[0](auth_extension_missing)", id="missing_examples"),
    pytest.param("kind: message\n    phrases:\n      - \"SMTP AUTH", "kind: quote\n    phrases:\n      - \"SMTP AUTH",
                 "signals[0](auth_extension_missing).kind", id="unknown_kind"),
    pytest.param("cause: tls_mismatch", "cause: tls_mismatched", "signals[2](starttls_missing).cause",
                 id="unknown_cause"),
    pytest.param("when: {language: [python]}", "when: {client: [pythn_smtplib]}",
                 "signals[1](no_common_mechanism).when.client", id="unknown_client_in_when"),
    pytest.param("      - 'STARTTLS extension", "      - '(a)\\1|STARTTLS extension",
                 "signals[2](starttls_missing).patterns[0]", id="bad_pattern"),
    pytest.param("  - id: no_common_mechanism", "  - id: auth_extension_missing", "(auth_extension_missing).id",
                 id="duplicate_id"),
    pytest.param("    patterns:\n      - 'STARTTLS extension not supported by server|SMTPNotSupportedError: STARTTLS'",
                 "    reply_code: 530",
                 "signals[2](starttls_missing).phrases", id="message_without_wording"),
])
def test_a_malformed_messages_signal_is_one_line_naming_file_signal_and_field(kb_copy: Path, old: str, new: str,
                                                                              named: str) -> None:
    _edit(kb_copy, old, new)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(kb_copy, cache_dir=None)
    line = str(caught.value)
    assert "\n" not in line
    assert f"messages/{FIXTURE.name}" in line, line
    assert named in line, line


@pytest.mark.parametrize(("old", "new", "named", "says"), [
    pytest.param("      - \"No suitable authentication method found\"\n",
                 "      - \"No suitable authentication method found\"\n      - \"no mechanism in common\"\n",
                 "signals[1](no_common_mechanism).phrases[1]", "'no mechanism in common' is hit by no example",
                 id="phrase_without_example"),
    pytest.param("|SMTPNotSupportedError: STARTTLS'", "|SMTPNotSupportedError: STARTTLS|TLS not offered'",
                 "signals[2](starttls_missing).patterns[0] alternative 3", "'TLS not offered' is hit by no example",
                 id="alternative_without_example"),
    pytest.param("smtplib.SMTPNotSupportedError: STARTTLS extension not supported by server.\"",
                 "smtplib.SMTPException: TLS is not there\"",
                 "signals[2](starttls_missing).examples[0]", "does not fire the signal",
                 id="example_that_does_not_fire"),
    pytest.param("when: {language: [python]}", "when: {language: [python], port: [2525]}",
                 "signals[1](no_common_mechanism).examples[0]", "`when` does not hold", id="example_failing_when"),
])
def test_kb_check_names_file_signal_and_field_of_an_uncovered_phrase_or_a_broken_example(
        kb_copy: Path, old: str, new: str, named: str, says: str) -> None:
    _edit(kb_copy, old, new)
    problems = _problems(kb_copy)
    assert len(problems) >= 1
    line = next((p for p in problems if named in p), "")
    assert f"messages/{FIXTURE.name}" in line, problems
    assert says in line, problems
    assert all("\n" not in p for p in problems)


@pytest.mark.parametrize(("pattern", "parts"), [
    ("a|b", ["a", "b"]),
    ("a(?:b|c)|d", ["a(?:b|c)", "d"]),
    (r"x[|(]y|z\|w", [r"x[|(]y", r"z\|w"]),
    (r"[]|]a|b", [r"[]|]a", "b"]),
    ("single", ["single"]),
])
def test_a_pattern_splits_at_its_top_level_alternatives_only(pattern: str, parts: list[str]) -> None:
    assert top_level_alternatives(pattern) == parts


def test_a_cause_s_hints_together_never_outrank_a_reply_code() -> None:
    assert KIND_WEIGHTS["hint"] * 5 > HINT_CAP
    assert HINT_CAP < KIND_WEIGHTS["code"] < KIND_WEIGHTS["message"]
    assert KIND_WEIGHTS["message"] * GENERIC_FACTOR < KIND_WEIGHTS["message"]


def test_a_not_example_that_fires_its_signal_fails_kb_check(kb_copy: Path) -> None:
    """`not_examples` hold look-alikes (a settings label, another library's words) that must not fire the signal."""
    _edit(kb_copy, '      - "smtplib.SMTPNotSupportedError: STARTTLS extension not supported by server."',
          '      - "smtplib.SMTPNotSupportedError: STARTTLS extension not supported by server."\n'
          '    not_examples:\n'
          '      - "STARTTLS extension not supported by server (the label of a settings page)"\n'
          '      - "STARTTLS: on"')
    problems = _problems(kb_copy)
    assert len(problems) == 1, problems
    assert "starttls_missing).not_examples[0]: fires the signal, and must not" in problems[0]
