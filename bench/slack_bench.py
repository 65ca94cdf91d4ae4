"""Slack app benchmark: ack latency under a burst and a steady rate, correctness under mixed traffic.

    .venv/bin/python bench/slack_bench.py [--burst 200] [--rounds 3] [--rate 50] [--seconds 10] [--json]

Starts, on loopback: the fake Slack Web API (bench/slack_procs.py fake), the real app (`smtp-help serve`,
default SQLite store in a temp dir, real knowledge base and engine) and the floor (a minimal bolt app that
only acks /smtp-help and responds). Measures:

  burst   `ab -n 200 -c 200` of one signed /smtp-help request (signed with a timestamp taken at run time),
          alternating floor and app for --rounds rounds; p99 ack from ab; then waits until the app has
          answered every command on the response_url.
  steady  50 commands/s for 10 s (open loop, aiohttp client), p99 ack.
  mixed   1,000 channel messages: 90 % not SMTP, 10 % SMTP pastes, plus a retried delivery (same event_id,
          X-Slack-Retry-Num: 1) of every SMTP one; counts the replies per message.
  rss     the app's resident memory after all of that (/proc/<pid>/status VmRSS).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import stop_processes  # noqa: E402 - needs the repository root on sys.path

__all__ = ["main"]

SECRET = "bench-signing-secret-0123456789abcdef"  # noqa: S105 - a throw-away secret for loopback
PY = sys.executable
PASTE = (
    "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted') smtp.gmail.com:587"
)
EVAL = ROOT.parent / "shared" / "eval" / "dev.jsonl"
CHATTER = [
    "lunch at noon?",
    "deploy of web-7 is done",
    "PR #{i} is ready for review",
    "who owns the billing dashboard?",
    "standup moved to 10:15",
    "the build is red again on main",
    "postgres replica lag is back to normal",
    "HTTP 502 from the payments API, retrying",
    "can someone approve my expense report",
    "thanks all, great demo",
    "kubectl rollout restart fixed it",
    "coffee machine on floor 3 is broken",
    "OOMKilled in worker pod {i}",
    "ticket {i}: customer wants an invoice copy",
    "the VPN drops every hour",
    "npm ERR! code ERESOLVE",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
    }


def command_body(response_url: str, text: str) -> str:
    return urlencode(
        {
            "token": "x",
            "team_id": "T123ABC456",
            "team_domain": "bench",
            "channel_id": "CBENCH",
            "channel_name": "bench",
            "user_id": "UBENCH1",
            "user_name": "bench",
            "command": "/smtp-help",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "ABENCH",
        }
    )


def wait_http(url: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


def calls(fake_port: int) -> list[dict[str, Any]]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{fake_port}/_calls", timeout=10) as resp:
        return list(json.load(resp))


def wait_posts(fake_port: int, path: str, count: int, timeout: float = 60.0) -> float:
    """Seconds until `count` posts reached `path` on the fake; raises when they never do."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        got = sum(1 for c in calls(fake_port) if c["path"] == path)
        if got >= count:
            return time.monotonic() - start
        time.sleep(0.2)
    raise RuntimeError(f"only {got}/{count} answers reached {path}")


def ab(url: str, body: str, n: int, c: int, workdir: Path) -> dict[str, float]:
    """Run ApacheBench with a freshly signed body; returns p50/p99/max ack in ms and failures."""
    body_file, pct_file = workdir / "body.txt", workdir / "pct.csv"
    body_file.write_text(body)
    headers = sign(body)
    cmd = [
        "ab",
        "-q",
        "-n",
        str(n),
        "-c",
        str(c),
        "-p",
        str(body_file),
        "-T",
        "application/x-www-form-urlencoded",
        "-e",
        str(pct_file),
    ]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    pct = {int(float(row[0])): float(row[1]) for row in csv.reader(pct_file.read_text().splitlines()[1:])}
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return {
        "p50": pct[50],
        "p99": pct[99],
        "max": pct[100],
        "failed": failed + (int(non2xx.group(1)) if non2xx else 0),
    }


