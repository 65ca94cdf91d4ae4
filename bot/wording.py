"""How sure an answer may sound: the ONE wording decision every view uses (terminal, console, Slack, --json). Pure.

    likely              the top cause is at or above the calibrated threshold (bot.diagnose.CHANNEL_THRESHOLD,
                        the same test as `channel_reply`; README "Confidence": right ~92 % at 0.5-0.7, ~98 % above)
    possibly            below it, and the top cause has something of this paste behind it (a line of the paste, a
                        contradiction in the settings, a probe finding): named, as uncertain, with what decides
    not_enough          otherwise: no cause worth naming; ask for the error the app shows. Also mail settings alone
                        (a host and a submission port, no failure) that contradict nothing, for a server the
                        knowledge base does not know, and which the classifier did not take for SMTP
    settings_look_right the paste is settings only (host and port, no error text) and they agree with one of the
                        detected provider's documented submission entries (knowledge/providers/*.yaml)
    not_smtp            the paste is neither an SMTP problem nor mail settings

The words themselves are the views' (bot/render/headline.py); this module only decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import re2

from bot.diagnose import CHANNEL_THRESHOLD
from bot.kb.model import KnowledgeBase
from bot.model import CauseMatch, Diagnosis, Facts
from bot.smtp import SUBMISSION_PORTS

__all__ = ["WORDINGS", "SettingsMatch", "Wording", "error_text", "settings_match", "settings_only", "wording"]

Wording = Literal["likely", "possibly", "not_enough", "settings_look_right", "not_smtp"]
WORDINGS: tuple[Wording, ...] = ("likely", "possibly", "not_enough", "settings_look_right", "not_smtp")

# Not a cause at all (other_smtp with only its fallback line is "not enough": nothing of the paste is behind it).
_NO_CAUSE = frozenset({"not_smtp"})

_O = re2.Options()
_O.log_errors = False
_O.case_sensitive = False
# Words an app, a library or a person uses to report a failure (a symptom such as "it hangs" included; "nothing
# arrives" is not one: with settings alone it gets the settings verdict and the request for the error). Whole
# words only: `rejectUnauthorized`, `ErrorInfo` and `SMTP_TIMEOUT=30` are settings, not errors.
_FAILURE = re2.compile(
    r"\b(?:errors?|fail(?:s|ed|ure|ing)?|refused|denied|rejected|invalid|incorrect|unable|cannot|can't|can ?not|"
    r"could ?n[o']t|not (?:accepted|allowed|authenticated|working|sent|delivered)|doesn'?t work|does not work|"
    r"won'?t|isn'?t working|timed ?out|exception|traceback|unauthori[sz]ed|forbidden|blocked|bounced?|"
    r"undeliverable|hangs?|hanging|hung|stuck|freezes|frozen|"
    r"E(?:AUTH|CONNECTION|CONNREFUSED|CONNRESET|TIMEDOUT|SOCKET|ENVELOPE|MESSAGE|TLS|NOTFOUND))\b",
    _O)


def _code_line(line: str) -> bool:
    """A line of configuration code, not text an app printed: PHPMailer's `catch (Exception $e) {`, a comment,
    a statement ending in `;`, `{` or `}`. Their words (`Mailer Error: {$mail->ErrorInfo}`) report nothing."""
    s = line.strip()
    return (s.endswith((";", "{", "}", "},", "});", ")", "),"))
            or s.startswith(("//", "#", "/*", "*", "<?php", "?>", "$", "->", "}", "catch", "try", "echo", "print",
                             "console.", "if ", "else")))


def error_text(d: Diagnosis) -> bool:
    """Whether the paste reports a failure at all: a reply or enhanced status code, an SMTP dialogue, a probe
    finding, or a line (not configuration code) with the words of a failure."""
    facts = d.facts
    if facts.reply_codes or facts.enhanced_codes or d.findings or d.transcript is not None:
        return True
    return any(_FAILURE.search(line) for line in d.text.splitlines() if line.strip() and not _code_line(line))


@dataclass(frozen=True)
class SettingsMatch:
    """The provider's documented submission entry the pasted settings agree with, and what the paste showed."""

    provider: str                   # knowledge/providers id
    host: str                       # the documented host (may hold a placeholder such as <region>)
    port: int
    tls: str                        # bot.smtp.TLS_MODES
    username: str | None            # how the provider wants the username written, in words; None: not checkable
    shown: frozenset[str]           # which of "host", "port", "tls", "username" the paste itself showed


