"""Sweep throughput: the same N ``chongming_town`` runs (seeds 1..N, a year each, no reports)
through Hydra's serial launcher and through ``hydra/launcher=local_parallel`` (joblib,
both cores); prints each wall time, the speed-up, and the marginal cost of one run in a warm
process (a serial sweep of N runs minus one of 2, per extra run: composing, validating,
building, simulating, writing). A measurement, not a test: run it on an otherwise idle machine.

Each sweep's wall time is split by its runs' records (a run ends when its manifest.json is
written, and began ``timings_s.total`` before): the lead before the first run starts
(start-up, composing, the workers' start), the span of the runs, and the tail after the last
(the sweep's aggregation and report). Runs split perfectly over 2 cores could at best give
(serial wall) / (parallel lead + tail + serial span / 2): that bound is printed too.

    python benchmarks/throughput.py            # 8 runs (the issue's figures: <= 1.2 s a run, >= 1.7x on 2 cores)
    python benchmarks/throughput.py --runs 4 --days 90
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sweep(folder: Path, n: int, days: float, parallel: bool, phases: dict | None = None) -> float:
    """Wall seconds of the sweep; ``phases``, when given, receives its :func:`timeline`."""
    args = [sys.executable, "run.py", "-m", "scenario=chongming_town", f"seed=range(1,{n + 1})",
            f"run.horizon_days={days:g}", f"run.warmup_days={min(30.0, days / 10):g}", "report.enabled=false",
            f"hydra.sweep.dir={folder}"]
    if parallel:
        args.append("hydra/launcher=local_parallel")
    t0, e0 = time.perf_counter(), time.time()
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"the sweep failed ({r.returncode}): {r.stderr[-2000:]}")
    if phases is not None:
        phases.update(timeline(folder, e0, e0 + wall))
    return wall


def timeline(folder: Path, start: float, end: float) -> dict:
    """Lead, span and tail (s) of a sweep that ran from ``start`` to ``end`` (epoch seconds),
    from its runs' manifest.json: written when a run ends, ``timings_s.total`` after it began."""
    runs = []
    for m in folder.glob("*/manifest.json"):
        ended = m.stat().st_mtime
        runs.append((ended - json.loads(m.read_text())["timings_s"]["total"], ended))
    first, last = min(a for a, _ in runs), max(b for _, b in runs)
    return {"lead": first - start, "span": last - first, "tail": end - last}


def _phases(p: dict) -> str:
    return f"lead {p['lead']:.1f} s, runs {p['span']:.1f} s, tail {p['tail']:.1f} s"


def marginal_s(runs: int, days: float = 365.0, many: float | None = None) -> float:
    """Marginal cost of one run in a warm process: a serial sweep of ``runs`` minus one of 2,
    per extra run (``many``: the serial sweep of ``runs`` when already measured)."""
    with tempfile.TemporaryDirectory() as d:
        two = sweep(Path(d) / "two", 2, days, parallel=False)
        if many is None:
            many = sweep(Path(d) / "many", runs, days, parallel=False)
    return (many - two) / (runs - 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--days", type=float, default=365.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ps, pp = {}, {}
        serial = sweep(Path(tmp) / "serial", a.runs, a.days, parallel=False, phases=ps)
        print(f"serial:   {a.runs} runs in {serial:.1f} s  ({_phases(ps)})", flush=True)
        par = sweep(Path(tmp) / "parallel", a.runs, a.days, parallel=True, phases=pp)
        print(f"parallel: {a.runs} runs in {par:.1f} s  ({_phases(pp)}; local_parallel, 2 workers)", flush=True)
    print(f"speed-up {serial / par:.2f}x; at best {serial / (pp['lead'] + pp['tail'] + ps['span'] / 2):.2f}x "
          "with these leads and tails (the serial span split evenly over 2 cores)", flush=True)
    if a.runs > 2:
        print(f"one run in a warm process: {marginal_s(a.runs, a.days, many=serial):.2f} s "
              f"(serial sweep of {a.runs} minus one of 2, per extra run)")


if __name__ == "__main__":
    main()
