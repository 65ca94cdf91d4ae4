"""A probe while it runs, in a terminal: the dialogue as swaks prints it (`-v`), or one progress line per port.

Both read the lines bot.probe.dialogue streams (`on_dialogue(port, line)`): `-> EHLO …`, `<- 250-…`, `== …`.
`VerboseLines` prints each line as it comes, labelled `[587]` when several ports run at once. `PortProgress`
keeps one line per port (connecting / greeting / EHLO / STARTTLS / TLS / AUTH / done) and redraws them in
place with two ANSI sequences (cursor up, erase line); it is only used when the output is a terminal, and it
erases itself before the report is printed. Server text reaches the terminal with control characters dropped.
"""

from __future__ import annotations

import time
from typing import TextIO

from bot.text import strip_controls

__all__ = ["PortProgress", "VerboseLines", "stage_of"]

_UP, _ERASE = "\x1b[{}A", "\r\x1b[2K"
_WIDTH = 100


def stage_of(line: str) -> str | None:
    """What a dialogue line says about a port's progress, in a few words; None for a line that changes nothing."""
    kind, _, text = line.partition(" ")
    if kind == "->":
        verb = text.split(" ", 1)[0].upper()
        return {"EHLO": "EHLO", "HELO": "HELO", "STARTTLS": "STARTTLS", "AUTH": "AUTH", "QUIT": "QUIT"}.get(verb)
    if kind == "<-":
        return None
    if text.startswith("connected to"):
        return "TLS handshake" if text.endswith("TLS handshake") else "waiting for the greeting"
    if text.startswith("TLS established:"):
        return text.removeprefix("TLS established:").strip().split(" ")[0] or "TLS"
    return text.removeprefix("done: ") if text.startswith("done: ") else text


def _safe(text: str, width: int = _WIDTH * 2) -> str:
    text = strip_controls(text).replace("\n", " ").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


class VerboseLines:
    """`-v`: each dialogue line printed as it happens; `[port]` in front when several ports run together."""

    def __init__(self, out: TextIO, *, labelled: bool) -> None:
        self.out, self.labelled = out, labelled

    def __call__(self, port: int | str, line: str) -> None:
        """The on_dialogue sink."""
        self.out.write((f"[{_safe(str(port), 80)}] " if self.labelled else "") + _safe(line) + "\n")
        self.out.flush()


class PortProgress:
    """One line per port, redrawn in place on a terminal while the probe runs."""

    def __init__(self, out: TextIO, target: str, ports: tuple[int, ...] = ()) -> None:
        self.out = out
        self.target = _safe(target, 80)
        self.started = time.monotonic()
        self.state: dict[int | str, str] = dict.fromkeys(ports, "connecting")
        self.drawn = 0

    def __call__(self, port: int | str, line: str) -> None:
        """The on_dialogue sink: note the port's new stage and redraw (a port of another host: "host:port")."""
        stage = stage_of(line)
        if stage is None and port in self.state:
            return
        self.state[port] = _safe(stage or "connecting", 70)
        self.draw()

    def lines(self) -> list[str]:
        """The lines a redraw shows: the target with the time so far, then one per port."""
        head = f"probing {self.target} … {time.monotonic() - self.started:.1f} s"
        width = max((len(str(p)) for p in self.state), default=0)
        rows = sorted(self.state.items(), key=lambda kv: (isinstance(kv[0], str), str(kv[0]).rjust(5)))
        return [head, *(f"  {_safe(str(p), 60).rjust(width)}  {s}" for p, s in rows)]

    def draw(self) -> None:
        """Replace what was drawn last with the current lines."""
        text = (_UP.format(self.drawn) if self.drawn else "") + "".join(
            f"{_ERASE}{line[:_WIDTH]}\n" for line in self.lines()
        )
        self.drawn = len(self.state) + 1
        self.out.write(text)
        self.out.flush()

    def clear(self) -> None:
        """Erase the progress lines (the report takes their place)."""
        if self.drawn:
            self.out.write(_UP.format(self.drawn) + "".join(_ERASE + "\n" for _ in range(self.drawn))
                           + _UP.format(self.drawn))
            self.out.flush()
            self.drawn = 0
