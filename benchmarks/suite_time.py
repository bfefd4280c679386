"""Wall time of the README's test command (``python -m pytest -n 2``) from the repository
root, run ``--runs`` times; prints each and the median. A measurement, not a test: run it
on an otherwise idle machine (the suite uses both cores).

    python benchmarks/suite_time.py --runs 1
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    times = []
    for k in range(a.runs):
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                           capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        last = [ln for ln in r.stdout.splitlines() if ln.strip()][-1:]
        print(f"run {k + 1}: {times[-1]:.0f} s, exit {r.returncode}: {' '.join(last)}", flush=True)
    print(f"median {statistics.median(times):.0f} s over {len(times)} run(s)")


if __name__ == "__main__":
    main()
