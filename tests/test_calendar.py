"""Working-time arithmetic against a brute-force quarter-hour count, and China's holidays."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ConfigError
from sim.lifecycle.calendar import CalendarBook, WorkCalendar
from sim.lifecycle.holidays import HolidayTable, china_holidays
from sim.params import CalendarParams

MONDAY = dt.date(2025, 1, 6)


def on_duty(p: CalendarParams, start: dt.date, t: float, hol: HolidayTable) -> bool:
    day = int(t // 24)
    date = start + dt.timedelta(days=day)
    works = date.weekday() in p.weekdays
    if p.observes_holidays:
        if hol.is_day_off(date):
            works = False
        elif hol.is_makeup_workday(date):
            works = True
    return works and p.day_start_h <= t - 24 * day < p.day_end_h


cal_params = st.builds(
    CalendarParams, always_on=st.just(False), day_start_h=st.sampled_from([0.0, 7.0, 8.5]),
    day_end_h=st.sampled_from([12.0, 17.5, 24.0]),
    weekdays=st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True).map(lambda x: tuple(sorted(x))),
    observes_holidays=st.booleans())


def brute_add(p, start, hol, t, d, step=0.25):
    x, left = t, d
    while left > 1e-12:
        if on_duty(p, start, x, hol):
            left -= step
        x += step
    return x


@settings(max_examples=60, deadline=None)
@given(cal_params, st.integers(0, 6), st.floats(0, 500), st.floats(0, 60), st.booleans())
def test_add_and_next_open_match_brute_force(p, wd0, t, d, spring_festival):
    """Quarter-hour grid: add and next_open agree with walking the clock, on any weekday
    start, with or without the 2026 Spring Festival holidays in the span."""
    start = dt.date(2026, 2, 9) + dt.timedelta(days=wd0) if spring_festival else MONDAY + dt.timedelta(days=wd0)
    hol = china_holidays(start, start + dt.timedelta(days=150)) if spring_festival else HolidayTable.none()
    c = CalendarBook(start, 150, hol).unit(p)  # long enough: no query reaches the tail
    step = 0.25
    t = round(t / step) * step
    d = round(d / step) * step
    x = brute_add(p, start, hol, t, d)
    assert c.add(t, d) <= x + 1e-9 and c.add(t, d) >= x - step - 1e-9 or d == 0
    assert float(c.add_v(np.array([t]), np.array([d]))[0]) == c.add(t, d)
    y = t
    while not on_duty(p, start, y, hol):
        y += step
    assert abs(c.next_open(t) - y) < 1e-9
    assert float(c.next_open_v(np.array([t]))[0]) == c.next_open(t)
    assert abs(c.work_before(c.add(t, d)) - c.work_before(t) - d) < 1e-9


def test_scalar_hint_survives_any_query_order():
    """The scalar fast path (it remembers the last interval) gives the same answers in
    any order of queries, forwards and backwards."""
    c = CalendarBook(MONDAY, 30, HolidayTable.none()).unit(CalendarParams())
    ts = np.random.default_rng(1).uniform(0, 30 * 24, 500)
    expect = c.next_open_v(ts)
    got = [c.next_open(float(t)) for t in ts]
    assert np.allclose(expect, got, rtol=0, atol=1e-9)  # the vector path rounds through W(t)
    w = [c.work_before(float(t)) for t in ts[::-1]]
    assert np.allclose(w, c.work_before_v(ts[::-1]))


def test_a_calendar_without_working_time_answers_from_its_end():
    """A block whose hours the fixed duties take entirely (reserve_weekly of the whole week:
    a member of a 300-grid village's team) has no working interval before the calendar's
    end: every scalar and vector query answers by the definitions (W(t) = 0, the next
    working moment is the end, work is done at the tail rate beyond it) instead of
    indexing an empty interval list (an IndexError that ended such runs)."""
    full = CalendarBook(MONDAY, 30, HolidayTable.none()).unit(CalendarParams())
    empty, taken = full.reserve_weekly(168.0)
    assert taken and empty._n == 0
    end, ts = empty.t_end, np.array([0.0, 5.0, 100.0, 30 * 24.0, 800.0])
    for t in ts:
        want = end if t < end else float(t)
        assert empty.next_open(float(t)) == want == float(empty.next_open_v(np.array([t]))[0])
        assert empty.work_before(float(t)) == float(empty.work_before_v(np.array([t]))[0])
        assert empty.add(float(t), 2.0) == want + 2.0 / empty.tail_rate == float(empty.add_v(np.array([t]), 2.0)[0])
        assert empty.finish_from(float(t), 2.0) == empty.add(empty.next_open(float(t)), 2.0)


def test_always_on_is_identity():
    c = WorkCalendar.always()
    assert c.add(5.0, 3.0) == 8.0 and c.next_open(5.0) == 5.0


def test_deadline_before_2026_spring_festival_falls_after_it():
    """1 working day (8 WH) set at 09:00 on the last working day before the 2026 Spring
    Festival (Saturday 14 February, a make-up working day) ends after the holiday
    (15-23 February), on Tuesday 24 February: the make-up day counts, the holiday does not."""
    start = dt.date(2026, 2, 2)
    hol = china_holidays(start, start + dt.timedelta(days=40))
    office = CalendarBook(start, 40, hol).unit(CalendarParams(day_start_h=8.5, day_end_h=16.5))
    sat_14 = 24.0 * (dt.date(2026, 2, 14) - start).days
    assert office.works_on_day(12)  # Saturday 14th is worked (调休)
    assert not any(office.works_on_day(d) for d in range(13, 22))  # 15th..23rd off
    due = office.add(sat_14 + 9.0, 8.0)
    assert (start + dt.timedelta(days=int(due // 24))) == dt.date(2026, 2, 24)
    assert due % 24 == pytest.approx(9.0)  # 7.5 h on the 14th, 0.5 h on the 24th
    # without holidays it would be due on Monday 16th
    plain = CalendarBook(start, 40, HolidayTable.none()).unit(CalendarParams(day_start_h=8.5, day_end_h=16.5))
    assert (start + dt.timedelta(days=int(plain.add(sat_14 + 9.0, 8.0) // 24))) == dt.date(2026, 2, 16)


def test_years_the_package_does_not_cover_fail_clearly():
    with pytest.raises(ConfigError) as e:
        china_holidays(dt.date(2026, 6, 1), dt.date(2031, 6, 1))
    assert e.value.key == "run.holidays" and "2031" in e.value.message
