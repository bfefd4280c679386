"""Validated, frozen model parameters.

Everything the model reads comes from a :class:`ModelParams`. It is built from a plain
nested dict (what Hydra resolves, or what an outside experiment tool passes) by
:func:`params_from_dict`, which rejects unknown keys and out-of-range values with a
:class:`~sim.errors.ConfigError` naming the dotted key and what is allowed.

Units are in the names: ``_h`` hours, ``_days`` days, ``_km2`` square kilometres,
``p_`` a probability in [0, 1], ``rate_per_..._per_...`` a rate.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import numbers
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import ConfigError

LEVELS = ("grid", "village", "town", "district")
"""The handling ladder, lowest first. Index = level number used inside the model."""

DISTS = ("exponential", "lognormal", "deterministic")
DISCIPLINES = ("fifo", "severity", "time_left")
ESCALATION_RULES = ("step", "direct")
CHANNEL_KINDS = ("instant", "rounds", "poisson")
CHANNEL_DRIVERS = ("none", "grid_leader", "work_team", "management_team", "volunteer_team", "household_heads",
                   "party_members", "app_users", "service_point", "propensity")
MAP_SOURCES = ("regular", "synthetic", "geojson")
TRADES = ("cleaning", "river", "road", "forestry", "safety")


def _check(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(key, msg)


def _meta(lo: float | None = None, hi: float | None = None, choices: tuple | None = None,
          lo_open: bool = False) -> dict:
    return {"lo": lo, "hi": hi, "choices": choices, "lo_open": lo_open}


def num(default: Any, lo: float | None = None, hi: float | None = None, lo_open: bool = False):
    """A numeric field with bounds (inclusive unless ``lo_open``)."""
    return field(default=default, metadata=_meta(lo, hi, lo_open=lo_open))


def choice(default: str, choices: tuple):
    return field(default=default, metadata=_meta(choices=choices))


# --------------------------------------------------------------------------- leaves


@dataclass(frozen=True)
class DistParams:
    """A non-negative duration distribution, in hours.

    ``dist``: exponential (cv is 1 by definition), lognormal (by mean and cv) or
    deterministic (always ``mean_h``). A mean of 0 makes the stage instant.
    """

    dist: str = choice("deterministic", DISTS)
    mean_h: float = num(0.0, lo=0.0)
    cv: float = num(1.0, lo=0.0)


@dataclass(frozen=True)
class CalendarParams:
    """Working time of a unit or service: ``always_on`` (24/7) or a daily window
    ``[day_start_h, day_end_h)`` on the listed ``weekdays`` (0 = Monday)."""

    always_on: bool = False
    day_start_h: float = num(8.5, lo=0.0, hi=24.0)
    day_end_h: float = num(17.5, lo=0.0, hi=24.0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class IssueTypeParams:
    """One class of problem in the catalogue.

    ``rate_per_1000_residents_per_year`` occurrences; ``visibility`` scales every
    channel's detection; ``min_close_level`` is the lowest level that may close it;
    ``handling`` the crew time at grid level (other levels scale it);
    ``time_limit_wh`` the deadline in working hours of the office calendar, counted
    from registration; ``severity`` orders the ``severity`` queue discipline (higher
    first); ``p_on_spot_fix`` the chance a patrolling finder fixes it at once;
    ``dur_on_spot_h`` how long that takes; ``p_rework`` the chance verification fails;
    ``needs_consultation`` whether the management team must consult (会商) first;
    ``trade`` the work-team trade that owns it.
    """

    name: str = "issue"
    rate_per_1000_residents_per_year: float = num(100.0, lo=0.0)
    visibility: float = num(1.0, lo=0.0, hi=1.0)
    min_close_level: str = choice("grid", LEVELS)
    handling: DistParams = field(default_factory=lambda: DistParams("exponential", 2.0, 1.0))
    time_limit_wh: float = num(40.0, lo=0.0, lo_open=True)
    severity: int = num(1, lo=0)
    p_on_spot_fix: float = num(0.0, lo=0.0, hi=1.0)
    dur_on_spot_h: float = num(0.25, lo=0.0)
    p_rework: float = num(0.0, lo=0.0, hi=1.0)
    needs_consultation: bool = False
    trade: str = "general"
    source: str = ""


@dataclass(frozen=True)
class ChannelParams:
    """A discovery channel.

    ``kind``: ``instant`` (discovered when it occurs), ``rounds`` (periodic rounds every
    ``period_h`` starting at ``first_round_h`` of day 0, each finding a given issue with
    probability ``p_detect_per_round`` × visibility) or ``poisson`` (found after an
    exponential delay at ``rate_per_day`` × visibility). ``report_delay`` runs from
    discovery to registration; ``on_calendar`` channels only register during the
    service-point calendar. ``enters_at`` is the level where the report is registered
    (12345 enters at district). ``can_fix_on_spot``: finders may fix minor issues at once.

    ``driver`` ties the channel to the world: team-driven rounds find an issue with
    probability × coverage, coverage = min(1, members × ``coverage_km2_per_member`` / grid
    area), or with ``coverage_basis: road`` min(1, members × ``coverage_road_km_per_member``
    / the grid's road length), where ``grid_leader`` is the one leader every grid has (so the number of grids
    matters, not only staff per km²) (household heads: min(1, visits / assigned households)); ``party_members``,
    ``app_users``, ``service_point`` (walking distance) and ``propensity`` scale a
    continuous rate by the grid's value relative to the district mean, and every
    resident-driven channel by the village's reporting propensity.
    ``round_duration_h``: staff time per round (workload). ``service_day_boost``
    multiplies a continuous rate on the 10th and 20th of each month (service days).
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
    coverage_km2_per_member: float = num(1.0, lo=0.0)
    coverage_basis: str = choice("area", ("area", "road"))
    coverage_road_km_per_member: float = num(1.0, lo=0.0)
    round_duration_h: float = num(1.0, lo=0.0)
    service_day_boost: float = num(1.0, lo=0.0)


