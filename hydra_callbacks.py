"""Hydra callbacks for sweeps (the only Hydra-aware code besides run.py).

``on_multirun_start`` creates the sweep folder (one line and exit code 2 if it cannot),
removes staging folders left by a killed aggregation, and writes the sweep plan (total
runs, start time) so that each job can report progress; ``on_multirun_end`` aggregates
the sweep from the run directories on disk (with the joblib launcher ``on_job_end`` runs
in the workers, so aggregation must read from disk; see ../shared/design.md), for named
experiments and ad-hoc multiruns alike, writing its files atomically.

Hydra turns an exception in a callback into a warning and exits 0 (its callbacks are
notified in a try/except), so a sweep that cannot be aggregated, or in which no run
completed, ends the process here with one line on stderr and a non-zero exit code:
1 when aggregation failed, 2 when every run was rejected as bad input.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sim.console import number_ranges
from sim.errors import ConfigError
from sim.experiments.jobs import RUNNING, start_progress

STATE = {"ran": False}


def task_overrides(config: DictConfig) -> list[str]:
    """The overrides as typed: a level like ``seed=${x}`` is text here, not resolved (its run
    records the failure; reading it resolved would end the aggregation)."""
    return list(OmegaConf.to_container(config.hydra.overrides.task, resolve=False))


def sweep_size(config: DictConfig) -> int:
    """Number of jobs: product of the sweep lengths of command-line and sweeper params."""
    by_key = {}
    for k, v in (config.hydra.sweeper.get("params") or {}).items():
        by_key[k] = f"{k}={v}"
    for o in task_overrides(config):
        by_key[o.split("=", 1)[0].lstrip("+~")] = o
    parsed = OverridesParser.create().parse_overrides(list(by_key.values()))
    n = 1
    for p in parsed:
        if p.is_sweep_override():
            n *= len(list(p.sweep_string_iterator()))
    return n


def spec_from(config: DictConfig):
    """The sweep's :class:`sim.experiment.ExperimentSpec` from ``experiment.*`` (an ad-hoc
    multirun without ``experiment=`` gets the defaults: the first policy is the baseline)."""
    from sim.experiments.experiment import ADHOC, DEFAULT_KPIS, ExperimentSpec  # scipy/pandas: main process only
    from sim.experiments.findings import check_kpis

    e = config.get("experiment")
    e = OmegaConf.to_container(e, resolve=True) if isinstance(e, DictConfig) else {}
    return ExperimentSpec(name=e.get("name", ADHOC), baseline=e.get("baseline") or {},
                          kpis=tuple(e.get("kpis") or DEFAULT_KPIS),
                          target_rel_halfwidth=float(e.get("target_rel_halfwidth", 0.05)),
                          blocks=tuple(e.get("blocks") or ()), findings=check_kpis(e.get("findings")),
                          labels=e.get("labels") or {}, title=e.get("title"))


def _exit(msg: str, code: int) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)  # SystemExit passes through Hydra's callback notification


def report_lang(config: DictConfig) -> str:
    """The language of the sweep's report (``report.lang``; English when not given)."""
    report = config.get("report")
    return report.get("lang", "en") if isinstance(report, DictConfig) else "en"


def launcher_target(config: DictConfig) -> str:
    """The ``_target_`` of the sweep's launcher (Hydra's basic, joblib or SLURM), "" if none."""
    return str(OmegaConf.select(config, "hydra.launcher._target_", default="") or "")