async def steady(url: str, body: str, rate: int, seconds: int) -> dict[str, float]:
    """Open-loop: one request every 1/rate s regardless of answers; latency of each."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    latencies: list[float] = []
    failures = 0

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        t0 = time.perf_counter()
        async with session.post(url, data=body.encode(), headers=headers) as resp:
            await resp.read()
            failures += resp.status != 200
        latencies.append((time.perf_counter() - t0) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        tasks = []
        start = time.perf_counter()
        for i in range(rate * seconds):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(session)))
        await asyncio.gather(*tasks)
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "max": latencies[-1],
        "failed": failures,
        "n": len(latencies),
    }


def pick_pastes(n_smtp: int, n_other: int) -> tuple[list[str], list[str], int]:
    """SMTP pastes the engine answers confidently (eval dev set) and non-SMTP chatter it stays silent on."""
    from bot.diagnose import diagnose
    from bot.kb import load_knowledge_base
    from bot.slack.threads import confident_enough

    kb = load_knowledge_base()
    rows = [json.loads(line) for line in EVAL.read_text().splitlines() if line.strip()]
    smtp = [
        r["text"]
        for r in rows
        if r["labels"][0] != "not_smtp" and confident_enough(diagnose(r["text"], kb=kb))
    ]
    others = [r["text"] for r in rows if r["labels"] == ["not_smtp"]]
    others += [random.choice(CHATTER).format(i=i) for i in range(n_other)]
    disagree = sum(1 for t in others if confident_enough(diagnose(t, kb=kb)))
    others = [t for t in others if not confident_enough(diagnose(t, kb=kb))]
    random.shuffle(others)
    smtp = (smtp * (n_smtp // max(1, len(smtp)) + 1))[:n_smtp]
    return smtp, others[:n_other], disagree


async def mixed(url: str, smtp: list[str], other: list[str]) -> tuple[set[str], set[str]]:
    """Send every message (and a retry of each SMTP one); returns the ts of SMTP and non-SMTP messages."""
    events: list[tuple[dict[str, Any], dict[str, str]]] = []
    smtp_ts, other_ts = set(), set()
    for i, text in enumerate(smtp + other):
        ts = f"1700001000.{i:06d}"
        body = {
            "token": "x",
            "team_id": "T123ABC456",
            "api_app_id": "ABENCH",
            "type": "event_callback",
            "event_id": f"EvBench{i:06d}",
            "event_time": 1700001000,
            "event": {
                "type": "message",
                "channel": "CMIXED",
                "user": f"U{i % 50:05d}",
                "text": text,
                "ts": ts,
                "event_ts": ts,
                "channel_type": "channel",
            },
        }
        (smtp_ts if i < len(smtp) else other_ts).add(ts)
        events.append((body, {}))
        if i < len(smtp):
            events.append((body, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}))
    random.shuffle(events)
    sem = asyncio.Semaphore(16)

    async def send(session: aiohttp.ClientSession, body: dict[str, Any], extra: dict[str, str]) -> None:
        raw = json.dumps(body)
        async with (
            sem,
            session.post(
                url, data=raw.encode(), headers={"Content-Type": "application/json", **sign(raw), **extra}
            ) as resp,
        ):
            await resp.read()
            assert resp.status == 200, resp.status

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(send(session, b, h) for b, h in events))
    return smtp_ts, other_ts


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table (or JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not shutil.which("ab"):
        print("ab (apache2-utils) is missing: run `make system`", file=sys.stderr)
        return 2
    random.seed(7)
    work = Path(tempfile.mkdtemp(prefix="slack-bench-"))
    fake_port, app_port, floor_port = free_port(), free_port(), free_port()
    api = f"http://127.0.0.1:{fake_port}/api/"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api,
            "DATABASE_URL": f"sqlite:///{work}/bench.db",
            "LOG_LEVEL": "WARNING",
            "NO_PROXY": "127.0.0.1",
        }
    )
    env.pop("REDIS_URL", None)
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [PY, str(ROOT / "bench" / "slack_procs.py"), "fake", str(fake_port)],
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
        wait_port(fake_port)
        smtp_bin = str(Path(PY).with_name("smtp-help"))
        app = subprocess.Popen([smtp_bin, "serve", "--host", "127.0.0.1", "--port", str(app_port)], env=env)
        procs.append(app)
        procs.append(
            subprocess.Popen(
                [PY, str(ROOT / "bench" / "slack_procs.py"), "floor", str(floor_port), api],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_http(f"http://127.0.0.1:{app_port}/healthz")
        wait_port(floor_port)
        urls = {
            "floor": f"http://127.0.0.1:{floor_port}/slack/events",
            "app": f"http://127.0.0.1:{app_port}/slack/events",
        }
        paste = PASTE
        for name, url in urls.items():  # warm-up: imports, auth.test, first diagnosis
            ab(url, command_body(f"http://127.0.0.1:{fake_port}/response/warm-{name}", paste), 20, 4, work)
        results: dict[str, Any] = {"burst": {"floor": [], "app": []}}
        answered_s = []
        for r in range(args.rounds):
            for name, url in urls.items():
                path = f"/response/burst-{name}-{r}"
                res = ab(
                    url,
                    command_body(f"http://127.0.0.1:{fake_port}{path}", paste),
                    args.burst,
                    args.burst,
                    work,
                )
                if name == "app":
                    res["all_answered_s"] = wait_posts(fake_port, path, args.burst)
                    answered_s.append(res["all_answered_s"])
                results["burst"][name].append(res)
                time.sleep(1)
        results["steady"] = {}
        for name, url in urls.items():
            path = f"/response/steady-{name}"
            results["steady"][name] = asyncio.run(
                steady(
                    url, command_body(f"http://127.0.0.1:{fake_port}{path}", paste), args.rate, args.seconds
                )
            )
        wait_posts(fake_port, "/response/steady-app", args.rate * args.seconds)
        n_smtp = args.messages // 10
        smtp, other, disagree = pick_pastes(n_smtp, args.messages - n_smtp)
        smtp_ts, other_ts = asyncio.run(mixed(urls["app"], smtp, other))
        deadline = time.monotonic() + 60
        while True:
            replies = Counter(
                c["thread_ts"]
                for c in calls(fake_port)
                if c["method"] == "chat.postMessage" and c["channel"] == "CMIXED"
            )
            if sum(replies[t] for t in smtp_ts) >= len(smtp_ts) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        time.sleep(2)  # let stragglers (duplicates, if any) arrive
        replies = Counter(
            c["thread_ts"]
            for c in calls(fake_port)
            if c["method"] == "chat.postMessage" and c["channel"] == "CMIXED"
        )
        results["mixed"] = {
            "smtp": len(smtp_ts),
            "not_smtp": len(other_ts),
            "retries": len(smtp_ts),
            "smtp_answered_once": sum(1 for t in smtp_ts if replies[t] == 1),
            "smtp_answered_twice_or_more": sum(1 for t in smtp_ts if replies[t] > 1),
            "smtp_unanswered": sum(1 for t in smtp_ts if replies[t] == 0),
            "not_smtp_replied": sum(1 for t in other_ts if replies[t]),
            "chatter_engine_would_answer_excluded": disagree,
        }
        results["rss_mb"] = round(rss_mb(app.pid), 1)
    finally:
        stop_processes(procs)
        results_exit = procs[1].returncode if len(procs) > 1 else None
        shutil.rmtree(work, ignore_errors=True)
    results["app_exit_on_sigterm"] = results_exit
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    fb = [r["p99"] for r in results["burst"]["floor"]]
    apb = [r["p99"] for r in results["burst"]["app"]]
    print(
        f"burst {args.burst} x{args.rounds}: floor p99 {fb} ms (median {statistics.median(fb)}), "
        f"app p99 {apb} ms (median {statistics.median(apb)}), app max "
        f"{[r['max'] for r in results['burst']['app']]} ms, failed "
        f"{sum(r['failed'] for r in results['burst']['app'])}, all answered after {answered_s} s"
    )
    for name, s in results["steady"].items():
        print(
            f"steady {args.rate}/s x {args.seconds}s {name}: p50 {s['p50']:.1f} ms p99 {s['p99']:.1f} ms "
            f"max {s['max']:.1f} ms failed {s['failed']}"
        )
    print("mixed:", json.dumps(results["mixed"]))
    print(f"rss after: {results['rss_mb']} MB; exit status on SIGTERM: {results['app_exit_on_sigterm']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
