"""Command-line entry point (Hydra). Thin: compose config, build parameters, run, write.

    python run.py                                  # default scenario, one run, report
    python run.py scenario=mmc mmc.servers=3 seed=7 hydra.run.dir=results/x
    python run.py -m experiment=grid_size          # a sweep

The promise: anything a user types or loads (config values, map files, output paths)
that the model cannot take gets one line on stderr naming the key and what is allowed,
exit code 2, no traceback, and no change to any existing file or folder (a run folder
that did not exist is not left behind). Hydra writes nothing itself here
(``hydra.output_subdir: null``, no log file handler): the composed config (``.hydra/``)
and the run's log (``run.log``) are written with the results, through the atomic staging
folder of :mod:`sim.output`, only when the run succeeds. Exit codes: 0 done, 2 bad input
(including an output folder that cannot be written), 1 anything else (a bug or a failed
sweep aggregation; one line too, full traceback with ``SIM_TRACEBACK=1``).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SCENARIOS = ROOT / "scenarios"
CONF = ROOT / "conf"
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
RUNNING = ".running"  # a sweep's plan and progress while it runs, at its root (removed at its end)
STATE = {"app_ran": False}  # set once our own code (not Hydra's composition) has run

log = logging.getLogger("run")


def fail(msg: str, code: int = EXIT_BAD_INPUT) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


def available(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def config_groups() -> dict[str, Path]:
    """Config groups the user may choose from (``scenario=``, ``experiment=``, ...):
    every folder of conf/ except Hydra's own."""
    return {p.name: p for p in sorted(CONF.iterdir()) if p.is_dir() and p.name != "hydra"}


def precheck_groups(argv: list[str]) -> None:
    """Reject an unknown scenario, experiment or other group option before Hydra composes."""
    groups = config_groups()
    for arg in argv[1:]:
        key, sep, value = arg.lstrip("+~").partition("=")
        if sep and key in groups:
            for name in value.split(","):
                name = name.strip().strip("'\"")
                if "/" in name or name.endswith(".yaml"):
                    fail(f"{key}: give the name of a file of {groups[key].relative_to(ROOT)}/ without its folder or "
                         f".yaml (allowed: {', '.join(available(groups[key]))}), not a path; got {name!r}")
                if name and name != "null" and not (groups[key] / f"{name}.yaml").is_file():
                    fail(f"{key}: unknown {key} {name!r}; allowed: {', '.join(available(groups[key]))}")


# Hydra's command-line flags: the ones that only print pass through (after the same
# composition check as a run); the ones that would bypass this project's checks are refused.
PRINT_FLAGS = {"--help": 0, "-h": 0, "--hydra-help": 0, "--version": 0, "--cfg": 1, "-c": 1, "--resolve": 0,
               "--package": 1, "-p": 1, "--info": "?", "-i": "?", "--shell-completion": 0, "-sc": 0}
INFO_TOPICS = ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")
REFUSED_FLAGS = {
    "--config-dir": "scenarios live in scenarios/ (scenario=NAME) and sweeps in conf/experiment/ (experiment=NAME)",
    "-cd": "scenarios live in scenarios/ (scenario=NAME) and sweeps in conf/experiment/ (experiment=NAME)",
    "--config-path": "the config tree is conf/; choose a scenario with scenario=NAME",
    "-cp": "the config tree is conf/; choose a scenario with scenario=NAME",
    "--config-name": "the root config is conf/config.yaml; choose a scenario with scenario=NAME",
    "-cn": "the root config is conf/config.yaml; choose a scenario with scenario=NAME",
    "--experimental-rerun": "rerun a run with the command in its manifest.json",
}
# Hydra's own keys that may be set: where results go and how sweeps are launched. Every
# other hydra key would write outside the staging (log files, .hydra/), change the working
# folder or mix runs, so it is refused.
HYDRA_KEYS = ("hydra.run.dir", "hydra.sweep.dir", "hydra.sweep.subdir", "hydra.launcher.", "hydra/launcher",
              "hydra.verbose", "hydra.job.env_set.")
HYDRA_FIXED = {"hydra.sweep.subdir": "${hydra.job.num}"}
HYDRA_WHY = {"hydra/job_logging": "run.py writes the run's log as run.log with the results",
             "hydra/hydra_logging": "run.py writes the run's log as run.log with the results",
             "hydra.job_logging": "run.py writes the run's log as run.log with the results",
             "hydra.output_subdir": "the composed config is written as .hydra/ with the results, only on success",
             "hydra.job.chdir": "runs do not change the working folder"}


