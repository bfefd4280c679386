"""Command-line entry point (Hydra): parse, call, print.

    python run.py                                  # default scenario, one run, report
    python run.py scenario=mmc mmc.servers=3 seed=7 hydra.run.dir=results/x
    python run.py -m experiment=grid_size          # a sweep

Before Hydra starts, the command line is checked (:mod:`hydra_checks`), the config is
composed and validated once (:func:`sim.config.validate`), and the output folder (a run's,
or a sweep's root with its design, :mod:`sim.experiments.design`) is resolved, created and
locked. Hydra then calls :func:`main`, which hands the composed config to the job runner
(:mod:`sim.experiments.jobs`). Hydra itself writes nothing (``hydra.output_subdir: null``,
no log file handler): ``.hydra/`` and ``run.log`` are written with the results through
the staged commit of :mod:`sim.store`. Any failure or signal is cleaned up here, so an
existing folder is left byte-identical and a new one is not left behind.

Exit codes: 0 done, 2 bad input (including an output folder that cannot be written), 1 a
bug or a failed sweep aggregation (one line too; ``SIM_TRACEBACK=1`` for the traceback),
128 + the signal's number when interrupted.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import traceback
from pathlib import Path

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupted_early(signum, _frame) -> None:  # before cli() takes over: nothing is written yet
    os.write(2, b"interrupted: nothing written\n")
    os._exit(128 + signum)


if __name__ == "__main__":  # the imports below take most of a second
    for _s in HELD_SIGNALS:
        signal.signal(_s, _interrupted_early)
    from hydra_plugins.microgrid_sweeper._server import start_early

    start_early(sys.argv)  # a sweep on joblib: its worker server imports the model on the other core meanwhile

import hydra  # noqa: E402
from hydra.core.config_store import ConfigStore  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from hydra.types import RunMode  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402

from hydra_checks import (CONF, EXIT_BAD_INPUT, PRINT_FLAGS, _compose, _first_line_of_causes, _quote,  # noqa: E402
                          check_group_levels, check_jobs_compose, composition_error, fail, precheck_flags,
                          precheck_groups, precheck_hydra_keys, resolved, unreadable_levels)
from sim import ConfigError  # noqa: E402
from sim.config import register, run_config  # noqa: E402
from sim.console import say  # noqa: E402
from sim.experiments.jobs import RUNNING, Job, OutputError, RunLog  # noqa: E402
from sim.experiments.jobs import run as run_job  # noqa: E402
from sim.experiments.jobs import SAMPLERS, sensitivity, sweep_job  # noqa: E402

NOT_SWEEPS = (*SAMPLERS, "optimise")
"""Experiment types run without -m: the samplers and the design optimiser."""

EXIT_FAILED = 1
STATE = {"app_ran": False}  # set once our own code (not Hydra's composition) has run
VALIDATED: dict = {}  # config hash -> parameters, validated before Hydra started (a single run)

register(ConfigStore.instance())  # every model parameter is a key, with its default


def check_config(cfg: DictConfig, keep: bool = False) -> None:
    """Validate a composed config (:func:`sim.config.validate`); ``keep``: hand the
    parameters on to the run, which then does not validate again."""
    from sim.config import run_hash, validate

    data = resolved(cfg)
    params = validate(data)
    if keep:
        VALIDATED[run_hash(data)] = params


def hydra_files(cfg: DictConfig) -> dict[str, str]:
    """What Hydra would have written to ``.hydra/``: the composed config, the overrides and
    Hydra's own config (written here, with the results, only when the run succeeds)."""
    hc = HydraConfig.get()
    return {".hydra/config.yaml": OmegaConf.to_yaml(cfg),
            ".hydra/overrides.yaml": OmegaConf.to_yaml(hc.overrides.task),
            ".hydra/hydra.yaml": OmegaConf.to_yaml(OmegaConf.create({"hydra": OmegaConf.to_container(hc)}))}


def job_of(cfg: DictConfig) -> Job:
    """The job Hydra asks for: its resolved configuration, folder and provenance."""
    hc = HydraConfig.get()
    sweep = hc.mode == RunMode.MULTIRUN
    data = resolved(cfg)
    job = Job(data=data, out=Path(hc.runtime.output_dir), overrides=list(hc.overrides.task), files=hydra_files(cfg),
              command=" ".join(["python", "run.py", *(["-m"] if sweep else []), *hc.overrides.task]))
    if sweep:
        job.sweep_root, job.num = Path(hc.sweep.dir), int(hc.job.num)
        if (data.get("experiment") or {}).get("type") == "robust":  # the job's sample of the assumptions
            import json

            from sim.experiments.robust import apply

            job.data, sample = apply(data)
            job.files[".hydra/sample.json"] = json.dumps(sample, indent=1)
    else:
        from sim.config import run_hash

        job.params = VALIDATED.get(run_hash(data))
    return job


