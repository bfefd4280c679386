"""The governance model: a Mesa ``Model`` that builds the district, its handling units and
linkage centres, draws the run's issues and drives them through the closed loop.

Source: the Chongming party-building micro-grid case (see ``docs/ODD.md``); the issue
loop follows the 7-step loop of China's digitised city management (GB/T 30428).
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.lifecycle import dists
from sim.lifecycle.handling import Handling
from sim.lifecycle.occurrence import Arrivals, ArrivalMods, draw_arrivals
from sim.params import LEVELS, TRADES, ModelParams
from sim.rng import Streams
from sim.agents.teams import Teams, build_teams, channel_modifiers, coverage_15min, unit_bases
from sim.agents.units import HandlingUnit, LinkageCentre
from sim.world.world import World, build_world


@dataclass
class RunResult:
    """What one run produced: the issue table (numpy columns), the live backlog series,
    unit statistics, structure, counts of events and timings in seconds."""

    params: ModelParams
    issues: dict[str, np.ndarray]
    backlog_t_h: np.ndarray
    backlog_n: np.ndarray
    units: dict[str, np.ndarray]
    structure: dict
    events_processed: int
    timings_s: dict[str, float] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    world: World | None = None


class GovernanceModel(mesa.Model):
    """One district, one run. ``GovernanceModel(params).run()`` returns a :class:`RunResult`.

    Mesa agents: one :class:`~sim.units.HandlingUnit` per grid, village, town and for
    the district; one :class:`~sim.units.LinkageCentre` per town and for the district.
    Residents are column arrays in :class:`~sim.world.World`.
    """

    def __init__(self, params: ModelParams):
        t0 = time.perf_counter()
        self.params = params
        self.streams = Streams(params.seed)
        # Mesa's own generator is seeded from a named child stream and never used for
        # model draws (all draws come from self.streams).
        super().__init__(rng=self.streams["mesa"])
        self.start_date = _dt.date.fromisoformat(params.run.start_date)
        self.weekday0 = self.start_date.weekday()
        self.world: World = build_world(params, self.streams["world"])
        self.teams: Teams = build_teams(self, params, self.world, self.streams["teams"])
        self.units, self.unit_offset = self._build_units()
        self.centres = [LinkageCentre(self, 2, t) for t in range(self.world.n_towns)] + [LinkageCentre(self, 3, 0)]
        self.timings_s = {"build": time.perf_counter() - t0}

    # ---------------------------------------------------------------- construction
    def _build_units(self) -> tuple[list[HandlingUnit], list[int]]:
        w = self.world
        counts = [w.n_grids, w.n_villages, w.n_towns, 1]
        units: list[HandlingUnit] = []
        offset = []
        for L, n in enumerate(counts):
            offset.append(len(units))
            lp = self.params.levels.by_index(L)
            crews = self.unit_crews(L, n)
            for g in range(n):
                u = HandlingUnit(self, L, g, lp, self.weekday0)
                u.set_crews(int(crews[g]))
                units.append(u)
        return units, offset

    def unit_crews(self, level: int, n: int) -> np.ndarray:
        """Crews per unit at ``level``. With teams, a grid unit has one crew per work-team
        member and a village unit ``management_case_share`` of its management members
        (at least one each); otherwise the level's ``crews``."""
        tp, tm = self.params.teams, self.teams
        if level == 0 and tm.work.sum() > 0:
            return np.maximum(1, tm.work)
        if level == 1 and tm.management.sum() > 0:
            mv = tm.management_per_village(self.world)
            return np.maximum(1, np.round(mv * tp.management_case_share)).astype(np.int64)
        return np.full(n, self.params.levels.by_index(level).crews)

    def arrival_mods(self) -> ArrivalMods:
        """How teams, population and geography modify discovery, fixes and dispatch."""
        p, w, tm = self.params, self.world, self.teams
        n_t = len(p.issue_types)
        scale = np.full((w.n_grids, n_t), 0.5 + p.teams.training_level)
        if tm.work.sum() > 0:  # 一员多能: a finder fixes a trade's issue only with that skill
            for k, t in enumerate(p.issue_types):
                if t.trade in TRADES:
                    scale[:, k] *= tm.skill_share[:, TRADES.index(t.trade)]
        consult = None
        if tm.management.sum() > 0:
            dens = tm.management / w.grid_area_km2
            consult = np.clip(p.teams.consultation_ref_management_per_km2 / np.maximum(dens, 1e-9), 0.25, 4.0)
        route = None if p.fusion.enabled else self._village_committee_route
        return ArrivalMods(channel=channel_modifiers(p, w, tm), on_spot_scale=scale, consult_scale=consult,
                           route_delay=route, start_date=self.start_date)

    def _village_committee_route(self, t: np.ndarray, grid: np.ndarray, rng: np.random.Generator):
        """Nets not fused: reports pass through the village committee (relay delay); a
        share is lost and re-reported later."""
        f = self.params.fusion
        n = len(t)
        relay = dists.sample(f.relay, rng, n)
        lost = rng.random(n) < f.p_loss
        again = dists.sample(f.rereport, rng, n)
        return t + relay + np.where(lost, again, 0.0), lost

    def travel_hours(self, arr: Arrivals) -> np.ndarray | None:
        """Round-trip crew travel (hours) from each level's base to the issue: e-bike for
        grid and village crews, car for town and district."""
        bases = unit_bases(self.world)
        if bases is None:
            return None
        wp = self.params.world
        xy = self.world.household_xy[arr.household]
        geo = [arr.grid, arr.village, arr.town, np.zeros(arr.n, dtype=np.int64)]
        speed = [wp.speed_ebike_kmh, wp.speed_ebike_kmh, wp.speed_car_kmh, wp.speed_car_kmh]
        out = np.empty((arr.n, 4))
        for L in range(4):
            b = bases[L][geo[L]]
            out[:, L] = 2.0 * np.hypot(*(xy - b).T) * wp.detour_factor / speed[L]
        return out

    # ---------------------------------------------------------------- running
    def draw(self) -> Arrivals:
        """All issues of the run up to their first handling unit (vectorised)."""
        return draw_arrivals(self.params, self.world, self.streams, self.weekday0, self.arrival_mods())

    def breach_times(self, arr: Arrivals) -> np.ndarray | None:
        frac = self.params.escalation.breach_fraction
        if frac is None:
            return None
        from sim.lifecycle.calendar import WorkCalendar
        office = WorkCalendar(self.params.office_calendar, self.weekday0)
        limit = np.array([t.time_limit_wh for t in self.params.issue_types])[arr.type]
        base = np.where(np.isfinite(arr.t_reported), arr.t_reported, 0.0)
        return office.add_v(base, frac * limit)

    def run(self) -> RunResult:
        p = self.params
        t0 = time.perf_counter()
        arr = self.draw()
        t1 = time.perf_counter()
        h = Handling(p, arr, self.units, self.unit_offset, self.streams, self.breach_times(arr),
                     self.travel_hours(arr), 1.5 - p.teams.training_level)
        t2 = time.perf_counter()
        h.run(p.horizon_h)
        t3 = time.perf_counter()
        issues = self._collect(arr, h)
        self._count_centres(issues)
        t4 = time.perf_counter()
        self.timings_s.update({"draw": t1 - t0, "prepare": t2 - t1, "simulate": t3 - t2, "collect": t4 - t3})
        return RunResult(
            params=p, issues=issues, backlog_t_h=np.array(h.bl_t), backlog_n=np.array(h.bl_n),
            units=self._unit_table(), structure=self.structure(),
            events_processed=h.loop.events_processed,
            timings_s=dict(self.timings_s), extra=self.extra_outputs(arr, h), world=self.world,
        )

    def _count_centres(self, issues: dict) -> None:
        """Linkage-centre counts: tickets registered at the district platform (12345 and
        other platform channels) and issues each town centre passed on to town or district."""
        enters = {c.name: c.enters_at for c in self.params.channels}
        platform = np.array([enters.get(c) == "district" for c in issues["channel"]], dtype=bool)
        self.centres[-1].registered = int(platform.sum())
        up = (issues["escalations"] > 0) & np.isin(issues["level_reached"], ("town", "district"))
        per_town = np.bincount(issues["town"][up], minlength=self.world.n_towns)
        for t, c in enumerate(self.centres[:-1]):
            c.passed_on = int(per_town[t])

    def extra_outputs(self, arr: Arrivals, h: Handling) -> dict:
        """Series that KPIs need but the issue table does not carry."""
        return {"t_first_arrival_h": np.array(h.t_first), "staff_hours": self.staff_workload()}

    def staff_workload(self) -> dict[str, np.ndarray]:
        """Hours worked per staff member over the run, by team: rounds of the channels
        the team drives (``round_duration_h`` each; the grid leader's round goes to one
        manager per grid) plus handling. Work-team member j of a
        grid is crew slot j of the grid's unit; a village unit's handling hours are shared
        equally by the village's management members."""
        p, tm, w = self.params, self.teams, self.world
        if tm.work.sum() + tm.management.sum() + tm.volunteer.sum() == 0:
            return {}
        rounds_h = {"work_team": 0.0, "management_team": 0.0, "volunteer_team": 0.0, "household_heads": 0.0,
                    "grid_leader": 0.0}
        for ch in p.channels:
            if ch.enabled and ch.kind == "rounds" and ch.driver in rounds_h:
                rounds_h[ch.driver] += p.horizon_h / ch.period_h * ch.round_duration_h
        off = self.unit_offset
        work = []
        for g in range(w.n_grids):
            slots = self.units[off[0] + g].slot_busy_h
            work += [rounds_h["work_team"] + h for h in slots[: int(tm.work[g])]]  # one slot per member
        mv = tm.management_per_village(w)
        vbusy = np.array([self.units[off[1] + v].busy_crew_h for v in range(w.n_villages)])
        per_manager = np.divide(vbusy, mv, out=np.zeros_like(vbusy), where=mv > 0)
        mgmt = np.repeat(per_manager[w.grid_village], tm.management) + rounds_h["management_team"]
        first = np.concatenate(([0], np.cumsum(tm.management)[:-1]))[tm.management > 0]
        mgmt[first] += rounds_h["grid_leader"]  # the grid leader (first manager of each grid) walks the round
        return {"work": np.array(work), "management": mgmt,
                "volunteer": np.full(int(tm.volunteer.sum()), rounds_h["volunteer_team"]),
                "household_heads": np.full(int(tm.heads.sum()), rounds_h["household_heads"])}

    def structure(self) -> dict:
        s = self.world.structure()
        s.update(self.teams.totals())
        s["service_points"] = int(self.world.n_grids)  # one per grid (一网一点)
        s["coverage_15min"] = coverage_15min(self.params, self.world)
        s["partition_quality"] = self.world.partition_quality
        s["units"] = {LEVELS[L]: int(sum(1 for u in self.units if u.level == L)) for L in range(4)}
        s["crews"] = {LEVELS[L]: int(sum(u.crews for u in self.units if u.level == L)) for L in range(4)}
        return s

    def _unit_table(self) -> dict[str, np.ndarray]:
        us = self.units
        return {
            "unit": np.array([u.name for u in us]),
            "level": np.array([u.level_name for u in us]),
            "crews": np.array([u.crews for u in us]),
            "attempts": np.array([u.attempts for u in us]),
            "closed": np.array([u.closed for u in us]),
            "busy_crew_h": np.array([u.busy_crew_h for u in us]),
            "capacity_crew_h": np.array([u.crews * u.calendar.work_before(self.params.horizon_h) for u in us]),
            "max_queue": np.array([u.max_qlen for u in us]),
            "queue_at_end": np.array([u.qlen for u in us]),
        }

    def _collect(self, arr: Arrivals, h: Handling) -> dict[str, np.ndarray]:
        """The issue table: one row per issue that occurred, every stage timestamp
        (NaN where the stage was not reached within the horizon)."""
        T = self.params.horizon_h
        spot = arr.on_spot

        def clip(a) -> np.ndarray:
            a = np.asarray(a, dtype=float)
            return np.where(a <= T, a, np.nan)

        t_started = np.where(spot, arr.t_discovered, np.array(h.t_started))
        done = arr.t_on_spot_done
        t_handled = np.where(spot, done, np.array(h.t_handled))
        t_fb = np.where(spot, done, np.array(h.t_fed_back))
        t_ver = np.where(spot, done, np.array(h.t_verified))
        t_closed = clip(np.where(spot, done, np.array(h.t_closed)))
        deadline = arr.deadline
        closed = ~np.isnan(t_closed)
        late_open = ~closed & (deadline < T)
        on_time = np.where(closed, t_closed <= deadline, np.where(late_open, False, np.nan))
        names_t = np.array([t.name for t in self.params.issue_types])
        names_c = np.array([c.name for c in self.params.channels] + ["none"])
        unit_names = np.array([u.name for u in self.units] + ["finder"])
        unit_of = np.where(spot, len(self.units), np.asarray(h.unit_of, dtype=np.int64))
        level = np.where(spot, 0, np.asarray(h.level_reached, dtype=np.int64))
        reported = ~np.isnan(clip(arr.t_reported))
        status = np.where(closed, "closed", np.where(reported, "open", "unreported"))
        return {
            "issue_id": np.arange(arr.n),
            "type": names_t[arr.type],
            "grid": arr.grid, "village": arr.village, "town": arr.town, "household": arr.household,
            "channel": names_c[arr.channel],
            "t_occurred_h": clip(arr.t_occurred),
            "t_discovered_h": clip(arr.t_discovered),
            "t_reported_h": clip(arr.t_reported),
            "t_consulted_h": clip(arr.t_consulted),
            "t_dispatched_h": clip(arr.t_dispatched),
            "t_started_h": clip(t_started),
            "t_handled_h": clip(t_handled),
            "t_fed_back_h": clip(t_fb),
            "t_verified_h": clip(t_ver),
            "t_closed_h": t_closed,
            "deadline_h": np.where(np.isfinite(deadline), deadline, np.nan),
            "on_time": on_time,
            "status": status,
            "level_reached": np.array(LEVELS)[level],
            "handler": np.where(unit_of >= 0, unit_names[unit_of], ""),
            "escalations": np.where(spot, 0, np.asarray(h.escalations, dtype=np.int64)).astype(np.int16),
            "reworks": np.where(spot, 0, np.asarray(h.reworks, dtype=np.int64)).astype(np.int16),
            "breached": np.asarray(h.breached, dtype=bool) & ~spot,
            "lost": arr.lost,
            "on_spot": spot,
            "queue_wait_h": np.where(spot, 0.0, np.array(h.wait)),
        }


def run_model(params: ModelParams, model_cls: type[GovernanceModel] | None = None) -> RunResult:
    """Build and run one model. The class is chosen from the parameters unless given."""
    return (model_cls or GovernanceModel)(params).run()
