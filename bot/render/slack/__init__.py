"""Slack Block Kit views, one module per screen: pure builders, no I/O.

kit.py      primitives and Slack's limits (the only place they are enforced)
actions.py  the button protocol: action ids, and the value encoder and decoder
answer.py   the answer to a paste (cause, evidence, fix, buttons), other causes, secret and "unclear" notes
probe.py    a probe's progress line, per-port table and findings
home.py     help, the App Home tab, a provider's settings card and the paste modal
login.py    the private login test: its modal and its verdict
"""

from __future__ import annotations

__all__: list[str] = []
