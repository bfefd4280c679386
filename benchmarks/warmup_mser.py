"""Choose the run's start date and warm-up by measurement (MSER-5 on the live backlog).

For each candidate start date, runs a shipped scenario for its horizon with several
seeds (report off, in this process) and prints, per start date: the MSER-5 truncation
point of the backlog series (White 1997; the horizon only, the drain left out) and the
backlog at the end of the warm-up against the mean backlog of the KPI window. A warm-up
should cover the truncation point and should not end inside a holiday backlog (its end
backlog close to the window's mean).

    python benchmarks/warmup_mser.py                       # chongming_town, 3 seeds
    python benchmarks/warmup_mser.py --scenario chongming --seeds 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STARTS = ("2025-01-06", "2025-02-17", "2025-03-03", "2025-04-07")


def main() -> None:
    from compose import scenario_dict
    from sim import params_from_dict
    from sim.experiments.experiment import mser5_truncation_h
    from sim.metrics.kpi import backlog_average
    from sim.model import run_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="chongming_town")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--starts", default=",".join(STARTS))
    a = ap.parse_args()
    print(f"{'start':11s} {'warm-up':>8s} {'MSER-5 (days), by seed':>28s} {'backlog at warm-up end / window mean':>38s}")
    for start in a.starts.split(","):
        trunc, ratio = [], []
        t0 = time.perf_counter()
        for seed in range(a.seeds):
            d = scenario_dict(a.scenario, [f"seed={seed}", f"run.start_date={start}", "run.drain_days=0"])
            p = params_from_dict(d)
            res = run_model(p)
            t, n = res.backlog_t_h, res.backlog_n.astype(float)
            trunc.append(mser5_truncation_h(t, n, until_h=p.horizon_h) / 24.0)
            w = p.warmup_h
            at_end = backlog_average(t, n, max(0.0, w - 72.0), w + 72.0)  # the 6 days around the warm-up's end
            ratio.append(at_end / backlog_average(t, n, w, p.horizon_h))
        print(f"{start:11s} {p.run.warmup_days:8g} {', '.join(f'{x:.1f}' for x in trunc):>28s} "
              f"{', '.join(f'{x:.2f}' for x in ratio):>38s}   ({time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