@hydra.main(version_base="1.3", config_path=str(CONF), config_name="config")
def main(cfg: DictConfig) -> None:
    from sim.store import signals_deferred

    STATE["app_ran"] = True
    with signals_deferred(live=True):  # our code: a signal interrupts at once (Hydra's code defers it)
        _main(cfg)


def _main(cfg: DictConfig) -> None:
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        try:
            job = job_of(cfg)
        except ConfigError as e:  # a level that cannot even be resolved: recorded by the job as any failure
            hc = HydraConfig.get()
            job = Job(data={}, out=Path(hc.runtime.output_dir), overrides=list(hc.overrides.task),
                      sweep_root=Path(hc.sweep.dir), num=int(hc.job.num), error=e)
        sweep_job(job)
        return
    with RunLog() as runlog:
        try:
            job = job_of(cfg)
            kind = (job.data.get("experiment") or {}).get("type")
            if kind in SAMPLERS:
                sensitivity(job, runlog)
                return
            if kind == "optimise":
                from sim.experiments.optimise_job import run_optimiser

                run_optimiser(job, runlog)
                return
            s = run_job(job, runlog, figure_worker=True)
        except ConfigError as e:
            fail(str(e))
        except OutputError as e:
            fail(f"hydra.run.dir: {e}")
        except MemoryError:
            fail("out of memory while running; lower the sizes (the run's estimate is in sim/guard.py) "
                 "or set run.memory_limit_gb lower to be stopped before starting", EXIT_FAILED)
        except Exception as e:  # noqa: BLE001 - a bug: one line, no traceback unless asked for
            if os.environ.get("SIM_TRACEBACK"):
                traceback.print_exc()
            fail(f"internal error ({type(e).__name__}: {e}); nothing was written. "
                 f"Set SIM_TRACEBACK=1 for the traceback and please report it", EXIT_FAILED)
        n_warn = runlog.warnings()
    r, ot = s["resolution_time_h"], s["on_time_rate"]
    say(f"{s['scenario']} seed {s['seed']}: {s['counts']['closed']:,} closed, "
        f"mean resolution {r['mean'] if r['mean'] is None else round(r['mean'], 2)} h, "
        f"on-time {'—' if ot is None else f'{100 * ot:.1f} %'}; written to {job.out}"
        + (f" ({n_warn} warning{'s' if n_warn > 1 else ''} in run.log)" if n_warn else ""))


# ------------------------------------------------------------------ before Hydra starts


class Plan:
    """What the command will write: a run folder, or a sweep root with its design."""

    def __init__(self, folder: Path, design: dict | None = None, resume: bool = False):
        self.folder, self.design, self.resume = folder, design, resume
        self.multirun_yaml: bytes | None = None  # a sweep root's multirun.yaml before Hydra rewrites it
        self.in_process = True  # the jobs run in this process (a single run, Hydra's basic launcher)
        self.mode = None  # the composed config's hydra.mode (None: the command line's -m decides)

    @property
    def sweep(self) -> bool:
        return self.design is not None


def _parse(overrides: list[str]):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    try:
        return parser, parser.parse_overrides(overrides)
    except Exception as e:  # noqa: BLE001 - grammar errors
        fail(composition_error(e, overrides))


