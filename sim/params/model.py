"""One run: its horizon and limits, and the whole parameter tree.

Part of :mod:`sim.params` (import from there)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from sim.errors import ConfigError
from sim.params.handling import (AssessmentParams, DispatchParams, EmergencyParams, EscalationParams, FusionParams, IntakeParams,
                                 LevelsParams, LifecycleParams)
from sim.params.issues import CalendarParams, ChannelParams, IssueTypeParams, OccurrenceParams, SurgeParams
from sim.params.costs import CostParams
from sim.params.people import DepartmentsParams, ResidentParams, StaffParams, TeamParams
from sim.params.place import PartitionParams, WorldParams
from sim.typedconfig import choice, num, require
from sim.vocab import HOLIDAY_SOURCES, LEVELS, RESIDENT_ROUTES, TRADES, resolve_towns


@dataclass(frozen=True)
class RunParams:
    """Simulated span. ``horizon_days`` simulated; KPIs cover issues that occur (or are
    reported, for the official KPIs) from ``warmup_days`` to the horizon. Day 0 starts at
    midnight of ``start_date`` (ISO date). ``drain_days``: after the horizon the run goes on
    (every process, with new issues that are background load only and counted nowhere)
    until every issue of the KPI window is fixed, for at most this many days, so that the
    last weeks' issues are followed to their end instead of being cut off (right-censoring)
    [A]; 0 stops at the horizon.
    ``holidays``: ``china`` (statutory days off and make-up working days from the
    chinese-calendar package) or ``none``.
    ``memory_limit_gb``: a run whose estimated memory (:mod:`sim.guard`) exceeds this is
    refused before anything is built (null: the machine's memory); ``max_events``: the
    same for the estimated number of events (null: no limit); ``max_jobs``: a sweep of more
    runs is refused before its design is expanded. ``unstable``: what a unit whose offered
    load is at least its capacity (ρ ≥ 1, :mod:`sim.metrics.capacity`) does to the run:
    ``warn`` (listed in ``summary.json`` ``unstable_units`` and at the top of the report)
    or ``refuse`` (one line naming the unit and the keys that drive it, before the run)."""

    horizon_days: float = num(365.0, lo=0.0, lo_open=True)
    warmup_days: float = num(0.0, lo=0.0)
    drain_days: float = num(60.0, lo=0.0)
    start_date: str = "2025-01-06"
    holidays: str = choice("none", HOLIDAY_SOURCES)
    unstable: str = choice("warn", ("warn", "refuse"))
    memory_limit_gb: float | None = num(None, lo=0.0, lo_open=True)
    max_events: float | None = num(1e9, lo=0.0, lo_open=True)
    max_jobs: int = num(10_000, lo=1)

    def validate(self, p: str) -> None:
        require(self.warmup_days < self.horizon_days, p + "warmup_days",
                f"must be shorter than run.horizon_days ({self.horizon_days:g})")
        try:
            start = _dt.date.fromisoformat(self.start_date)
        except ValueError:
            raise ConfigError(p + "start_date", f"must be an ISO date YYYY-MM-DD, got {self.start_date!r}") from None
        # calendars look up to ~2 years past the horizon (service days); dates end in 9999
        latest = _dt.date.max - _dt.timedelta(days=800)
        require(start < latest, p + "start_date", f"must be before {latest.isoformat()}, got {self.start_date!r}")
        room = (latest - start).days
        require(self.horizon_days <= room, p + "horizon_days",
                f"must be at most {room} days from run.start_date {self.start_date} (dates end in 9999); "
                f"got {self.horizon_days:g}")
        require(self.horizon_days + self.drain_days <= room, p + "drain_days",
                f"must be at most {room - self.horizon_days:g} days: the horizon plus the drain must end by "
                f"{latest.isoformat()}; got {self.drain_days:g}")


@dataclass(frozen=True)
class ModelParams:
    """Every parameter of one run."""

    scenario: str = "custom"
    seed: int = num(0, lo=0)
    run: RunParams = field(default_factory=RunParams)
    world: WorldParams = field(default_factory=WorldParams)
    partition: PartitionParams = field(default_factory=PartitionParams)
    teams: TeamParams = field(default_factory=TeamParams)
    staff: StaffParams = field(default_factory=StaffParams)
    dispatch: DispatchParams = field(default_factory=DispatchParams)
    departments: DepartmentsParams = field(default_factory=DepartmentsParams)
    fusion: FusionParams = field(default_factory=FusionParams)
    residents: ResidentParams = field(default_factory=ResidentParams)
    occurrence: OccurrenceParams = field(default_factory=OccurrenceParams)
    events: tuple[SurgeParams, ...] = ()
    issue_types: tuple[IssueTypeParams, ...] = (IssueTypeParams(),)
    channels: tuple[ChannelParams, ...] = (ChannelParams(name="instant", kind="instant"),)
    levels: LevelsParams = field(default_factory=LevelsParams)
    escalation: EscalationParams = field(default_factory=EscalationParams)
    lifecycle: LifecycleParams = field(default_factory=LifecycleParams)
    intake: IntakeParams = field(default_factory=IntakeParams)
    emergency: EmergencyParams = field(default_factory=EmergencyParams)
    costs: CostParams = field(default_factory=CostParams)
    assessment: AssessmentParams = field(default_factory=AssessmentParams)
    office_calendar: CalendarParams = field(default_factory=CalendarParams)
    service_calendar: CalendarParams = field(default_factory=CalendarParams)
    validation: dict | None = None
    """Set by :mod:`sim.validation`: ``{"kind": "mmc"|"jackson", "knobs": {...}}``."""

    @property
    def horizon_h(self) -> float:
        return self.run.horizon_days * 24.0

    @property
    def warmup_h(self) -> float:
        return self.run.warmup_days * 24.0

    @property
    def end_h(self) -> float:
        """The latest simulated time: the horizon plus the drain (``run.drain_days``)."""
        return (self.run.horizon_days + self.run.drain_days) * 24.0

    @property
    def has_members(self) -> bool:
        """Grid and village capacity comes from team members (and village cadres): a map
        with households on roads and some team. Otherwise from ``levels.*.crews``."""
        from sim.params.costs import team_totals

        return self.world.map != "regular" and sum(team_totals(self).values()) > 0

    @property
    def has_households(self) -> bool:
        """Households decide and report (some channel is of kind ``resident``)."""
        return any(c.enabled and c.kind == "resident" for c in self.channels)

    @property
    def fixed_grids_per_village(self) -> int | None:
        """Grids every village gets when that is fixed: ``partition.grids_per_village`` (the
        lever every map honours), else on the ``regular`` map ``world.grids_per_village``;
        None: :func:`sim.world.partition.grids_per_village` computes them per village."""
        if self.partition.grids_per_village is not None:
            return self.partition.grids_per_village
        return self.world.grids_per_village if self.world.map == "regular" else None

    def validate(self, p: str = "") -> None:
        """Whole-model checks: surges name catalogue types; capacity comes from people or
        from crews, never both; every trade has a department; then names, channels, rules."""
        self._validate_capacity()
        require(len(self.issue_types) > 0, "issue_types", "must list at least one issue type")
        names = [t.name for t in self.issue_types]
        require(len(set(names)) == len(names), "issue_types", "names must be unique")
        require(any(c.enabled for c in self.channels), "channels", "at least one channel must be enabled")
        cnames = [c.name for c in self.channels]
        require(len(set(cnames)) == len(cnames), "channels", "names must be unique")
        for c in self.channels:
            if c.kind == "resident":
                require(c.driver in RESIDENT_ROUTES, f"channels.{c.name}.driver",
                        f"a resident channel's driver is its route: one of {', '.join(RESIDENT_ROUTES)}; got {c.driver!r}")
                require(self.world.map != "regular", f"channels.{c.name}.kind",
                        "resident channels need households on a map (world.map: synthetic, geojson or chongming)")
        require(self.fusion.enabled or self.escalation.rule == "step", "escalation.rule",
                "'direct' needs fused nets (fusion.enabled=true); with fusion off the only rule is 'step'")
        # No cycle without time passing: a rework sends the issue back through handling,
        # feedback and verification; if all three can take no time it would repeat at
        # one instant (lifecycle.max_reworks bounds it, but such a run is meaningless).
        lc = self.lifecycle
        if lc.feedback.mean_h == 0 and lc.verify.mean_h == 0:
            for t in self.issue_types:
                k = f"issue_types.{t.name}"
                require(t.p_rework == 0 or t.handling.mean_h > 0, f"{k}.p_rework",
                        f"must be 0 when {k}.handling.mean_h, lifecycle.feedback.mean_h and lifecycle.verify.mean_h "
                        f"are all 0 (a rework would repeat at the same instant); got {t.p_rework:g}")
        require(self.partition.k_min <= self.partition.k_max, "partition.k_min",
                f"must be <= partition.k_max ({self.partition.k_max})")
        w = self.world
        if w.map == "geojson":
            require(bool(w.geojson_path), "world.geojson_path", "must name a GeoJSON file when world.map=geojson")
        if w.towns_included:  # names checked whatever the map; used by world.map=chongming
            resolve_towns(w.towns_included)
        require(w.ferry_last_h >= w.ferry_first_h, "world.ferry_last_h",
                f"must be >= world.ferry_first_h ({w.ferry_first_h:g})")
        if w.map == "synthetic":
            require(w.villages >= w.towns, "world.villages", f"must be >= world.towns ({w.towns})")

    def _validate_capacity(self) -> None:
        types = [t.name for t in self.issue_types]
        for ev in self.events:
            for t in ev.types:
                require(t in types, f"events.{ev.name}.types", f"unknown issue type {t!r}; allowed: {', '.join(types)}")
        if self.has_members:
            for lvl in ("grid", "village"):
                require(self.levels.by_index(LEVELS.index(lvl)).crews is None, f"levels.{lvl}.crews",
                        "must not be set in a world with team members (teams.*_total): grid and village capacity "
                        "comes from the members' working weeks; size it with teams.* and staff.*")
        for lvl in ("town", "district"):
            depts = getattr(self.departments, lvl)
            if not depts:
                continue
            require(self.levels.by_index(LEVELS.index(lvl)).crews is None, f"levels.{lvl}.crews",
                    f"must not be set when departments.{lvl} lists departments: their staff are the capacity")
            covered = [t for d in depts for t in d.trades]
            missing = [t for t in TRADES if t not in covered]
            require(not missing, f"departments.{lvl}", f"no department handles trade(s) {', '.join(missing)}")
            twice = sorted({t for t in covered if covered.count(t) > 1})
            require(not twice, f"departments.{lvl}", f"trade(s) {', '.join(twice)} belong to more than one department")
