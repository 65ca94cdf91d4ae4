"""Run every live-fire client against every scenario's server, diagnose each capture with the real engine, print the
client × scenario table, and (with --write) regenerate the committed corpus tests/livefire/captures.jsonl.

    python -m tests.livefire.capture                 # run, print the table and accuracy
    python -m tests.livefire.capture --write         # … and rewrite captures.jsonl
    python -m tests.livefire.capture --clients curl,swaks --scenarios wrong_password
    python -m tests.livefire.capture --from-corpus   # no clients: diagnose the committed corpus only

Needs root (private resolv.conf per client) and the Debian packages of scripts/setup-system.sh.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.livefire.clients import CLIENTS, Capture, isolation_missing, make_context, missing_tools, run_client, setup
from tests.livefire.scenarios import SCENARIOS
from tests.livefire.servers import Lab

__all__ = ["CORPUS", "KNOWN_MISSES", "Verdict", "judge", "load_corpus", "load_known_misses", "run_all", "table"]

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "captures.jsonl"
KNOWN_MISSES = HERE / "known_misses.yaml"
LOCK_FILE = Path(tempfile.gettempdir()) / "smtp-help-livefire.lock"
logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # aiosmtpd logs each odd client line
JOBS = int(os.environ.get("LIVEFIRE_JOBS", "6"))


@dataclass
class Verdict:
    capture: Capture
    answer: str | None          # the engine's top cause (None: no cause at all; "(sent)": the client succeeded)
    confidence: float
    right: bool
    known: str | None           # the known-misses reason, if listed
    is_smtp: bool = True        # the engine's gate: would it speak unasked on this text

    @property
    def key(self) -> tuple[str, str]:
        return self.capture.client, self.capture.scenario


# What the last judged run gave, for the terminal summary (conftest.py).
LAST_LIVE: list[Verdict] = []
LAST_CORPUS: list[Verdict] = []


def load_known_misses(path: Path = KNOWN_MISSES) -> dict[tuple[str, str], str]:
    data = yaml.safe_load(path.read_text()) or []
    return {(str(e["client"]), str(e["scenario"])): str(e["reason"]) for e in data}


def load_corpus(path: Path = CORPUS) -> list[Capture]:
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(Capture(d["client"], d["scenario"], tuple(d["expected"]), int(d["exit_code"]), 0.0, d["text"]))
    return out


def judge(captures: Iterable[Capture], kb: Any, known: dict[tuple[str, str], str]) -> list[Verdict]:
    """The engine's answer for each capture and whether it is one the scenario accepts."""
    from bot.diagnose import diagnose

    verdicts = []
    for cap in captures:
        reason = known.get((cap.client, cap.scenario))
        if cap.sent:
            verdicts.append(Verdict(cap, "(sent)", 0.0, False, reason))
            continue
        d = diagnose(cap.text, kb=kb)
        top = d.top
        answer = top.id if top else None
        verdicts.append(Verdict(cap, answer, top.confidence if top else 0.0, answer in cap.expected, reason,
                                d.is_smtp))
    return verdicts


@contextlib.contextmanager
def exclusive(log: Any = print) -> Iterator[None]:
    """One live-fire run at a time on this machine: the Postfix lab needs 127.0.0.1:25/587/465/466, and two runs
    would answer each other's clients (a second run waits for the first)."""
    with open(LOCK_FILE, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another live-fire run to finish ({LOCK_FILE})")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_all(clients: Iterable[str] = CLIENTS, scenarios: Iterable[str] | None = None,
            log: Any = print) -> list[Capture]:
    """Start the lab, run each client × scenario (JOBS at a time), stop the lab."""
    names = set(scenarios) if scenarios else {s.name for s in SCENARIOS}
    setup(log)
    with exclusive(log), tempfile.TemporaryDirectory(prefix="livefire-") as tmp:
        workdir = Path(tmp)
        lab = Lab.start(workdir)
        try:
            ctx = make_context(lab, workdir)
            jobs = [(c, lab.endpoints[s.name]) for s in SCENARIOS if s.name in names for c in clients]
            with ThreadPoolExecutor(max_workers=JOBS) as pool:
                return list(pool.map(lambda job: run_client(job[0], job[1], ctx), jobs))
        finally:
            lab.stop()


