"""Identifiability first: the synthetic-truth test of the calibration, on the model itself.

Draws one parameter set from the registry's ranges (the truth), runs the scenario at it,
makes its pattern values the targets, calibrates to them by ABC-SMC (sim/calibration/abc.py)
and prints, per parameter, the truth, the posterior median and 90 % interval, whether the
truth is inside, and the shrinkage; exits 1 if a truth lies outside its interval.

    python benchmarks/identifiability.py                              # chongming_town, 3 parameters
    python benchmarks/identifiability.py --pop 40 --gens 4 --jobs 2 --days 90
    python benchmarks/identifiability.py --params a.b c.d --seed 3

The suite's version (tests/test_calibration.py) runs the same path on a fast stand-in model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# three of the screen's selected parameters (results/screen/.../screen.json), each the strongest
# lever of a pattern: satisfaction, on-the-spot and proactive share, 12345 volume
DEFAULT_PARAMS = ("residents.satisfaction_half_ratio", "staff.repeat_pass_exponent", "channels.hotline_12345.utility")


def main() -> int:
    from compose import scenario_dict
    from sim.calibration import targets as tg
    from sim.calibration.abc import priors
    from sim.calibration.identify import synthetic_truth

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="chongming_town")
    ap.add_argument("--params", nargs="+", default=list(DEFAULT_PARAMS))
    ap.add_argument("--targets", default="chongming")
    ap.add_argument("--days", type=float, default=90.0)
    ap.add_argument("--warmup", type=float, default=30.0)
    ap.add_argument("--pop", type=int, default=40)
    ap.add_argument("--gens", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    base = scenario_dict(a.scenario, [f"run.horizon_days={a.days}", f"run.warmup_days={a.warmup}"])
    pri = priors({"params": {k: "registry" for k in a.params}})
    pats = [p for p in tg.load(a.targets) if p.fit]
    t0 = time.perf_counter()
    r = synthetic_truth(base, pri, pats, seed=a.seed, population_size=a.pop, generations=a.gens, n_jobs=a.jobs)
    wall = time.perf_counter() - t0
    print(f"{a.scenario}, {a.days:g} days ({a.warmup:g} warm-up), population {a.pop}, {r['generations']} generations, "
          f"{r['simulations']} simulations, {wall:.0f} s on {a.jobs} processes")
    print(f"{'parameter':45s} {'truth':>9s} {'median':>9s} {'90 % interval':>22s} inside shrinkage")
    for p in r["parameters"]:
        lo, hi = p["posterior_90"]
        print(f"{p['parameter']:45s} {p['truth']:9.4g} {p['posterior_median']:9.4g} [{lo:9.4g}, {hi:9.4g}] "
              f"{'yes' if p['inside_90'] else 'NO':>6s} {p['shrinkage']:9.2f}")
    print(json.dumps({"observed": r["observed"]}, default=float))
    return 0 if all(p["inside_90"] for p in r["parameters"]) else 1


if __name__ == "__main__":
    sys.exit(main())
