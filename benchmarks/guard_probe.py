"""The resource guard against the measured peaks of the three kinds of run an outside probe
found it blind to (issue 23): a surge's extra issues, a round channel with a tiny period,
and a GeoJSON map whose households are large. Prints, per case, the guard's memory and
event estimate and the measured peak (the child's VmHWM) and events.

    python benchmarks/guard_probe.py

Each case is scaled down from the probe's (5,000,000 extra issues; period 0.001 h; household
size 1000) so that it runs in under a minute here; the estimate must not fall below the
measured peak (the guard errs on the side of refusing).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from guard_calibration import peak_rss_bytes  # noqa: E402


def geojson(path: Path, size: int) -> None:
    """Two villages, 100 households each of ``size`` persons."""
    feats = []
    for v, x0 in (("A", 0.0), ("B", 2.0)):
        feats.append({"type": "Feature", "properties": {"kind": "village", "village": v, "town": "T"},
                      "geometry": {"type": "Polygon", "coordinates": [[[x0, 0], [x0 + 2, 0], [x0 + 2, 1], [x0, 1],
                                                                       [x0, 0]]]}})
        feats += [{"type": "Feature", "properties": {"kind": "household", "village": v, "size": size},
                   "geometry": {"type": "Point", "coordinates": [x0 + 0.1 + 0.018 * i, 0.5]}} for i in range(100)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))


def main() -> None:
    from compose import scenario_dict
    from sim import params_from_dict
    from sim.guard import GB, estimate

    tmp = Path(tempfile.mkdtemp())
    geo = tmp / "big_households.geojson"
    geojson(geo, 1000)
    short = ["run.horizon_days=60", "run.warmup_days=1"]
    cases = [
        ("surge of 300000 extra issues", ["scenario=village", *short, "events.t.extra_issues=300000"],
         {"events": [{"name": "t", "extra_issues": 300000, "types": ["sanitation"], "start_date": "2025-02-01"}]}),
        ("round period 0.01 h", ["scenario=village", *short, "channels.patrol.period_h=0.01"], {}),
        ("GeoJSON, 200 households of 1000", ["scenario=village", *short, "world.map=geojson",
                                             f"world.geojson_path={geo}"], {}),
    ]
    print(f"{'case':36s} {'guard MB':>9s} {'peak MB':>8s} {'guard events':>13s} {'events':>9s}")
    for name, args, extra in cases:
        d = scenario_dict("village", [a for a in args[1:] if not a.startswith("events.")])
        d.update(extra)
        p = params_from_dict(d)
        from sim import check

        e = check(p)
        run_args = [a for a in args if not a.startswith("events.")]
        if extra:
            ev = extra["events"][0]
            run_args += ["+events={t: {extra_issues: %d, types: [sanitation], start_date: '%s'}}"
                         % (ev["extra_issues"], ev["start_date"])]
        out = tmp / name.split()[0].rstrip(",")
        peak = peak_rss_bytes([*run_args, "report.enabled=false", f"hydra.run.dir={out}"])
        events = json.loads((out / "manifest.json").read_text())["events_processed"] if (out / "manifest.json").is_file() \
            else float("nan")
        print(f"{name:36s} {e.memory_bytes / 1e6:9.0f} {peak / 1e6:8.0f} {e.events:13.3g} {events:9.3g}")
    _ = GB, estimate


if __name__ == "__main__":
    main()
