"""Unit tests of the model's rules, in-process and without a run: routing and escalation,
dispatch choices, KPI populations and the registry, households' channel choice,
apportionment, calendars and what a staff member decides for itself. Each test builds only
the few objects its rule reads (a few milliseconds each)."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import mesa
import numpy as np
import pytest

from sim.agents.households import Households
from sim.agents.staff import StaffMember
from sim.agents.teams import unit_schedule
from sim.apportion import apportion, largest_remainder
from sim.lifecycle.calendar import CalendarBook, WorkCalendar
from sim.lifecycle.dispatch import Dispatcher, queue_key
from sim.lifecycle.holidays import HolidayTable
from sim.lifecycle.routing import TOP, Reason, capability_hops, escalation_target
from sim.metrics import registry
from sim.metrics.populations import POPULATIONS, Populations, dispatched, due
from sim.params import CalendarParams, ChannelParams, ModelParams, PartitionParams, ResidentParams, WorldParams

MONDAY = dt.date(2024, 1, 1)


# ------------------------------------------------------------------ routing and escalation
def test_capability_routing_steps_or_jumps():
    assert capability_hops(0, "step") == () and capability_hops(0, "direct") == ()
    assert capability_hops(3, "step") == (1, 2, 3)  # one hand-over per level
    assert capability_hops(3, "direct") == (3,)  # fused nets: straight to the capable level
    assert capability_hops(2, "direct") == (2,)


@pytest.mark.parametrize("rule, expected", [("step", [1, 2, 3, 3]), ("direct", [2, 2, 3, 3])])
def test_escalation_targets(rule, expected):
    assert [escalation_target(L, rule) for L in range(4)] == expected
    assert escalation_target(TOP, rule) == TOP  # the district stays at the district


def test_reasons_separate_routing_from_escalation():
    assert [r.name for r in Reason] == ["CAPABILITY", "FAILED", "OVERDUE", "REWORK_CAP"]
    assert Reason.CAPABILITY == 0 and len({int(r) for r in Reason}) == 4


# ------------------------------------------------------------------ dispatch
def _person(sid, cal, xy=None, base=None, xy_day=-1, job=-1):
    """A stand-in with what the dispatcher reads of a staff member."""
    p = SimpleNamespace(sid=sid, cal=cal, xy=xy, base_xy=base if base is not None else xy, xy_day=xy_day, job=job)
    p.free = job < 0
    p.position_at = lambda t, p=p: p.xy if int(t // 24.0) == p.xy_day else p.base_xy
    return p


def test_best_free_prefers_who_can_start_first_then_the_nearest():
    book = CalendarBook(MONDAY, 14, HolidayTable.none())
    early = book.unit(CalendarParams(day_start_h=8.0, day_end_h=12.0))
    late = book.unit(CalendarParams(day_start_h=14.0, day_end_h=18.0))
    far_early = _person(0, early, xy=(5.0, 0.0))
    near_late = _person(1, late, xy=(0.1, 0.0))
    near_early = _person(2, early, xy=(1.0, 0.0))
    busy = _person(3, early, xy=(0.0, 0.0), job=7)
    t = 7.0  # Monday 07:00: the morning shift opens first
    assert Dispatcher.best_free([far_early, near_late, near_early, busy], t, (0.0, 0.0)) is near_early
    assert Dispatcher.best_free([far_early, near_late], t, (0.0, 0.0)) is far_early  # hours beat metres
    assert Dispatcher.best_free([far_early, near_early], t, (0.0, 0.0), exclude=near_early) is far_early
    assert Dispatcher.best_free([busy], t, (0.0, 0.0)) is None


def test_best_free_measures_from_where_the_member_is_today():
    cal = WorkCalendar.always()
    moved = _person(0, cal, xy=(0.0, 0.0), base=(9.0, 0.0), xy_day=0)  # ended a job here today
    stay = _person(1, cal, xy=(2.0, 0.0))
    assert Dispatcher.best_free([moved, stay], 5.0, (0.0, 0.0)) is moved
    assert Dispatcher.best_free([moved, stay], 30.0, (0.0, 0.0)) is stay  # next day: back at its base


def test_queue_order_supervised_first_then_discipline():
    fifo = sorted([queue_key(0, False, 3, 10.0), queue_key(0, True, 1, 99.0)])
    assert fifo[0] == queue_key(0, True, 1, 99.0)
    assert queue_key(1, False, 3, 0.0) < queue_key(1, False, 1, 0.0)  # severity: the severe first
    assert queue_key(2, False, 1, 5.0) < queue_key(2, False, 1, 8.0)  # time_left: the nearest deadline first
    assert queue_key(0, False, 3, 5.0) == queue_key(0, False, 1, 8.0)  # fifo: ties go by arrival


def test_patch_owner_lookup_by_trade():
    owner_sid = np.array([4, 4, 9])
    people = SimpleNamespace(members=[], patches={"work_team": SimpleNamespace(owner_sid=owner_sid)})
    p = ModelParams()
    d = Dispatcher(p, people)
    from sim.params import TRADES

    assert d.owner_of(TRADES.index("river"), 2) == 9  # an eco trade: the work team's patch
    assert d.owner_of(TRADES.index("service"), 0) == -1  # no management patches in this world
    assert d.rule == p.dispatch.rule and d.threshold == p.dispatch.help_queue_threshold


# ------------------------------------------------------------------ what a member decides
@pytest.fixture
def member():
    m = mesa.Model()
    sched = unit_schedule("work", WorkCalendar.always())
    s = StaffMember(m, 3, "work", "work", 1, 0, 0, 0b11, (0.0, 0.0), sched, 0, "walk")
    return s


def test_member_effort_on_its_own_patch_and_elsewhere(member):
    f = (0.8, 0.5, 1.3, 1.5)
    assert member.effort(10.0, 3, 1, f) == (8.0, 0.5)  # its own patch
    assert member.effort(10.0, 7, 1, f) == (10.0, 1.0)  # its grid, another's patch
    assert member.effort(10.0, 7, 2, f) == pytest.approx((13.0, 1.5))  # another grid
    member.team = "department"
    assert member.effort(10.0, 3, 2, f) == (10.0, 1.0)  # no patch outside the grid teams


def test_member_availability_and_trades(member):
    assert member.free and member.can_work_issues and member.can_do(0b10) and not member.can_do(0b100)
    member.xy, member.xy_day = (1.0, 1.0), 2
    assert member.position_at(2 * 24.0 + 5.0) == (1.0, 1.0) and member.position_at(3 * 24.0) == (0.0, 0.0)


# ------------------------------------------------------------------ KPI populations and registry
def _issues():
    nan = np.nan
    #          reported  dispatched  closed  deadline  on_spot
    rows = [(5.0, 6.0, 20.0, 30.0, False),  # before the warm-up (10 h)
            (12.0, 13.0, 40.0, 30.0, False),  # closed late: due
            (15.0, 16.0, nan, 50.0, False),  # open, deadline before the horizon (100 h): due
            (18.0, 19.0, nan, 200.0, False),  # open, deadline after the horizon: not due
            (20.0, 20.0, 20.5, nan, True),  # fixed on the spot: not dispatched
            (25.0, nan, nan, nan, False),  # reported, not yet dispatched (consultation)
            (nan, nan, nan, nan, False)]  # never reported
    a = np.array(rows, dtype=object)
    f = lambda k: a[:, k].astype(float)  # noqa: E731
    return {"t_reported_h": f(0), "t_dispatched_h": f(1), "t_closed_h": f(2), "deadline_h": f(3),
            "on_spot": a[:, 4].astype(bool), "t_handled_h": f(2), "rating": np.array([""] * 7)}


def test_populations_dispatched_and_due_written_once():
    pop = Populations(_issues(), 10.0, 100.0)
    assert np.flatnonzero(pop.reported).tolist() == [1, 2, 3, 4, 5]
    assert np.flatnonzero(pop.dispatched).tolist() == [1, 2, 3]
    assert np.flatnonzero(pop.due).tolist() == [1, 2]
    assert np.flatnonzero(pop["dispatched_closed"]).tolist() == [1]
    assert np.flatnonzero(pop["reported_closed"]).tolist() == [1, 4]
    win = Populations(_issues(), 10.0, 100.0, window=(14.0, 19.0))  # a surge's reports
    assert np.flatnonzero(win.due).tolist() == [2]
    iss = _issues()
    raw = due(dispatched(iss["t_dispatched_h"], iss["on_spot"]), ~np.isnan(iss["t_closed_h"]), iss["deadline_h"], 100.0)
    assert np.flatnonzero(raw).tolist() == [0, 1, 2]  # the same rule without the warm-up
    with pytest.raises(KeyError, match="no population"):
        pop["nobody"]


def test_registry_declares_every_kpi_once_with_unit_direction_and_labels():
    for k in registry.KPIS.values():
        assert k.unit in registry.UNITS and k.better in registry.BETTER, k
        assert k.en and k.zh and k.en != k.zh, k
        assert k.population is None or k.population in POPULATIONS, k
        assert k.practical_difference is None or k.practical_difference > 0, k
    for d in registry.DISTRIBUTIONS:
        assert d.population in POPULATIONS
    assert registry.KPIS["on_time_rate"].better == "higher" and registry.KPIS["resolution_time_h.mean"].better == "lower"
    assert registry.kpi_unit("resolution_time_h.p90") == "h" and registry.kpi_unit("surge.days_to_recover") == "days"
    assert registry.kpi_unit("workload.grid.busy_h") == "h" and registry.kpi_unit("by_type.river.count") == "count"
    assert registry.describe("on_time_rate") == {"unit": "share", "better": "higher", "practical_difference": None}
    assert registry.describe("workload.town.busy_h")["better"] is None  # not declared: no direction


def test_every_experiment_kpi_is_declared():
    """The KPIs the shipped experiments compare have a declared unit, direction and label."""
    import glob

    import yaml

    for f in glob.glob("conf/experiment/*.yaml"):
        for k in (yaml.safe_load(open(f)).get("experiment") or {}).get("kpis", []):
            assert k in registry.KPIS, (f, k)


def test_report_labels_come_from_the_registry():
    from sim.reporting.i18n import TERMS, Tr

    assert TERMS["kpi"] == registry.labels()
    T = Tr("zh")
    assert T.term("kpi", "on_time_rate") == "按期结案率" and T.term("stage", "resolution_time_h") == "上报 → 办结"


# ------------------------------------------------------------------ channel choice
def _households(**state):
    """A Households collective of one household with only what ``route`` reads."""
    hh = Households.__new__(Households)
    chans = [ChannelParams(name="app", kind="resident", driver="app_users"),
             ChannelParams(name="sp", kind="resident", driver="service_point", service_day_boost=2.0),
             ChannelParams(name="hotline", kind="resident", driver="hotline"),
             ChannelParams(name="head", kind="resident", driver="household_heads"),
             ChannelParams(name="party", kind="resident", driver="party_members")]
    hh.routes = list(enumerate(chans))
    hh.rp = ResidentParams()
    hh.occ = SimpleNamespace(household=np.array([0]))
    hh.start = MONDAY
    hh.gumbel = np.zeros((1, len(chans)))
    base = dict(trust=np.array([0.5]), app=np.array([1]), walk_min=np.array([0.0]), head=np.array([0]),
                party_near=np.array([1.0]), star_near=np.array([False]))
    for k, v in {**base, **state}.items():
        setattr(hh, k, v)
    return hh, chans


def test_channel_choice_takes_the_best_open_route():
    hh, _ = _households()
    hh.gumbel = np.array([[0.0, 0.0, 0.0, 0.0, 5.0]])  # a strong taste for the party route
    assert hh.route(0, 0.0) == 4
    hh.party_near = np.array([0.0])  # no party member nearby: that route is closed
    hh.gumbel = np.array([[3.0, 0.0, 0.0, 0.0, 5.0]])
    assert hh.route(0, 0.0) == 0
    hh.app = np.array([0])  # nobody in the household uses the app
    hh.head = np.array([-1])  # and it has no household head
    hh.gumbel = np.array([[3.0, 0.0, 0.0, 9.0, 5.0]])
    assert hh.route(0, 0.0) in (1, 2)


def test_distrust_sends_households_to_12345():
    """Trust favours the grid's routes by ``route_trust_slope`` × trust; 12345 gains
    ``hotline_distrust_slope`` × (1 − trust)."""
    trusting, _ = _households(trust=np.array([1.0]), app=np.array([0]), head=np.array([-1]), party_near=np.array([0.0]))
    distrusting, _ = _households(trust=np.array([0.0]), app=np.array([0]), head=np.array([-1]),
                                 party_near=np.array([0.0]))
    assert trusting.route(0, 0.0) == 1 and distrusting.route(0, 0.0) == 2


def test_service_day_boost_on_the_10th_and_20th():
    """On a service day the service point's utility gains log(service_day_boost)."""
    rp = ResidentParams()
    hh, chans = _households(app=np.array([0]), head=np.array([-1]), party_near=np.array([0.0]))
    u_sp, u_hotline = rp.route_trust_slope * 0.5, rp.hotline_distrust_slope * 0.5  # trust 0.5, at the door
    hh.gumbel = np.array([[0.0, 0.0, u_sp - u_hotline + math.log(2.0) / 2, 0.0, 0.0]])  # 12345 ahead by log(2) / 2
    assert chans[1].boost_on(dt.date(2024, 1, 10)) == 2.0 and chans[1].boost_on(dt.date(2024, 1, 11)) == 1.0
    assert hh.route(0, 24.0 * 9 + 10.0) == 1  # 10 January: the boost (x2) puts the service point ahead
    assert hh.route(0, 24.0 * 10 + 10.0) == 2  # 11 January: 12345
    assert hh.route(0, 24.0 * 19 + 10.0) == 1  # 20 January