def precheck_flags(argv: list[str]) -> tuple[list[str], bool]:
    """Split Hydra's flags from the overrides: returns (overrides, multirun). Refuses the
    flags that bypass the checks and any flag Hydra does not know, in one line; a print
    flag (``--help``, ``--cfg job``, ...) stays in ``argv`` for Hydra."""
    args, out, multirun, i = argv[1:], [], False, 0
    while i < len(args):
        a = args[i]
        flag, eq, _ = a.partition("=")
        if a in ("-m", "--multirun"):
            multirun = True
        elif a in ("-r", "--run"):
            pass
        elif flag in REFUSED_FLAGS:
            fail(f"{flag}: not supported here: {REFUSED_FLAGS[flag]}")
        elif flag in PRINT_FLAGS:
            n = PRINT_FLAGS[flag]
            if (n == 1 and not eq) or (n == "?" and not eq and i + 1 < len(args) and args[i + 1] in INFO_TOPICS):
                i += 1
        elif a.startswith("-"):
            fail(f"{flag}: unknown option; allowed: -m (a sweep), {', '.join(sorted(k for k in PRINT_FLAGS if k.startswith('--')))} "
                 f"and key=value overrides")
        else:
            out.append(a)
        i += 1
    return out, multirun


def precheck_hydra_keys(overrides: list[str]) -> None:
    """Refuse overrides of Hydra's own config that would bypass staging or mix runs."""
    for o in overrides:
        key, sep, value = o.lstrip("+~").partition("=")
        if not (key == "hydra" or key.startswith(("hydra.", "hydra/"))):
            continue
        value = value.strip().strip("'\"")
        if key in HYDRA_FIXED:
            if value != HYDRA_FIXED[key]:
                fail(f"{key}: must stay {HYDRA_FIXED[key]} (each run of a sweep in its own numbered folder); got {value!r}")
            continue
        if any(key == k or (k.endswith((".", "/")) and key.startswith(k)) for k in HYDRA_KEYS):
            continue
        why = next((w for k, w in HYDRA_WHY.items() if key == k or key.startswith(k + ".")), None)
        fail(f"{key}: Hydra's own setting cannot be changed here" + (f" ({why})" if why else "")
             + "; allowed: hydra.run.dir, hydra.sweep.dir, hydra/launcher=NAME, hydra.launcher.*")


import hydra  # noqa: E402
from hydra.core.config_store import ConfigStore  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from hydra.types import RunMode  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402
from omegaconf.errors import OmegaConfBaseException  # noqa: E402

from sim import ConfigError, params_from_dict  # noqa: E402
from sim.reporting.options import ReportOptions, check_village, report_options  # noqa: E402
from sim.schema import APP_DEFAULTS, config_schema  # noqa: E402

APP_KEYS = tuple(APP_DEFAULTS)
"""Keys of the application, not of the model (see sim.schema.APP_DEFAULTS)."""

# Every model parameter with its default, derived from the sim.params dataclasses (so that
# any key can be overridden on the command line without "+"), plus the application keys
# and the validation scenarios' knob blocks (mmc, jackson).
ConfigStore.instance().store(
    name="model_defaults", node=config_schema())


def resolved(cfg: DictConfig) -> dict:
    """The composed config as plain data, interpolations resolved (errors name the key)."""
    try:
        if "hydra" in cfg:  # composed with Hydra's own config (before Hydra starts): not ours
            cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
        return OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", None) or "config"
        raise ConfigError(str(key), f"cannot be resolved ({str(e).splitlines()[0]})") from None


def model_data(cfg: DictConfig) -> dict:
    """The model's parameters from a composed config (application keys removed)."""
    data = resolved(cfg)
    for k in APP_KEYS:
        data.pop(k, None)
    return data


def report_config(cfg: DictConfig | dict, check_font: bool = True) -> ReportOptions:
    """The validated ``report`` options of a composed config (a bool is refused: the key
    is a mapping, ``report.enabled=false`` switches the report off)."""
    r = cfg.get("report")
    if isinstance(r, DictConfig):
        r = OmegaConf.to_container(r, resolve=True)
    return report_options(r, check_font=check_font, allow_bool=False)


def check_app_keys(cfg: DictConfig | dict) -> ReportOptions:
    """Check the application's own keys (report, experiment); return the report options."""
    opts = report_config(cfg)
    e = cfg.get("experiment")
    if e is not None and not isinstance(e, (Mapping, DictConfig)):
        raise ConfigError("experiment", f"must name a file of conf/experiment (experiment=NAME), got {e!r}")
    return opts


