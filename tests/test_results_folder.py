"""A results folder you can trust (issue 23): identity, whole-set commits, signals,
designs, Hydra's own flags, sizes, statistics guards and one-line messages.

Each test can fail: it changes one thing and checks the folder byte for byte, the exit
code and the one line. Cases refused before a run are checked in-process
(:func:`conftest.run_inproc`, the same code as the command line); a few run the real
command because what they test is the process (signals, a closed stdout).
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from conftest import ROOT, run_cli, run_inproc

TINY = ["scenario=mmc", "run.horizon_days=3", "run.warmup_days=0.5", "report.enabled=false",
        "mmc.arrival_rate_per_h=2", "mmc.servers=3"]


def snapshot(root: Path) -> dict:
    """Every name under ``root`` (hidden ones too) with its bytes ("<dir>" for folders)."""
    return {p.relative_to(root).as_posix(): ("<dir>" if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


def one_line(r, needle: str, code: int = 2) -> str:
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def done_run(tmp_path_factory) -> Path:
    """A complete tiny run, written by the real command."""
    d = tmp_path_factory.mktemp("runs") / "done"
    r = run_cli(*TINY, "seed=1", f"hydra.run.dir={d}")
    assert r.returncode == 0, r.stderr
    return d


def copy_of(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


# --------------------------------------------------------------------------- identity


def test_manifest_records_config_hash_and_every_file_checksum(done_run):
    from sim.store import sha256_file, verify

    m = json.loads((done_run / "manifest.json").read_text())
    assert len(m["config_hash"]) == 64
    files = set(m["files"])
    on_disk = {p.relative_to(done_run).as_posix() for p in done_run.rglob("*") if p.is_file()} - {"manifest.json"}
    assert files == on_disk and "summary.json" in files and ".hydra/config.yaml" in files
    assert all(sha256_file(done_run / n) == h for n, h in m["files"].items())
    assert verify(done_run, m["config_hash"]) is None
    assert verify(done_run, "0" * 64) == "its configuration differs (config_hash)"


@pytest.mark.parametrize("damage", ["truncate issues", "edit a KPI", "remove backlog"])
def test_a_damaged_run_is_not_complete(done_run, tmp_path, damage):
    from sim.store import verify

    d = copy_of(done_run, tmp_path / "d")
    if damage == "truncate issues":
        os.truncate(d / "issues.parquet", 100)
    elif damage == "edit a KPI":
        s = (d / "summary.json").read_text()
        (d / "summary.json").write_text(s.replace('"closed": ', '"closed": 9', 1))
    else:
        (d / "backlog.parquet").unlink()
    assert verify(d) is not None


def test_commit_replaces_the_whole_set(done_run, tmp_path):
    """A report, .hydra/ and run.log of an earlier run never stay beside new results."""
    d = copy_of(done_run, tmp_path / "d")
    (d / "report.md").write_text("an earlier report: seed 1")
    (d / "report.html").write_text("<p>seed 1</p>")
    (d / "backlog.png").write_bytes(b"\x89PNG old")
    (d / "failed.json").write_text("{}")
    (d / "notes.txt").write_text("mine")  # not a result file: left alone
    r = run_inproc(*TINY, "seed=2", f"hydra.run.dir={d}")
    assert r.returncode == 0, r.stderr
    names = {p.name for p in d.iterdir()}
    assert not names & {"report.md", "report.html", "backlog.png", "failed.json"}
    assert (d / "notes.txt").read_text() == "mine"
    assert json.loads((d / "summary.json").read_text())["seed"] == 2
    from sim.store import verify

    assert verify(d) is None


# --------------------------------------------------------------------------- signals


@pytest.mark.parametrize("sig,at", [("sigint", 0), ("sigterm", 4), ("sighup", 99)],
                         ids=["SIGINT before the first move", "SIGTERM mid-commit", "SIGHUP after the last move"])
def test_a_signal_during_the_commit_leaves_the_folder_byte_identical(done_run, tmp_path, sig, at):
    d = copy_of(done_run, tmp_path / "d")
    before = snapshot(d)
    n_moves = len(json.loads((d / "manifest.json").read_text())["files"]) + 1
    at = min(at, n_moves)  # 99: the check after the last move, before the point of no return
    r = run_cli(*TINY, "seed=3", f"hydra.run.dir={d}", env={"SIM_TEST_FAULT": f"commit:{at}:{sig}"})
    code = {"sigint": 130, "sigterm": 143, "sighup": 129}[sig]
    assert one_line(r, "interrupted: nothing written", code)
    assert snapshot(d) == before


def test_a_signal_after_the_point_of_no_return_says_the_results_are_complete(done_run, tmp_path):
    d = copy_of(done_run, tmp_path / "d")
    n_moves = len(json.loads((d / "manifest.json").read_text())["files"]) + 1
    r = run_cli(*TINY, "seed=3", f"hydra.run.dir={d}", env={"SIM_TEST_FAULT": f"commit:{n_moves + 1}:sigterm"})
    line = one_line(r, "interrupted: the results were already complete in", 143)
    assert str(d) in line
    from sim.store import verify

    assert verify(d) is None and json.loads((d / "summary.json").read_text())["seed"] == 3


def test_a_signal_into_a_new_folder_leaves_no_folder(tmp_path):
    d = tmp_path / "new" / "run"
    r = run_cli(*TINY, f"hydra.run.dir={d}", env={"SIM_TEST_FAULT": "commit:2:sigterm"})
    one_line(r, "interrupted: nothing written", 143)
    assert not (tmp_path / "new").exists()


def test_sigterm_mid_run_leaves_no_folder(tmp_path):
    """A real signal while the model runs (not through the commit hook)."""
    d = tmp_path / "new"
    p = subprocess.Popen([sys.executable, "run.py", "scenario=mmc", "run.horizon_days=4000", "run.warmup_days=1",
                          "report.enabled=false", f"hydra.run.dir={d}"], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (d / "..").exists() or not d.exists():  # the folder exists once the checks passed
        assert time.time() < deadline and p.poll() is None
        time.sleep(0.05)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143, err
    assert err.strip().splitlines() == ["interrupted: nothing written"], err
    assert not d.exists()


def test_sigkill_mid_commit_is_undone_by_the_next_run(done_run, tmp_path):
    from sim.store import remove_stale_stages

    d = copy_of(done_run, tmp_path / "d")
    before = snapshot(d)
    r = run_cli(*TINY, "seed=4", f"hydra.run.dir={d}", env={"SIM_TEST_FAULT": "commit:5:sigkill"})
    assert r.returncode == -signal.SIGKILL
    assert snapshot(d) != before  # half a commit is on disk, with its journal in the stage
    assert remove_stale_stages(d)  # what the next run (or a resume) does first
    assert snapshot(d) == before


# --------------------------------------------------------------------------- one writer


def test_a_second_run_into_a_busy_folder_is_refused(done_run, tmp_path):
    from sim.store import locked

    d = copy_of(done_run, tmp_path / "d")
    before = snapshot(d)
    with locked(d):
        one_line(run_inproc(*TINY, f"hydra.run.dir={d}"), "is in use by another run")
    assert snapshot(d) == before


# --------------------------------------------------------------------------- sweeps


@pytest.fixture(scope="module")
def sweep(tiny) -> Path:
    """The tiny sweep, made once per session (conftest.tiny): read it, or copy it first."""
    return tiny[0]


def test_a_sweep_records_its_design(sweep):
    d = json.loads((sweep / "design.json").read_text())
    assert d["factors"] == {"mmc.servers": ["2", "3"], "seed": ["1", "2", "3"]}
    assert len(d["jobs"]) == 6 and d["jobs"][0] == ["mmc.servers=2", "seed=1", "experiment=tiny"]
    assert not (sweep / ".running").exists()


def test_another_design_into_the_same_folder_is_refused(sweep):
    before = snapshot(sweep)
    line = one_line(run_inproc("-m", "experiment=tiny", "run.horizon_days=5", f"hydra.sweep.dir={sweep}"),
                    f"hydra.sweep.dir: {sweep} holds another design")
    assert "run.horizon_days=5" in line and "hydra.sweep.dir=" in line
    one_line(run_inproc("-m", "experiment=tiny", "mmc.servers=2,4", f"hydra.sweep.dir={sweep}"),
             "mmc.servers: 2,3 there, 2,4 here")
    assert snapshot(sweep) == before


def test_a_damaged_design_record_is_named_as_such(sweep, tmp_path):
    d = copy_of(sweep, tmp_path / "d")
    os.truncate(d / "design.json", 40)
    before = snapshot(d)
    one_line(run_inproc("-m", "experiment=tiny", f"hydra.sweep.dir={d}"), "cannot be read")
    assert snapshot(d) == before


def test_runs_of_an_unrecorded_design_are_refused(sweep, tmp_path):
    root = tmp_path / "old"
    copy_of(sweep / "0", root / "0")
    one_line(run_inproc("-m", "experiment=tiny", f"hydra.sweep.dir={root}"), "design was not recorded")


def test_named_experiments_get_a_folder_per_design(tmp_path, monkeypatch):
    import run

    plans = {}
    for levels in ("2,3", "2,4"):
        argv = ["run.py", "-m", "experiment=tiny", f"mmc.servers={levels}"]
        ov, multi = run.precheck_flags(argv)
        plans[levels] = run.precompose(argv, ov, multi, printing=False).folder
        assert argv[-1] == f"hydra.sweep.dir='{plans[levels]}'"
    assert plans["2,3"].parent == plans["2,4"].parent == ROOT / "results" / "sweeps" / "tiny"
    assert plans["2,3"] != plans["2,4"]


def test_resume_reruns_damaged_runs_and_ignores_foreign_folders(sweep, tmp_path):
    root = copy_of(sweep, tmp_path / "s")
    os.truncate(root / "0" / "summary.json", 50)  # killed or damaged
    s = (root / "1" / "summary.json").read_text()
    (root / "1" / "summary.json").write_text(s.replace('"closed": ', '"closed": 7', 1))  # edited
    os.truncate(root / "2" / "issues.parquet", 10)
    (root / "2024").mkdir()  # a user's own folder
    (root / "2024" / "notes.txt").write_text("mine")
    r = run_inproc("-m", "experiment=tiny", f"hydra.sweep.dir={root}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("skipped (already complete)") == 3, r.stdout
    assert "sweep: 6/6 runs ok" in r.stderr
    import pandas as pd

    runs = pd.read_parquet(root / "runs.parquet")
    assert sorted(runs["run"]) == list(range(6)) and set(runs["status"]) == {"ok"}
    assert pd.read_parquet(sweep / "runs.parquet")["kpi.resolution_time_h.mean"].tolist() == \
        runs["kpi.resolution_time_h.mean"].tolist()
    assert (root / "2024" / "notes.txt").read_text() == "mine"


def test_aggregation_reports_a_corrupt_run_by_name(sweep, tmp_path):
    from sim.experiments.design import read
    from sim.experiments.experiment import collect_runs

    root = copy_of(sweep, tmp_path / "s")
    os.truncate(root / "3" / "backlog.parquet", 10)
    runs = collect_runs(root, read(root)).set_index("run")
    assert runs.loc[3, "status"] == "corrupt" and "backlog.parquet" in runs.loc[3, "error"]
    assert (runs.drop(index=3)["status"] == "ok").all()


@pytest.mark.parametrize("args,needle", [
    (["seed=1,1"], "seed: the levels 1, 1 are the same value"),
    (["seed=1,1.0"], "seed: the levels 1, 1.0 are the same value"),
    (["mmc.servers=2,2.0"], "mmc.servers: the levels 2, 2.0 are the same value"),
    (["seed=1,range(1,2)"], "seed: cannot read the levels '1,range(1,2)'"),
    (["seed=range(1,3),5"], "seed: cannot read the levels 'range(1,3),5'"),
    (["seed=range(0,100000000)"], "more than run.max_jobs (10,000)"),
    (["seed=range(0,20)", "run.max_jobs=10"], "more than run.max_jobs (10)"),
    (["seed=range(3,3)"], "seed: the sweep gives this factor no level"),
    (["hydra.sweep.subdir=same"], "hydra.sweep.subdir: must stay ${hydra.job.num}"),
    (["experiment=sensitivity"], "experiment=sensitivity is not a sweep"),
], ids=["duplicate seeds", "1 and 1.0", "2 and 2.0", "a list holding a range", "a range and a value", "a hundred million runs", "max_jobs",
        "empty range", "subdir", "sensitivity with -m"])
def test_bad_sweeps_are_refused_before_launch(tmp_path, args, needle):
    t0 = time.perf_counter()
    one_line(run_inproc("-m", "experiment=tiny", *args, f"hydra.sweep.dir={tmp_path / 'new'}"), needle)
    assert time.perf_counter() - t0 < 30  # the size is checked before the design is expanded
    assert not (tmp_path / "new").exists()


def test_a_ci_from_fewer_than_3_pairs_is_marked():
    import numpy as np

    from sim.experiments.experiment import paired_comparison

    assert paired_comparison(np.array([1.0, 2.0]), np.array([1.5, 2.7]))["few_pairs"] is True
    assert paired_comparison(np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.7, 3.1]))["few_pairs"] is False


# --------------------------------------------------------------------------- Hydra's own flags and keys


@pytest.mark.parametrize("args,needle", [
    (["hydra/job_logging=default"], "hydra/job_logging: Hydra's own setting cannot be changed"),
    (["hydra.output_subdir=.hydra"], "hydra.output_subdir: Hydra's own setting cannot be changed"),
    (["hydra.job.chdir=true"], "hydra.job.chdir"),
    (["--config-dir", "/tmp"], "--config-dir: not supported here"),
    (["--config-name=other"], "--config-name: not supported here"),
    (["-cn", "other"], "-cn: not supported here"),
    (["--frobnicate"], "--frobnicate: unknown option"),
    (["experiment=tiny"], "experiment=tiny is a sweep: run it with -m"),
    (["scenario=/abs/path/x.yaml"], "scenario: give the name of a file"),
    (["report.village=新河镇3村"], "quote"),
    (["-m", "--cfg", "job"], "-m and --cfg: only one of"),
    (["--resolve"], "--resolve: goes with --cfg"),
    (["--cfg", "bogus"], "--cfg: must be followed by job, hydra or all"),
    (["--shell-completion"], "--shell-completion: not supported here"),
], ids=["job_logging", "output_subdir", "chdir", "config-dir", "config-name", "cn", "unknown flag",
        "experiment without -m", "scenario path", "unquoted Chinese", "two modes", "resolve alone", "cfg bogus",
        "shell completion"])
def test_hydra_flags_and_traps_are_one_line(done_run, tmp_path, args, needle):
    d = copy_of(done_run, tmp_path / "d")
    before = snapshot(d)
    one_line(run_inproc(*TINY, *args, f"hydra.run.dir={d}"), needle)
    assert snapshot(d) == before


def test_a_run_into_a_sweep_and_a_sweep_into_a_run_are_refused(sweep, done_run, tmp_path):
    """Single runs and sweeps never share a folder: a run into a sweep's root or into one of
    its numbered runs, and a sweep into a single run's folder, are one line, nothing changed."""
    sw = copy_of(sweep, tmp_path / "sw")
    run = copy_of(done_run, tmp_path / "run")
    before = snapshot(tmp_path)
    one_line(run_inproc(*TINY, f"hydra.run.dir={sw}"), "hydra.run.dir: ")
    one_line(run_inproc(*TINY, f"hydra.run.dir={sw / '0'}"), "is run 0 of the sweep in")
    one_line(run_inproc("-m", "experiment=tiny", "run.horizon_days=4", f"hydra.sweep.dir={run}"),
             "holds a single run's results")
    assert snapshot(tmp_path) == before


