"""Wall time of a robust sweep (``experiment=robust_grid_size``) on chongming_town through
``run.py -m`` (both cores, joblib), and its time per run; prints the robustness block's
head and the PRIM boxes. A measurement, not a test: run it on an otherwise idle machine.

    python benchmarks/robust_time.py                       # 4 policies x 16 samples x 2 seeds
    python benchmarks/robust_time.py --policies null,1,2,3,5,8 --samples 32 --seeds 2   # the issue's goal

The sweep folder is a fresh temporary one (``--keep DIR`` to write there instead).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policies", default="null,1,3,5")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--horizon-days", type=float, default=180.0)
    ap.add_argument("--keep", default=None, help="sweep folder (default: a temporary one)")
    a = ap.parse_args()
    folder = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="robust_")) / "sweep"
    cmd = [sys.executable, "run.py", "-m", "experiment=robust_grid_size", f"experiment.robust.samples={a.samples}",
           f"experiment.robust.sample=range(0,{a.samples})", f"partition.grids_per_village={a.policies}",
           f"seed=range(1,{a.seeds + 1})", f"run.horizon_days={a.horizon_days:g}", f"hydra.sweep.dir={folder}"]
    print(" ".join(cmd[1:]), flush=True)
    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)  # the sweep and its workers, reaped
    n = len(a.policies.split(",")) * a.samples * a.seeds
    print(f"exit {r.returncode}; {n} runs in {wall:.0f} s wall ({wall / n:.2f} s per run on 2 workers); "
          f"{cpu:.0f} s CPU ({cpu / n:.2f} s per run: {cpu / 2 / 60:.1f} min on 2 idle cores)")
    if r.returncode != 0:
        print(r.stderr[-2000:])
        return
    c = json.loads((folder / "comparison.json").read_text())
    for k, block in c["robustness"].items():
        print(f"\n{k} ({block['better']} is better; satisficing {block['satisficing_threshold']})")
        print(f"{'policy':40s} {'p_best':>7s} {'mean':>12s} {'regret':>10s} {'regret90':>10s} {'beats':>6s} {'sat':>6s}")
        for p, e in block["policies"].items():
            f = lambda v, w=6: f"{v:{w}.2f}" if v is not None else " " * (w - 1) + "-"  # noqa: E731
            print(f"{p:40s} {f(e['p_best'], 7)} {e['mean']:12.4g} {e['regret_mean']:10.4g} {e['regret_p90']:10.4g} "
                  f"{f(e['beats_baseline_share'])} {f(e['satisficing_share'])}")
    sd = c["scenario_discovery"]
    print(f"\nPRIM on {sd['kpi']}: reference {sd['reference_policy']}, {sd['cases']} of {sd['samples']} samples flip")
    for i, b in enumerate(sd["boxes"], 1):
        print(f"box {i}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, mass {b['mass']:.2f}: " +
              "; ".join(f"{x['param']} in [{x['low']:.4g}, {x['high']:.4g}]" for x in b["restricted"]))
    print(f"\nfolder: {folder}")


if __name__ == "__main__":
    main()
