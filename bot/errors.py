"""One exception tree for smtp-help.

    SmtpHelpError(Exception)
    ├── KnowledgeBaseError(SmtpHelpError, ValueError)   a knowledge file is malformed (.path, .field)
    ├── ConfigError(SmtpHelpError, ValueError)          the environment is missing or contradicts a setting
    ├── InputError(SmtpHelpError, ValueError)           user input cannot be read (bad target, bad JSON line)
    ├── CodecError(SmtpHelpError, ValueError)           a stored JSON document does not fit its type (bot/codec.py)
    ├── ProbeError(SmtpHelpError)                       the probe could not run at all (a failed port is a result)
    │   ├── TargetNotAllowed(ProbeError, PermissionError)  SSRF guard refused the host, port or address
    │   └── ProbeTimeout(ProbeError, TimeoutError)         the whole-probe budget ran out
    └── StoreError(SmtpHelpError)                       state storage is unreachable or refused a write
"""

from __future__ import annotations

from typing import TypeVar

__all__ = [
    "CodecError",
    "ConfigError",
    "InputError",
    "KnowledgeBaseError",
    "ProbeError",
    "ProbeTimeout",
    "SmtpHelpError",
    "StoreError",
    "TargetNotAllowed",
    "in_chain",
]


class SmtpHelpError(Exception):
    """Base of every error smtp-help raises on purpose."""


class KnowledgeBaseError(SmtpHelpError, ValueError):
    """A knowledge file is malformed; names the file and the field."""

    def __init__(self, path: str, field: str, message: str) -> None:
        self.path = path
        self.field = field
        self.message = message
        super().__init__(f"{path}: {field}: {message}" if field else f"{path}: {message}")


class ConfigError(SmtpHelpError, ValueError):
    """A setting in the environment is missing, malformed or contradicts another."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message
        super().__init__(f"{name}: {message}")


class InputError(SmtpHelpError, ValueError):
    """User input cannot be read as asked (a bad probe target, a bad JSON line)."""


class CodecError(SmtpHelpError, ValueError):
    """A stored JSON document (probe cache, job result) does not have the shape of the type it is read as."""


class ProbeError(SmtpHelpError):
    """The probe could not run at all."""


class TargetNotAllowed(ProbeError, PermissionError):
    """The SSRF guard refused the host, port or resolved address."""


class ProbeTimeout(ProbeError, TimeoutError):
    """The whole-probe time budget ran out."""


class StoreError(SmtpHelpError):
    """State storage is unreachable or refused a write."""


_E = TypeVar("_E", bound=BaseException)


def in_chain(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of `kind` in exc's cause/context chain (aiosmtplib wraps ssl and socket errors)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
