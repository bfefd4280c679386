"""How a world's cost grows with its size: synthetic districts K times Chongming.

    python benchmarks/scale.py                      # 1x and 5x (90 towns, 3.4 M residents), a year each
    python benchmarks/scale.py --factors 1 5 37     # ... and a Shanghai-size world (25 M residents)
    python benchmarks/scale.py --factors 1 2 --days 120

Each world is ``scenario=chongming`` on ``world.map=synthetic``, K times over: K x 18 towns,
K x 269 villages, K x 680,000 residents on K x 1,100 km2, grids by the 1-km2 rule, and every
team scaled by K. Departments are staffed by their rule (staff per 10,000 residents, per town),
so a bigger world has proportionally more case handlers and no unit saturates because of size.

Each run is ``python run.py ... report.enabled=false`` in a subprocess, as a user runs it.
Reported per world: wall time, the peak resident memory of the run (VmHWM), the model's stages
(manifest.json), issues, bytes per resident and per issue, and the loop's log-log slope against
1x (1.0 = linear). A measurement, not a test: run it on an otherwise idle machine. The resource
guard refuses a world its estimate says will not fit (run.memory_limit_gb, default the
machine's memory); such a world is reported as refused, with the guard's line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_run import watched_run  # noqa: E402  (a run sampled as the single-run profile samples it)

BASE = {"towns": 18, "villages": 269, "residents": 680_000, "settled_area_km2": 1100.0}


def overrides(k: float, days: float) -> list[str]:
    w = {key: (round(v * k) if isinstance(v, int) else v * k) for key, v in BASE.items()}
    return ["scenario=chongming", "world.map=synthetic", f"world.towns={w['towns']}", f"world.villages={w['villages']}",
            f"world.residents={w['residents']}", f"world.settled_area_km2={w['settled_area_km2']:g}",
            "partition.total_grids=null", f"teams.scale_management={k:g}", f"teams.scale_work={k:g}",
            f"teams.scale_volunteer={k:g}", f"run.horizon_days={days:g}", "report.enabled=false"]


def one(k: float, days: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        r = watched_run(overrides(k, days), out, interval_s=0.2)
        if r["returncode"] != 0:
            err = r["stderr"].strip()
            return {"factor": k, "refused": err.splitlines()[-1] if err else f"exit {r['returncode']}"}
        man = json.loads((out / "manifest.json").read_text())
        s = json.loads((out / "summary.json").read_text())
    wall, hwm = r["wall_s"], r["hwm_kb"]
    res, issues = s["structure"]["residents"], s["counts"]["occurred"]
    return {"factor": k, "residents": res, "households": s["structure"]["households"], "issues": issues,
            "wall_s": wall, "peak_gb": hwm * 1024 / 1e9, "build_s": man["timings_s"]["build"],
            "loop_s": man["timings_s"]["simulate"], "bytes_per_resident": hwm * 1024 / res,
            "bytes_per_issue": hwm * 1024 / max(issues, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factors", type=float, nargs="+", default=[1, 5])
    ap.add_argument("--days", type=float, default=365)
    a = ap.parse_args()
    rows = []
    for k in a.factors:
        r = one(k, a.days)
        rows.append(r)
        print(json.dumps(r), flush=True)
    ok = [r for r in rows if "refused" not in r]
    print(f"\n{'factor':>6} {'residents':>11} {'issues':>9} {'wall s':>7} {'build s':>7} {'loop s':>7} {'peak GB':>7} "
          f"{'B/resident':>10} {'B/issue':>8} {'loop slope':>10}")
    first = ok[0] if ok else None
    for r in rows:
        if "refused" in r:
            print(f"{r['factor']:>6g}  refused: {r['refused']}")
            continue
        slope = (math.log(r["loop_s"] / first["loop_s"]) / math.log(r["issues"] / first["issues"])
                 if r is not first else float("nan"))
        print(f"{r['factor']:>6g} {r['residents']:>11,} {r['issues']:>9,} {r['wall_s']:>7.1f} {r['build_s']:>7.2f} "
              f"{r['loop_s']:>7.2f} {r['peak_gb']:>7.2f} {r['bytes_per_resident']:>10,.0f} {r['bytes_per_issue']:>8,.0f} "
              f"{slope:>10.2f}")


if __name__ == "__main__":
    main()
