"""One port, from TCP connect to QUIT: the only module that catches aiosmtplib, ssl and OSError errors.

`probe_port()` connects to an address that the SSRF guard has already checked (never to a name, so there is
no second resolution), keeps the host name for SNI and certificate checks, and returns a PortResult: a failed
port is a result, not an exception. It reads the greeting, sends EHLO, upgrades with STARTTLS where the port
expects it (or speaks TLS from the first byte on 465), sends EHLO again, lists AUTH mechanisms and QUITs.
It never sends MAIL, RCPT, DATA, VRFY or EXPN; AUTH only when credentials are given, and only over TLS.

When the verifying handshake fails, a second connection with a non-verifying context reads the certificate
and the rest of the session, so the report can say what is wrong with the certificate *and* what the server
offers. Wrong-mode checks cost a second connection too, and only on the failure path: a TLS error on 465 is
followed by a plaintext read (plaintext greeting on 465?), a silent 587 by a TLS handshake (TLS on 587?).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosmtplib
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPConnectResponseError,
    SMTPException,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from bot.errors import in_chain
from bot.probe.dialogue import Dialogue, DialogueSink, RecordingSMTP
from bot.probe.eyeballs import Race, connect_outcome, race, tcp_connect
from bot.probe.report import UNREADABLE_REPLY, AddressResult, AuthResult, CertInfo, PortResult, clean_text
from bot.probe.targets import IPAddress
from bot.probe.tls import Contexts, parse_certificate, protocol_refused

__all__ = ["DEFAULT_EHLO_NAME", "StepTimeouts", "budget_cut", "new_progress", "probe_port"]

# A fixed, public-looking EHLO name: aiosmtplib would otherwise send socket.getfqdn() (security.md S13).
DEFAULT_EHLO_NAME = "probe.smtp-help.invalid"


@dataclass(frozen=True, kw_only=True)
class StepTimeouts:
    """Per-step time-outs in seconds (security.md §4.2); the whole-probe budget is run_probe's."""

    connect: float = 5.0
    step: float = 10.0  # greeting, EHLO, STARTTLS, TLS handshake, AUTH, QUIT: each



@dataclass
class _Acc:
    """What a session has seen so far; survives cancellation so a budget cut still reports progress."""

    port: int
    expected_tls: str
    address: str
    status: str = "error"
    tls: str = "none"
    stage: str | None = "connect"
    connect_ms: float | None = None
    greeting_code: int | None = None
    greeting_text: str | None = None
    greeting_ms: float | None = None
    extensions: dict[str, str] = field(default_factory=dict)
    extensions_tls: dict[str, str] = field(default_factory=dict)
    auth_before_tls: tuple[str, ...] = ()
    auth_after_tls: tuple[str, ...] = ()
    tls_version: str | None = None
    tls_cipher: str | None = None
    cert: CertInfo | None = None
    wrong_mode: str | None = None
    error: str | None = None
    auth: AuthResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    addresses: tuple[AddressResult, ...] = ()
    host: str | None = None  # set by run.py for a mail domain's MX / submission host
    role: str | None = None
    tls_permissive: bool = False
    dialogue: Dialogue = field(default_factory=lambda: Dialogue(0))  # every session of this port, recorded

    def result(self) -> PortResult:
        """The frozen result: every field of PortResult taken from this accumulator (a test pins that they agree)."""
        seen = {f.name: getattr(self, f.name) for f in dataclasses.fields(PortResult)}
        return PortResult(
            **{**seen, "stage": None if self.status == "ok" else self.stage, "dialogue": self.dialogue.lines()}
        )


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _connect_failure(acc: _Acc, exc: BaseException) -> None:
    acc.stage = "connect"
    acc.status, acc.error = connect_outcome(exc)


