"""Read an SMTP dialogue out of a debug transcript or an MTA log, and find the step where it failed. Pure; no I/O.

The formats people paste (each recognised by what the tool itself prints):

  PHPMailer SMTPDebug      ``2024-05-01 10:00:01 SERVER -> CLIENT: 220 …`` / ``CLIENT -> SERVER: EHLO …``
  swaks                    ``=== Connected to …`` / `` -> EHLO`` / ``<-  250 …`` / ``<** 535 …`` / ``*** …``
  Nodemailer logger,       ``[…] DEBUG [id] S: 220 …`` / ``C: EHLO …`` (also MailKit's ProtocolLogger, aiosmtpd)
  MailKit ProtocolLogger
  Python smtplib           ``send: 'ehlo …\\r\\n'`` / ``reply: b'250-…\\r\\n'`` (set_debuglevel(1))
  Ruby Net::SMTP           ``<- "EHLO …\\r\\n"`` / ``-> "250-…\\r\\n"`` (debug_output; the arrows point the other way)
  JavaMail mail.debug,     bare lines: ``220 smtp.example.com ESMTP`` / ``EHLO host`` (``DEBUG SMTP: …`` notes);
  telnet / openssl         the same for a session typed by hand
  Postfix smtp(8)          ``… said: 535 5.7.8 … (in reply to AUTH command)``, ``… while receiving the initial
                           server greeting``
  Exim                     ``SMTP error from remote mail server after RCPT TO:<…>: 550 …``

Who sent a line is read from its content (a three-digit reply is the server's, a command verb is the client's),
so one reader serves every arrow convention. The dialogue becomes a list of exchanges (step, what the client
sent, what the server replied, ok); the failing step is the last one answered with 4yz/5yz, or a step that got
no answer, or a connection/TLS error printed after it. AUTH payload lines are never kept: they show as
"[credentials hidden]" whatever the redactor made of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

__all__ = ["STEPS", "Exchange", "Transcript", "read_transcript"]

STEPS = ("connect", "greeting", "ehlo", "starttls", "tls", "auth", "mail", "rcpt", "data", "end_of_data", "quit")
MAX_EXCHANGES = 400     # a transcript of a million lines is read in bounded time and memory
MAX_FIELD = 300         # characters kept of one line
HIDDEN = "[credentials hidden]"

_O = re2.Options()
_O.log_errors = False
_O.max_mem = 32 << 20


def _re(pattern: str) -> Any:
    return re2.compile(pattern, _O)


# Each line is sorted by cheap substring tests first; only lines that pass meet a (small) RE2 pattern. One big
# alternation with capture groups over the whole paste cost ~36 ms on a dense 40 KB paste (RE2 extracts
# submatches with its slower engines); the line walk costs ~1 ms.
_POSTFIX = _re(r"said: ([2-5]\d\d[ -].*?)[ \t]*\(in reply to ([A-Za-z ]{3,20}?) command\)")
_EXIM = _re(r"SMTP error from remote mail server after (initial connection|pipelined [A-Za-z ]+?|end of data|"
            r"[A-Z][A-Za-z ]{1,12}?)(?::<[^>]*>)?[^:]*: ([2-5]\d\d.*)$")
_WHILE = ("receiving the initial server greeting", "receiving the initial SMTP greeting",
          "performing the EHLO handshake", "performing the HELO handshake", "sending MAIL FROM", "sending RCPT TO",
          "sending message body", "sending end of data", "sending DATA command")
_NOTE = _re(r"(?i)connection refused|timed out|could not connect|failed to connect|unable to connect|"
            r"no route to host|network is unreachable|getaddrinfo|name or service not known|connect(?:ion)? timeout|"
            r"timeout (?:expired|exceeded|waiting)|read timeout|timeoutexception|unknown host|handshake|certificate|"
            r"wrong version number|ssl routines|tls startup failed|could not convert socket to tls|"
            r"remote host closed connection|connection (?:reset|closed|lost)|eof caught|unexpected eof|"
            r"greeting never received")
_CONNECTED = ("Connection: opened", "=== Connected to", "DEBUG SMTP: connected to host", "Connection established to",
              "Connected to smtp://", "Connected to smtps://")
_ARROWS = ("->", "~>", "<-", "<~", "<**", "<~*", "***", "===", ">>>", "<<<")
_VERBS = ("EHLO", "HELO", "LHLO", "STARTTLS", "AUTH", "MAIL FROM", "RCPT TO", "DATA", "QUIT", "RSET")
MAX_LINES = 20_000
# Lines worth a look, found in one pass with no capture groups (RE2's DFA): dialogue markers, MTA wording, bare
# replies and commands, error notes. Everything else in a long log is skipped without a Python-level step.
_CANDIDATE = _re(
    r"(?mi)-> |<- |~> |<~ |<\*\*|^[ \t]*\*\*\* |^[ \t]*=== |>>>|<<<|\bS:[ \t]|\bC:[ \t]|\bsend: |\breply: |"
    r"\(in reply to |SMTP error from remote mail server|while (?:receiving|performing|sending) |"
    r"Connection: opened|connected to host|Connection established to|Connected to smtps?://|"
    r"^[ \t]*[2-5]\d\d(?:[ -]|$)|^[ \t]*(?:EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL FROM|RCPT TO|DATA|QUIT|RSET)\b|"
    r"connection refused|timed out|could not connect|failed to connect|unable to connect|no route to host|"
    r"network is unreachable|getaddrinfo|name or service not known|timeout|unknown host|handshake|certificate|"
    r"wrong version number|ssl routines|tls startup failed|could not convert socket|remote host closed|"
    r"connection (?:reset|closed|lost)|eof caught|unexpected eof|greeting never received")


def _dialogue(line: str) -> tuple[str, str, str] | None:
    """(format, marker, body) for a line of a dialogue, or None."""
    for marker in ("CLIENT -> SERVER:", "SERVER -> CLIENT:"):
        at = line.find(marker)
        if at >= 0:
            return "phpmailer", marker.split()[0], line[at + len(marker):]
    stripped = line.lstrip(" \t")
    head, _, rest = stripped.partition(" ")
    if head in _ARROWS and rest:
        rest = rest.lstrip(" \t")
        return ("ruby" if rest.startswith('"') and head in ("->", "<-") else "swaks"), head, rest
    for marker in ("S: ", "C: ", "S:\t", "C:\t"):
        at = line.find(marker)
        if at >= 0 and (at == 0 or line[at - 1] in "] \t"):
            return "s_c_log", marker[0], line[at + 3:]
    for marker in (">>> ", "<<< "):
        # Perl Net::Cmd debug_print(): print STDERR $cmd, ($out ? '>>> ' : '<<< '), $text, where $cmd is the
        # object ("Net::SMTP=GLOB(0x55d0c1a2b3c8)"). Its version banner ("Net::SMTP>>> Net::Cmd(3.14)") has no GLOB.
        at = line.find(marker)
        if at > 0 and line[at - 1] == ")" and "=GLOB(" in line[:at]:
            return "net_cmd", marker.strip(), line[at + len(marker):]
    for marker in ("send: ", "reply: "):
        at = line.find(marker)
        if at >= 0 and (at == 0 or not line[at - 1].isalnum()):
            body = line[at + len(marker):]
            if body.startswith("retcode ("):
                return None
            if body[:2] in ("b'", 'b"') or body[:1] in ("'", '"'):
                return "smtplib", marker[:-2], body
    return None


def _bare(stripped: str) -> str | None:
    """A line of a session typed by hand or logged bare (JavaMail mail.debug, telnet, openssl s_client)."""
    if len(stripped) >= 3 and stripped[0] in "2345" and stripped[1:3].isdigit() and (
            len(stripped) == 3 or stripped[3] in " -"):
        return stripped
    upper = stripped[:10].upper()
    verb = next((v for v in _VERBS if upper.startswith(v) and (len(stripped) == len(v) or stripped[len(v)] in " \t:")),
                None)
    if verb is None:
        return None
    # A program's own error line that starts with a verb ("starttls failed: ...", "auth failed: Command unknown")
    # is no command: STARTTLS, DATA, QUIT and RSET take no argument, AUTH takes a mechanism and at most an initial
    # response (RFC 3207 §4, RFC 5321 §4.1.1, RFC 4954 §4).
    args = stripped[len(verb):].split()
    if verb in ("STARTTLS", "DATA", "QUIT", "RSET") and args:
        return None
    if verb == "AUTH" and (len(args) > 2 or (args and not args[0].replace("-", "").replace("_", "").isalnum())):
        return None
    return stripped


# Enough to say "this is a transcript" before walking it: two server replies in dialogue form, or an MTA line.
_MARKERS = _re(
    r"(?:SERVER -> CLIENT:|(?m:^[ \t]*<-[ \t]+\"?\d{3})|(?m:^[ \t]*<\*\*)|(?m:^=== Connected to)|\bS: [2-5]\d\d\b|"
    r"\breply: b?['\"][2-5]\d\d|(?m:^[ \t]*->[ \t]+\"[2-5]\d\d)|<<< ?[2-5]\d\d|\(in reply to [A-Za-z ]+ command\)|"
    r"SMTP error from remote mail server after|while receiving the initial server greeting|DEBUG SMTP:|"
    r"Connection: opened|Connection established to|"
    r"(?m:^[ \t]*220[ -][^\n]*\n(?:[^\n]*\n){0,3}?[ \t]*(?i:EHLO|HELO)\b))")
_REPLY = _re(r"^([2-5]\d\d)(?:[ -]|$)(.*)$")
_COMMAND = _re(r"(?i)^(EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL FROM|RCPT TO|DATA|QUIT|RSET|NOOP|BDAT)\b")

_STEP_OF = {"EHLO": "ehlo", "HELO": "ehlo", "LHLO": "ehlo", "STARTTLS": "starttls", "AUTH": "auth",
            "MAIL FROM": "mail", "RCPT TO": "rcpt", "DATA": "data", "BDAT": "data", "QUIT": "quit",
            "RSET": "quit", "NOOP": "quit"}
# Postfix's "(in reply to X command)" and Exim's "after X" name the command; both say "end of DATA" for the
# reply to the message itself.
_MTA_STEP = {"connect": "greeting", "initial connection": "greeting", "ehlo": "ehlo", "helo": "ehlo",
             "lhlo": "ehlo", "starttls": "starttls", "auth": "auth", "mail from": "mail", "mail": "mail",
             "rcpt to": "rcpt", "rcpt": "rcpt", "data": "data", "end of data": "end_of_data",
             "end of message": "end_of_data"}
_WHILE_STEP = {"receiving the initial server greeting": "greeting", "receiving the initial SMTP greeting": "greeting",
               "performing the EHLO handshake": "ehlo", "performing the HELO handshake": "ehlo",
               "sending MAIL FROM": "mail", "sending RCPT TO": "rcpt", "sending DATA command": "data",
               "sending message body": "end_of_data", "sending end of data": "end_of_data"}


@dataclass(frozen=True)
class Exchange:
    """One step of the dialogue: what the client sent (empty for connect and greeting) and the server's reply."""

    step: str
    sent: str = ""
    reply: str = ""
    code: int | None = None
    ok: bool | None = None      # None: no reply was seen (the log ends, or the connection broke, before one)

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "sent": self.sent, "reply": self.reply, "ok": self.ok}


