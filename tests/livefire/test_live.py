"""Live fire: every client really run against every misconfigured server on loopback, its output diagnosed.

Needs root (each client runs with a private /etc/resolv.conf naming the lab's stub resolver, so no DNS query
leaves the machine) and the Debian packages of scripts/setup-system.sh; installs nodemailer and Django under
.cache/livefire on first use. About two minutes on two cores (six clients at a time).
"""

from __future__ import annotations

import pytest

from bot.kb import KnowledgeBase
from tests.livefire import capture
from tests.livefire.clients import CLIENTS, SECRET_FORMS, isolation_missing, missing_tools
from tests.livefire.scenarios import SCENARIOS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live(kb: KnowledgeBase) -> dict[tuple[str, str], capture.Verdict]:
    reason = isolation_missing()
    if reason:
        pytest.skip(f"live-fire needs root: {reason}")
    missing = missing_tools()
    assert not missing, f"client tools missing (run scripts/setup-system.sh): {', '.join(missing)}"
    judged = capture.judge(capture.run_all(log=lambda _: None), kb, capture.load_known_misses())
    capture.LAST_LIVE[:] = judged
    return {v.key: v for v in judged}


def test_every_client_ran_against_every_scenario(live: dict[tuple[str, str], capture.Verdict]) -> None:
    assert set(live) == {(c, s.name) for c in CLIENTS for s in SCENARIOS}


def test_live_captures_are_redacted(live: dict[tuple[str, str], capture.Verdict]) -> None:
    for v in live.values():
        assert not any(secret in v.capture.text for secret, _ in SECRET_FORMS), v.key


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("scenario", [s.name for s in SCENARIOS])
def test_engine_names_the_constructed_cause(client: str, scenario: str,
                                            live: dict[tuple[str, str], capture.Verdict]) -> None:
    v = live[(client, scenario)]
    if not v.right and v.known:
        pytest.xfail(v.known)
    assert v.capture.exit_code != 0, f"{client} reports success against {scenario}: nothing to diagnose"
    assert v.answer in v.capture.expected, f"answered {v.answer}, expected one of {v.capture.expected}:\n" \
                                            f"{v.capture.text[-1500:]}"
