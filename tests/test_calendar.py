"""Working-time arithmetic against a brute-force minute-by-minute count."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.lifecycle.calendar import WorkCalendar
from sim.params import CalendarParams


def on_duty(p: CalendarParams, weekday0: int, t: float) -> bool:
    day = int(t // 24)
    return ((weekday0 + day) % 7) in p.weekdays and p.day_start_h <= t - 24 * day < p.day_end_h


cal_params = st.builds(
    CalendarParams, always_on=st.just(False), day_start_h=st.sampled_from([0.0, 7.0, 8.5]),
    day_end_h=st.sampled_from([12.0, 17.5, 24.0]),
    weekdays=st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True).map(lambda x: tuple(sorted(x))))


@settings(max_examples=60, deadline=None)
@given(cal_params, st.integers(0, 6), st.floats(0, 500), st.floats(0, 60))
def test_add_and_next_open_match_brute_force(p, wd0, t, d):
    c = WorkCalendar(p, wd0)
    step = 0.25
    t = round(t / step) * step
    d = round(d / step) * step
    # brute force: walk in quarter-hours
    x, left = t, d
    while left > 1e-12:
        if on_duty(p, wd0, x):
            left -= step
        x += step
    assert c.add(t, d) <= x + 1e-9 and c.add(t, d) >= x - step - 1e-9 or d == 0
    assert float(c.add_v(np.array([t]), np.array([d]))[0]) == c.add(t, d)
    y = t
    while not on_duty(p, wd0, y):
        y += step
    assert abs(c.next_open(t) - y) < 1e-9
    assert float(c.next_open_v(np.array([t]))[0]) == c.next_open(t)
    # work counted between t and add(t, d) is d
    assert abs(c.work_before(c.add(t, d)) - c.work_before(t) - d) < 1e-9


def test_always_on_is_identity():
    c = WorkCalendar(CalendarParams(always_on=True))
    assert c.add(5.0, 3.0) == 8.0 and c.next_open(5.0) == 5.0
