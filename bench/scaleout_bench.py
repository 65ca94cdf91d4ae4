"""Scale-out benchmark (issue 5's bar): two `smtp-help serve` processes sharing PostgreSQL and Redis, one
`smtp-help worker`, the fake Slack Web API in its own process, and a load client in another, all on loopback.

    .venv/bin/python bench/scaleout_bench.py [--rate 500] [--seconds 15] [--json]

Traffic, open loop (each delivery leaves at its scheduled time whatever the answers do), spread round-robin
over the two instances as a load balancer would:
  10 %  /smtp-help with an SMTP paste                    -> exactly one answer on its response_url
  ~80 % channel messages: 90 % not SMTP, 10 % SMTP pastes -> no reply / exactly one reply in the thread
  ~10 % retried deliveries (same event_id, X-Slack-Retry-Num: 1) of channel messages, sent to the OTHER
        instance 0-300 ms after the original (half of them SMTP): must not add a reply
Measures the ack latency (request sent -> HTTP 200 received, by the client) per instance and overall, how
late the client itself was against the schedule, then counts every reply the fake Web API recorded.
PostgreSQL runs with fsync on (tests/services.py fast=False), Redis without persistence.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

__all__ = ["main"]

PY = sys.executable
CHANNEL = "CSCALE"
COMMAND_SHARE = 0.10
RETRY_SHARE = 0.10
SMTP_SHARE_OF_MESSAGES = 0.10
RETRY_DELAY_S = (0.0, 0.3)


# ------------------------------------------------------------------------------------------------ the client


async def _client(plan_file: Path, out_file: Path) -> None:
    """Replay the plan open loop; write one [instance, kind, ms, status, lag_ms] row per delivery."""
    import aiohttp

    plan = json.loads(plan_file.read_text())  # noqa: ASYNC240 - before the clock starts
    urls: list[str] = plan["urls"]
    rows: list[list[Any]] = []
    sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) for _ in urls]

    async def one(item: dict[str, Any], scheduled: float) -> None:
        lag = (time.perf_counter() - scheduled) * 1000
        t0 = time.perf_counter()
        status = 0
        try:
            async with sessions[item["to"]].post(
                urls[item["to"]], data=item["body"].encode(), headers=item["headers"]
            ) as resp:
                await resp.read()
                status = resp.status
        except aiohttp.ClientError:
            status = -1
        rows.append([item["to"], item["kind"], (time.perf_counter() - t0) * 1000, status, lag])

    tasks = []
    start = time.perf_counter() + 0.2
    for item in plan["items"]:
        scheduled = start + item["at"]
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(item, scheduled)))
    await asyncio.gather(*tasks)
    for s in sessions:
        await s.close()
    out_file.write_text(json.dumps(rows))  # noqa: ASYNC240 - after the last request


# ------------------------------------------------------------------------------------------------------ plan


def _message(i: int, text: str, tag: str) -> tuple[dict[str, Any], str]:
    ts = f"{1700002000 if tag == 'scale' else 1600002000}.{i:06d}"
    return (
        {
            "token": "x",
            "team_id": "T123ABC456",
            "api_app_id": "ABENCH",
            "type": "event_callback",
            "event_id": f"Ev{tag}{i:07d}",
            "event_time": 1700002000,
            "event": {
                "type": "message",
                "channel": CHANNEL,
                "user": f"U{i % 50:05d}",
                "text": text,
                "ts": ts,
                "event_ts": ts,
                "channel_type": "channel",
            },
        },
        ts,
    )


def build_plan(
    *, rate: int, seconds: int, urls: list[str], fake_port: int, smtp: list[str], other: list[str], tag: str
) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """The deliveries (signed now) and what each should produce: SMTP/non-SMTP message ts, command paths."""
    from slack_bench import command_body, sign

    total = rate * seconds
    items: list[dict[str, Any]] = []
    expect: dict[str, set[str]] = {"smtp_ts": set(), "other_ts": set(), "commands": set()}
    sent_messages: list[tuple[float, int, str, dict[str, str], bool]] = []  # (at, to, body, headers, smtp)
    n_first = int(total * (1 - RETRY_SHARE))
    for i in range(n_first):
        at = i / rate
        to = i % len(urls)
        r = random.random()
        if r < COMMAND_SHARE:
            path = f"/response/{tag}-{i}"
            body = command_body(f"http://127.0.0.1:{fake_port}{path}", random.choice(smtp))
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
            items.append({"at": at, "to": to, "kind": "command", "body": body, "headers": headers})
            expect["commands"].add(path)
            continue
        is_smtp = random.random() < SMTP_SHARE_OF_MESSAGES
        payload, ts = _message(i, random.choice(smtp if is_smtp else other), tag)
        body = json.dumps(payload)
        headers = {"Content-Type": "application/json", **sign(body)}
        items.append({"at": at, "to": to, "kind": "smtp" if is_smtp else "message", "body": body,
                      "headers": headers})
        expect["smtp_ts" if is_smtp else "other_ts"].add(ts)
        sent_messages.append((at, to, body, headers, is_smtp))
    smtp_sent = [m for m in sent_messages if m[4]]
    other_sent = [m for m in sent_messages if not m[4]]
    for k in range(total - n_first):  # retries: half of them of SMTP messages, the case that could double-post
        at, to, body, headers, _ = random.choice(smtp_sent if k % 2 == 0 and smtp_sent else other_sent)
        items.append({
            "at": at + random.uniform(*RETRY_DELAY_S),
            "to": (to + 1) % len(urls),
            "kind": "retry",
            "body": body,
            "headers": {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        })
    items.sort(key=lambda it: it["at"])
    return {"urls": urls, "items": items}, expect


# ----------------------------------------------------------------------------------------------------- stats


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 1) if values else float("nan"),
        "p99": round(_pct(values, 0.99), 1),
        "max": round(max(values), 1) if values else float("nan"),
    }


# ------------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a summary (or JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile", metavar="DIR", help="run the serve processes under cProfile, stats in DIR")
    ap.add_argument("--client", nargs=2, metavar=("PLAN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.client:
        asyncio.run(_client(Path(args.client[0]), Path(args.client[1])))
        return 0

    from slack_bench import calls, free_port, pick_pastes, rss_mb, wait_http, wait_port

    from tests.services import postgres_missing, redis_missing, start_postgres, start_redis, stop_processes

    missing = postgres_missing() or redis_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    random.seed(11)
    work = Path(tempfile.mkdtemp(prefix="scaleout-bench-"))
    pg = start_postgres(fast=False)
    rd = start_redis()
    procs: list[subprocess.Popen[bytes]] = []
    results: dict[str, Any] = {"rate": args.rate, "seconds": args.seconds}
    try:
        db_url = pg.create_database("scaleout")
        fake_port = free_port()
        api = f"http://127.0.0.1:{fake_port}/api/"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update({
            "SLACK_BOT_TOKEN": "xoxb-1-bench",
            "SLACK_SIGNING_SECRET": "bench-signing-secret-0123456789abcdef",
            "SLACK_API_URL": api,
            "DATABASE_URL": db_url,
            "REDIS_URL": rd.url,
            "LOG_LEVEL": "WARNING",
            "NO_PROXY": "127.0.0.1",
        })
        procs.append(subprocess.Popen([PY, str(ROOT / "bench" / "slack_procs.py"), "fake", str(fake_port)],
                                      env=env, stdout=subprocess.DEVNULL))
        wait_port(fake_port)
        smtp_bin = str(Path(PY).with_name("smtp-help"))
        ports = [free_port(), free_port()]
        apps = []
        for i, port in enumerate(ports):
            argv = [smtp_bin, "serve", "--host", "127.0.0.1", "--port", str(port)]
            if args.profile:
                argv = [PY, "-m", "cProfile", "-o", str(Path(args.profile) / f"serve{i}.prof"), *argv]
            app = subprocess.Popen(argv, env=env)
            procs.append(app)
            apps.append(app)
            if i == 0:  # the first one migrates the schema; let it finish before the second starts
                wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        procs.append(subprocess.Popen([smtp_bin, "worker"], env=env))
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        urls = [f"http://127.0.0.1:{p}/slack/events" for p in ports]

        n_msgs = int(args.rate * args.seconds)
        smtp, other, _ = pick_pastes(200, n_msgs)
        # warm-up: first requests pay for auth.test and lazy imports
        warm, _ = build_plan(rate=50, seconds=2, urls=urls, fake_port=fake_port, smtp=smtp, other=other,
                             tag="warm")
        (work / "warm.json").write_text(json.dumps(warm))
        subprocess.run([PY, __file__, "--client", str(work / "warm.json"), str(work / "warm-out.json")], check=True)
        time.sleep(3)

        plan, expect = build_plan(rate=args.rate, seconds=args.seconds, urls=urls, fake_port=fake_port,
                                  smtp=smtp, other=other, tag="scale")
        (work / "plan.json").write_text(json.dumps(plan))
        rss_before = [round(rss_mb(a.pid), 1) for a in apps]
        results["loadavg_1min_before"] = round(os.getloadavg()[0], 2)  # the machine is shared: say how busy
        cpu_pids = {"serve0": apps[0].pid, "serve1": apps[1].pid, "worker": procs[-1].pid, "fake": procs[0].pid}
        cpu_before = {name: _cpu_s(pid) for name, pid in cpu_pids.items()}
        load_start = time.monotonic()
        client = subprocess.Popen([PY, __file__, "--client", str(work / "plan.json"), str(work / "out.json")])
        client_cpu = 0.0
        while client.poll() is None:
            client_cpu = max(client_cpu, _cpu_s(client.pid))
            time.sleep(0.5)
        load_s = time.monotonic() - load_start
        results["cpu_share_during_load"] = {
            name: round((_cpu_s(pid) - cpu_before[name]) / load_s, 2) for name, pid in cpu_pids.items()
        }
        results["cpu_share_during_load"]["client"] = round(client_cpu / load_s, 2)
        rows = json.loads((work / "out.json").read_text())

        deadline = time.monotonic() + 90
        while True:
            got = calls(fake_port)
            threads = Counter(c["thread_ts"] for c in got
                              if c["method"] == "chat.postMessage" and c["channel"] == CHANNEL)
            paths = Counter(c["path"] for c in got if c["method"] == "response_url")
            done = sum(1 for t in expect["smtp_ts"] if threads[t]) + sum(1 for p in expect["commands"] if paths[p])
            if done >= len(expect["smtp_ts"]) + len(expect["commands"]) or time.monotonic() > deadline:
                break
            time.sleep(1)
        drained_s = round(time.monotonic() - (deadline - 90), 1)
        time.sleep(3)  # stragglers: a duplicate, if any, would arrive now
        got = calls(fake_port)
        threads = Counter(c["thread_ts"] for c in got if c["method"] == "chat.postMessage" and c["channel"] == CHANNEL)
        paths = Counter(c["path"] for c in got if c["method"] == "response_url")

        lat_all = [r[2] for r in rows if r[3] == 200]
        results["deliveries"] = len(rows)
        results["kinds"] = dict(Counter(r[1] for r in rows))
        results["non_200"] = sum(1 for r in rows if r[3] != 200)
        results["ack_ms"] = {"all": _summary(lat_all)}
        for i in range(len(urls)):
            results["ack_ms"][f"instance_{i}"] = _summary([r[2] for r in rows if r[0] == i and r[3] == 200])
        for kind in ("command", "message", "smtp", "retry"):
            results["ack_ms"][kind] = _summary([r[2] for r in rows if r[1] == kind and r[3] == 200])
        results["client_lag_ms"] = _summary([r[4] for r in rows])
        results["replies"] = {
            "smtp_messages": len(expect["smtp_ts"]),
            "smtp_answered_once": sum(1 for t in expect["smtp_ts"] if threads[t] == 1),
            "smtp_answered_more_than_once": sum(1 for t in expect["smtp_ts"] if threads[t] > 1),
            "smtp_unanswered": sum(1 for t in expect["smtp_ts"] if threads[t] == 0),
            "non_smtp_messages": len(expect["other_ts"]),
            "non_smtp_replied": sum(1 for t in expect["other_ts"] if threads[t]),
            "commands": len(expect["commands"]),
            "commands_answered_once": sum(1 for p in expect["commands"] if paths[p] == 1),
            "commands_answered_more_than_once": sum(1 for p in expect["commands"] if paths[p] > 1),
            "commands_unanswered": sum(1 for p in expect["commands"] if paths[p] == 0),
            "all_answered_after_s": drained_s,
        }
        results["rss_mb"] = {"before": rss_before, "after": [round(rss_mb(a.pid), 1) for a in apps]}
    finally:
        stop_processes(procs)
        names = ["fake (no handler)", "serve0", "serve1", "worker"]
        results["exit_on_sigterm"] = {names[i]: p.returncode for i, p in enumerate(procs)}
        rd.destroy()
        pg.destroy()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{results['deliveries']} deliveries in {args.seconds} s ({results['kinds']}), non-200: "
          f"{results['non_200']}")
    for name, s in results["ack_ms"].items():
        print(f"  ack {name:<11} n={s['n']:<6} p50 {s['p50']:>6} ms  p99 {s['p99']:>7} ms  max {s['max']:>7} ms")
    print(f"  client lag vs schedule: {results['client_lag_ms']}")
    print("  replies:", json.dumps(results["replies"]))
    print("  CPU (cores) during the load:", results["cpu_share_during_load"],
          " load average before:", results["loadavg_1min_before"])
    print("  rss MB:", results["rss_mb"], " exit codes on SIGTERM:", results["exit_on_sigterm"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