def table(verdicts: list[Verdict], *, mark_known: bool = True) -> str:
    """Markdown table: one row per scenario, one column per client. ✓ right top-1; ✓° right, but the engine's
    is_smtp gate says not SMTP (it would stay silent unasked in a channel); ✗ wrong, with the answer given;
    (k) listed in known_misses.yaml; "(sent)" the client reported success, so there was nothing to diagnose."""
    clients = list(dict.fromkeys(v.capture.client for v in verdicts))
    scenarios = list(dict.fromkeys(v.capture.scenario for v in verdicts))
    cell = {v.key: v for v in verdicts}
    lines = ["| scenario (expected) | " + " | ".join(clients) + " |", "|---|" + "---|" * len(clients)]
    for s in scenarios:
        first = next(v for v in verdicts if v.capture.scenario == s)
        row = [f"{s} ({'/'.join(first.capture.expected)})"]
        for c in clients:
            v = cell.get((c, s))
            if v is None:
                row.append("")
            elif v.right:
                row.append("✓" if v.is_smtp else "✓°")
            else:
                row.append(f"✗ {v.answer or 'none'}" + (" (k)" if v.known and mark_known else ""))
        lines.append("| " + " | ".join(row) + " |")
    totals = ["**top-1 per client**"]
    for c in clients:
        mine = [v for v in verdicts if v.capture.client == c and v.answer != "(sent)"]
        totals.append(f"{sum(v.right for v in mine)}/{len(mine)}")
    lines.append("| " + " | ".join(totals) + " |")
    return "\n".join(lines)


def summary(verdicts: list[Verdict]) -> str:
    diagnosed = [v for v in verdicts if v.answer != "(sent)"]
    right = sum(v.right for v in diagnosed)
    sent = len(verdicts) - len(diagnosed)
    unknown = [v for v in verdicts if not v.right and not v.known]
    stale = [v for v in verdicts if v.right and v.known]
    gate = sum(v.is_smtp for v in diagnosed)
    out = [f"live-fire: {len(verdicts)} captures ({len({v.capture.client for v in verdicts})} clients × "
           f"{len({v.capture.scenario for v in verdicts})} scenarios), {sent} sent anyway by the client; "
           f"engine top-1 {right}/{len(diagnosed)} = {right / max(1, len(diagnosed)):.3f}; "
           f"is_smtp true on {gate}/{len(diagnosed)}"]
    out += [f"  UNLISTED MISS {v.capture.client} × {v.capture.scenario}: answered {v.answer}" for v in unknown]
    out += [f"  now right (drop from known_misses): {v.capture.client} × {v.capture.scenario}" for v in stale]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.livefire.capture", description=__doc__.split("\n")[0])
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--scenarios", default="")
    ap.add_argument("--write", action="store_true", help="rewrite tests/livefire/captures.jsonl")
    ap.add_argument("--from-corpus", action="store_true", help="diagnose the committed corpus, run no client")
    ap.add_argument("--show", default="", help="print the capture text of client:scenario")
    ap.add_argument("--readme", action="store_true", help="the table as README carries it (no known-miss marks)")
    args = ap.parse_args(argv)
    from bot.kb import load_knowledge_base

    if args.from_corpus:
        captures = load_corpus()
    else:
        problems = missing_tools()
        reason = isolation_missing()
        if problems or reason:
            print(f"cannot run the live-fire clients: {', '.join(problems) or reason} "
                  "(run scripts/setup-system.sh as root)", file=sys.stderr)
            return 2
        clients = [c for c in args.clients.split(",") if c]
        bad = [c for c in clients if c not in CLIENTS]
        if bad:
            print(f"unknown client(s): {', '.join(bad)}; known: {', '.join(CLIENTS)}", file=sys.stderr)
            return 2
        t0 = time.monotonic()
        captures = run_all(clients, [s for s in args.scenarios.split(",") if s] or None)
        print(f"ran {len(captures)} client runs in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        if args.write:
            order = {c: i for i, c in enumerate(CLIENTS)}
            captures.sort(key=lambda c: (order[c.client], [s.name for s in SCENARIOS].index(c.scenario)))
            CORPUS.write_text("".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in captures))
            print(f"wrote {CORPUS}", file=sys.stderr)
    if args.show:
        c, s = args.show.split(":")
        for cap in captures:
            if cap.client == c and cap.scenario == s:
                print(f"--- {c} × {s} (exit {cap.exit_code}, {cap.seconds} s)\n{cap.text}")
    verdicts = judge(captures, load_knowledge_base(), load_known_misses())
    print(table(verdicts, mark_known=not args.readme))
    print(summary(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
