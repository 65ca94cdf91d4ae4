"""Find and redact secrets before a paste reaches logs, the matcher, storage or any reply.

Secrets are found by structure, not by position: a key that names a secret and its value wherever the pair sits
on a line (.env, INI, YAML, JSON, XML elements and attributes, PHP arrays and define(), .NET connection strings,
code in Python, PHP, JS, Go, Java, Ruby, PowerShell and C#, command-line flags), URLs with userinfo, SMTP AUTH in
every form (PLAIN and XOAUTH2 in one or two steps, LOGIN, CRAM replies), provider keys in their documented formats
(rule shapes from gitleaks `config/gitleaks.toml`, detect-secrets `plugins/` and trufflehog `pkg/detectors/`, see
../shared/research/security.md §2), PEM private keys with or without an END line, msmtprc/.netrc `password X`,
Postfix sasl_passwd lines, and high-entropy tokens right after a secret-like name.

Every rule runs on RE2 (linear in the input, no backtracking) and no rule uses a large counted repetition, so the
DFA stays small and a hostile paste costs about as much as a friendly one (tests/security/test_linear_time.py).
One `re2.Set` pass tells which rules can match at all. Each secret becomes a typed placeholder,
`[REDACTED:sendgrid_key]`, so the diagnosis can still say what kind of key it saw; placeholders people write
instead of a secret (`${SMTP_PASSWORD}`, `<password>`, `xxxx`, `********`) stay and are not reported.
Over-redaction is acceptable; under-redaction is not; a redaction that is not a secret (a false rotate warning)
is a bug too. Pure; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2

__all__ = ["IDENTIFIER_KINDS", "KINDS", "MAX_MATCHES", "PLACEHOLDER", "Redaction", "redact", "to_rotate"]

PLACEHOLDER = "[REDACTED:{kind}]"
MAX_MATCHES = 128  # candidate matches checked one by one; past this the rest of the text is redacted whole

# ---------------------------------------------------------------------------------------------- building blocks

# A line break as it really is, or as the two characters \n of a JSON-encoded / repr()'d log line.
_NL = r"(?:\r?\n|\\r\\n|\\n)"
# Words that make a key a secret's name (SMTP_PASSWORD, smtpPass, Pwd, api-key, AccessKey, client_secret, ...).
_SENSITIVE_WORD = (
    r"(?:passw(?:or)?d|passphrase|pass|pwd|\bpw\b|_pw\b|secret|token|api[_-]?key|apikey"
    r"|(?:access|account|auth|app|client|master|private|shared|sharedaccess|signing|smtp|sasl)[_-]?key"
    r"|credentials?)"
)
# A key: the secret word and the rest of the identifier, then an optional closing quote / bracket of the key.
_KEY = _SENSITIVE_WORD + r"[\w.-]*(?:\\?[\"'])?\]?"
# A quoted value in any of the quoting styles code uses (escaped quotes inside are part of the value).
_QUOTED = (
    r"(?:\"((?:[^\"\\\n]|\\.)*)\"|'((?:[^'\\\n]|\\.)*)'|`([^`\n]*)`|@\"([^\"\n]*)\""
    r"|\\\"((?:[^\"\\\n])*)\\\")"
)
_UNQUOTED = r"([^\s\"'`<>;,)\]}]+)"
_B64 = r"[A-Za-z0-9+/]"


def _smtp_reply_line(line: str) -> bool:
    """True for a server reply ("535 5.7.8 ...", "S: 334 ..."): such a line holds no client credential."""
    for token in line.split()[:4]:
        code = token.rstrip("-:")
        if len(code) == 3 and code.isdigit() and code[0] in "2345":
            return True
    return False


def _line_of(data: bytes, start: int) -> str:
    # a real line, or one line of a JSON-encoded log (between two literal \n)
    lo, hi = max(0, start - 1024), min(len(data), start + 1024)  # bounded: one credential line, not the paste
    begin = max(data.rfind(b"\n", lo, start) + 1, data.rfind(b"\\n", lo, start) + 2, lo)
    ends = [i for i in (data.find(b"\n", start, hi), data.find(b"\\n", start, hi)) if i >= 0]
    return data[begin:min(ends) if ends else hi].decode("utf-8", "replace")


def _not_a_reply(data: bytes, start: int, _end: int) -> bool:
    return not _smtp_reply_line(_line_of(data, start))


# Parts of a key that say its value is not the secret itself (a path, a length, a command, a switch).
_NOT_SECRET_SUBSTRING = (
    "bypass", "passthrough", "passthru", "compass", "passive", "passage", "passenger", "surpass", "maps",
    "length", "expir", "mechanism", "endpoint", "timeout", "lifetime", "eval", "command", "policy", "encoding",
)
_NOT_SECRET_PART = frozenset(
    ["url", "uri", "file", "path", "min", "max", "reset", "hint", "field", "prompt", "label", "mode", "enabled", "required", "cmd", "method", "type", "count", "ttl", "header", "placeholder", "regex", "pattern"]
)
_SEPARATORS = str.maketrans({c: " " for c in "_.-$>\\\"':=[]()</@,;`{}"})
_IDENT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-$")


def _key_names_a_secret(data: bytes, start: int, match_start: int) -> bool:
    """The key (the identifier around the secret word, up to the value) names the secret, not its file or size."""
    lo = max(0, match_start - 64)
    begin = match_start
    while begin > lo and data[begin - 1] in _IDENT:
        begin -= 1
    if data[max(0, begin - 3):begin] == b"://":
        return False  # smtps://apikey:pass@host is userinfo, the url_password rule's business
    raw = data[begin:start].decode("utf-8", "replace")
    key = raw.lower()
    if any(word in key for word in _NOT_SECRET_SUBSTRING):
        return False
    if raw != key and raw != raw.upper():  # camelCase: passwordFile -> password file
        key = "".join(" " + c if c.isupper() else c for c in raw).lower()
    key = key.translate(_SEPARATORS)
    return not _NOT_SECRET_PART.intersection(key.split())


_ENGLISH = frozenset({
    "is", "not", "was", "the", "a", "an", "and", "or", "for", "of", "to", "in", "on", "at", "be", "it", "set",
    "reset", "required", "incorrect", "correct", "wrong", "invalid", "expired", "changed", "empty", "missing",
    "accepted", "rejected", "failed", "ok", "fine", "same", "right", "too", "also", "still", "here", "there",
    "field", "please", "must", "should", "will", "can", "with", "from", "that", "this", "my", "your", "our",
    "their", "authentication", "login",
})


def _not_a_word(data: bytes, start: int, end: int) -> bool:
    """The value does not start with an ordinary word ("Password: not accepted", "password is incorrect")."""
    words = data[start:min(end, start + 64)].decode("utf-8", "replace").lower().split()
    return bool(words) and words[0].strip(".,;:!?\"'") not in _ENGLISH


def _looks_like_a_password(data: bytes, start: int, end: int) -> bool:
    """Prose ("my password is X"): X is no ordinary word and has a digit, a symbol or an inner capital."""
    value = data[start:end].decode("utf-8", "replace")
    return _not_a_word(data, start, end) and (not value.isalpha() or any(c.isupper() for c in value[1:]))


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _high_entropy(data: bytes, start: int, end: int) -> bool:
    value = data[start:end].decode("utf-8", "replace")
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    dotted_name = value.count(".") >= 1 and all(part.isalpha() for part in value.split(".") if part)
    return has_digit and has_alpha and not dotted_name and _entropy(value) >= 3.0


Check = Callable[[bytes, int, int], bool]



# Redacted, but identifiers rather than secrets: an AWS access key id names a key (it is the SES SMTP *username*,
# security.md §2 rule 8) and grants nothing without its secret, so pasting it alone asks for no rotation.
IDENTIFIER_KINDS = frozenset({"aws_access_key_id"})


def to_rotate(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The redacted kinds that are secrets someone must now rotate (identifiers left out)."""
    return tuple(k for k in kinds if k not in IDENTIFIER_KINDS)


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: str
    group: int = 1  # 0: the whole match; 1: the first capture group that matched
    check: Check | None = None  # (data, start, end) of the value -> still a secret?
    key_check: bool = False  # the key around the secret word must not name a path, length, command, ...
    # The value, read right after the match within VALUE_WINDOW bytes: the main pattern stops at the separator,
    # so RE2 never has to extract a capture group spanning a 40 KB run (that costs milliseconds per match).
    value: str | None = None


