"""Shared helpers: running the CLI as a user would, and small parameter sets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python run.py ARGS`` from the repo root, capturing output."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env=e, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


SCEN = ROOT / "scenarios"


def scenario_params(name: str, days: float) -> dict:
    """A shipped scenario composed exactly as run.py composes it (defaults, inheritance),
    as a plain dict with a shorter horizon."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    import run  # registers the model defaults in Hydra's ConfigStore

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=[f"scenario={name}"])
    d = OmegaConf.to_container(cfg, resolve=True)
    for k in run.APP_KEYS:
        d.pop(k, None)
    d["run"] = {"horizon_days": days, "warmup_days": days / 10, "start_date": d["run"]["start_date"]}
    return d
