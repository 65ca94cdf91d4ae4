"""Benchmarks for smtp-help; each `bench/<name>_bench.py` is a script. `python -m bench NAME [ARGS]` runs one."""

__all__: list[str] = []
