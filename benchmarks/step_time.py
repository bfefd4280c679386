"""How long one explorer step takes: stepping ``chongming_town`` a day, drawing included.

    python benchmarks/step_time.py                 # 30 one-day steps from the scenario's start date
    python benchmarks/step_time.py --days 60 --step-h 6 --scenario chongming

Each step is what the page does on Step: the model advances ``--step-h`` hours and
collects its live KPIs (:meth:`sim.viz.explorer.ExplorerModel.step`), then the map and the
charts are drawn and rendered to PNG as Solara sends them (110 dpi). Reported: median,
p90 and max seconds per step, and the split between model and drawing. The first step
is not timed (imports and the map's geometry). Timings vary on a shared machine: compare
medians.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _png(fig) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.tell()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="chongming_town")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--step-h", type=int, default=24)
    a = ap.parse_args(argv)

    from compose import scenario_dict
    from sim.viz.drawing import MapGeometry, draw_charts, draw_map, longest_queues
    from sim.viz.explorer import ExplorerModel

    t0 = time.perf_counter()
    m = ExplorerModel(compose=scenario_dict, scenario_name=a.scenario, step_h=a.step_h)
    if m.error:
        print(f"error: {m.error}", file=sys.stderr)
        return 2
    build_s = time.perf_counter() - t0
    geo = MapGeometry(m.sim.world)
    model_s, draw_s, total_s = [], [], []
    steps = int(a.days * 24 / a.step_h)
    for k in range(steps + 1):
        t1 = time.perf_counter()
        m.step()
        t2 = time.perf_counter()
        _png(draw_map(m.sim, geo, m.sim._live_records.issues, m.clock()))
        _png(draw_charts(m.datacollector.get_model_vars_dataframe(), longest_queues(m.sim)))
        t3 = time.perf_counter()
        if k:
            model_s.append(t2 - t1)
            draw_s.append(t3 - t2)
            total_s.append(t3 - t1)

    def q(x, f):
        return sorted(x)[min(len(x) - 1, int(f * len(x)))]

    print(f"{a.scenario}: build {build_s:.2f} s; {steps} steps of {a.step_h} h, drawing included")
    print(f"per step: median {statistics.median(total_s):.3f} s, p90 {q(total_s, 0.9):.3f} s, "
          f"max {max(total_s):.3f} s (model {statistics.median(model_s):.3f} s, "
          f"drawing {statistics.median(draw_s):.3f} s, medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
