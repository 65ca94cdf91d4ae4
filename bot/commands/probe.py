"""`smtp-help probe HOST[:PORT] [--json] [--sender-domain D] [--auth] [-v]`: the live probe from a terminal.

Readable text by default (bot.render.text.render_probe: per-port table, DNS, certificate, findings); `--json`
prints ProbeReport.to_dict(). `-v` prints each port's SMTP dialogue as it happens, like swaks (AUTH redacted;
on stderr with --json); without it a terminal shows one progress line per port while the probe runs, erased
before the report (bot.render.live), and a pipe gets the report only.
Credentials for `--auth` come from SMTP_HELP_PROBE_USER / SMTP_HELP_PROBE_PASSWORD (through Settings.extra)
or an interactive prompt (getpass); they are never printed, logged or stored. Credentials written in an
smtp:// URL are ignored and shown as ***. Bad input is one line on stderr and exit status 2 (cli.main prints
SmtpHelpError); a completed probe exits 0, or 1 when it has findings.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Awaitable
from typing import Any, TextIO

from bot.errors import InputError, KnowledgeBaseError
from bot.kb import KnowledgeBase, load_knowledge_base
from bot.probe import run_probe
from bot.probe.dialogue import DialogueSink
from bot.probe.dns import configured_nameservers
from bot.probe.report import ProbeReport
from bot.probe.targets import TLS_MODES, parse_target
from bot.render.live import PortProgress, VerboseLines
from bot.render.text import render_probe
from bot.settings import Settings

__all__ = ["add_arguments", "run"]

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `smtp-help probe`."""
    parser.add_argument(
        "target",
        metavar="HOST[:PORT]",
        help=("host name, IP, HOST:PORT, or smtp:// / smtps:// URL; no port: 25, 465, 587, 2525; a mail domain "
              "(MX records, not its own MX): its first two MX hosts on 25 and its provider's submission host"),
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--sender-domain", metavar="DOMAIN", help="also check SPF and DMARC of this domain")
    parser.add_argument(
        "--auth",
        action="store_true",
        help="also try AUTH (over TLS only) with SMTP_HELP_PROBE_USER/_PASSWORD or a prompt",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="print the SMTP dialogue as it happens, like swaks (-> EHLO, <- 250-…; AUTH redacted)",
    )
    parser.add_argument("--port", metavar="N", help="probe this submission port only (25, 465, 587, 2525)")
    parser.add_argument("--ehlo", metavar="NAME", help="the name to send with EHLO (default probe.smtp-help.invalid)")
    parser.add_argument(
        "--tls", metavar="MODE",
        help="force the TLS mode on every port probed: starttls, implicit (TLS from the first byte) or none "
             "(plaintext, never sends credentials)",
    )
    parser.add_argument(
        "--timeout", metavar="S", help=f"the whole probe's time budget in seconds, {MIN_TIMEOUT_S:g}-{MAX_TIMEOUT_S:g}"
    )


MIN_TIMEOUT_S, MAX_TIMEOUT_S = 1.0, 60.0
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_LITERAL_CHARS = frozenset("0123456789abcdefABCDEF:.")


def _ehlo_name_ok(name: str) -> bool:
    """RFC 5321 §4.1.1.1: EHLO carries a domain or an address literal; nothing else reaches the server.
    Checked character by character (no regex: this is user input, see tests/security/test_no_backtracking.py)."""
    if not 0 < len(name) <= 255:
        return False
    if name.startswith("[") and name.endswith("]"):
        return 2 <= len(name) - 2 <= 45 and set(name[1:-1]) <= _LITERAL_CHARS
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    return all(
        0 < len(lb) <= 63 and set(lb) <= _LABEL_CHARS and lb[0] != "-" and lb[-1] != "-" for lb in labels
    )


def _forced(args: argparse.Namespace) -> dict[str, Any]:
    """run_probe keyword arguments from --port / --ehlo / --timeout; InputError (one line) for bad values.
    The port allow-list and the SSRF checks apply as for any target (run_probe checks the port)."""
    kw: dict[str, Any] = {}
    port, ehlo, timeout_text, tls = (getattr(args, k, None) for k in ("port", "ehlo", "timeout", "tls"))
    if port is not None:
        if not port.isascii() or not port.isdigit() or len(port) > 5:
            raise InputError("--port: not a number")
        kw["ports"] = [int(port)]
    if ehlo is not None:
        if not _ehlo_name_ok(ehlo):
            raise InputError(
                "--ehlo: give a host name (letters, digits, dots, hyphens) or an address literal [1.2.3.4]"
            )
        kw["ehlo_name"] = ehlo
    if tls is not None:
        if tls.lower() not in TLS_MODES:
            raise InputError(f"--tls: one of {', '.join(TLS_MODES)}")
        if tls.lower() == "none" and getattr(args, "auth", False):
            raise InputError("--tls none never sends credentials: drop --auth, or use --tls starttls or implicit")
        kw["tls_mode"] = tls.lower()
    if timeout_text is not None:
        try:
            timeout = float(timeout_text)
        except ValueError:
            raise InputError("--timeout: not a number of seconds") from None
        if not MIN_TIMEOUT_S <= timeout <= MAX_TIMEOUT_S:
            raise InputError(f"--timeout: between {MIN_TIMEOUT_S:g} and {MAX_TIMEOUT_S:g} seconds")
        kw["timeout_s"] = timeout
    return kw


def _live(args: argparse.Namespace, stream: TextIO, ports: tuple[int, ...]) -> DialogueSink | None:
    """Where the dialogue goes while the probe runs: -v prints it (stderr with --json, so the JSON stays clean);
    a terminal without -v gets per-port progress; a pipe or --json without -v gets nothing."""
    if getattr(args, "verbose", False):
        return VerboseLines(sys.stderr if args.json else stream, labelled=len(ports) != 1)
    isatty = getattr(stream, "isatty", None)
    if not args.json and isatty is not None and isatty():
        return PortProgress(stream, args.target, ports)
    return None


async def _watch(probe: Awaitable[ProbeReport], live: DialogueSink | None) -> ProbeReport:
    """Await the probe; a progress display is redrawn twice a second (the clock moves during a silent wait)
    and erased at the end, whatever happened."""
    if not isinstance(live, PortProgress):
        return await probe

    async def tick(progress: PortProgress) -> None:
        while True:
            progress.draw()
            await asyncio.sleep(0.5)

    ticker = asyncio.create_task(tick(live))
    try:
        return await probe
    finally:
        ticker.cancel()
        live.clear()


def _credentials(settings: Settings) -> tuple[str, str]:
    user = settings.extra.get("SMTP_HELP_PROBE_USER", "")
    password = settings.extra.get("SMTP_HELP_PROBE_PASSWORD", "")
    if user and password:
        return user, password
    if not sys.stdin.isatty():
        raise InputError(
            "--auth needs SMTP_HELP_PROBE_USER and SMTP_HELP_PROBE_PASSWORD, or a terminal to ask"
        )
    if not user:
        sys.stderr.write("SMTP user name: ")
        sys.stderr.flush()
        user = sys.stdin.readline().strip()
    if not password:
        password = getpass.getpass("SMTP password (not echoed): ", stream=sys.stderr)
    if not user or not password:
        raise InputError("--auth needs a user name and a password")
    return user, password


def _providers(settings: Settings) -> KnowledgeBase | None:
    """The knowledge base for provider recognition, the status feed and reading AUTH replies; the probe still
    runs without one (said on stderr)."""
    try:
        return load_knowledge_base(settings.knowledge_dir)
    except KnowledgeBaseError as exc:
        log.warning("probing without the knowledge base: %s", exc)
        return None


def run(args: argparse.Namespace, settings: Settings, *, out: TextIO | None = None) -> int:
    """Run the probe and print it; InputError/TargetNotAllowed propagate to cli.main (one line, exit 2)."""
    stream = out or sys.stdout
    target = parse_target(args.target)
    if target.had_credentials:
        print("smtp-help: credentials in the URL were ignored (use --auth); shown as ***", file=sys.stderr)
    sender = args.sender_domain
    if sender:
        sender = parse_target(sender.rpartition("@")[2]).host
    forced = _forced(args)
    credentials = _credentials(settings) if args.auth else None
    dns_servers = configured_nameservers(settings)
    live = _live(args, stream, tuple(forced.get("ports") or target.ports))
    report = asyncio.run(_watch(
        run_probe(
            target,
            allow_networks=settings.probe_allow_networks,
            sender_domain=sender,
            credentials=credentials,
            providers=_providers(settings),
            nameservers=dns_servers,
            on_dialogue=live,
            **{"timeout_s": settings.probe_timeout_s, **forced},
        ),
        live,
    ))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), file=stream)
    else:
        print(("\n" if isinstance(live, VerboseLines) else "") + render_probe(report), file=stream)  # -v: a gap
    return 1 if report.findings else 0
