"""`python -m bench NAME [ARGS...]` runs bench/NAME_bench.py with ARGS; without NAME, lists the benchmarks."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

__all__ = ["main"]

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run one benchmark script as if it were started directly (its own argparse sees ARGS)."""
    names = sorted(p.name.removesuffix("_bench.py") for p in HERE.glob("*_bench.py"))
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in names:
        print("usage: python -m bench NAME [ARGS...]\nbenchmarks: " + ", ".join(names), file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    script = HERE / f"{argv[0]}_bench.py"
    sys.argv = [str(script), *argv[1:]]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
