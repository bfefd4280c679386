"""A team's working week as calendars.

Each working day runs from ``start_h`` for ``hours_per_day`` hours, divided into blocks in
the order ``block_order``: patrol, routine duty and slack. Days off rotate between members
(variant ``v`` is off on the ``7 − days_per_week`` consecutive weekdays starting at
weekday ``v``), so a team covers every day of the week. For each variant the schedule holds
the calendar of each block and the *issue-work calendar*: the slack plus the block that
``staff.gives_way`` (issue work never enters the protected block).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sim.lifecycle.calendar import CalendarBook, WorkCalendar
from sim.params import BLOCKS, ScheduleParams


@dataclass
class Schedule:
    """Calendars of one role's working week (see module doc). ``block[b][v]`` is the
    calendar of block ``b`` for day-off variant ``v`` (None where the block is empty);
    ``issue[v]`` the issue-work calendar (None: the member does no issue work);
    ``window[b]`` the block's hours within the day."""

    role: str
    params: ScheduleParams
    n_variants: int
    shift: list[WorkCalendar | None]
    block: dict[str, list[WorkCalendar | None]]
    issue: list[WorkCalendar | None]
    window: dict[str, tuple[float, float]]
    works: np.ndarray  # (variants, days) True where the variant works that day
    rounds_in: dict = field(default_factory=dict)  # block -> True where some channel walks rounds in it
    reserved: list | None = None  # per variant: intervals taken out of issue work for fixed duties

    def variant_of(self, k: int) -> int:
        """Day-off variant of the role's k-th member (members rotate through the week)."""
        return k % self.n_variants

    def block_hours(self, b: str) -> float:
        a, e = self.window.get(b, (0.0, 0.0))
        return e - a


def with_overhead(s: Schedule, hours_per_week: float) -> Schedule:
    """``s`` with ``hours_per_week`` of fixed duties (a grid's meetings, logs, assessment,
    reporting) taken first out of each week's issue-work time: the same blocks and rounds,
    less time for issues; ``reserved`` lists the hours taken."""
    if hours_per_week <= 0:
        return s
    pairs = [cal.reserve_weekly(hours_per_week) if cal is not None else (None, []) for cal in s.issue]
    return replace(s, issue=[c for c, _ in pairs], reserved=[r for _, r in pairs])


def _windows(p: ScheduleParams) -> dict[str, tuple[float, float]]:
    share = {"patrol": p.patrol_share, "routine": p.routine_share,
             "slack": max(0.0, 1.0 - p.patrol_share - p.routine_share)}
    out, t = {}, p.start_h
    for b in p.block_order:
        d = share[b] * p.hours_per_day
        out[b] = (t, t + d)
        t += d
    return out


def build_schedule(role: str, p: ScheduleParams, gives_way: str, book: CalendarBook) -> Schedule:
    """The calendars of ``role``'s working week (see module doc)."""
    if p.always_on:
        cal = book.always
        return Schedule(role, p, 1, [cal], {b: [None] for b in BLOCKS} | {"slack": [cal]}, [cal],
                        {}, np.ones((1, book.n_days), dtype=bool))
    win = _windows(p)
    n_var = 1 if p.days_per_week == 7 else 7
    off_len = 7 - p.days_per_week

    def pattern(intervals: list[tuple[float, float]], v: int):
        off = {(v + i) % 7 for i in range(off_len)}
        return [[] if wd in off else list(intervals) for wd in range(7)]

    def cal(intervals, v):
        iv = [(a, b) for a, b in intervals if b > a]
        return book.get(pattern(iv, v), p.observes_holidays) if iv else None

    shift = [cal([(p.start_h, p.start_h + p.hours_per_day)], v) for v in range(n_var)]
    block = {b: [cal([win[b]], v) for v in range(n_var)] for b in BLOCKS}
    issue_blocks = [win["slack"], win[gives_way]]
    issue = [cal(_merge(issue_blocks), v) for v in range(n_var)]
    works = np.array([s.day_work_h > 0 if s is not None else np.zeros(book.n_days, dtype=bool) for s in shift])
    return Schedule(role, p, n_var, shift, block, issue, win, works)


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of intervals within a day (adjacent ones joined)."""
    iv = sorted((a, b) for a, b in intervals if b > a)
    out: list[list[float]] = []
    for a, b in iv:
        if out and a <= out[-1][1] + 1e-12:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]
