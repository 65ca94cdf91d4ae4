"""Probe targets, read and checked before any packet leaves: pure functions, no I/O.

`parse_target("smtp.gmail.com:587")` reads HOST[:PORT], `[v6]:PORT`, bare IP literals, IDN names and
`smtp://` / `smtps://` URLs (user:password in a URL is dropped and shown as `***`). `check_port()` holds the
production port allow-list, `address_refusal()` is the SSRF guard for resolved addresses (research/security.md
§1.2: an explicit CIDR list, and `is_global`, and `2000::/3` for IPv6; an operator allow-list may open
ranges).
Errors: InputError for text that is not a target, TargetNotAllowed for a target the guard refuses.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

from bot import smtp
from bot.errors import InputError, TargetNotAllowed
from bot.redact import redact

__all__ = [
    "ALLOWED_PORTS",
    "BLOCKED_NETWORKS",
    "IMPLICIT_TLS_PORTS",
    "SUBMISSION_PORTS",
    "TLS_MODES",
    "IPAddress",
    "Network",
    "Target",
    "address_refusal",
    "canonical_target",
    "check_addresses",
    "check_port",
    "expected_tls",
    "parse_target",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SUBMISSION_PORTS: tuple[int, ...] = smtp.SUBMISSION_PORTS  # the vocabulary is bot/smtp.py
ALLOWED_PORTS: frozenset[int] = frozenset(SUBMISSION_PORTS)
IMPLICIT_TLS_PORTS: frozenset[int] = smtp.IMPLICIT_TLS_PORTS
MAX_INPUT_LEN = 1000
MAX_NAME_LEN = 253
TLS_MODES = ("starttls", "implicit", "none")  # `smtp-help probe --tls`: one mode forced on every port probed
URL_SCHEMES = {"smtp": None, "smtps": 465, "submission": 587, "submissions": 465}

# research/security.md §1.2, row by row. Python's own predicates drift between patch releases (§1.3),
# so this list is what decides; is_global is an extra net underneath it.
BLOCKED_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "192.88.99.0/24",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "::/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")

# Names that are internal by design (security.md S7); refusing by address is still the real control.
_DENIED_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain", ".lan", ".intranet")
_DENIED_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_LABEL_CHARS = frozenset(string.ascii_lowercase + string.digits + "-")
_HEX_DIGITS = frozenset(string.hexdigits.lower())


def _label_ok(label: str) -> bool:
    """An LDH label: 1-63 of a-z 0-9 -, not starting or ending with '-' (plain string checks, no regex)."""
    return 1 <= len(label) <= 63 and label[0] != "-" and label[-1] != "-" and set(label) <= _LABEL_CHARS


def _shown(text: str) -> str:
    """User text as an error message may quote it: cut short, and with any secret in it redacted."""
    return repr(redact(text[:60]).text)


@dataclass(frozen=True, kw_only=True)
class Target:
    """A probe target as understood from the user's text."""

    host: str  # ASCII: lower case, xn-- for IDN, no trailing dot; or an IP literal
    port: int | None = None  # None: probe every submission port
    ip: IPAddress | None = None  # set when the host is an IP literal
    display: str = ""  # what to echo back: Unicode name, credentials replaced by ***
    implicit_tls: bool | None = None  # smtps:// says implicit TLS; None when the text does not say
    had_credentials: bool = False

    @property
    def ports(self) -> tuple[int, ...]:
        """The ports to probe: the one given, or all submission ports."""
        return (self.port,) if self.port is not None else SUBMISSION_PORTS


def _port(raw: str) -> int:
    # ASCII digits only: str.isdigit() also accepts '²', which int() then refuses with a ValueError. The text
    # after ':' is never quoted back: in "apikey:Secret" it is a password.
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 5:
        raise InputError("the port after ':' is not a number from 1 to 65535 (use HOST:PORT, e.g. "
                         "smtp.example.com:587)")
    value = int(raw)
    if not 1 <= value <= 65535:
        raise InputError(f"port {value} is out of range (1-65535)")
    return value


