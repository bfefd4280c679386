"""SLURM for real: a one-node cluster (tests/slurm_cluster.py) runs a small sweep through
``hydra/launcher=slurm`` (submitit), and its runs.parquet equals the local sweep's.

Needs Debian's slurm-wlm and munge (``.ci/run`` installs them) and root. Where they are
missing the test is skipped, except in CI (``CI`` set), where it fails: CI must run it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from slurm_cluster import LocalSlurm, missing_binaries

pytestmark = pytest.mark.slow  # the integration tier: python -m pytest -n 2 -m slow (CI runs it)

SWEEP = ("-m", "experiment=tiny", "seed=1,2", "mmc.servers=2,3", "run.horizon_days=10", "run.warmup_days=1")
"""4 runs of the M/M/c sweep, 10 days each: a few seconds."""


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    why = None
    if missing_binaries():
        why = f"SLURM is not installed ({', '.join(missing_binaries())} missing: apt-get install slurm-wlm munge)"
    elif os.geteuid() != 0:
        why = "the test cluster runs as root (SlurmUser=root)"
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the SLURM test: {why}")
        pytest.skip(why)
    with LocalSlurm(tmp_path_factory.mktemp("slurm")) as cluster:
        pids = [p.pid for p in cluster.procs]
        assert len(pids) == 3  # munged, slurmctld, slurmd
        yield cluster
    gone = [not Path(f"/proc/{pid}").exists() for pid in pids]  # __exit__ stopped (and reaped) every daemon
    assert all(gone), pids


def _comparable(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs and their KPIs, without wall-clock columns (the only ones allowed to differ)."""
    timing = [c for c in runs.columns if "timing" in c or c.endswith("wall_s") or c.endswith("_wall")]
    return runs.drop(columns=timing).sort_values("run").reset_index(drop=True)


# about 17 s: a local sweep, then the same 4 runs as SLURM jobs
def test_slurm_sweep_equals_the_local_sweep(slurm, cli, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "slurm"
    r = cli(*SWEEP, f"hydra.sweep.dir={local}", timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    s = cli(*SWEEP, f"hydra.sweep.dir={remote}", "hydra/launcher=slurm", f"hydra.launcher.partition={slurm.partition}",
            "hydra.launcher.mem_gb=1", "hydra.launcher.timeout_min=5", env=slurm.env, timeout=180)
    assert s.returncode == 0, s.stderr[-3000:] + slurm.logs()
    a, b = pd.read_parquet(local / "runs.parquet"), pd.read_parquet(remote / "runs.parquet")
    assert len(b) == 4 and (b["status"] == "ok").all()
    pd.testing.assert_frame_equal(_comparable(a), _comparable(b))
    # the runs went through SLURM: one submitit job array with a folder per task and its log
    tasks = sorted(p.name for p in (remote / ".submitit").iterdir() if p.is_dir() and "_" in p.name)
    assert len(tasks) == 4
    assert all(any(Path(remote / ".submitit" / t).glob("*_log.out")) for t in tasks)


def test_unknown_partition_is_one_line_and_writes_nothing(slurm, cli, tmp_path):
    d = tmp_path / "bad"
    r = cli(*SWEEP, f"hydra.sweep.dir={d}", "hydra/launcher=slurm", "hydra.launcher.partition=no_such_partition",
            env=slurm.env, timeout=120)
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.strip().count("\n") == 0, r.stderr
    assert "hydra.launcher.partition: unknown partition 'no_such_partition'; allowed: debug" in r.stderr
    assert not d.exists()


def test_too_much_memory_per_job_is_one_line(slurm, cli, tmp_path):
    d = tmp_path / "big"
    r = cli(*SWEEP, f"hydra.sweep.dir={d}", "hydra/launcher=slurm", f"hydra.launcher.partition={slurm.partition}",
            "hydra.launcher.mem_gb=100000", env=slurm.env, timeout=120)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0, r.stderr[-2000:]
    assert "hydra.launcher.mem_gb" in r.stderr and not d.exists()
