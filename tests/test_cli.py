"""The command line as a user meets it: every scenario runs, outputs follow the
contract, and every class of bad input is rejected with one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))

SUMMARY_KEYS = {"scenario", "seed", "horizon_days", "warmup_days", "counts", "resolution_time_h", "wait_time_h",
                "discovery_delay_h", "total_time_h", "on_time_rate", "escalation_rate", "rework_rate",
                "by_channel", "by_type", "by_level", "structure"}
COUNT_KEYS = {"occurred", "discovered", "reported", "closed", "open_at_end", "escalated", "reworked"}
STAT_KEYS = {"mean", "p50", "p90", "p95", "max", "n"}
STRUCTURE_KEYS = {"towns", "villages", "grids", "residents", "households", "management_team", "work_team",
                  "volunteer_team", "service_points", "grid_area_km2", "grids_per_village"}
ISSUE_COLS = {"issue_id", "type", "grid", "village", "channel", "t_occurred_h", "t_discovered_h", "t_reported_h",
              "t_consulted_h", "t_dispatched_h", "t_started_h", "t_handled_h", "t_fed_back_h", "t_verified_h",
              "t_closed_h", "level_reached", "handler", "on_time"}


END_TO_END = ("chongming", "mmc")  # the real command; the others run it in-process
# one-mechanism variants of chongming (the same district, one setting changed): the same
# contract code as chongming's. Every scenario, these included, runs in tests/test_little.py;
# here the variants are left out (the suite's time)
VARIANTS = ("chongming_no_heads", "chongming_one_grid", "chongming_step", "chongming_unfused",
            "chongming_calibrated")
# the district's typhoon year and the plain town year: the same contract as chongming's and the
# town's typhoon year (a surge); both run in tests/test_little.py
VARIANTS += ("chongming_typhoon", "chongming_town")


@pytest.mark.parametrize("name", [s for s in SCENARIOS if s not in VARIANTS])
def test_scenario_runs_and_follows_contract(cli, tmp_path, name):
    from conftest import run_inproc

    out = tmp_path / name
    surge = ["events.typhoon.start_date=2025-03-13"] if "typhoon" in name else []  # inside the 20 days
    r = (cli if name in END_TO_END else run_inproc)(f"scenario={name}", "run.horizon_days=20", "run.warmup_days=2",
                                                    "run.drain_days=3", "seed=5", *surge, f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(s)
    assert COUNT_KEYS <= set(s["counts"])
    for k in ("resolution_time_h", "wait_time_h", "discovery_delay_h", "total_time_h"):
        assert set(s[k]) == STAT_KEYS
    assert STRUCTURE_KEYS <= set(s["structure"])
    assert s["scenario"] == name and s["seed"] == 5 and s["horizon_days"] == 20
    assert s["counts"]["closed"] > 0
    m = json.loads((out / "manifest.json").read_text())
    assert {"build", "simulate", "write", "report", "total"} <= set(m["timings_s"])
    assert m["events_processed"] > 0 and m["seed"] == 5 and m["streams"]
    assert {"commit", "dirty"} <= set(m["git"]) and m["versions"]["mesa"].startswith("3.5")
    cols = set(pq.read_schema(out / "issues.parquet").names)
    assert ISSUE_COLS <= cols
    assert pq.read_metadata(out / "issues.parquet").num_rows == s["counts"]["occurred"]
    for f in ("report.md", "report.html", "resolution_time.png", "backlog.png"):
        assert (out / f).stat().st_size > 0
    assert not list(out.glob(".partial-*"))


BAD = [
    (["scenario=nosuch"], "scenario"),
    (["levels.grid.crews=0"], "levels.grid.crews"),
    (["levels.grid.crews=two"], "levels.grid.crews"),
    (["escalation.rule=sideways"], "escalation.rule"),
    (["run.warmup_days=400"], "run.warmup_days"),
    (["run.horizon_days=-1"], "run.horizon_days"),
    (["run.horizn_days=3"], "horizn_days"),
    (["+world.planets=3"], "world.planets"),
    (["levels.town.calendar.day_end_h=3"], "levels.town.calendar.day_end_h"),
    (["scenario=mmc", "mmc.arrival_rate_per_h=20"], "mmc.arrival_rate_per_h"),
    (["scenario=mmc", "mmc.service_dist=gamma"], "mmc.service_dist"),
    (["scenario=jackson", "jackson.escalate_p=1.5"], "jackson.escalate_p"),
    (["issue_types.sanitation.p_rework=2"], "issue_types.sanitation.p_rework"),
]


@pytest.mark.parametrize("args,key", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_rejected_cleanly(cli, tmp_path, args, key):
    """The first two cases through the real command, the others through ``run.cli`` in this
    process (the same code after the interpreter starts; tests/test_reliability.py has more
    end-to-end cases)."""
    from conftest import run_inproc

    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text('{"earlier": true}')  # an earlier result must survive
    r = (cli if BAD.index((args, key)) < 2 else run_inproc)(*args, f"hydra.run.dir={out}")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    assert key in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) <= 3, r.stderr
    assert json.loads((out / "summary.json").read_text()) == {"earlier": True}
    assert not list(out.glob(".partial-*"))


def test_hydra_is_told_the_mode_it_would_compose(tmp_path, monkeypatch):
    """run.py gives Hydra the ``hydra.mode`` it composed before Hydra started
    (``run._mode_known``) instead of Hydra composing the whole configuration once more only
    to read it. Hydra's own ``get_mode`` gives the same answer (None: the command line's -m
    decides) for a run, a sweep and a named experiment of the shipped configs, and a run
    composes twice: run.py's check and Hydra's run (three times before)."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.global_hydra import GlobalHydra

    import run  # noqa: F401 - registers the model's defaults, as a command does
    from conftest import run_inproc
    from hydra_checks import CONF, _compose

    cases = ([], ["scenario=chongming_town", "seed=1,2"], ["experiment=grid_size"])
    composed = [_compose([o.split(",")[0] for o in c], hydra_cfg=True).hydra.get("mode") for c in cases]
    GlobalHydra.instance().clear()
    hydra = Hydra.create_main_hydra2(task_name="run", config_search_path=create_config_search_path(str(CONF)))
    try:
        own = [hydra.get_mode(config_name="config", overrides=list(c)) for c in cases]
    finally:
        GlobalHydra.instance().clear()
    assert own == composed == [None] * len(cases)
    calls = []
    real = Hydra.compose_config
    monkeypatch.setattr(Hydra, "compose_config", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    r = run_inproc("scenario=mmc", "run.horizon_days=2", "run.warmup_days=1", "report.enabled=false",
                   f"hydra.run.dir={tmp_path / 'run'}")
    assert r.returncode == 0, r.stderr
    assert len(calls) == 2
