"""The people: grid teams, working weeks, staff behaviour, departments and residents.

Part of :mod:`sim.params` (import from there)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.typedconfig import choice, num, require
from sim.vocab import BLOCKS, ECO_TRADES, GRID_LEADERS, TRADES


@dataclass(frozen=True)
class TeamParams:
    """The three teams (一格多员) and household heads (户长制).

    District totals (times ``scale_<team>``, for team-ratio sweeps) are allocated to grids
    in proportion to households (largest remainder). Work-team members hold
    ``skills_per_member`` of the five eco trades (一员多能), management members the service,
    mediation and general trades, volunteers service (and mediation for
    ``staff.mediator_share_of_volunteers`` of them). ``training_level`` in [0, 1] scales
    on-the-spot fixes by (0.5 + level) and rework by (1.5 − level). With a ``mix`` (three
    shares: management, work, volunteer), the team sizes come from a budget instead of the
    totals: ``budget_yuan`` a year at each team's cost per member (``costs.*``), or
    ``budget_hours_per_year`` at each team's contracted hours a year; without either, the
    budget is what the totals (× ``scale_<team>``) cost in yuan, or in contracted hours when
    ``budget_basis`` is ``hours`` — so a mix alone reshapes the teams at equal cost (or
    equal hours) (:func:`sim.params.costs.team_totals`). Household heads: one
    per ``households_per_head`` households, visiting them in turn on a daily round as far as
    its time allows: ``head_hours_per_week`` hours a week at ``head_visit_min`` minutes a
    visit (so a head with fewer households sees each of them more often).
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
    budget_yuan: float | None = num(None, lo=0.0)
    budget_hours_per_year: float | None = num(None, lo=0.0)
    mix: tuple[float, ...] = ()
    budget_basis: str = choice("yuan", ("yuan", "hours"))
    head_hours_per_week: float = num(2.0, lo=0.0)
    head_visit_min: float = num(10.0, lo=0.0, lo_open=True)

    def validate(self, p: str) -> None:
        require(self.budget_yuan is None or self.budget_hours_per_year is None, p + "budget_hours_per_year",
                "give a budget in yuan (teams.budget_yuan) or in hours, not both")
        if self.budget_yuan is not None or self.budget_hours_per_year is not None or self.mix:
            require(len(self.mix) == 3 and all(x >= 0 for x in self.mix) and sum(self.mix) > 0, p + "mix",
                    "must give three shares (management, work, volunteer), >= 0 and not all 0, with a budget; "
                    f"got {list(self.mix)}")

    @property
    def head_visits_per_day(self) -> float:
        """Households a head visits on a day's round: its weekly hours in visits, over 7 days."""
        return self.head_hours_per_week * 60.0 / self.head_visit_min / 7.0

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

    ``grid_leader_from``: who leads a grid (网格长). ``cadre``: a village cadre (grid leaders
    are paid village cadres, calibration 9.2): the village's cadres lead its grids in turn
    (one grid each while there are enough, else several), each on the ``cadre_leader``
    week, a cadre's day of which ``patrol_share`` is the grid's round and ``routine_share``
    village duties; it serves its grids and its village. ``manager``: the first
    management member of each grid, on the ``grid_leader`` week.

    ``gives_way``: which block issue work may take besides the slack (``routine`` or
    ``patrol``; the other is protected). Patrols and routine duty move along the patch's
    roads at ``patrol_speed_kmh`` and ``routine_speed_kmh`` and notice issues within
    ``detection_distance_km``; n passes over the same stretch on one day count as
    n ^ ``repeat_pass_exponent`` independent ones (1: independent; below 1, detection
    saturates: a missed issue tends to stay missed). Familiarity (分片包干): a member handling an issue in its
    own patch takes ``own_patch_duration_factor`` of the time and fails with
    ``own_patch_fail_factor`` of the chance; a member from another grid of the village
    ``other_grid_duration_factor`` and ``other_grid_fail_factor``. ``consultation_h``: the
    grid leader's working time per consultation (会商). ``mediator_share_of_volunteers``:
    volunteers trained as mediators (矛盾调解), on the ``mediator`` week: they take the
    disputes of their part of the grid first (its A posts), cadres and management members
    after them. Each grid costs fixed duties a week (meetings,
    logs, assessment, reporting): ``leader_overhead_h_per_week`` of its leader's time (a
    cadre leading several grids, several times that) and ``management_overhead_h_per_week``
    of each management member's, taken first out of the week's issue-work time.
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
    cadre_leader: ScheduleParams = _schedule(days_per_week=5, start_h=8.5, hours_per_day=8.0, patrol_share=0.06,
                                             routine_share=0.54, observes_holidays=True)
    mediator: ScheduleParams = _schedule(days_per_week=1, start_h=9.0, hours_per_day=3.0, patrol_share=0.5,
                                         routine_share=0.3)
    cadres_per_village: int = num(5, lo=0)
    grid_leader_from: str = choice("manager", GRID_LEADERS)
    gives_way: str = choice("routine", ("routine", "patrol"))
    patrol_speed_kmh: float = num(4.0, lo=0.0, lo_open=True)
    routine_speed_kmh: float = num(1.5, lo=0.0, lo_open=True)
    detection_distance_km: float = num(0.15, lo=0.0)
    repeat_pass_exponent: float = num(1.0, lo=0.0, hi=1.0)
    own_patch_duration_factor: float = num(0.85, lo=0.0, lo_open=True)
    own_patch_fail_factor: float = num(0.7, lo=0.0)
    other_grid_duration_factor: float = num(1.15, lo=0.0, lo_open=True)
    other_grid_fail_factor: float = num(1.2, lo=0.0)
    consultation_h: float = num(1.0, lo=0.0)
    mediator_share_of_volunteers: float = num(0.2, lo=0.0, hi=1.0)
    leader_overhead_h_per_week: float = num(0.0, lo=0.0, hi=40.0)
    management_overhead_h_per_week: float = num(0.0, lo=0.0, hi=40.0)

    def validate(self, p: str) -> None:
        require(self.grid_leader_from != "cadre" or self.cadres_per_village >= 1, p + "grid_leader_from",
                "'cadre' needs village cadres (staff.cadres_per_village >= 1); or use 'manager'")


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
    nearest households (such a family, marked at its door by 四亮一挂, also adds
    ``star_report_bonus`` to its neighbours' reporting logit and ``star_trust_bonus`` to
    their trust at the start); the app needs an app user at home, the party route a party
    member among the neighbours, the head route a head. Trust starts Beta with mean
    ``trust_mean`` and sd ``trust_sd``. A household rates the closure of an issue it
    reported: positive (satisfied or basically satisfied) with a chance that falls with the
    time it waited for the fix relative to the time limit, r = (handled − reported) /
    (deadline − reported): ``p_positive_unsolved`` + (``p_positive_fast`` −
    ``p_positive_unsolved``) / (1 + (r / ``satisfaction_half_ratio``) ^
    ``satisfaction_steepness``), so a fix far past its limit is rated like no fix at all; an
    unresolved case (closed as it stood, past the rework cap) ``p_positive_unsolved``;
    times (1 − ``rework_penalty``) if a sham fix was sent back (reworked), (1 −
    ``repeat_penalty``) if the household had to report it again (a lost report), and (1 −
    ``no_feedback_penalty``) if no feedback reached it; of the positive ratings a share
    ``satisfied_share_on_time`` (r ≤ 1) / ``satisfied_share_late`` is "satisfied". Its trust moves
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
    star_report_bonus: float = num(0.0)
    star_trust_bonus: float = num(0.0, lo=-1.0, hi=1.0)
    star_family_share: float = num(0.3, lo=0.0, hi=1.0)
    neighbourhood: int = num(10, lo=1, hi=200)
    p_positive_fast: float = num(0.99, lo=0.0, hi=1.0)
    p_positive_unsolved: float = num(0.25, lo=0.0, hi=1.0)
    satisfaction_half_ratio: float = num(3.2, lo=0.0, lo_open=True)
    satisfaction_steepness: float = num(3.0, lo=0.0, lo_open=True)
    repeat_penalty: float = num(0.2, lo=0.0, hi=1.0)
    satisfied_share_on_time: float = num(0.8, lo=0.0, hi=1.0)
    satisfied_share_late: float = num(0.5, lo=0.0, hi=1.0)
    basically_score: float = num(0.6, lo=0.0, hi=1.0)
    rework_penalty: float = num(0.15, lo=0.0, hi=1.0)
    no_feedback_penalty: float = num(0.1, lo=0.0, hi=1.0)
    trust_memory: float = num(0.3, lo=0.0, hi=1.0)
    word_of_mouth: float = num(0.05, lo=0.0, hi=1.0)
    volunteer_party_share: float = num(0.7, lo=0.0, hi=1.0)
