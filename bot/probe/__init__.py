"""Live probe: DNS and SMTP handshake checks on the submission ports, safely, with findings for the diagnosis.

    report = await run_probe("smtp.gmail.com", allow_networks=settings.probe_allow_networks)
    report.findings       # tuple[bot.model.Finding, ...], taxonomy cause ids

`run_probe` lives in bot/probe/run.py. The names below are re-exported lazily (PEP 562), so importing a pure
module of this package (targets, choose, report) does not load the network stack (dnspython, aiosmtplib): the
Slack app decides which target to offer without paying for the probe until one runs.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DEFAULT_BUDGET_S", "PortResult", "ProbeLimits", "ProbeReport", "RateKey", "parse_target", "run_probe"]

_LAZY = {
    "DEFAULT_BUDGET_S": "bot.probe.run",
    "run_probe": "bot.probe.run",
    "ProbeLimits": "bot.probe.limits",
    "RateKey": "bot.probe.limits",
    "PortResult": "bot.probe.report",
    "ProbeReport": "bot.probe.report",
    "parse_target": "bot.probe.targets",
}


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
