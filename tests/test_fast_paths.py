"""The event loop's fast paths give what their plain definitions give, exactly.

- ``Dispatcher.best_free`` groups a pool by calendar and looks only at the calendars that
  finish first; the definition: over every free candidate, the lexicographic minimum of
  (finishing time, squared distance, place in the pool).
- ``WorkCalendar.add`` inlines W⁻¹(W(t) + d); the definition: ``at_work(work_before(t) + d,
  finish=True)``.
- The typed columns that replace Python lists (:mod:`sim.columns`) hold the same numbers.

Random cases with many exact ties (shared calendars, members on the same spot, times on
interval edges); equality is exact (a dispatch decided by a rounding difference would
change a run). About 0.3 s.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from types import SimpleNamespace

from sim.agents.staff import StaffMember
from sim.lifecycle.calendar import WorkCalendar
from sim.lifecycle.dispatch import Dispatcher
from sim.lifecycle.holidays import HolidayTable

START = dt.date(2025, 3, 3)


def _calendars() -> list[WorkCalendar]:
    cals = []
    for v in range(4):  # day-off variants of one shift: the same hours on shared working days
        off = {v, (v + 1) % 7}
        cals.append(WorkCalendar([[] if wd in off else [(8.5, 12.0), (13.5, 17.5)] for wd in range(7)], START, 40,
                                 HolidayTable.none()))
    cals.append(WorkCalendar([[(9.0, 11.0)]] * 7, START, 40, HolidayTable.none()))
    cals.append(cals[0].reserve_weekly(3.0)[0])
    cals.append(WorkCalendar.always())
    return cals


def _plain_best_free(candidates, t, xy, exclude=None, work_h=0.0):
    best, key = None, None
    for k, s in enumerate(candidates):
        if not s.free or s is exclude:
            continue
        st = s.cal.next_open(t)
        if work_h > 0.0:
            st = s.cal.add(st, work_h)
        if xy is None or s.xy is None:
            d = 0.0
        else:
            here = s.position_at(st)
            d = (here[0] - xy[0]) ** 2 + (here[1] - xy[1]) ** 2
        if key is None or (st, d, k) < key:
            best, key = s, (st, d, k)
    return best


def _person(cal, rng):
    base = (rng.choice([0.0, 1.0, rng.random()]), rng.choice([0.0, rng.random()]))
    p = SimpleNamespace(cal=cal, free=rng.random() < 0.7, base_xy=base, xy_day=rng.choice([-1, 0, 1, 2]),
                        xy=rng.choice([base, (rng.random(), rng.random())]) if rng.random() > 0.05 else None)
    p.position_at = StaffMember.position_at.__get__(p)  # the member's own rule, which best_free inlines
    return p


def test_best_free_is_the_plain_minimum():
    rng = random.Random(7)
    cals = _calendars()
    for _ in range(3000):
        pool = [_person(rng.choice(cals), rng) for _ in range(rng.randint(0, 20))]
        t = rng.choice([rng.uniform(0.0, 24.0 * 20), 24.0 * rng.randint(0, 20) + rng.choice([8.5, 12.0, 17.5])])
        xy = rng.choice([None, (0.0, 0.0), (rng.random(), rng.random())])
        ex = rng.choice([None] + pool)
        work_h = rng.choice([0.0, 0.5, 3.0, rng.uniform(0.0, 20.0)])
        assert Dispatcher.best_free(pool, t, xy, exclude=ex, work_h=work_h) is \
            _plain_best_free(pool, t, xy, exclude=ex, work_h=work_h)


def test_add_is_the_inverse_of_working_time():
    rng = random.Random(11)
    for cal in _calendars()[:-1]:
        edges = cal._s + cal._e
        for _ in range(4000):
            t = rng.choice([rng.uniform(-5.0, 24.0 * 45), rng.choice(edges)])
            d = rng.choice([rng.uniform(0.0, 30.0), 0.25, 3.0, 7.75, rng.uniform(0.0, 400.0)])
            if rng.random() < 0.3:
                cal._hint = rng.randrange(cal._n)  # the hint is only a guess: any start gives the same
            assert cal.add(t, d) == cal.at_work(cal.work_before(t) + d, finish=True)
            assert cal.finish_from(t, d) == (cal.add(cal.next_open(t), d) if d > 0 else cal.next_open(t))
    assert math.isfinite(_calendars()[0].add(24.0 * 60, 5.0))  # beyond the span: the tail rate


def test_columns_keep_values_exactly_and_refuse_what_does_not_fit():
    """The loop's typed columns (:mod:`sim.columns`) give back the very numbers they were
    given (so a run's outputs do not change), and a value out of a column's range is an
    error, never a silent wrap."""
    import numpy as np
    import pytest

    from sim.columns import filled, floats, ints
    from sim.lifecycle.dispatch import Positions

    rng = np.random.default_rng(7)
    x = np.concatenate((rng.normal(size=1000) * 1e6, [np.nan, np.inf, -0.0, 5e-324]))
    col = floats(x)
    assert np.array_equal(np.frombuffer(col, dtype=float), x, equal_nan=True)
    assert [col[k] for k in range(len(x))][:1000] == x[:1000].tolist()
    big = np.array([-1, 0, 2**40, 2**62], dtype=np.int64)
    assert list(ints(big)) == big.tolist()
    assert list(filled("b", True, 3)) == [1, 1, 1]
    flags = filled("b", 0, 4)
    with pytest.raises(OverflowError):
        flags[0] = 300
    ids = filled("i", -1, 2)
    with pytest.raises(OverflowError):
        ids[1] = 2**31
    from sim.columns import Columns

    for compact in (True, False):  # typed, or lists on the lean path: the same values
        c = Columns(compact)
        assert isinstance(c.floats(x), list) is not compact
        assert list(c.floats(x))[:1000] == x[:1000].tolist() and list(c.ints(big)) == big.tolist()
        assert list(c.filled("d", 1.5, 3)) == [1.5] * 3 and list(c.of("b", [1, 0])) == [1, 0]
    xy = rng.normal(size=(50, 2)) * 30
    pos = Positions(xy)
    assert len(pos) == 50 and all(pos[k] == tuple(xy[k].tolist()) for k in range(50))
