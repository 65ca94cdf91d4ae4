"""The first line of every answer, in the words bot.wording decided: the same for the terminal, the console,
Slack and --json. Plain text, no markup and no percentage ("Likely cause: X (12 %)" is never said). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from bot.classify import deciding_fact
from bot.kb.model import KnowledgeBase
from bot.model import Diagnosis
from bot.render.names import cause_title, provider_name
from bot.wording import SettingsMatch, Wording, error_text, settings_match, settings_only, wording

__all__ = ["ASK_FOR_ERROR", "NOT_SMTP", "Headline", "headline"]

ASK_FOR_ERROR = ("paste the error the app shows (the line with the reply code and its text, e.g. "
                 "\"535 5.7.8 Authentication failed\", or the exception and its message)")
NOT_SMTP = ("This does not look like an SMTP sending problem, so there is nothing to diagnose. Paste the SMTP "
            "error (reply code and text) or the mail settings (host, port, encryption, username).")
_DECIDE_DEFAULT = "the exact error the app shows (its reply code and text)"
# The paste has the error, and no deciding fact is written down for the causes in the running: more of the same log.
_DECIDE_MORE_LOG = ("more of the same log: the lines before this error, or the SMTP dialogue with debug output on "
                    "(the command the client sent and the server's full reply)")
_TLS_WORDS = {"starttls": "STARTTLS", "implicit": "implicit TLS (SSL/TLS)", "none": "no encryption"}


@dataclass(frozen=True)
class Headline:
    """What an answer opens with."""

    level: Wording
    title: str              # short, plain: a Slack header (<= 150 characters) or the terminal's first line
    text: str               # the opening sentence(s), plain text
    cause_id: str | None    # the cause named (likely / possibly)
    show_fix: bool          # whether the cause's fix follows (likely, possibly)


def _lower_first(title: str) -> str:
    """"Encryption mode …" -> "encryption mode …"; an acronym ("TLS handshake …", "SMTP …") keeps its case."""
    if len(title) > 1 and title[0].isupper() and not title[1].isupper():
        return title[0].lower() + title[1:]
    return title


def _settings_text(kb: KnowledgeBase, m: SettingsMatch) -> tuple[str, str]:
    name = provider_name(kb, m.provider) or m.provider
    tls = _TLS_WORDS.get(m.tls, m.tls)
    parts = [m.host, str(m.port), tls] + ([m.username] if m.username else [])
    text = f"These settings look right for {name}: {', '.join(parts)} — paste the error you see."
    unshown = ([f"encryption {tls}"] if "tls" not in m.shown else []) + \
        ([m.username] if m.username and "username" not in m.shown else [])
    if unshown:
        text += f" Not read from the paste, so check: {'; '.join(unshown)}."
    return f"These settings look right for {name}", text


def _settings_read(d: Diagnosis) -> str:
    """The settings read from the paste, in words: "mail.example.org, 587, STARTTLS, full address as username"."""
    f = d.facts
    parts = [f.host or "", str(f.port)] + ([_TLS_WORDS.get(f.tls_mode, f.tls_mode)] if f.tls_mode else []) + \
        ([f"username {f.username}"] if f.username and f.username_form not in ("empty", "aws_key_id") else [])
    return ", ".join(p for p in parts if p)


def _decider(d: Diagnosis, kb: KnowledgeBase, cid: str) -> str | None:
    """The fact that would settle an uncertain answer: the engine's own when it saw two close causes, else what
    the knowledge base says tells this cause from the runner-up."""
    if d.ambiguity:
        return d.ambiguity
    second = next((c.id for c in d.causes if c.id != cid), None)
    return deciding_fact(kb, cid, second, d.facts.host) if second else None


def headline(d: Diagnosis, kb: KnowledgeBase, cause_id: str | None = None) -> Headline:
    """The answer's opening for `d` (or for `cause_id`, a cause the reader picked among the others)."""
    level = wording(d, kb, cause_id)
    if level == "not_smtp":
        return Headline(level, "Not an SMTP sending problem", NOT_SMTP, None, False)
    if level == "settings_look_right":
        match = settings_match(d, kb)
        assert match is not None  # wording() said so
        title, text = _settings_text(kb, match)
        return Headline(level, title, text, None, False)
    if level == "not_enough":
        read = _settings_read(d) if settings_only(d) else ""
        text = (f"Not enough to go on: the settings ({read}) do not contradict each other, and nothing in the paste "
                f"says what fails: {ASK_FOR_ERROR}." if read else f"Not enough to go on: {ASK_FOR_ERROR}.")
        return Headline(level, "Not enough to go on", text, None, False)
    cid = cause_id or (d.top.id if d.top else "other_smtp")
    title = cause_title(kb, cid)
    if level == "likely":
        return Headline(level, f"Likely cause: {title}", f"Likely cause: {title}", cid, True)
    decider = _decider(d, kb, cid) if cause_id is None or (d.top is not None and d.top.id == cause_id) else None
    decider = decider or (_DECIDE_MORE_LOG if error_text(d) else _DECIDE_DEFAULT)
    text = f"Possibly {_lower_first(title)} — not certain from this paste. What would decide: {decider}"
    if not text.endswith((".", "?", "!")):
        text += "."
    return Headline(level, f"Possibly: {title}", text, cid, True)