def precompose(argv: list[str], overrides: list[str], multirun: bool, printing: bool) -> Plan | None:
    """Compose the config and build the parameters before Hydra starts, so that a
    misspelt key or a bad value is reported in one line with exit code 2 and nothing is
    created. A single run's folder, or a sweep's root (with its design), is resolved
    once and pinned in ``argv`` so that Hydra uses exactly that folder. With a print flag
    (``--cfg``, ``--help``...) only the composition is checked: returns None."""
    parser, parsed = _parse(overrides)
    if multirun and not printing:
        return _precompose_sweep(argv, overrides, parsed, parser)
    if multirun:
        return None
    try:
        cfg = _compose(overrides, hydra_cfg=True)
    except Exception as e:  # noqa: BLE001 - Hydra/OmegaConf composition errors
        fail(composition_error(e, overrides))
    if printing:
        return None
    exp = cfg.get("experiment")
    if isinstance(exp, DictConfig) and exp.get("type") not in NOT_SWEEPS:
        name = exp.get("name") or next((o.partition("=")[2] for o in overrides if o.startswith("experiment=")), "NAME")
        fail(f"experiment={name} is a sweep: run it with -m (python run.py -m experiment={name})")
    try:
        check_config(cfg, keep=True)
    except ConfigError as e:
        fail(str(e))
    try:
        run_dir = Path(os.path.abspath(str(cfg.hydra.run.dir)))
    except Exception as e:  # noqa: BLE001
        fail(f"hydra.run.dir: cannot be resolved ({_first_line_of_causes(e)[0]})")
    check_path_length("hydra.run.dir", run_dir)
    from sim.experiments.design import check_run_folder

    try:
        check_run_folder(run_dir)
    except ConfigError as e:
        fail(str(e))
    argv[:] = [a for a in argv if not a.startswith("hydra.run.dir=")] + [f"hydra.run.dir={_quote(str(run_dir))}"]
    plan = Plan(run_dir)
    plan.mode = OmegaConf.select(cfg, "hydra.mode")
    return plan


# the longest path a run writes below its folder: <job>/.partial-<pid>/.backup/p99/ or .hydra/hydra.yaml
PATH_MARGIN = 64


def check_path_length(key: str, folder: Path) -> None:
    """Refuse a folder whose files could not be named on this system (PATH_MAX, NAME_MAX)."""
    try:
        path_max = os.pathconf("/", "PC_PATH_MAX")
        name_max = os.pathconf("/", "PC_NAME_MAX")
    except (OSError, ValueError):
        path_max, name_max = 4096, 255
    long_part = max((len(p.encode()) for p in folder.parts), default=0)
    if len(str(folder).encode()) + PATH_MARGIN > path_max or long_part > name_max:
        fail(f"{key}: the path is too long ({len(str(folder).encode()):,} bytes, longest folder name {long_part}); "
             f"allowed: at most {path_max - PATH_MARGIN:,} bytes, and {name_max} per folder name")


def _sweep_length(o) -> int:
    """Number of levels of a parsed override, without expanding a range."""
    if not o.is_sweep_override():
        return 1
    from hydra.core.override_parser.types import RangeSweep

    v = o.value()
    if isinstance(v, RangeSweep):
        start, stop, step = v.start, v.stop, v.step
        if not step:
            fail(f"{o.get_key_element()}: range step must not be 0")
        return max(0, math.ceil((stop - start) / step))
    try:
        return len(list(o.sweep_string_iterator()))
    except Exception:  # Hydra cannot expand e.g. 1,range(1,2) (a list holding a range)
        fail(unreadable_levels(o.get_key_element(), o.input_line.partition("=")[2]))


