"""Resource guard: refuse, before anything is built, a run that would not fit.

From the parameters alone (no allocation, no map generated) :func:`estimate` counts what
a run will hold — residents, households, grids, villages, agents (team members, cadres,
department case handlers, household heads, and households and party members when they
decide), crew slots, issues, simulated days, bytes of a GeoJSON map — and turns
the counts into peak memory and events with the small linear formula below.
:func:`check` raises :class:`~sim.errors.ConfigError` when the memory exceeds
``run.memory_limit_gb`` (default: the machine's memory, or the container's limit if
lower) or the events exceed ``run.max_events``, naming the parameter that drives the
estimate: among the inputs of the largest term, the one furthest above its default.

The formula (ONE place; update it when the model grows, then rerun the calibration):

    memory_bytes = BYTES["base"] + Σ_k BYTES[k] × count_k
    events       = issues × EVENTS_PER_ISSUE × (1 + expected reworks per issue)

Calibration: ``python benchmarks/guard_calibration.py`` runs 16 configurations, each
varying one count (households, grids, villages, agents, crews, issues, days, map size),
through ``python run.py ... report=true`` as subprocesses, reads each one's peak
resident set size (the child's high-water mark, VmHWM; ``resource.getrusage``'s
ru_maxrss would include memory inherited at fork) and fits the coefficients by
non-negative least squares on the counts (``--save``/``--refit``: fit saved peaks again
after the formula's terms change). The coefficients are the fits (in the comments)
rounded up, so that the estimate errs on the side of refusing. Rerun 2026-12 (2 cores,
23 GB, Python 3.12.1, Mesa 3.5.1) after the event loop's state moved to typed columns
(sim/columns.py): the estimate is 1.15-1.75 × the measured peak in 13 of 16 cases (mmc 30
days: 360 vs 244 MB; Chongming 1 year: 933 vs 586 MB, 3 years: 1,548 vs 988 MB; 3 M town
crews: 6.0 vs 4.6 GB), 3.4-4.8 × for ``chongming_town`` (the district's residents are
counted, not the simulated town's) and 5 × for a GeoJSON map (whose household count is
bounded from the file size before reading it). That rerun found two terms short: the
people's work calendars, ~200 of them wherever teams work shifts, hold their working
intervals for every day of the run (``member_days``: a 2000-year ``chongming_town`` run
took 20.1 GB against an estimate of 0.8 GB; now 24.1 GB), and the units' calendars of a
crew world (``days``: a 1000-year village 1.45 GB against 1.34; now 1.67). A typhoon
surge of 1 M extra issues on Chongming: 5.92 vs 4.83 GB, of 5 M: 25.9 vs 19.7 GB (2026-12).
EVENTS_PER_ISSUE is an upper bound from the
event loop's event kinds (a Chongming year: ~4 events per issue).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import ConfigError
from sim.params import IssueTypeParams, LevelParams, ModelParams, RunParams, TeamParams, WorldParams, team_totals
from sim.vocab import LEVELS, STAFF_DRIVERS

# --- the formula's coefficients (bytes per counted item) -------------------------------
BYTES = {
    "base": 300e6,          # interpreter, numpy/scipy/pandas/pyarrow/mesa/matplotlib, report figures (fit 261 MB)
    "residents": 25.0,      # resident columns and the draws that make them (fit 20)
    "households": 10.0,     # household columns, coordinates, partition, service points (fit 0-7)
    "grids": 4500.0,        # grid handling unit (Mesa agent + calendar), per-grid tables and modifiers (fit 3,485)
    "villages": 5000.0,     # village polygon, roads, unit, names (fit 3,829)
    "agents": 650.0,        # one Mesa agent: team member or household head (fit 503)
    "crew_slots": 1900.0,   # an abstract crew: a Mesa StaffMember agent with its lists (measured 2026-12: 3 M town crews 4.84 GB, ~1.5 KB each)
    "issues": 2900.0,       # arrival columns, event-loop lists, issue table, parquet, KPIs (measured 2026-12: village, 1000 years: 1.44 GB)
    "days": 900.0,          # per simulated day: service-day clock, the units' calendars (measured 2026-12: village, 1000 years)
    "member_days": 31000.0,  # per simulated day where people work shifts: ~200 calendars' intervals (fit 24,780: 2000 years 20.1 GB)
    "geojson_bytes": 8.0,   # parsing a GeoJSON file: Python objects per byte of text (measured ~6.7)
    "surge_issues": 5000.0,  # an issue of a surge: as above, plus its draws (measured 2026-12 on chongming_typhoon: 1 M extra issues peak 4.83 GB, 5 M 19.7 GB, ~3,900 B each)
    "round_ticks": 250.0,   # a scheduled round tick: a tuple in the sorted schedule and its heap entry (not fitted)
}
EVENTS_PER_ISSUE = 5.0  # arrival, end, verification, hand-overs and breaches, per attempt
GEOJSON_BYTES_PER_HOUSEHOLD = 60.0  # bytes of the smallest household Point feature: households <= file bytes / this
GB = 1e9


@dataclass
class Term:
    """One line of the estimate: ``count`` items of kind ``kind``, driven by ``drivers``
    (``(key, value, default)`` of the parameters the count grows with)."""

    kind: str
    count: float
    drivers: list = field(default_factory=list)

    @property
    def bytes(self) -> float:
        return BYTES[self.kind] * self.count


@dataclass
class Estimate:
    terms: list[Term]
    events: float
    event_drivers: list

    @property
    def memory_bytes(self) -> float:
        return BYTES["base"] + sum(t.bytes for t in self.terms)

    def counts(self) -> dict:
        return {t.kind: t.count for t in self.terms}

    def describe(self) -> str:
        c = self.counts()
        return (f"about {self.memory_bytes / GB:.2f} GB and {self.events:.3g} events: "
                f"{c.get('residents', 0):,.0f} residents, {c.get('grids', 0):,.0f} grids, "
                f"{c.get('agents', 0):,.0f} agents, {c.get('crew_slots', 0):,.0f} crews, {c.get('issues', 0):,.0f} issues")


def _d(cls: type, name: str):
    return getattr(cls(), name)


def _drv(key: str, value, default) -> tuple:
    return (key, value, default)


def estimate(p: ModelParams, known: dict | None = None) -> Estimate:
    """Counts, memory and events of run ``p`` (see module doc), from the parameters only,
    or with the ``households`` and ``residents`` of a map already read (``known``)."""
    w, pp, tp = p.world, p.partition, p.teams
    W = lambda k: _drv(f"world.{k}", getattr(w, k), _d(WorldParams, k))  # noqa: E731
    terms: list[Term] = []
    persons = w.persons_per_household
    if w.map == "regular":
        towns = w.towns
        villages = towns * w.villages_per_town
        grids = villages * (pp.grids_per_village or w.grids_per_village)
        households = grids * w.households_per_grid
        world_drv = [W("towns"), W("villages_per_town"), W("grids_per_village"), W("households_per_grid")]
        grid_drv = [W("towns"), W("villages_per_town"), W("grids_per_village")]
    elif w.map in ("synthetic", "chongming"):
        towns, villages = (w.towns, w.villages) if w.map == "synthetic" else (18, 269)
        households = max(w.residents / persons, villages)  # every village has a household
        world_drv = [W("residents"), W("villages")]
        grid_drv, grids = _grids(pp, villages, households)
        grid_drv = [W("villages"), *grid_drv]
    else:
        size = _file_size(w.geojson_path)
        terms.append(Term("geojson_bytes", size, [_drv("world.geojson_path", w.geojson_path, "")]))
        households = size / GEOJSON_BYTES_PER_HOUSEHOLD
        villages = towns = max(1.0, households / 100.0)
        world_drv = [_drv("world.geojson_path", w.geojson_path, "")]
        grid_drv, grids = _grids(pp, villages, households)
    residents = households * persons
    if known:  # a GeoJSON map read: its real households and residents (sizes in the file)
        households = float(known.get("households", households))
        residents = float(known.get("residents", households * persons))
    terms += [Term("residents", residents, [*world_drv, W("persons_per_household")]),
              Term("households", households, world_drv),
              Term("villages", villages, world_drv),
              Term("grids", grids, grid_drv)]

    # agents: team members, village cadres, department case handlers, household heads,
    # and (when households decide) every household and party member
    T = lambda k: _drv(f"teams.{k}", getattr(tp, k), _d(TeamParams, k))  # noqa: E731
    team = team_totals(p)
    members = p.has_members
    cadres = villages * p.staff.cadres_per_village if members else 0.0
    heads = households / tp.households_per_head + grids if (tp.household_heads and members) else 0.0
    depts = 0.0
    for lvl, n_geo in (("town", towns), ("district", 1.0)):
        for d in getattr(p.departments, lvl):
            depts += max(d.min_staff * n_geo, d.staff_per_10k_residents * residents / 1e4) * d.case_share + n_geo
    people = (households + residents * w.p_party_member) if p.has_households else 0.0
    terms.append(Term("agents", (sum(team.values()) if members else 0.0) + cadres + heads + depts + people,
                      [T("management_total"), T("work_total"), T("volunteer_total"), T("scale_management"),
                       T("scale_work"), T("scale_volunteer"), *([T("households_per_head")] if tp.household_heads else []),
                       *[T(k) for k in ("budget_yuan", "budget_hours_per_year") if getattr(tp, k) is not None],
                       *world_drv]))

    # abstract crews where a level has no people
    L = lambda lv: _drv(f"levels.{lv}.crews", getattr(p.levels, lv).crews, _d(LevelParams, "crews"))  # noqa: E731
    c = {lv: (getattr(p.levels, lv).crews or 1) for lv in LEVELS}
    crews = 0.0 if members else grids * c["grid"] + villages * c["village"]
    crews += 0.0 if p.departments.town else towns * c["town"]
    crews += 0.0 if p.departments.district else c["district"]
    terms.append(Term("crew_slots", crews, [L("grid"), L("village"), L("town"), L("district"), *grid_drv]))

    years = (p.run.horizon_days + p.run.drain_days) / 365.0  # the drain's background issues too
    R = _drv("run.horizon_days", p.run.horizon_days, _d(RunParams, "horizon_days"))
    rate = sum(t.rate_per_1000_residents_per_year for t in p.issue_types) / 1000.0
    surge = sum(float(e.extra_issues) for e in p.events)
    issues = residents * rate * years + surge  # events: every issue alike; memory: surge issues apart
    rate_drv = [_drv(f"issue_types.{t.name}.rate_per_1000_residents_per_year", t.rate_per_1000_residents_per_year,
                     _d(IssueTypeParams, "rate_per_1000_residents_per_year")) for t in p.issue_types]
    surge_drv = [_drv(f"events.{e.name}.extra_issues", e.extra_issues, 2500) for e in p.events]
    terms.append(Term("issues", issues - surge, [R, *rate_drv, *world_drv]))
    terms.append(Term("surge_issues", surge, surge_drv or [R]))
    terms.append(Term("days", p.run.horizon_days + p.run.drain_days, [R]))
    # the people's work calendars: their working intervals for every day of the run (~200
    # distinct calendars wherever teams work shifts, whatever the map's size)
    terms.append(Term("member_days", p.run.horizon_days + p.run.drain_days if members else 0.0, [R]))

    # rounds not tied to staff (video sweeps, river chiefs, ...): one tick per period, everywhere
    horizon_h = p.end_h
    ticks, tick_drv = 0.0, [R]
    for ch in p.channels:
        if ch.enabled and ch.kind == "rounds" and getattr(ch, "driver", None) not in STAFF_DRIVERS:
            ticks += horizon_h / ch.period_h + 1
            tick_drv.append(_drv(f"channels.{ch.name}.period_h", 1.0 / ch.period_h, 1.0 / 24.0))
    terms.append(Term("round_ticks", ticks, tick_drv))

    # events: every attempt costs a few; reworks repeat attempts (at most lifecycle.max_reworks)
    scale = tp.rework_factor
    reworks = 0.0
    for t in p.issue_types:
        q = min(1.0, t.p_rework * scale)
        n = p.lifecycle.max_reworks
        expected = n if q >= 1.0 else q * (1 - q**n) / (1 - q)  # Σ_{k=1..n} q^k
        reworks = max(reworks, expected)
    events = issues * EVENTS_PER_ISSUE * (1.0 + reworks) + ticks
    ev_drv = [R, *rate_drv, *world_drv, *surge_drv, *tick_drv[1:],
              _drv("lifecycle.max_reworks", p.lifecycle.max_reworks, 3)]
    return Estimate(terms, events, ev_drv)


def _grids(pp, villages: float, households: float) -> tuple[list, float]:
    P = lambda k: _drv(f"partition.{k}", getattr(pp, k), None)  # noqa: E731
    if pp.grids_per_village is not None:
        return [P("grids_per_village")], villages * pp.grids_per_village
    if pp.total_grids is not None:
        return [P("total_grids")], float(pp.total_grids)
    return [P("k_max")], villages * pp.k_max


def _file_size(path: str) -> float:
    try:
        return float(Path(path).stat().st_size)
    except OSError:
        return 0.0  # the loader reports a missing file


def machine_memory_bytes() -> tuple[float, str]:
    """The memory this process may use: physical memory, or the cgroup (container)
    limit if that is lower; and where the number came from."""
    total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    src = "the machine's memory"
    for f in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            v = Path(f).read_text().strip()
        except OSError:
            continue
        if v.isdigit() and 0 < int(v) < total:
            total, src = float(v), "the container's memory limit"
        break
    return total, src


def _culprit(drivers: list) -> str:
    """The driver furthest above its default (ratio value / default; 1 when unknown)."""
    best, best_r = drivers[0][0], -1.0
    for key, value, default in drivers:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            r = 1.0
        else:
            d = default if isinstance(default, (int, float)) and default else 1.0
            r = abs(value) / abs(d)
        if r > best_r:
            best, best_r = key, r
    return best


def check(p: ModelParams, known: dict | None = None) -> Estimate:
    """Raise ConfigError if run ``p`` would exceed the memory or event limit; else return
    the estimate (``known``: see :func:`estimate`)."""
    e = estimate(p, known)
    if p.run.memory_limit_gb is not None:
        limit, src = p.run.memory_limit_gb * GB, "run.memory_limit_gb"
    else:
        limit, src = machine_memory_bytes()
    mem = e.memory_bytes
    if not math.isfinite(mem) or mem > limit:
        top = max(e.terms, key=lambda t: t.bytes)
        key = _culprit(top.drivers)
        raise ConfigError(key, f"too large: this run would need {_gb(mem)} of memory ({top.count:,.3g} {top.kind.replace('_', ' ')}), "
                               f"more than {_gb(limit)} ({src}); allowed: {_fewer(key)} "
                               f"(or set run.memory_limit_gb if more memory is really there)")
    if p.run.max_events is not None and (not math.isfinite(e.events) or e.events > p.run.max_events):
        key = _culprit(e.event_drivers)
        raise ConfigError(key, f"too long: this run would process about {e.events:.3g} events, more than "
                               f"run.max_events ({p.run.max_events:.3g}); allowed: {_fewer(key)} "
                               f"(or raise run.max_events)")
    return e


def _fewer(key: str) -> str:
    """What lowers the estimate: a smaller count, or a longer period."""
    return f"a longer {key}" if key.endswith("period_h") else f"a smaller {key}"


def _gb(b: float) -> str:
    return f"{b / GB:,.1f} GB" if b < 1e15 else f"{b:.2g} bytes"
