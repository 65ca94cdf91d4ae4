"""State benchmark: two "web" processes drive the store at 500 events/s on real PostgreSQL + Redis.

Each event does what the Slack app does with state: claim_event (the ack waits on this), then
hit_rate_limit, get_thread, put_thread and record_diagnosis. Events arrive open-loop (on a fixed schedule,
not when the previous one finished), so queueing delay counts in the latency. A share of events is delivered
to BOTH processes at the same moment (Slack's retry landing on the other instance, the hardest case for
de-duplication); the bench checks each event id is claimed exactly once.

    .venv/bin/python bench/state_bench.py [--rate 500] [--seconds 20] [--retry-share 0.1] [--json]

Starts its own PostgreSQL (fsync on) and Redis on loopback via tests/services.py and stops them afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.settings import Settings
from bot.store import ThreadContext, open_store

__all__ = ["main"]

THREADS = 200
INSTANCES = 2


def _events_for(instance: int, total: int, retry_every: int) -> list[int]:
    """Event numbers delivered to `instance`: its share, plus retries of the other instance's events."""
    mine = [n for n in range(total) if n % INSTANCES == instance]
    retries = [n for n in range(total) if n % INSTANCES != instance and retry_every and n % retry_every == 1]
    return sorted(mine + retries)


async def _handle(store: Any, n: int) -> tuple[bool, float]:
    """One event's store work; returns (claimed, seconds the claim took)."""
    t0 = time.perf_counter()
    claimed = await store.claim_event(f"Ev{n:09d}")
    claim_s = time.perf_counter() - t0
    if claimed:
        thread = n % THREADS
        await store.hit_rate_limit(f"T1:U{n % 50}", limit=1000, window_s=60)
        ctx = await store.get_thread("T1", "C1", f"{thread}.0")
        text = (ctx.text if ctx else "")[-2000:] + f"\n535 5.7.8 event {n}"
        await store.put_thread(ThreadContext(team_id="T1", channel="C1", thread_ts=f"{thread}.0", text=text,
                                             last_causes=("auth.app_password",), reply_ts=f"{thread}.1"))
        await store.record_diagnosis(team_id="T1", channel="C1", cause_id="auth.app_password", source="message")
    return claimed, claim_s


async def _instance(instance: int, db: str, redis: str, rate: float, total: int, retry_every: int,
                    start_at: float) -> dict[str, Any]:
    store = await open_store(Settings(database_url=db, redis_url=redis))
    events = _events_for(instance, total, retry_every)
    claim_lat: list[float] = []
    full_lat: list[float] = []
    claimed: list[int] = []

    async def one(n: int, due: float) -> None:
        ok, claim_s = await _handle(store, n)
        full_lat.append(time.time() - due)  # from the scheduled arrival: queueing counts
        claim_lat.append(claim_s)
        if ok:
            claimed.append(n)

    tasks = []
    # Both processes start their open-loop schedule at the same wall-clock instant (start_at), so sleep once.
    await asyncio.sleep(max(0.0, start_at - time.time()))
    for n in events:
        due = start_at + n / rate
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    await store.close()
    return {"claim": claim_lat, "full": full_lat, "claimed": claimed, "events": len(events)}


def _proc(args: tuple[Any, ...], out: Any) -> None:
    out.put(asyncio.run(_instance(*args)))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0, help="events per second, both instances together")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--retry-share", type=float, default=0.1, help="share of events also sent to the other")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from tests.services import start_postgres, start_redis

    pg, rd = start_postgres(fast=False), start_redis()
    try:
        db = pg.create_database("bench")
        asyncio.run(_migrate(db, rd.url))
        total = int(args.rate * args.seconds)
        retry_every = round(1 / args.retry_share) if args.retry_share else 0
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        start_at = time.time() + 2.0
        procs = [ctx.Process(target=_proc, args=((i, db, rd.url, args.rate, total, retry_every, start_at), out))
                 for i in range(INSTANCES)]
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
    finally:
        pg.destroy()
        rd.destroy()

    claims = Counter(n for r in results for n in r["claimed"])
    full = [x for r in results for x in r["full"]]
    claim = [x for r in results for x in r["claim"]]
    figures = {
        "instances": INSTANCES, "rate_per_s": args.rate, "seconds": args.seconds, "events": total,
        "deliveries": sum(r["events"] for r in results),
        "duplicate_claims": sum(1 for c in claims.values() if c > 1),
        "unclaimed_events": total - len(claims),
        "claim_ms": {"p50": _pct(claim, 0.5), "p99": _pct(claim, 0.99), "max": max(claim) * 1000},
        "event_ms": {"p50": _pct(full, 0.5), "p99": _pct(full, 0.99), "max": max(full) * 1000,
                     "mean": statistics.fmean(full) * 1000},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{figures['deliveries']} deliveries of {total} events at {args.rate:.0f}/s over {args.seconds:.0f} s, "
              f"{INSTANCES} instances, PostgreSQL (fsync on) + Redis")
        print(f"duplicate claims: {figures['duplicate_claims']}, unclaimed: {figures['unclaimed_events']}")
        print("claim_event ms: p50 {p50:.2f}  p99 {p99:.2f}  max {max:.2f}".format(**figures["claim_ms"]))
        print("all store ops per event ms (from scheduled arrival): p50 {p50:.2f}  p99 {p99:.2f}  max {max:.2f}"
              .format(**figures["event_ms"]))
    ok = figures["duplicate_claims"] == 0 and figures["unclaimed_events"] == 0 and figures["event_ms"]["p99"] <= 100
    return 0 if ok else 1


async def _migrate(db: str, redis: str) -> None:
    store = await open_store(Settings(database_url=db, redis_url=redis))
    await store.close()


if __name__ == "__main__":
    raise SystemExit(main())
