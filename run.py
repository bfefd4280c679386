"""Command-line entry point (Hydra). Thin: compose config, build parameters, run, write.

    python run.py                                  # default scenario, one run, report
    python run.py scenario=mmc mmc.servers=3 seed=7 hydra.run.dir=results/x
    python run.py -m experiment=grid_size          # a sweep

A bad value prints one line naming the key and what is allowed, and exits with code 2.
"""

from __future__ import annotations

import sys
import time
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
from omegaconf import DictConfig, OmegaConf  # noqa: E402

from sim import ConfigError, ModelParams, params_from_dict, params_to_dict  # noqa: E402


def default_tree() -> dict:
    """Every model parameter with its default, so any key can be overridden on the command
    line. Catalogue and channels are named mappings, filled in by the scenario."""
    tree = params_to_dict(ModelParams())
    tree["issue_types"] = {}
    tree["channels"] = {}
    tree.pop("validation")
    return tree


ConfigStore.instance().store(name="model_defaults", node=default_tree())
APP_KEYS = ("report", "experiment")


def run_one(cfg: DictConfig) -> dict:
    from sim.model import run_model
    from sim.output import write_run

    t0 = time.perf_counter()
    hc = HydraConfig.get()
    data = OmegaConf.to_container(cfg, resolve=True)
    app = {k: data.pop(k, None) for k in APP_KEYS}
    params = params_from_dict(data)
    res = run_model(params)
    cmd = " ".join(["python", "run.py", *hc.overrides.task])
    return write_run(res, Path(hc.runtime.output_dir), command=cmd, overrides=list(hc.overrides.task),
                     report=bool(app["report"]), t_start=t0)


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    try:
        s = run_one(cfg)
    except ConfigError as e:
        fail(str(e))
    r = s["resolution_time_h"]
    print(f"{s['scenario']} seed {s['seed']}: {s['counts']['closed']:,} closed, "
          f"mean resolution {r['mean'] if r['mean'] is None else round(r['mean'], 2)} h, "
          f"on-time {s['on_time_rate']}; written to {HydraConfig.get().runtime.output_dir}")


def precompose(argv: list[str]) -> None:
    """Compose the config once and build the parameters before Hydra starts a job, so
    that a misspelt key or a bad value is reported in one line with exit code 2 and no
    run directory is created. Sweeps (-m) are checked per job instead."""
    if any(a in ("-m", "--multirun") or a.startswith("--") for a in argv[1:]):
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
    data = OmegaConf.to_container(cfg, resolve=True)
    for k in APP_KEYS:
        data.pop(k, None)
    try:
        params_from_dict(data)
    except ConfigError as e:
        fail(str(e))


def _allowed_hint(text: str, overrides: list[str]) -> str:
    """For an unknown key, the keys its parent allows (composed without that override)."""
    import re

    from hydra import compose

    m = re.search(r"override '([^']+)'", text)
    if not m or "." not in m.group(1):
        return ""
    parent, _ = m.group(1).rsplit(".", 1)
    rest = [o for o in overrides if not o.lstrip("+~").startswith(m.group(1))]
    try:
        with __import__("hydra").initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
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