@dataclass(frozen=True)
class LevelParams:
    """Handling units at one level of the ladder (one unit per grid / village / town,
    one for the district).

    ``crews`` per unit work in parallel; ``discipline`` orders the queue;
    ``dur_multiplier`` scales the issue type's handling time at this level;
    ``p_fail_attempt`` is the chance an attempt here ends without closing the issue
    (it is then escalated); ``calendar`` the unit's working time.
    """

    crews: int = num(1, lo=1)
    discipline: str = choice("fifo", DISCIPLINES)
    dur_multiplier: float = num(1.0, lo=0.0, lo_open=True)
    p_fail_attempt: float = num(0.0, lo=0.0, hi=1.0)
    calendar: CalendarParams = field(default_factory=CalendarParams)


@dataclass(frozen=True)
class LevelsParams:
    grid: LevelParams = field(default_factory=LevelParams)
    village: LevelParams = field(default_factory=LevelParams)
    town: LevelParams = field(default_factory=LevelParams)
    district: LevelParams = field(default_factory=lambda: LevelParams(crews=4))

    def by_index(self, i: int) -> LevelParams:
        return getattr(self, LEVELS[i])


@dataclass(frozen=True)
class EscalationParams:
    """How issues move up the ladder.

    ``rule``: ``step`` (grid → village → town → district, one hand-over per step) or
    ``direct`` (fused nets: anything the grid or village cannot close goes straight to
    the town linkage centre, which passes it to the capable level). ``breach_fraction``:
    an issue still waiting in a queue when this fraction of its time limit has passed
    is escalated once (null disables). ``handover`` is the delay of each hand-over.
    """

    rule: str = choice("step", ESCALATION_RULES)
    breach_fraction: float | None = num(None, lo=0.0, lo_open=True)
    handover: DistParams = field(default_factory=lambda: DistParams("deterministic", 1.0, 0.0))