@dataclass(frozen=True)
class Transcript:
    """The dialogue read from a paste, and where it failed (None: it did not fail, or the paste does not say)."""

    format: str
    exchanges: tuple[Exchange, ...]
    failed: Exchange | None

    @property
    def failed_step(self) -> str | None:
        return self.failed.step if self.failed else None

    def to_list(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.exchanges]

    def trimmed(self, limit: int = 8) -> tuple[Exchange, ...]:
        """The steps that matter: the failing one and those just before it (the whole dialogue when short)."""
        if len(self.exchanges) <= limit:
            return self.exchanges
        end = self.exchanges.index(self.failed) + 1 if self.failed in self.exchanges else len(self.exchanges)
        return self.exchanges[max(0, end - limit):end]


def _clean(text: str) -> str:
    """A dialogue line as the tool printed it, without the quoting and CRLF escapes of debug formats."""
    text = text.strip()
    if text[:2] in ("b'", 'b"'):
        text = text[1:]
    if text[:1] in ("'", '"'):
        quote, text = text[0], text[1:]
        text = text[:-1] if text.endswith(quote) else text
    for escape in ("\\r\\n", "\\n", "\\r"):
        text = text.replace(escape, " ")
    return text.strip().rstrip("'\"").strip()[:MAX_FIELD]


