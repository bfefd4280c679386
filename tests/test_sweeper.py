"""The sweep's checks before launch and the prechecked sweeper (hydra_plugins/microgrid_sweeper).

Hydra's basic sweeper composes every job of a batch again before launching it; the
prechecked sweeper does not, because run.py has checked every job before anything was
created: every level of a config group (from the command line or from an experiment
file's sweeper params) names a file, each distinct combination of group levels composes,
and every other level merges into it. A failure is one line, exit code 2, no folder.
All in-process (:func:`conftest.run_inproc`): each refusal takes well under a second.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT, run_inproc


def refused(tmp_path, args, needle: str) -> str:
    new = tmp_path / "new" / "sweep"
    r = run_inproc("-m", *args, f"hydra.sweep.dir={new}")
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert needle in lines[0], lines[0]
    assert not (tmp_path / "new").exists()
    return lines[0]


def test_a_bad_group_level_from_an_experiment_file_is_refused(tmp_path, monkeypatch):
    """experiment=team_ratio sweeps team_mix over levels named only in its file; with one of
    those files missing, the sweep is refused by the same rule as team_mix=NAME typed. The
    levels are not on the command line, and run.max_jobs=1 would refuse the sweep's size
    (30 runs) if the level were not checked first."""
    import hydra_checks

    groups = hydra_checks.config_groups()
    mixes = tmp_path / "team_mix"
    shutil.copytree(groups["team_mix"], mixes)
    (mixes / "all_plus20.yaml").unlink()
    monkeypatch.setattr(hydra_checks, "config_groups", lambda: {**groups, "team_mix": mixes})
    line = refused(tmp_path, ["experiment=team_ratio", "run.max_jobs=1"], "team_mix: unknown team_mix 'all_plus20'")
    assert "allowed: all_minus20, as_scenario" in line  # the folder's files, as for a level typed


def test_a_group_level_typed_on_the_command_line_is_refused_by_the_same_rule(tmp_path):
    refused(tmp_path, ["experiment=tiny", "team_mix=as_scenario,nosuch"], "team_mix: unknown team_mix 'nosuch'; allowed:")


def test_a_group_level_that_does_not_compose_with_the_sweep_is_refused(tmp_path):
    """The tiny experiment sweeps mmc.servers, which the village scenario has not: only the
    runs with scenario=village fail to compose (the first and last runs, mmc and pre_reform's,
    would not show it)."""
    line = refused(tmp_path, ["experiment=tiny", "scenario=mmc,village,pre_reform"], "mmc.servers: unknown key")
    assert line.endswith("(the runs with scenario=village)")


def test_a_level_that_does_not_merge_is_refused(tmp_path):
    """The second level of a mapping names an entry the mapping has not; the first merges."""
    refused(tmp_path, ["experiment=tiny", "report={enabled: false},{enabld: false}"],
            "report: 'enabld' is not an entry of the mapping there")


def test_hydra_s_own_sweeper_cannot_be_chosen(tmp_path):
    refused(tmp_path, ["experiment=tiny", "hydra/sweeper=basic"], "hydra/sweeper: Hydra's own setting cannot be changed")
    refused(tmp_path, ["experiment=tiny", "hydra.sweeper.max_batch_size=1"], "hydra.sweeper.max_batch_size")


def test_sweeps_run_on_the_prechecked_sweeper_without_composing_jobs_again(tmp_path, monkeypatch):
    from hydra.core.plugins import Plugins
    from hydra.plugins.sweeper import Sweeper

    from hydra_checks import _compose

    names = [f"{c.__module__}.{c.__name__}" for c in Plugins.instance().discover(Sweeper)]
    target = "hydra_plugins.microgrid_sweeper.prechecked_sweeper.PrecheckedSweeper"
    assert target in names  # found by Hydra's plugin scan of the hydra_plugins namespace
    assert _compose(["experiment=tiny"], hydra_cfg=True).hydra.sweeper._target_ == target
    assert (ROOT / "hydra_plugins" / "microgrid_sweeper" / "__init__.py").is_file()
    assert not (ROOT / "hydra_plugins" / "__init__.py").exists()  # a namespace shared with the installed plugins

    def composed_again(self, batch):
        raise AssertionError("a job was composed again before its launch")

    from hydra.plugins import sweeper

    monkeypatch.setattr(sweeper.Sweeper, "validate_batch_is_legal", composed_again)
    # seed=${nosuch} composes (as text) and fails in its own run, which records it; reading the
    # sweep's overrides at its end must not resolve it (that ended in Hydra's warning, exit 0,
    # no runs.parquet)
    d = tmp_path / "sweep"
    r = run_inproc("-m", "experiment=tiny", "seed=1,${nosuch}", "mmc.servers=2", "run.horizon_days=3",
                   "run.warmup_days=0.5", f"hydra.sweep.dir={d}")
    assert r.returncode == 2, r.stderr[-2000:]
    assert "1/2 runs ok" in r.stderr and (d / "runs.parquet").is_file()
    assert "runs not ok: 1 (e.g. run 1: invalid: ConfigError: seed: cannot be resolved" in r.stderr


@pytest.mark.parametrize("levels", ["team_mix=as_scenario", "team_mix=as_scenario,all_plus20"])
def test_each_combination_of_group_levels_is_composed_once(monkeypatch, levels):
    """Not once per job: 2 seeds x 2 servers per team mix compose once per team mix (the
    first combination is the first job's, composed before the check)."""
    import hydra_checks
    import run  # noqa: F401 - registers the model's defaults

    calls = []
    real = hydra_checks._compose
    monkeypatch.setattr(hydra_checks, "_compose", lambda o, **k: calls.append(o) or real(o, **k))
    monkeypatch.setattr(hydra_checks, "fail", lambda msg, code=2: pytest.fail(msg))
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    task = parser.parse_overrides(["experiment=tiny", levels, "seed=1,2", "mmc.servers=2,3"])
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    jobs = [list(j) for batch in BasicSweeper.split_arguments(task, None) for j in batch]
    first = real(jobs[0], hydra_cfg=True)
    hydra_checks.check_jobs_compose(task, [], jobs, first, parser)
    assert len(calls) == len(levels.split(",")) - 1


def test_a_job_s_config_from_the_reused_composition_equals_hydra_s(monkeypatch):
    """The loader the sweeper hands its launcher (group options composed once per process,
    then the job's other overrides merged) gives each job the configuration Hydra's own
    loader gives it: every key of the job's config and of hydra.* (its overrides, choices,
    override_dirname), with every kind of override, reused and not."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    import run  # noqa: F401 - registers the model's defaults (ConfigStore), as a run does
    from hydra_checks import CONF
    from hydra_plugins.microgrid_sweeper import _reuse

    jobs = [["experiment=tiny", "team_mix=as_scenario", "seed=1", "mmc.servers=2", "+foo=3", "report={enabled: false}"],
            ["experiment=tiny", "team_mix=all_plus20", "seed=2", "mmc.servers=3", "+foo=4", "report={enabled: true}"],
            ["experiment=tiny", "team_mix=as_scenario", "seed=3", "mmc.servers=2", "+foo=5", "report={lang: zh}"],
            ["mmc.servers=4", "experiment=tiny", "seed=4", "++bar.x=1", "~report.lang"],
            ["experiment=tiny", "seed=5", "hydra.verbose=true"]]  # a Hydra override: Hydra's loader
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        hydra_loader = GlobalHydra.instance().config_loader()
        master = hydra_loader.load_configuration("config", ["experiment=tiny", "hydra.sweep.dir=/nowhere"],
                                                 RunMode.MULTIRUN)
        ours = _reuse.ReusingConfigLoader(hydra_loader)
        for job in jobs:
            want, got = hydra_loader.load_sweep_config(master, job), ours.load_sweep_config(master, job)
            assert OmegaConf.to_yaml(got) == OmegaConf.to_yaml(want), job
            assert OmegaConf.is_struct(got) and not OmegaConf.is_readonly(got.hydra)
        assert len(_reuse._BASES) == 3  # (tiny, as_scenario), (tiny, all_plus20), (tiny): composed once each



def test_a_worker_unpickles_the_sweep_s_shared_state_once():
    """joblib jobs are handed the shared state as bytes (pickled once per batch): the first
    job in a worker unpickles it, later jobs of the same sweep reuse it, and another
    sweep's state replaces it (one sweep's kept at a time)."""
    import pickle

    from hydra_plugins.microgrid_sweeper import _shared

    a, b = pickle.dumps(({"ctx": 1}, [1, 2], "task", {})), pickle.dumps(({"ctx": 2}, [3], "task", {}))
    first = _shared.shared_state("a", a)
    assert first == ({"ctx": 1}, [1, 2], "task")
    assert _shared.shared_state("a", a) is first  # not unpickled again
    assert _shared.shared_state("b", b) == ({"ctx": 2}, [3], "task") and list(_shared._SHARED) == ["b"]



@pytest.mark.parametrize("overrides, likely", [
    (["seed=1,2"], False),  # the basic launcher: no worker server
    (["seed=1,2", "hydra/launcher=local_parallel"], True),
    (["experiment=grid_size"], True),  # the shipped experiments default to local_parallel
    (["experiment=grid_size", "hydra/launcher=slurm"], False),
    (["hydra/launcher=slurm", "hydra/launcher=joblib"], True),  # the last one counts, as in Hydra
])
def test_the_worker_server_starts_early_only_for_a_likely_joblib_sweep(overrides, likely):
    from hydra_plugins.microgrid_sweeper._server import joblib_sweep_likely

    assert joblib_sweep_likely(overrides) is likely


@pytest.mark.parametrize("argv, starts", [
    (["-m", "seed=1,2", "hydra/launcher=local_parallel"], True),
    (["--multirun", "experiment=grid_size"], True),
    (["seed=1", "hydra/launcher=local_parallel"], False),  # not a sweep
    (["-m", "seed=1,2"], False),  # the basic launcher
    (["-m", "--cfg", "job", "hydra/launcher=local_parallel"], False),  # prints, launches nothing
    (["-m", "--bogus", "experiment=grid_size"], False),  # refused by the checks
    (["-m", "-m", "experiment=grid_size"], False),  # refused too
])
def test_run_py_starts_the_worker_server_before_its_imports_only_for_a_joblib_sweep(argv, starts, monkeypatch):
    from hydra_plugins.microgrid_sweeper import _server

    started = []
    monkeypatch.setattr(_server, "start_worker_server", lambda: started.append(True))
    assert _server.start_early(["run.py", *argv]) is starts
    assert started == ([True] if starts else [])


@pytest.mark.parametrize("after_s", [0.0, 0.3], ids=["as it starts", "while it imports"])
def test_ctrl_c_while_the_worker_server_starts_is_one_line(tmp_path, after_s):
    """A Ctrl-C at the terminal reaches every process of the command's group: the command
    and the sweep's worker server, which imports the model stack (a second or more) from the
    command's first moments. One line, exit 130, no folder; the server ends too, quietly (it
    shares stderr, which reaches its end only when both have closed it). Before the server
    ignored SIGINT while starting, it printed a KeyboardInterrupt traceback here."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    d = tmp_path / "sweep"
    p = subprocess.Popen([sys.executable, "run.py", "-m", "experiment=tiny", "seed=1,2", "hydra/launcher=local_parallel",
                          f"hydra.sweep.dir={d}"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    children = Path(f"/proc/{p.pid}/task/{p.pid}/children")
    deadline = time.time() + 30
    while p.poll() is None and not children.read_text().split():  # the server: the command's first child
        assert time.time() < deadline, "no worker server started"
        time.sleep(0.01)
    time.sleep(after_s)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err.strip().splitlines() == ["interrupted: nothing written"], (p.returncode, err)
    assert not d.exists()


def test_group_options_composed_ahead_are_used_by_a_worker(monkeypatch):
    """The joblib launcher composes the group options of a batch's first jobs in the main
    process and sends them along: a worker that installs them composes nothing for those
    jobs, and each job's configuration is still Hydra's own."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    import run  # noqa: F401 - registers the model's defaults (ConfigStore), as a run does
    from hydra_checks import CONF
    from hydra_plugins.microgrid_sweeper import _reuse

    jobs = [["experiment=tiny", "team_mix=as_scenario", "seed=1"], ["experiment=tiny", "team_mix=all_plus20", "seed=1"],
            ["experiment=tiny", "team_mix=as_scenario", "seed=2"]]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        hydra_loader = GlobalHydra.instance().config_loader()
        master = hydra_loader.load_configuration("config", ["experiment=tiny", "hydra.sweep.dir=/nowhere"],
                                                 RunMode.MULTIRUN)
        main = _reuse.ReusingConfigLoader(hydra_loader)
        ahead = main.compose_ahead(master, jobs[:2])
        assert len(ahead) == 2
        _reuse._BASES.clear()  # a worker: nothing composed in it yet
        calls = []
        real = hydra_loader.load_sweep_config
        monkeypatch.setattr(hydra_loader, "load_sweep_config", lambda m, o: calls.append(o) or real(m, o))
        main.keep(ahead)
        for job in jobs:
            assert OmegaConf.to_yaml(main.load_sweep_config(master, job)) == OmegaConf.to_yaml(real(master, job))
        assert calls == []