@dataclass(frozen=True)
class LifecycleParams:
    """Delays of the bookkeeping stages of the closed loop (hours).

    ``register``: report → case registered and classified; ``consultation``: the
    management team's 会商 for types that need it; ``hotline_dispatch``: the
    district platform passing a 12345 ticket down; ``feedback``: handled → fed back;
    ``verify``: fed back → verified (then closed, or sent back as rework).
    ``max_reworks``: reworks per issue at most; a verification that fails past this is
    escalated a level instead (at the district the case is closed as it stands) [A].
    """

    register: DistParams = field(default_factory=DistParams)
    consultation: DistParams = field(default_factory=lambda: DistParams("lognormal", 24.0, 0.5))
    hotline_dispatch: DistParams = field(default_factory=lambda: DistParams("exponential", 4.0, 1.0))
    feedback: DistParams = field(default_factory=DistParams)
    verify: DistParams = field(default_factory=DistParams)
    max_reworks: int = num(3, lo=0, hi=1000)


@dataclass(frozen=True)
class WorldParams:
    """The district.

    ``map: regular``: ``towns`` × ``villages_per_town`` villages, each of
    ``grids_per_village`` grids of ``households_per_grid`` households (validation and
    small cases; no geometry). ``map: synthetic``: a generated island of ``towns`` towns
    and ``villages`` villages, ``residents`` people, ``settled_area_km2``, partitioned into
    grids by ``partition``. ``map: geojson``: village polygons and household points from
    ``geojson_path`` (see :func:`sim.geo.load_geojson`). Household size is
    1 + Poisson(``persons_per_household`` − 1). ``propensity_sigma``: lognormal spread of
    villages' reporting propensity (places differ up to 3×, Liu et al. 2023).
    Travel: straight distance × ``detour_factor`` at the mode's speed.
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
    village_area_sigma: float = num(0.35, lo=0.0)
    propensity_sigma: float = num(0.35, lo=0.0)
    detour_factor: float = num(1.3, lo=1.0)
    speed_walk_kmh: float = num(4.5, lo=0.0, lo_open=True)
    speed_ebike_kmh: float = num(15.0, lo=0.0, lo_open=True)
    speed_car_kmh: float = num(30.0, lo=0.0, lo_open=True)
    service_walk_decay_min: float = num(15.0, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class PartitionParams:
    """Micro-grids per village (see :mod:`sim.partition`): from ``by`` = ``area``
    (``target_area_km2`` per grid) or ``households`` (``target_households`` per grid),
    clamped to [``k_min``, ``k_max``]; with ``total_grids`` the district total is fixed;
    ``grids_per_village`` (a policy lever for sweeps) overrides all of these: every
    village gets exactly that many grids (1 = the pre-reform village grid)."""

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
    in proportion to households (largest remainder). Grid handling units get one crew per work-team member; village units
    ``management_case_share`` × the village's management members (at least one).
    ``skills_per_member`` trades each work-team member can fix on the spot (一员多能, of
    5 trades); ``training_level`` in [0, 1] scales on-the-spot fixes by (0.5 + level) and
    rework by (1.5 − level). The consultation delay scales with
    ``consultation_ref_management_per_km2`` over the grid's management members per km² (clamped to [0.25, 4]). Household heads:
    one per ``households_per_head`` households, each visiting ``head_visits_per_round``
    households per round.
    """

    management_total: int = num(0, lo=0)
    work_total: int = num(0, lo=0)
    volunteer_total: int = num(0, lo=0)
    scale_management: float = num(1.0, lo=0.0)
    scale_work: float = num(1.0, lo=0.0)
    scale_volunteer: float = num(1.0, lo=0.0)
    skills_per_member: int = num(2, lo=1, hi=5)
    training_level: float = num(0.5, lo=0.0, hi=1.0)
    management_case_share: float = num(0.2, lo=0.0, hi=1.0)
    consultation_ref_management_per_km2: float = num(6.7, lo=0.0, lo_open=True)
    household_heads: bool = False
    households_per_head: float = num(12.0, lo=1.0)
    head_visits_per_round: float = num(12.0, lo=0.0)


