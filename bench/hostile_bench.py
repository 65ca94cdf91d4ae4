"""Hostile-input benchmark (issue 14): what the worst paste costs, and whether /healthz notices.

  redact_worst     redact() on 40,000-character pastes built from each hostile fragment (tests/security), the
                   slowest ones (median of --runs)                                          bar: linear, <= 50 ms
  diagnose_worst   the whole pipeline (normalise, redact, extract, lint, classify) on the same pastes
  healthz          GET /healthz latency every 5 ms against the real app (real engine, real store scrub) while
                   hostile slash commands are processed: p50, p99, max                       bar: max <= 100 ms

    .venv/bin/python bench/hostile_bench.py [--runs N] [--json]

Before issue 14 the store's Python-re scrub took 9.7 s on 1.2 KB of 'pw-' (23 s at 2.1 KB) on the event loop,
and /healthz went unanswered for 21-31 s. No network beyond loopback; texts are composed here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.diagnose import diagnose  # noqa: E402
from bot.kb import load_knowledge_base  # noqa: E402
from bot.redact import redact  # noqa: E402
from tests.security.test_linear_time import FRAGMENTS, SIZE  # noqa: E402


def _hostile(fragment: str) -> str:
    return (fragment * (SIZE // len(fragment) + 1))[:SIZE]


def _median_ms(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def _healthz() -> dict[str, float]:
    import aiohttp

    from bot.slack.services import Services
    from bot.store import MemoryStore
    from tests.security.test_healthz_while_hostile import HOSTILE
    from tests.slack.conftest import FakeProbe, make_settings, real_engine, serve
    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack()
    await fake.start()
    kb, diagnose_fn, fix_text = real_engine()
    latencies: list[float] = []
    try:
        async with aiohttp.ClientSession() as http:
            services = Services(settings=make_settings(fake), kb=kb, store=MemoryStore(), probe=FakeProbe(),
                                diagnose=diagnose_fn, fix_text=fix_text, http=http)
            async with serve(fake, services, http) as h:
                done = asyncio.Event()

                async def poll() -> None:
                    while not done.is_set():
                        started = time.perf_counter()
                        async with http.get(h.base + "/healthz") as resp:
                            await resp.read()
                        latencies.append((time.perf_counter() - started) * 1000)
                        await asyncio.sleep(0.005)

                poller = asyncio.create_task(poll())
                for _ in range(10):
                    for paste in HOSTILE:
                        await h.command(paste)
                await h.settle(timeout=120)
                done.set()
                await poller
    finally:
        await fake.stop()
    latencies.sort()
    return {"n": len(latencies), "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1], "max_ms": latencies[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    kb = load_knowledge_base()
    redact_ms = sorted(((_median_ms(lambda f=f: redact(_hostile(f)), args.runs), f) for f in FRAGMENTS),
                       reverse=True)
    diagnose_ms = sorted(((_median_ms(lambda f=f: diagnose(_hostile(f), kb=kb), args.runs), f)
                          for f in FRAGMENTS), reverse=True)
    health = asyncio.run(_healthz())
    result = {
        "redact_worst": [{"fragment": f, "ms": round(ms, 2)} for ms, f in redact_ms[:5]],
        "redact_median_ms": round(statistics.median(ms for ms, _ in redact_ms), 2),
        "diagnose_worst": [{"fragment": f, "ms": round(ms, 2)} for ms, f in diagnose_ms[:5]],
        "healthz": {k: round(v, 2) for k, v in health.items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"hostile bench: {len(FRAGMENTS)} fragments x {SIZE} chars, median of {args.runs} runs; times in ms")
    print(f"redact   median over fragments {result['redact_median_ms']}; slowest:")
    for row in result["redact_worst"]:
        print(f"  {row['ms']:8.2f}  {row['fragment']!r}")
    print("diagnose (whole pipeline) slowest:")
    for row in result["diagnose_worst"]:
        print(f"  {row['ms']:8.2f}  {row['fragment']!r}")
    h = result["healthz"]
    verdict = "ok" if h["max_ms"] <= 100 else "OVER"
    print(f"/healthz during hostile slash commands: n={h['n']} p50 {h['p50_ms']} p99 {h['p99_ms']} "
          f"max {h['max_ms']}  (bar max <= 100)  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
