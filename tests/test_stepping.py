"""The model steps: a span of an hour to a day per step, stepping to the horizon gives exactly
the records of a run in one go, and the explorer's model (keyword arguments, live KPIs in a
Mesa DataCollector, bad input shown, not raised)."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import scenario_params


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_stepped_run_writes_the_same_issues_parquet_as_one_go(tmp_path):
    """chongming_town, 12 days, stepped 5 h at a time (steps cross midnights, rounds and
    shift changes) against :meth:`run`: identical issues.parquet bytes, staff and
    household tables."""
    from sim import params_from_dict
    from sim.model import GovernanceModel
    from sim.output import issues_table

    p = params_from_dict(scenario_params("chongming_town", 12.0))
    batch = GovernanceModel(p).run()
    m = GovernanceModel(p, step_h=5)
    steps = 0
    while m.running:
        m.step()
        steps += 1
        assert m.now_h == min(5.0 * steps, p.horizon_h)
    assert steps == int(np.ceil(p.horizon_h / 5.0))
    stepped = m.results()
    assert m.results() is stepped  # the records are assembled once
    a, b = tmp_path / "batch.parquet", tmp_path / "stepped.parquet"
    pq.write_table(issues_table(batch), a)
    pq.write_table(issues_table(stepped), b)
    assert batch.issues["issue_id"].size > 100
    assert _sha(a) == _sha(b)
    for k in batch.staff:
        assert (batch.staff[k].astype(str) == stepped.staff[k].astype(str)).all(), k
    for k in batch.households:
        assert (batch.households[k].astype(str) == stepped.households[k].astype(str)).all(), k
    assert batch.events_processed == stepped.events_processed


@pytest.mark.parametrize("bad", [0, 0.5, 25, float("nan"), True, "6"])
def test_step_span_outside_an_hour_to_a_day_is_refused(bad):
    from sim import ConfigError, params_from_dict
    from sim.model import GovernanceModel

    p = params_from_dict(scenario_params("village", 5.0))
    with pytest.raises(ConfigError, match="step_h"):
        GovernanceModel(p, step_h=bad)


@pytest.fixture(scope="module")
def compose():
    from compose import scenario_dict

    return scenario_dict


def test_explorer_model_collects_the_official_kpis_per_step(compose):
    """Built from keyword arguments only (as SolaraViz's Reset does); one DataCollector row
    per step plus the start; at the horizon the live KPIs are the run's own summary.json
    values (same records, warm-up 0)."""
    from sim.metrics.kpi import summarize
    from sim.viz.explorer import ExplorerModel

    m = ExplorerModel(compose=compose, horizon_days=4, step_h=12, seed=3, work_team_pct=80)
    assert m.error is None and m.running
    assert m.sim.params.teams.scale_work == pytest.approx(0.8)
    assert m.sim.params.run.warmup_days == 0.0 and m.sim.params.seed == 3
    clocks = [m.clock()]
    while m.running:
        m.step()
        clocks.append(m.clock())
    assert clocks[0].startswith("Mon 03 Mar 2025, 00:00") and clocks[-1].startswith("Fri 07 Mar 2025, 00:00")
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 9 and list(df["Day"]) == [0.5 * k for k in range(9)]
    s = summarize(m.sim.results())
    last = df.iloc[-1]
    assert last["On-time rate"] == pytest.approx(s["on_time_rate"])
    assert last["Satisfaction rate"] == pytest.approx(s["satisfaction_rate"])
    assert last["Resolution time (h)"] == pytest.approx(s["resolution_time_h"]["mean"])
    assert last["Backlog"] == s["counts"]["open_at_end"]
    assert last["Utilisation work"] == pytest.approx(s["staff_utilisation"]["work"]["mean"])
    assert df["Backlog"].iloc[1:].max() > 0
    assert (np.diff(df["Staff-hours work"].to_numpy()) >= 0).all()


@pytest.mark.parametrize("levers, key, words", [
    ({"work_team_pct": 0}, "work_team_pct", "a team size of 0"),
    ({"volunteer_team_pct": 400}, "volunteer_team_pct", "from 5 to 300"),
    ({"escalation_rule": "direct", "fused_nets": False}, "escalation.rule", "needs fused nets"),
    ({"scenario_name": "atlantis"}, "scenario_name", "must be one of"),
    ({"grids_per_village": "9"}, "grids_per_village", "must be one of"),
])
def test_explorer_bad_input_is_a_message_not_an_exception(compose, levers, key, words):
    from sim.viz.explorer import ExplorerModel

    m = ExplorerModel(compose=compose, horizon_days=2, **levers)
    assert m.sim is None and not m.running
    assert m.error.startswith(key + ":") and words in m.error
    m.step()  # a no-op, not an error
    assert len(m.datacollector.get_model_vars_dataframe()) == 1


def test_explorer_reports_an_unstable_unit(compose):
    """Town departments cut to 1 % with step escalation: the town's one-person offices are
    offered more work than they can do (the offered load computed before the run, ρ >= 1),
    and the explorer says so by name from the start and on every step."""
    from sim.viz.explorer import ExplorerModel

    m = ExplorerModel(compose=compose, horizon_days=8, departments_pct=1, escalation_rule="step")
    assert m.warnings and all(w.startswith("unstable: Xinhe ") and "queue keeps growing" in w for w in m.warnings)
    while m.running:
        m.step()
    assert m.warnings and all(w.startswith("unstable: Xinhe ") and "queue keeps growing" in w for w in m.warnings)
    ok = ExplorerModel(compose=compose, horizon_days=8)
    while ok.running:
        ok.step()
    assert ok.warnings == []


def test_map_and_charts_show_the_state_now(compose):
    """The map's issue stages partition the issues open now (each open issue in exactly one
    stage, closed ones only if closed in the last step), members' activities cover every grid
    team member, and both figures draw."""
    from sim.viz.drawing import MapGeometry, draw_charts, draw_map, issue_stages, longest_queues, member_activity
    from sim.viz.explorer import ExplorerModel

    m = ExplorerModel(compose=compose, horizon_days=6, step_h=6)
    for _ in range(10):  # to midday of day 3
        m.step()
    iss = m.sim._live_records.issues
    st = issue_stages(iss, m.sim.now_h, m.sim.step_h)
    open_ids = np.concatenate([st[k] for k in ("unreported", "waiting", "in_hand", "verifying")])
    assert len(open_ids) == len(set(open_ids.tolist()))
    occurred = np.isfinite(iss["t_occurred_h"]) & ~np.isfinite(iss["t_closed_h"])
    assert set(open_ids.tolist()) == set(np.flatnonzero(occurred).tolist())
    assert (iss["t_closed_h"][st["closed"]] > m.sim.now_h - 6.0).all()
    ma = member_activity(m.sim, m.sim.now_h)
    grid_members = [s for s in m.sim.people.members if s.team in ("work", "management", "volunteer")]
    assert len(ma["activity"]) == len(grid_members) > 1000
    assert set(ma["activity"].tolist()) <= {"patrol", "routine", "slack", "off", "issue"}
    assert (ma["activity"] != "off").sum() > 100  # midday on a Wednesday: many on duty
    fig = draw_map(m.sim, MapGeometry(m.sim.world), iss, m.clock())
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"issue reported, waiting ({len(st['waiting'])})" in labels
    charts = draw_charts(m.datacollector.get_model_vars_dataframe(), longest_queues(m.sim))
    assert len(charts.axes) == 7


def test_longest_queues_count_a_posts_own_queue(compose):
    """Under A/B posts a job can wait in a busy member's own queue: it counts for the
    member's unit (this crashed the charts once a member had one)."""
    from sim.viz.drawing import longest_queues
    from sim.viz.explorer import ExplorerModel

    m = ExplorerModel(compose=compose, horizon_days=8, step_h=6, management_team_pct=30, work_team_pct=30)
    holder = None
    for _ in range(30):
        m.step()
        holder = next((s for s in m.sim.people.members if s.own_queue_length(m.sim.handling.book.valid)), None)
        if holder is not None:
            break
    assert holder is not None, "no member held its own queue in 30 steps of short-staffed teams"
    unit = next(u for u in m.sim.people.units if holder in u.servers)
    got = dict((name, waiting) for name, waiting, _ in longest_queues(m.sim, k=10_000))
    assert got[unit.name] >= holder.own_queue_length(m.sim.handling.book.valid)
