"""The SMTP vocabulary every room shares: submission ports, TLS modes, reply-code classes. Pure constants.

One place for what RFC 6409 / RFC 8314 / RFC 5321 fix, so extraction, the probe, its findings and the views never
spell a port list or a reply class again (aiosmtplib keeps the same in `typing.py` and `SMTP_*_PORT`).
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "AUTH_PORTS",
    "IMPLICIT_TLS_PORTS",
    "LEGACY_TLS_VERSIONS",
    "PORT_STATUSES",
    "STARTTLS_PORTS",
    "SUBMISSION_PORTS",
    "TLS_MODES",
    "ReplyCode",
    "is_permanent",
    "is_transient",
]

# Ports a mail client submits on and the probe may dial: 25 (relay, RFC 5321), 465 (implicit TLS, RFC 8314),
# 587 (submission with STARTTLS, RFC 6409) and 2525 (the providers' unofficial alternative to 587).
SUBMISSION_PORTS: tuple[int, ...] = (25, 465, 587, 2525)
IMPLICIT_TLS_PORTS: frozenset[int] = frozenset({465})
# Where a client is expected to upgrade with STARTTLS before AUTH (25 may relay without it).
STARTTLS_PORTS: frozenset[int] = frozenset({587, 2525})
# The message-submission ports proper, where a server must offer AUTH (RFC 6409 §4.3, RFC 8314 §3.3).
AUTH_PORTS: frozenset[int] = frozenset({465, 587})

# How a connection is (or is configured to be) encrypted: TLS from the first byte, an upgrade, or none.
TLS_MODES: tuple[str, ...] = ("implicit", "starttls", "none")
# What one probed port did: the probe maps every socket, TLS and SMTP failure to one of these.
PORT_STATUSES: tuple[str, ...] = ("ok", "refused", "timeout", "unreachable", "error")
# Protocol versions current clients refuse (RFC 8996 deprecates TLS 1.0 and 1.1).
LEGACY_TLS_VERSIONS: frozenset[str] = frozenset({"SSLv3", "TLSv1", "TLSv1.1"})


class ReplyCode(IntEnum):
    """The SMTP reply codes the code itself names (RFC 5321 §4.2.3; RFC 4954 for AUTH)."""

    ready = 220
    service_unavailable = 421
    local_error = 451
    temporary_auth_failure = 454
    parameter_not_implemented = 504
    auth_required = 530
    auth_mechanism_too_weak = 534
    auth_failed = 535


def is_transient(code: int) -> bool:
    """A 4yz reply: the server refuses for now; the same command may succeed later (RFC 5321 §4.2.1)."""
    return 400 <= code < 500


def is_permanent(code: int) -> bool:
    """A 5yz reply: the server refuses; repeating the same command will not help (RFC 5321 §4.2.1)."""
    return 500 <= code < 600

