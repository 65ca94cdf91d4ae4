"""The per-port table of a live probe as data: one row model that every view renders (Slack, terminal). Pure."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a view reads the report; the probe package is not loaded to render one
    from bot.probe.report import PortResult, ProbeReport

__all__ = ["MAX_ROWS", "TABLE_HEAD", "PortRow", "port_rows"]

MAX_ROWS = 12


@dataclass(frozen=True)
class PortRow:
    """One port: what it is, how it answered, its TLS, its AUTH, its certificate, and what it said."""

    port: str
    result: str
    tls: str
    auth: str
    cert: str
    note: str

    def cells(self) -> tuple[str, ...]:
        """The row's cells, left to right."""
        return astuple(self)


TABLE_HEAD = PortRow("port", "result", "TLS", "AUTH", "cert", "server said / error")
_MODES = {"starttls": "STARTTLS", "implicit": "implicit", "none": "none"}


def _tls(p: PortResult) -> str:
    text = " ".join(v for v in (_MODES.get(p.tls, p.tls), p.tls_version or "") if v)
    return text + (" (wrong mode)" if p.wrong_mode else "")


def _auth(p: PortResult) -> str:
    text = " ".join(p.auth_mechanisms) or "-"
    if p.auth_after_tls and not p.auth_before_tls and p.tls == "starttls":
        text += " (after TLS)"
    if p.auth is not None and p.auth.mechanism:
        text += " → login ok" if p.auth.ok else f" → {p.auth.code or 'refused'}"
    return text


def _cert(p: PortResult) -> str:
    c = p.cert
    if c is None:
        return "-"
    if c.weak_key or c.weak_signature:
        return "weak key" if c.weak_key else "weak sig"
    if c.trusted:
        return "trusted"
    return "expired" if c.expired else "wrong name" if c.hostname_match is False else "untrusted"


def _note(p: PortResult) -> str:
    where = f"{'MX ' if p.role == 'mx' else ''}{p.host}: " if p.host else ""  # a bare mail domain's other hosts
    if p.error:
        return where + p.error
    if p.greeting_code is not None:
        return where + f"{p.greeting_code} {p.greeting_text or ''}".strip()
    return where + "-" if where else "-"


def _result(p: PortResult) -> str:
    """The port's status, and which of the host's addresses did not connect when others did ("ok, v6 down")."""
    bad = [a for a in p.addresses if a.status != "ok"]
    if not bad or len(bad) == len(p.addresses):
        return p.status
    families = {a.family for a in bad}
    whole = [f for f in families if all(a.status != "ok" for a in p.addresses if a.family == f)]
    return f"{p.status}, {'v6' if whole == ['IPv6'] else 'v4' if whole == ['IPv4'] else f'{len(bad)} addr'} down"


def port_rows(report: ProbeReport) -> list[PortRow]:
    """One row per probed port (at most MAX_ROWS), in the order probed."""
    return [PortRow(str(p.port), _result(p), _tls(p) or "-", _auth(p), _cert(p), _note(p))
            for p in report.ports[:MAX_ROWS]]