class _Builder:
    """Walks dialogue lines in order and pairs each reply with the oldest command still waiting for one, so
    pipelined commands (MAIL, RCPT and DATA sent together, RFC 2920) get their own replies."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.pending: list[list[str]] = []   # [step, sent] of commands sent and not yet answered
        self.reply: list[str] = []
        self.in_auth = False
        self.in_data = False
        self.tls_pending = False     # 220 to STARTTLS seen; the handshake comes next
        self.started = False

    def _record(self, step: str, sent: str, reply: str, code: int | None, ok: bool | None) -> None:
        self.exchanges.append(Exchange(step, sent[:MAX_FIELD], reply[:MAX_FIELD], code, ok))

    def _tls_done(self) -> None:
        if self.tls_pending:
            self.tls_pending = False
            self._record("tls", "", "TLS session started", None, True)

    def client(self, text: str) -> None:
        self.started = True
        command = _COMMAND.search(text)
        if self.in_auth and not command:
            # An AUTH continuation (base64 user name, password, token): never echoed.
            auth = next((item for item in reversed(self.pending) if item[0] == "auth"), None)
            if auth is not None and HIDDEN not in auth[1]:
                auth[1] = f"{auth[1]} {HIDDEN}"
            return
        if self.in_data or not command:
            return   # message content, or a line that is no command
        self._tls_done()
        step = _STEP_OF.get(" ".join(command.group(1).upper().split()), "quit")
        words = text.split()
        sent = " ".join([*words[:2], HIDDEN]) if step == "auth" and len(words) > 2 else text
        self.pending.append([step, sent])
        self.in_auth = step == "auth"

    def server(self, code: int, text: str, last: bool) -> None:
        self.started = True
        self.reply.append(text)
        if not last:
            return
        reply, self.reply = " / ".join(self.reply), []
        if self.pending:
            step, sent = self.pending[0]
        else:
            step, sent = ("greeting" if not self.exchanges else self.exchanges[-1].step), ""
        if step == "auth" and code == 334:
            return   # the dialogue continues within AUTH
        if self.pending:
            self.pending.pop(0)
        if step == "data" and code == 354:
            self._record(step, sent, reply, code, True)
            self.pending.insert(0, ["end_of_data", "."])
            self.in_data = True
            return
        self._record(step, sent, reply, code, code < 400)
        if step == "auth":
            self.in_auth = False
        if step == "end_of_data":
            self.in_data = False
        if step == "starttls" and code == 220:
            self.tls_pending = True

    def note(self, text: str) -> None:
        """A connection or TLS error printed beside the dialogue: it ends the step under way, if one is."""
        reply = text.strip()
        if not self.started:
            self._record("connect", "", reply, None, False)
        elif self.tls_pending:
            self.tls_pending = False
            self._record("tls", "", reply, None, False)
        elif self.pending:
            step, sent = self.pending.pop(0)
            self._record(step, sent, reply, None, False)
        elif not self.exchanges:
            self._record("greeting", "", reply, None, False)
        # else: the dialogue was at rest ("Connection: closed" after QUIT): the note names no step.
        self.started = True

    def mta(self, step: str, text: str) -> None:
        m = _REPLY.search(text)
        code = int(m.group(1)) if m else None
        self._record(step, "", text.strip(), code, False if code is None else code < 400)

    def finish(self) -> None:
        if self.tls_pending:
            self.tls_pending = False
            self._record("tls", "", "no reply after 220 to STARTTLS: the TLS handshake did not complete", None, None)
        for step, sent in self.pending:
            self._record(step, sent, "", None, None)
        self.pending = []


def _candidate_lines(text: str) -> list[str]:
    """The lines of the paste that hold a candidate, in order (each once)."""
    data = text.encode("utf-8", "replace")
    lines: list[str] = []
    end = -1
    for m in _CANDIDATE.finditer(data):
        if m.start() <= end:
            continue   # another hit on a line already taken
        start = data.rfind(b"\n", 0, m.start()) + 1
        end = data.find(b"\n", m.start())
        if end < 0:
            end = len(data)
        lines.append(data[start:end].decode("utf-8", "replace"))
        if len(lines) >= MAX_LINES:
            break
    return lines


def read_transcript(text: str) -> Transcript | None:
    """The dialogue in a paste, or None when the paste holds no transcript or MTA log line."""
    if not _MARKERS.search(text.encode("utf-8", "replace")):
        return None
    builder = _Builder()
    formats: dict[str, int] = {}

    def seen(kind: str) -> None:
        formats[kind] = formats.get(kind, 0) + 1

    for count, line in enumerate(_candidate_lines(text)):
        if count >= MAX_LINES or len(builder.exchanges) >= MAX_EXCHANGES:
            break
        if not line or len(line) > 5000:
            continue
        if "(in reply to " in line and "said: " in line:
            m = _POSTFIX.search(line)
            if m:
                seen("postfix")
                builder.mta(_MTA_STEP.get(m.group(2).strip().lower(), "end_of_data"), m.group(1))
                continue
        if "SMTP error from remote mail server after" in line:
            m = _EXIM.search(line)
            if m:
                seen("exim")
                after = m.group(1).strip().lower().removeprefix("pipelined ")
                builder.mta(_MTA_STEP.get(after, "end_of_data"), m.group(2))
                continue
        if "while " in line:
            during = next((w for w in _WHILE if f"while {w}" in line), None)
            if during:
                seen("postfix")
                builder.mta(_WHILE_STEP.get(during, "greeting"), f"lost connection while {during}")
                continue
        if any(c in line for c in _CONNECTED):
            builder.started = True   # connected: what fails next is the greeting
            seen("swaks" if "=== Connected to" in line else "connection_log")
            continue
        found = _dialogue(line)
        if found is None:
            bare = _bare(line.strip())
            if bare is not None:
                found = ("bare", "", bare)
        if found is None:
            if _NOTE.search(line):
                builder.note(line.strip())
            continue
        kind, marker, raw = found
        body = _clean(raw)
        seen(kind)
        if marker == "===":
            continue
        if marker == "***":
            builder.note(body)
            continue
        reply = _REPLY.search(body)
        if reply:
            builder.server(int(reply.group(1)), body, len(body) == 3 or body[3:4] != "-")
        elif _COMMAND.search(body) or marker in ("CLIENT", "C", "send", "->", "~>", ">>>"):
            if marker in ("SERVER", "S", "reply") and not _COMMAND.search(body):
                continue
            builder.client(body)
    builder.finish()
    exchanges = tuple(builder.exchanges)
    if not exchanges or not formats:
        return None   # only error lines, no dialogue: the cause files read those on their own
    failed = next((e for e in reversed(exchanges) if e.ok is False), None)
    if failed is None and exchanges[-1].ok is None and exchanges[-1].step != "quit":
        failed = exchanges[-1]
    main = max(formats, key=lambda k: formats[k])
    return Transcript(format=main, exchanges=exchanges, failed=failed)
