"""Engine throughput and lateness with 1, 2 and 3 worker processes, and with long backtests
running on their own worker: one `bench/engine.py` run per row, the same bots each time.

Each row is a fresh database and fresh processes on real PostgreSQL, Redis and Celery; the
table gives cycles per second against what the bots need, lateness p50/p99/max, and the
throughput ratio to one worker. Figures are printed, never asserted.

    .venv/bin/python bench/scale_out.py --bots 6000 --interval 30 --minutes 1.5
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CYCLES = re.compile(r"^cycles\s+[\d,]+ = ([\d.]+) cycles/s \(needed: ([\d.]+)/s\)", re.M)
LATENESS = re.compile(r"^lateness\s+p50 ([\d.]+) s\s+p99 ([\d.]+) s\s+max ([\d.]+) s", re.M)


def run(args: argparse.Namespace, workers: int, backtests: int) -> dict[str, float]:
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "engine.py"),
        "--bots",
        str(args.bots),
        "--interval",
        str(args.interval),
        "--minutes",
        str(args.minutes),
        "--workers",
        str(workers),
        "--concurrency",
        str(args.concurrency),
        "--backtests",
        str(backtests),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cycles, lateness = CYCLES.search(out), LATENESS.search(out)
    if cycles is None or lateness is None:
        raise SystemExit(f"unexpected output of bench/engine.py:\n{out}")
    return {
        "rate": float(cycles[1]),
        "needed": float(cycles[2]),
        "p50": float(lateness[1]),
        "p99": float(lateness[2]),
        "max": float(lateness[3]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--bots", type=int, default=6000)
    ap.add_argument("--interval", type=int, default=30)
    ap.add_argument("--minutes", type=float, default=1.5)
    ap.add_argument("--concurrency", type=int, default=1, help="pool size per worker")
    ap.add_argument("--max-workers", type=int, default=3)
    args = ap.parse_args()
    rows = [(w, 0) for w in range(1, args.max_workers + 1)] + [(1, 2)]
    print(
        f"{args.bots:,} bots at {args.interval} s (needed {args.bots / args.interval:.0f} "
        f"cycles/s), {args.minutes} min measured per row, {args.concurrency} process(es) "
        "per worker"
    )
    print(
        f"{'workers':>7} {'backtests':>9} {'cycles/s':>9} {'x 1 worker':>10} "
        f"{'p50 s':>6} {'p99 s':>6} {'max s':>6}"
    )
    base = None
    for workers, backtests in rows:
        r = run(args, workers, backtests)
        base = base or r["rate"]
        print(
            f"{workers:>7} {backtests:>9} {r['rate']:>9.1f} {r['rate'] / base:>10.2f} "
            f"{r['p50']:>6.2f} {r['p99']:>6.2f} {r['max']:>6.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