def _host(raw: str) -> tuple[str, IPAddress | None, str]:
    """(ASCII host, IP if literal, display form) or InputError/TargetNotAllowed."""
    text = raw.strip().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not text:
        raise InputError("no host name given")
    if "%" in text:
        raise InputError("scoped IPv6 addresses (with %zone) cannot be probed")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        ip = None
    if ip is not None:
        return str(ip), ip, str(ip)
    if ":" in text:
        raise InputError(f"{_shown(text)} is not a valid IPv6 address")
    if len(text) > MAX_NAME_LEN:
        raise InputError(f"host name is {len(text)} characters long; DNS names are at most {MAX_NAME_LEN}")
    try:
        ascii_name = idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        raise InputError(f"{_shown(text)} is not a valid host name") from None
    if len(ascii_name) > MAX_NAME_LEN:
        raise InputError(f"host name is {len(ascii_name)} characters long once encoded; the limit is 253")
    labels = ascii_name.split(".")
    if not all(_label_ok(label) for label in labels):
        raise InputError(f"{_shown(text)} is not a valid host name (letters, digits, hyphens and dots only)")
    last = labels[-1]
    if last.isdigit() or (last.startswith("0x") and len(last) > 2 and set(last[2:]) <= _HEX_DIGITS):
        # 127.1, 2130706433, 0x7f.1, 0177.0.0.1: the resolver would read these as addresses (security.md S2)
        raise InputError(f"{_shown(text)} is neither a host name nor an IP address in dotted form")
    if ascii_name in _DENIED_NAMES or ascii_name.endswith(_DENIED_SUFFIXES):
        raise TargetNotAllowed(f"{ascii_name} is an internal name and cannot be probed")
    if len(labels) < 2:
        raise TargetNotAllowed(f"{ascii_name!r} is a single-label (internal) name; give the full host name")
    try:
        display = idna.decode(ascii_name)
    except (idna.IDNAError, UnicodeError):
        display = ascii_name
    return ascii_name, None, display


def parse_target(text: str) -> Target:
    """Read `HOST`, `HOST:PORT`, `[V6]:PORT`, an IP literal or an `smtp(s)://[user:pass@]host[:port]` URL.

    The port is checked for shape only (1-65535); whether it may be probed is `check_port()`'s business.
    """
    raw = (text or "").strip()
    if not raw:
        raise InputError("no target given (expected HOST[:PORT], e.g. smtp.gmail.com:587)")
    if len(raw) > MAX_INPUT_LEN:
        raise InputError(f"target is {len(raw)} characters long; that is not a host name")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in raw):
        raise InputError("target contains spaces or control characters")
    if "://" not in raw and redact(raw).kinds:
        # "SG.xxx.yyy" is shaped like a host name: it must not reach DNS, a log or a reply
        raise InputError("that looks like a credential, not a host name; it was not used (rotate it if it was real)")
    if "://" in raw:
        return _parse_url(raw)
    if "@" in raw:
        raise InputError(
            "that looks like an e-mail address; give the SMTP server's host name "
            "(e.g. smtp.gmail.com), or pass the domain as --sender-domain"
        )
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise InputError("unclosed '[' in IPv6 address")
        rest = raw[end + 1 :]
        if rest and not rest.startswith(":"):
            raise InputError("expected ':PORT' after ']'")
        host, ip, display = _host(raw[: end + 1])
        port = _port(rest[1:]) if rest else None
        return Target(host=host, ip=ip, port=port, display=f"[{display}]" + (f":{port}" if port else ""))
    if raw.count(":") >= 2:
        host, ip, display = _host(raw)
        return Target(host=host, ip=ip, display=display)
    name, sep, port_text = raw.partition(":")
    port = _port(port_text) if sep else None
    host, ip, display = _host(name)
    return Target(host=host, ip=ip, port=port, display=display + (f":{port}" if port else ""))