# ------------------------------------------------------------------ apportionment, calendars, precedence
def test_largest_remainder():
    assert largest_remainder(np.array([1.6, 1.3, 0.1]), 3).tolist() == [2, 1, 0]
    assert largest_remainder(np.array([2.5, 2.5]), 5).tolist() == [3, 2]  # ties: the earlier entry
    assert largest_remainder(np.array([5.0, 3.6, 3.4]), 12, cap=5).tolist() == [5, 4, 3]
    assert largest_remainder(np.array([4.9, 4.9, 2.2]), 12, cap=5).tolist() == [5, 5, 2]
    assert apportion(10, np.array([1.0, 1.0, 2.0])).tolist() == [3, 2, 5]
    assert apportion(0, np.array([1.0])).tolist() == [0] and apportion(3, np.zeros(2)).tolist() == [0, 0]


def test_calendar_book_shares_one_calendar_per_pattern():
    book = CalendarBook(MONDAY, 30, HolidayTable.none())
    a = book.unit(CalendarParams(day_start_h=8.5, day_end_h=16.5))
    assert book.unit(CalendarParams(day_start_h=8.5, day_end_h=16.5)) is a
    assert book.unit(CalendarParams(always_on=True)) is book.always
    assert a.next_open(0.0) == 8.5 and a.add(8.5, 8.0) == 16.5 and a.add(16.0, 1.0) == 24.0 + 9.0
    assert a.work_before(24.0 * 7) == 40.0  # five working days of 8 h in the first week


