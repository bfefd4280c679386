"""Theory against simulation for the validation scenarios, with batch-means 95 % CIs.

    python benchmarks/validation_report.py          # about a minute

Prints, for M/M/1, M/M/12, M/M/3, M/G/1 (lognormal cv 1.5, deterministic) and the two-station
Jackson network, the exact mean wait and mean time in system, the simulated means, their
relative errors and whether theory lies inside the simulation's 95 % confidence interval.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import params_from_dict  # noqa: E402
from sim.model import run_model  # noqa: E402
from sim.metrics.theory_check import expected_means  # noqa: E402

CASES = [
    ("M/M/1 rho 0.6", "mmc", {"arrival_rate_per_h": 0.6, "service_rate_per_h": 1.0, "servers": 1}, 40000),
    ("M/M/12 lambda 9.5", "mmc", {"arrival_rate_per_h": 9.5, "service_rate_per_h": 1.0, "servers": 12}, 4000),
    ("M/M/3 rho 0.8", "mmc", {"arrival_rate_per_h": 2.4, "service_rate_per_h": 1.0, "servers": 3}, 20000),
    ("M/G/1 lognormal cv 1.5", "mmc", {"arrival_rate_per_h": 0.4, "service_rate_per_h": 1.0, "servers": 1,
                                       "service_dist": "lognormal", "service_cv": 1.5}, 40000),
    ("M/D/1", "mmc", {"arrival_rate_per_h": 0.4, "service_rate_per_h": 1.0, "servers": 1,
                      "service_dist": "deterministic", "service_cv": 0.0}, 20000),
    ("Jackson grid 5 crews -> town 3 crews, p 0.3", "jackson",
     {"arrival_rate_per_h": 4.0, "grid_rate_per_h": 1.0, "grid_servers": 5, "escalate_p": 0.3,
      "town_rate_per_h": 0.5, "town_servers": 3}, 10000),
]


def ci(x: np.ndarray, batches: int = 30) -> tuple[float, float]:
    x = x[: len(x) // batches * batches]
    m = x.reshape(batches, -1).mean(axis=1)
    return float(x.mean()), float(stats.t.ppf(0.975, batches - 1) * m.std(ddof=1) / np.sqrt(batches))


def main() -> None:
    print(f"{'case':45s} {'quantity':10s} {'theory':>9s} {'simulated':>9s} {'± 95% CI':>9s} {'rel.err':>8s} in CI")
    for name, kind, block, days in CASES:
        p = params_from_dict({"scenario": kind, "seed": 1, "run": {"horizon_days": days, "warmup_days": days * 0.02},
                              kind: block})
        r = run_model(p)
        iss = r.issues
        ok = (iss["t_reported_h"] >= p.warmup_h) & np.isfinite(iss["t_closed_h"])
        order = np.argsort(iss["t_reported_h"][ok], kind="stable")
        th, _ = expected_means(p)
        for label, x, t in (("wait", (iss["t_started_h"] - iss["t_dispatched_h"])[ok][order], th.wq_h),
                            ("sojourn", (iss["t_closed_h"] - iss["t_reported_h"])[ok][order], th.w_h)):
            m, h = ci(x)
            print(f"{name:45s} {label:10s} {t:9.4f} {m:9.4f} {h:9.4f} {abs(m - t) / t:8.2%} {'yes' if abs(m - t) <= h else 'no'}")
        rate = np.isfinite(iss["t_closed_h"]).sum() / r.timings_s["simulate"]
        print(f"{'':45s} {r.events_processed:,} events, {r.events_processed / r.timings_s['simulate']:,.0f} events/s, "
              f"{rate:,.0f} closed issues/s of event loop")


if __name__ == "__main__":
    main()
