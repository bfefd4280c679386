"""The governance model: a Mesa ``Model`` that builds the district, its people and units,
draws the run's issues and drives them through the closed loop.

Source: the Chongming party-building micro-grid case (see ``docs/ODD.md``); the issue
loop follows the 7-step loop of China's digitised city management (GB/T 30428).

``GovernanceModel(params)`` builds everything; :meth:`GovernanceModel.step` advances
``step_h`` simulated hours (an hour to a day; a day by default), for explorers that draw
the agents as they act (``sim.viz``); :meth:`run` runs to the horizon and returns the
records (:class:`sim.metrics.records.RunResult`). Stepping to the horizon and then
:meth:`results` gives exactly the records of :meth:`run`: the event loop is resumable and
a step boundary is not an event.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import math
import time

import mesa
import numpy as np

from sim.agents.work_logs import BlockLog
from sim.agents.teams import People, build_people
from sim.errors import ConfigError
from sim.lifecycle.assessment import Assessment
from sim.lifecycle.calendar import CalendarBook
from sim.lifecycle.discovery import Discovery
from sim.lifecycle.emergency import Emergency, duty_calendar, responses
from sim.lifecycle.engine import BACKUP, DAY, TICK
from sim.lifecycle.handling import Handling
from sim.lifecycle.holidays import holiday_table
from sim.lifecycle.intake import Intake
from sim.lifecycle.lean import LeanRun
from sim.lifecycle.lean import applicable as lean_applicable
from sim.lifecycle.occurrence import draw_occurrences
from sim.params import ModelParams
from sim.rng import Streams
from sim.world.world import World, build_world

STEP_H_RANGE = (1.0, 24.0)
"""What one :meth:`GovernanceModel.step` may advance: an hour to a day (hours)."""

CALENDAR_MARGIN_DAYS = 400
"""Calendars cover the run plus this margin (deadlines and handling that end after the
horizon); beyond it working time continues at its average rate."""


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cycle collector while agents are created. A Chongming build makes
    ~60,000 Mesa agents (staff, household heads, units) and ~0.66 million tracked objects,
    and no cyclic garbage, yet the collector would traverse the growing heap again and again:
    pausing it saves ~0.35 s of a 2.2-2.6 s build (measured with and without, alternating,
    3 builds each). Restored on any exit; nested, only the outermost pause restores it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class GovernanceModel(mesa.Model):
    """One district, one run (see module doc).

    Mesa agents: every staff member (:class:`~sim.agents.staff.StaffMember`), household
    head and handling unit. Households act as one collective
    (:class:`~sim.agents.households.Households`); residents are columns in
    :class:`~sim.world.world.World`.
    """

    def __init__(self, params: ModelParams, step_h: float = 24.0):
        t0 = time.perf_counter()
        lo, hi = STEP_H_RANGE
        if not (isinstance(step_h, (int, float)) and not isinstance(step_h, bool) and lo <= step_h <= hi):
            raise ConfigError("step_h", f"must be a number of hours from {lo:g} to {hi:g} (an hour to a day), "
                                        f"got {step_h!r}")
        self.params = p = params
        self.streams = Streams(p.seed)
        # Mesa's own generator is seeded from a named child stream and never used for
        # model draws (all draws come from self.streams).
        super().__init__(rng=self.streams["mesa"])
        self.start_date = _dt.date.fromisoformat(p.run.start_date)
        span_days = math.ceil(p.run.horizon_days + p.run.drain_days)
        last = self.start_date + _dt.timedelta(days=span_days)
        self.holidays = holiday_table(p.run.holidays, self.start_date, last)
        self.book = CalendarBook(self.start_date, span_days + CALENDAR_MARGIN_DAYS, self.holidays)
        self.level_cals = [self.book.unit(p.levels.by_index(L).calendar) for L in range(4)]
        self.office_cal = self.book.unit(p.office_calendar)
        self.service_cal = self.book.unit(p.service_calendar)
        with collector_paused():  # agents are allocated here
            self.world: World = build_world(p, self.streams["world"])
            self.has_members = p.has_members and self.world.has_geometry
            self.travel = (self.world.map_extras or {}).get("travel")
            rs = responses(p, self.world, self.start_date)
            self.duty_cals = self._duty_calendars(rs)
            self.people: People = build_people(self, p, self.world, self.streams["teams"], self.book,
                                                self.level_cals, rs)
            self.emergency = Emergency(self, rs)
            self.occ = draw_occurrences(p, self.world, self.start_date, self.streams["occurrence"],
                                        self.streams["surge"], self.streams["drain"])
            self.households = None
            if p.has_households and self.world.has_geometry:
                from sim.agents.households import Households

                self.households = Households(p, self.world, self.people, self.occ, self.streams["trust"],
                                             self.streams["households"], self.start_date)
            # hours of issue work inside the block that gives way: members write it, rounds read it
            self.blocks = BlockLog() if self.has_members else None
            self.assessment = Assessment(p, self.world.n_grids, self.start_date)
            self.discovery = Discovery(p, self.world, self.people, self.occ, self.streams, self.start_date,
                                       self.households, self.blocks, self.assessment.boost)
            self.intake = Intake(p, self.occ, self.streams, self.level_cals, self.office_cal, self.service_cal,
                                 self.has_members, self.duty_cals, self.world)
            # the validation queues take the lean path (the same events, draws and records),
            # whose issue book keeps lists (sim.columns.Columns)
            lean = lean_applicable(p)
            self.handling = Handling(self, compact=not lean)
            self._prime()
            self.lean = LeanRun(self) if lean else None
            self.loads = self._check_capacity()
        self.step_h = float(step_h)
        self.spans = 0  # steps taken (Mesa's own ``steps`` counts them too)
        self.now_h = 0.0  # simulated time reached, hours since midnight of start_date
        self.observed_h = None  # where the drain stopped (hours), once the run is over
        self._results = None
        self.timings_s = {"build": time.perf_counter() - t0}

    def _check_capacity(self) -> list:
        """Each unit's offered load (:mod:`sim.metrics.capacity`); with ``run.unstable:
        refuse`` a unit at ρ ≥ 1 refuses the run, naming it and the keys that drive it."""
        from sim.metrics.capacity import offered_load, unstable

        loads = offered_load(self)
        bad = unstable(loads)
        if bad and self.params.run.unstable == "refuse":
            u = bad[0]
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise ConfigError(u.keys[0], f"unit {u.unit!r} would be unstable: offered load {u.rho:.2f} of its capacity "
                                         f"(>= 1: its queue grows without end){more}; driven by "
                                         f"{', '.join(u.keys)}; allowed: a staffing or load under capacity, "
                                         f"or run.unstable=warn")
        return loads

    def _duty_calendars(self, rs: list) -> dict:
        """The duty desks' calendars (``intake.duty_calendar``) by the centre that registers:
        the town linkage centre and the district platform; round the clock during an
        emergency response (``rs``)."""
        from sim.lifecycle.intake import DISTRICT_PLATFORM, TOWN_CENTRE

        ip = self.params.intake
        if ip.duty_calendar == "round_the_clock":
            town = district = self.book.always
        elif ip.duty_calendar == "extended":
            town = district = self.book.unit(ip.extended_calendar)
        else:
            town, district = self.level_cals[2], self.level_cals[3]
        return {TOWN_CENTRE: duty_calendar(town, rs), DISTRICT_PLATFORM: duty_calendar(district, rs)}

    def travel_h(self, a, b, t: float, mode: str) -> float:
        """Travel time (hours) from ``a`` to ``b`` (km) by ``mode`` setting off at ``t``:
        the map's :class:`sim.world.links.Travel` (straight distance × detour at the mode's
        speed; across islands by the bridge or the ferry's timetable)."""
        return self.travel.time_h(a[0], a[1], b[0], b[1], mode, t)

    def _prime(self) -> None:
        """Continuous and instant discoveries become the pre-sorted stream of the event loop;
        the rounds' ticks go into the event heap."""
        h = self.handling
        loop = h.loop
        loop.set_arrivals(*self.discovery.stream())
        for t, c, r in self.discovery.ticks:
            loop.schedule(t, TICK, c, r)
        if self.households is not None or self.assessment.enabled:
            for d in range(1, int(self.params.end_h // 24) + 1):
                loop.schedule(24.0 * d, DAY, 0, 0)
        self._handlers = h.handlers
        assert len(self._handlers) == BACKUP + 1

    # ---------------------------------------------------------------- running
    def advance(self, until_h: float) -> None:
        """Run the event loop to ``until_h`` (hours, capped at the end of the drain)."""
        until = min(until_h, self.params.end_h)
        loop = self.handling.loop
        if self.lean is not None:
            self.lean.advance(until)
            loop.events_processed, loop.now = self.lean.events, until
            return
        loop.run(until, self._handlers, self.handling.on_discover)

    def drain(self) -> float:
        """After the horizon: go on a day at a time until every issue that occurred in the
        KPI window is fixed, or ``run.drain_days`` have passed; return the time reached
        (hours). New issues of the drain are background load only (see
        :func:`sim.lifecycle.occurrence.draw_occurrences`)."""
        p = self.params
        t, end = p.horizon_h, p.end_h
        book = self.handling.book
        occ = self.occ
        window = np.flatnonzero((occ.t_occurred[: occ.n_main] >= p.warmup_h) & (occ.t_occurred[: occ.n_main] < t))
        closed_h = book.t_closed
        while t < end:
            # the whole list at C speed while the window is a good part of it, then only the
            # window's entries (converting all ~130 k issues on each of a Chongming year's
            # ~60 days of drain cost ~0.25 s)
            if 4 * len(window) > len(closed_h):
                closed = np.asarray(closed_h, dtype=float)[window]
            else:
                closed = np.fromiter(map(closed_h.__getitem__, window.tolist()), dtype=float, count=len(window))
            window = window[~(closed <= t)]
            if len(window) == 0:
                break
            t = min(t + 24.0, end)
            self.advance(t)
        return t

    def step(self) -> None:
        """Advance ``step_h`` simulated hours, stopping at the horizon (then ``running`` is
        False)."""
        if not self.running:
            return
        self.spans += 1
        self.now_h = min(self.spans * self.step_h, self.params.horizon_h)
        self.advance(self.now_h)
        if self.now_h >= self.params.horizon_h:
            self.running = False

    def run(self):
        """Run to the horizon; return the run's records."""
        t0 = time.perf_counter()
        # The built model (agents, calendars, tables: over a million objects) lives as long
        # as the run and holds no garbage; frozen, the cycle collector's full passes during
        # the event loop skip it (measured on a Chongming year: build+run wall x0.87, ~2 s).
        gc.freeze()
        try:
            self.advance(self.params.horizon_h)
            self.observed_h = self.drain()
        finally:
            gc.unfreeze()
        self.timings_s["simulate"] = time.perf_counter() - t0
        return self.results()

    def results(self):
        """The run's records, once the horizon is reached (by :meth:`run` or by steps) and
        the drain is over (:meth:`drain`); the same object on a repeated call."""
        from sim.metrics.records import collect

        if self._results is not None:
            return self._results
        if self.observed_h is None:
            self.advance(self.params.horizon_h)
            self.observed_h = self.drain()
        self.now_h = self.params.horizon_h
        self.running = False
        self.handling.book.record_backlog(self.observed_h)
        # The per-issue random draws, thresholds and the households' positions as tuples
        # (~150 MB on a Chongming year) are read only by the event loop, which has ended:
        # dropped before the records are assembled, the run's peak memory falls by ~110 MB
        # (measured, resident memory at the end of the records).
        self.handling.release()
        t1 = time.perf_counter()
        res = collect(self)
        self.timings_s["collect"] = time.perf_counter() - t1
        res.timings_s = dict(self.timings_s)
        self._results = res
        return res


def run_model(params: ModelParams, model_cls: type[GovernanceModel] | None = None):
    """Build and run one model; the model is freed before the records are returned."""
    with collector_paused():
        model = (model_cls or GovernanceModel)(params)
        # Frozen before the collector resumes, the new model's objects skip the young-
        # generation pass that would otherwise follow the build (~0.7 million objects,
        # ~0.2 s on a Chongming year); :meth:`GovernanceModel.run` keeps them frozen.
        gc.freeze()
    res = model.run()
    del model
    # Agents and the model refer to each other (Mesa), so only the cycle collector frees
    # them; collecting now returns ~190 MB (a Chongming year: 720 -> 530 MB resident) before
    # the outputs and the report are built.
    gc.collect()
    _return_free_memory()
    return res


def _return_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). The freed model leaves them scattered in the heap, and the writers'
    allocations (pyarrow has its own allocator) would come on top: on a Chongming year
    this returns ~185 MB (530 -> 345 MB resident) in ~15 ms, so writing the outputs and
    the report no longer sets the run's peak memory."""
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: the C library's
    except (OSError, AttributeError, TypeError):  # not glibc (or no C library handle: Windows)
        pass