def _precompose_sweep(argv: list[str], overrides: list[str], parsed: list, parser) -> Plan:
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    from sim.experiments import design as dsg

    prefix = {"CHANGE": "", "ADD": "+", "FORCE_ADD": "++", "DEL": "~"}

    def first_combo() -> list[str]:
        out = []
        for o in parsed:
            if o.is_sweep_override():
                it = o.sweep_string_iterator()
                level = next(iter(it), None)
                if level is None:
                    fail(f"{o.get_key_element()}: the sweep gives this factor no level (an empty list or range); "
                         f"give at least one")
                out.append(f"{prefix[o.type.name]}{o.key_or_group}={level}")
            else:
                out.append(o.input_line)
        return out

    try:
        first_lines = first_combo()  # (a value Hydra cannot enumerate, range(1,3),5, fails here)
        cfg = _compose(first_lines, hydra_cfg=True)
    except Exception as e:  # noqa: BLE001
        fail(composition_error(e, overrides))
    from hydra_callbacks import launcher_target, warm_workers

    warm_workers(cfg)  # joblib's worker server imports the model on the other core while the sweep is checked
    sweeper = dict(cfg.hydra.sweeper.get("params") or {})
    # every override as Hydra's basic sweeper sees it: the sweeper's params, then the command line
    lines = [f"{k}={v}" for k, v in sweeper.items()] + overrides
    try:
        everything = parser.parse_overrides(lines)
    except Exception as e:  # noqa: BLE001
        fail(composition_error(e, lines))
    task = [o for o in everything if not o.get_key_element().startswith(("hydra.", "hydra/"))]
    check_group_levels(task)  # the experiment file's levels too: precheck_groups read only the command line
    lengths: dict[str, int] = {}
    for o in task:
        lengths[o.get_key_element()] = _sweep_length(o)
    try:
        max_jobs = int(OmegaConf.select(cfg, "run.max_jobs", default=dsg.MAX_JOBS_DEFAULT))
        if max_jobs < 1:
            raise ValueError
    except (TypeError, ValueError):
        fail(f"run.max_jobs: must be a whole number >= 1, got {OmegaConf.select(cfg, 'run.max_jobs')!r}")
    try:
        dsg.check_size({k: n for k, n in lengths.items() if n != 1}, max_jobs)
        jobs = [list(j) for batch in BasicSweeper.split_arguments(task, None) for j in batch]
        factors = {o.get_key_element(): list(o.sweep_string_iterator()) for o in task if o.is_sweep_override()}
        dsg.check_replicates(jobs, factors)
    except ConfigError as e:
        fail(str(e))
    own = [o.input_line for o in everything if o.get_key_element().startswith(("hydra.", "hydra/"))]
    first, last = jobs[0] + own, jobs[-1] + own

    def hydra_apart(lines: list[str]) -> tuple[list, list]:
        parsed = [(o.type, o.get_key_element(), o.value()) for o in parser.parse_overrides(lines)]
        return ([o for o in parsed if not o[1].startswith(("hydra.", "hydra/"))],
                [o for o in parsed if o[1].startswith(("hydra.", "hydra/"))])

    if hydra_apart(first) != hydra_apart(first_lines):  # the same overrides in the same order: composed already
        try:
            cfg = _compose(first, hydra_cfg=True)
        except Exception as e:  # noqa: BLE001
            fail(composition_error(e, overrides))
    exp = cfg.get("experiment")
    if isinstance(exp, DictConfig) and exp.get("type") in NOT_SWEEPS:
        name = exp.get("name") or exp.get("type")
        fail(f"experiment={name} is not a sweep (it samples its own runs): run it without -m "
             f"(python run.py experiment={name})")
    check_jobs_compose(task, own, jobs, cfg, parser)  # instead of Hydra's sweeper composing every job again
    try:
        check_config(cfg)
    except ConfigError as err:
        try:
            check_config(_compose(last))
        except ConfigError as e:
            if e.key == err.key:  # the same key fails at both ends of the sweep: not one level's failure
                fail(str(err))
        except Exception:  # noqa: BLE001 - let the sweep record it per run
            pass
    _check_experiment(cfg, factors, sweeper, parser)
    if isinstance(exp, DictConfig) and exp.get("type") == "robust":  # its samples, before anything is written
        from sim.experiments.robust import check as check_robust

        try:
            check_robust(resolved(cfg), factors)
        except ConfigError as e:
            fail(str(e))
    fixed = [o.input_line for o in task if not o.is_sweep_override()]
    design = dsg.record(jobs, factors, fixed, run_config(resolved(cfg)))
    given = [o for o in overrides if o.lstrip("+~").startswith("hydra.sweep.dir=")]
    try:
        root = Path(os.path.abspath(str(cfg.hydra.sweep.dir)))
    except Exception as e:  # noqa: BLE001
        fail(f"hydra.sweep.dir: cannot be resolved ({_first_line_of_causes(e)[0]})")
    if not given and cfg.get("experiment") is not None:
        root = root / design["design_hash"][:12]  # a named experiment: one folder per design, resumable
    check_path_length("hydra.sweep.dir", root)
    try:
        resume = dsg.check_folder(root, design)
    except ConfigError as e:
        fail(str(e))
    argv[:] = [a for a in argv if not a.lstrip("+~").startswith("hydra.sweep.dir=")] + \
        [f"hydra.sweep.dir={_quote(str(root))}"]
    plan = Plan(root, design, resume)
    plan.mode = OmegaConf.select(cfg, "hydra.mode")
    # other launchers wait on workers: signals stay live
    plan.in_process = launcher_target(cfg).endswith("BasicLauncher")
    return plan


def _check_experiment(cfg: DictConfig, factors: dict[str, list[str]], sweeper: dict, parser) -> None:
    """The sweep's reporting keys (``experiment.findings``, ``.labels``, ``.title``): a label
    may name a level of the sweep being run or of the experiment file's own sweep (one
    narrowed on the command line keeps its labels)."""
    from sim.experiments.labels import check_report_keys

    exp = resolved(cfg).get("experiment")
    if not isinstance(exp, dict):
        return
    levels = {k: list(v) for k, v in factors.items()}
    try:
        for o in parser.parse_overrides([f"{k}={v}" for k, v in sweeper.items()]):
            if o.is_sweep_override():
                levels.setdefault(o.get_key_element(), [])
                levels[o.get_key_element()] += list(o.sweep_string_iterator())
    except Exception:  # noqa: BLE001 - the sweeper's own levels were parsed above: nothing new to add
        pass
    try:
        check_report_keys(exp, levels)
    except ConfigError as e:
        fail(str(e))


