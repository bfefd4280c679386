"""How issues are handled: the levels of the ladder, escalation, lifecycle stages, dispatch and fused nets.

Part of :mod:`sim.params` (import from there)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.params.issues import CalendarParams, DistParams
from sim.typedconfig import choice, num
from sim.typedconfig import require
from sim.vocab import (DISCIPLINES, DISPATCH_RULES, DUTY_CALENDARS, ESCALATION_RULES, LEVELS, OVERDUE_POLICIES,
                       RESPONSE_LEVELS)


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
class DispatchParams:
    """Who takes an issue at grid level. ``rule``: ``patch_owner`` (包干: the member whose
    patch holds the issue takes it; when its own queue already holds
    ``help_queue_threshold`` issues, the grid's nearest free qualified member helps),
    ``grid_pool`` (the grid member who can be there first), ``village_pool`` (any
    qualified member of the village: the pre-reform pattern) or ``ab_post`` (A/B posts,
    AB岗: the patch owner (A post) takes it if it can start within ``backup_after_h``
    hours, else its named backup in the grid (B post), else the grid member who can start
    soonest, else the village's (cadres and work crews), each within ``backup_after_h``;
    if nobody can, whoever can start first. A job waiting for a busy post longer than
    ``backup_after_h`` passes on down the same chain)."""

    rule: str = choice("grid_pool", DISPATCH_RULES)
    help_queue_threshold: int = num(2, lo=0)
    backup_after_h: float = num(4.0, lo=0.0)


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
class IntakeParams:
    """Duty desks (值班): when the town linkage centre (大联动) and the district platform
    (一网统管, 12345) register, classify, dispatch and verify cases. ``duty_calendar``:
    ``round_the_clock`` (a duty desk staffed 24/7), ``extended`` (``extended_calendar``) or
    ``office`` (each level's own working calendar, ``levels.town.calendar`` and
    ``levels.district.calendar``). Handling still follows each unit's working calendar;
    the village committee (nets not fused) registers on the village's calendar."""

    duty_calendar: str = choice("office", DUTY_CALENDARS)
    extended_calendar: CalendarParams = field(default_factory=lambda: CalendarParams(
        day_start_h=7.0, day_end_h=22.0, weekdays=(0, 1, 2, 3, 4, 5, 6), observes_holidays=False))


@dataclass(frozen=True)
class AssessmentParams:
    """考核评价: the district's monthly ranking of grids feeds back (see
    :mod:`sim.lifecycle.assessment`). ``enabled``: the switch. Each month the lowest
    ``bottom_share`` of the ranked grids (those with at least ``min_closed`` closures) are
    rectified — supervision and training, ``supervision_h_per_grid`` hours of the town's
    staff each — and for the next month their rounds find issues and their members fix on the
    spot with × (1 + ``bottom_effect``) the chance; the highest ``top_share`` are recognised,
    × (1 + ``top_effect``)."""

    enabled: bool = False
    bottom_share: float = num(0.1, lo=0.0, hi=0.5)
    top_share: float = num(0.1, lo=0.0, hi=0.5)
    bottom_effect: float = num(0.2, lo=0.0, hi=2.0)
    top_effect: float = num(0.05, lo=0.0, hi=2.0)
    supervision_h_per_grid: float = num(8.0, lo=0.0)
    min_closed: int = num(3, lo=1)


@dataclass(frozen=True)
class EmergencyParams:
    """Emergency response (防汛防台) to a surge event that declares a ``response_level``.

    ``enabled``: the switch. The response runs from ``lead_h`` hours before the event
    starts until ``stand_down_h`` after it ends, in the towns it hits. Meanwhile: the duty
    desks register and dispatch round the clock; the hit towns' departments (and the
    district's bureaus) work every day, ``extra_hours_by_level`` hours longer than their
    working day (one value per level, IV to I); from level ``mutual_aid_from_level`` up,
    ``mutual_aid_share`` of the case handlers of the same department in every town not hit
    are lent to the hit towns (they leave their own towns for the response, and travel
    from there); and a severity-3 hazard reported in a hit town is made safe first (先行
    处置): grid staff on standby set off from the grid's service point at once and take
    ``make_safe_h`` on site (the full fix follows as usual); ``make_safe_within_h`` is the
    target that the surge KPIs count against.
    """

    enabled: bool = False
    lead_h: float = num(12.0, lo=0.0)
    stand_down_h: float = num(48.0, lo=0.0)
    extra_hours_by_level: tuple[float, ...] = (0.0, 2.0, 4.0, 8.0)
    mutual_aid_from_level: str = choice("II", RESPONSE_LEVELS[1:])
    mutual_aid_share: float = num(0.3, lo=0.0, hi=1.0)
    make_safe_h: float = num(0.5, lo=0.0)
    make_safe_within_h: float = num(2.0, lo=0.0, lo_open=True)

    def validate(self, p: str) -> None:
        require(len(self.extra_hours_by_level) == 4 and all(0.0 <= h <= 16.0 for h in self.extra_hours_by_level),
                p + "extra_hours_by_level", "must list 4 values (levels IV, III, II, I), each in [0, 16] hours")