def run_config(cfg: DictConfig) -> dict:
    """What a run's results depend on: the resolved model parameters and report options
    (not the sweep's ``experiment`` block, which only says how runs are compared)."""
    data = resolved(cfg)
    data.pop("experiment", None)
    return data


def run_hash(cfg: DictConfig) -> str:
    """Identity of a run (manifest ``config_hash``): hash of :func:`run_config`."""
    from sim.store import config_hash

    return config_hash(run_config(cfg))


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


def hydra_files(cfg: DictConfig) -> dict[str, str]:
    """What Hydra would have written to ``.hydra/``: the composed config, the overrides and
    Hydra's own config (written here, with the results, only when the run succeeds)."""
    hc = HydraConfig.get()
    return {".hydra/config.yaml": OmegaConf.to_yaml(cfg),
            ".hydra/overrides.yaml": OmegaConf.to_yaml(hc.overrides.task),
            ".hydra/hydra.yaml": OmegaConf.to_yaml(OmegaConf.create({"hydra": OmegaConf.to_container(hc)}))}


def run_one(cfg: DictConfig, out: Path, runlog: RunLog, extra: dict | None = None) -> dict:
    """Build parameters, run the model, write the run directory; return the summary."""
    from sim import guard, run_model
    from sim.output import write_run

    t0 = time.perf_counter()
    hc = HydraConfig.get()
    opts = check_app_keys(cfg)
    params = params_from_dict(model_data(cfg))
    log.info("scenario %s, seed %s, %g days; overrides: %s", params.scenario, params.seed, params.run.horizon_days,
             " ".join(hc.overrides.task) or "(none)")
    log.info("estimate (sim/guard.py): %s", guard.check(params).describe())
    worker = None
    if opts.enabled and hc.mode != RunMode.MULTIRUN:
        from sim.reporting.worker import FigureWorker, wanted

        if wanted():  # a second core draws the maps while this one writes and draws the rest
            worker = FigureWorker(opts.lang)
    with worker or contextlib.nullcontext():  # the worker is stopped however the run ends
        res = run_model(params)
        st = res.structure
        log.info("built in %.2f s: %s towns, %s villages, %s grids, %s households, %s residents",
                 res.timings_s.get("build", 0.0), st.get("towns"), st.get("villages"), st.get("grids"),
                 st.get("households"), st.get("residents"))
        log.info("simulated %d events in %.2f s; %d issues", res.events_processed,
                 res.timings_s.get("simulate", 0.0), len(res.issues.get("issue_id", ())))
        mode = ["-m"] if hc.mode == RunMode.MULTIRUN else []
        cmd = " ".join(["python", "run.py", *mode, *hc.overrides.task])
        log.info("writing %s", out)
        try:
            return write_run(res, out, command=cmd, overrides=list(hc.overrides.task), report=opts,
                             t_start=t0, extra_manifest=extra, extra_files=hydra_files(cfg),
                             log_text=runlog.text, figure_worker=worker, config_hash=run_hash(cfg))
        except OSError as e:
            raise OutputError(describe_os_error(e, out)) from None


def describe_os_error(e: OSError, where: Path) -> str:
    path = e.filename or where
    return f"cannot write {path}: {e.strerror or e}"


def sweep_job(cfg: DictConfig) -> None:
    """One job of a sweep: skip it if this directory already holds the same completed
    run; otherwise run it, recording any failure in failed.json instead of raising (so the
    other runs continue and the sweep is still aggregated); then report progress."""
    hc = HydraConfig.get()
    try:
        status = _sweep_job(cfg, hc)
    except Exception as e:  # noqa: BLE001 - never raise into Hydra: a raising job loses the whole sweep (hydra#3215)
        status = f"failed ({type(e).__name__}: {e})"
        print(f"error: run {hc.job.num}: could not be run or recorded: {type(e).__name__}: {e}", file=sys.stderr)
    try:
        progress(Path(hc.sweep.dir), hc.job.num, status)
    except OSError as e:
        print(f"error: run {hc.job.num}: {status}; progress not recorded ({e.strerror or e})", file=sys.stderr)


