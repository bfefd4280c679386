"""What issues are and how they are found: durations, calendars, the issue-type catalogue, channels, occurrence and surges.

Part of :mod:`sim.params` (import from there)."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

from sim.errors import ConfigError
from sim.typedconfig import choice, num, positive_profile, require
from sim.vocab import (ACTIVITIES, CHANNEL_DRIVERS, CHANNEL_KINDS, DISTS, LEVELS, RESPONSE_LEVELS, SERVICE_DAYS,
                       SURGE_SHAPES, TRADES)


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
    (延期). ``extent_km``: how far the problem reaches (a stretch of river or road, a dispute
    between neighbours): an issue of extent ℓ in a grid of area A whose border with other
    grids of its village is L long straddles it with chance min(1, 2ℓL / πA) (Cauchy–Crofton:
    the expected crossings of a random segment), and then the grids must consult (会商)
    before dispatch. ``crew_size``: people an attempt needs (2: a second member of the unit
    works the job alongside, or one from the village when the grid has nobody else with
    the trade).
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
    extent_km: float = num(0.0, lo=0.0)
    crew_size: int = num(1, lo=1, hi=2)
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
    rounds: each head visits ``teams.head_visits_per_day`` of its households per round (its weekly hours in visits),
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
    residents. ``response_level``: the emergency response the district declares for it
    (防汛防台 IV to I, or ``none``; what each level does is ``emergency.*``)."""

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
    response_level: str = choice("none", RESPONSE_LEVELS)

    def validate(self, p: str) -> None:
        try:
            _dt.date.fromisoformat(self.start_date)
        except ValueError:
            raise ConfigError(p + "start_date", f"must be an ISO date YYYY-MM-DD, got {self.start_date!r}") from None
        require(len(self.types) > 0 or self.extra_issues == 0, p + "types", "must list the issue types of the surge")
        require(len(self.shares) in (0, len(self.types)), p + "shares", "must give one share per type (or none)")
        require(all(math.isfinite(s) and s >= 0 for s in self.shares) and (not self.shares or sum(self.shares) > 0),
                p + "shares", "must be finite, >= 0 and not all zero")