def _tls_facts(acc: _Acc, smtp: aiosmtplib.SMTP, host: str, *, trusted: bool, error: str | None) -> None:
    obj: Any = smtp.get_transport_info("ssl_object")
    if obj is None:
        return
    acc.tls_version = obj.version()
    cipher = obj.cipher()
    acc.tls_cipher = cipher[0] if cipher else None
    der = obj.getpeercert(binary_form=True)
    if der:
        acc.cert = parse_certificate(der, host=host, now=_now(), trusted=trusted, error=error)



def _verify_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    return in_chain(exc, ssl.SSLCertVerificationError)


def _ssl_error(exc: BaseException) -> ssl.SSLError | None:
    return in_chain(exc, ssl.SSLError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SMTPResponseException):
        if exc.code < 0:  # aiosmtplib could not read it: over 32 KB, a line over 8 KB, no reply code
            return clean_text(f"{UNREADABLE_REPLY}: {exc.message}", 200)
        return clean_text(f"{exc.code} {exc.message}", 200)
    if (verr := _verify_error(exc)) is not None:
        return clean_text(f"certificate not accepted: {verr.verify_message}", 200)
    if (serr := _ssl_error(exc)) is not None:
        return clean_text(f"TLS error: {serr.reason or serr}", 200)
    return clean_text(str(exc) or type(exc).__name__, 200)