def _sweep_job(cfg: DictConfig, hc) -> str:
    from sim.experiments.design import read as read_design
    from sim.store import remove_stale_stages, verify

    out = Path(hc.runtime.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_stages(out, all_of_them=True)  # this job owns its folder: a stage here is a killed run's
    try:
        key = run_hash(cfg)
    except ConfigError:
        key = None
    if key and verify(out, key) is None:
        return "skipped (already complete)"
    design = read_design(Path(hc.sweep.dir)) or {}
    extra = {"job": int(hc.job.num), "job_overrides": list(hc.overrides.task), "design_hash": design.get("design_hash")}
    with RunLog() as runlog:
        try:
            run_one(cfg, out, runlog, extra)
            return "ok"
        except Exception as e:  # noqa: BLE001 - isolate the failure, keep the sweep going
            status = "invalid" if isinstance(e, ConfigError) else "failed"
            record_failure(out, {"status": status, "error": f"{type(e).__name__}: {e}", **extra,
                                 "overrides": list(hc.overrides.task), "traceback": traceback.format_exc()},
                           runlog.text())
    return status


def record_failure(out: Path, failure: dict, log_text: str) -> None:
    """``failed.json`` (and the run's log) as the folder's whole result set: nothing of an
    earlier run stays beside it."""
    import shutil

    from sim.store import RUN_FILES, commit, new_stage

    stage = new_stage(out)
    try:
        (stage / "failed.json").write_text(json.dumps(failure, indent=2, default=str), encoding="utf-8")
        (stage / "run.log").write_text(log_text, encoding="utf-8")
        commit(stage, out, RUN_FILES)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


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


def sensitivity(cfg: DictConfig, runlog: RunLog) -> None:
    """``experiment.type: sensitivity``: SALib Morris or Sobol over declared parameters."""
    import shutil

    from sim import guard
    from sim.experiments.sensitivity import run_sensitivity
    from sim.output import commit, new_stage

    spec = OmegaConf.to_container(cfg.experiment, resolve=True)
    data = model_data(cfg)
    guard.check(params_from_dict(data))
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        stage = new_stage(out)
    except OSError as e:
        raise OutputError(describe_os_error(e, out)) from None
    try:
        table = run_sensitivity(data, spec["sensitivity"], stage, int(spec.get("n_jobs", 2)),
                                lang=report_config(cfg).lang)
        try:
            for name, text in hydra_files(cfg).items():
                (stage / name).parent.mkdir(parents=True, exist_ok=True)
                (stage / name).write_text(text, encoding="utf-8")
            (stage / "run.log").write_text(runlog.text(), encoding="utf-8")
            commit(stage, out)
        except OSError as e:
            raise OutputError(describe_os_error(e, out)) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    say(table.to_string(index=False))
    say(f"sensitivity analysis written to {out}")


@hydra.main(version_base="1.3", config_path=str(CONF), config_name="config")
def main(cfg: DictConfig) -> None:
    STATE["app_ran"] = True
    hc = HydraConfig.get()
    if hc.mode == RunMode.MULTIRUN:
        sweep_job(cfg)
        return
    with RunLog() as runlog:
        try:
            if (cfg.get("experiment") or {}).get("type") == "sensitivity":
                sensitivity(cfg, runlog)
                return
            s = run_one(cfg, Path(hc.runtime.output_dir), runlog)
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
        f"on-time {'—' if ot is None else f'{100 * ot:.1f} %'}; written to {hc.runtime.output_dir}"
        + (f" ({n_warn} warning{'s' if n_warn > 1 else ''} in run.log)" if n_warn else ""))


def say(text: str, stream=None) -> None:
    """Print a line that must not fail once the results are written: a closed pipe
    (``| head``), a full device or an encoding that lacks a character (a Chinese path on
    an ASCII terminal) lose the line or its characters, never the exit code."""
    stream = stream or sys.stdout
    try:
        try:
            print(text, file=stream, flush=True)
        except UnicodeEncodeError:
            enc = getattr(stream, "encoding", None) or "ascii"
            print(text.encode(enc, "backslashreplace").decode(enc), file=stream, flush=True)
    except (BrokenPipeError, OSError, ValueError):
        _silence(stream)


def _silence(stream) -> None:
    """Point a broken stream at /dev/null, so that the interpreter's flush at exit does
    not fail too (which would print 'Exception ignored' and exit 120)."""
    try:
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


# ------------------------------------------------------------------ before Hydra starts


def _compose(overrides: list[str], hydra_cfg: bool = False) -> DictConfig:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("config", overrides=overrides, return_hydra_config=hydra_cfg)


def _first_line_of_causes(e: BaseException) -> list[str]:
    out = []
    while e is not None:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        out.append(lines[0] if lines else type(e).__name__)
        e = e.__cause__ or e.__context__
    return out