@dataclass(frozen=True)
class FusionParams:
    """多网融合. ``enabled``: grid staff dispatch straight to the handling unit through the
    linkage system. Off: grid reports go through the village committee, adding ``relay``
    and losing a report with probability ``p_loss`` (it is then re-reported after
    ``rereport``)."""

    enabled: bool = True
    relay: DistParams = field(default_factory=lambda: DistParams("lognormal", 24.0, 0.8))
    p_loss: float = num(0.05, lo=0.0, hi=1.0)
    rereport: DistParams = field(default_factory=lambda: DistParams("exponential", 72.0, 1.0))


@dataclass(frozen=True)
class RunParams:
    """Simulated span. ``horizon_days`` simulated; KPIs cover issues reported after
    ``warmup_days``. Day 0 starts at midnight of ``start_date`` (ISO date).
    ``memory_limit_gb``: a run whose estimated memory (:mod:`sim.guard`) exceeds this is
    refused before anything is built (null: the machine's memory); ``max_events``: the
    same for the estimated number of events (null: no limit)."""

    horizon_days: float = num(365.0, lo=0.0, lo_open=True)
    warmup_days: float = num(0.0, lo=0.0)
    start_date: str = "2025-01-06"
    memory_limit_gb: float | None = num(None, lo=0.0, lo_open=True)
    max_events: float | None = num(1e9, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class ModelParams:
    """Every parameter of one run."""

    scenario: str = "custom"
    seed: int = num(0, lo=0)
    run: RunParams = field(default_factory=RunParams)
    world: WorldParams = field(default_factory=WorldParams)
    partition: PartitionParams = field(default_factory=PartitionParams)
    teams: TeamParams = field(default_factory=TeamParams)
    fusion: FusionParams = field(default_factory=FusionParams)
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


# --------------------------------------------------------------------------- builder


INT_LIMIT = 2**63 - 1
"""Whole numbers must fit a 64-bit integer (numpy's); sizes are bounded further by :mod:`sim.guard`."""
FLOAT_LIMIT = 1e12
"""Magnitude limit of every number (hours, rates, areas, ...): beyond it clock arithmetic in
hours loses its precision and sums overflow. Not a modelling bound: sizes are bounded by
:mod:`sim.guard`, ranges by each field's own bounds."""
FLOAT_TINY = 1e-9
"""The smallest value a field that must be > 0 may take (1e-9 h is 4 µs): below it rates and
counts derived from it overflow."""


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _fmt(x: float) -> str:
    return f"{x:g}"


def _show(value: Any, width: int = 60) -> str:
    """A value as the user wrote it, shortened for a one-line message."""
    r = repr(value)
    return r if len(r) <= width else r[: width - 4] + " ..."


def allowed(tp: Any, meta: dict) -> str:
    """What a field accepts, in words ("a whole number >= 1", "a number in [0, 1]")."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return allowed(args[0], meta) + " or null"
    if meta.get("nullable"):
        return allowed(tp, {**meta, "nullable": False}) + " or null"
    if meta.get("choices") is not None:
        return "one of " + ", ".join(meta["choices"])
    if tp is bool:
        return "true or false"
    if tp is str:
        return "a string"
    if tp not in (int, float):
        return f"a {_type_name(tp)}"
    what = "a whole number" if tp is int else "a finite number"
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None and not meta.get("lo_open"):
        return f"{what} in [{_fmt(lo)}, {_fmt(hi)}]"
    parts = []
    if lo is not None:
        parts.append(f"{'>' if meta.get('lo_open') else '>='} {_fmt(lo)}")
    if hi is not None:
        parts.append(f"<= {_fmt(hi)}")
    return " ".join([what, " and ".join(parts)]).strip()


def _coerce(value: Any, tp: Any, key: str, meta: dict) -> Any:
    """Convert ``value`` to annotation ``tp`` or raise ConfigError naming ``key`` and
    what is allowed."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], key, {**meta, "nullable": True})
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(key, f"must be a mapping of {', '.join(f.name for f in dataclasses.fields(tp))}; "
                                   f"got {_show(value)}")
        return _build(tp, value, key)
    if origin is tuple:
        (item_tp, *_rest) = typing.get_args(tp)
        if isinstance(value, dict):  # a mapping name -> entry, as YAML groups compose best
            if not dataclasses.is_dataclass(item_tp):
                raise ConfigError(key, f"must be a list of {allowed(item_tp, {})}")
            out = []
            for name, v in value.items():
                k = f"{key}.{name}"
                if v is None:
                    v = {}
                if not isinstance(v, dict):
                    raise ConfigError(k, f"must be a mapping of {', '.join(f.name for f in dataclasses.fields(item_tp))}; "
                                         f"got {_show(v)}")
                v = dict(v)
                if v.get("name") is None:  # the entry's key is its name
                    v["name"] = name
                out.append(_coerce(v, item_tp, k, {}))
            return tuple(out)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, f"must be a list, got {_show(value)}")
        return tuple(_coerce(v, item_tp, f"{key}[{i}]", {}) for i, v in enumerate(value))
    if tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, f"must be a mapping, got {_show(value)}")
        return value
    if tp is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise ConfigError(key, f"must be true or false, got {_show(value)}")
        return bool(value)
    if tp is int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
        if not isinstance(value, numbers.Integral):
            v = float(value)
            if not math.isfinite(v) or v != math.floor(v):
                raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
        value = int(value)
        if abs(value) > INT_LIMIT:
            raise ConfigError(key, f"must be {allowed(tp, meta)} (at most {INT_LIMIT:.3g}), got {_show(value)}")
    elif tp is float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
        try:
            value = float(value)
        except OverflowError:  # an int beyond the float range
            raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}") from None
        if not math.isfinite(value):
            raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
        if abs(value) > FLOAT_LIMIT:
            raise ConfigError(key, f"must be {allowed(tp, meta)} of magnitude at most {FLOAT_LIMIT:g}, got {_show(value)}")
        if meta.get("lo_open") and meta.get("lo") == 0 and 0 < value < FLOAT_TINY:
            raise ConfigError(key, f"must be {allowed(tp, meta)} and at least {FLOAT_TINY:g}, got {_show(value)}")
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, got {_show(value)}")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(key, f"must be one of {', '.join(choices)}; got {_show(value)}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and (value <= lo if meta.get("lo_open") else value < lo)) or (hi is not None and value > hi):
        raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
    return value


