"""Block Kit for the private login test ("Test login", `/smtp-help probe host --auth`): pure builders, no I/O.

The modal asks for a username and a password and says what happens to them; the verdict says whether the one
AUTH was accepted, with which mechanism, and what the server answered. The password never reaches this module:
the verdict takes the report and the username only. Server text is escaped and capped like every probe line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.render.escape import escape_mrkdwn
from bot.render.slack.kit import HEADER_MAX, Block, code, mrkdwn, plain
from bot.text import strip_controls

if TYPE_CHECKING:
    from bot.probe.report import PortResult, ProbeReport

__all__ = [
    "LOGIN_MODAL_CALLBACK",
    "LOGIN_PASSWORD_ACTION",
    "LOGIN_PASSWORD_BLOCK",
    "LOGIN_USER_ACTION",
    "LOGIN_USER_BLOCK",
    "PASSWORD_MAX",
    "USERNAME_MAX",
    "login_fallback",
    "login_header",
    "login_modal",
    "login_verdict",
]

LOGIN_MODAL_CALLBACK = "smtp_help_login_modal"
LOGIN_USER_BLOCK = "login_user"
LOGIN_USER_ACTION = "username"
LOGIN_PASSWORD_BLOCK = "login_password"  # noqa: S105  (a block id, not a secret)
LOGIN_PASSWORD_ACTION = "password"  # noqa: S105  (an action id, not a secret)
USERNAME_MAX = 320  # an address at most (RFC 5321 path limits)
PASSWORD_MAX = 256


def login_modal(*, target: str, port: int | None, channel_id: str | None, checks_left: int) -> dict[str, Any]:
    """The private modal that asks for the credentials; private_metadata keeps the target and the channel.

    `port` is where the one AUTH will be tried (None when the target cannot be read yet: the submission then
    answers with the reason). `checks_left` is the per-user allowance shown in the modal.
    """
    where = f"{code(target, 255)} port {port}" if port else code(target, 255)
    text = (
        f"smtp-help connects to {where}, starts TLS and tries *one* AUTH with these credentials, then QUITs. "
        "No mail is sent.\n"
        ":lock: The password is used once, for that one AUTH over TLS, and is never stored, logged or shown. "
        "Only you see the result."
    )
    note = (
        f"Failed logins count towards your provider's lock-out, so you can test {checks_left} times in "
        "10 minutes. Prefer an app password or a test account over your main password."
    )
    return {
        "type": "modal",
        "callback_id": LOGIN_MODAL_CALLBACK,
        "private_metadata": json.dumps({"t": target[:255], "c": channel_id or ""}, separators=(",", ":")),
        "title": plain("Test SMTP login", 24),
        "submit": plain("Test login", 24),
        "close": plain("Cancel", 24),
        "clear_on_close": True,
        "notify_on_close": False,
        "blocks": [
            {"type": "section", "text": mrkdwn(text)},
            {
                "type": "input",
                "block_id": LOGIN_USER_BLOCK,
                "label": plain("SMTP username", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": LOGIN_USER_ACTION,
                    "max_length": USERNAME_MAX,
                    "placeholder": plain("you@example.com, or apikey for SendGrid", 150),
                },
            },
            {
                "type": "input",
                "block_id": LOGIN_PASSWORD_BLOCK,
                "label": plain("SMTP password (used once, never stored)", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": LOGIN_PASSWORD_ACTION,
                    "max_length": PASSWORD_MAX,
                },
            },
            {"type": "context", "elements": [mrkdwn(note)]},
        ],
    }


def login_header(report: ProbeReport) -> Block:
    """ "Login test: host" (plain text, so nothing in the host name is read as markup)."""
    return {"type": "header", "text": plain(f"Login test: {report.host or '?'}", HEADER_MAX)}


def _auth_port(report: ProbeReport) -> PortResult | None:
    return next((p for p in report.ports if p.auth is not None), report.ports[0] if report.ports else None)


def login_verdict(report: ProbeReport, *, username: str) -> Block:
    """The section that leads the answer: accepted / refused / not tried, the mechanism and the server's reply."""
    user = code(username, 120)
    port = _auth_port(report)
    if port is None:
        return {"type": "section", "text": mrkdwn(":warning: *Login not tried*: no port could be probed.")}
    auth = port.auth
    if auth is None:
        why = port.error or port.status or "the connection did not get that far"
        text = f":warning: *Login not tried* on port {port.port}: the probe stopped before AUTH ({code(why)})."
        return {"type": "section", "text": mrkdwn(text)}
    reply = " ".join(str(v) for v in (auth.code, auth.text) if v not in (None, ""))
    said = f" — the server said {code(reply)}." if reply else "."
    if not auth.mechanism:  # not attempted: no TLS, no AUTH offered, no PLAIN/LOGIN
        text = f":warning: *Login not tried* on port {port.port}: {code(auth.text or 'not attempted')}."
    elif auth.ok:
        text = (f":white_check_mark: *Login accepted* for {user} on port {port.port} with AUTH "
                f"{escape_mrkdwn(auth.mechanism)}{said}")
    else:
        text = f":x: *Login refused* for {user} on port {port.port} with AUTH {escape_mrkdwn(auth.mechanism)}{said}"
    return {"type": "section", "text": mrkdwn(text)}


def login_fallback(report: ProbeReport | None, *, target: str) -> str:
    """The message's `text` (notification line), escaped."""
    port = _auth_port(report) if report is not None else None
    auth = port.auth if port is not None else None
    if auth is None or not auth.mechanism:
        outcome = "not tried"
    elif auth.ok:
        outcome = "login accepted"
    else:
        outcome = f"login refused ({auth.code or 'no code'})"
    return escape_mrkdwn(f"smtp-help login test of {strip_controls(target)[:255]}: {outcome}")
