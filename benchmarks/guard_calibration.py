"""Calibrate the resource guard (sim/guard.py): measure peak memory of real runs and fit
the coefficients of its formula.

    python benchmarks/guard_calibration.py            # measure, fit, print a table
    python benchmarks/guard_calibration.py --quick    # the smaller half of the cases
    python benchmarks/guard_calibration.py --save peaks.json     # keep the measured peaks
    python benchmarks/guard_calibration.py --refit peaks.json    # refit them (terms changed, runs did not)

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

Measured on the project machine (2 cores, 23 GB, Python 3.12.1, Mesa 3.5.1), 2026-12,
with the committed coefficients (``member_days`` and ``days`` raised by this rerun; the fit's
other coefficients are ill-determined by these cases and the committed ones err on the safe
side in every case):

    case                                   peak MB   guard MB  guard/peak
    mmc, 30 days                                244        360     1.47
    village, 1 year                             232        302     1.30
    village, 20 years                           259        328     1.27
    village, 1000 years                        1451       1667     1.15
    village, 3M town crews                     4636       6002     1.29
    2M residents, 800k households, 1 day        273        474     1.74
    800k residents and households, 1 day        256        375     1.46
    50k regular grids, 1 day                    677        815     1.20
    20k synthetic villages, 1 day               249        395     1.59
    chongming_town, 1 year                      272        917     3.37
    chongming_town, 400k volunteers             851       1176     1.38
    chongming_town, 300 grids/village           279       1326     4.75
    chongming_town, 2000 years, few issues    20112      24070     1.20   (the case is 1000 years now: 2000 are refused here)
    chongming, 1 year                           586        933     1.59
    chongming, 3 years                          988       1548     1.57
    geojson, 300k households, 1 day             413       2121     5.14
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
    ("chongming_town, 1000 years, few issues", ["scenario=chongming_town", "run.horizon_days=365000", "run.holidays=none",
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


def main(quick: bool = False, save: str | None = None, refit: str | None = None) -> None:
    from scipy.optimize import nnls

    from compose import scenario_dict
    from sim import guard, params_from_dict

    rows, peaks, names = [], [], []
    measured = json.loads(Path(refit).read_text()) if refit else {}
    with tempfile.TemporaryDirectory() as tmp:
        gj = Path(tmp) / "map.geojson"
        make_geojson(gj)
        for name, args in CASES:
            if (quick and name not in QUICK) or (refit and name not in measured):
                continue
            args = [f"world.geojson_path={gj}" if a == "GEOJSON" else a for a in args]
            scen = args[0].split("=", 1)[1]
            p = params_from_dict(scenario_dict(scen, args[1:]))
            est = guard.estimate(p)
            try:
                peak = measured[name] if refit else peak_rss_bytes(
                    [*args, "report.enabled=true", f"hydra.run.dir={tmp}/{len(rows)}"])
            except RuntimeError as e:  # one case's failure is reported; the others are still measured and fitted
                print(f"{name:38s} FAILED: {str(e)[-300:]}", flush=True)
                continue
            counts = est.counts()
            rows.append([1.0] + [counts.get(k, 0.0) for k in guard.BYTES if k != "base"])
            peaks.append(peak)
            names.append((name, est.memory_bytes))
            print(f"{name:38s} peak {peak / 1e6:8.0f} MB   estimate {est.memory_bytes / 1e6:8.0f} MB", flush=True)
    if save:
        Path(save).write_text(json.dumps({n: pk for (n, _), pk in zip(names, peaks)}, indent=1))
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
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the smaller half of the cases")
    ap.add_argument("--save", metavar="JSON", help="also write the measured peaks (bytes by case) to this file")
    ap.add_argument("--refit", metavar="JSON", help="fit peaks saved by --save instead of measuring (the "
                                                    "formula's terms changed, the runs did not)")
    a = ap.parse_args()
    main(quick=a.quick, save=a.save, refit=a.refit)