def _build(cls: type, data: dict, prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields), key=str)
    if unknown:
        key = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise ConfigError(key, f"unknown key; allowed: {', '.join(fields)}")
    kwargs = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        kwargs[name] = _coerce(value, hints[name], key, dict(fields[name].metadata))
    obj = cls(**kwargs)
    _validate(obj, prefix)
    return obj


def _validate(obj: Any, prefix: str) -> None:
    """Cross-field checks that a single field's bounds cannot express."""
    p = (prefix + ".") if prefix else ""
    if isinstance(obj, CalendarParams) and not obj.always_on:
        _check(obj.day_end_h > obj.day_start_h, p + "day_end_h", "must be later than day_start_h")
        _check(len(obj.weekdays) > 0 and all(0 <= d <= 6 for d in obj.weekdays),
               p + "weekdays", "must list weekdays 0 (Monday) .. 6 (Sunday), at least one")
        _check(len(set(obj.weekdays)) == len(obj.weekdays), p + "weekdays", "must not repeat a day")
    if isinstance(obj, DistParams) and obj.dist == "lognormal":
        _check(obj.mean_h == 0 or obj.cv > 0, p + "cv", "must be > 0 for a lognormal with mean > 0")
    if isinstance(obj, RunParams):
        _check(obj.warmup_days < obj.horizon_days, p + "warmup_days",
               f"must be shorter than run.horizon_days ({obj.horizon_days:g})")
        try:
            start = _dt.date.fromisoformat(obj.start_date)
        except ValueError:
            raise ConfigError(p + "start_date", f"must be an ISO date YYYY-MM-DD, got {obj.start_date!r}") from None
        # calendars look up to ~2 years past the horizon (service days); dates end in 9999
        latest = _dt.date.max - _dt.timedelta(days=800)
        _check(start < latest, p + "start_date", f"must be before {latest.isoformat()}, got {obj.start_date!r}")
        room = (latest - start).days
        _check(obj.horizon_days <= room, p + "horizon_days",
               f"must be at most {room} days from run.start_date {obj.start_date} (dates end in 9999); "
               f"got {obj.horizon_days:g}")
    if isinstance(obj, ModelParams):
        _check(len(obj.issue_types) > 0, "issue_types", "must list at least one issue type")
        names = [t.name for t in obj.issue_types]
        _check(len(set(names)) == len(names), "issue_types", "names must be unique")
        _check(any(c.enabled for c in obj.channels), "channels", "at least one channel must be enabled")
        cnames = [c.name for c in obj.channels]
        _check(len(set(cnames)) == len(cnames), "channels", "names must be unique")
        _check(obj.fusion.enabled or obj.escalation.rule == "step", "escalation.rule",
               "'direct' needs fused nets (fusion.enabled=true); with fusion off the only rule is 'step'")
        # No cycle without time passing: a rework sends the issue back through handling,
        # feedback and verification; if all three can take no time it would repeat at
        # one instant (lifecycle.max_reworks bounds it, but such a run is meaningless).
        lc = obj.lifecycle
        if lc.feedback.mean_h == 0 and lc.verify.mean_h == 0:
            for t in obj.issue_types:
                k = f"issue_types.{t.name}"
                _check(t.p_rework == 0 or t.handling.mean_h > 0, f"{k}.p_rework",
                       f"must be 0 when {k}.handling.mean_h, lifecycle.feedback.mean_h and lifecycle.verify.mean_h "
                       f"are all 0 (a rework would repeat at the same instant); got {t.p_rework:g}")
        _check(obj.partition.k_min <= obj.partition.k_max, "partition.k_min",
               f"must be <= partition.k_max ({obj.partition.k_max})")
        if obj.world.map == "geojson":
            _check(bool(obj.world.geojson_path), "world.geojson_path", "must name a GeoJSON file when world.map=geojson")
        if obj.world.map == "synthetic":
            _check(obj.world.villages >= obj.world.towns, "world.villages",
                   f"must be >= world.towns ({obj.world.towns})")


def params_from_dict(data: dict) -> ModelParams:
    """Build and validate :class:`ModelParams` from a plain nested dict.

    A ``mmc`` or ``jackson`` block (validation scenarios) is first translated into
    ordinary parameters by :mod:`sim.validation`.
    """
    from sim.validation import expand_validation_blocks

    data = expand_validation_blocks(dict(data))
    return _build(ModelParams, data, "")


def params_to_dict(params: Any) -> Any:
    """The inverse of :func:`params_from_dict`: plain dicts and lists (for manifests)."""
    if dataclasses.is_dataclass(params):
        return {f.name: params_to_dict(getattr(params, f.name)) for f in dataclasses.fields(params)}
    if isinstance(params, (list, tuple)):
        return [params_to_dict(v) for v in params]
    return params
