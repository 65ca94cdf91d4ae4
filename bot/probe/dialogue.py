"""The SMTP dialogue of one port, as swaks shows it: `-> EHLO …`, `<- 250-…`, and `==` notes (TLS, time-outs).

`Dialogue` keeps a bounded, redacted copy of what was said on one port (every session of it: a second look
after a refused certificate is recorded too) and hands each kept line to an optional `sink(port, line)` as it
happens (`smtp-help probe -v`, the terminal's per-port progress). `RecordingSMTP` is aiosmtplib's client with
the recorder wired in: every command goes through `execute_command`, the greeting through `_create_connection`,
the TLS upgrade through `starttls`, so the session code in smtp.py needs no recording calls of its own.

Redaction: the arguments of AUTH after the mechanism (`-> AUTH PLAIN [redacted]`), and every line the client
sends after a 334 challenge (the base64 user name and password of AUTH LOGIN, any SASL response).
Bounds: at most MAX_LINES lines, MAX_REPLY_LINES per reply, MAX_LINE_CHARS per line; control, zero-width and
bidi characters are dropped (bot.text.strip_controls), so a line is plain text. Renderers escape for their medium.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from typing import Any

import aiosmtplib
from aiosmtplib import (
    SMTPConnectResponseError,
    SMTPReadTimeoutError,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)
from aiosmtplib.typing import Default

from bot.errors import in_chain
from bot.text import strip_controls

__all__ = [
    "MAX_LINES",
    "MAX_LINE_CHARS",
    "MAX_REPLY_LINES",
    "REDACTED",
    "Dialogue",
    "DialogueSink",
    "RecordingSMTP",
    "for_host",
]

MAX_LINES = 60
MAX_REPLY_LINES = 25
MAX_LINE_CHARS = 200
REDACTED = "[redacted]"
SENT, RECEIVED, NOTE = "->", "<-", "=="

DialogueSink = Callable[[int | str, str], None]  # (port, or "host:port" for another host than the target; line)


def _text(value: str | bytes) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return strip_controls(value.replace("\r", " ").replace("\n", " ").replace("\t", " ")).strip()


def for_host(sink: DialogueSink | None, host: str | None) -> DialogueSink | None:
    """`sink` with its port labelled "host:port", for a host other than the target (a mail domain's MX on 25
    beside the submission host's 25), so two sessions on one port number stay apart in -v and the progress."""
    if sink is None or host is None:
        return sink
    target = sink

    def labelled(port: int | str, line: str) -> None:
        target(f"{host}:{port}", line)

    return labelled



class Dialogue:
    """A bounded, redacted record of one port's conversation, streamed to `sink` line by line."""

    def __init__(self, port: int | str, sink: DialogueSink | None = None, *, max_lines: int = MAX_LINES) -> None:
        self.port = port
        self.sink = sink
        self.max_lines = max_lines
        self.dropped = 0
        self._lines: list[str] = []
        self._secret_next = False  # the next client line answers a 334 challenge

    def lines(self) -> tuple[str, ...]:
        """What was kept, with one closing line saying how many were left out."""
        if self.dropped:
            return (*self._lines, f"{NOTE} … {self.dropped} more line(s) not kept")
        return tuple(self._lines)

    def _add(self, prefix: str, text: str) -> None:
        if len(self._lines) >= self.max_lines:
            self.dropped += 1
            return
        line = f"{prefix} {text}".rstrip()
        if len(line) > MAX_LINE_CHARS:
            line = line[: MAX_LINE_CHARS - 1] + "…"
        self._lines.append(line)
        if self.sink is not None:
            with contextlib.suppress(OSError, ValueError):  # a closed terminal never breaks the probe
                self.sink(self.port, line)

    def sent(self, *args: bytes | str) -> None:
        """A client command; AUTH arguments and answers to a 334 challenge are redacted."""
        words = [_text(a) for a in args]
        if self._secret_next:
            self._secret_next = False
            self._add(SENT, REDACTED)
            return
        if words and words[0].upper() == "AUTH" and len(words) > 2:
            words = [*words[:2], REDACTED]
        self._add(SENT, " ".join(words))

    def reply(self, code: int, message: str) -> None:
        """A server reply, one line per line of it (`250-…` then `250 …`), at most MAX_REPLY_LINES."""
        self._secret_next = code == 334
        parts = message.split("\n") if message else [""]
        shown = parts[:MAX_REPLY_LINES]
        for i, part in enumerate(shown):
            last = i == len(shown) - 1 and len(parts) <= MAX_REPLY_LINES
            self._add(RECEIVED, f"{code}{' ' if last else '-'}{_text(part)}")
        if len(parts) > MAX_REPLY_LINES:
            self._add(NOTE, f"… {len(parts) - MAX_REPLY_LINES} more line(s) of this reply not shown")

    def note(self, text: str) -> None:
        """Something that is not a line on the wire: a connection, a TLS handshake, a time-out."""
        self._add(NOTE, _text(text))

    def tls(self, smtp: aiosmtplib.SMTP) -> None:
        """The negotiated TLS version and cipher, read from the transport."""
        try:
            obj: Any = smtp.get_transport_info("ssl_object")
        except aiosmtplib.SMTPException:  # already hung up
            return
        if obj is None:
            return
        cipher = obj.cipher()
        self.note(" ".join(["TLS established:", obj.version() or "?", cipher[0] if cipher else ""]))

    def failure(self, exc: BaseException, *, during: str) -> None:
        """What ended a step without a reply: a time-out, a hang-up, a TLS error."""
        if isinstance(exc, SMTPResponseException) and not isinstance(exc, SMTPConnectResponseError):
            if exc.code >= 0:
                self.reply(exc.code, exc.message)
            else:  # aiosmtplib's -1: over 32 KB, a line over 8 KB, or no reply code
                self.note(f"unreadable reply during {during}: {exc.message}")
            return
        if (verr := in_chain(exc, ssl.SSLCertVerificationError)) is not None:
            self.note(f"TLS failed during {during}: {verr.verify_message or verr}")
            return
        if (serr := in_chain(exc, ssl.SSLError)) is not None:
            self.note(f"TLS failed during {during}: {serr.reason or serr}")
            return
        if in_chain(exc, SMTPReadTimeoutError):
            self.note("no greeting within the time-out" if during == "the greeting"
                      else f"no reply to {during} within the time-out")
        elif isinstance(exc, SMTPTimeoutError | TimeoutError):
            self.note(f"{during} did not finish within the time-out")
        elif isinstance(exc, SMTPServerDisconnected):
            self.note(f"the server closed the connection during {during}")
        else:
            self.note(f"{during} failed: {exc or type(exc).__name__}")

    def end(self, status: str, error: str | None = None) -> None:
        """Tell the live sink that this port is finished (not kept in the record: the report says it)."""
        if self.sink is not None:
            with contextlib.suppress(OSError, ValueError):
                self.sink(self.port, f"{NOTE} done: {status}" + (f" ({_text(error)[:120]})" if error else ""))


class RecordingSMTP(aiosmtplib.SMTP):
    """aiosmtplib.SMTP that records its dialogue into `dialogue` (greeting, commands, replies, TLS)."""

    def __init__(self, dialogue: Dialogue, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dialogue = dialogue

    async def _create_connection(self, timeout: float | None) -> SMTPResponse:  # noqa: ASYNC109 (aiosmtplib's signature)
        d = self.dialogue
        if self.sock is not None:
            with contextlib.suppress(OSError):
                host, port = self.sock.getpeername()[:2]
                d.note(f"connected to {host} port {port}" + (", TLS handshake" if self.use_tls else ""))
        try:
            response = await super()._create_connection(timeout)
        except SMTPConnectResponseError as exc:
            d.tls(self)
            d.reply(exc.code, exc.message)
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            d.failure(exc, during="the TLS handshake" if self.use_tls and self.transport is None else "the greeting")
            raise
        if self.use_tls:
            d.tls(self)
        d.reply(response.code, response.message)
        return response

    async def execute_command(self, *args: bytes, timeout: Any = Default.token) -> SMTPResponse:  # noqa: ASYNC109
        d = self.dialogue
        d.sent(*args)
        name = _text(args[0]).upper() if args else "?"
        during = name if name.isalpha() and len(name) <= 10 else "the reply"
        try:
            response = await super().execute_command(*args, timeout=timeout)
        except (aiosmtplib.SMTPException, OSError) as exc:
            d.failure(exc, during=during)
            raise
        d.reply(response.code, response.message)
        return response

    async def starttls(self, *args: Any, **kwargs: Any) -> SMTPResponse:
        d = self.dialogue
        if self.protocol is not None and self.supports_extension("starttls"):
            d.sent("STARTTLS")
        try:
            response = await super().starttls(*args, **kwargs)
        except (aiosmtplib.SMTPException, OSError) as exc:
            # no 220 (a refusal, silence) or the 220 came and the handshake after it failed
            late = not isinstance(exc, SMTPResponseException | SMTPReadTimeoutError)
            d.failure(exc, during="the TLS handshake after STARTTLS" if late else "STARTTLS")
            raise
        d.reply(response.code, response.message)
        d.tls(self)
        return response

    def quit_nowait(self) -> None:
        """Write QUIT and record it; the caller hangs up without waiting for the 221."""
        if self.protocol is not None:
            self.protocol.write(b"QUIT\r\n")
            self.dialogue.sent("QUIT")
