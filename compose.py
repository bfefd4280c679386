"""Compose a scenario's parameters exactly as ``run.py`` does, without running Hydra's
app machinery: for tests, benchmarks and notebooks.

    from compose import scenario_dict
    d = scenario_dict("chongming_town", ["seed=3", "run.horizon_days=90"])
    from sim import simulate; simulate(d)
"""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore

from hydra_checks import resolved
from sim.config import model_data, register

ROOT = Path(__file__).resolve().parent
register(ConfigStore.instance())  # the model defaults, as run.py registers them


def compose_config(overrides: list[str]):
    """The composed config (with Hydra's defaults lists, scenarios and experiments)."""
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def scenario_dict(name: str, overrides: list[str] | tuple = ()) -> dict:
    """Model parameters (plain dict) of scenario ``name`` with command-line style overrides."""
    return model_data(resolved(compose_config([f"scenario={name}", *overrides])))