def check_slurm(config: DictConfig) -> None:
    """With the SLURM launcher, check its partition (and memory per job against the
    partition's nodes) with ``sinfo`` before anything is written or submitted: one line and
    exit code 2 instead of sbatch's traceback and a half-made sweep folder."""
    if "SlurmLauncher" not in launcher_target(config):
        return
    import subprocess

    launcher = config.hydra.launcher

    if shutil.which("sinfo") is None:
        _exit("hydra/launcher=slurm: sinfo is not on PATH (not a SLURM submit host); use hydra/launcher=local_parallel", 2)
    try:
        r = subprocess.run(["sinfo", "-h", "-o", "%R %m"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        _exit(f"hydra/launcher=slurm: sinfo failed ({e})", 2)
    if r.returncode != 0:
        _exit(f"hydra/launcher=slurm: sinfo failed: {(r.stderr.strip().splitlines() or ['no output'])[0]}", 2)
    mem_mb: dict[str, float] = {}
    for line in r.stdout.splitlines():
        name, _, mem = line.strip().partition(" ")
        mb = float(mem) if mem.strip().isdigit() else float("inf")  # "4000+": nodes differ, not checked
        mem_mb[name] = max(mem_mb.get(name, 0.0), mb)
    part = launcher.get("partition")
    for p in str(part).split(",") if part else []:
        if p not in mem_mb:
            _exit(f"hydra.launcher.partition: unknown partition {p!r}; allowed: {', '.join(sorted(mem_mb)) or 'none'}", 2)
        gb = launcher.get("mem_gb")
        if gb is not None and gb * 1024 > mem_mb[p]:
            _exit(f"hydra.launcher.mem_gb: {gb:g} GB per job is more than a node of partition {p} has "
                  f"({mem_mb[p] / 1024:.1f} GB)", 2)


def warm_workers(config: DictConfig) -> None:
    """With the joblib launcher, fork its workers from the worker server
    (:mod:`hydra_plugins.microgrid_sweeper._server`): run.py starts it before its imports when
    the command line suggests the launcher, else this does once the composed config names it
    (called again when the sweep starts, it finds the server running)."""
    if "JoblibLauncher" not in launcher_target(config):
        return
    from joblib.externals.loky.backend.context import set_start_method

    from hydra_plugins.microgrid_sweeper._server import start_worker_server

    set_start_method("forkserver", force=True)
    start_worker_server()


def import_aggregation(config: DictConfig) -> None:
    """When the jobs run in other processes (joblib, SLURM), this one waits for them: it
    imports the aggregation's modules (pandas, scipy.stats, matplotlib: about a second) in a
    thread meanwhile, not after the last run, and draws a first small figure in the report's
    language (matplotlib's fonts: ~0.2 s). In-process jobs would only be slowed by it. The
    aggregation waits for the thread (:func:`aggregation_ready`): matplotlib is used by one
    thread at a time."""
    if launcher_target(config).endswith("BasicLauncher"):
        return
    import threading

    lang = report_lang(config)

    def load() -> None:
        try:
            import sim.experiments.sweep_report  # noqa: F401
            from sim.reporting.report import warm_up

            warm_up(lang)
        except Exception:  # noqa: BLE001 - imported again (and reported) by the aggregation itself
            pass

    STATE["import_thread"] = threading.Thread(target=load, name="import-aggregation", daemon=True)
    STATE["import_thread"].start()


def aggregation_ready() -> None:
    """Wait for :func:`import_aggregation`'s thread, if one was started."""
    thread = STATE.pop("import_thread", None)
    if thread is not None:
        thread.join()


class SweepCallback(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        """The sweep root exists (run.py made it, recorded its design and holds its lock):
        write the plan and an empty progress log in its ``.running/`` folder; start the
        joblib launcher's worker server."""
        STATE["ran"] = True
        check_slurm(config)
        warm_workers(config)
        import_aggregation(config)
        root = Path(config.hydra.sweep.dir).absolute()
        design = _design(root)
        try:
            start_progress(root, len(design["jobs"]) if design else sweep_size(config))
        except OSError as e:
            _exit(f"hydra.sweep.dir: cannot write {e.filename or root}: {e.strerror or e}", 2)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        from sim.store import SWEEP_FILES, commit, new_stage, signals_deferred

        with signals_deferred():  # reading the config: a signal must not cut OmegaConf's bookkeeping short
            root = Path(config.hydra.sweep.dir)
            cmd = " ".join(["python", "run.py", "-m", *task_overrides(config)])
        shutil.rmtree(root / RUNNING, ignore_errors=True)
        design = _design(root)
        n_jobs = len(design["jobs"]) if design else None
        stage = None
        try:
            with signals_deferred():
                cfg = OmegaConf.to_container(config, resolve=False)
                cfg.pop("hydra", None)
                cfg_yaml = OmegaConf.to_yaml(cfg)
                lang = report_lang(config)
                spec = spec_from(config)
            aggregation_ready()
            from sim.experiments.sweep_report import aggregate  # matplotlib/pandas only in the main process, at the end

            stage = new_stage(root)
            with signals_deferred(live=True):  # our code: a signal stops the aggregation at once
                if (cfg.get("experiment") or {}).get("type") == "robust":
                    from sim.experiments.robust_report import aggregate as aggregate_robust

                    data = OmegaConf.to_container(OmegaConf.create(cfg), resolve=True)  # without hydra.*
                    cmp = aggregate_robust(root, spec, data, cmd, out=stage, lang=lang, design=design)
                else:
                    cmp = aggregate(root, spec, cmd, cfg_yaml, out=stage, lang=lang, design=design)
                commit(stage, root, SWEEP_FILES)
        except ConfigError as e:  # a setting only the results can refute (a PRIM threshold): the runs are kept
            _exit(str(e), 2)
        except Exception as e:  # noqa: BLE001 - one line, then a non-zero exit (Hydra would swallow it)
            runs = [str(k) for k in range(n_jobs)] if n_jobs else []
            _exit(f"sweep aggregation failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                  f"runs affected: {number_ranges(runs)} of {root} (their run folders are intact; runs.parquet, "
                  f"comparison.json and the report were not written)", 1)
        finally:
            if stage is not None:
                shutil.rmtree(stage, ignore_errors=True)
        r = cmp["runs"]
        failed = _failed_runs(root, n_jobs or 0)
        _say(f"sweep: {r['ok']}/{r['total']} runs ok; runs.parquet, comparison.json and report.html written to {root}")
        if not failed and r["ok"] > 0:
            return
        # the aggregates of the runs that completed are written; the exit code still says that
        # the sweep is incomplete (2 when every failure was a bad input, as for a single run)
        code = 2 if failed and all(f[1] == "invalid" for f in failed) else 1
        if r["ok"] == 0:
            _exit(f"no run of the sweep completed ({r['failed']} of {r['total']} did not); see failed.json in "
                  f"each run folder", code)
        first = failed[0]
        _exit(f"sweep incomplete: runs not ok: {number_ranges([f[0] for f in failed])} (e.g. run {first[0]}: {first[1]}: "
              f"{first[2][:200]}); the others are aggregated", code)


def _design(root: Path) -> dict | None:
    from sim.experiments.design import read

    d = read(root)
    return d if d and d.get("jobs") else None


def _say(text: str) -> None:
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _failed_runs(root: Path, n_jobs: int) -> list[tuple[str, str, str]]:
    """(run, status, error) of every run of the design that is not a complete, checksummed
    result: a failure record, a corrupt or missing folder."""
    from sim.store import verify

    out = []
    for k in range(n_jobs):
        d = root / str(k)
        why = verify(d)
        if why is None:
            continue
        try:
            f = json.loads((d / "failed.json").read_text())
            out.append((str(k), f.get("status", "failed"), f.get("error", "")))
        except (OSError, ValueError, AttributeError):
            out.append((str(k), "corrupt" if d.is_dir() else "missing", why))
    return out
