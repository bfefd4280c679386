"""Performance benchmark: every goal of the performance work, measured side by side and
printed as one table (figure, goal, measured, ratio, met).

    python -m pip install -e '.[bench]'      # SimPy and ciw, benchmark-only
    python benchmarks/bench.py               # about 5 minutes on 2 cores
    python benchmarks/bench.py --quick       # fewer repeats, smaller peers

The engine is measured against SimPy and ciw on the same M/M/12 queue in the same run; the
Chongming year through ``python run.py`` as a user runs it (wall, peak memory, and the stages
its manifest records); a ``chongming_town`` year's marginal cost in a warm process and the
speed-up of 8 of them on both cores (``benchmarks/throughput.py``). World size is
``benchmarks/scale.py`` (minutes per world). Timings are medians of repeats on whatever else
the machine is doing: run it idle. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from profile_run import watched_run  # noqa: E402  (a run sampled as the single-run profile samples it)

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
    """Wall seconds, peak RSS of the main process (bytes, VmHWM) and manifest of
    ``python run.py ARGS``."""
    with tempfile.TemporaryDirectory() as d:
        r = watched_run(args, Path(d))
        if r["returncode"] != 0:
            raise SystemExit(r["stderr"])
        man = json.loads((Path(d) / "manifest.json").read_text())
        man["summary"] = json.loads((Path(d) / "summary.json").read_text())
        return r["wall_s"], r["hwm_kb"] * 1024, man


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
    row("engine: mmc closed issues/s vs SimPy", ">= 3x SimPy", f"{ours:,.0f} vs {sp:,.0f}", f"{ours / sp:.2f}x", ours >= 3 * sp)
    row("engine: mmc closed issues/s vs ciw", ">= 5x ciw", f"{ours:,.0f} vs {cw:,.0f}", f"{ours / cw:.2f}x", ours >= 5 * cw)
    row("bare heapq M/M/12 loop (floor, info)", "-", f"{floor:,.0f}/s", f"{ours / floor:.2f}x of floor", True)
    row("Mesa 3.5 event list (info)", "-", f"{mesa:,.0f} events/s", "-", True)

    runs = [cli_run(["scenario=chongming", f"seed={s}"]) for s in range(reps)]
    wall = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    stage = {k: statistics.median(r[2]["timings_s"][k] for r in runs) for k in ("build", "simulate", "total")}
    startup = statistics.median(r[0] - r[2]["timings_s"]["total"] for r in runs)
    issues_n = runs[0][2]["summary"]["counts"]["occurred"]
    ev = runs[0][2]["events_processed"]
    row("chongming year: python run.py wall (s)", "<= 8", f"{wall:.1f}", f"{wall / 8:.2f}x the goal", wall <= 8)
    row("chongming year: peak RSS, main process (GB)", "<= 0.6", f"{peak / 1e9:.2f}", f"{peak / 0.6e9:.2f}x the goal",
        peak <= 0.6e9)
    row("chongming year: event loop (s)", "<= 3", f"{stage['simulate']:.2f}", f"{stage['simulate'] / 3:.2f}x the goal",
        stage["simulate"] <= 3)
    row("chongming year: build (s)", "<= 1.5", f"{stage['build']:.2f}", f"{stage['build'] / 1.5:.2f}x the goal",
        stage["build"] <= 1.5)
    row("chongming year: start-up and exit (s, wall - manifest total)", "<= 1", f"{startup:.2f}",
        f"{startup:.2f}x the goal", startup <= 1)
    rate = issues_n / stage["simulate"]
    row("chongming issues/s of the event loop vs ciw", ">= 0.5x ciw", f"{rate:,.0f} vs {cw:,.0f}", f"{rate / cw:.2f}x",
        rate >= 0.5 * cw)
    row("chongming events processed (info)", "-", f"{ev:,} ({ev / stage['simulate']:,.0f}/s)", "-", True)

    from throughput import marginal_s

    marginal = marginal_s(4 if a.quick else 8)
    row("chongming_town year in a warm process (s)", "<= 1.2", f"{marginal:.2f}", f"{marginal / 1.2:.2f}x the goal",
        marginal <= 1.2)
    from throughput import sweep

    with tempfile.TemporaryDirectory() as d:
        ser = sweep(Path(d) / "s", 8, 365.0, parallel=False)
        par = sweep(Path(d) / "p", 8, 365.0, parallel=True)
    row("8 chongming_town years: local_parallel vs serial", ">= 1.7x", f"{ser:.1f} s vs {par:.1f} s", f"{ser / par:.2f}x",
        ser / par >= 1.7)

    w = [max(len(str(r[i])) for r in rows + [("figure", "goal", "measured", "ratio", "met")]) for i in range(5)]
    line = " | ".join(h.ljust(w[i]) for i, h in enumerate(("figure", "goal", "measured", "ratio", "met")))
    print(line)
    print("-" * len(line))
    for r in rows:
        print(" | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
    print(f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}; world size: benchmarks/scale.py")


if __name__ == "__main__":
    main()
