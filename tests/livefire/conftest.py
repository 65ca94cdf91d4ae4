"""Live-fire: print the client × scenario table of the live run (or of the committed corpus) after the tests."""

from __future__ import annotations

from typing import Any

from tests.livefire import capture


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, verdicts in (("live run", capture.LAST_LIVE), ("committed corpus", capture.LAST_CORPUS)):
        if verdicts:
            terminalreporter.section(f"live-fire: engine answers, {title}")
            terminalreporter.write_line(capture.table(verdicts))
            terminalreporter.write_line(capture.summary(verdicts))
