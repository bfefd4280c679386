"""Working time: when a unit or a person is on duty, and how long work takes on the clock.

A :class:`WorkCalendar` is a list of working intervals on the absolute clock (hours since
t = 0, midnight of the run's start date), built from a daily pattern per weekday and a
:class:`~sim.lifecycle.holidays.HolidayTable`: statutory days off are skipped and make-up
working days (调休) are worked with the workday pattern, when the calendar observes
holidays. Working time elapsed since t = 0, W(t), is piecewise linear; adding ``d``
working hours to ``t`` is W⁻¹(W(t) + d). Scalar methods use :mod:`bisect` (the event
loop calls them per event; a numpy call per scalar would cost ~10x more), vectorised
ones ``searchsorted``.

The intervals cover ``n_days`` days (the run plus a margin). Beyond them working time
continues at the weekly pattern's average rate, so that far-future deadlines stay finite;
nothing inside a run's horizon depends on that tail.
"""

from __future__ import annotations

import bisect
import itertools
import math
import datetime as _dt
from collections.abc import Sequence

import numpy as np

from sim.lifecycle.holidays import HolidayTable
from sim.params import CalendarParams

DayPattern = Sequence[Sequence[tuple[float, float]]]
"""Seven lists (Monday first) of working intervals ``(start_h, end_h)`` within a day."""


def pattern_from_params(p: CalendarParams) -> list[list[tuple[float, float]]]:
    """The daily pattern of a unit calendar: one window on each listed weekday."""
    return [[(p.day_start_h, p.day_end_h)] if wd in p.weekdays else [] for wd in range(7)]


