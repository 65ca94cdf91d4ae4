"""Which target a live probe of a diagnosis checks: THE one answer, for the CLI's `--probe` and Slack's buttons.

The candidate is the paste's host (with its port when that is a submission port; any other port is not probed,
so every submission port is), else the detected provider's first documented submission host. It is offered only
when the probe itself would accept it (`parse_target` and the port allow-list of bot.probe.targets), so a button
never leads to a refusal for a reason known before the click (a `<region>` placeholder, port 8025). What only the
network can tell (DNS, the address guard) is still checked when the probe runs. Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.errors import InputError, TargetNotAllowed
from bot.kb.model import KnowledgeBase
from bot.model import Diagnosis, Facts
from bot.probe.targets import check_port, parse_target
from bot.smtp import SUBMISSION_PORTS

__all__ = ["candidates", "probe_target", "probe_would_accept"]


def candidates(facts: Facts, kb: KnowledgeBase) -> Iterator[str]:
    """host[:port] targets the paste points at, best first, before the probe's own checks."""
    if facts.host:
        yield f"{facts.host}:{facts.port}" if facts.port in SUBMISSION_PORTS else facts.host
        return
    provider = kb.providers.get(facts.provider) if facts.provider else None
    for entry in (provider.data.get("submission") or []) if provider else []:
        if entry.get("host"):
            yield str(entry["host"])


def probe_would_accept(target: str) -> bool:
    """Whether `run_probe(target)` gets past reading the target and the port allow-list."""
    try:
        for port in parse_target(target).ports:
            check_port(port)
    except (InputError, TargetNotAllowed):
        return False
    return True


def probe_target(diagnosis: Diagnosis, kb: KnowledgeBase) -> str | None:
    """What a live probe should check for this paste, or None when there is nothing the probe would accept."""
    return next((t for t in candidates(diagnosis.facts, kb) if probe_would_accept(t)), None)
