"""Command-line entry point (Hydra). Thin: compose config, build parameters, run, write.

    python run.py                                  # default scenario, one run, report
    python run.py scenario=mmc mmc.servers=3 seed=7 hydra.run.dir=results/x
    python run.py -m experiment=grid_size          # a sweep

A bad value prints one line naming the key and what is allowed, and exits with code 2.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SCENARIOS = ROOT / "scenarios"
EXIT_BAD_INPUT = 2


def fail(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


def available(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def precheck_groups(argv: list[str]) -> None:
    """Reject an unknown scenario or experiment before Hydra composes anything."""
    for arg in argv[1:]:
        for key, folder in (("scenario", SCENARIOS), ("experiment", ROOT / "conf" / "experiment")):
            if arg.startswith(key + "="):
                for name in arg.split("=", 1)[1].split(","):
                    if name and not (folder / f"{name}.yaml").is_file():
                        fail(f"{key}: unknown {key} {name!r}; allowed: {', '.join(available(folder))}")


import hydra  # noqa: E402
from hydra.core.config_store import ConfigStore  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from hydra.types import RunMode  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402

from sim import ConfigError, ModelParams, params_from_dict, params_to_dict  # noqa: E402
from sim.reporting.options import check_village, report_options  # noqa: E402


def default_tree() -> dict:
    """Every model parameter with its default, so any key can be overridden on the command
    line. Lists of named entries (catalogue, channels, departments, events) are named
    mappings, filled in by the scenario."""
    import dataclasses
    import typing

    def tree_of(cls, obj) -> dict:
        out = {}
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            v = getattr(obj, f.name)
            tp = hints[f.name]
            if typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
                out[f.name] = {}
            elif dataclasses.is_dataclass(v):
                out[f.name] = tree_of(type(v), v)
            else:
                out[f.name] = params_to_dict(v)
        return out

    tree = tree_of(ModelParams, ModelParams())
    tree.pop("validation")
    return tree


ConfigStore.instance().store(name="model_defaults", node=default_tree())
APP_KEYS = ("report", "experiment")


def model_data(cfg: DictConfig) -> dict:
    """The model's parameters from a composed config (application keys removed)."""
    data = OmegaConf.to_container(cfg, resolve=True)
    for k in APP_KEYS:
        data.pop(k, None)
    return data


def report_config(cfg: DictConfig):
    """The ``report`` options of a composed config as plain data (validated by
    :func:`sim.reporting.options.report_options`)."""
    r = cfg.get("report")
    return OmegaConf.to_container(r, resolve=True) if isinstance(r, DictConfig) else r


def run_key(data: dict) -> str:
    """Identity of a run for resuming sweeps: hash of the resolved parameters and seed."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run_one(cfg: DictConfig, out: Path, key: str | None = None) -> dict:
    """Build parameters, run the model, write the run directory; return the summary."""
    from sim.model import run_model
    from sim.output import write_run

    t0 = time.perf_counter()
    hc = HydraConfig.get()
    params = params_from_dict(model_data(cfg))
    res = run_model(params)
    mode = ["-m"] if hc.mode == RunMode.MULTIRUN else []
    cmd = " ".join(["python", "run.py", *mode, *hc.overrides.task])
    return write_run(res, out, command=cmd, overrides=list(hc.overrides.task),
                     report=report_options(report_config(cfg), allow_bool=False), t_start=t0,
                     extra_manifest={"run_key": key})


def sweep_job(cfg: DictConfig) -> None:
    """One job of a sweep: skip it if this directory already holds the same completed
    run; otherwise run it, recording any failure in failed.json instead of raising (so the
    other runs continue and the sweep is still aggregated); then report progress."""
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = run_key(model_data(cfg))
    status = "ok"
    man = out / "manifest.json"
    if (out / "summary.json").is_file() and man.is_file() and json.loads(man.read_text()).get("run_key") == key:
        status = "skipped (already complete)"
    else:
        (out / "failed.json").unlink(missing_ok=True)
        try:
            run_one(cfg, out, key)
        except Exception as e:  # noqa: BLE001 - isolate the failure, keep the sweep going
            status = "invalid" if isinstance(e, ConfigError) else "failed"
            (out / "failed.json").write_text(json.dumps({
                "status": status, "error": f"{type(e).__name__}: {e}", "overrides": list(hc.overrides.task),
                "traceback": traceback.format_exc()}, indent=2))
    progress(Path(hc.sweep.dir), hc.job.num, status)


def progress(root: Path, num: int, status: str) -> None:
    """Append to the sweep's progress log and print runs done / total, elapsed, estimate."""
    log = root / "progress.log"
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"{num} {status}\n")
    with open(log, encoding="utf-8") as f:
        done = sum(1 for _ in f)
    plan = root / "sweep_plan.json"
    if plan.is_file():
        p = json.loads(plan.read_text())
        el = time.time() - p["started"]
        eta = el / done * max(p["total"] - done, 0)
        print(f"[{done}/{p['total']}] run {num}: {status}; elapsed {el:.0f} s, about {eta:.0f} s left", flush=True)
    else:
        print(f"[{done}] run {num}: {status}", flush=True)