class WorkCalendar:
    """Working time of one unit, team member or service (see module doc)."""

    # The scalar methods' state, typed (a checker, or a compiler such as mypyc, reads them):
    # interval starts and ends, working hours before each interval starts (_c0) and ends
    # (_c1), their count, and the interval of the last query.
    _s: list[float]
    _e: list[float]
    _c0: list[float]
    _c1: list[float]
    _n: int
    _hint: int
    always_on: bool
    t_end: float
    c_total: float
    tail_rate: float
    n_days: int

    def __init__(self, pattern: DayPattern | None, start_date: _dt.date | None = None, n_days: int = 0,
                 holidays: HolidayTable | None = None, observes_holidays: bool = True):
        self._memo_t = self._memo_d = self._memo = math.nan  # the last finish_from
        self.always_on = pattern is None
        if pattern is None:
            return
        holidays = holidays or HolidayTable.none()
        days = [sorted((float(a), float(b)) for a, b in day if b > a) for day in pattern]
        workday: list[tuple[float, float]] = next((days[wd] for wd in range(5) if days[wd]),
                                                  next((d for d in days if d), []))
        week_h = sum(b - a for day in days for a, b in day)
        if week_h <= 0:
            raise ValueError("a calendar needs some working time in the week")
        # Each day's intervals by array operations: which of nine day lists (the seven
        # weekdays' patterns, the workday pattern on a make-up day, none on a day off) each
        # day takes, then all days' intervals at once. A day-by-day loop cost a Chongming
        # build ~0.3 s (~180 calendars x ~1,170 days); the floats are the same (24 d + a).
        if n_days and start_date is None:
            raise ValueError("a calendar over days needs its start date")
        kind = (start_date.weekday() + np.arange(n_days)) % 7 if start_date and n_days else np.zeros(0, dtype=np.int64)
        if observes_holidays and n_days:
            for date in holidays.makeup_workdays:
                d = (date - start_date).days
                if 0 <= d < n_days and not days[kind[d]]:
                    kind[d] = 7
            for date in holidays.days_off:  # a day off wins over a make-up day
                d = (date - start_date).days
                if 0 <= d < n_days:
                    kind[d] = 8
        lists = [*days, workday, []]
        count = np.array([len(x) for x in lists], dtype=np.int64)
        first = np.concatenate(([0], np.cumsum(count)[:-1]))
        a_all = np.array([a for x in lists for a, _ in x], dtype=float)
        b_all = np.array([b for x in lists for _, b in x], dtype=float)
        per_day = count[kind]
        day = np.repeat(np.arange(n_days), per_day)
        k = np.repeat(first[kind] - np.concatenate(([0], np.cumsum(per_day)[:-1])), per_day) + np.arange(len(day))
        self._set(24.0 * day + a_all[k], 24.0 * day + b_all[k], n_days, week_h / 168.0)

    def _set(self, s, e, n_days: int, tail_rate: float) -> None:
        """The calendar's working intervals [s, e) (sorted, disjoint; lists or arrays)
        over ``n_days`` days, and the rate of working time beyond them."""
        self.always_on = False
        self.tail_rate = tail_rate
        self.n_days = n_days
        self.t_end = 24.0 * n_days
        self._sa, self._ea = np.array(s, dtype=float), np.array(e, dtype=float)
        lengths = self._ea - self._sa
        self.day_work_h = np.zeros(n_days)
        np.add.at(self.day_work_h, (self._sa // 24.0).astype(np.int64), lengths)  # in order, as a loop adds
        c1 = np.cumsum(lengths) if len(lengths) else np.zeros(0)
        self._c1a = c1
        self._c0a = c1 - lengths
        self.c_total = float(c1[-1]) if len(c1) else 0.0
        self._s, self._e = self._sa.tolist(), self._ea.tolist()
        self._c0, self._c1 = self._c0a.tolist(), c1.tolist()
        self._n = len(self._s)
        self._memo_t = self._memo_d = self._memo = math.nan
        self._hint = 0  # the interval of the last query: event times mostly move forward

    def reserve_weekly(self, hours: float) -> tuple["WorkCalendar", list[tuple[float, float]]]:
        """A new calendar without the first ``hours`` working hours of every week (weeks of
        168 h from t = 0), and the intervals taken out (fixed duties that come first)."""
        if hours <= 0 or self.always_on:
            return self, []
        removed: list[tuple[float, float]] = []
        week, left = -1, 0.0
        for a, b in zip(self._s, self._e):
            w = int(a // 168.0)
            if w != week:
                week, left = w, hours
            if left <= 0:
                continue
            take = min(left, b - a)
            removed.append((a, a + take))
            left -= take
        return self.with_intervals(remove=removed), removed

    def with_intervals(self, add: Sequence[tuple[float, float]] = (),
                       remove: Sequence[tuple[float, float]] = ()) -> "WorkCalendar":
        """A new calendar: this one's working time with the intervals ``add`` (absolute
        hours) worked too and the intervals ``remove`` not worked (an emergency's extra
        hours, a member lent elsewhere for a while). The tail rate stays."""
        if self.always_on:
            if not remove:
                return self
            raise ValueError("an always-on calendar has no working intervals to remove")
        iv = sorted([(a, b) for a, b in zip(self._s, self._e)] + [(float(a), float(b)) for a, b in add if b > a])
        merged: list[list[float]] = []
        for a, b in iv:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        merged = _remove(merged, sorted(remove))
        merged = [[a, min(b, self.t_end)] for a, b in merged if a < self.t_end and min(b, self.t_end) > a]
        cal = WorkCalendar(None)  # a shell for _set to fill (compiled classes refuse __new__ without __init__)
        cal._set([a for a, _ in merged], [b for _, b in merged], self.n_days, self.tail_rate)
        return cal

    @staticmethod
    def always() -> "WorkCalendar":
        """On duty 24/7 (validation scenarios)."""
        return WorkCalendar(None)

    # -- scalar (event loop) -------------------------------------------------------
    def work_before(self, t: float) -> float:
        """W(t): working hours in [0, t)."""
        if self.always_on:
            return t
        if t >= self.t_end:
            return self.c_total + (t - self.t_end) * self.tail_rate
        if self._n == 0:  # no working time at all (a block whose hours the fixed duties take)
            return 0.0
        s = self._s
        i = self._hint
        if not (s[i] <= t and (i + 1 == self._n or t < s[i + 1])):
            i = bisect.bisect_right(s, t) - 1
            if i < 0:
                return 0.0
            self._hint = i
        e = self._e[i]
        return self._c0[i] + (e if t > e else t) - s[i]

    def at_work(self, w: float, finish: bool) -> float:
        """W⁻¹: the time working hours reach ``w``. ``finish`` picks the end of a working
        interval when ``w`` lands exactly on one (work completes then); otherwise the
        start of the next (work can begin then)."""
        if self.always_on:
            return w
        i = bisect.bisect_left(self._c1, w) if finish else bisect.bisect_right(self._c1, w)
        if i >= self._n:
            return self.t_end + (w - self.c_total) / self.tail_rate
        return self._s[i] + (w - self._c0[i])

    def next_open(self, t: float) -> float:
        """The earliest time >= t at which the calendar is on duty."""
        if self.always_on or t >= self.t_end:
            return t
        if self._n == 0:  # no working time before the end (a block whose hours the fixed duties take)
            return self.t_end
        s, e = self._s, self._e
        i = self._hint
        if not (s[i] <= t and (i + 1 == self._n or t < s[i + 1])):
            i = bisect.bisect_right(s, t) - 1
            if i < 0:
                return s[0]
            self._hint = i
        if t < e[i]:
            return t
        return s[i + 1] if i + 1 < self._n else self.t_end

    def add(self, t: float, dur_h: float) -> float:
        """Clock time at which ``dur_h`` working hours started at ``t`` are done:
        ``at_work(work_before(t) + dur_h, finish=True)``, the two inlined (the event loop's
        most called function: ~1.5 M calls a Chongming year) and the search for the end
        started at ``t``'s interval (work ends there or later). Same arithmetic, same result."""
        if self.always_on:
            return t + dur_h
        if dur_h <= 0.0:
            return t
        if t >= self.t_end or self._n == 0:
            return self.at_work(self.work_before(t) + dur_h, finish=True)
        s = self._s
        i = self._hint
        if not (s[i] <= t and (i + 1 == self._n or t < s[i + 1])):
            i = bisect.bisect_right(s, t) - 1
            if i >= 0:
                self._hint = i
        if i < 0:
            w = 0.0 + dur_h
            i = 0
        else:
            e = self._e[i]
            w = self._c0[i] + (e if t > e else t) - s[i] + dur_h
        c1 = self._c1
        if i == 0 or c1[i - 1] < w:  # every interval before t's ends before w
            if c1[i] < w:
                i = bisect.bisect_left(c1, w, i + 1)
        else:
            i = bisect.bisect_left(c1, w)
        if i >= self._n:
            return self.t_end + (w - self.c_total) / self.tail_rate
        return s[i] + (w - self._c0[i])

    def finish_from(self, t: float, dur_h: float) -> float:
        """When ``dur_h`` working hours begun at the next working moment from ``t`` are done
        (``dur_h`` 0: that moment). Dispatch asks each calendar of a pool this, often
        twice with the same question (a grid's pool, then its village's): the last answer
        is kept."""
        if t == self._memo_t and dur_h == self._memo_d:
            return self._memo
        st = self.next_open(t)
        end = self.add(st, dur_h) if dur_h > 0.0 else st
        self._memo_t, self._memo_d, self._memo = t, dur_h, end
        return end

    def works_on_day(self, d: int) -> bool:
        """True when day ``d`` (0 = the start date) has working time."""
        return self.always_on or (0 <= d < self.n_days and self.day_work_h[d] > 0)

    # -- vectorised (batches) --------------------------------------------------------
    def work_before_v(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if self.always_on:
            return t.copy()
        if self._n == 0:  # no working time at all (a block whose hours the fixed duties take)
            return np.where(t >= self.t_end, self.c_total + (t - self.t_end) * self.tail_rate, 0.0)
        i = np.searchsorted(self._sa, t, side="right") - 1
        ic = np.clip(i, 0, None)
        inside = np.where(i < 0, 0.0, self._c0a[ic] + np.minimum(t, self._ea[ic]) - self._sa[ic])
        return np.where(t >= self.t_end, self.c_total + (t - self.t_end) * self.tail_rate, inside)

    def at_work_v(self, w: np.ndarray, finish: bool) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        if self.always_on:
            return w.copy()
        if self._n == 0:  # no working time before the end: all of it at the tail rate
            return self.t_end + (w - self.c_total) / self.tail_rate
        i = np.searchsorted(self._c1a, w, side="left" if finish else "right")
        beyond = i >= self._n
        ic = np.minimum(i, self._n - 1)
        inside = self._sa[ic] + (w - self._c0a[ic])
        return np.where(beyond, self.t_end + (w - self.c_total) / self.tail_rate, inside)

    def next_open_v(self, t: np.ndarray) -> np.ndarray:
        if self.always_on:
            return np.asarray(t, dtype=float).copy()
        return self.at_work_v(self.work_before_v(t), finish=False)

    def add_v(self, t: np.ndarray, dur_h: np.ndarray | float) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        dur_h = np.broadcast_to(np.asarray(dur_h, dtype=float), t.shape)
        if self.always_on:
            return t + dur_h
        out = self.at_work_v(self.work_before_v(t) + dur_h, finish=True)
        return np.where(dur_h <= 0.0, t, out)


def _remove(merged: list[list[float]], remove: list[tuple[float, float]]) -> list[list[float]]:
    """``merged`` (sorted, disjoint intervals) less the intervals ``remove`` (sorted),
    applied one after another to the pieces of each interval. The same pieces as taking
    each removal across all intervals in turn, in time linear in the intervals rather than
    their product (that cost a Chongming build ~0.3 s for its 14 duty calendars)."""
    if not remove:
        return merged
    reach = list(itertools.accumulate((rb for _, rb in remove), max))  # no removal before i reaches past reach[i]
    starts = [ra for ra, _ in remove]
    out = []
    for a, b in merged:
        i = bisect.bisect_right(reach, a)  # removals before i end at or before a: they miss [a, b]
        j = bisect.bisect_left(starts, b)  # removals from j start at or after b: they miss it too
        pieces = [[a, b]]
        for ra, rb in remove[i:j]:
            nxt = []
            for pa, pb in pieces:
                if pb <= ra or pa >= rb:
                    nxt.append([pa, pb])
                    continue
                if pa < ra:
                    nxt.append([pa, ra])
                if pb > rb:
                    nxt.append([rb, pb])
            pieces = nxt
        out.extend(pieces)
    return out


class CalendarBook:
    """Builds and shares calendars of one run: the same pattern gives the same object
    (team members share a handful of patterns), all over the same span and holidays."""

    def __init__(self, start_date: _dt.date, n_days: int, holidays: HolidayTable):
        self.start_date = start_date
        self.n_days = n_days
        self.holidays = holidays
        self._cache: dict = {}
        self.always = WorkCalendar.always()

    def get(self, pattern: DayPattern | None, observes_holidays: bool) -> WorkCalendar:
        if pattern is None:
            return self.always
        key = (tuple(tuple(tuple(iv) for iv in day) for day in pattern), bool(observes_holidays))
        cal = self._cache.get(key)
        if cal is None:
            cal = self._cache[key] = WorkCalendar(pattern, self.start_date, self.n_days, self.holidays,
                                                  observes_holidays)
        return cal

    def unit(self, p: CalendarParams) -> WorkCalendar:
        """The calendar of a unit's ``CalendarParams``."""
        return self.always if p.always_on else self.get(pattern_from_params(p), p.observes_holidays)
