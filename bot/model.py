"""The data that flows through smtp-help: plain frozen dataclasses, no behaviour beyond conversion."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot import smtp
from bot.codec import to_json
from bot.redact import to_rotate
from bot.transcript import Transcript

if TYPE_CHECKING:  # the probe's report type; the probe package itself is not loaded for a diagnosis
    from bot.probe.report import ProbeReport

__all__ = ["EVIDENCE_LABELS", "TLS_MODES", "CauseMatch", "Diagnosis", "Evidence", "EvidenceSource", "Facts", "Finding",
           "LintIssue"]

TLS_MODES = smtp.TLS_MODES  # a pinned public name; the vocabulary itself is bot/smtp.py


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What extraction read from a paste (after normalising and redacting it)."""

    reply_codes: tuple[int, ...] = ()
    enhanced_codes: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()            # every SMTP-looking host name, first seen first
    host: str | None = None                # the submission host the settings point at, if one stands out
    port: int | None = None
    tls_mode: str | None = None            # one of TLS_MODES, as configured in the paste
    username: str | None = None            # never a secret: a mailbox address, "apikey", an AWS key id masked
    username_form: str | None = None       # full_address | local_part | apikey | aws_key_id | empty | other
    provider: str | None = None            # knowledge/providers id
    client: str | None = None              # knowledge/clients id
    language: str | None = None
    sender_domain: str | None = None
    secrets: tuple[str, ...] = ()          # kinds of secret that were redacted (e.g. "sendgrid_key")
    flags: tuple[str, ...] = ()            # derived: auth_attempted, auth_succeeded, intercepted, mx_delivery
    greeting_host: str | None = None       # the host name in a 220 greeting, when the paste shows one
    failed_step: str | None = None         # the step a pasted SMTP transcript failed at (bot/transcript.py STEPS)
    failed_code: int | None = None         # the server's reply code at that step, when it gave one

    @property
    def exposed(self) -> tuple[str, ...]:
        """The redacted secrets the user must rotate (an AWS key id alone is an identifier, not one of them)."""
        return to_rotate(self.secrets)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, tuples as lists, empty values dropped."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v not in (None, ())}


EvidenceSource = Literal["paste", "settings", "probe"]
# How each source is named in front of its line, by every view alike (a paste's own line needs no name).
EVIDENCE_LABELS: dict[str, str] = {"paste": "", "settings": "settings", "probe": "live probe"}


@dataclass(frozen=True)
class Evidence:
    """One line that put a cause where it is, and where it comes from: a line of the paste (or a reason read
    from it), a contradiction in the settings (bot.lint), or what the live probe saw. Views choose by `source`;
    `str()` is the line as every view shows it."""

    source: EvidenceSource
    text: str

    def __str__(self) -> str:
        label = EVIDENCE_LABELS[self.source]
        return f"{label}: {self.text}" if label else self.text


@dataclass(frozen=True, kw_only=True)
class CauseMatch:
    """One ranked candidate cause with the evidence that put it there."""

    id: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LintIssue:
    """A contradiction found in settings alone (no error needed)."""

    id: str          # knowledge/lint rule id
    cause: str       # taxonomy id it points to
    message: str     # rendered sentence, already specific to the paste


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A live-probe observation mapped to a taxonomy cause."""

    cause: str
    detail: str
    # False for a property of a healthy server that explains a client's error only if the paste agrees
    # (AUTH offered only after STARTTLS): it joins the evidence with less weight and is not shown as a fault.
    decisive: bool = True


@dataclass(frozen=True, kw_only=True)
class Diagnosis:
    """Everything every front end renders: Slack blocks, terminal text and --json are views of this."""

    is_smtp: bool
    causes: tuple[CauseMatch, ...]
    facts: Facts
    lint: tuple[LintIssue, ...] = ()
    findings: tuple[Finding, ...] = ()
    ambiguity: str | None = None           # why the text cannot decide between the top causes, and what decides
    probe: ProbeReport | None = None       # the live probe's report, when one ran
    transcript: Transcript | None = None   # the SMTP dialogue read from a debug transcript or MTA log line
    text: str = field(default="", repr=False)  # the normalised, redacted paste (safe to echo after escaping)

    @property
    def top(self) -> CauseMatch | None:
        """The best cause, if any."""
        return self.causes[0] if self.causes else None

    def to_dict(self) -> dict[str, Any]:
        """The CLI's --json object (see README)."""
        out: dict[str, Any] = {
            "is_smtp": self.is_smtp,
            "causes": [{"id": c.id, "confidence": round(c.confidence, 3), "evidence": [str(e) for e in c.evidence]}
                       for c in self.causes],
            "provider": self.facts.provider,
            "client": self.facts.client,
            "facts": self.facts.to_dict(),
        }
        if self.lint:
            out["lint"] = [{"id": i.id, "cause": i.cause, "message": i.message} for i in self.lint]
        if self.findings:
            out["findings"] = [{"cause": f.cause, "detail": f.detail} for f in self.findings]
        if self.ambiguity:
            out["ambiguity"] = self.ambiguity
        if self.transcript is not None:
            out["transcript"] = self.transcript.to_list()
            out["failed_step"] = self.transcript.failed_step
        if self.facts.secrets:
            out["secrets_redacted"] = list(self.facts.secrets)
        if self.probe is not None:
            out["probe"] = to_json(self.probe)
        return out