def sensitivity(cfg: DictConfig) -> None:
    """``experiment.type: sensitivity``: SALib Morris or Sobol over declared parameters."""
    from sim.experiments.sensitivity import run_sensitivity

    spec = OmegaConf.to_container(cfg.experiment, resolve=True)
    out = Path(HydraConfig.get().runtime.output_dir)
    lang = report_options(report_config(cfg), allow_bool=False).lang
    table = run_sensitivity(model_data(cfg), spec["sensitivity"], out, int(spec.get("n_jobs", 2)), lang=lang)
    print(table.to_string(index=False))
    print(f"sensitivity analysis written to {out}")


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    if hc.mode == RunMode.MULTIRUN:
        sweep_job(cfg)
        return
    try:
        if (cfg.get("experiment") or {}).get("type") == "sensitivity":
            sensitivity(cfg)
            return
        s = run_one(cfg, Path(hc.runtime.output_dir))
    except ConfigError as e:
        fail(str(e))
    r, ot = s["resolution_time_h"], s["on_time_rate"]
    print(f"{s['scenario']} seed {s['seed']}: {s['counts']['closed']:,} closed, "
          f"mean resolution {r['mean'] if r['mean'] is None else round(r['mean'], 2)} h, "
          f"on-time {'—' if ot is None else f'{100 * ot:.1f} %'}; written to {hc.runtime.output_dir}")


def precompose(argv: list[str]) -> None:
    """Compose the config once and build the parameters before Hydra starts a job, so
    that a misspelt key or a bad value is reported in one line with exit code 2 and no
    run directory is created. Sweeps (-m) are checked per job instead."""
    if any(a in ("-m", "--multirun") or a.startswith("--") for a in argv[1:]):
        for a in argv[1:]:  # sweeps are composed per job; check the report language here
            if a.startswith("report.lang="):
                try:
                    for lang in a.split("=", 1)[1].split(","):
                        report_options({"lang": lang})
                except ConfigError as e:
                    fail(str(e))
        return
    from hydra import compose, initialize_config_dir

    overrides = [a for a in argv[1:] if not a.startswith(("hydra.", "hydra/"))]
    try:
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            cfg = compose("config", overrides=overrides)
    except Exception as e:  # Hydra/OmegaConf composition errors: report the first lines
        text = " ".join(ln.strip() for ln in str(e).splitlines()
                        if ln.strip() and not ln.strip().startswith(("full_key", "object_type", "Set the environment")))
        fail(text + _allowed_hint(text, overrides))
    data = model_data(cfg)
    try:
        params = params_from_dict(data)
        opts = report_options(report_config(cfg), allow_bool=False)
        if opts.enabled and opts.village is not None:
            check_village(params, opts.village)
    except ConfigError as e:
        fail(str(e))


def _allowed_hint(text: str, overrides: list[str]) -> str:
    """For an unknown key, the keys its parent allows (composed without that override)."""
    import re

    from hydra import compose, initialize_config_dir

    m = re.search(r"override '([^']+)'", text)
    if not m or "." not in m.group(1):
        return ""
    parent, _ = m.group(1).rsplit(".", 1)
    rest = [o for o in overrides if not o.lstrip("+~").startswith(m.group(1))]
    try:
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            node = OmegaConf.select(compose("config", overrides=rest), parent)
        return f"; allowed keys under {parent}: {', '.join(map(str, node.keys()))}" if node is not None else ""
    except Exception:
        return ""


if __name__ == "__main__":
    precheck_groups(sys.argv)
    precompose(sys.argv)
    try:
        main()
    except SystemExit as e:
        # Hydra reports its own composition errors (a misspelt key, a bad override) with
        # one message and exit code 1; they are bad input like ours.
        sys.exit(EXIT_BAD_INPUT if e.code == 1 else e.code)
