"""Performance benchmark: every target of the performance issue, measured side by side,
printed as one table (figure, goal, measured, ratio, met).

    python -m pip install -e '.[bench]'      # SimPy and ciw, benchmark-only
    python benchmarks/bench.py               # about 3-4 minutes on 2 cores
    python benchmarks/bench.py --quick       # fewer repeats, smaller peers

Timings are medians of repeats. Nothing here is a test: timings vary with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAM, MU, C = 9.5, 1.0, 12


def ours_mmc(hours: float, seed: int) -> float:
    """Closed issues per second of the event loop (timings_s.simulate), M/M/12."""
    from sim import params_from_dict
    from sim.model import run_model

    p = params_from_dict({"scenario": "mmc", "seed": seed, "run": {"horizon_days": hours / 24, "warmup_days": 0},
                          "mmc": {"arrival_rate_per_h": LAM, "service_rate_per_h": MU, "servers": C}})
    r = run_model(p)
    return float(np.isfinite(r.issues["t_closed_h"]).sum() / r.timings_s["simulate"])


def simpy_mmc(hours: float, seed: int) -> float:
    import simpy

    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    res = simpy.Resource(env, C)
    done = [0]

    def customer(env):
        with res.request() as req:
            yield req
            yield env.timeout(rng.exponential(1 / MU))
        done[0] += 1

    def source(env):
        while True:
            yield env.timeout(rng.exponential(1 / LAM))
            env.process(customer(env))

    env.process(source(env))
    t = time.perf_counter()
    env.run(until=hours)
    return done[0] / (time.perf_counter() - t)


def ciw_mmc(hours: float, seed: int) -> float:
    import ciw

    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(LAM)],
                             service_distributions=[ciw.dists.Exponential(MU)], number_of_servers=[C])
    ciw.seed(seed)  # ciw seeds global state; only here, in the benchmark
    q = ciw.Simulation(net)
    t = time.perf_counter()
    q.simulate_until_max_time(hours)
    return len(q.get_all_records()) / (time.perf_counter() - t)


def heap_floor(hours: float, seed: int) -> float:
    """A bare heapq M/M/c loop: the floor for any Python event engine."""
    import heapq

    rng = np.random.default_rng(seed)
    n = int(LAM * hours * 1.1)
    arr = np.cumsum(rng.exponential(1 / LAM, n)).tolist()
    svc = rng.exponential(1 / MU, n).tolist()
    t0 = time.perf_counter()
    heap, free, queue, done, i = [], C, [], 0, 0
    from collections import deque
    queue = deque()
    while i < n and arr[i] < hours:
        if heap and heap[0] <= arr[i]:
            t = heapq.heappop(heap)
            done += 1
            if queue:
                j = queue.popleft()
                heapq.heappush(heap, t + svc[j])
            else:
                free += 1
        else:
            if free:
                free -= 1
                heapq.heappush(heap, arr[i] + svc[i])
            else:
                queue.append(i)
            i += 1
    return done / (time.perf_counter() - t0)


def mesa_events(n: int = 50_000) -> float:
    import mesa

    m = mesa.Model(rng=np.random.default_rng(1))

    class C_:
        def __init__(s):
            s.n = 0

        def cb(s):
            s.n += 1
            m.schedule_event(s.cb, after=0.01)

    c = C_()
    m.schedule_event(c.cb, after=0.0)
    t = time.perf_counter()
    m.run_until(n * 0.01)
    return c.n / (time.perf_counter() - t)


def median(f, repeats, *a):
    return statistics.median(f(*a, seed) for seed in range(1, repeats + 1))


def cli_run(args: list[str]) -> tuple[float, int, dict]:
    """Wall seconds, peak RSS (bytes) and manifest of ``python run.py ARGS``."""
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        r = subprocess.run([sys.executable, "run.py", *args, f"hydra.run.dir={d}"], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if r.returncode != 0:
            raise SystemExit(r.stderr)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        man = json.loads((Path(d) / "manifest.json").read_text())
        return wall, max(peak, before) * 1024, man


def scaling(repeats: int) -> tuple[float, list]:
    """Model time (build + draw + simulate) against issues for 1, 5, 9, 18 towns."""
    from sim import params_from_dict
    from sim.model import GovernanceModel
    from compose import scenario_dict

    pts = []
    for towns in (1, 5, 9, 18):
        f = towns / 18
        d = scenario_dict("chongming")
        d["world"].update({"towns": towns, "villages": max(towns, round(269 * f)), "residents": round(680000 * f),
                           "settled_area_km2": 1100.0 * f})
        d["partition"]["total_grids"] = None if towns < 18 else 993
        d["teams"].update({"scale_management": f, "scale_work": f, "scale_volunteer": f})
        times = []
        for s in range(repeats):
            d["seed"] = s
            t = time.perf_counter()
            res = GovernanceModel(params_from_dict(d)).run()
            times.append(time.perf_counter() - t)
        pts.append((len(res.issues["issue_id"]), min(times)))  # min of repeats: least disturbed by noise
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0]), pts


def sweep_speedup() -> tuple[float, float, float]:
    """8 whole-district Chongming years (the research workload) serially and through the
    joblib launcher (2 workers). Each worker imports the stack once (~3 s), so very short
    runs gain less."""
    base = ["-m", "experiment=grid_size", "scenario=chongming", "partition.grids_per_village=null,3",
            "seed=range(1,5)"]
    out = []
    for launcher in ("basic", "local_parallel"):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            r = subprocess.run([sys.executable, "run.py", *base, f"hydra/launcher={launcher}", f"hydra.sweep.dir={d}"],
                               cwd=ROOT, capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(r.stderr)
            out.append(time.perf_counter() - t)
    return out[0], out[1], out[0] / out[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    reps = 1 if a.quick else 3
    hours = 2000.0 if a.quick else 5000.0
    rows = []

    def row(fig, goal, measured, ratio, met):
        rows.append((fig, goal, measured, ratio, "yes" if met else "NO"))
        print(f"  measured: {fig}: {measured}", file=sys.stderr, flush=True)

    ours = median(ours_mmc, reps, hours)
    sp = median(simpy_mmc, reps, hours / 2)
    cw = median(ciw_mmc, reps, hours / 10)
    floor = median(heap_floor, reps, hours)
    mesa = mesa_events()
    row("mmc closed issues/s (event loop) vs SimPy", ">= SimPy", f"{ours:,.0f} vs {sp:,.0f}", f"{ours / sp:.2f}x", ours >= sp)
    row("mmc closed issues/s vs 2x ciw", ">= 2x ciw", f"{ours:,.0f} vs {cw:,.0f}", f"{ours / cw:.2f}x", ours >= 2 * cw)
    row("bare heapq M/M/12 loop (floor, info)", "-", f"{floor:,.0f}/s", f"{ours / floor:.2f}x of floor", True)
    row("Mesa 3.5 event list (info)", "-", f"{mesa:,.0f} events/s", "-", True)

    walls, peaks, loops = [], [], []
    for s in range(reps):
        wall, peak, man = cli_run(["scenario=chongming", f"seed={s}"])
        walls.append(wall)
        peaks.append(peak)
        loops.append(man["timings_s"]["simulate"])
    wall, peak, loop = statistics.median(walls), max(peaks), statistics.median(loops)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, "run.py", "scenario=chongming", "report.enabled=false", f"hydra.run.dir={d}"], cwd=ROOT,
                       capture_output=True, check=True)
        issues_n = json.loads((Path(d) / "summary.json").read_text())["counts"]["occurred"]
        ev = json.loads((Path(d) / "manifest.json").read_text())["events_processed"]
    row("chongming year: event loop (s)", "<= 20", f"{loop:.2f}", f"{20 / loop:.1f}x headroom", loop <= 20)
    row("chongming year: whole python run.py (s)", "<= 45", f"{wall:.1f}", f"{45 / wall:.1f}x headroom", wall <= 45)
    row("chongming year: peak memory (GB)", "<= 2", f"{peak / 1e9:.2f}", f"{2e9 / peak:.1f}x headroom", peak <= 2e9)
    rate = issues_n / loop
    row("chongming issues/s of event loop vs ciw/2", ">= ciw/2", f"{rate:,.0f} vs {cw / 2:,.0f}", f"{rate / (cw / 2):.2f}x",
        rate >= cw / 2)
    row("chongming events processed (info)", "-", f"{ev:,} ({ev / loop:,.0f}/s)", "-", True)
    slope, pts = scaling(1 if a.quick else 3)
    row("log-log slope, time vs issues (1/5/9/18 towns)", "<= 1.1", f"{slope:.3f} " + str([(n, round(t, 2)) for n, t in pts]),
        "-", slope <= 1.1)
    ser, par, sp_up = sweep_speedup()
    row("8-run sweep: joblib (2 cores) vs serial", ">= 1.7x", f"{ser:.1f} s vs {par:.1f} s", f"{sp_up:.2f}x", sp_up >= 1.7)

    w = [max(len(str(r[i])) for r in rows + [("figure", "goal", "measured", "ratio", "met")]) for i in range(5)]
    line = " | ".join(h.ljust(w[i]) for i, h in enumerate(("figure", "goal", "measured", "ratio", "met")))
    print(line)
    print("-" * len(line))
    for r in rows:
        print(" | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
    print(f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
