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


def run_inproc(*args: str) -> subprocess.CompletedProcess:
    """``run.cli`` in this process (for inputs refused before a run: no interpreter start,
    so about 10x faster than :func:`run_cli`), with the same exit code and output."""
    import contextlib
    import io

    import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run.cli(["run.py", *args], signals=False)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


SCEN = ROOT / "scenarios"


def scenario_params(name: str, days: float) -> dict:
    """A shipped scenario composed exactly as run.py composes it, with a shorter horizon."""
    from compose import scenario_dict

    import datetime as dt

    d = scenario_dict(name)
    d["run"] = {"horizon_days": days, "warmup_days": days / 10, "start_date": d["run"]["start_date"]}
    start = dt.date.fromisoformat(d["run"]["start_date"])
    for ev in (d.get("events") or {}).values():  # a surge moved inside the shorter span (one outside is refused)
        ev["start_date"] = str(start + dt.timedelta(days=int(days / 3)))
    return d


def model_and_run(name: str, days: float, seed: int):
    """A shipped scenario's model (kept, for tests that read its agents) and its records,
    with a shorter horizon and the given seed: ``(model, result)``."""
    from sim import params_from_dict
    from sim.model import GovernanceModel

    d = scenario_params(name, days)
    d["seed"] = seed
    m = GovernanceModel(params_from_dict(d))
    return m, m.run()
