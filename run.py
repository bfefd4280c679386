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
import hashlib
import io
import json
import logging
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
                if name and name != "null" and not (groups[key] / f"{name}.yaml").is_file():
                    fail(f"{key}: unknown {key} {name!r}; allowed: {', '.join(available(groups[key]))}")


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


def run_key(data: dict) -> str:
    """Identity of a run for resuming sweeps: hash of the resolved parameters and seed."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


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


def run_one(cfg: DictConfig, out: Path, runlog: RunLog, key: str | None = None) -> dict:
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
                             t_start=t0, extra_manifest={"run_key": key}, extra_files=hydra_files(cfg),
                             log_text=runlog.text, figure_worker=worker)
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
    from sim.output import remove_stale_stages

    out = Path(hc.runtime.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_stages(out, all_of_them=True)  # this job owns its folder: a staging folder here is a killed run's
    status = "ok"
    try:
        key = run_key(model_data(cfg))
    except ConfigError:
        key = None
    man = out / "manifest.json"
    if key and (out / "summary.json").is_file() and man.is_file() and _json(man).get("run_key") == key:
        status = "skipped (already complete)"
    else:
        (out / "failed.json").unlink(missing_ok=True)
        with RunLog() as runlog:
            try:
                run_one(cfg, out, runlog, key)
            except Exception as e:  # noqa: BLE001 - isolate the failure, keep the sweep going
                status = "invalid" if isinstance(e, ConfigError) else "failed"
                _write_atomic(out / "failed.json", json.dumps({
                    "status": status, "error": f"{type(e).__name__}: {e}", "overrides": list(hc.overrides.task),
                    "traceback": traceback.format_exc(), "log": runlog.text()}, indent=2))
    return status


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def progress(root: Path, num: int, status: str) -> None:
    """Append to the sweep's progress log and print runs done / total, elapsed, estimate."""
    path = root / "progress.log"
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{num} {status}\n")
    with open(path, encoding="utf-8") as f:
        done = sum(1 for _ in f)
    plan = root / "sweep_plan.json"
    if plan.is_file():
        p = json.loads(plan.read_text())
        el = time.time() - p["started"]
        eta = el / done * max(p["total"] - done, 0)
        print(f"[{done}/{p['total']}] run {num}: {status}; elapsed {el:.0f} s, about {eta:.0f} s left", flush=True)
    else:
        print(f"[{done}] run {num}: {status}", flush=True)


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
    print(table.to_string(index=False))
    print(f"sensitivity analysis written to {out}")


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
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
    print(f"{s['scenario']} seed {s['seed']}: {s['counts']['closed']:,} closed, "
          f"mean resolution {r['mean'] if r['mean'] is None else round(r['mean'], 2)} h, "
          f"on-time {'—' if ot is None else f'{100 * ot:.1f} %'}; written to {hc.runtime.output_dir}"
          + (f" ({n_warn} warning{'s' if n_warn > 1 else ''} in run.log)" if n_warn else ""))


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
        return (f"cannot read the override {getattr(e, 'override', '')!r}: {detail} "
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
    params = params_from_dict(model_data(cfg))
    check(params)
    opts = report_config(cfg)
    if village and opts.enabled and opts.village is not None:
        check_village(params, opts.village)  # builds the map once: a bad village fails before anything is written


def precompose(argv: list[str]) -> Path | None:
    """Compose the config and build the parameters before Hydra starts, so that a
    misspelt key or a bad value is reported in one line with exit code 2 and nothing is
    created. For a single run, returns its folder, resolved once and pinned in ``argv``
    (``hydra.run.dir``) so that Hydra uses exactly this folder. For a sweep, checks the
    first combination and, if that fails, the last: a value that fails in both is not a
    factor's level and is rejected; a level that fails alone is recorded as that run's
    failure (failed.json), as any run failure in a sweep."""
    args = argv[1:]
    if any(a.startswith("-") and a not in ("-m", "--multirun") for a in args):
        return None  # Hydra's own modes (--help, --cfg, ...)
    multirun = any(a in ("-m", "--multirun") for a in args)
    overrides = [a for a in args if a not in ("-m", "--multirun")]
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(overrides)
    except Exception as e:  # noqa: BLE001 - grammar errors
        fail(composition_error(e, overrides))
    if multirun:
        return _precompose_sweep(overrides, parsed, parser)
    try:
        cfg = _compose(overrides, hydra_cfg=True)
    except Exception as e:  # noqa: BLE001 - Hydra/OmegaConf composition errors
        fail(composition_error(e, overrides))
    try:
        _check_params(cfg)
    except ConfigError as e:
        fail(str(e))
    try:
        run_dir = Path(os.path.abspath(str(cfg.hydra.run.dir)))
    except Exception as e:  # noqa: BLE001
        fail(f"hydra.run.dir: cannot be resolved ({_first_line_of_causes(e)[0]})")
    argv[:] = [a for a in argv if not a.startswith("hydra.run.dir=")] + [f"hydra.run.dir={_quote(str(run_dir))}"]
    return run_dir


def _precompose_sweep(overrides: list[str], parsed: list, parser) -> None:
    prefix = {"CHANGE": "", "ADD": "+", "FORCE_ADD": "++", "DEL": "~"}

    def combo(pick: int, sweeper_params: dict) -> list[str]:
        out, seen = [], set()
        for o in parsed:
            seen.add(o.key_or_group)
            if o.is_sweep_override():
                vals = list(o.sweep_string_iterator())
                out.append(f"{prefix[o.type.name]}{o.key_or_group}={vals[pick]}")
            else:
                out.append(o.input_line)
        for k, v in sweeper_params.items():
            if k not in seen:
                p = parser.parse_overrides([f"{k}={v}"])[0]
                vals = list(p.sweep_string_iterator()) if p.is_sweep_override() else [str(v)]
                out.append(f"{k}={vals[pick]}")
        return out

    try:
        first = combo(0, {})
        cfg = _compose(first, hydra_cfg=True)
        params = dict(cfg.hydra.sweeper.get("params") or {})
        if params:
            first = combo(0, params)
            cfg = _compose(first, hydra_cfg=True)
    except Exception as e:  # noqa: BLE001
        fail(composition_error(e, overrides))
    try:
        _check_params(cfg)
        return None
    except ConfigError as e:
        err = e
    try:
        last = _compose(combo(-1, params))
        _check_params(last)
    except ConfigError as e:
        if e.key == err.key:  # the same key fails at both ends of the sweep: not one level's failure
            fail(str(err))
    except Exception:  # noqa: BLE001 - let the sweep record it per run
        pass
    return None


def make_run_dir(run_dir: Path) -> list[Path]:
    """Create the run folder (and missing parents) before Hydra does, so that an
    unusable output path is one line; return the folders created, top first."""
    created = []
    p = run_dir
    while not p.exists() and not p.is_symlink():
        created.append(p)
        p = p.parent
    if not p.is_dir():
        fail(f"hydra.run.dir: {p} is a file, not a folder; give a folder path")
    created.reverse()
    try:
        for q in created:
            q.mkdir()
    except OSError as e:
        remove_dirs(created)
        fail(f"hydra.run.dir: cannot create {e.filename or run_dir}: {e.strerror or e}")
    if not os.access(run_dir, os.W_OK | os.X_OK):
        remove_dirs(created)
        fail(f"hydra.run.dir: {run_dir} is not writable")
    return created


def remove_dirs(created: list[Path]) -> None:
    """Remove folders this run created, if they are (still) empty."""
    for q in reversed(created):
        try:
            q.rmdir()
        except OSError:
            pass


def cli(argv: list[str]) -> int:
    if argv[1:2] == ["--params"]:  # every key with unit, default, range, meaning, source (sim.paramdoc)
        from sim.paramdoc import main as list_params
        return list_params(argv[2:])
    precheck_groups(argv)
    run_dir = precompose(argv)
    created = make_run_dir(run_dir) if run_dir is not None else []
    sys.argv[:] = argv
    code = 0
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_FAILED)
        # Hydra reports its own composition errors with exit code 1: bad input like ours
        if code == EXIT_FAILED and not STATE["app_ran"] and not _callbacks_ran():
            code = EXIT_BAD_INPUT
    except KeyboardInterrupt:
        code = 130
    if code != 0:
        remove_dirs(created)
    return code


def _callbacks_ran() -> bool:
    cb = sys.modules.get("hydra_callbacks")
    return bool(cb and getattr(cb, "STATE", {}).get("ran"))


if __name__ == "__main__":
    sys.exit(cli(list(sys.argv)))
