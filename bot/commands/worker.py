"""`smtp-help worker`: the arq worker that runs queued live probes (Procfile `worker:`).

Web instances enqueue `probe_job(target, kw)` through ArqProbeRunner; any worker picks it up, runs
bot.probe.run_probe with this process's settings (allow-list, budget) and returns the report as JSON.
SIGTERM: arq stops taking jobs and lets running ones finish (a probe's budget is below Heroku's 30 s).
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from bot.errors import ConfigError
from bot.probe.runner import PROBE_JOB, probe_now
from bot.settings import Settings

__all__ = ["add_arguments", "build_worker", "probe_job", "run"]

log = logging.getLogger(__name__)

RESULT_KEEP_S = 60     # the enqueuing instance polls for the result right away
SHUTDOWN_GRACE_S = 25  # Heroku: SIGKILL 30 s after SIGTERM


async def probe_job(ctx: dict[str, Any], target: str, kw: dict[str, Any]) -> dict[str, Any]:
    """arq job: probe `target` and return the report as JSON (the queue's edge; the runner reads it back)."""
    settings: Settings = ctx["settings"]
    return (await probe_now(settings, target, **kw)).to_dict()


def build_worker(settings: Settings, *, burst: bool = False, handle_signals: bool = True) -> Any:
    """An arq Worker serving PROBE_JOB on settings.redis_url (ConfigError without it)."""
    if not settings.redis_url:
        raise ConfigError("REDIS_URL", "is needed by `smtp-help worker` (the probe job queue lives in Redis); "
                                       "without it the web process runs probes itself and no worker is needed")
    from arq import func
    from arq.connections import RedisSettings
    from arq.worker import Worker

    return Worker(
        functions=[func(probe_job, name=PROBE_JOB, max_tries=1)],  # a lost probe is not retried (O2)
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        ctx={"settings": settings},
        max_jobs=settings.probe_concurrency,
        job_timeout=int(settings.probe_timeout_s) + 5,
        keep_result=RESULT_KEEP_S,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=0.05,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`smtp-help worker` takes no options: everything comes from the environment."""
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty (for tests)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the worker until SIGTERM/SIGINT."""
    worker = build_worker(settings, burst=bool(getattr(args, "burst", False)))
    log.info("probe worker started (concurrency %d)", settings.probe_concurrency)
    worker.run()
    return 0
