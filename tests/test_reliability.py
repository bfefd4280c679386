"""Nothing a user types can crash, hang or half-write a run (issue 11).

The promise (README, "Running"): anything a user can type or load — config values, map
files, output paths — that the model cannot take gets ONE line on stderr naming the key
as typed and what is allowed, exit code 2, no traceback, and no change to any existing
file or folder; a run folder that did not exist is not created. Every case below runs
twice: into a folder that already holds an earlier result (compared byte for byte,
names and contents, before and after) and into a folder that does not exist yet.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, run_cli, run_inproc

# --------------------------------------------------------------------------- helpers


def snapshot(root: Path) -> dict:
    """Every name under ``root`` (hidden ones too) with its bytes ("<dir>" for folders)."""
    return {str(p.relative_to(root)): ("<dir>" if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


def earlier_result(parent: Path) -> Path:
    """A folder holding an earlier run's files, as a user's results folder would."""
    d = parent / "earlier"
    (d / ".hydra").mkdir(parents=True)
    (d / "summary.json").write_text('{"earlier": true}')
    (d / "manifest.json").write_text('{"seed": 1}')
    (d / ".hydra" / "overrides.yaml").write_text("- seed=1\n")
    (d / "run.log").write_text("an earlier run's log\n")
    (d / "figures").mkdir()
    (d / "figures" / "backlog.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return d


def one_clean_line(r: subprocess.CompletedProcess, key: str, code: int = 2) -> str:
    assert r.returncode == code, (r.returncode, r.stderr[-3000:])
    assert "Traceback" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert key in lines[0], lines[0]
    return lines[0]


def rejected_without_a_trace(tmp_path: Path, args: list[str], key: str, inproc: bool = False,
                             into: tuple[str, ...] = ("existing", "new"), **kw) -> str:
    """Run ``args`` into an existing result folder and into a new one (``into``); each must
    be rejected in one line naming ``key``, the first folder unchanged, the second not made."""
    run = run_inproc if inproc else run_cli
    line = ""
    if "existing" in into:
        old = earlier_result(tmp_path)
        before = snapshot(old)
        line = one_clean_line(run(*args, f"hydra.run.dir={old}", **kw), key)
        assert snapshot(old) == before
    if "new" in into:
        new = tmp_path / "new" / "deeper"
        line = one_clean_line(run(*args, f"hydra.run.dir={new}", **kw), key)
        assert not (tmp_path / "new").exists()
    return line


def alternate(i: int) -> tuple[str, ...]:
    """In-process cases take turns: even ones into an existing folder, odd ones into a new
    one. A refusal comes before the folder is touched, the same code for every value, so each
    group of the lists below checks both promises without running every value twice (the
    end-to-end cases run both)."""
    return ("existing",) if i % 2 == 0 else ("new",)


# --------------------------------------------------------------------------- config values

CYCLE = ["scenario=village", "run.horizon_days=5", "run.warmup_days=0", "issue_types.sanitation.p_rework=1",
         "issue_types.sanitation.handling.mean_h=0", "lifecycle.feedback.mean_h=0", "lifecycle.verify.mean_h=0"]

VALUES = [
    # whole numbers: NaN, inf, huge, fractional
    ("seed nan", ["scenario=village", "seed=nan"], "seed: must be a whole number"),
    ("seed inf", ["seed=inf"], "seed: must be a whole number"),
    ("crews nan", ["levels.grid.crews=nan"], "levels.grid.crews: must be a whole number >= 1"),
    ("crews fraction", ["scenario=village", "levels.grid.crews=1.5"], "levels.grid.crews"),
    ("crews past 64 bits", ["levels.grid.crews=99999999999999999999"], "levels.grid.crews: must be a whole number"),
    ("weekday nan", ["scenario=village", "levels.town.calendar.weekdays=[0,nan]"], "levels.town.calendar.weekdays[1]"),
    ("number past 1e12", ["issue_types.sanitation.handling.mean_h=1e300"],
     "issue_types.sanitation.handling.mean_h: must be a finite number >= 0 of magnitude at most 1e+12"),
    ("period 1e-320 h", ["channels.work_patrol.period_h=1e-320"], "channels.work_patrol.period_h: must be"),
    ("validation knob nan", ["scenario=mmc", "mmc.servers=nan"], "mmc.servers: must be a whole number"),
    ("validation knob inf", ["scenario=mmc", "mmc.service_rate_per_h=inf"], "mmc.service_rate_per_h: must be"),
    ("validation knob cv nan", ["scenario=mmc", "mmc.service_dist=lognormal", "mmc.service_cv=nan"], "mmc.service_cv"),
    # booleans (report as true/false or as a mapping with enabled)
    ("report maybe", ["report=maybe"], "report: must be a mapping"),
    ("report.enabled maybe", ["report={enabled: maybe, lang: en}"], "report.enabled: must be true or false"),
    ("fusion maybe", ["fusion.enabled=maybe"], "fusion.enabled: must be true or false"),
    # names as the user typed them
    ("catalogue field", ["issue_types.sanitation.p_rework=2"], "issue_types.sanitation.p_rework: must be"),
    ("channel field", ["channels.work_patrol.p_detect_per_round=-1"], "channels.work_patrol.p_detect_per_round"),
    ("catalogue typo", ["issue_types.sanitaton.p_rework=0.5"], "issue_types.sanitaton.p_rework: issue_types has no entry"),
    ("unknown key", ["run.horizn_days=3"], "run.horizn_days: unknown key"),
    ("new entry merged into a mapping", ["experiment=sensitivity", "experiment.sensitivity.params={seed: [1, 2]}"],
     "experiment.sensitivity.params: 'seed' is not an entry of the mapping there"),
    ("added unknown key", ["+world.planets=3"], "world.planets: unknown key"),
    ("group as value", ["levels.grid=3"], "levels.grid: is a group of settings"),
    ("unknown team_mix", ["team_mix=nosuch"], "team_mix: unknown team_mix"),
    ("unknown launcher", ["hydra/launcher=nosuch"], "hydra/launcher: unknown option"),
    ("override grammar", ["seed=1)"], "seed=1)"),
    ("interpolation", ["seed=${nosuch}"], "seed: cannot be resolved"),
    # sizes: refused by the resource guard (or the calendar) before anything is allocated
    ("horizon 1e9 days", ["run.horizon_days=1e9"], "run.horizon_days"),
    ("horizon 1e6 days", ["run.horizon_days=1e6"], "run.horizon_days: too large"),
    ("households 1e9", ["scenario=village", "world.households_per_grid=1e9"], "world.households_per_grid: too large"),
    ("town crews 1e9", ["scenario=village", "levels.town.crews=1e9"], "levels.town.crews: too large"),
    ("work team 1e12", ["teams.work_total=1e12"], "teams.work_total: too large"),
    ("residents 1e11", ["world.residents=1e11"], "world.residents: too large"),
    ("memory limit", ["scenario=chongming_town", "run.memory_limit_gb=0.1"], "(run.memory_limit_gb)"),
    # the staff's calendars hold every day of the run (~28 GB here, few issues): refused, not run out of memory
    ("2500 years of calendars", ["scenario=chongming_town", "run.horizon_days=900000", "run.holidays=none",
                                 "run.memory_limit_gb=23", *[f"issue_types.{t}.rate_per_1000_residents_per_year=0.001" for t in
                                                              ("sanitation", "river", "greenery", "road_facility", "safety_hazard",
                                                               "illegal_building", "dispute", "welfare", "policy_question",
                                                               "other")]], "run.horizon_days"),
    ("event budget", ["scenario=village", "run.max_events=1000"], "too long"),
    ("max_reworks", ["lifecycle.max_reworks=5000"], "lifecycle.max_reworks: must be a whole number in [0, 1000]"),
    # impossible partitions
    ("2000 grids per village", ["scenario=chongming_town", "partition.grids_per_village=2000"],
     "partition.grids_per_village: asks for 2000 grids"),
    ("100000 grids per village", ["scenario=chongming_town", "partition.grids_per_village=100000"],
     "partition.grids_per_village"),
    ("k_min above households", ["scenario=chongming_town", "partition.total_grids=null", "partition.k_min=900",
                                "partition.k_max=900"], "partition.k_min: asks for 900 grids"),
    # a configuration that would cycle without time passing
    ("zero-time rework", CYCLE, "issue_types.sanitation.p_rework: must be 0 when"),
]


@pytest.mark.parametrize("i,args,key", [(i, *c[1:]) for i, c in enumerate(VALUES)], ids=[c[0] for c in VALUES])
def test_bad_value_rejected_without_a_trace(tmp_path, i, args, key):
    # in-process: the same checks as the command line, before Hydra starts (a handful of
    # end-to-end cases below run the real command)
    rejected_without_a_trace(tmp_path, args, key, inproc=True, into=alternate(i))


@pytest.mark.parametrize("args,key", [c[1:] for c in VALUES[:: len(VALUES) // 4]][:4],
                         ids=[c[0] for c in VALUES[:: len(VALUES) // 4]][:4])
def test_bad_value_rejected_end_to_end(tmp_path, args, key):
    rejected_without_a_trace(tmp_path, args, key)


# --------------------------------------------------------------------------- map files


def _village(v="A", town="T", ring=None, **props):
    ring = ring or [[0, 0], [2, 0], [2, 1], [0, 1], [0, 0]]
    return {"type": "Feature", "properties": {"kind": "village", "village": v, "town": town, **props},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _household(v="A", x=1.0, y=0.5, size=3):
    return {"type": "Feature", "properties": {"kind": "household", "village": v, "size": size},
            "geometry": {"type": "Point", "coordinates": [x, y]}}


def _map(*extra, first=None):
    feats = [first or _village(), _village("B", ring=[[2, 0], [4, 0], [4, 1], [2, 1], [2, 0]])]
    feats += [_household("A", 0.1 + 0.018 * i, 0.5) for i in range(100)]
    feats += [_household("B", 2.1 + 0.018 * i, 0.5) for i in range(100)]
    return feats + list(extra)


MAPS = [
    ("feature is a number", _map(5), "feature 202 (feature): must be a GeoJSON Feature object"),
    ("geometry is a string", _map({"type": "Feature", "properties": {"kind": "household", "village": "A"},
                                   "geometry": "abc"}), "feature 202 (feature): geometry must be"),
    ("village id is a list", _map(first=_village(v=["A"])), "feature 0 (village): properties.village must be"),
    ("size is not a number", _map(_household(size="big")), "feature 202 (household): properties.size must be"),
    ("road_km is not a number", _map(first=_village(road_km="long")), "feature 0 (village): properties.road_km"),
    ("NaN coordinate", _map(_household(x=float("nan"))), "feature 202 (household): geometry.coordinates[0]"),
    ("bow-tie polygon", _map(first=_village(ring=[[0, 0], [2, 1], [2, 0], [0, 1], [0, 0]])),
     "feature 0 (village): geometry must be a valid polygon"),
    ("zero-area polygon", _map(first=_village(ring=[[0, 0], [1, 0], [2, 0], [0, 0]])),
     "feature 0 (village): geometry must be a valid polygon"),
    ("household outside every village", _map(_household(x=10, y=10)), "outside every village"),
    ("household in another village", _map(_household("A", x=3, y=0.5)), "it lies in village 'B'"),
    ("a village 99,000 km away", _map(_village("C", ring=[[99000, 0], [99002, 0], [99002, 1], [99000, 1], [99000, 0]]),
                                      _household("C", x=99001, y=0.5)), "the villages span 99,002 km (village polygon 2 lies furthest out"),
    ("negative road_km", _map(first=_village(road_km=-3)), "properties.road_km must be a finite number >= 0"),
    ("fractional household size", _map(_household(size=2.5)), "properties.size must be a whole number"),
    ("coordinates in metres", _map(first=_village(ring=[[350000, 0], [352000, 0], [352000, 1000], [350000, 1000],
                                                        [350000, 0]])), "<= 100000"),
    ("not JSON", "{oops", "not valid JSON"),
]


@pytest.mark.parametrize("i,content,needle", [(i, *c[1:]) for i, c in enumerate(MAPS)], ids=[c[0] for c in MAPS])
def test_bad_map_rejected_without_a_trace(tmp_path, i, content, needle):
    f = tmp_path / "map.geojson"
    f.write_text(content if isinstance(content, str) else json.dumps({"type": "FeatureCollection", "features": content}))
    args = ["scenario=chongming_town", "world.map=geojson", f"world.geojson_path={f}", "partition.total_grids=null",
            "partition.k_min=1", "run.horizon_days=40", "run.warmup_days=1"]
    line = rejected_without_a_trace(tmp_path, args, "world.geojson_path", inproc=True, into=alternate(i))
    assert needle in line and str(f) in line


def test_good_map_runs(tmp_path):
    f = tmp_path / "map.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": _map()}))
    r = run_inproc("scenario=chongming_town", "world.map=geojson", f"world.geojson_path={f}", "partition.total_grids=null",
            "partition.k_min=1", "run.horizon_days=40", "run.warmup_days=1", "report.enabled=false",
            f"hydra.run.dir={tmp_path / 'out'}")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["structure"]["households"] == 200 and s["structure"]["villages"] == 2


# --------------------------------------------------------------------------- output paths

SHORT = ["scenario=mmc", "run.horizon_days=3", "run.warmup_days=0"]


def test_output_under_proc_is_one_line():
    one_clean_line(run_inproc(*SHORT, "hydra.run.dir=/proc/x"), "hydra.run.dir")
    one_clean_line(run_inproc("-m", "experiment=tiny", "hydra.sweep.dir=/proc/x"), "hydra.sweep.dir")


def test_a_file_where_a_folder_is_expected(tmp_path):
    f = tmp_path / "results"
    f.write_text("not a folder")
    for d in (f, f / "sub"):
        one_clean_line(run_inproc(*SHORT, f"hydra.run.dir={d}"), "hydra.run.dir")
        one_clean_line(run_inproc("-m", "experiment=tiny", f"hydra.sweep.dir={d}"), "hydra.sweep.dir")
    assert f.read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_a_folder_where_a_result_file_goes(tmp_path):
    """The commit checks every target first: nothing is moved if one cannot be."""
    old = earlier_result(tmp_path)
    (old / "issues.parquet").mkdir()
    (old / "issues.parquet" / "keep").write_text("mine")
    before = snapshot(old)
    line = one_clean_line(run_inproc(*SHORT, "report.enabled=false", f"hydra.run.dir={old}"), "hydra.run.dir")
    assert "issues.parquet" in line
    assert snapshot(old) == before


def _limit_file_size():
    """Child: files may not grow past 4 kB (EFBIG instead of the SIGXFSZ kill), as on a
    disk that fills up during the write."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4_000, 4_000))