def _host_matches(pattern: str, host: str) -> bool:
    """`host` is the documented host; a `<placeholder>` stands for one or more labels (`<region>`, `<tenant>`)."""
    pattern = pattern.lower()
    if "<" not in pattern:
        return host == pattern
    lo, hi = pattern.index("<"), pattern.rfind(">")
    if lo > hi:
        return False
    prefix, suffix = pattern[:lo], pattern[hi + 1:]
    middle = host[len(prefix):len(host) - len(suffix)] if len(host) > len(prefix) + len(suffix) else ""
    return bool(middle) and host.startswith(prefix) and host.endswith(suffix) and \
        all(ch.isalnum() or ch in "-." for ch in middle)


def _username(data: Mapping[str, Any], facts: Facts) -> tuple[str | None, bool]:
    """(the provider's username rule in words, or None when it cannot be checked; whether the paste agrees)."""
    rule = data.get("username") or {}
    form, value = rule.get("form"), rule.get("value")
    if form == "full_address":
        return "full address as username", facts.username_form in (None, "full_address")
    if form == "literal" and value:
        return f'username "{value}"', facts.username is None or facts.username.lower() == str(value).lower()
    if form == "access_key_id":
        return "SMTP credentials' user name (AKIA…) as username", facts.username_form in (None, "aws_key_id")
    return None, facts.username_form != "empty"


def settings_match(d: Diagnosis, kb: KnowledgeBase) -> SettingsMatch | None:
    """The detected provider's submission entry these settings agree with: the host and port the paste names,
    the encryption when it names one, the username's form when it shows one. None when any disagrees, when
    settings lint found a contradiction, or when the paste names no provider, host or port."""
    facts = d.facts
    provider = kb.providers.get(facts.provider or "")
    if provider is None or not facts.host or facts.port is None or d.lint:
        return None
    host = facts.host.lower()
    for entry in provider.data.get("submission") or ():
        if entry.get("port") != facts.port or not _host_matches(str(entry.get("host", "")), host):
            continue
        tls = str(entry.get("tls") or "")
        if facts.tls_mode and facts.tls_mode != tls:
            continue
        words, agrees = _username(provider.data, facts)
        if not agrees:
            return None
        shown = {"host", "port"} | ({"tls"} if facts.tls_mode else set()) | \
            ({"username"} if facts.username_form not in (None, "empty") else set())
        return SettingsMatch(provider=provider.id, host=str(entry["host"]), port=int(entry["port"]), tls=tls,
                             username=words, shown=frozenset(shown))
    return None


def settings_only(d: Diagnosis) -> bool:
    """The paste is mail settings and nothing else: a host and a submission port read, no failure reported."""
    return bool(d.facts.host) and d.facts.port in SUBMISSION_PORTS and not error_text(d)


def _from_paste(d: Diagnosis, match: CauseMatch, *, quotes: bool) -> bool:
    """This cause has the paste behind it: a settings contradiction or a probe finding, or (`quotes`) a line
    quoted from the paste; not only a reason the knowledge base gives for a provider or a library."""
    for e in match.evidence:
        if e.source != "paste":
            return True
        quote = e.text.strip("…").strip()
        if quotes and quote and quote[:120] in d.text:
            return True
    return False


def wording(d: Diagnosis, kb: KnowledgeBase, cause_id: str | None = None) -> Wording:
    """How sure this answer may sound (see the module's doc): the one decision every view and --json use.
    `cause_id`: the cause a view shows instead of the top one (Slack's "other causes"); default the top one."""
    only_settings = cause_id is None and bool(d.facts.host) and not error_text(d)
    # Settings that match the provider's documentation get their verdict even when the classifier did not take
    # them for an SMTP problem (there is none in them yet).
    if only_settings and settings_match(d, kb) is not None:
        return "settings_look_right"
    if not d.is_smtp:
        # mail settings for a server nobody knows are not "not about SMTP": there is just nothing to go on yet
        return "not_enough" if cause_id is None and settings_only(d) else "not_smtp"
    if cause_id is not None:  # a cause the reader chose from the others: named, as uncertain unless it is sure
        match = next((c for c in d.causes if c.id == cause_id), None)
        return "likely" if match is not None and match.confidence >= CHANNEL_THRESHOLD else "possibly"
    top = d.top
    if top is None or top.id in _NO_CAUSE:
        return "not_enough"
    if top.confidence >= CHANNEL_THRESHOLD:
        return "likely"
    # Below the threshold a cause is worth naming when the paste is behind it. In settings alone, a quoted setting
    # line ("MAIL_ENCRYPTION=tls") is no sign of a fault: only a contradiction the settings lint found is.
    return "possibly" if _from_paste(d, top, quotes=not only_settings) else "not_enough"
