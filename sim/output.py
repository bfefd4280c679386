"""Writing a run directory per the output contract, atomically.

Everything is written into a hidden staging folder (``.partial-<pid>``) inside the run
directory and moved into place at the end by :func:`commit`, ``summary.json`` last: a
directory with a ``summary.json`` is complete. A failure at any point leaves no staging
folder and every file that was there before exactly as it was (files already replaced
are put back from hard-linked backups). The composed configuration (``.hydra/``) and the
run's log (``run.log``) go through the same staging folder, so a failed run writes
neither.
"""

from __future__ import annotations

import errno
import json
import os
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


STAGE_PREFIX = ".partial-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_stages(run_dir: Path, all_of_them: bool = False) -> list[str]:
    """Remove ``.partial-<pid>`` folders left by killed runs: those whose process is gone
    (or every one, when the caller owns ``run_dir``, as a sweep job owns its directory)."""
    removed = []
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return removed
    for d in run_dir.glob(STAGE_PREFIX + "*"):
        tail = d.name[len(STAGE_PREFIX):]
        mine = tail == str(os.getpid())
        stale = all_of_them and not mine or (tail.isdigit() and not mine and not _pid_alive(int(tail)))
        if stale and d.is_dir() and not d.is_symlink():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d.name)
    return removed


def new_stage(run_dir: Path) -> Path:
    """A fresh staging folder inside ``run_dir`` (which must exist)."""
    stage = Path(run_dir) / f"{STAGE_PREFIX}{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    return stage


def _staged_files(stage: Path) -> list[str]:
    """Relative paths of the files in ``stage``, ``summary.json`` last."""
    names = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
    return sorted(names, key=lambda n: n == "summary.json")


def commit(stage: Path, run_dir: Path) -> list[str]:
    """Move every file of ``stage`` into ``run_dir`` (same relative path), all or nothing.

    Checked first: no target is a folder or other non-file. Each replaced file is first
    hard-linked into the stage as a backup; if any move fails, the files moved so far
    are put back (or removed if new), folders created here are removed, and the error
    is raised. The stage itself is left for the caller to remove."""
    run_dir = Path(run_dir)
    names = _staged_files(stage)
    for n in names:
        t = run_dir / n
        if t.is_symlink() or (t.exists() and not t.is_file()):
            raise IsADirectoryError(errno.EISDIR, "a result file's place is taken by a folder or link", str(t))
        for parent in list(Path(n).parents)[:-1]:
            q = run_dir / parent
            if q.exists() and not q.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "a result folder's place is taken by a file", str(q))
    backups = stage / ".backup"
    done: list[tuple[Path, Path | None]] = []
    made_dirs: list[Path] = []
    try:
        for k, n in enumerate(names):
            target = run_dir / n
            for parent in reversed(list(Path(n).parents)[:-1]):
                q = run_dir / parent
                if not q.exists():
                    q.mkdir()
                    made_dirs.append(q)
            backup = None
            if target.exists():
                backups.mkdir(exist_ok=True)
                backup = backups / str(k)
                os.link(target, backup)
            os.replace(stage / n, target)
            done.append((target, backup))
    except BaseException:
        for target, backup in reversed(done):
            try:
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink()
            except OSError:
                pass
        for q in reversed(made_dirs):
            try:
                q.rmdir()
            except OSError:
                pass
        raise
    return names


def write_run(res: RunResult, run_dir: Path, command: str = "", overrides: list[str] | None = None,
              report: bool | dict | ReportOptions = True, t_start: float | None = None,
              extra_manifest: dict | None = None, extra_files: dict[str, str] | None = None,
              log_text: Callable[[], str] | None = None, figure_worker=None) -> dict:
    """Write the contract's files for ``res`` into ``run_dir`` (which must exist); return
    the summary. ``report``: the report options (see :mod:`sim.reporting.options`; a bool
    switches the English report on or off). ``extra_files`` (relative path → text, e.g.
    ``.hydra/config.yaml``) are written with them; ``log_text()``, called last, gives
    ``run.log`` (not written if None). ``figure_worker``: a
    :class:`sim.reporting.worker.FigureWorker` that draws the report's maps meanwhile."""
    opts = report_options(report)
    village = None
    if opts.enabled and res.world is not None and res.world.has_geometry:
        village = close_up_village(res.world, opts.village)  # a bad report.village fails before anything is written
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)  # run.py creates it first (to undo on failure); callers may not
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
        write_json(stage / "manifest.json", manifest)
        write_json(stage / "summary.json", summary)
        for name, text in (extra_files or {}).items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_text(text, encoding="utf-8")
        if log_text is not None:
            (stage / "run.log").write_text(log_text(), encoding="utf-8")
        commit(stage, run_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    remove_stale_stages(run_dir)
    return summary