def test_full_disk_is_one_line_and_changes_nothing(tmp_path):
    old = earlier_result(tmp_path)
    before = snapshot(old)
    e = dict(os.environ)
    args = [sys.executable, "run.py", "scenario=village", "run.horizon_days=60", "run.warmup_days=0", "report.enabled=false"]
    for d in (old, tmp_path / "new"):
        r = subprocess.run([*args, f"hydra.run.dir={d}"], cwd=ROOT, capture_output=True, text=True, env=e,
                           preexec_fn=_limit_file_size, timeout=300)
        one_clean_line(r, "hydra.run.dir: cannot write")
    assert snapshot(old) == before and not (tmp_path / "new").exists()


def _in_mount_namespace(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return _in_mount_namespace("mount -t tmpfs none /mnt").returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs unshare -m and mount (root in a container)")


@needs_mount
def test_read_only_folder_is_one_line(tmp_path):
    old = earlier_result(tmp_path)
    before = snapshot(old)
    py = f"{sys.executable} run.py {' '.join(SHORT)}"
    for d in (old, old / "new"):
        r = _in_mount_namespace(f"mount --bind {old} {old} && mount -o remount,ro,bind {old} && "
                                f"exec {py} hydra.run.dir={d}")
        one_clean_line(r, "hydra.run.dir")
    assert snapshot(old) == before


@needs_mount
def test_really_full_filesystem_is_one_line(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    py = f"{sys.executable} run.py scenario=village run.horizon_days=60 run.warmup_days=0"
    r = _in_mount_namespace(f"mount -t tmpfs -o size=48k none {small} && mkdir {small}/old && echo kept > {small}/old/a "
                            f"&& {py} hydra.run.dir={small}/old; c=$?; cat {small}/old/a >&2; ls -A {small}/old >&2; exit $c")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "No space left on device" in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines[1:] == ["kept", "a"], r.stderr  # the folder as it was: one file, same content


# --------------------------------------------------------------------------- atomic commit


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs."""


@pytest.mark.parametrize("cut", [0, 1])  # the recovery below makes 2 moves back
def test_a_recovery_cut_short_is_finished_by_the_next(tmp_path, monkeypatch, cut):
    """A commit killed half way leaves its journal; if the recovery is killed too (after
    ``cut`` of its moves), the next recovery still gives back every earlier file: a file
    the first recovery restored is not taken for a new one."""
    from sim import store

    run_dir = earlier_result(tmp_path)
    before = snapshot(run_dir)
    stage = store.new_stage(run_dir)
    for name in ("summary.json", "manifest.json", "run.log", "issues.parquet", "grids.parquet"):
        (stage / name).write_text("new " + name)

    def kill_at(k):
        if k == 4:
            raise _Killed()

    real_recover = store._recover
    monkeypatch.setattr(store, "_recover", lambda *a: None)  # killed: no rollback in the process
    monkeypatch.setattr(store, "FAULT", kill_at)
    with pytest.raises(_Killed):
        store.commit(stage, run_dir)
    monkeypatch.setattr(store, "FAULT", None)
    monkeypatch.setattr(store, "_recover", real_recover)
    real_replace, calls = os.replace, {"n": 0}

    def dying(a, b):
        calls["n"] += 1
        if calls["n"] > cut:
            raise _Killed()
        return real_replace(a, b)

    monkeypatch.setattr(store.os, "replace", dying)
    with pytest.raises(_Killed):
        store._recover(stage, run_dir)
    monkeypatch.setattr(store.os, "replace", real_replace)
    store._recover(stage, run_dir)  # what the next run does with a dead process's stage
    shutil.rmtree(stage)
    assert snapshot(run_dir) == before


def test_commit_rolls_back_when_a_move_fails(tmp_path, monkeypatch):
    from sim import store as output

    run_dir = earlier_result(tmp_path)
    before = snapshot(run_dir)
    stage = output.new_stage(run_dir)
    for name in ("summary.json", "manifest.json", "run.log", "issues.parquet", ".hydra/overrides.yaml"):
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / name).write_text("new " + name)
    real = os.replace
    calls = {"n": 0}

    def flaky(a, b):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        return real(a, b)

    monkeypatch.setattr(output.os, "replace", flaky)
    with pytest.raises(OSError):
        output.commit(stage, run_dir)
    monkeypatch.setattr(output.os, "replace", real)
    shutil.rmtree(stage)
    assert snapshot(run_dir) == before


def test_successful_run_writes_its_config_and_its_log(tmp_path):
    out = tmp_path / "run"
    r = run_inproc("scenario=village", "run.horizon_days=20", "run.warmup_days=2", "seed=4", "report.enabled=false",
            f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr
    ov = (out / ".hydra" / "overrides.yaml").read_text()
    assert "seed=4" in ov and "run.horizon_days=20" in ov
    assert "seed: 4" in (out / ".hydra" / "config.yaml").read_text()
    log = (out / "run.log").read_text()
    assert "scenario village, seed 4" in log and "simulated" in log and "estimate (sim/guard.py)" in log
    assert not list(out.glob(".partial-*"))


def test_stale_staging_folder_of_a_dead_run_is_removed_on_success(tmp_path):
    out = tmp_path / "run"
    (out / ".partial-999999999").mkdir(parents=True)  # no such process
    (out / ".partial-999999999" / "summary.json").write_text("{}")
    r = run_inproc(*SHORT, "report.enabled=false", f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr
    assert not list(out.glob(".partial-*")) and (out / "summary.json").is_file()


# --------------------------------------------------------------------------- every key without "+"


def _leaves(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{prefix}{k}.")
    else:
        yield prefix[:-1], node


def _literal(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(v, list):
        return "[" + ",".join(_literal(x) for x in v) + "]"
    return repr(v)


@pytest.mark.parametrize("scenario", ["village", "chongming"])
def test_every_parameter_can_be_set_without_plus(scenario):
    """Every field of ModelParams, including every field of every catalogue entry the
    scenario names (whether or not the scenario file sets it), is a key: overriding all
    of them at once composes, and the values arrive in the parameters."""
    import dataclasses

    from compose import compose_config, scenario_dict
    from sim import params_from_dict, params_to_dict

    d = scenario_dict(scenario)
    overrides = [f"{k}={_literal(v)}" for k, v in _leaves(d) if k != "scenario"]
    assert any(k.startswith("issue_types.sanitation.dur_on_spot_h=") for k in overrides)  # not in the scenario file
    assert any(k.startswith("channels.") and ".service_day_boost=" in k for k in overrides)
    compose_config([f"scenario={scenario}", *overrides])
    changed = scenario_dict(scenario, ["issue_types.sanitation.dur_on_spot_h=0.75",
                                       "channels.service_point.p_feedback=0.25", "lifecycle.max_reworks=1"])
    p = params_from_dict(changed)
    t = {x.name: x for x in p.issue_types}["sanitation"]
    c = {x.name: x for x in p.channels}["service_point"]
    assert (t.dur_on_spot_h, c.p_feedback, p.lifecycle.max_reworks) == (0.75, 0.25, 1)
    # the schema is the dataclasses: same keys at every level
    tree = params_to_dict(p)
    for group in ("run", "world", "partition", "teams", "fusion", "levels", "escalation", "lifecycle"):
        assert set(d[group]) == set(tree[group]), group
    from sim.params import IssueTypeParams

    assert set(d["issue_types"]["sanitation"]) == {f.name for f in dataclasses.fields(IssueTypeParams)}


def test_new_catalogue_entry_is_added_with_plus_and_a_mapping(tmp_path):
    r = run_inproc("scenario=village", "+issue_types={flood: {rate_per_1000_residents_per_year: 30}}",
            "issue_types.flood.time_limit_wh=16", "run.horizon_days=20", "run.warmup_days=0", "report.enabled=false",
            f"hydra.run.dir={tmp_path}")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "summary.json").read_text())
    assert "flood" in s["by_type"]


# --------------------------------------------------------------------------- the lifecycle cap


def test_rework_cap_escalates_and_ends():
    """p_rework = 1: every verification fails. Past lifecycle.max_reworks the issue goes up
    the ladder, and at the district it is closed as it stands: the run ends."""
    import numpy as np

    from compose import scenario_dict
    from sim import params_from_dict, run_model

    d = scenario_dict("village", ["run.horizon_days=60", "run.warmup_days=0", "lifecycle.max_reworks=2",
                                  "issue_types.sanitation.p_rework=1"])
    res = run_model(params_from_dict(d))
    i = res.issues
    san = (i["type"] == "sanitation") & (i["status"] == "closed") & ~i["on_spot"]
    assert san.sum() > 5
    assert (i["level_reached"][san] == "district").all()
    assert (i["reworks"][san] >= 3).all() and (i["reworks"][san] <= 2 + 4).all()
    assert np.isfinite(i["t_closed_h"][san]).all()


# --------------------------------------------------------------------------- sweeps


def test_adhoc_multirun_aggregates(tmp_path):
    d = tmp_path / "adhoc"
    r = run_inproc("-m", "scenario=mmc", "run.horizon_days=5,6", "run.warmup_days=0", "report.enabled=false", f"hydra.sweep.dir={d}")
    assert r.returncode == 0, r.stderr[-2000:]
    runs = pd.read_parquet(d / "runs.parquet")
    assert len(runs) == 2 and (runs["status"] == "ok").all()
    assert (d / "comparison.json").is_file() and (d / "report.html").is_file()


def test_sweep_with_a_bad_level_aggregates_says_which_and_exits_2(tmp_path):
    """The runs that completed are aggregated; the exit code says the sweep is incomplete
    (2: every failure was a bad input)."""
    d = tmp_path / "nan"
    r = run_inproc("-m", "experiment=tiny", "seed=1,nan", f"hydra.sweep.dir={d}")
    assert r.returncode == 2, r.stderr[-2000:]
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("error:")] == [
        ln for ln in r.stderr.splitlines() if "runs not ok" in ln]
    runs = pd.read_parquet(d / "runs.parquet")
    assert len(runs) == 4 and (runs["status"] == "invalid").sum() == 2
    assert runs.loc[runs["status"] == "invalid", "error"].str.contains("seed: must be a whole number").all()
    assert "runs not ok: 1, 3" in r.stderr


def test_sweep_aggregation_failure_is_loud(tmp_path):
    d = tmp_path / "agg"
    r = run_inproc("-m", "experiment=tiny", "+experiment.target_rel_halfwidth=abc", f"hydra.sweep.dir={d}")
    assert r.returncode == 1, r.stderr[-2000:]
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(err) == 1 and "aggregation failed" in err[0] and "runs affected: 0-5" in err[0]
    assert "Traceback" not in r.stderr
    assert not (d / "runs.parquet").exists() and not list(d.glob(".partial-*"))


def test_sweep_where_no_run_completes_exits_2(tmp_path):
    d = tmp_path / "none"
    r = run_inproc("-m", "experiment=tiny", "mmc.servers=0,1", "seed=1", f"hydra.sweep.dir={d}")
    assert r.returncode == 2, r.stderr[-2000:]
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("error:")][0].startswith(
        "error: no run of the sweep completed")


@pytest.mark.parametrize("args,key", [
    (["run.horizon_days=-1"], "run.horizon_days"),
    (["run.horizn_days=3"], "run.horizn_days"),
    (["seed=nan,inf"], "seed"),
])
def test_sweep_bad_input_is_rejected_before_launch(tmp_path, args, key):
    old = earlier_result(tmp_path)
    before = snapshot(old)
    one_clean_line(run_inproc("-m", "experiment=tiny", *args, f"hydra.sweep.dir={old}"), key)
    assert snapshot(old) == before
    one_clean_line(run_inproc("-m", "experiment=tiny", *args, f"hydra.sweep.dir={tmp_path / 'new'}"), key)
    assert not (tmp_path / "new").exists()


SWEEP = ["-m", "experiment=tiny", "mmc.servers=2", "seed=1,2,3"]
VOLATILE = ("timings", "run")  # columns that legitimately differ between two sweeps of the same runs


def test_resume_after_a_kill_mid_write_matches_a_clean_sweep(tiny, tmp_path):
    killed = tmp_path / "killed"
    # the clean sweep: the tiny sweep's runs with 2 crews. The same sweep, SIGKILLed in the
    # middle of its second run's commit (deterministic: the fault hook counts this process's
    # commits; the sweep runs its jobs in one process)
    r = run_cli(*SWEEP, f"hydra.sweep.dir={killed}", env={"SIM_TEST_FAULT": "commit:3:sigkill:2"})
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    assert any(killed.glob("*/.partial-*"))  # the kill left a half-written run behind
    r = run_inproc(*SWEEP, f"hydra.sweep.dir={killed}")  # the resume: no process of its own needed
    assert r.returncode == 0, r.stderr[-2000:]
    assert "skipped (already complete)" in r.stdout
    assert not list(killed.rglob(".partial-*"))
    a, b = pd.read_parquet(tiny[0] / "runs.parquet"), pd.read_parquet(killed / "runs.parquet")
    a = a[a["factor.mmc.servers"] == "2"].reset_index(drop=True)
    keep = [c for c in b.columns if not any(v in c.split(".") for v in VOLATILE)]
    assert len(b) == 3 and set(b.columns) <= set(a.columns)
    pd.testing.assert_frame_equal(a[keep], b[keep])


# --------------------------------------------------------------------------- the watchdog

import dataclasses  # noqa: E402
import types  # noqa: E402
import typing  # noqa: E402

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ_DEADLINE_S = 40.0
FLOAT_LIMIT = 1e12  # sim.params.FLOAT_LIMIT: the largest magnitude a number may have
SKIP = {"scenario", "run.start_date", "run.memory_limit_gb", "run.max_events", "world.geojson_path"}


def _leaves_of(cls, base: dict, prefix: str = ""):
    """(key, type, metadata, current value) of every scalar field of params class ``cls``,
    catalogue entries expanded over the names in ``base`` (derived from the dataclasses)."""
    from sim.params import ModelParams

    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key, tp = prefix + f.name, hints[f.name]
        if (cls is ModelParams and f.name == "validation") or key in SKIP:
            continue
        args = typing.get_args(tp)
        if typing.get_origin(tp) is tuple and args and dataclasses.is_dataclass(args[0]):
            for name, entry in (base.get(f.name) or {}).items():
                yield from _leaves_of(args[0], entry, f"{key}.{name}.")
        elif dataclasses.is_dataclass(tp):
            yield from _leaves_of(tp, base.get(f.name) or {}, key + ".")
        else:
            yield key, tp, dict(f.metadata), base.get(f.name, f.default)


def _values(tp, meta: dict, current):
    """Values a user may type for a field: within its declared bounds, ends included."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)][0]
        return st.one_of(st.none(), _values(inner, meta, current if current is not None else meta.get("lo") or 1))
    if meta.get("choices"):
        return st.sampled_from(meta["choices"])
    if tp is bool:
        return st.booleans()
    if tp is str:
        return st.just(current)
    if typing.get_origin(tp) is tuple:
        return st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)
    lo, hi = meta.get("lo"), meta.get("hi")
    lo = 0 if lo is None else lo
    cur = current if isinstance(current, (int, float)) and not isinstance(current, bool) else lo
    if tp is int:
        top = hi if hi is not None else max(lo + 3, 2 * int(cur))
        return st.one_of(st.integers(int(lo), int(min(top, lo + 10_000))),
                         st.integers(int(lo), int(hi if hi is not None else 10**12)))
    top = hi if hi is not None else max(lo + 1.0, 2.0 * float(cur))
    ends = [x for x in (lo, hi, cur) if x is not None and not (meta.get("lo_open") and x == lo)]
    opn = bool(meta.get("lo_open"))
    return st.one_of(st.sampled_from(ends), st.floats(lo, top, exclude_min=opn),
                     st.floats(lo, hi if hi is not None else FLOAT_LIMIT, exclude_min=opn))  # extremes too


def _set(d: dict, key: str, value) -> None:
    *path, leaf = key.split(".")
    for k in path:
        d = d.setdefault(k, {})
    d[leaf] = value


_BASES: dict = {}


def _base(name: str) -> dict:
    """A shipped scenario, short: village (one village, no teams, no map) or
    chongming_town (synthetic map, teams, household heads, every channel driver)."""
    if name not in _BASES:
        from compose import scenario_dict

        # a 5-day drain: the drain's length is one of the fuzzed leaves; a short default keeps the examples quick
        _BASES[name] = scenario_dict(name, ["run.horizon_days=20", "run.warmup_days=0", "run.drain_days=5"])
    return json.loads(json.dumps(_BASES[name]))


@st.composite
def configurations(draw):
    from sim.params import ModelParams

    d = _base(draw(st.sampled_from(["village", "chongming_town"])))
    leaves = list(_leaves_of(ModelParams, d))
    for key, tp, meta, cur in draw(st.lists(st.sampled_from(leaves), max_size=14, unique_by=lambda x: x[0])):
        _set(d, key, draw(_values(tp, meta, cur)))
    types_ = list(d["issue_types"])
    if draw(st.booleans()):  # the corners where a cycle could take no time
        t = draw(st.sampled_from(types_))
        _set(d, f"issue_types.{t}.p_rework", draw(st.sampled_from([1.0, 0.99, 0.5])))
        _set(d, f"issue_types.{t}.handling.mean_h", draw(st.sampled_from([0.0, 1e-9, 0.5])))
        for k in ("lifecycle.feedback.mean_h", "lifecycle.verify.mean_h", "escalation.handover.mean_h",
                  "lifecycle.register.mean_h"):
            _set(d, k, draw(st.sampled_from([0.0, 0.0, 1e-9])))
        _set(d, "lifecycle.max_reworks", draw(st.integers(0, 1000)))
        for lv in ("grid", "village", "town"):
            _set(d, f"levels.{lv}.p_fail_attempt", draw(st.sampled_from([0.0, 1.0, 0.5])))
    _set(d, "run.memory_limit_gb", 0.6)  # the guard keeps the fuzz small: larger draws are refused
    _set(d, "run.max_events", 3e6)
    return d


class _Overtime(Exception):
    pass


def _alarm(signum, frame):
    raise _Overtime(f"a run took longer than {FUZZ_DEADLINE_S:g} s")


FUZZ = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 30)), **FUZZ)
@given(configurations())
def test_watchdog_fuzz_every_run_ends_or_is_refused(d):
    """Configurations drawn from the whole parameter space (every field within its
    declared bounds, generically from the dataclasses; rework probabilities up to 1, zero
    durations and hand-overs, failing attempts) on top of the village scenario must be
    refused with a ConfigError or run to the end within a hard per-example deadline
    (SIGALRM): a run that cycles without time passing, or takes too long, fails the
    example; so does any other exception, or a summary that is not valid JSON. 30 examples
    here; the integration tier draws 150 more (test_watchdog_fuzz_long)."""
    _run_or_refuse(d)


@pytest.mark.slow  # the integration tier: 150 more configurations (a different draw)
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES_LONG", 150)), **FUZZ)
@given(configurations())
def test_watchdog_fuzz_long(d):
    _run_or_refuse(d)


def _run_or_refuse(d: dict) -> None:
    from sim import ConfigError, params_from_dict, run_model
    from sim.metrics.kpi import summarize
    from sim.output import _json_default

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, FUZZ_DEADLINE_S)
    try:
        try:
            res = run_model(params_from_dict(d))
        except ConfigError as e:
            event(f"refused: {e.key}")
            return
        event("ran")
        json.dumps(summarize(res), allow_nan=False, default=_json_default)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
