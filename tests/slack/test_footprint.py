"""What `smtp-help serve` loads at start: code the HTTP path does not need stays out of memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

OPEN_STORE = """
import asyncio, json, sys
from bot.store.sql import SqlStore
async def main():
    store = await SqlStore.open(sys.argv[1])
    await store.close()
asyncio.run(main())
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _modules_after_open(url: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", OPEN_STORE, url], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2], timeout=30)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_restart_on_a_migrated_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    assert "alembic" in _modules_after_open(url)  # the first start migrates
    second = _modules_after_open(url)
    assert "alembic" not in second
    assert "mako" not in second


# The pure part of the probe package (reading and choosing a target, the report type, the runner's protocol) is
# what the answers decide on; the modules that dial, resolve or queue stay out until a probe runs.
PURE_PROBE = ("bot.probe", "bot.probe.choose", "bot.probe.report", "bot.probe.runner", "bot.probe.targets")


def test_the_http_app_does_not_load_probe_queue_or_redis_code() -> None:
    code = ("import sys, bot.slack.serve, bot.slack.app, bot.slack.services, bot.store; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('arq', 'redis', 'dns', 'aiosmtplib', "
            f"'alembic') or (m.startswith('bot.probe') and m not in {PURE_PROBE!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
