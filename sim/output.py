"""Writing a run directory per the output contract.

Everything is written into a hidden staging folder inside the run directory and committed
by :func:`sim.store.commit`: the folder's whole set of result files is replaced in one
step that neither a failure nor a signal can split, ``summary.json`` last. The manifest
carries the resolved configuration's hash and the checksum of every other file, so a
folder is complete only when :func:`sim.store.verify` says so. The composed configuration
(``.hydra/``) and the run's log (``run.log``) go through the same staging folder, so a
failed or interrupted run writes neither.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.metrics.kpi import grid_table, summarize
from sim.metrics.records import RunResult
from sim.params import params_to_dict
from sim.provenance import git_state, versions
from sim.reporting.options import ReportOptions, report_options
from sim.reporting.places import close_up_village, grid_places, name_columns
from sim.rng import STREAMS
from sim.store import RUN_FILES, checksums, commit, new_stage, remove_stale_stages
from sim.store import config_hash as hash_of
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
    """The issue table, with town, village and grid names (en/zh) from the world's
    ``town``/``village``/``grid`` index columns."""
    cols = dict(res.issues)
    on_time = cols.pop("on_time")
    t = pa.table(cols)
    mask = np.isnan(on_time)
    t = t.append_column("on_time", pa.array(np.where(mask, False, on_time == 1.0), mask=mask))
    return with_place_names(t, res.world)


def with_place_names(t: pa.Table, world) -> pa.Table:
    """``t`` with ``<level>_name_en`` / ``<level>_name_zh`` columns for each of its
    ``town``, ``village`` and ``grid`` index columns (null where the index is -1)."""
    if world is None:
        return t
    index = {k: t.column(k).to_numpy() for k in ("town", "village", "grid") if k in t.column_names}
    for name, arr in name_columns(world, **index).items():
        t = t.append_column(name, arr)
    return t


def grids_table(res: RunResult, grids: dict) -> pa.Table:
    """grids.parquet: per-grid KPIs and ranking, with village and town (index and names)."""
    t = pa.table(grids)
    if res.world is not None and len(grids["grid"]) == res.world.n_grids:
        for k, v in grid_places(res.world).items():
            t = t.append_column(k, pa.array(v))
        g = np.asarray(grids["grid"])
        for name, arr in name_columns(res.world, town=res.world.grid_town[g], village=res.world.grid_village[g],
                                      grid=g).items():
            t = t.append_column(name, arr)
    return t


def write_run(res: RunResult, run_dir: Path, command: str = "", overrides: list[str] | None = None,
              report: bool | dict | ReportOptions = True, t_start: float | None = None,
              extra_manifest: dict | None = None, extra_files: dict[str, str] | None = None,
              log_text: Callable[[], str] | None = None, figure_worker=None, config_hash: str | None = None) -> dict:
    """Write the contract's files for ``res`` into ``run_dir`` (which must exist); return
    the summary. ``report``: the report options (see :mod:`sim.reporting.options`; a bool
    switches the English report on or off). ``extra_files`` (relative path → text, e.g.
    ``.hydra/config.yaml``) are written with them; ``log_text()``, called last, gives
    ``run.log`` (not written if None). ``figure_worker``: a
    :class:`sim.reporting.worker.FigureWorker` that draws the report's maps meanwhile.
    ``config_hash``: the resolved configuration's hash (default: of the parameters), and
    the manifest's ``files`` the checksum of every other file: see :func:`sim.store.verify`.
    The commit replaces the folder's whole set of result files (:func:`sim.store.commit`)."""
    opts = report_options(report)
    village = None
    if opts.enabled and res.world is not None and res.world.has_geometry:
        village = close_up_village(res.world, opts.village)  # a bad report.village fails before anything is written
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)  # run.py creates it first (to undo on failure); callers may not
    remove_stale_stages(run_dir)  # a killed run's half-done commit is undone first
    stage = new_stage(run_dir)
    try:
        t0 = time.perf_counter()
        remote = []
        if opts.enabled and figure_worker is not None:
            from sim.reporting.report import submit_maps

            remote = submit_maps(figure_worker, res, stage, village)
        summary = summarize(res)
        theory = theory_table(res.params, summary)
        if theory:
            summary["theory"] = theory["rows"]
        pq.write_table(issues_table(res), stage / "issues.parquet")
        pq.write_table(pa.table({"t_h": res.backlog_t_h, "open": res.backlog_n}), stage / "backlog.parquet")
        pq.write_table(pa.table(res.units), stage / "units.parquet")
        grids = grid_table(res)
        pq.write_table(grids_table(res, grids), stage / "grids.parquet")
        if res.staff is not None:
            pq.write_table(with_place_names(pa.table(res.staff), res.world), stage / "staff.parquet")
        if res.households is not None:
            pq.write_table(with_place_names(pa.table(res.households), res.world), stage / "households.parquet")
        # pyarrow's allocator keeps what the tables freed in its own pool: handed back here,
        # the report's figures are drawn in ~100 MB less (a Chongming year: 617 -> 520 MB
        # resident in the report stage, measured), below the event loop's peak
        pa.default_memory_pool().release_unused()
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
        if opts.enabled:
            from sim.reporting.report import write_report  # matplotlib only when a report is asked for

            write_report(res, summary, manifest, stage, theory, grids, opts, village, figure_worker, remote)
        timings["report"] = time.perf_counter() - t1
        timings["total"] = (time.perf_counter() - t_start) if t_start else sum(
            v for k, v in timings.items() if k != "total")
        write_json(stage / "summary.json", summary)
        for name, text in (extra_files or {}).items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_text(text, encoding="utf-8")
        if log_text is not None:
            (stage / "run.log").write_text(log_text(), encoding="utf-8")
        manifest["config_hash"] = config_hash or hash_of(manifest["params"])
        manifest["files"] = checksums(stage)
        write_json(stage / "manifest.json", manifest)
        commit(stage, run_dir, RUN_FILES)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    remove_stale_stages(run_dir)
    return summary
