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
    """``run.cli`` in this process, with the same exit code and output as :func:`run_cli`
    but no interpreter start and no imports (about 1.5 s less per call). For refused inputs
    and for whole runs and sweeps on the serial launcher; what needs a process of its own
    (signals, kills, closed pipes, resource limits, a fresh interpreter) uses run_cli."""
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


def shared_once(tmp_path_factory, name: str, make) -> Path:
    """A folder made once per test session by ``make(folder)``, shared by the test workers
    (pytest-xdist's documented pattern: the first worker makes it under a file lock, the
    others wait and reuse it). Readers must not change it: copy it first."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp().parent  # the session's folder, common to all workers
    folder, done = root / name, root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            make(folder)
            done.write_text("ok")
    return folder


SCEN = ROOT / "scenarios"


def scenario_params(name: str, days: float, drain_days: float | None = None) -> dict:
    """A shipped scenario composed exactly as run.py composes it, with a shorter horizon
    (and, where given, a shorter drain: for tests whose checks are over the horizon only)."""
    from compose import scenario_dict

    import datetime as dt

    d = scenario_dict(name)
    d["run"] = {"horizon_days": days, "warmup_days": days / 10, "start_date": d["run"]["start_date"]}
    if drain_days is not None:
        d["run"]["drain_days"] = drain_days
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


TINY = ("-m", "experiment=tiny")
"""The tiny sweep of conf/experiment/tiny.yaml: M/M/c with 2 or 3 crews, seeds 1-3."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny sweep (6 runs), run once per session for the tests that read it or start
    from a copy of it; ``(folder, its command's stdout)``."""

    def make(d):
        r = run_cli(*TINY, f"hydra.sweep.dir={d}")
        assert r.returncode == 0, r.stderr[-3000:]
        (d.parent / "tiny.stdout").write_text(r.stdout)

    d = shared_once(tmp_path_factory, "tiny_sweep", make)
    return d, (d.parent / "tiny.stdout").read_text()
