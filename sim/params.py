"""Validated, frozen model parameters.

Everything the model reads comes from a :class:`ModelParams`. It is built from a plain
nested dict (what Hydra resolves, or what an outside experiment tool passes) by
:func:`params_from_dict`, which rejects unknown keys and out-of-range values with a
:class:`~sim.errors.ConfigError` naming the dotted key and what is allowed. The generic
dict→dataclass engine is :mod:`sim.typedconfig`; each dataclass's cross-field checks are
its own ``validate`` method, next to its fields; the vocabularies (levels, trades, ...)
are :mod:`sim.vocab` (re-exported here).

Units are in the names: ``_h`` hours, ``_days`` days, ``_km`` kilometres, ``_km2`` square
kilometres, ``_kmh`` km per hour, ``p_`` a probability in [0, 1], ``rate_per_..._per_...``
a rate. Defaults of the agents' parameters are the Chongming values; each is either
sourced (tags in ``../shared/calibration.md``) or an assumption [A] registered with a
plausible range in ``conf/assumptions.yaml``.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

from sim.errors import ConfigError
from sim.typedconfig import FLOAT_LIMIT, FLOAT_TINY, INT_LIMIT, allowed, build, choice, num, require, to_dict  # noqa: F401
from sim.vocab import (  # noqa: F401  (re-exported: the vocabularies' historical home)
    ACTIVITIES, BLOCKS, CHANNEL_DRIVERS, CHANNEL_KINDS, DISCIPLINES, DISPATCH_RULES, DISTS, ECO_TRADES,
    ESCALATION_RULES, HOLIDAY_SOURCES, LEVELS, MAP_SOURCES, OVERDUE_POLICIES, RESIDENT_ROUTES, SERVICE_DAYS,
    STAFF_DRIVERS, SURGE_SHAPES, TRADES, resolve_towns)


def positive_profile(values: tuple, n: int, key: str) -> None:
    """A profile of ``n`` non-negative factors, not all zero (or none: flat)."""
    require(len(values) in (0, n), key, f"must list {n} values (or none for a flat profile), got {len(values)}")
    require(all(math.isfinite(v) and v >= 0 for v in values), key, "values must be finite and >= 0")
    require(len(values) == 0 or sum(values) > 0, key, "must not be all zero")




@dataclass(frozen=True)
class DistParams:
    """A non-negative duration distribution, in hours.

    ``dist``: exponential (cv is 1 by definition), lognormal (by mean and cv) or
    deterministic (always ``mean_h``). A mean of 0 makes the stage instant.
    """

    dist: str = choice("deterministic", DISTS)
    mean_h: float = num(0.0, lo=0.0)
    cv: float = num(1.0, lo=0.0)

    def validate(self, p: str) -> None:
        if self.dist == "lognormal":
            require(self.mean_h == 0 or self.cv > 0, p + "cv", "must be > 0 for a lognormal with mean > 0")


@dataclass(frozen=True)
class CalendarParams:
    """Working time of a unit or service: ``always_on`` (24/7) or a daily window
    ``[day_start_h, day_end_h)`` on the listed ``weekdays`` (0 = Monday).
    ``observes_holidays``: statutory days off are off and make-up working days (调休)
    are worked (with ``run.holidays: china``)."""

    always_on: bool = False
    day_start_h: float = num(8.5, lo=0.0, hi=24.0)
    day_end_h: float = num(17.5, lo=0.0, hi=24.0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    observes_holidays: bool = True

    def validate(self, p: str) -> None:
        if self.always_on:
            return
        require(self.day_end_h > self.day_start_h, p + "day_end_h", "must be later than day_start_h")
        require(len(self.weekdays) > 0 and all(0 <= d <= 6 for d in self.weekdays),
                p + "weekdays", "must list weekdays 0 (Monday) .. 6 (Sunday), at least one")
        require(len(set(self.weekdays)) == len(self.weekdays), p + "weekdays", "must not repeat a day")


@dataclass(frozen=True)
class IssueTypeParams:
    """One class of problem in the catalogue.

    ``rate_per_1000_residents_per_year`` occurrences, times ``month_factors`` (12 values,
    January first; empty = flat) in each month; ``visibility`` scales every channel's
    detection; ``min_close_level`` is the lowest level that may close it; ``handling``
    the working time of one attempt at grid level (other levels scale it);
    ``time_limit_wh`` the handling time limit (处置时限) in working hours of
    ``office_calendar``, counted from dispatch to handled; ``severity`` orders the
    ``severity`` queue discipline (higher first); ``p_on_spot_fix`` the chance a
    patrolling finder with the trade fixes it at once; ``dur_on_spot_h`` how long that
    takes; ``p_rework`` the chance verification fails; ``needs_consultation`` whether
    the grid's management must consult (会商) before dispatch; ``trade`` who is
    qualified to handle it (a closed set, :data:`TRADES`); ``joint_trade``: a second
    trade whose department must also finish at town or district level (联合处置), its part
    taking ``joint_work_share`` of the handling time;
    ``p_fail_attempt``: chance that an attempt at grid or village level fails (null: the
    level's value); ``extendable``: a complex case whose unit may ask for an extension
    (延期).
    """

    name: str = "issue"
    rate_per_1000_residents_per_year: float = num(100.0, lo=0.0)
    month_factors: tuple[float, ...] = ()
    visibility: float = num(1.0, lo=0.0, hi=1.0)
    min_close_level: str = choice("grid", LEVELS)
    handling: DistParams = field(default_factory=lambda: DistParams("exponential", 2.0, 1.0))
    time_limit_wh: float = num(40.0, lo=0.0, lo_open=True)
    severity: int = num(1, lo=0)
    p_on_spot_fix: float = num(0.0, lo=0.0, hi=1.0)
    dur_on_spot_h: float = num(0.25, lo=0.0)
    p_rework: float = num(0.0, lo=0.0, hi=1.0)
    needs_consultation: bool = False
    trade: str = choice("general", TRADES)
    joint_trade: str | None = choice(None, TRADES)
    joint_work_share: float = num(0.5, lo=0.0, lo_open=True)
    p_fail_attempt: float | None = num(None, lo=0.0, hi=1.0)
    extendable: bool = False
    source: str = ""

    def validate(self, p: str) -> None:
        positive_profile(self.month_factors, 12, p + "month_factors")
        require(self.joint_trade != self.trade, p + "joint_trade", f"must differ from trade ({self.trade})")


@dataclass(frozen=True)
class ChannelParams:
    """A discovery channel: a process that finds issues and reports them.

    ``kind``: ``instant`` (discovered when it occurs), ``rounds`` (rounds that find an
    issue they pass with probability ``p_detect_per_round`` × visibility), ``poisson``
    (found after an exponential delay at ``rate_per_day`` × visibility) or ``resident``: a
    route by which a household that noticed the issue and decided to report it does so
    (``driver``: app_users, service_point, hotline, household_heads, party_members; chosen
    by a logit with base ``utility``, see :class:`ResidentParams`); ``p_feedback`` is the
    chance the closure's feedback reaches the reporter by this route (a household head
    always brings it).

    Rounds with a team ``driver`` (:data:`STAFF_DRIVERS`) are walked by team members on
    their schedules: each member covers its patch's roads during its ``activity`` block
    (``patrol`` or ``routine``, at ``staff.patrol_speed_kmh`` / ``staff.routine_speed_kmh``)
    and passes the issues within ``staff.detection_distance_km`` of the stretch it covers;
    a member who is off or busy covers less or nothing that day. ``household_heads``
    rounds: each head visits ``teams.head_visits_per_round`` of its households per round,
    every ``period_h`` from ``first_round_h``. Rounds without a driver happen every
    ``period_h`` from ``first_round_h`` everywhere.

    Continuous drivers scale ``rate_per_day`` by the grid: ``party_members`` (party
    members per resident, relative to ``world.p_party_member``), ``app_users`` (app users
    per resident), ``service_point`` (walking access), ``propensity`` (the village's
    reporting propensity). ``report_delay`` runs from discovery to report; ``on_calendar``
    reports wait for the service points' opening hours; ``service_day_boost`` multiplies
    a continuous rate on the 10th and 20th (service days). ``enters_at``: where the report
    is registered (12345 enters at the district platform). ``can_fix_on_spot``: finders
    may fix minor issues at once.
    """

    name: str = "channel"
    enabled: bool = True
    kind: str = choice("poisson", CHANNEL_KINDS)
    period_h: float = num(24.0, lo=0.0, lo_open=True)
    first_round_h: float = num(9.0, lo=0.0)
    p_detect_per_round: float = num(0.5, lo=0.0, hi=1.0)
    rate_per_day: float = num(0.1, lo=0.0)
    report_delay: DistParams = field(default_factory=DistParams)
    on_calendar: bool = False
    enters_at: str = choice("grid", LEVELS)
    can_fix_on_spot: bool = False
    driver: str = choice("none", CHANNEL_DRIVERS)
    activity: str = choice("patrol", ACTIVITIES)
    service_day_boost: float = num(1.0, lo=0.0)
    utility: float = num(0.0)
    p_feedback: float = num(1.0, lo=0.0, hi=1.0)

    def boost_on(self, date) -> float:
        """The rate multiplier on ``date``: ``service_day_boost`` on a service day
        (:data:`SERVICE_DAYS`), else 1."""
        return self.service_day_boost if date.day in SERVICE_DAYS else 1.0


@dataclass(frozen=True)
class LevelParams:
    """Handling at one level of the ladder.

    ``crews``: abstract parallel servers per unit (one unit per grid / village / town,
    one for the district) for worlds without team members or departments at this level;
    where the world has them (``teams.*_total`` for grid and village, ``departments.*``
    for town and district) capacity comes from those people and ``crews`` must be left
    unset. ``discipline`` orders queues; ``dur_multiplier`` scales the issue type's
    handling time at this level; ``p_fail_attempt`` is the chance an attempt here ends
    without closing the issue (it is then escalated); ``calendar`` the unit's working time
    (its office stages run on it too).
    """

    crews: int | None = num(None, lo=1)
    discipline: str = choice("fifo", DISCIPLINES)
    dur_multiplier: float = num(1.0, lo=0.0, lo_open=True)
    p_fail_attempt: float = num(0.0, lo=0.0, hi=1.0)
    calendar: CalendarParams = field(default_factory=CalendarParams)


@dataclass(frozen=True)
class LevelsParams:
    grid: LevelParams = field(default_factory=LevelParams)
    village: LevelParams = field(default_factory=LevelParams)
    town: LevelParams = field(default_factory=LevelParams)
    district: LevelParams = field(default_factory=LevelParams)

    def by_index(self, i: int) -> LevelParams:
        return getattr(self, LEVELS[i])


@dataclass(frozen=True)
class EscalationParams:
    """How issues move up the ladder, and what happens when one is overdue.

    ``rule``: ``step`` (grid → village → town → district, one hand-over per step, each
    received on the receiving unit's calendar) or ``direct`` (fused nets: anything the grid
    or village cannot close goes straight to the town linkage centre, which passes it on
    to the capable level). ``handover``: working time of each hand-over.
    ``on_overdue`` when an issue is not handled by its deadline: ``escalate`` (moved one
    level up if it has not started, checked at ``breach_fraction`` of its limit; null
    disables the check), ``supervise`` (督办: it stays with its unit, jumps the queue and is
    counted; yellow warning at the limit, red at ``red_warning_fraction`` of it) or
    ``extend`` (延期: for ``extendable`` types the unit asks the level above; granted with
    ``p_extension_granted``, adding ``extension_wh`` working hours; refused, or not
    extendable: supervised).
    """

    rule: str = choice("step", ESCALATION_RULES)
    breach_fraction: float | None = num(1.0, lo=0.0, lo_open=True)
    handover: DistParams = field(default_factory=lambda: DistParams("deterministic", 1.0, 0.0))
    on_overdue: str = choice("escalate", OVERDUE_POLICIES)
    red_warning_fraction: float = num(1.5, lo=1.0)
    p_extension_granted: float = num(0.8, lo=0.0, hi=1.0)
    extension_wh: float = num(80.0, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class LifecycleParams:
    """Working times of the office stages of the closed loop (hours, each on the calendar
    of the unit doing it).

    ``register``: report → registered and classified, by the registering centre (town
    linkage centre, or the village committee when nets are not fused, or the district
    platform for 12345); ``consultation``: the management's 会商 where the world has no
    team members (with members it is the grid leader's work, ``staff.consultation_h``);
    ``hotline_dispatch``: the district platform passing a 12345 ticket down;
    ``feedback``: handled → fed back, by the handler; ``verify``: fed back → verified by
    the registering centre (then closed, or sent back as rework). ``max_reworks``: reworks
    per issue at most; a verification that fails past this is escalated a level instead
    (at the district the case is closed as it stands) [A].
    """

    register: DistParams = field(default_factory=DistParams)
    consultation: DistParams = field(default_factory=lambda: DistParams("lognormal", 8.0, 0.5))
    hotline_dispatch: DistParams = field(default_factory=lambda: DistParams("exponential", 4.0, 1.0))
    feedback: DistParams = field(default_factory=DistParams)
    verify: DistParams = field(default_factory=DistParams)
    max_reworks: int = num(3, lo=0, hi=1000)


@dataclass(frozen=True)
class WorldParams:
    """The district.

    ``map: regular``: ``towns`` × ``villages_per_town`` villages, each of
    ``grids_per_village`` grids of ``households_per_grid`` households (validation and
    small cases; no geometry, so no team members). ``map: synthetic``: a generated island
    of ``towns`` towns and ``villages`` villages, ``residents`` people,
    ``settled_area_km2``, partitioned into grids by ``partition``. ``map: geojson``:
    village polygons and household points from ``geojson_path`` (see
    :func:`sim.world.geo.load_geojson`). Household size is 1 + Poisson
    (``persons_per_household`` − 1). ``propensity_sigma``: lognormal spread of villages'
    reporting propensity (places differ up to 3×, Liu et al. 2023). Travel: straight
    distance × ``detour_factor`` at the mode's speed.

    ``map: chongming``: the real district (:mod:`sim.world.chongming`, data and sources in
    ``sim/world/data/README.md``): three islands, 18 towns, 269 villages; ``residents``
    is the district total, shared between towns by the town table, so
    ``towns_included`` (town names, zh or pinyin; empty = all; other maps ignore it)
    runs a few real towns with their own share. Village geometry, roads and household counts depend on ``map_seed``
    only (not on the run's seed); ``village_density_sigma`` [A] spreads residents between a
    town's villages (area × lognormal factor); households sit along village roads, a
    normal ``road_offset_km`` [A] to the side. Islands are joined by the bridge (crossed
    at ``bridge_speed_kmh`` [A] whatever the mode) and the Changxing–Hengsha ferry,
    departing every ``ferry_interval_min`` from ``ferry_first_h`` to ``ferry_last_h``
    (clock hours), crossing in ``ferry_crossing_min`` [A] (see :mod:`sim.world.links`).
    """

    towns: int = num(1, lo=1)
    villages_per_town: int = num(1, lo=1)
    grids_per_village: int = num(1, lo=1)
    households_per_grid: int = num(250, lo=1)
    persons_per_household: float = num(2.5, lo=1.0)
    grid_area_km2: float = num(1.0, lo=0.0, lo_open=True)
    share_aged_60plus: float = num(0.4, lo=0.0, hi=1.0)
    p_party_member: float = num(0.08, lo=0.0, hi=1.0)
    p_app_user_under60: float = num(0.8, lo=0.0, hi=1.0)
    p_app_user_60plus: float = num(0.3, lo=0.0, hi=1.0)
    map: str = choice("regular", MAP_SOURCES)
    geojson_path: str = ""
    villages: int = num(269, lo=1)
    residents: int = num(680000, lo=1)
    settled_area_km2: float = num(993.0, lo=0.0, lo_open=True)
    island_aspect: float = num(4.5, lo=0.1)
    # lognormal sigmas stop at 3 (a factor e^3 ≈ 20 per standard deviation): far wider
    # draws overflow to inf or underflow to 0 and leave a town without shares
    village_area_sigma: float = num(0.35, lo=0.0, hi=3.0)
    propensity_sigma: float = num(0.35, lo=0.0, hi=3.0)
    detour_factor: float = num(1.3, lo=1.0)
    speed_walk_kmh: float = num(4.5, lo=0.0, lo_open=True)
    speed_ebike_kmh: float = num(15.0, lo=0.0, lo_open=True)
    speed_car_kmh: float = num(30.0, lo=0.0, lo_open=True)
    service_walk_decay_min: float = num(15.0, lo=0.0, lo_open=True)
    towns_included: tuple[str, ...] = ()
    map_seed: int = num(1, lo=0)
    village_density_sigma: float = num(0.3, lo=0.0, hi=3.0)
    road_offset_km: float = num(0.05, lo=0.0)
    bridge_speed_kmh: float = num(80.0, lo=0.0, lo_open=True)
    ferry_first_h: float = num(5.5, lo=0.0, hi=24.0)
    ferry_last_h: float = num(21.0, lo=0.0, hi=24.0)
    ferry_interval_min: float = num(20.0, lo=0.0, lo_open=True)
    ferry_crossing_min: float = num(15.0, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class PartitionParams:
    """Micro-grids per village (see :mod:`sim.world.partition`): from ``by`` = ``area``
    (``target_area_km2`` per grid) or ``households`` (``target_households`` per grid),
    clamped to [``k_min``, ``k_max``]; with ``total_grids`` the district total is fixed;
    ``grids_per_village`` (a policy lever for sweeps) overrides all of these: every
    village gets exactly that many grids (1 = the pre-reform village grid), on every map
    (on the ``regular`` map it overrides ``world.grids_per_village``; the other keys do
    not apply there). The precedence: :attr:`ModelParams.fixed_grids_per_village`."""

    by: str = choice("area", ("area", "households"))
    target_area_km2: float = num(1.0, lo=0.0, lo_open=True)
    target_households: float = num(272.0, lo=0.0, lo_open=True)
    k_min: int = num(3, lo=1)
    k_max: int = num(5, lo=1)
    total_grids: int | None = num(None, lo=1)
    grids_per_village: int | None = num(None, lo=1)


@dataclass(frozen=True)
class TeamParams:
    """The three teams (一格多员) and household heads (户长制).

    District totals (times ``scale_<team>``, for team-ratio sweeps) are allocated to grids
    in proportion to households (largest remainder). Work-team members hold
    ``skills_per_member`` of the five eco trades (一员多能), management members the service,
    mediation and general trades, volunteers service (and mediation for
    ``staff.mediator_share_of_volunteers`` of them). ``training_level`` in [0, 1] scales
    on-the-spot fixes by (0.5 + level) and rework by (1.5 − level). Household heads: one
    per ``households_per_head`` households, each visiting ``head_visits_per_round``
    households per round.
    """

    management_total: int = num(0, lo=0)
    work_total: int = num(0, lo=0)
    volunteer_total: int = num(0, lo=0)
    scale_management: float = num(1.0, lo=0.0)
    scale_work: float = num(1.0, lo=0.0)
    scale_volunteer: float = num(1.0, lo=0.0)
    skills_per_member: int = num(2, lo=1, hi=len(ECO_TRADES))
    training_level: float = num(0.5, lo=0.0, hi=1.0)
    household_heads: bool = False
    households_per_head: float = num(12.0, lo=1.0)
    head_visits_per_round: float = num(12.0, lo=0.0)

    @property
    def on_spot_factor(self) -> float:
        """Training's effect on on-the-spot fixes: ``p_on_spot_fix`` × (0.5 + training_level)."""
        return 0.5 + self.training_level

    @property
    def rework_factor(self) -> float:
        """Training's effect on verification failures: ``p_rework`` × (1.5 − training_level)."""
        return 1.5 - self.training_level


@dataclass(frozen=True)
class ScheduleParams:
    """One team's contracted working week, per member.

    ``days_per_week`` working days (days off rotate between members, so the team covers
    every day), each from ``start_h`` for ``hours_per_day`` hours, divided into blocks in
    ``block_order``: ``patrol_share`` of the day patrolling the patch, ``routine_share`` on
    routine duty (the work team's eco-jobs: cleaning, river, forestry, road upkeep, safety
    rounds; other teams' regular duties) and the rest slack. Issue work (handling, travel,
    consultation, mediation) is done in the slack and in the block that
    ``staff.gives_way``; the other block is protected. ``observes_holidays``: statutory days
    off are off. ``always_on``: on duty 24/7 with no routine or patrol (the dedicated crews
    of the validation cases).
    """

    days_per_week: int = num(5, lo=1, hi=7)
    start_h: float = num(8.5, lo=0.0, hi=24.0)
    hours_per_day: float = num(8.0, lo=0.0, hi=24.0, lo_open=True)
    patrol_share: float = num(0.0, lo=0.0, hi=1.0)
    routine_share: float = num(0.0, lo=0.0, hi=1.0)
    block_order: tuple[str, ...] = BLOCKS
    observes_holidays: bool = False
    always_on: bool = False

    def validate(self, p: str) -> None:
        if self.always_on:
            return
        require(self.start_h + self.hours_per_day <= 24.0, p + "hours_per_day",
                f"must end by midnight: start_h ({self.start_h:g}) + hours_per_day <= 24")
        require(self.patrol_share + self.routine_share <= 1.0 + 1e-12, p + "routine_share",
                "patrol_share + routine_share must be <= 1 (the rest is slack)")
        require(sorted(self.block_order) == sorted(BLOCKS), p + "block_order",
                f"must list each of {', '.join(BLOCKS)} once, got {list(self.block_order)}")


def _schedule(**kw) -> Any:
    return field(default_factory=lambda: ScheduleParams(**kw))


@dataclass(frozen=True)
class StaffParams:
    """Who the team members are and how their working week is spent (see
    :mod:`sim.agents.staff`). Schedules per role: ``work`` (eco-job crews: 7 h a day,
    6 days, 70 % routine / 20 % patrol / 10 % slack [A, calibration 9.1]), ``grid_leader``
    (8 h a week on grid duties [A, calibration 9.2], of which the daily round),
    ``management`` (the other management members: 4 h a week [A, 9.2]), ``volunteer``
    [A] and ``cadre`` (the village committee's cadres, ``cadres_per_village`` each [A]).

    ``gives_way``: which block issue work may take besides the slack (``routine`` or
    ``patrol``; the other is protected). Patrols and routine duty move along the patch's
    roads at ``patrol_speed_kmh`` and ``routine_speed_kmh`` and notice issues within
    ``detection_distance_km``. Familiarity (分片包干): a member handling an issue in its
    own patch takes ``own_patch_duration_factor`` of the time and fails with
    ``own_patch_fail_factor`` of the chance; a member from another grid of the village
    ``other_grid_duration_factor`` and ``other_grid_fail_factor``. ``consultation_h``: the
    grid leader's working time per consultation (会商). ``mediator_share_of_volunteers``:
    volunteers trained as mediators (矛盾调解).
    """

    work: ScheduleParams = _schedule(days_per_week=6, start_h=6.0, hours_per_day=7.0, patrol_share=0.2,
                                     routine_share=0.7)
    grid_leader: ScheduleParams = _schedule(days_per_week=5, start_h=14.0, hours_per_day=1.6, patrol_share=0.3,
                                            routine_share=0.3, observes_holidays=True)
    management: ScheduleParams = _schedule(days_per_week=2, start_h=9.0, hours_per_day=2.0, patrol_share=0.25,
                                           routine_share=0.25, observes_holidays=True)
    volunteer: ScheduleParams = _schedule(days_per_week=1, start_h=9.0, hours_per_day=3.0, patrol_share=0.5,
                                          routine_share=0.3)
    cadre: ScheduleParams = _schedule(days_per_week=5, start_h=8.5, hours_per_day=8.0, patrol_share=0.0,
                                      routine_share=0.6, observes_holidays=True)
    cadres_per_village: int = num(5, lo=0)
    gives_way: str = choice("routine", ("routine", "patrol"))
    patrol_speed_kmh: float = num(4.0, lo=0.0, lo_open=True)
    routine_speed_kmh: float = num(1.5, lo=0.0, lo_open=True)
    detection_distance_km: float = num(0.15, lo=0.0)
    own_patch_duration_factor: float = num(0.85, lo=0.0, lo_open=True)
    own_patch_fail_factor: float = num(0.7, lo=0.0)
    other_grid_duration_factor: float = num(1.15, lo=0.0, lo_open=True)
    other_grid_fail_factor: float = num(1.2, lo=0.0)
    consultation_h: float = num(1.0, lo=0.0)
    mediator_share_of_volunteers: float = num(0.2, lo=0.0, hi=1.0)


@dataclass(frozen=True)
class DispatchParams:
    """Who takes an issue at grid level. ``rule``: ``patch_owner`` (包干: the member whose
    patch holds the issue takes it; when its own queue already holds
    ``help_queue_threshold`` issues, the grid's nearest free qualified member helps),
    ``grid_pool`` (the grid member who can be there first) or ``village_pool`` (any
    qualified member of the village: the pre-reform pattern)."""

    rule: str = choice("grid_pool", DISPATCH_RULES)
    help_queue_threshold: int = num(2, lo=0)


@dataclass(frozen=True)
class DepartmentParams:
    """A town department (or district bureau) that handles the cases of its ``trades``.

    Staff = max(``min_staff``, round(``staff_per_10k_residents`` × residents / 10,000)) of
    its town (district); ``case_share`` of them work on grid cases in parallel
    (at least one), on the level's calendar.
    """

    name: str = "department"
    name_zh: str = ""
    trades: tuple[str, ...] = ()
    staff_per_10k_residents: float = num(1.0, lo=0.0)
    min_staff: int = num(1, lo=1)
    case_share: float = num(0.5, lo=0.0, hi=1.0, lo_open=True)

    def validate(self, p: str) -> None:
        require(len(self.trades) > 0, p + "trades", "must list at least one trade")
        bad = [t for t in self.trades if t not in TRADES]
        require(not bad, p + "trades", f"unknown trade {bad[:1]}; allowed: {', '.join(TRADES)}")


@dataclass(frozen=True)
class DepartmentsParams:
    """Town departments and district bureaus by trade (empty: the level's abstract crews).
    ``staff_scale`` multiplies every department's staff (a lever: 0.5 halves them)."""

    town: tuple[DepartmentParams, ...] = ()
    district: tuple[DepartmentParams, ...] = ()
    staff_scale: float = num(1.0, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class OccurrenceParams:
    """When issues occur within the day: ``hour_factors`` (24 relative intensities,
    midnight first; empty = flat)."""

    hour_factors: tuple[float, ...] = ()

    def validate(self, p: str) -> None:
        positive_profile(self.hour_factors, 24, p + "hour_factors")


@dataclass(frozen=True)
class SurgeParams:
    """A surge event (typhoon, flood): ``extra_issues`` issues of ``types`` (with
    ``shares``, empty = equal) from ``start_date`` + ``start_h`` over ``duration_h``
    hours, ``uniform`` in time or decaying with ``decay_h``, at households of ``towns``
    (names or numbers as the map shows them; empty = every town), in proportion to
    residents."""

    name: str = "surge"
    start_date: str = "2025-08-01"
    start_h: float = num(0.0, lo=0.0, hi=24.0)
    duration_h: float = num(72.0, lo=0.0, lo_open=True)
    extra_issues: int = num(0, lo=0)
    types: tuple[str, ...] = ()
    shares: tuple[float, ...] = ()
    towns: tuple[str, ...] = ()
    shape: str = choice("uniform", SURGE_SHAPES)
    decay_h: float = num(24.0, lo=0.0, lo_open=True)

    def validate(self, p: str) -> None:
        try:
            _dt.date.fromisoformat(self.start_date)
        except ValueError:
            raise ConfigError(p + "start_date", f"must be an ISO date YYYY-MM-DD, got {self.start_date!r}") from None
        require(len(self.types) > 0 or self.extra_issues == 0, p + "types", "must list the issue types of the surge")
        require(len(self.shares) in (0, len(self.types)), p + "shares", "must give one share per type (or none)")
        require(all(math.isfinite(s) and s >= 0 for s in self.shares) and (not self.shares or sum(self.shares) > 0),
                p + "shares", "must be finite, >= 0 and not all zero")


@dataclass(frozen=True)
class ResidentParams:
    """Households who notice, decide, report, rate and talk (see :mod:`sim.agents.households`).

    The household where an issue is notices it at ``notice_rate_per_day`` × visibility.
    It reports with probability logistic(``report_intercept`` + ``report_trust_slope`` ×
    (trust − 0.5) + ``report_elderly_slope`` × its share of people aged 60+); if not, it
    reconsiders each time it notices it again. It reports by the route of highest utility
    plus a Gumbel draw (a logit): each ``resident`` channel's ``utility``, plus
    ``route_trust_slope`` × trust for the grid's own routes (app, service point, head,
    party member), plus ``hotline_distrust_slope`` × (1 − trust) for 12345,
    ``walk_slope_per_10min`` per 10 minutes' walk to the service point, ``star_bonus``
    for a party member when a star family (星级家庭) lives among its ``neighbourhood``
    nearest households; the app needs an app user at home, the party route a party
    member among the neighbours, the head route a head. Trust starts Beta with mean
    ``trust_mean`` and sd ``trust_sd``. A household rates the closure of an issue it
    reported: positive (satisfied or basically satisfied) with ``p_positive_on_time`` or
    ``p_positive_late``, times (1 − ``rework_penalty``) if reworked and (1 −
    ``no_feedback_penalty``) if no feedback reached it; of the positive ratings a share
    ``satisfied_share_on_time`` / ``satisfied_share_late`` is "satisfied". Its trust moves
    ``trust_memory`` of the way to the rating's score (1, ``basically_score``, 0), and each
    neighbour's ``word_of_mouth`` of the way. ``star_family_share`` of party households
    are star families; ``volunteer_party_share`` of each grid's volunteers are party
    members (as many as live there), and mediators are drawn from them.
    """

    notice_rate_per_day: float = num(0.3, lo=0.0)
    report_intercept: float = num(0.0)
    report_trust_slope: float = num(4.0)
    report_elderly_slope: float = num(-1.0)
    trust_mean: float = num(0.7, lo=0.0, hi=1.0, lo_open=True)
    trust_sd: float = num(0.15, lo=0.0)
    route_trust_slope: float = num(1.0)
    hotline_distrust_slope: float = num(2.0)
    walk_slope_per_10min: float = num(-0.5)
    star_bonus: float = num(1.0)
    star_family_share: float = num(0.3, lo=0.0, hi=1.0)
    neighbourhood: int = num(10, lo=1, hi=200)
    p_positive_on_time: float = num(0.97, lo=0.0, hi=1.0)
    p_positive_late: float = num(0.85, lo=0.0, hi=1.0)
    satisfied_share_on_time: float = num(0.8, lo=0.0, hi=1.0)
    satisfied_share_late: float = num(0.5, lo=0.0, hi=1.0)
    basically_score: float = num(0.6, lo=0.0, hi=1.0)
    rework_penalty: float = num(0.15, lo=0.0, hi=1.0)
    no_feedback_penalty: float = num(0.1, lo=0.0, hi=1.0)
    trust_memory: float = num(0.3, lo=0.0, hi=1.0)
    word_of_mouth: float = num(0.05, lo=0.0, hi=1.0)
    volunteer_party_share: float = num(0.7, lo=0.0, hi=1.0)


@dataclass(frozen=True)
class FusionParams:
    """多网融合. ``enabled``: grid staff report straight into the town linkage system.
    Off: grid reports go through the village committee (``relay`` working hours on its
    calendar) and a report is lost with probability ``p_loss`` (re-reported after
    ``rereport``)."""

    enabled: bool = True
    relay: DistParams = field(default_factory=lambda: DistParams("lognormal", 8.0, 0.8))
    p_loss: float = num(0.05, lo=0.0, hi=1.0)
    rereport: DistParams = field(default_factory=lambda: DistParams("exponential", 72.0, 1.0))


@dataclass(frozen=True)
class RunParams:
    """Simulated span. ``horizon_days`` simulated; KPIs cover issues reported after
    ``warmup_days``. Day 0 starts at midnight of ``start_date`` (ISO date).
    ``holidays``: ``china`` (statutory days off and make-up working days from the
    chinese-calendar package) or ``none``.
    ``memory_limit_gb``: a run whose estimated memory (:mod:`sim.guard`) exceeds this is
    refused before anything is built (null: the machine's memory); ``max_events``: the
    same for the estimated number of events (null: no limit)."""

    horizon_days: float = num(365.0, lo=0.0, lo_open=True)
    warmup_days: float = num(0.0, lo=0.0)
    start_date: str = "2025-01-06"
    holidays: str = choice("none", HOLIDAY_SOURCES)
    memory_limit_gb: float | None = num(None, lo=0.0, lo_open=True)
    max_events: float | None = num(1e9, lo=0.0, lo_open=True)

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
    def has_members(self) -> bool:
        """Grid and village capacity comes from team members (and village cadres): a map
        with households on roads and some team. Otherwise from ``levels.*.crews``."""
        t = self.teams
        return self.world.map != "regular" and t.management_total + t.work_total + t.volunteer_total > 0

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


def params_from_dict(data: dict) -> ModelParams:
    """Build and validate :class:`ModelParams` from a plain nested dict.

    A ``mmc`` or ``jackson`` block (validation scenarios) is first translated into
    ordinary parameters by :mod:`sim.validation`.
    """
    from sim.validation import expand_validation_blocks

    data = expand_validation_blocks(dict(data))
    return build(ModelParams, data, "")


def params_to_dict(params: Any) -> Any:
    """The inverse of :func:`params_from_dict`: plain dicts and lists (for manifests)."""
    return to_dict(params)
