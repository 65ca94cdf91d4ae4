"""Find and redact secrets before a paste reaches logs, the matcher, storage or any reply.

Rules come from ../shared/research/security.md §2.2 (gitleaks, detect-secrets and trufflehog formats plus the
SMTP-specific ones those scanners miss). All run on RE2, so the redactor cannot be made to backtrack. Each secret
becomes a typed placeholder, `[REDACTED:sendgrid_key]`, so the diagnosis can still say what kind of key it saw.
Over-redaction is acceptable; under-redaction is not. Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

__all__ = ["PLACEHOLDER", "Redaction", "redact"]

PLACEHOLDER = "[REDACTED:{kind}]"

# (kind, pattern, group): group 0 redacts the whole match; 1 redacts the first capture group that matched.
_RULES: tuple[tuple[str, str, int], ...] = (
    ("private_key", r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{16,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----", 0),
    ("url_password", r"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s:/?#@]{1,256}:(\S{1,256})@[^\s@/?#]+", 1),
    ("slack_token", r"\bxox[abeoprs]-[0-9A-Za-z-]{10,250}", 0),
    ("slack_token", r"(?i)\bxoxe\.xox[bp]-\d-[A-Z0-9]{100,200}", 0),
    ("slack_app_token", r"(?i)\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+", 0),
    ("slack_webhook", r"(?i)hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}", 0),
    ("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}", 0),
    ("aws_access_key_id", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b", 0),
    ("ses_smtp_password", r"(?:^|[^A-Za-z0-9+/])([AB][A-Za-z0-9+/]{43})(?:[^A-Za-z0-9+/=]|$)", 1),
    ("aws_secret_key", r"(?i)aws.{0,20}?(?:secret|key|pwd|pw|password|pass|token).{0,20}?[\"'=:\s]([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)", 1),
    ("mailgun_key", r"\b(?:key|pubkey)-[0-9a-f]{32}\b", 0),
    ("mailgun_key", r"\b[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}\b", 0),
    ("mailchimp_key", r"\b[0-9a-f]{32}-us[0-9]{1,2}\b", 0),
    ("brevo_key", r"\bx(?:keysib|smtpsib)-[0-9a-f]{64}-[A-Za-z0-9]{16}\b", 0),
    ("postmark_token", r"(?i)(?:postmark|x-postmark-(?:server|account)-token)[\s\S]{0,40}?\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b", 1),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}", 0),
    ("google_oauth_token", r"\bya29\.[0-9A-Za-z_-]{10,}", 0),
    ("app_password", r"(?i)(?:app[ _-]?password|passw(?:or)?d|pwd|\bpass\b)[^\n]{0,40}?\b([a-z]{4} ?[a-z]{4} ?[a-z]{4} ?[a-z]{4})\b", 1),
    # 12+ characters: shorter tokens are mechanism lists in EHLO replies ("AUTH PLAIN LOGIN250-…"), not credentials.
    ("smtp_auth_plain", r"(?im)\bAUTH\s+PLAIN\s+([A-Za-z0-9+/]{12,}={0,2})", 1),
    # The newline may be a real one or the two characters \n of a JSON-encoded log line.
    ("smtp_auth_login", r"334 UGFzc3dvcmQ6[ \t]*(?:\r?\n|(?:\\r)?\\n)[ \t]*(?:[A-Z]:|->|~>|<-|<~|>>)?[ \t]*([A-Za-z0-9+/]{4,}={0,2})", 1),
    ("http_authorization", r"(?i)\bAuthorization\s*[:=]\s*[\"']?(?:Basic|Bearer|Token)\s+([A-Za-z0-9+/=._~-]{8,})", 1),
    ("password", r"(?i)\bNetworkCredential\s*\(\s*[^,()]*,\s*@?\"([^\"\n]*)\"", 1),
    ("password", r"(?i)\bPasswordAuthentication\s*\(\s*[^,()]*,\s*\"([^\"\n]*)\"", 1),
    ("password", r"(?i)\.login\s*\(\s*[^,()]*,\s*(?:\"([^\"\n]*)\"|'([^'\n]*)')", 1),
    ("password", r"(?i)(?:--auth-password|--password|\s-ap)[ =]+([^\s\"']+)", 1),
    ("password", r"(?i)[\w.$>-]*(?:passw(?:or)?d|\bpass\b|_pass\b|pwd|secret|token|api[_-]?key|apikey|auth[_-]?key|credential)[\w.-]*[\"']?\s*(?:=|:=|:|=>)\s*@?(?:\"([^\"\n]{1,512})\"|'([^'\n]{1,512})'|`([^`\n]{1,512})`)", 1),
    ("password", r"(?m)^[ \t]*(?:export[ \t]+)?[A-Z0-9_.-]*(?:PASSW(?:OR)?D|PASS|PWD|SECRET|TOKEN|API_?KEY|APIKEY|CREDENTIALS?)[A-Z0-9_.-]*[ \t]*[:=][ \t]*([^\s\"'#][^\s#]{0,511})", 1),
    ("password", r"(?m)^[ \t-]*[a-z0-9_.-]*(?:passw(?:or)?d|pass|pwd|secret|token|api_?key|apikey|credentials?)[a-z0-9_.-]*[ \t]*:[ \t]+([^\s\"'#&*!|>{\[][^\s#]{0,511})", 1),
    ("password", r"(?im)^[ \t]*(?:\w+[ \t]+)?password[ \t]*(?:=|:|is)[ \t]*([^\s\"'#][^\s#]{0,511})", 1),
)

# Values that only stand for a secret: left readable, so "MAIL_PASSWORD=${SMTP_PASSWORD}" still reads as config.
_PLACEHOLDER_VALUE = re2.compile(
    r"(?i)^(?:\$\{?[A-Za-z_][\w.]*\}?|%env\([^)]*\)%|env\([^)]*\)|<[^<>]{0,40}>|\{\{[^{}]{0,60}\}\}|\*+|x{3,}|"
    r"\*{3}hidden\*{3}|\[redacted[^\]]*\]|redacted|hidden|null|none|nil|true|false|yes|no|on|off|"
    r"your[_ -]?(?:app[_ -]?)?password|password|secret|changeme|process\.env\.\w+|os\.environ.*|getenv\(.*|"
    r"settings\.\w+|config\(.*|\.\.\.|…)$")

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_COMPILED = tuple((kind, re2.compile(pattern, _OPTIONS), group) for kind, pattern, group in _RULES)


def _prefilter() -> Any:
    """One RE2 pass tells which rules can match at all; most pastes hold no secret and skip the other 29."""
    rule_set = re2.Set.SearchSet(_OPTIONS)
    for _kind, pattern, _group in _RULES:
        rule_set.Add(pattern)
    rule_set.Compile()
    return rule_set


_PREFILTER = _prefilter()


@dataclass(frozen=True)
class Redaction:
    """The text with every secret replaced, and the kinds of secret found (in order, no repeats)."""

    text: str
    kinds: tuple[str, ...]


def _span(match: Any, group: int) -> tuple[int, int] | None:
    if group == 0:
        start, end = match.span()
        return int(start), int(end)
    for index in range(1, (match.re.groups or 0) + 1):
        if match.group(index) is not None:
            start, end = match.span(index)
            return int(start), int(end)
    return None


def redact(text: str) -> Redaction:
    """Replace every secret in `text` with `[REDACTED:kind]`; placeholders like ${SMTP_PASSWORD} stay."""
    data = text.encode("utf-8", "replace")  # RE2 works on bytes; offsets below are byte offsets
    spans: list[tuple[int, int, int, str]] = []
    for order in sorted(_PREFILTER.Match(data) or ()):
        kind, regex, group = _COMPILED[order]
        for match in regex.finditer(data):
            span = _span(match, group)
            if span is None or span[0] == span[1]:
                continue
            value = data[span[0]:span[1]].strip()
            if not value or _PLACEHOLDER_VALUE.match(value):
                continue
            spans.append((span[0], order, span[1], kind))
    if not spans:
        return Redaction(text, ())
    # Same start: the rule listed first (the specific format, e.g. sendgrid_key) names the kind, not the
    # generic key=value rule that also caught it.
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for start, _order, end, kind in spans:
        if merged and start < merged[-1][1]:
            prev_start, prev_end, prev_kind = merged[-1]
            merged[-1] = (prev_start, max(prev_end, end), prev_kind)
        else:
            merged.append((start, end, kind))
    out: list[bytes] = []
    cursor = 0
    for start, end, kind in merged:
        out.append(data[cursor:start])
        out.append(PLACEHOLDER.format(kind=kind).encode())
        cursor = end
    out.append(data[cursor:])
    kinds = tuple(dict.fromkeys(kind for _s, _e, kind in merged))
    return Redaction(b"".join(out).decode("utf-8", "replace"), kinds)