def make_run_dir(run_dir: Path, key: str = "hydra.run.dir") -> list[Path]:
    """Create the folder (and missing parents) before Hydra does, so that an unusable
    output path is one line; return the folders created, top first."""
    created = []
    p = run_dir
    while not p.exists() and not p.is_symlink():
        created.append(p)
        p = p.parent
    if not p.is_dir():
        fail(f"{key}: {p} is a file, not a folder; give a folder path")
    created.reverse()
    try:
        for q in created:
            q.mkdir()
    except OSError as e:
        remove_dirs(created)
        fail(f"{key}: cannot create {e.filename or run_dir}: {e.strerror or e}")
    if not os.access(run_dir, os.W_OK | os.X_OK):
        remove_dirs(created)
        fail(f"{key}: {run_dir} is not writable")
    return created


def remove_dirs(created: list[Path]) -> None:
    """Remove folders this run created, if they are (still) empty."""
    for q in reversed(created):
        try:
            q.rmdir()
        except OSError:
            pass


def cli(argv: list[str], signals: bool = True) -> int:
    """Check everything, take the output folder's lock, run Hydra; clean up on any failure
    or signal, so that an existing folder is left as it was and a new one is not left.
    ``signals``: SIGTERM and SIGHUP raise like SIGINT (off for in-process tests)."""
    from sim.store import Busy, Interrupted, install_signal_handlers, locked, remove_stale_stages, signals_deferred

    import logging

    from sim.console import quiet_stdout

    logging.raiseExceptions = False  # a log line to a closed or full stdout is lost, not a traceback
    if argv[1:2] == ["--params"]:  # every key with unit, default, range, meaning, source (sim.paramdoc)
        from sim.paramdoc import main as list_params

        with quiet_stdout():
            return list_params(argv[2:])
    if signals:
        install_signal_handlers()
    plan, created, code = None, [], 0
    try:
        overrides, multirun = precheck_flags(argv)
        printing = any(a.partition("=")[0] in PRINT_FLAGS for a in argv[1:])
        precheck_groups(argv)
        precheck_hydra_keys(overrides)
        plan = precompose(argv, overrides, multirun, printing)
        if plan is None:  # Hydra prints (--help, --cfg, --info ...): a closed stdout ends it quietly
            with quiet_stdout():
                return _hydra(argv)
        key = "hydra.sweep.dir" if plan.sweep else "hydra.run.dir"
        created = make_run_dir(plan.folder, key)
        try:
            with locked(plan.folder):
                if plan.sweep:
                    _prepare_sweep_root(plan)
                else:
                    remove_stale_stages(plan.folder)  # a killed run's half-done commit is undone first
                # inside Hydra's code a signal waits for ours (main) to run; with a launcher
                # whose jobs run elsewhere, this process only waits, and a signal ends it at once
                with signals_deferred() if plan.in_process else contextlib.nullcontext(), _mode_known(plan.mode):
                    code = _hydra(argv)
        except Busy:
            created = []  # not ours to remove: the other run is using it
            fail(f"{key}: {plan.folder} is in use by another run of run.py; wait for it to end or give "
                 f"another folder")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_FAILED)
    except (Interrupted, KeyboardInterrupt) as e:
        code = e.exit_code if isinstance(e, Interrupted) else 130
        if signals:
            _ignore_signals()  # a second Ctrl-C does not cut the cleanup short
        say("interrupted: " + _after_interrupt(plan, created), sys.stderr)
        return code
    if code != 0:
        if signals:
            _ignore_signals()
        _clean_up(plan, created)
    return code


def _ignore_signals() -> None:
    """From here on SIGINT, SIGTERM and SIGHUP are ignored: the cleanup (or, after a run
    that completed, the interpreter's exit) finishes and the exit code says what happened."""
    for s in HELD_SIGNALS:
        signal.signal(s, signal.SIG_IGN)


