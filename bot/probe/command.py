"""`smtp-help probe HOST[:PORT] [--json] [--sender-domain D] [--auth]`: the live probe from a terminal.

Readable text by default (per-port table, DNS, certificate, findings); `--json` prints ProbeReport.to_dict().
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
import sys
from typing import Any, TextIO

from bot.errors import InputError
from bot.probe import run_probe
from bot.probe.dns import configured_nameservers
from bot.probe.report import PortResult, ProbeReport
from bot.probe.targets import parse_target
from bot.settings import Settings

__all__ = ["add_arguments", "render_text", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `smtp-help probe`."""
    parser.add_argument(
        "target",
        metavar="HOST[:PORT]",
        help="host name, IP, HOST:PORT, or smtp:// / smtps:// URL; no port: 25, 465, 587, 2525",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--sender-domain", metavar="DOMAIN", help="also check SPF and DMARC of this domain")
    parser.add_argument(
        "--auth",
        action="store_true",
        help="also try AUTH (over TLS only) with SMTP_HELP_PROBE_USER/_PASSWORD or a prompt",
    )


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


def _providers(settings: Settings) -> Any:
    try:
        from bot.kb import load_knowledge_base  # the lead's loader; the probe works without it

        return load_knowledge_base(settings.knowledge_dir)
    except Exception:
        return None


def _cell(value: Any) -> str:
    return "-" if value in (None, "", ()) else str(value)


def _port_line(p: PortResult) -> str:
    greet = f"{p.greeting_code}" if p.greeting_code else "-"
    times = "/".join(_cell(f"{t:.0f}") if t is not None else "-" for t in (p.connect_ms, p.greeting_ms))
    auth = " ".join(p.auth_mechanisms) or "-"
    if p.auth_after_tls and not p.auth_before_tls and p.tls == "starttls":
        auth += " (after TLS)"
    return f"{p.port:<6}{p.status:<12}{p.tls:<10}{greet:<6}{times:<12}{_cell(p.tls_version):<9}{auth}" + (
        f"\n      ↳ {p.error}" if p.error else ""
    )


def render_text(report: ProbeReport) -> str:
    """The readable report: header, DNS, per-port table, certificates, status feed, findings."""
    lines = [
        f"Probe of {report.target}"
        + (f"  (provider: {report.provider})" if report.provider else "")
        + f"  in {report.duration_ms / 1000:.1f} s"
    ]
    d = report.dns
    lines.append(
        f"DNS: {d.status}"
        + (f"; addresses {', '.join(report.addresses)}" if report.addresses else "")
        + (f"; MX {', '.join(f'{h} ({p})' for p, h in d.mx)}" if d.mx else "")
    )
    if d.sender_domain:
        lines.append(f"Sender domain {d.sender_domain}: SPF {d.spf_verdict}; DMARC {d.dmarc_verdict}")
    if report.ports:
        lines += [
            "",
            f"{'PORT':<6}{'STATUS':<12}{'TLS':<10}{'GREET':<6}{'ms conn/220':<12}{'VERSION':<9}AUTH",
        ]
        lines += [_port_line(p) for p in report.ports]
    for p in report.ports:
        if p.greeting_text:
            lines.append(f"  {p.port} greeting: {p.greeting_text.splitlines()[0]}")
        c = p.cert
        if c is not None:
            trust = "trusted" if c.trusted else f"NOT trusted ({c.error or 'unknown'})"
            lines.append(
                f"  {p.port} certificate: {c.subject}; issuer {c.issuer}; SANs {', '.join(c.sans[:6])}; "
                f"valid to {c.not_after[:10]}; name {'matches' if c.hostname_match else 'does NOT match'}; "
                f"{trust}"
            )
        if p.auth is not None:
            lines.append(
                f"  {p.port} AUTH check: {'accepted' if p.auth.ok else 'refused'} "
                f"{_cell(p.auth.code)} {p.auth.text}"
            )
    if report.status_feed is not None:
        f = report.status_feed
        state = (
            ("open incident: " + "; ".join(f.titles))
            if f.incident
            else ("no open incident" if f.ok else f"unknown ({f.error})")
        )
        lines.append(f"Status ({f.provider}): {state}" + (f"  {f.page}" if f.page else ""))
    lines.append("")
    if report.findings:
        lines.append("Findings:")
        lines += [f"  - [{f.cause}] {f.detail}" for f in report.findings]
    else:
        lines.append("Findings: none - the server answered as expected.")
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings, *, out: TextIO | None = None) -> int:
    """Run the probe and print it; InputError/TargetNotAllowed propagate to cli.main (one line, exit 2)."""
    stream = out or sys.stdout
    target = parse_target(args.target)
    if target.had_credentials:
        print("smtp-help: credentials in the URL were ignored (use --auth); shown as ***", file=sys.stderr)
    sender = args.sender_domain
    if sender:
        sender = parse_target(sender.rpartition("@")[2]).host
    credentials = _credentials(settings) if args.auth else None
    dns_servers = configured_nameservers(settings)
    report = asyncio.run(
        run_probe(
            target,
            allow_networks=settings.probe_allow_networks,
            timeout_s=settings.probe_timeout_s,
            sender_domain=sender,
            credentials=credentials,
            providers=_providers(settings),
            nameservers=dns_servers,
        )
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), file=stream)
    else:
        print(render_text(report), file=stream)
    return 1 if report.findings else 0
