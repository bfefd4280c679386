"""Working time: when a unit is on duty and how long work takes in wall-clock hours.

A weekly calendar is a set of working intervals within the 168-hour week. Working time
elapsed since t = 0, W(t), is piecewise linear; adding ``d`` working hours to ``t`` is
W⁻¹(W(t) + d). Both directions use ``searchsorted`` on the interval table, vectorised
for arrays and with :mod:`bisect` for scalars in the event loop. Holidays are not modelled.

Time 0 is midnight of the run's start date; ``weekday0`` is that date's weekday.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from sim.params import CalendarParams

WEEK_H = 168.0


class WorkCalendar:
    """Working hours of one unit or service (see module doc)."""

    def __init__(self, p: CalendarParams, weekday0: int = 0):
        self.always_on = bool(p.always_on)
        if self.always_on:
            return
        starts, ends = [], []
        for k in range(7):
            wd = (weekday0 + k) % 7
            if wd in p.weekdays:
                starts.append(24.0 * k + p.day_start_h)
                ends.append(24.0 * k + p.day_end_h)
        self._s = starts
        self._e = ends
        lengths = [e - s for s, e in zip(starts, ends)]
        self._c0 = [0.0]  # working hours before interval i (within the week)
        for L in lengths[:-1]:
            self._c0.append(self._c0[-1] + L)
        self._c1 = [c + L for c, L in zip(self._c0, lengths)]  # ... up to its end
        self.week_work_h = sum(lengths)
        self._sa, self._ea = np.array(starts), np.array(ends)
        self._c0a, self._c1a = np.array(self._c0), np.array(self._c1)

    # -- scalar (event loop) -------------------------------------------------------
    def work_before(self, t: float) -> float:
        """W(t): working hours in [0, t)."""
        if self.always_on:
            return t
        w = math.floor(t / WEEK_H)
        x = t - w * WEEK_H
        i = bisect.bisect_right(self._s, x) - 1
        inside = 0.0 if i < 0 else self._c0[i] + min(x, self._e[i]) - self._s[i]
        return w * self.week_work_h + inside

    def at_work(self, w_total: float, finish: bool) -> float:
        """W⁻¹: the time working hours reach ``w_total``. ``finish`` picks the end of
        a working interval when it lands exactly on one (work completes then); otherwise
        the start of the next (work can begin then)."""
        if self.always_on:
            return w_total
        wk = math.floor(w_total / self.week_work_h)
        x = w_total - wk * self.week_work_h
        if finish:
            if x <= 0.0 and w_total > 0.0:  # exactly a week's work: ends in the previous week
                wk -= 1
                x += self.week_work_h
            i = bisect.bisect_left(self._c1, x)
        else:
            i = bisect.bisect_right(self._c1, x)
            if i == len(self._c1):
                wk, i = wk + 1, 0
                x -= self.week_work_h
        return wk * WEEK_H + self._s[i] + (x - self._c0[i])

    def next_open(self, t: float) -> float:
        """The earliest time >= t at which the unit is on duty."""
        if self.always_on:
            return t
        return self.at_work(self.work_before(t), finish=False)

    def add(self, t: float, dur_h: float) -> float:
        """Clock time at which ``dur_h`` working hours started at ``t`` are done."""
        if self.always_on:
            return t + dur_h
        if dur_h <= 0.0:
            return t
        return self.at_work(self.work_before(t) + dur_h, finish=True)

    # -- vectorised (pre-computation) ---------------------------------------------
    def work_before_v(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if self.always_on:
            return t.copy()
        w = np.floor(t / WEEK_H)
        x = t - w * WEEK_H
        i = np.searchsorted(self._sa, x, side="right") - 1
        ic = np.clip(i, 0, None)
        inside = np.where(i < 0, 0.0, self._c0a[ic] + np.minimum(x, self._ea[ic]) - self._sa[ic])
        return w * self.week_work_h + inside

    def at_work_v(self, w_total: np.ndarray, finish: bool) -> np.ndarray:
        w_total = np.asarray(w_total, dtype=float)
        if self.always_on:
            return w_total.copy()
        wk = np.floor(w_total / self.week_work_h)
        x = w_total - wk * self.week_work_h
        if finish:  # exactly a week's work ends in the previous week
            back = (x <= 0.0) & (w_total > 0.0)
            wk = wk - back
            x = np.where(back, x + self.week_work_h, x)
        i = np.searchsorted(self._c1a, x, side="left" if finish else "right")
        wrap = i == len(self._c1a)
        wk = wk + wrap
        x = np.where(wrap, x - self.week_work_h, x)
        i = np.where(wrap, 0, i)
        return wk * WEEK_H + self._sa[i] + (x - self._c0a[i])

    def next_open_v(self, t: np.ndarray) -> np.ndarray:
        if self.always_on:
            return np.asarray(t, dtype=float).copy()
        return self.at_work_v(self.work_before_v(t), finish=False)

    def add_v(self, t: np.ndarray, dur_h: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        dur_h = np.broadcast_to(np.asarray(dur_h, dtype=float), t.shape)
        if self.always_on:
            return t + dur_h
        out = self.at_work_v(self.work_before_v(t) + dur_h, finish=True)
        return np.where(dur_h <= 0.0, t, out)
