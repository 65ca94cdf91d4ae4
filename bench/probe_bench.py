"""Probe benchmark against a far-away server: each port alone, all four at once, and swaks port after port.

    .venv/bin/python bench/probe_bench.py [--runs 5]

The lab is aiosmtpd on 127.0.0.1 with per-reply delays (tests/probe/slowlab.py: greeting after 0.8 s, every
reply after 0.4 s), so round trips are what is measured: a STARTTLS port's own handshake (greeting, EHLO,
STARTTLS, EHLO) is 2.0 s, an implicit-TLS port's (greeting, EHLO) 1.2 s. Ports 25, 587 and 2525 offer STARTTLS,
465 speaks TLS from the first byte (trustme certificates, verified against their CA). swaks (Debian) does the
same handshakes one port after another in the same run (`--quit-after EHLO` after TLS, `--tls` / `--tlsc`,
certificate verified). Bars (issue 15): one STARTTLS port <= 1.15 x its own round trips; all ports <= 1.1 x
the slowest single port; >= 4 x faster than swaks. Prints medians and the per-step timings of the last run.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trustme

from bot.probe import run_probe
from bot.probe.report import ProbeReport
from tests.probe.slowlab import GREETING_DELAY_S, REPLY_DELAY_S, SlowLabThread

MAPPING = {25: "starttls", 465: "implicit", 587: "starttls", 2525: "starttls"}
OWN_S = {"starttls": GREETING_DELAY_S + 3 * REPLY_DELAY_S, "implicit": GREETING_DELAY_S + REPLY_DELAY_S}


async def probe(ports: list[int], lab: SlowLabThread, ca_file: str) -> tuple[float, ProbeReport]:
    started = time.perf_counter()
    report = await run_probe(
        "127.0.0.1",
        ports=ports,
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        ca_file=ca_file,
        port_map={p: lab.ports[MAPPING[p]] for p in ports},
        timeout_s=10,
        step_timeout_s=5,
    )
    elapsed = time.perf_counter() - started
    bad = [p for p in report.ports if p.status != "ok"]
    if bad:
        raise SystemExit(f"lab port failed: {bad}")
    return elapsed, report


def swaks_sequential(lab: SlowLabThread, ca_file: str) -> float:
    started = time.perf_counter()
    for port, kind in MAPPING.items():
        cmd = ["swaks", "--server", "127.0.0.1", "--port", str(lab.ports[kind]), "--quit-after", "EHLO",
               "--ehlo", "probe.smtp-help.invalid", "--timeout", "10",
               "--tlsc" if kind == "implicit" else "--tls", "--tls-verify", "--tls-ca-path", ca_file,
               "--tls-sni", "127.0.0.1"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
        if out.returncode != 0:
            raise SystemExit(f"swaks failed on {port}: {out.stdout[-500:]}{out.stderr[-500:]}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("swaks"):
        print("probe_bench: needs swaks (make system)", file=sys.stderr)
        return 2
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "mail.lab.test").configure_cert(tls)
    with tempfile.TemporaryDirectory() as tmp:
        ca_file = str(Path(tmp) / "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        lab = SlowLabThread(tls)
        try:
            single: dict[int, list[float]] = {p: [] for p in MAPPING}
            together: list[float] = []
            swaks: list[float] = []
            asyncio.run(probe([465], lab, ca_file))  # warm-up: imports, trust store
            last: ProbeReport | None = None
            for _ in range(args.runs):
                for port in MAPPING:
                    single[port].append(asyncio.run(probe([port], lab, ca_file))[0])
                elapsed, last = asyncio.run(probe(list(MAPPING), lab, ca_file))
                together.append(elapsed)
                swaks.append(swaks_sequential(lab, ca_file))
        finally:
            lab.stop()
    med = {p: statistics.median(v) for p, v in single.items()}
    slowest = max(med.values())
    all4 = statistics.median(together)
    sw = statistics.median(swaks)
    one_starttls = med[587] / OWN_S["starttls"]
    print(f"runs: {args.runs} (medians, seconds; lab: greeting {GREETING_DELAY_S} s, each reply {REPLY_DELAY_S} s)")
    for port, value in med.items():
        kind = MAPPING[port]
        print(f"  single port {port:<5} ({kind:<8}) {value:.3f}   own round trips {OWN_S[kind]:.1f}")
    print(f"  4 ports at once (run_probe)        {all4:.3f}")
    print(f"  swaks, 4 ports one after another   {sw:.3f}")
    if last is not None:
        for p in last.ports:
            print(f"  timings {p.port}: {dict(p.timings)}")
        print(f"  timings report: {dict(last.timings)}")
    print(f"ratio one STARTTLS port / own round trips: {one_starttls:.2f}  (bar <= 1.15)")
    print(f"ratio all-at-once / slowest single:        {all4 / slowest:.2f}  (bar <= 1.10)")
    print(f"ratio swaks sequential / all-at-once:      {sw / all4:.2f}  (bar >= 4.0)")
    ok = one_starttls <= 1.15 and all4 <= 1.1 * slowest and sw / all4 >= 4.0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
