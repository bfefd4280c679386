"""Running one job into its folder: a single run, a sweep's job, a sensitivity analysis
(Hydra-free: ``run.py`` composes the configuration and hands it over as a :class:`Job`).

A job's configuration is validated once (:func:`sim.config.validate`, or by the caller
before Hydra started, which hands the parameters on), run, and written through the staged,
checksummed commit of :mod:`sim.store`. A sweep's job never raises into its launcher: a
failure is recorded as the folder's ``failed.json`` and the sweep goes on (a raising job
loses the whole Hydra sweep, hydra#3215).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from sim.console import say
from sim.errors import ConfigError

log = logging.getLogger("run")
RUNNING = ".running"  # a sweep's plan and progress while it runs, at its root (removed at its end)


@dataclass
class Job:
    """One run to do: its resolved configuration (model and application keys), its folder,
    how it was asked for (command, overrides) and the composed-config files for
    ``.hydra/``; for a sweep's job also the sweep root and the job's number."""

    data: dict
    out: Path
    command: str = ""
    overrides: list = field(default_factory=list)
    files: dict = field(default_factory=dict)
    sweep_root: Path | None = None
    num: int | None = None
    params: object = None  # the parameters, when the caller has validated the configuration already
    error: Exception | None = None  # the configuration could not even be resolved (a sweep's level)


class RunLog:
    """The run's log (INFO and up from every logger, and Python warnings), collected in
    memory and written to ``run.log`` with the results, so a failed run leaves none."""

    def __enter__(self) -> RunLog:
        self.buf = io.StringIO()
        self.handler = logging.StreamHandler(self.buf)
        self.handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
        root = logging.getLogger()
        self.level = root.level
        root.setLevel(logging.INFO)
        root.addHandler(self.handler)
        logging.captureWarnings(True)
        return self

    def text(self) -> str:
        return self.buf.getvalue()

    def warnings(self) -> int:
        return self.text().count("][WARNING] - ")

    def __exit__(self, *exc) -> None:
        logging.captureWarnings(False)
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.level)


class OutputError(Exception):
    """The run directory cannot be written (unwritable, full, a file in the way)."""


def describe_os_error(e: OSError, where: Path) -> str:
    return f"cannot write {e.filename or where}: {e.strerror or e}"


def run(job: Job, runlog: RunLog, figure_worker: bool = False, extra: dict | None = None) -> dict:
    """Validate (unless done), run the model, write the run directory; return the summary.
    ``figure_worker``: draw the maps in a second process meanwhile (single runs)."""
    import contextlib

    import sim.guard as guard
    from sim.model import run_model
    from sim.config import report_config, run_hash, validate
    from sim.output import write_run

    t0 = time.perf_counter()
    params = job.params if job.params is not None else validate(job.data, village=False)
    opts = report_config(job.data, check_font=False)
    log.info("scenario %s, seed %s, %g days; overrides: %s", params.scenario, params.seed, params.run.horizon_days,
             " ".join(job.overrides) or "(none)")
    log.info("estimate (sim/guard.py): %s", guard.estimate(params).describe())
    worker = None
    if opts.enabled and figure_worker:
        from sim.reporting.worker import FigureWorker, wanted

        if wanted():  # a second core draws the maps while this one writes and draws the rest
            worker = FigureWorker(opts.lang)
    with worker or contextlib.nullcontext():  # the worker is stopped however the run ends
        res = run_model(params)  # validated once, above or by the caller
        st = res.structure
        log.info("built in %.2f s: %s towns, %s villages, %s grids, %s households, %s residents",
                 res.timings_s.get("build", 0.0), st.get("towns"), st.get("villages"), st.get("grids"),
                 st.get("households"), st.get("residents"))
        log.info("simulated %d events in %.2f s; %d issues", res.events_processed,
                 res.timings_s.get("simulate", 0.0), len(res.issues.get("issue_id", ())))
        log.info("writing %s", job.out)
        try:
            return write_run(res, job.out, command=job.command, overrides=list(job.overrides), report=opts,
                             t_start=t0, extra_manifest=extra, extra_files=job.files, log_text=runlog.text,
                             figure_worker=worker, config_hash=run_hash(job.data))
        except OSError as e:
            raise OutputError(describe_os_error(e, job.out)) from None


def sweep_job(job: Job) -> str:
    """One job of a sweep: skipped when its folder already holds a complete, checksummed
    result of the same configuration; otherwise run, a failure recorded in ``failed.json``
    instead of raised; then progress is reported. Returns the status."""
    try:
        status = _sweep_job(job)
    except Exception as e:  # noqa: BLE001 - never raise into the launcher
        status = f"failed ({type(e).__name__}: {e})"
        say(f"error: run {job.num}: could not be run or recorded: {type(e).__name__}: {e}", _stderr())
    try:
        progress(job.sweep_root, job.num, status)
    except OSError as e:
        say(f"error: run {job.num}: {status}; progress not recorded ({e.strerror or e})", _stderr())
    return status


def _stderr():
    import sys

    return sys.stderr


def _sweep_job(job: Job) -> str:
    from sim.config import run_hash
    from sim.experiments.design import read as read_design
    from sim.store import remove_stale_stages, verify

    out = job.out
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_stages(out, all_of_them=True)  # this job owns its folder: a stage here is a killed run's
    if job.error is None and verify(out, run_hash(job.data)) is None:
        return "skipped (already complete)"
    design = read_design(job.sweep_root) or {}
    extra = {"job": int(job.num), "job_overrides": list(job.overrides), "design_hash": design.get("design_hash")}
    with RunLog() as runlog:
        try:
            if job.error is not None:
                raise job.error
            run(job, runlog, extra=extra)
            return "ok"
        except Exception as e:  # noqa: BLE001 - isolate the failure, keep the sweep going
            status = "invalid" if isinstance(e, ConfigError) else "failed"
            record_failure(out, {"status": status, "error": f"{type(e).__name__}: {e}", **extra,
                                 "overrides": list(job.overrides), "traceback": traceback.format_exc()},
                           runlog.text())
    return status


def record_failure(out: Path, failure: dict, log_text: str) -> None:
    """``failed.json`` (and the run's log) as the folder's whole result set: nothing of an
    earlier run stays beside it."""
    from sim.store import RUN_FILES, commit, new_stage

    stage = new_stage(out)
    try:
        (stage / "failed.json").write_text(json.dumps(failure, indent=2, default=str), encoding="utf-8")
        (stage / "run.log").write_text(log_text, encoding="utf-8")
        commit(stage, out, RUN_FILES)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def start_progress(root: Path, total: int) -> None:
    """The sweep's plan and an empty progress log in ``root/.running/``."""
    (root / RUNNING).mkdir(parents=True, exist_ok=True)
    (root / RUNNING / "plan.json").write_text(json.dumps({"total": total, "started": time.time()}))
    (root / RUNNING / "progress.log").write_text("")


def progress(root: Path, num: int, status: str) -> None:
    """Append to the sweep's progress log and print runs done / total, elapsed, estimate."""
    path = root / RUNNING / "progress.log"
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{num} {status}\n")
    with open(path, encoding="utf-8") as f:
        done = sum(1 for _ in f)
    plan = root / RUNNING / "plan.json"
    if plan.is_file():
        p = json.loads(plan.read_text())
        el = time.time() - p["started"]
        eta = el / done * max(p["total"] - done, 0)
        say(f"[{done}/{p['total']}] run {num}: {status}; elapsed {el:.0f} s, about {eta:.0f} s left")
    else:
        say(f"[{done}] run {num}: {status}")


SAMPLERS = ("sensitivity", "screen", "calibrate")
"""Experiment types that sample their own runs into one folder (not sweeps: run without -m)."""


@contextlib.contextmanager
def staged_run_folder(job: Job, runlog: RunLog):
    """A staging folder for a run folder written in one go (the samplers, the optimiser):
    the caller writes its results into it; then the job's config files and its log are added
    and the whole set is committed into ``job.out`` (an OSError there is an
    :class:`OutputError`). The stage is removed however the block ends."""
    from sim.store import RUN_FILES, commit, new_stage

    try:
        stage = new_stage(job.out)
    except OSError as e:
        raise OutputError(describe_os_error(e, job.out)) from None
    try:
        yield stage
        try:
            for name, text in job.files.items():
                (stage / name).parent.mkdir(parents=True, exist_ok=True)
                (stage / name).write_text(text, encoding="utf-8")
            (stage / "run.log").write_text(runlog.text(), encoding="utf-8")
            commit(stage, job.out, RUN_FILES)
        except OSError as e:
            raise OutputError(describe_os_error(e, job.out)) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def sensitivity(job: Job, runlog: RunLog) -> None:
    """``experiment.type``: ``sensitivity`` (SALib Morris or Sobol over declared parameters),
    ``screen`` (Morris over the whole registry against the calibration patterns) or
    ``calibrate`` (ABC-SMC), written through one staged commit into the job's folder."""
    from sim.config import model_data, report_config

    spec = job.data["experiment"]
    kind = spec.get("type")
    lang = report_config(job.data, check_font=False).lang
    with staged_run_folder(job, runlog) as stage:
        if kind == "screen":
            from sim.calibration.screen import run_screen

            table = run_screen(model_data(job.data), spec["screen"], stage, int(spec.get("n_jobs", 2)), lang=lang)
        elif kind == "calibrate":
            from sim.calibration.abc import run_calibration

            table = run_calibration(model_data(job.data), spec["calibration"], stage, int(spec.get("n_jobs", 2)),
                                    lang=lang, work=job.out.parent / ".abc")
        else:
            from sim.experiments.sensitivity import run_sensitivity

            table = run_sensitivity(model_data(job.data), spec["sensitivity"], stage, int(spec.get("n_jobs", 2)),
                                    lang=lang)
    say(table.to_string(index=False))
    say(f"{'sensitivity analysis' if kind not in ('screen', 'calibrate') else kind} written to {job.out}")