class _CertRejected(Exception):
    """The verifying handshake refused the certificate; carries the verifier's reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _session(
    acc: _Acc,
    open_sock: Callable[[], Awaitable[socket.socket]],
    *,
    host: str,
    implicit: bool,
    ctx: ssl.SSLContext,
    trusted: bool,
    cert_error: str | None,
    t: StepTimeouts,
    ehlo_name: str,
    credentials: tuple[str, str] | None,
) -> None:
    """Run the session on a fresh connection, filling `acc`. Raises _CertRejected when verification fails."""
    started = time.monotonic()
    acc.stage = "connect"
    sock = await open_sock()
    acc.connect_ms = _ms(started)
    acc.timings["connect"] = acc.connect_ms
    smtp = RecordingSMTP(
        acc.dialogue,
        hostname=host,
        sock=sock,
        use_tls=implicit,
        start_tls=False,
        tls_context=ctx,
        local_hostname=ehlo_name,
        timeout=t.step,
    )
    try:
        acc.stage = "tls" if implicit else "greeting"
        t_greet = time.monotonic()
        try:
            greeting = await smtp.connect()
        except SMTPConnectResponseError as exc:
            acc.stage = "greeting"
            acc.greeting_code, acc.greeting_text = exc.code, clean_text(exc.message)
            acc.greeting_ms = _ms(t_greet)
            acc.status, acc.error = "error", clean_text(f"greeting {exc.code} {exc.message}", 200)
            return
        except SMTPTimeoutError as exc:
            if implicit and not isinstance(exc.__cause__, SMTPTimeoutError):
                acc.stage = "tls"
            else:
                acc.stage = "greeting"
            acc.status = "timeout"
            acc.error = (
                "no TLS handshake within the time-out"
                if acc.stage == "tls"
                else "connected, but no greeting within the time-out"
            )
            return
        except SMTPException as exc:
            if (verr := _verify_error(exc)) is not None and trusted:
                raise _CertRejected(clean_text(verr.verify_message or str(verr), 200)) from exc
            acc.status, acc.error = "error", _describe(exc)
            if implicit and (
                _ssl_error(exc) is not None or isinstance(exc.__cause__, SMTPServerDisconnected)
            ):
                acc.stage = "tls"
            else:
                acc.stage = "greeting"
            return
        acc.greeting_ms = _ms(t_greet)
        acc.timings["tls+greeting" if implicit else "greeting"] = acc.greeting_ms
        acc.greeting_code, acc.greeting_text = greeting.code, clean_text(greeting.message)
        if implicit:
            acc.tls = "implicit"
            _tls_facts(acc, smtp, host, trusted=trusted, error=cert_error)
        acc.stage = "ehlo"
        t_step = time.monotonic()
        await smtp.ehlo()
        acc.timings["ehlo"] = _ms(t_step)
        acc.extensions = {k: clean_text(v, 100) for k, v in list(smtp.esmtp_extensions.items())[:40]}
        acc.auth_before_tls = tuple(clean_text(m, 40).upper() for m in smtp.server_auth_methods[:20])
        if not implicit and acc.expected_tls != "none" and smtp.supports_extension("starttls"):  # none: --tls none
            acc.stage = "starttls"
            t_step = time.monotonic()
            try:
                await smtp.starttls(server_hostname=host, tls_context=ctx)
            except ssl.SSLCertVerificationError as exc:
                if trusted:
                    raise _CertRejected(clean_text(exc.verify_message or str(exc), 200)) from exc
                raise
            acc.timings["starttls"] = _ms(t_step)  # the command and the TLS handshake
            acc.tls = "starttls"
            _tls_facts(acc, smtp, host, trusted=trusted, error=cert_error)
            acc.stage = "ehlo"
            t_step = time.monotonic()
            await smtp.ehlo()
            acc.timings["ehlo_tls"] = _ms(t_step)
            acc.extensions_tls = {k: clean_text(v, 100) for k, v in list(smtp.esmtp_extensions.items())[:40]}
            acc.auth_after_tls = tuple(clean_text(m, 40).upper() for m in smtp.server_auth_methods[:20])
        acc.status, acc.stage = "ok", None
        if credentials is not None:
            t_step = time.monotonic()
            await _auth(acc, smtp, credentials)
            acc.timings["auth"] = _ms(t_step)
        _quit_without_waiting(smtp)
    except _CertRejected:
        raise
    except SMTPResponseException as exc:
        acc.status, acc.error = "error", _describe(exc)
    except (SMTPException, ssl.SSLError, OSError) as exc:
        acc.status = "timeout" if isinstance(exc, TimeoutError) else "error"
        acc.error = _describe(exc)
    finally:
        # QUIT went out without waiting: drop the connection now, so the socket leaves the event loop at once
        # (closing the descriptor under a transport that is still closing would hand its number to the next one).
        transport: Any = smtp.transport
        smtp.close()
        if transport is not None:
            transport.abort()
        sock.close()


def _quit_without_waiting(smtp: RecordingSMTP) -> None:
    """Say QUIT and hang up: its 221 answer changes no finding, so waiting for it would only cost a round trip."""
    with contextlib.suppress(SMTPException, OSError, RuntimeError):
        smtp.quit_nowait()


async def _auth(acc: _Acc, smtp: aiosmtplib.SMTP, credentials: tuple[str, str]) -> None:
    """AUTH with out-of-band credentials, over TLS only; nothing of the secret is kept or logged."""
    if acc.tls == "none":
        acc.auth = AuthResult(ok=False, text="not attempted: the connection is not encrypted")
        return
    if not smtp.server_auth_methods:
        acc.auth = AuthResult(ok=False, text="not attempted: the server offers no AUTH mechanism")
        return
    acc.stage = "auth"
    user, password = credentials
    # One attempt with one mechanism: aiosmtplib's login() would retry with every mechanism on failure,
    # which doubles the failed logins a provider counts towards a lock-out.
    offered = {m.upper() for m in smtp.server_auth_methods}
    if "PLAIN" in offered:
        mechanism, attempt = "PLAIN", smtp.auth_plain
    elif "LOGIN" in offered:
        mechanism, attempt = "LOGIN", smtp.auth_login
    else:
        acc.auth = AuthResult(
            ok=False, text=f"not attempted: no PLAIN or LOGIN ({' '.join(sorted(offered))})"
        )
        acc.stage = None
        return
    try:
        response = await attempt(user, password)
        acc.auth = AuthResult(
            ok=True, code=response.code, text=clean_text(response.message, 200), mechanism=mechanism
        )
    except SMTPAuthenticationError as exc:
        acc.auth = AuthResult(ok=False, code=exc.code, text=clean_text(exc.message, 200), mechanism=mechanism)
    except SMTPResponseException as exc:
        acc.auth = AuthResult(ok=False, code=exc.code, text=clean_text(exc.message, 200), mechanism=mechanism)
    except SMTPException as exc:
        acc.auth = AuthResult(ok=False, text=clean_text(str(exc), 200), mechanism=mechanism)
    acc.stage = None


async def _plaintext_greeting(
    open_sock: Callable[[], Awaitable[socket.socket]], limit_s: float
) -> str | None:
    """The first line a server sends unprompted (its first 512 bytes when the line is longer: a 10 MB greeting
    still reads as "220 AAA…"), if it sends one within the time-out."""
    try:
        sock = await open_sock()
    except (OSError, TimeoutError):
        return None
    try:
        reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
        seen = b""
        try:
            async with asyncio.timeout(limit_s):
                while b"\n" not in seen and len(seen) < 512 and (chunk := await reader.read(512 - len(seen))):
                    seen += chunk
        finally:
            writer.close()
        return clean_text(seen.split(b"\n", 1)[0], 200) or None
    except (OSError, TimeoutError, ValueError, asyncio.LimitOverrunError, asyncio.IncompleteReadError):
        return None
    finally:
        sock.close()


async def _speaks_tls(
    open_sock: Callable[[], Awaitable[socket.socket]], host: str, ctx: ssl.SSLContext, limit_s: float
) -> bool:
    """True if a TLS handshake succeeds straight away (implicit TLS where STARTTLS was expected)."""
    try:
        sock = await open_sock()
    except (OSError, TimeoutError):
        return False
    try:
        async with asyncio.timeout(limit_s):
            _reader, writer = await asyncio.open_connection(
                sock=sock, ssl=ctx, server_hostname=host, ssl_handshake_timeout=limit_s
            )
        writer.close()
        return True
    except (OSError, TimeoutError, ssl.SSLError):
        return False
    finally:
        sock.close()


async def probe_port(
    *,
    host: str,
    address: IPAddress | None = None,
    addresses: Sequence[IPAddress] = (),
    port: int,
    connect_port: int | None = None,
    implicit: bool,
    contexts: Contexts,
    timeouts: StepTimeouts = StepTimeouts(),
    ehlo_name: str = DEFAULT_EHLO_NAME,
    credentials: tuple[str, str] | None = None,
    acc: Any = None,
) -> PortResult:
    """Probe one port of checked addresses; never raises for anything the server or network does.

    `addresses` (or the one `address`) are raced Happy Eyeballs style (bot/probe/eyeballs.py): the session runs
    on the first that connects, every address gets a result. `port` is the submission port reported;
    `connect_port` the TCP port actually dialled (the lab maps 465 to a high port, say). `contexts` is
    tls.client_contexts() (verifying, non-verifying, permissive on demand). Pass `acc=new_progress(...)`
    to read partial progress if the caller cancels this coroutine.
    """
    candidates = tuple(addresses) or ((address,) if address is not None else ())
    if not candidates:
        raise ValueError("probe_port needs an address")
    state: _Acc = acc if acc is not None else new_progress(port=port, address=candidates[0], implicit=implicit)
    dial = connect_port or port
    dialled: list[Race] = []

    async def open_sock() -> socket.socket:
        if not dialled:  # the first connection races every address; the later ones go to the one that answered
            dialled.append(await race(candidates, dial, limit_s=timeouts.connect))
            state.address = dialled[0].address or state.address
            for tried in dialled[0].attempts:  # the addresses that failed before one answered, as -v shows them
                if tried.status not in ("ok", "pending"):
                    state.dialogue.note(f"{tried.address}: {tried.error or tried.status}")
            if dialled[0].sock is None:
                raise dialled[0].failure()
            return dialled[0].sock
        return await tcp_connect(state.address, dial, timeouts.connect)

    try:
        await _probe_port(state, open_sock, host=host, port=port, implicit=implicit, contexts=contexts,
                          timeouts=timeouts, ehlo_name=ehlo_name, credentials=credentials)
        if dialled:
            state.addresses = await dialled[0].settle()
    finally:
        if dialled and not state.addresses:  # cancelled (the probe's budget): what each address had done by then
            dialled[0].cancel()
            state.addresses = dialled[0].results()
    return state.result()


async def _probe_port(
    state: _Acc,
    open_sock: Callable[[], Awaitable[socket.socket]],
    *,
    host: str,
    port: int,
    implicit: bool,
    contexts: Contexts,
    timeouts: StepTimeouts,
    ehlo_name: str,
    credentials: tuple[str, str] | None,
) -> None:
    address = ipaddress.ip_address(state.address)

    verify_ctx, insecure_ctx = contexts.verify, contexts.insecure
    try:
        try:
            await _session(
                state,
                open_sock,
                host=host,
                implicit=implicit,
                ctx=verify_ctx,
                trusted=True,
                cert_error=None,
                t=timeouts,
                ehlo_name=ehlo_name,
                credentials=credentials,
            )
        except _CertRejected as rejected:
            # Second look without verification, to report the certificate and what the server offers.
            # Credentials are never sent over a connection whose certificate we did not trust.
            fresh = new_progress(port=port, address=address, implicit=implicit)
            fresh.connect_ms, fresh.dialogue = state.connect_ms, state.dialogue
            fresh.dialogue.note("certificate not accepted: a second look without verifying it, no AUTH")
            await _session(
                fresh,
                open_sock,
                host=host,
                implicit=implicit,
                ctx=insecure_ctx,
                trusted=False,
                cert_error=rejected.reason,
                t=timeouts,
                ehlo_name=ehlo_name,
                credentials=None,
            )
            fresh.timings = {**{f"verify_{k}": v for k, v in state.timings.items()}, **fresh.timings}
            fresh.status, fresh.stage = "error", "tls"
            fresh.error = f"certificate not accepted: {rejected.reason}"
            if fresh.cert is None:
                fresh.cert = CertInfo(trusted=False, error=rejected.reason)
            if credentials is not None:
                fresh.auth = AuthResult(ok=False, text="not attempted: the certificate is not trusted")
            _copy(fresh, state)
    except (OSError, TimeoutError) as exc:
        _connect_failure(state, exc)
        return
    if (
        _no_tls_in_common(state, implicit)
        and await _permissive_look(state, open_sock, host=host, implicit=implicit, ctx=contexts.permissive,
                                   insecure_ctx=insecure_ctx, t=timeouts, ehlo_name=ehlo_name,
                                   credentials=credentials)
    ):
        pass  # the server's old TLS is named; a wrong-mode check would learn nothing more
    elif implicit and state.status == "error" and state.stage == "tls" and state.tls == "none":
        line = await _plaintext_greeting(open_sock, timeouts.step)
        if line and line[:3].isdigit():
            state.wrong_mode = "plaintext_on_implicit"
            state.dialogue.note(f"a second look without TLS: the server greets in plaintext: {line}")
            state.greeting_code, state.greeting_text = int(line[:3]), line
            state.error = "the server greets in plaintext: this port does not speak implicit TLS"
    elif (
        not implicit
        and state.status == "timeout"
        and state.stage == "greeting"
        and await _speaks_tls(open_sock, host, insecure_ctx, timeouts.step)
    ):
        state.wrong_mode = "tls_on_starttls_port"
        state.dialogue.note("a second look with TLS from the first byte: the handshake succeeds")
        state.status = "error"
        state.error = "the server expects TLS from the first byte (implicit TLS), not STARTTLS"


def _no_tls_in_common(state: _Acc, implicit: bool) -> bool:
    """The verifying handshake negotiated nothing: OpenSSL named no version or cipher in common, or the server
    dropped the connection during the handshake (what old servers, and asyncio ones, do instead of an alert).
    Not a certificate refusal (handled apart), not a plaintext server ("wrong version number"), not a reply."""
    if state.status != "error" or state.tls != "none" or state.wrong_mode is not None:
        return False
    error = state.error or ""
    if protocol_refused(error):
        return state.stage in ("tls", "starttls", "greeting")
    if "WRONG_VERSION_NUMBER" in error.upper() or error[:3].isdigit():
        return False
    during_handshake = state.stage == "starttls" or (implicit and state.stage in ("tls", "greeting")
                                                      and state.greeting_code is None)
    return during_handshake and any(w in error.lower() for w in ("reset", "closed", "eof", "error connecting",
                                                                  "tls error", "disconnected"))


async def _permissive_look(
    state: _Acc,
    open_sock: Callable[[], Awaitable[socket.socket]],
    *,
    host: str,
    implicit: bool,
    ctx: ssl.SSLContext,
    insecure_ctx: ssl.SSLContext,
    t: StepTimeouts,
    ehlo_name: str,
    credentials: tuple[str, str] | None,
) -> bool:
    """The verifying handshake found no TLS version or cipher in common: one more handshake that accepts TLS 1.0/1.1
    and old ciphers (still verifying the certificate, or reading it unverified if that fails), only to name what the
    server offers. True when it learned the server's TLS; the port stays a failure for current clients, no AUTH."""
    refused = state.error or "TLS handshake failed"
    cert_error: str | None = None
    fresh = state
    for look_ctx, trusted in ((ctx, True), (insecure_ctx, False)):
        fresh = new_progress(port=state.port, address=ipaddress.ip_address(state.address), implicit=implicit)
        fresh.dialogue = state.dialogue
        fresh.dialogue.note("no TLS version or cipher in common: a second look accepting TLS 1.0/1.1, no AUTH")
        try:
            await _session(fresh, open_sock, host=host, implicit=implicit, ctx=look_ctx, trusted=trusted,
                           cert_error=cert_error, t=t, ehlo_name=ehlo_name, credentials=None)
            break
        except _CertRejected as rejected:
            cert_error = rejected.reason  # read the certificate without trusting it, on the next look
        except (OSError, TimeoutError):
            return False
    if fresh.tls == "none" or fresh.tls_version is None:
        return False
    fresh.timings = {**{f"verify_{k}": v for k, v in state.timings.items()}, **fresh.timings}
    fresh.addresses, fresh.connect_ms = state.addresses, state.connect_ms
    fresh.status, fresh.stage, fresh.tls_permissive = "error", "tls", True
    fresh.error = clean_text(f"{refused}; the server offers only {fresh.tls_version} ({fresh.tls_cipher})", 200)
    if fresh.cert is not None and not fresh.cert.trusted and fresh.cert.error is None:
        fresh.cert = dataclasses.replace(fresh.cert, error=cert_error)
    if credentials is not None:
        fresh.auth = AuthResult(ok=False, text=f"not attempted: the server offers only {fresh.tls_version}")
    _copy(fresh, state)
    return True


def new_progress(*, port: int, address: IPAddress, implicit: bool, sink: DialogueSink | None = None) -> _Acc:
    """An empty progress record for probe_port(acc=...); `sink(port, line)` receives the dialogue as it happens."""
    return _Acc(port=port, expected_tls="implicit" if implicit else "starttls", address=str(address),
                dialogue=Dialogue(port, sink))


def _copy(src: _Acc, dst: _Acc) -> None:
    for name in src.__dataclass_fields__:
        setattr(dst, name, getattr(src, name))


def budget_cut(acc: Any) -> PortResult:
    """The PortResult for a probe the whole-probe budget cancelled, from the progress it had made."""
    state: _Acc = acc
    if state.status != "ok":
        state.status = "timeout"
        state.error = f"the probe's time budget ran out during {state.stage or 'the session'}"
    return state.result()
