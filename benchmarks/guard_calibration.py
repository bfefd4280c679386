"""Calibrate the resource guard (sim/guard.py): measure peak memory of real runs and fit
the coefficients of its formula.

    python benchmarks/guard_calibration.py            # measure, fit, print a table
    python benchmarks/guard_calibration.py --quick    # the smaller half of the cases

Each case runs ``python run.py ... report.enabled=true`` in a subprocess from the repository root;
its peak resident set size is the child's own high-water mark (``VmHWM`` in
/proc/self/status at exit; ``resource.getrusage``'s ``ru_maxrss`` would also count the
memory of this process inherited at fork, which Linux keeps across exec). The counts of the same configuration come from ``sim.guard.estimate``. The fit is
non-negative least squares of peak bytes on [1, counts...] (scipy.optimize.nnls), each
row weighted by 1 / peak so that small and large runs count alike. Coefficients that a
case set cannot identify (a kind no case varies) keep their value from sim/guard.py.

Paste the printed coefficients into ``BYTES`` in sim/guard.py, rounded up (the guard
should err on the side of refusing), and keep the table of measured vs estimated peaks
below up to date.

Measured on the project machine (2 cores, 23 GB, Python 3.12.1, Mesa 3.5.1), 2026-11,
with the committed coefficients (fit: base 262 MB, residents 20, households 0, grids
3,549, villages 3,710, agents 474, crew slots 66, issues 1,491, days 9.4 bytes each):

    case                                   peak MB   guard MB  guard/peak
    mmc, 30 days                                269        313     1.17
    village, 1 year                             255        301     1.18
    village, 20 years                           279        313     1.12
    village, 1000 years                         733        926     1.26
    village, 3M town crews                      461        556     1.20
    2M residents, 800k households, 1 day        304        359     1.18
    800k residents and households, 1 day        276        329     1.19
    50k regular grids, 1 day                    493        589     1.20
    20k synthetic villages, 1 day               427        518     1.21
    chongming_town, 1 year                      281        314     1.12
    chongming_town, 400k volunteers             462        574     1.24
    chongming_town, 300 grids/village           289        337     1.17
    chongming_town, 2000 years, few issues      274        316     1.15
    chongming, 1 year                           467        555     1.19
    chongming, 3 years                          777        942     1.21
    geojson, 300k households, 1 day             564       1128     2.00
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_DAY = ["run.horizon_days=1", "run.warmup_days=0"]
TOWN_TYPES = ("sanitation", "river", "greenery", "road_facility", "safety_hazard", "illegal_building", "dispute",
              "welfare", "policy_question", "other")
CASES = [
    ("mmc, 30 days", ["scenario=mmc", "run.horizon_days=30"]),
    ("village, 1 year", ["scenario=village"]),
    ("village, 20 years", ["scenario=village", "run.horizon_days=7300"]),
    ("village, 1000 years", ["scenario=village", "run.horizon_days=365000", "run.holidays=none"]),
    ("village, 3M town crews", ["scenario=village", "levels.town.crews=3000000"]),
    ("2M residents, 800k households, 1 day", ["scenario=village", "world.households_per_grid=200000", *ONE_DAY]),
    ("800k residents and households, 1 day", ["scenario=village", "world.households_per_grid=200000",
                                               "world.persons_per_household=1", *ONE_DAY]),
    ("50k regular grids, 1 day", ["scenario=village", "world.towns=100", "world.villages_per_town=100",
                                  "world.grids_per_village=5", "world.households_per_grid=1", *ONE_DAY]),
    ("20k synthetic villages, 1 day", ["scenario=chongming_town", "world.villages=20000", "world.residents=200000",
                                       "partition.k_min=1", "partition.k_max=1", *ONE_DAY]),
    ("chongming_town, 1 year", ["scenario=chongming_town"]),
    ("chongming_town, 400k volunteers", ["scenario=chongming_town", "teams.volunteer_total=400000"]),
    ("chongming_town, 300 grids/village", ["scenario=chongming_town", "partition.grids_per_village=300"]),
    ("chongming_town, 2000 years, few issues", ["scenario=chongming_town", "run.horizon_days=730000", "run.holidays=none",
                                                *[f"issue_types.{t}.rate_per_1000_residents_per_year=0.001"
                                                  for t in TOWN_TYPES]]),
    ("chongming, 1 year", ["scenario=chongming"]),
    ("chongming, 3 years", ["scenario=chongming", "run.horizon_days=1095", "run.holidays=none"]),  # holidays: to 2026
    ("geojson, 300k households, 1 day", ["scenario=chongming_town", "world.map=geojson", "GEOJSON",
                                         "partition.total_grids=null", *ONE_DAY]),
]
QUICK = {"mmc, 30 days", "village, 1 year", "village, 20 years", "chongming_town, 1 year",
         "village, 3M town crews", "chongming_town, 400k volunteers", "50k regular grids, 1 day"}


def make_geojson(path: Path, n_villages: int = 100, per_village: int = 3000) -> None:
    rng = np.random.default_rng(0)
    feats = []
    for v in range(n_villages):
        x0 = 2.0 * v
        feats.append({"type": "Feature", "properties": {"kind": "village", "village": f"V{v}", "town": f"T{v // 10}"},
                      "geometry": {"type": "Polygon", "coordinates": [[[x0, 0], [x0 + 2, 0], [x0 + 2, 1], [x0, 1], [x0, 0]]]}})
        for _ in range(per_village):
            feats.append({"type": "Feature", "properties": {"kind": "household", "village": f"V{v}", "size": 3},
                          "geometry": {"type": "Point", "coordinates": [x0 + float(rng.uniform(0.01, 1.99)),
                                                                        float(rng.uniform(0.01, 0.99))]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))


PROBE = ("import atexit, runpy, sys\n"
         "def _peak():\n"
         "    kb = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
         "    print('PEAK_KB', kb, file=sys.stderr)\n"
         "atexit.register(_peak)\n"
         "sys.argv = ['run.py', *sys.argv[1:]]\n"
         "runpy.run_path('run.py', run_name='__main__')\n")


def peak_rss_bytes(args: list[str]) -> float:
    """Peak resident set size of ``python run.py ARGS``: the child's VmHWM at exit (the
    high-water mark of its own address space; ``ru_maxrss`` would also count the parent's
    memory inherited at fork, which survives exec)."""
    p = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{args}: exit {p.returncode}: {p.stderr[-500:]}")
    kb = [ln.split()[1] for ln in p.stderr.splitlines() if ln.startswith("PEAK_KB")]
    return float(kb[-1]) * 1024.0


def main(quick: bool = False) -> None:
    from scipy.optimize import nnls

    from compose import scenario_dict
    from sim import guard, params_from_dict

    rows, peaks, names = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        gj = Path(tmp) / "map.geojson"
        make_geojson(gj)
        for name, args in CASES:
            if quick and name not in QUICK:
                continue
            args = [f"world.geojson_path={gj}" if a == "GEOJSON" else a for a in args]
            scen = args[0].split("=", 1)[1]
            p = params_from_dict(scenario_dict(scen, args[1:]))
            est = guard.estimate(p)
            try:
                peak = peak_rss_bytes([*args, "report.enabled=true", f"hydra.run.dir={tmp}/{len(rows)}"])
            except RuntimeError as e:  # one case's failure is reported; the others are still measured and fitted
                print(f"{name:38s} FAILED: {str(e)[-300:]}", flush=True)
                continue
            counts = est.counts()
            rows.append([1.0] + [counts.get(k, 0.0) for k in guard.BYTES if k != "base"])
            peaks.append(peak)
            names.append((name, est.memory_bytes))
            print(f"{name:38s} peak {peak / 1e6:8.0f} MB   estimate {est.memory_bytes / 1e6:8.0f} MB", flush=True)
    A, b = np.array(rows), np.array(peaks)
    kinds = ["base", *[k for k in guard.BYTES if k != "base"]]
    varied = [j for j in range(A.shape[1]) if j == 0 or np.ptp(A[:, j]) > 0]
    w = 1.0 / b
    coef, _ = nnls(A[:, varied] * w[:, None], b * w)
    fitted = dict(guard.BYTES)
    for j, c in zip(varied, coef):
        fitted[kinds[j]] = float(c)
    print("\nfitted coefficients (bytes per item; unvaried kinds keep the current value):")
    for k in kinds:
        print(f"  {k:14s} {fitted[k]:14.1f}   (now {guard.BYTES[k]:g})")
    print("\ncase                                   peak MB   fitted MB   guard MB  guard/peak")
    for (name, g), row, peak in zip(names, A, b):
        f = sum(fitted[k] * x for k, x in zip(kinds, row))
        print(f"{name:38s} {peak / 1e6:8.0f}   {f / 1e6:8.0f}   {g / 1e6:8.0f}   {g / peak:6.2f}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
