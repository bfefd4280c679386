"""Writing a run directory per the output contract, atomically.

Everything is written into a hidden staging folder inside the run directory and moved
into place at the end, ``summary.json`` last: a directory with a ``summary.json`` is
complete. A failure leaves no staging folder and does not touch files already there.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.metrics.kpi import grid_table, summarize
from sim.metrics.records import RunResult
from sim.params import params_to_dict
from sim.provenance import git_state, versions
from sim.rng import STREAMS
from sim.metrics.theory_check import theory_table


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, default=_json_default, allow_nan=False), encoding="utf-8")


def issues_table(res: RunResult) -> pa.Table:
    cols = dict(res.issues)
    on_time = cols.pop("on_time")
    t = pa.table(cols)
    mask = np.isnan(on_time)
    return t.append_column("on_time", pa.array(np.where(mask, False, on_time == 1.0), mask=mask))


def write_run(res: RunResult, run_dir: Path, command: str = "", overrides: list[str] | None = None,
              report: bool = True, t_start: float | None = None, extra_manifest: dict | None = None) -> dict:
    """Write the contract's files for ``res`` into ``run_dir``; return the summary."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    stage = run_dir / f".partial-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    try:
        t0 = time.perf_counter()
        summary = summarize(res)
        theory = theory_table(res.params, summary)
        if theory:
            summary["theory"] = theory["rows"]
        pq.write_table(issues_table(res), stage / "issues.parquet")
        pq.write_table(pa.table({"t_h": res.backlog_t_h, "open": res.backlog_n}), stage / "backlog.parquet")
        pq.write_table(pa.table(res.units), stage / "units.parquet")
        grids = grid_table(res)
        pq.write_table(pa.table(grids), stage / "grids.parquet")
        files = ["issues.parquet", "backlog.parquet", "units.parquet", "grids.parquet"]
        if res.staff is not None:
            pq.write_table(pa.table(res.staff), stage / "staff.parquet")
            files.append("staff.parquet")
        t1 = time.perf_counter()
        timings = dict(res.timings_s)
        timings["write"] = t1 - t0
        manifest = {
            "scenario": res.params.scenario,
            "seed": res.params.seed,
            "streams": dict(STREAMS),
            "versions": versions(),
            "git": git_state(),
            "command": command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "overrides": list(overrides or []),
            "events_processed": int(res.events_processed),
            "timings_s": timings,
            "params": params_to_dict(res.params),
            **(extra_manifest or {}),
        }
        if report:
            from sim.reporting.report import write_report  # matplotlib only when a report is asked for

            files += write_report(res, summary, manifest, stage, theory, grids)
        timings["report"] = time.perf_counter() - t1
        timings["total"] = (time.perf_counter() - t_start) if t_start else sum(
            v for k, v in timings.items() if k != "total")
        write_json(stage / "manifest.json", manifest)
        write_json(stage / "summary.json", summary)
        for name in [*files, "manifest.json", "summary.json"]:
            os.replace(stage / name, run_dir / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return summary
