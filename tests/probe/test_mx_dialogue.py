"""-v for a bare mail domain: each MX host's session on 25 keeps its own label, apart from the others'."""

from __future__ import annotations

from typing import Any

from tests.probe.test_mx import _kb
from tests.probe.test_mx import lab as mx_lab

lab = mx_lab  # the bare-mail-domain lab of test_mx.py: two MX hosts on 25 and the provider's submission host


async def test_each_mx_host_streams_under_its_own_label(lab: Any) -> None:
    streamed: list[tuple[int | str, str]] = []
    report = await lab(providers=_kb(), on_dialogue=lambda label, line: streamed.append((label, line)))
    labels = {label for label, _line in streamed}
    assert {"a.mx.labmail.test:25", "b.mx.labmail.test:25", "smtp.labmail.test:587"} <= labels
    for p in report.ports:
        own = [line for label, line in streamed if label == f"{p.host}:{p.port}"]
        assert own[: len(p.dialogue)] == list(p.dialogue)  # one session per label, in its own order
        assert own[-1].startswith("== done: ")