def composition_error(e: Exception, overrides: list[str]) -> str:
    """One line for a Hydra/OmegaConf composition error: the key as typed and what is allowed."""
    import re

    causes = _first_line_of_causes(e)
    text = causes[0]
    m = re.search(r"(?:Could not override|Error merging override|Could not append to config\.?.*?at) '?([^'\s=]+)", text)
    m = m or re.search(r"override '?\+{0,2}([^'=\s]+)", text)
    found = re.search(r"Could not find '([^']+)/([^'/]+)'", str(e))
    if found:
        options = [ln.strip() for ln in str(e).splitlines() if ln.startswith("\t")]
        return (f"{found.group(1)}: unknown option {found.group(2)!r}"
                + (f"; allowed: {', '.join(options)}" if options else ""))
    if type(e).__name__ == "OverrideParseException":
        lines = [ln for ln in getattr(e, "message", str(e)).splitlines() if ln.strip() and not ln.startswith("See ")]
        detail = lines[-1] if lines else str(e)
        bad = getattr(e, "override", "") or next((o for o in overrides if not o.isascii()), "")
        if not bad.isascii() and "=" in bad:
            k, _, v = bad.partition("=")
            return (f"{k}: cannot read the value {v!r}: quote text with Chinese characters for Hydra, "
                    f"e.g. '{k}=\"{v}\"'")
        if detail.strip() in ("^", ""):
            detail = "unexpected character"
        return (f"cannot read the override {bad!r}: {detail} "
                f"(write key=value; quote values with spaces or brackets)")
    if not m:
        return " ".join(causes[:2])
    key = m.group(1).lstrip("+~")
    rest = [o for o in overrides if o.lstrip("+~").partition("=")[0] != key]
    parent, _, leaf = key.rpartition(".")
    try:
        base = _compose(rest)
    except Exception:  # noqa: BLE001 - the hint is optional
        base = None
    if base is not None:
        missing = _catalogue_entry_missing(base, key)
        if missing:
            return missing
    node = OmegaConf.select(base, parent) if (base is not None and parent) else base
    here = OmegaConf.select(base, key) if base is not None else None
    if any(re.search(r"Key '[^']+' (is )?not in", c) for c in causes) and isinstance(node, DictConfig):
        return f"{key}: unknown key; allowed keys under {parent or 'the top level'}: {', '.join(map(str, node.keys()))}"
    if isinstance(here, DictConfig):
        return (f"{key}: is a group of settings ({', '.join(map(str, here.keys()))}); set one of them, "
                f"e.g. {key}.{next(iter(here.keys()), 'x')}=...")
    detail = "; ".join(dict.fromkeys(c for c in causes[1:] if c))
    return f"{key}: {detail or text}"


def _is_catalogue(cfg: DictConfig | None, key: str) -> bool:
    """Is ``key`` a named catalogue (a mapping name -> typed entry, e.g. issue_types)?"""
    if cfg is None or not key:
        return False
    node = OmegaConf.select(cfg, key)
    if not isinstance(node, DictConfig):
        return False
    from omegaconf._utils import get_dict_key_value_types, is_dict_annotation

    ref = node._metadata.ref_type
    return is_dict_annotation(ref) and get_dict_key_value_types(ref)[1] is not None


def _catalogue_entry_missing(cfg: DictConfig, key: str) -> str | None:
    """For ``issue_types.flood.x`` where ``flood`` is not an entry: say so."""
    parts = key.split(".")
    for i in range(1, len(parts)):
        head = ".".join(parts[:i])
        if _is_catalogue(cfg, head) and parts[i] not in OmegaConf.select(cfg, head):
            entries = ", ".join(map(str, OmegaConf.select(cfg, head).keys())) or "none"
            return (f"{key}: {head} has no entry {parts[i]!r} (entries: {entries}); to add one, write "
                    f"'+{head}={{{parts[i]}: {{{parts[i + 1] if i + 1 < len(parts) else 'field'}: ...}}}}'")
    return None


