"""Probe benchmark: 4 ports at once vs the slowest single port, and swaks doing the same checks in turn.

    sudo .venv/bin/python bench/probe_bench.py [--runs 7] [--base 23000]

Starts the Postfix + Dovecot lab (scripts/lab/postfix-lab.sh) on 127.0.0.1 and maps the submission ports:
25 -> plain, 465 -> implicit TLS, 587 -> STARTTLS + AUTH after TLS, 2525 -> STARTTLS whose greeting Postfix
delays by 1 s (`smtpd_client_restrictions = sleep 1`), so the timing means something. For each run it
measures every port alone, then all four in one run_probe() call, then swaks (Debian) checking the four ports
one after another up to AUTH (`--quit-after AUTH`, `--tls` on STARTTLS ports, `--tlsc` on 465, certificate
verified against the lab CA). Prints medians and the ratios; the bar is  all-at-once <= 1.3 x slowest single.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.probe import run_probe
from tests.services import start_postfix_lab as start_lab
from tests.services import stop_postfix_lab as stop_lab

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "lab" / "postfix-lab.sh"
MAPPING = {25: "plain", 465: "implicit", 587: "starttls", 2525: "slow"}
SWAKS_MODE = {25: [], 465: ["--tlsc"], 587: ["--tls"], 2525: ["--tls"]}




async def probe(ports: list[int], lab: dict[str, str]) -> float:
    started = time.perf_counter()
    report = await run_probe(
        "127.0.0.1",
        ports=ports,
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        ca_file=lab["ca"],
        port_map={p: int(lab[MAPPING[p]]) for p in ports},
        timeout_s=10,
        step_timeout_s=5,
    )
    elapsed = time.perf_counter() - started
    bad = [p for p in report.ports if p.status != "ok"]
    if bad:
        raise SystemExit(f"lab port failed: {bad}")
    return elapsed


def swaks_sequential(lab: dict[str, str]) -> float:
    started = time.perf_counter()
    for port, name in MAPPING.items():
        cmd = [
            "swaks",
            "--server",
            "127.0.0.1",
            "--port",
            lab[name],
            "--quit-after",
            "AUTH",
            "--ehlo",
            "probe.smtp-help.invalid",
            "--timeout",
            "10",
            *SWAKS_MODE[port],
        ]
        if SWAKS_MODE[port]:
            cmd += ["--tls-verify", "--tls-ca-path", lab["ca"]]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
        if out.returncode != 0:
            raise SystemExit(f"swaks failed on {port}: {out.stdout[-500:]}{out.stderr[-500:]}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--base", type=int, default=23000)
    args = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("swaks"):
        print("probe_bench: needs root (Postfix lab) and swaks (make system)", file=sys.stderr)
        return 2
    directory, lab = start_lab(args.base)
    try:
        single: dict[int, list[float]] = {p: [] for p in MAPPING}
        together: list[float] = []
        swaks: list[float] = []
        asyncio.run(probe([25], lab))  # warm-up: imports, trust store, Postfix process spawn
        for _ in range(args.runs):
            for port in MAPPING:
                single[port].append(asyncio.run(probe([port], lab)))
            together.append(asyncio.run(probe(list(MAPPING), lab)))
            swaks.append(swaks_sequential(lab))
    finally:
        stop_lab(directory)
    med = {p: statistics.median(v) for p, v in single.items()}
    slowest = max(med.values())
    all4 = statistics.median(together)
    sw = statistics.median(swaks)
    print(f"runs: {args.runs} (medians, seconds)")
    for port, value in med.items():
        print(f"  single port {port:<5} ({MAPPING[port]:<9}) {value:.3f}")
    print(f"  4 ports at once (run_probe)         {all4:.3f}")
    print(f"  swaks, 4 ports one after another    {sw:.3f}")
    print(f"ratio all-at-once / slowest single:   {all4 / slowest:.2f}  (bar <= 1.30)")
    print(f"ratio swaks sequential / all-at-once: {sw / all4:.2f}")
    return 0 if all4 <= 1.3 * slowest else 1


if __name__ == "__main__":
    raise SystemExit(main())