def test_a_flag_after_the_overrides_is_read_as_a_flag(tmp_path):
    """``python run.py experiment=tiny -m``: Hydra wants its flags first; run.py moves them."""
    d = tmp_path / "sw"
    r = run_inproc("experiment=tiny", "seed=1", "mmc.servers=2,3", f"hydra.sweep.dir={d}", "-m")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (d / "runs.parquet").is_file()


def test_a_path_too_long_is_one_line(tmp_path):
    d = tmp_path / "/".join(["x" * 200] * 25)
    one_line(run_inproc(*TINY, f"hydra.run.dir={d}"), "hydra.run.dir: the path is too long")
    assert not (tmp_path / ("x" * 200)).exists()


def test_the_last_line_survives_a_closed_stdout(tmp_path):
    d = tmp_path / "r"
    args = " ".join(TINY)
    r = subprocess.run(["bash", "-c", f"'{sys.executable}' run.py {args} hydra.run.dir={d} | true; "
                                      f"echo ${{PIPESTATUS[0]}}"], cwd=ROOT, capture_output=True, text=True)
    assert r.stdout.strip() == "0", r.stderr
    assert r.stderr == ""
    assert (d / "summary.json").is_file()


@pytest.mark.parametrize("flag", ["--help", "--params", "--cfg job"])
def test_printing_into_a_closed_pipe_is_quiet(flag):
    p = subprocess.Popen([sys.executable, "run.py", *flag.split()], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdout.close()  # the reader is gone before anything is written
    err = p.stderr.read()
    assert p.wait(timeout=120) == 0 and err == "", err[-2000:]


# --------------------------------------------------------------------------- the plain function and errors


def test_config_error_pickles_across_processes():
    from sim.errors import ConfigError

    e = pickle.loads(pickle.dumps(ConfigError("a.b", "must be > 0")))
    assert (e.key, e.message, str(e)) == ("a.b", "must be > 0", "a.b: must be > 0")


def test_simulate_composes_the_named_scenario():
    from compose import scenario_dict
    from sim import params_from_dict, params_to_dict
    from sim.errors import ConfigError
    from sim.scenarios import with_scenario

    for name in ("chongming_town", "pre_reform", "village"):
        assert params_to_dict(params_from_dict(with_scenario({"scenario": name, "seed": 3}))) == \
            params_to_dict(params_from_dict(scenario_dict(name, ["seed=3"])))
    with pytest.raises(ConfigError, match="scenario: unknown scenario 'nosuch'"):
        with_scenario({"scenario": "nosuch"})


def test_sensitivity_input_errors_are_bad_input():
    from compose import scenario_dict
    from sim.errors import ConfigError
    from sim.experiments.sensitivity import check_spec

    base = scenario_dict("village")
    ok = {"sensitivity": {"params": {"levels.town.p_fail_attempt": [0.02, 0.2]}, "n": 2}, "n_jobs": 2}
    check_spec(ok, base)
    bad = [({**ok, "n_jobs": "abc"}, "experiment.n_jobs"),
           ({**ok, "sensitivity": {**ok["sensitivity"], "n": 0}}, "experiment.sensitivity.n"),
           ({**ok, "sensitivity": {**ok["sensitivity"], "params": {"levels.town.p_fail_attempt": [0.5, 2.0]}}},
            "experiment.sensitivity.params.levels.town.p_fail_attempt"),
           ({**ok, "sensitivity": {**ok["sensitivity"], "params": {"teams.training_level": ["a", "b"]}}},
            "experiment.sensitivity.params.teams.training_level"),
           ({**ok, "sensitivity": {**ok["sensitivity"], "kpi": "nope.mean"}}, "experiment.sensitivity.kpi"),
           ({**ok, "sensitivity": {**ok["sensitivity"], "kpi": "time_to_fix_h"}}, "experiment.sensitivity.kpi"),
           ({**ok, "sensitivity": {**ok["sensitivity"], "kpi": "cost"}}, "experiment.sensitivity.kpi")]
    for spec, key in bad:
        with pytest.raises(ConfigError) as e:
            check_spec(spec, base)
        assert e.value.key == key


# --------------------------------------------------------------------------- the guard counts every driver


def test_the_guard_counts_surges_rounds_and_map_sizes():
    from compose import scenario_dict
    from sim import params_from_dict
    from sim.guard import estimate

    base = scenario_dict("village")
    e0 = estimate(params_from_dict(base))
    surge = dict(base, events=[{"name": "t", "extra_issues": 5_000_000, "types": ["sanitation"],
                                "start_date": "2025-03-01"}])
    assert estimate(params_from_dict(surge)).counts()["surge_issues"] == 5e6
    assert estimate(params_from_dict(surge)).memory_bytes > e0.memory_bytes + 5e6 * 1900
    fast = scenario_dict("village", ["channels.patrol.period_h=0.001"])
    assert estimate(params_from_dict(fast)).events >= 24 * 365 / 0.001
    big = estimate(params_from_dict(base), {"households": 100, "residents": 100_000})
    assert big.counts()["residents"] == 100_000


def test_a_surge_outside_the_horizon_is_refused():
    from compose import scenario_dict
    from sim import check, params_from_dict
    from sim.errors import ConfigError

    with pytest.raises(ConfigError, match="events.typhoon.start_date: 2025-09-15 is outside the simulated span"):
        check(params_from_dict(scenario_dict("chongming_town_typhoon", ["run.horizon_days=60"])))


# --------------------------------------------------------------------------- the stateful property


class FolderMachine(RuleBasedStateMachine):
    """Runs, interrupts at random points of the commit, damage to files, and resumes, in
    random order, on one run folder of a tiny model. After every step the folder is either
    byte-identical to before the step or a complete, checksummed result of the step's
    configuration, and no staging folder is left."""

    @initialize()
    def start(self):
        import tempfile

        self.dir = Path(tempfile.mkdtemp()) / "run"
        self.before: dict | None = None
        self.expect: str | None = None  # the config hash the folder must verify against, if any

    def _write(self, seed: int, fault: int | None, kind: str):
        from compose import scenario_dict
        from sim import params_from_dict, run_model, store
        from sim.output import write_run

        p = params_from_dict(scenario_dict("mmc", ["run.horizon_days=2", "run.warmup_days=0.2", f"seed={seed}",
                                                   "mmc.servers=2", "mmc.arrival_rate_per_h=1"]))
        res = run_model(p)
        self.before = snapshot(self.dir) if self.dir.exists() else None

        def hook(k):
            if k == fault:
                raise store.Interrupted(signal.SIGINT) if kind == "interrupt" else OSError(5, "injected")

        store.FAULT = hook
        try:
            write_run(res, self.dir, report=False, config_hash=f"{seed:064d}")
            self.expect = f"{seed:064d}"
            self.before = None
        except (store.Interrupted, OSError):
            pass
        finally:
            store.FAULT = None

    @rule(seed=st.integers(0, 3), fault=st.one_of(st.none(), st.integers(0, 12)),
          kind=st.sampled_from(["interrupt", "error"]))
    def run(self, seed, fault, kind):
        self._write(seed, fault, kind)

    @precondition(lambda self: self.dir.exists() and (self.dir / "manifest.json").exists())
    @rule(name=st.sampled_from(["summary.json", "issues.parquet", "backlog.parquet"]), how=st.sampled_from(
        ["truncate", "edit"]))
    def damage(self, name, how):
        p = self.dir / name
        if how == "truncate":
            os.truncate(p, max(0, p.stat().st_size // 2))
        else:  # an edit that never undoes an earlier one
            with open(p, "ab") as f:
                f.write(b" ")
        from sim.store import verify

        assert verify(self.dir) is not None  # damage is always seen
        self.expect = None
        self.before = None  # the folder changed on purpose

    @invariant()
    def folder_is_old_or_complete(self):
        from sim.store import verify

        if not hasattr(self, "dir") or not self.dir.exists():
            return
        assert not list(self.dir.glob(".partial-*"))
        if self.before is not None:  # the last write failed: nothing changed
            assert snapshot(self.dir) == self.before
        elif self.expect is not None:
            assert verify(self.dir, self.expect) is None


TestFolderMachine = FolderMachine.TestCase
TestFolderMachine.settings = settings(max_examples=5, stateful_step_count=6, deadline=None,
                                      suppress_health_check=list(HealthCheck))


def test_a_new_sweep_interrupted_at_its_first_commit_leaves_no_folder(tmp_path):
    d = tmp_path / "new_sweep"
    r = run_cli("-m", "experiment=tiny", "seed=1,2", f"hydra.sweep.dir={d}", env={"SIM_TEST_FAULT": "commit:0:sigint"})
    one_line(r, "interrupted: nothing written", 130)
    assert not d.exists()  # Hydra's multirun.yaml included


def test_an_interrupted_resume_leaves_the_sweep_folder_byte_identical(sweep, tmp_path):
    """A resume with another launcher (not part of the design) interrupted in its commit:
    Hydra's rewritten multirun.yaml is put back too."""
    d = copy_of(sweep, tmp_path / "d")
    before = snapshot(d)
    r = run_cli("-m", "experiment=tiny", f"hydra.sweep.dir={d}", "hydra/launcher=local_parallel",
                "hydra.launcher.n_jobs=1", env={"SIM_TEST_FAULT": "commit:0:sigint"})
    assert r.returncode == 130, r.stderr[-2000:]
    assert snapshot(d) == before


def test_a_signal_before_the_command_is_read_is_one_line():
    """The handlers run.py installs before its imports (most of a second): one line, 128 +
    the signal's number, nothing else."""
    prelude = (ROOT / "run.py").read_text().split("\nimport hydra")[0]
    code = prelude + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGTERM)\nimport time\ntime.sleep(5)\n"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 143 and r.stderr == "interrupted: nothing written\n", (r.returncode, r.stderr)


def test_a_signal_in_library_code_waits_for_our_code():
    """Inside Hydra's code (deferred) a signal is recorded, not raised mid-way (which broke
    OmegaConf's bookkeeping into a traceback); our code (live) raises it at once, and the end
    of the deferral raises one still pending."""
    from sim import store

    with pytest.raises(store.Interrupted) as e:
        with store.signals_deferred():
            store._raise_interrupted(signal.SIGINT, None)  # what the handler does
            reached = True  # the library's code goes on
            with store.signals_deferred(live=True):
                pass  # never entered: the recorded signal is raised here
    assert reached and e.value.signum == signal.SIGINT and not store._PENDING
    with pytest.raises(store.Interrupted) as e:
        with store.signals_deferred():
            store._raise_interrupted(signal.SIGTERM, None)
    assert e.value.signum == signal.SIGTERM and not store._DEFER[0]
    with pytest.raises(store.Interrupted):
        store._raise_interrupted(signal.SIGHUP, None)  # outside any deferral: at once


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")  # the child only sleeps
def test_a_forked_worker_ends_quietly_on_a_signal(capfd):
    """Workers forked after the handlers are installed (pyabc's samplers) inherit them: on a
    signal they end with 128 + signum and no traceback; the parent reports, once."""
    import multiprocessing as mp
    import signal as sig
    import time

    from sim import store

    old = {s: sig.getsignal(s) for s in store.HELD}
    store.install_signal_handlers()
    try:
        child = mp.get_context("fork").Process(target=time.sleep, args=(30,))
        child.start()
        time.sleep(0.3)
        os.kill(child.pid, sig.SIGTERM)
        child.join(10)
    finally:
        for s, h in old.items():
            sig.signal(s, h)
    assert child.exitcode == 128 + sig.SIGTERM
    assert "Traceback" not in capfd.readouterr().err