def _quote(value: str) -> str:
    """A string as a quoted Hydra override value."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${") + "'"


def _check_params(cfg: DictConfig, village: bool = True) -> None:
    from sim import check

    check_app_keys(cfg)
    data = model_data(cfg)
    params = params_from_dict(data)
    check(params)
    spec = cfg.get("experiment") or {}
    if spec.get("type") == "sensitivity":
        from sim.experiments.sensitivity import check_spec

        check_spec(OmegaConf.to_container(spec, resolve=True), data)
    opts = report_config(cfg)
    if village and opts.enabled and opts.village is not None:
        check_village(params, opts.village)  # builds the map once: a bad village fails before anything is written


class Plan:
    """What the command will write: a run folder, or a sweep root with its design."""

    def __init__(self, folder: Path, design: dict | None = None, resume: bool = False):
        self.folder, self.design, self.resume = folder, design, resume

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
    if isinstance(exp, DictConfig) and exp.get("type") != "sensitivity":
        name = exp.get("name") or next((o.partition("=")[2] for o in overrides if o.startswith("experiment=")), "NAME")
        fail(f"experiment={name} is a sweep: run it with -m (python run.py -m experiment={name})")
    try:
        _check_params(cfg)
    except ConfigError as e:
        fail(str(e))
    try:
        run_dir = Path(os.path.abspath(str(cfg.hydra.run.dir)))
    except Exception as e:  # noqa: BLE001
        fail(f"hydra.run.dir: cannot be resolved ({_first_line_of_causes(e)[0]})")
    check_path_length("hydra.run.dir", run_dir)
    argv[:] = [a for a in argv if not a.startswith("hydra.run.dir=")] + [f"hydra.run.dir={_quote(str(run_dir))}"]
    return Plan(run_dir)


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
    return len(list(o.sweep_string_iterator()))


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
        cfg = _compose(first_combo(), hydra_cfg=True)
    except Exception as e:  # noqa: BLE001
        fail(composition_error(e, overrides))
    sweeper = dict(cfg.hydra.sweeper.get("params") or {})
    # every override as Hydra's basic sweeper sees it: the sweeper's params, then the command line
    lines = [f"{k}={v}" for k, v in sweeper.items()] + overrides
    try:
        everything = parser.parse_overrides(lines)
    except Exception as e:  # noqa: BLE001
        fail(composition_error(e, lines))
    task = [o for o in everything if not o.get_key_element().startswith(("hydra.", "hydra/"))]
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
        dsg.check_replicates(jobs)
    except ConfigError as e:
        fail(str(e))
    own = [o.input_line for o in everything if o.get_key_element().startswith(("hydra.", "hydra/"))]
    first, last = jobs[0] + own, jobs[-1] + own
    try:
        cfg = _compose(first, hydra_cfg=True)
    except Exception as e:  # noqa: BLE001
        fail(composition_error(e, overrides))
    try:
        _check_params(cfg)
    except ConfigError as err:
        try:
            _check_params(_compose(last))
        except ConfigError as e:
            if e.key == err.key:  # the same key fails at both ends of the sweep: not one level's failure
                fail(str(err))
        except Exception:  # noqa: BLE001 - let the sweep record it per run
            pass
    factors = {o.get_key_element(): list(o.sweep_string_iterator()) for o in task if o.is_sweep_override()}
    fixed = [o.input_line for o in task if not o.is_sweep_override()]
    design = dsg.record(jobs, factors, fixed, run_config(cfg))
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
    return Plan(root, design, resume)


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
    from sim.store import Busy, Interrupted, install_signal_handlers, locked, remove_stale_stages

    if signals:
        install_signal_handlers()
    plan, created, code = None, [], 0
    try:
        overrides, multirun = precheck_flags(argv)
        printing = any(a.partition("=")[0] in PRINT_FLAGS for a in argv[1:])
        precheck_groups(argv)
        precheck_hydra_keys(overrides)
        plan = precompose(argv, overrides, multirun, printing)
        if plan is None:
            return _hydra(argv)
        key = "hydra.sweep.dir" if plan.sweep else "hydra.run.dir"
        created = make_run_dir(plan.folder, key)
        try:
            with locked(plan.folder):
                if plan.sweep:
                    _prepare_sweep_root(plan)
                else:
                    remove_stale_stages(plan.folder)  # a killed run's half-done commit is undone first
                code = _hydra(argv)
        except Busy:
            created = []  # not ours to remove: the other run is using it
            fail(f"{key}: {plan.folder} is in use by another run of run.py; wait for it to end or give "
                 f"another folder")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_FAILED)
    except (Interrupted, KeyboardInterrupt) as e:
        code = e.exit_code if isinstance(e, Interrupted) else 130
        say("interrupted: " + _after_interrupt(plan, created), sys.stderr)
        return code
    if code != 0:
        _clean_up(plan, created)
    return code


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
    remove_dirs(created)


def _after_interrupt(plan: Plan | None, created: list[Path]) -> str:
    _clean_up(plan, created)
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
    sys.exit(cli(list(sys.argv)))