@contextlib.contextmanager
def _mode_known(mode):
    """Hydra composes the whole configuration once only to read its ``hydra.mode``
    (``Hydra.get_mode``), then composes it again to run. run.py has composed it already
    (:func:`precompose`), so Hydra is given the mode found there: one composition less per
    command (~0.25 s), the same mode (None here unless a config file sets ``hydra.mode``;
    no override may: :func:`hydra_checks.precheck_hydra_keys`). tests/test_cli.py
    checks it against Hydra's own answer."""
    from hydra._internal.hydra import Hydra

    real = Hydra.get_mode
    Hydra.get_mode = lambda self, config_name, overrides: mode
    try:
        yield
    finally:
        Hydra.get_mode = real


def _hydra(argv: list[str]) -> int:
    sys.argv[:] = argv
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_FAILED)
        # Hydra reports its own composition errors with exit code 1: bad input like ours
        if code == EXIT_FAILED and not STATE["app_ran"] and not _callbacks_ran():
            code = EXIT_BAD_INPUT
        return code
    return 0


def _prepare_sweep_root(plan: Plan) -> None:
    import shutil

    from sim.experiments import design as dsg
    from sim.store import remove_stale_stages

    mr = plan.folder / "multirun.yaml"  # Hydra rewrites it at launch: kept to restore on a failure or signal
    plan.multirun_yaml = mr.read_bytes() if mr.is_file() and not mr.is_symlink() else None
    try:
        remove_stale_stages(plan.folder)  # a killed aggregation's half-done commit is undone
        shutil.rmtree(plan.folder / RUNNING, ignore_errors=True)  # a killed sweep's progress
        if not plan.resume:
            dsg.write(plan.folder, plan.design)
    except OSError as e:
        fail(f"hydra.sweep.dir: cannot write {e.filename or plan.folder}: {e.strerror or e}")


def _clean_up(plan: Plan | None, created: list[Path]) -> None:
    """After a failure or an interrupt: a sweep's runs that did not complete are undone
    (completed ones stay, to resume from); a design record this command wrote is removed
    when no run completed; folders this command created are removed when empty."""
    if plan is not None and plan.sweep and plan.folder.is_dir():
        import shutil

        from sim.experiments.design import DESIGN, is_run_folder
        from sim.store import remove_stale_stages, verify

        shutil.rmtree(plan.folder / RUNNING, ignore_errors=True)
        complete = 0
        for k in range(len(plan.design["jobs"])):
            d = plan.folder / str(k)
            if not d.is_dir():
                continue
            remove_stale_stages(d, all_of_them=True)
            if verify(d) is None:
                complete += 1
            elif not is_run_folder(d) and not any(d.iterdir()):
                d.rmdir()
        if not plan.resume and complete == 0 and not any(is_run_folder(p) for p in plan.folder.iterdir()):
            (plan.folder / DESIGN).unlink(missing_ok=True)
        mr = plan.folder / "multirun.yaml"
        with contextlib.suppress(OSError):
            if plan.multirun_yaml is not None:
                if not mr.is_file() or mr.read_bytes() != plan.multirun_yaml:
                    mr.write_bytes(plan.multirun_yaml)  # as it was before this command
            elif complete == 0 and not (plan.folder / DESIGN).exists():
                mr.unlink(missing_ok=True)  # Hydra's, of a sweep that left nothing
    remove_dirs(created)


def _after_interrupt(plan: Plan | None, created: list[Path]) -> str:
    _clean_up(plan, created)
    from sim.store import COMMITTED

    if plan is not None and plan.folder.resolve() in {p.resolve() for p in COMMITTED}:
        return f"the results were already complete in {plan.folder}"  # the signal came after the commit
    if plan is None or not plan.sweep or not plan.folder.is_dir():
        return "nothing written"
    from sim.store import verify

    done = sum(verify(plan.folder / str(k)) is None for k in range(len(plan.design["jobs"])))
    if done == 0:
        return "nothing written" if not plan.folder.exists() or plan.folder in created else \
            f"no run completed; {plan.folder} is as it was"
    return (f"{done} of {len(plan.design['jobs'])} runs complete in {plan.folder}; run the same command again "
            f"to resume")


def _callbacks_ran() -> bool:
    cb = sys.modules.get("hydra_callbacks")
    return bool(cb and getattr(cb, "STATE", {}).get("ran"))


if __name__ == "__main__":
    exit_code = cli(list(sys.argv))
    _ignore_signals()  # the results are complete (or cleaned up): a late signal changes nothing
    import gc

    gc.freeze()  # everything is written and closed: the interpreter's last collection (0.3-0.8 s) is skipped
    sys.exit(exit_code)
