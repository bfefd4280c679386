"""Both sides of every lever: each mechanism of a trade-off, tested on its own.

Grid size: fixed duties per grid, issues straddling grid borders, jobs that need two
people (help from outside the grid); team ratios: the cost model and budgets at equal cost;
household heads' time; detection that saturates (tests/test_rules.py); star families; the
monthly assessment; routes without zigzags; dispatch by who can finish first."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from conftest import scenario_params
from sim import params_from_dict
from sim.model import GovernanceModel


def _town(days: float = 28.0, seed: int = 2, **over):
    d = scenario_params("chongming_town", days)
    d["seed"] = seed
    d["run"]["warmup_days"] = 7.0
    for k, v in over.items():
        node = d
        *path, leaf = k.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = v
    return d


@pytest.fixture(scope="module")
def town():
    m = GovernanceModel(params_from_dict(_town()))
    return m, m.run()


def test_household_heads_with_fewer_households_visit_each_more_often():
    """户长制: a head's round is limited by its time (2 h a week, 10 min a visit), so a
    head of 6 households sees each about twice a week and a head of 10 about once; with the
    same issues (common random numbers) the heads find more with 6 per head. Before, every
    head visited 12 households a day, so any block of 12 or fewer was visited daily and 6 and
    10 gave identical runs."""
    found, visits = {}, {}
    for n in (6, 10):
        m = GovernanceModel(params_from_dict(_town(20.0, **{"teams.households_per_head": n})))
        m.run()
        ppl = m.people
        visits[n] = 7 * m.params.teams.head_visits_per_day / ppl.head_block.mean()  # per household a week
        found[n] = sum(h.issues_found for h in ppl.heads)
    assert visits[6] > 1.5 * visits[10]
    assert found[6] > found[10], found


def test_each_grid_costs_its_leader_fixed_duties(town):
    """Over whole weeks, a cadre leading k grids spends k × leader_overhead_h_per_week on
    the grids' fixed duties (meetings, logs, reporting) and a management member
    management_overhead_h_per_week; they come out of issue-work time, hours still add up."""
    m, res = town
    st = res.staff
    sp = m.params.staff
    weeks = (m.params.run.horizon_days - m.params.run.warmup_days) / 7.0
    assert weeks == 3.0
    lead = m.people.leader_sid
    for sid in np.unique(lead)[:20]:
        k = int((lead == sid).sum())
        assert st["overhead_h"][sid] == pytest.approx(weeks * k * sp.leader_overhead_h_per_week)
    mgmt = (st["team"] == "management")
    assert np.allclose(st["overhead_h"][mgmt], weeks * sp.management_overhead_h_per_week)
    assert (st["overhead_h"][st["team"] == "work"] == 0).all()


def test_more_grids_more_issues_straddle_a_border():
    """An issue of extent ℓ in a grid of area A with shared border L straddles it with
    chance min(1, 2ℓL/πA): none with one grid per village, more with every further cut."""
    share, expect = {}, {}
    for g in (1, 3, 8):
        m = GovernanceModel(params_from_dict(_town(10.0, **{"partition.grids_per_village": g})))
        occ, w = m.occ, m.world
        ext = np.array([t.extent_km for t in m.params.issue_types])[occ.type]
        prob = np.minimum(1.0, 2 * ext * w.grid_internal_boundary_km()[occ.grid] / (np.pi * w.grid_area_km2[occ.grid]))
        share[g], expect[g] = float(np.mean(m.intake.boundary)), float(prob.mean())
        # the draws follow the formula: binomial standard error over the issues, 4.5 of them
        assert abs(share[g] - expect[g]) <= 4.5 * np.sqrt(max(expect[g] * (1 - expect[g]), 1e-12) / occ.n) + 1e-12
    assert share[1] == 0.0 < share[3] < share[8]


def test_a_job_for_two_is_worked_by_two_people(town):
    """crew_size 2 (rivers, trees): the issue is handled only when both people are done,
    and the two parts are worked by two different members."""
    m, res = town
    b, log = m.handling.book, m.handling.log
    n = b.n
    crew = [i for i in range(b.n_main) if b.crew2[i] and b.level_reached[i] <= 1 and b.t_handled[i] == b.t_handled[i]
            and not b.on_spot[i]]
    assert len(crew) > 20
    job = np.asarray(log.job)
    mem = np.asarray(log.member)
    keep = ~np.asarray(log.cancelled)
    two = 0
    for i in crew[:200]:
        a = set(mem[keep & (job == i)].tolist())
        c = set(mem[keep & (job == n + i)].tolist())
        if a and c:
            two += 1
            assert a != c or len(a | c) > 1
            last = max(np.asarray(log.end_h)[keep & ((job == i) | (job == n + i))])
            assert b.t_handled[i] >= last - 1e-9
    assert two > 20


def test_help_from_outside_the_grid_is_counted(town):
    """A grid-level job worked by someone from outside its grid (a village cadre or crew,
    another grid's member) is a help request: counted in help_share."""
    m, res = town
    iss = res.issues
    from sim.metrics.kpi import summarize

    s = summarize(res)
    assert 0 < s["help_share"] < 1
    assert iss["helped"].sum() > 0 and (iss["helped"] <= (iss["t_dispatched_h"] == iss["t_dispatched_h"])).all()


def test_the_cost_model_prices_people_and_places(town):
    """cost.by_team: head counts of the staff table × costs.* (a year), departments'
    configured case handlers, one service point per grid; the total is their sum and the cost
    per fixed issue divides it by a year's fixed issues."""
    m, res = town
    from sim.metrics.cost import cost_kpis

    c, p, st = cost_kpis(res), m.params.costs, res.staff
    train = p.training_yuan_per_member_per_year * m.params.teams.training_level
    assert c["by_team"]["work"] == pytest.approx((st["team"] == "work").sum() * (12 * p.work_yuan_per_month + train))
    assert c["by_team"]["cadre"] == pytest.approx((st["team"] == "cadre").sum() * 12 * p.cadre_yuan_per_month)
    assert c["by_team"]["service_points"] == pytest.approx(m.world.n_grids * p.service_point_yuan_per_year)
    assert c["total_yuan_per_year"] == pytest.approx(sum(c["by_team"].values()))
    assert c["per_fixed_issue_yuan"] == pytest.approx(c["total_yuan_per_year"] / c["fixed_per_year"])


@pytest.mark.parametrize("basis", ["yuan", "hours"])
def test_a_mix_reshapes_the_teams_at_equal_cost(basis):
    """teams.mix without a budget keeps what the scenario's grid teams cost (or their
    contracted hours), within 1 % (the rounding of head counts)."""
    from sim.params import team_totals
    from sim.params.costs import team_cost

    base = params_from_dict(_town(10.0))
    mixed = params_from_dict(_town(10.0, **{"teams.mix": [0.17, 0.81, 0.02], "teams.budget_basis": basis}))
    b, t = team_totals(base), team_totals(mixed)
    hours = basis == "hours"
    assert t != b
    assert team_cost(mixed, t, hours) == pytest.approx(team_cost(base, b, hours), rel=0.01)


def test_volunteers_and_management_members_work(town):
    """Volunteers take simple jobs and the mediators among them mediate the disputes of their
    part of the grid (their A posts); ordinary management members' rounds find issues
    (their own channel)."""
    m, res = town
    st = res.staff
    vol = st["team"] == "volunteer"
    assert st["issues_handled"][vol].sum() > 0 and st["mediation_h"][vol].sum() > 0
    mgmt = (st["team"] == "management") & (st["role"] == "management")
    assert st["issues_found"][mgmt].sum() > 0


def test_star_families_raise_their_neighbours_reporting(town):
    """四亮一挂: households with a marked party family nearby report more readily
    (residents.star_report_bonus on the logit) and start with more trust."""
    m, _ = town
    hh = m.households
    near = np.flatnonzero(hh.star_near)[:50]
    base = hh.report_shift[near] - m.params.residents.star_report_bonus
    assert (hh.report_shift[near] > base).all()
    assert hh.trust_start[hh.star_near].mean() > hh.trust_start[~hh.star_near].mean()


def test_the_monthly_assessment_rectifies_the_lowest_grids():
    """考核评价: on the first of a month the lowest tenth (by on-time rate, then mean
    resolution) get the rectification boost, the highest tenth the recognition one; the
    counters start again; the supervision hours are counted."""
    from sim.lifecycle.assessment import Assessment

    p = params_from_dict(_town(10.0, **{"assessment.enabled": True, "assessment.min_closed": 1}))
    a = Assessment(p, 20, dt.date(2025, 3, 1))
    for g in range(20):
        for k in range(4):
            a.closure(g, on_time=(k < 4 - g // 5), resolution_h=10.0 + g)
    a.day(24.0 * 1)  # 2 March: nothing
    assert (a.boost == 1.0).all()
    a.day(24.0 * 31)  # 1 April
    ap = p.assessment
    assert (a.boost[18:] == 1.0 + ap.bottom_effect).all() and (a.boost[:2] == 1.0 + ap.top_effect).all()
    assert (a.boost[2:18] == 1.0).all() and a.closed.sum() == 0
    assert a.kpis()["supervision_h"] == 2 * ap.supervision_h_per_grid


def test_routes_walk_parallel_roads_without_jumping_back():
    """Two parallel roads in one grid: walked up one and down the other (one short hop),
    not up both from the same end with a jump back across the grid."""
    from sim.world.roads import grid_routes

    n = 10
    x = np.tile(np.linspace(0.0, 1.0, n), 2)
    y = np.repeat([0.0, 0.1], n)
    xy = np.column_stack([x, y])
    road = np.repeat([0, 1], n)
    r = grid_routes(np.zeros(2 * n, dtype=np.int64), road, x.copy(), xy, 1)
    assert r.grid_length_km[0] == pytest.approx(2.0 + 0.1)  # 1 km up, 0.1 across, 1 km down


def test_dispatch_sends_who_can_finish_first():
    """The pools choose by finishing time: a part-timer on duty now with two hours a week
    loses a three-hour job to a full-timer who starts an hour later."""
    from sim.lifecycle.calendar import WorkCalendar
    from sim.lifecycle.dispatch import Dispatcher

    start = dt.date(2025, 3, 3)
    part = WorkCalendar([[(8.0, 9.0)], [], [], [(8.0, 9.0)], [], [], []], start, 28)
    full = WorkCalendar([[(9.0, 17.0)]] * 5 + [[], []], start, 28)

    class M:
        def __init__(self, cal):
            self.cal, self.free, self.xy = cal, True, None

    a, b = M(part), M(full)
    assert Dispatcher.best_free([a, b], 8.0, None, work_h=0.0) is a  # starts first
    assert Dispatcher.best_free([a, b], 8.0, None, work_h=3.0) is b  # finishes first
