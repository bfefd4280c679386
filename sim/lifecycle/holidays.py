"""China's public holidays and make-up working days (调休), from the maintained
``chinese-calendar`` package (the State Council's yearly notices, 2004 onwards).

A :class:`HolidayTable` answers, for every date of a run, whether it is a statutory day
off and whether it is a make-up working day (a weekend day worked in exchange). Dates
outside the package's years raise a :class:`~sim.errors.ConfigError` naming the run keys,
so a run never silently treats an unknown year as holiday-free.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from sim.errors import ConfigError

HOLIDAY_SOURCES = ("china", "none")


@dataclass(frozen=True)
class HolidayTable:
    """Statutory days off and make-up working days (sets of :class:`datetime.date`)."""

    days_off: frozenset
    makeup_workdays: frozenset
    source: str

    @staticmethod
    def none() -> "HolidayTable":
        return HolidayTable(frozenset(), frozenset(), "none")

    def is_day_off(self, d: _dt.date) -> bool:
        return d in self.days_off

    def is_makeup_workday(self, d: _dt.date) -> bool:
        return d in self.makeup_workdays


def china_holidays(first: _dt.date, last: _dt.date) -> HolidayTable:
    """The holiday table for dates ``first``..``last`` (inclusive).

    Raises ConfigError naming ``run.holidays`` when the package does not cover a year
    of that span (it covers the years the State Council has announced)."""
    import chinese_calendar as cc

    years = sorted({y for y in range(first.year, last.year + 1)})
    known = sorted({d.year for d in cc.holidays} | {d.year for d in cc.workdays})
    lo, hi = known[0], known[-1]
    missing = [y for y in years if y < lo or y > hi]
    if missing:
        raise ConfigError(
            "run.holidays",
            f"China's holidays are known for {lo}-{hi} (chinese-calendar {getattr(cc, '__version__', '?')}); "
            f"the run spans {first.isoformat()} to {last.isoformat()}: use an earlier run.start_date, a shorter "
            f"run.horizon_days, or run.holidays=none")
    off = frozenset(d for d in cc.holidays if first <= d <= last)
    work = frozenset(d for d in cc.workdays if first <= d <= last)
    return HolidayTable(off, work, "china")


def holiday_table(source: str, first: _dt.date, last: _dt.date) -> HolidayTable:
    """The table for ``run.holidays`` (``china`` or ``none``)."""
    if source == "none":
        return HolidayTable.none()
    return china_holidays(first, last)