# Specific formats first: at the same start, the rule listed first names the kind (a SendGrid key assigned to
# MAIL_PASSWORD is a sendgrid_key, which is what lets the fix say "the username must be apikey").
_RULES: tuple[_Rule, ...] = (
    # --- private keys: BEGIN line, base64 / header lines, END line if there is one (a cut-off key still counts)
    _Rule("private_key",
          r"-----BEGIN[ A-Z0-9_-]*PRIVATE KEY(?: BLOCK)?-----"
          r"(?:(?:[ \t]*" + _NL + r")+[ \t]*(?:[A-Za-z0-9+/=]{4,}|(?:Proc-Type|DEK-Info|Comment|Version):[^\n\\]*)"
          r"|[ \t]+[A-Za-z0-9+/=]{16,})*"
          r"(?:(?:[ \t]*" + _NL + r")*[ \t]*-----END[ A-Z0-9_-]*-----)?", 0),
    # --- URLs with userinfo: smtps://user:pass@host, MAILER_DSN=..., redis://:pass@host; to the last @
    _Rule("url_password", r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/?#@\"'<>]*:([^\s/?#\"'<>]+)@[^\s@/?#\"'<>]"),
    # --- provider formats
    _Rule("slack_token", r"\bxox[abeoprs]-[0-9A-Za-z-]{10,}", 0),
    _Rule("slack_token", r"(?i)\bxoxe\.xox[bp]-\d-[A-Z0-9]{20,}", 0),
    _Rule("slack_app_token", r"(?i)\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+", 0),
    _Rule("slack_webhook", r"(?i)hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}", 0),
    _Rule("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}", 0),
    _Rule("aws_access_key_id", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b", 0),
    _Rule("ses_smtp_password", r"(?:^|[^A-Za-z0-9+/=])([AB][A-Za-z0-9+/]{43})(?:[^A-Za-z0-9+/=]|$)"),
    _Rule("aws_secret_key",
          r"(?i)aws.{0,20}?(?:secret|key|pwd|pw|password|pass|token).{0,20}?[\"'=:\s]([A-Za-z0-9/+]{40})"
          r"(?:[^A-Za-z0-9/+]|$)"),
    _Rule("mailgun_key", r"\b(?:key|pubkey)-[0-9a-zA-Z]{32}\b", 0),
    _Rule("mailgun_key", r"\b[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}\b", 0),
    _Rule("mailchimp_key", r"\b[0-9a-f]{32}-us[0-9]{1,2}\b", 0),
    _Rule("mandrill_key", r"(?i)mandrill[^\n]{0,40}?\b(md-[A-Za-z0-9_-]{22})\b"),
    _Rule("brevo_key", r"\bx(?:keysib|smtpsib)-[0-9a-f]{64}-[A-Za-z0-9]{16}\b", 0),
    _Rule("postmark_token",
          r"(?i)(?:postmark|x-postmark-(?:server|account)-token)[\s\S]{0,40}?"
          r"\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"),
    _Rule("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}", 0),
    _Rule("google_oauth_token", r"\bya29\.[0-9A-Za-z_-]{10,}", 0),
    _Rule("google_oauth_token", r"\b1//0[0-9A-Za-z_-]{30,}", 0),
    _Rule("google_client_secret", r"\bGOCSPX-[0-9A-Za-z_-]{24,}", 0),
    # Google / Outlook app passwords: 16 lowercase letters, in fours or not, as the value after a password word
    _Rule("app_password",
          r"(?i:app[ _-]?password|passw(?:or)?d|pwd|\bpass\b)[^\n]{0,40}?"
          r"\b([a-z]{4}[ \t]?[a-z]{4}[ \t]?[a-z]{4}[ \t]?[a-z]{4})\b[ \t]*(?:$|[\"'`,;)}\]\r\n\\])"),
    _Rule("twilio_api_key", r"\bSK[0-9a-fA-F]{32}\b", 0),
    _Rule("github_token", r"\bgh[pousr]_[A-Za-z0-9]{36,}", 0),
    _Rule("github_token", r"\bgithub_pat_[A-Za-z0-9_]{22,}", 0),
    _Rule("gitlab_token", r"\bglpat-[A-Za-z0-9_-]{20,}", 0),
    _Rule("stripe_key", r"\b(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}", 0),
    _Rule("stripe_key", r"\bwhsec_[A-Za-z0-9]{24,}", 0),
    _Rule("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}", 0),
    _Rule("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b", 0),
    _Rule("azure_communication_key", r"(?i)endpoint=https://[^;\s]+;\s*accesskey=([A-Za-z0-9+/=]{20,})"),
    _Rule("azure_client_secret", r"(?:^|[\s\"'=:>])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)"),
    _Rule("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_=-]*", 0),
    # --- SMTP AUTH
    _Rule("smtp_auth_plain", r"(?i)\bAUTH[ \t]+PLAIN[ \t]+(" + _B64 + r"{12,}={0,2})"),
    _Rule("smtp_auth_xoauth2", r"(?i)\bAUTH[ \t]+(?:XOAUTH2|OAUTHBEARER)[ \t]+(" + _B64 + r"{12,}={0,2})"),
    _Rule("smtp_auth_xoauth2", r"(?i)\bauth=Bearer[ \t]+([A-Za-z0-9._~+/=-]{8,})"),
    # two steps: "AUTH PLAIN" alone, the server's "334", then the client's base64 line
    _Rule("smtp_auth_plain",
          r"(?i)\bAUTH[ \t]+PLAIN[ \t]*(?:\\r|\\n|[\"'])*" + _NL + r"[^\n]*\b334\b[^\n]*?" + _NL +
          r"[^\n]*?(?:^|[\s:>'\"])(" + _B64 + r"{12,}={0,2})[ \t]*(?:\\r|\\n|[\"']|\r?\n|$)",
          check=_not_a_reply),
    _Rule("smtp_auth_xoauth2",
          r"(?i)\bAUTH[ \t]+(?:XOAUTH2|OAUTHBEARER)[ \t]*(?:\\r|\\n|[\"'])*" + _NL + r"[^\n]*\b334\b[^\n]*?" + _NL +
          r"[^\n]*?(?:^|[\s:>'\"])(" + _B64 + r"{12,}={0,2})[ \t]*(?:\\r|\\n|[\"']|\r?\n|$)",
          check=_not_a_reply),
    _Rule("smtp_auth_cram",
          r"(?i)\bAUTH[ \t]+(?:CRAM-MD5|CRAM-SHA1|DIGEST-MD5|SCRAM-SHA-1|SCRAM-SHA-256|NTLM)[^\n]*?" + _NL +
          r"[^\n]*\b334\b[^\n]*?" + _NL +
          r"[^\n]*?(?:^|[\s:>'\"])(" + _B64 + r"{12,}={0,2})[ \t]*(?:\\r|\\n|[\"']|\r?\n|$)",
          check=_not_a_reply),
    # AUTH LOGIN: the client line after the server's "334 Password:" prompt (base64 or decoded)
    _Rule("smtp_auth_login",
          r"334[ \t]+(?:UGFzc3dvcmQ6|cGFzc3dvcmQ6|Password:)[^\n]*?" + _NL +
          r"[^\n]*?(?:^|[\s:>'\"])(" + _B64 + r"{4,}={0,2})[ \t]*(?:\\r|\\n|[\"']|\r?\n|$)",
          check=_not_a_reply),
    _Rule("http_authorization",
          r"(?i)\b(?:Authorization|Proxy-Authorization)\s*[:=]\s*[\"']?(?:Basic|Bearer|Token|Digest)\s+"
          r"([A-Za-z0-9+/=._~-]{8,})"),
    # --- credentials in code: the password argument of the calls mail code makes
    _Rule("password", r"(?i)\bNetworkCredential\s*\(\s*[^,()\n]*,\s*(?:@?\"([^\"\n]*)\"|'([^'\n]*)')"),
    _Rule("password", r"(?i)\bPasswordAuthentication\s*\(\s*[^,()\n]*,\s*\"([^\"\n]*)\""),
    _Rule("password", r"(?i)\.(?:login|Authenticate|auth)\s*\(\s*[^,()\n]*,\s*(?:@?\"([^\"\n]*)\"|'([^'\n]*)')"),
    _Rule("password", r"\bPlainAuth\s*\(\s*\"[^\"\n]*\"\s*,\s*[^,()\n]*,\s*\"([^\"\n]*)\""),
    _Rule("password", r"\bCRAMMD5Auth\s*\(\s*[^,()\n]*,\s*\"([^\"\n]*)\""),
    _Rule("password", r"\bNewDialer\s*\(\s*[^,()\n]*,[^,()\n]*,\s*[^,()\n]*,\s*\"([^\"\n]*)\""),
    _Rule("password", r"(?i)\b(?:yagmail\.SMTP|SMTP_SSL\([^()\n]*\)\.login)\s*\(\s*[^,()\n]*,\s*(?:\"([^\"\n]*)\"|'([^'\n]*)')"),
    _Rule("password", r"\b(?:Transport\.send|\.connect)\s*\(\s*[^()\n]*,\s*\"[^\"\n]*\"\s*,\s*\"([^\"\n]*)\"\s*\)"),
    _Rule("password", r"(?i)\.start\s*\([^()\n]*,\s*['\"][^'\"\n]*['\"]\s*,\s*['\"]([^'\"\n]*)['\"]\s*,\s*:(?:plain|login|cram_md5)"),
    _Rule("password", r"(?i)ConvertTo-SecureString\s+(?:-String\s+)?(?:\"([^\"\n]*)\"|'([^'\n]*)')"),
    # define('WPMS_SMTP_PASS', '...'), props.put("mail.smtp.password", "..."), setdefault("SMTP_PASSWORD", "...")
    _Rule("password", r"(?i)\(\s*[\"'][^\"'\n]*" + _SENSITIVE_WORD + r"[^\"'\n]*[\"']\s*,\s*" + _QUOTED,
          key_check=True),
    # --- command-line flags
    _Rule("password", r"(?:^|\s)(?:--user|-u|--proxy-user|-U)(?:[ \t]+|=)[\"']?[^\s:\"'@]+(?:@[^\s:\"']+)?:([^\s\"']+)"),
    _Rule("password",
          r"(?i)(?:^|\s)(?:--auth-password|--password|--passwd|--pass|--smtp-password|--oauth2-bearer|-ap|-xp|-pw"
          r"|-auth-password|/password)(?:[ \t]+|=|:)", value=r"(?:\"([^\"\n]*)\"|'([^'\n]*)'|([^\s\"']+))"),
    # --- XML: <password>x</password>, <add key="SmtpPassword" value="x"/>, <param name="SMTPPassword" value="x"/>
    _Rule("password", r"(?i)<[\w:.-]*" + _SENSITIVE_WORD + r"[\w:.-]*(?:\s[^<>\n]*)?>([^<\n]+)</", key_check=True),
    _Rule("password",
          r"(?i)\b(?:key|name)[ \t]*=[ \t]*[\"'][^\"'\n]*" + _SENSITIVE_WORD + r"[^\"'\n]*[\"'][ \t]+value[ \t]*=[ \t]*"
          r"(?:\"([^\"\n]*)\"|'([^'\n]*)')", key_check=True),
    # --- key/value pairs wherever they sit on a line
    _Rule("password", r"(?i)" + _KEY + r"[ \t]*(?:=>|:=|=|:)[ \t]*", value=_QUOTED + "|" + _UNQUOTED,
          key_check=True, check=_not_a_word),
    # a key at the start of a line (.env, INI, YAML, properties): the value runs to the end of the line
    _Rule("password",
          r"(?im)^[ \t]*(?:-[ \t]+|export[ \t]+|set[ \t]+|\$)?[\w.$-]*" + _KEY + r"[ \t]*(?:=|:)[ \t]*",
          value=r"(?m)([^\s\"'`#][^\n]*?)[ \t]*(?:[ \t]#[^\n]*)?$", key_check=True, check=_not_a_word),
    # URL query strings: ?password=...&
    _Rule("password", r"(?i)[?&][\w.-]*" + _SENSITIVE_WORD + r"[\w.-]*=", value=r"([^&#\s\"'<>]+)", key_check=True),
    # --- config formats that separate key and value with a space
    _Rule("password", r"(?im)^[ \t]*(?:password|passwd)[ \t]+(\S+)[ \t]*(?:#[^\n]*)?$"),  # msmtprc
    _Rule("password", r"(?i)\b(?:machine[ \t]+\S+|default)\b[^\n]*?\bpassword[ \t]+(\S+)"),  # .netrc
    _Rule("password", r"(?i)\blogin[ \t]+\S+[ \t]+password[ \t]+(\S+)"),  # .netrc
    # Postfix sasl_passwd: "[smtp.example.com]:587 user:password" (also without brackets), static:user:password
    _Rule("password", r"\[[A-Za-z0-9.-]+\](?::[0-9]+)?[ \t]+[^\s:\[\]]+:(\S+)"),
    _Rule("password", r"(?m)^[ \t]*[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?[ \t]+[^\s:@]+(?:@[^\s:]+)?:(\S+)[ \t]*$"),
    _Rule("password", r"(?i)\bstatic:[^\s:]+:(\S+)"),
    # prose: "my password is hunter2", "password for the mailbox: hunter2"
    _Rule("password", r"(?i)\bpassword[ \t]+is[ \t]+([^\s\"'#][^\s#]*)", check=_looks_like_a_password),
    # a high-entropy token right after a secret-like name ("sendgrid api key Ab3d...")
    _Rule("token",
          r"(?i)\b(?:password|passwd|pwd|secret|token|api[ _-]?key|apikey|access[ _-]?key|auth[ _-]?key|credentials?)"
          r"\b[ \t]+(?:(?:is|was|of|for)[ \t]+)?[\"'`]?([A-Za-z0-9+/_.~=-]{16,})", check=_high_entropy),
)

KINDS: tuple[str, ...] = tuple(dict.fromkeys(rule.kind for rule in _RULES))

# Values that only stand for a secret: left readable, so "MAIL_PASSWORD=${SMTP_PASSWORD}" still reads as config.
_PLACEHOLDER_VALUE = re2.compile(
    r"(?i)^(?:\$\{?[A-Za-z_][\w.:-]*\}?|\$env:\w+|%[\w.]+%|%env\([^)]*\)%|env\([^)]*\)|ENV\[[^\]]*\]"
    r"|ENV\.fetch\(.*|<[^<>]{0,40}>|<%=.*%>|\{\{[^{}]{0,60}\}\}|\{[\w.-]{1,40}\}|\*+|•+|x{3,}|\.{3,}|…"
    r"|\*{3}hidden\*{3}|\[redacted[^\]]*\]|\[credentials hidden\]|\[hidden\]|redacted|hidden|null|none|nil|undefined"
    r"|true|false|yes|no|on|off|your[_ -]?(?:app[_ -]?|smtp[_ -]?|api[_ -]?|email[_ -]?)?(?:password|key|token|secret)"
    r"|password|secret|changeme|example|process\.env\.\w+|os\.environ.*|os\.getenv\(.*|getenv\(.*"
    r"|System\.getenv\(.*|Environment\.GetEnvironmentVariable\(.*|config\(.*|settings\.\w+"
    r"|(?:self|this|cfg|config|conf|settings|options|opts|params|args|props|creds|credentials|secrets|env)"
    r"\.[\w.]+)[;,]?$")

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_COMPILED = tuple((rule, re2.compile(rule.pattern, _OPTIONS)) for rule in _RULES)
_KV_VALUE = re2.compile(_QUOTED + "|" + _UNQUOTED, _OPTIONS)
_KV_UNQUOTED = re2.compile(_UNQUOTED, _OPTIONS)
_QUOTE_STARTS = frozenset(b"\"'`@\\")
_VALUES = tuple((_KV_VALUE if rule.value == _QUOTED + "|" + _UNQUOTED else re2.compile(rule.value, _OPTIONS))
                if rule.value else None for rule in _RULES)
VALUE_WINDOW = 512  # a value longer than this is redacted to the end of its line


def _prefilter() -> Any:
    """One RE2 pass tells which rules can match at all; most pastes hold no secret and skip the rest."""
    rule_set = re2.Set.SearchSet(_OPTIONS)
    for rule in _RULES:
        rule_set.Add(rule.pattern)
    rule_set.Compile()
    return rule_set


_PREFILTER = _prefilter()


@dataclass(frozen=True)
class Redaction:
    """The text with every secret replaced, and the kinds of secret found (in order, no repeats)."""

    text: str
    kinds: tuple[str, ...]


# RE2's own match call, without the Python wrapper's generator and match objects (about 8 us a call, which is
# most of a 2 KB paste's redaction): each call returns the (start, end) of every group, (-1, -1) when unset.
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED
_ANCHOR_START = re2._re2.RE2.Anchor.ANCHOR_START


def _groups(regex: Any, data: bytes, pos: int, endpos: int, anchor: Any = _UNANCHORED) -> Any:
    """The group spans of the first match in data[pos:endpos], or None."""
    spans = regex._regexp.Match(anchor, data, pos, endpos)
    return spans if spans[0][0] >= 0 else None


def _matches(regex: Any, data: bytes) -> Any:
    """Every non-overlapping match's group spans, left to right (what finditer yields, cheaper)."""
    pos, end = 0, len(data)
    while pos <= end:
        spans = _groups(regex, data, pos, end)
        if spans is None:
            return
        yield spans
        pos = spans[0][1] if spans[0][1] > spans[0][0] else spans[0][1] + 1


def _span(spans: Any, group: int) -> tuple[int, int] | None:
    if group == 0:
        return spans[0]  # type: ignore[no-any-return]
    for span in spans[1:]:
        if span[0] >= 0:
            return span  # type: ignore[no-any-return]
    return None


def _is_placeholder(value: bytes) -> bool:
    if len(value) > 120:  # placeholders are short; a long value is checked no further
        return False
    if _groups(_PLACEHOLDER_VALUE, value, 0, len(value), _ANCHOR_START) is not None:
        return True
    letters = set(value.lower()) - set(b"-_. ")
    return bool(letters) and letters <= set(b"x*#\xe2\x80\xa2")  # XXXX-XXXX, ****, ####, ••••


def _token_at(data: bytes, start: int, end: int) -> bytes:
    """The value run on to the next space: `env(` cut at its quote is `env('MAIL_PASSWORD')`, a placeholder."""
    stop = end
    limit = min(len(data), end + 200)
    while stop < limit and data[stop] not in b" \t\r\n,;":
        stop += 1
    return data[start:stop]


def _trim(data: bytes, start: int, end: int) -> tuple[int, int]:
    while start < end and data[start] in b" \t\r\n":
        start += 1
    while end > start and data[end - 1] in b" \t\r\n":
        end -= 1
    return start, end


def redact(text: str) -> Redaction:
    """Replace every secret in `text` with `[REDACTED:kind]`; placeholders like ${SMTP_PASSWORD} stay."""
    data = text.encode("utf-8", "replace")  # RE2 works on bytes; offsets below are byte offsets
    spans: list[tuple[int, int, int, str]] = []
    budget = MAX_MATCHES
    for order in sorted(_PREFILTER.Match(data) or ()):
        rule, regex = _COMPILED[order]
        for match in _matches(regex, data):
            budget -= 1
            if budget < 0:
                # No real paste holds this many candidate secrets: redact from here to the end rather than spend
                # tens of microseconds checking each one (a hostile paste stays as cheap as an ordinary one).
                spans.append((match[0][0], order, len(data), rule.kind))
                break
            if (value_regex := _VALUES[order]) is not None:
                at = match[0][1]
                window = min(len(data), at + VALUE_WINDOW)
                if value_regex is _KV_VALUE and at < len(data) and data[at] not in _QUOTE_STARTS:
                    value_regex = _KV_UNQUOTED  # one group, one pass: far cheaper than the quoted alternatives
                value = _groups(value_regex, data, at, window, _ANCHOR_START)
                span = _span(value, 1) if value is not None else None
                if span is not None and span[1] >= window:  # runs past the window: redact to the end of line
                    line_end = data.find(b"\n", window)
                    span = (span[0], line_end if line_end >= 0 else len(data))
            else:
                span = _span(match, rule.group)
            if span is None:
                continue
            start, end = _trim(data, *span)
            if start >= end or _is_placeholder(data[start:end]) or _is_placeholder(_token_at(data, start, end)):
                continue
            if rule.check is not None and not rule.check(data, start, end):
                continue
            if rule.key_check and not _key_names_a_secret(data, start, match[0][0]):
                continue
            spans.append((start, order, end, rule.kind))
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