def _parse_url(raw: str) -> Target:
    scheme, _, rest = raw.partition("://")
    scheme = scheme.lower()
    if scheme not in URL_SCHEMES:
        raise InputError(f"only smtp:// and smtps:// URLs can be probed, not {scheme[:20]}://")
    # Cut at the last '@' before anything else: a password may hold '/', '?' or '#', and none of it
    # may ever reach an error message.
    had_credentials = "@" in rest
    after = rest.rpartition("@")[2]
    hostport = after.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    display_prefix = f"{scheme}://" + ("***@" if had_credentials else "")
    try:
        parts = urlsplit(f"{scheme}://{hostport}")
        url_port = parts.port
    except ValueError:
        port_text = hostport.rpartition(":")[2] if ":" in hostport else ""
        _port(port_text)  # raises a readable InputError for 'abc', 0, 70000
        raise InputError(f"cannot read the URL {display_prefix}{_shown(hostport)[1:-1]}") from None
    if url_port == 0:
        raise InputError("port 0 is out of range (1-65535)")
    host, ip, display = _host(parts.hostname or "")
    port = url_port or URL_SCHEMES[scheme]
    shown = f"[{display}]" if ip is not None and ip.version == 6 else display
    return Target(
        host=host,
        ip=ip,
        port=port,
        display=display_prefix + shown + (f":{url_port}" if url_port else ""),
        implicit_tls=scheme in ("smtps", "submissions") or None,
        had_credentials=had_credentials,
    )


def check_port(port: int, *, extra_ports: Iterable[int] = ()) -> int:
    """Return the port if it may be probed, else raise TargetNotAllowed (allow-list: 25, 465, 587, 2525).

    `extra_ports` exists for tests and the lab; production code never passes it.
    """
    if not 1 <= port <= 65535:
        raise InputError(f"port {port} is out of range (1-65535)")
    if port not in ALLOWED_PORTS and port not in set(extra_ports):
        allowed = ", ".join(str(p) for p in SUBMISSION_PORTS)
        raise TargetNotAllowed(f"port {port} is not an SMTP submission port (allowed: {allowed})")
    return port


def expected_tls(port: int) -> str:
    """'implicit' on 465, 'starttls' on the other submission ports."""
    return "implicit" if port in IMPLICIT_TLS_PORTS else "starttls"


def address_refusal(ip: IPAddress, *, allow_networks: Sequence[Network] = ()) -> str | None:
    """Why the address may not be probed, or None if it may.

    An operator's allow-list (PROBE_ALLOW_NETWORKS) wins over the block list, but only for addresses of the
    same family written in that form: allowing 127.0.0.0/8 does not allow ::ffff:127.0.0.1.
    """
    for net in allow_networks:
        if ip.version == net.version and ip in net:
            return None
    for net in BLOCKED_NETWORKS:
        if ip.version == net.version and ip in net:
            return f"non-public address range ({'IPv6' if ip.version == 6 else 'IPv4'} special-purpose)"
    if not ip.is_global or ip.is_multicast:
        return "non-public address"
    if ip.version == 6 and ip not in _GLOBAL_UNICAST_V6:
        return "IPv6 address outside global unicast (2000::/3)"
    return None


def check_addresses(
    host: str, addresses: Sequence[IPAddress], *, allow_networks: Sequence[Network] = ()
) -> None:
    """Raise TargetNotAllowed if any address is refused (all must pass: security.md S3).

    The message never says what the name resolved to (S11), so the bot is not a DNS oracle.
    """
    for ip in addresses:
        if address_refusal(ip, allow_networks=allow_networks):
            raise TargetNotAllowed(f"target not allowed: {host} is or resolves to a non-public address")


def canonical_target(text: str) -> tuple[str, str]:
    """(host, key) one probe target is known by, whatever its spelling: `SMTP.Example.com.`, `smtp.example.com:587`
    and `smtps://u:p@smtp.example.com:587` share the host `smtp.example.com`; the key adds the port(s) and the TLS
    mode. Text that is not a target keeps its own (lower-cased) spelling, so it can still be limited."""
    try:
        target = parse_target(text)
    except (InputError, TargetNotAllowed):
        raw = (text or "").strip().lower()[:MAX_INPUT_LEN]
        return raw, raw
    ports = ",".join(str(p) for p in target.ports)
    return target.host, f"{target.host}:{ports}:{target.implicit_tls}"
