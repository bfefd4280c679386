"""Where the default run's time and memory go.

    python benchmarks/profile_run.py              # 3 runs of `python run.py`: wall, memory, stages
    python benchmarks/profile_run.py --runs 5 -- scenario=chongming_town
    python benchmarks/profile_run.py --functions  # also the simulation's top functions (cProfile)
    python benchmarks/profile_run.py --functions --sort cumulative  # ... with what they call

Each run is `python run.py [overrides]` in a subprocess, as a user runs it, writing to a
temporary folder. Reported per run: wall time; peak resident memory of the main process
(its high-water mark, VmHWM) and the peak of the sum over the process tree (main process +
figure worker; proportional set size, so shared pages count once), sampled every 50 ms;
and the stages the run records in manifest.json (build, simulate, collect, write,
report). Then the median of each. Timings vary from run to run on a shared machine:
compare medians, never single runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            out += _tree(int(c))
    except OSError:
        pass
    return out


def _field(path: str, key: str) -> int:
    try:
        for line in open(path):
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def watched_run(overrides: list[str], out: Path, interval_s: float = 0.05, tree: bool = False) -> dict:
    """``python run.py OVERRIDES hydra.run.dir=OUT`` as a user runs it, sampled every
    ``interval_s``: wall seconds, the main process's peak resident memory (VmHWM, kB), with
    ``tree`` the peak PSS summed over its process tree (kB), the exit code and stderr."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "run.py", *overrides, f"hydra.run.dir={out}"], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    hwm = pss = 0
    while p.poll() is None:
        hwm = max(hwm, _field(f"/proc/{p.pid}/status", "VmHWM"))
        if tree:
            pss = max(pss, sum(_field(f"/proc/{q}/smaps_rollup", "Pss:") for q in _tree(p.pid)))
        time.sleep(interval_s)
    return {"wall_s": time.perf_counter() - t0, "hwm_kb": hwm, "pss_kb": pss, "returncode": p.returncode,
            "stderr": p.stderr.read()}


def one_run(overrides: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        r = watched_run(overrides, out, tree=True)
        if r["returncode"] != 0:
            raise SystemExit(f"run failed: {r['stderr']}")
        stages = json.loads((out / "manifest.json").read_text())["timings_s"]
    return {"wall_s": r["wall_s"], "main_peak_mb": r["hwm_kb"] / 1024, "tree_peak_pss_mb": r["pss_kb"] / 1024,
            **{f"{k}_s": v for k, v in stages.items()}}


def functions(overrides: list[str], top: int = 25, sort: str = "tottime") -> None:
    """cProfile of the simulation loop alone (deterministic profiling inflates small
    functions; use it for ranking, not for absolute times)."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    from compose import scenario_dict
    from sim.model import GovernanceModel
    from sim.params import params_from_dict

    scen = next((o.split("=", 1)[1] for o in overrides if o.startswith("scenario=")), "chongming")
    p = params_from_dict(scenario_dict(scen, [o for o in overrides if not o.startswith("scenario=")]))
    m = GovernanceModel(p)
    prof = cProfile.Profile()
    prof.enable()
    m.advance(p.horizon_h)
    prof.disable()
    pstats.Stats(prof).sort_stats(sort).print_stats(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--functions", action="store_true", help="also profile the simulation's functions")
    ap.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"),
                    help="order of the functions (own time, or with what they call)")
    ap.add_argument("overrides", nargs="*", help="run.py overrides (after --)")
    a = ap.parse_args()
    rows = [one_run(a.overrides) for _ in range(a.runs)]
    keys = list(rows[0])
    print(f"python run.py {' '.join(a.overrides)}  ({a.runs} runs)")
    print(f"{'':22s}" + "".join(f"{'run ' + str(i + 1):>10s}" for i in range(len(rows))) + f"{'median':>10s}")
    for k in keys:
        vals = [r.get(k, float('nan')) for r in rows]
        print(f"{k:22s}" + "".join(f"{v:10.2f}" for v in vals) + f"{statistics.median(vals):10.2f}")
    if a.functions:
        functions(a.overrides, sort=a.sort)


if __name__ == "__main__":
    main()