def test_grids_per_village_precedence():
    fixed = lambda **kw: ModelParams(**kw).fixed_grids_per_village  # noqa: E731
    assert fixed() == WorldParams().grids_per_village  # regular map: the world's count
    assert fixed(partition=PartitionParams(grids_per_village=4)) == 4  # the lever overrides it
    assert fixed(world=WorldParams(map="synthetic")) is None  # computed per village
    assert fixed(world=WorldParams(map="synthetic"), partition=PartitionParams(grids_per_village=2)) == 2


# ------------------------------------------------------------------ detection that saturates
def test_doubling_passes_less_than_doubles_finds():
    """staff.repeat_pass_exponent < 1: passes over one stretch on a day are not independent,
    so the discovery gain from more passes is concave; at 1 it is the independent
    Bernoulli chance 1 − (1 − q)^n (exact)."""
    from sim.lifecycle.discovery import pass_detection

    base = np.full(5, 0.05)
    n = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    q = pass_detection(base, n, 0.5)
    indep = pass_detection(base, n, 1.0)
    assert np.allclose(indep, 1 - (1 - base) ** n, rtol=0, atol=1e-15)
    assert (np.diff(q) > 0).all()  # more passes still find more ...
    gain = np.diff(q) / np.diff(n)
    assert (gain[1:] < gain[:-1]).all()  # ... each further pass less (concave)
    # doubling the passes: x1.41-1.43 the finds when they saturate, against x1.95 for a rare
    # issue (q = 0.05) with independent passes
    assert (q[1:] / q[:-1] < 1.45).all() and indep[1] / indep[0] > 1.9
    assert (q[1:] < indep[1:]).all() and q[0] == pytest.approx(indep[0])
