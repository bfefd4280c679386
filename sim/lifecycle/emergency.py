"""Emergency response (防汛防台) to declared surge events.

A surge event with a ``response_level`` (IV to I) starts a response in the towns it hits,
from ``emergency.lead_h`` before the event to ``emergency.stand_down_h`` after it
(:func:`responses`). During a response (parameters: :class:`sim.params.EmergencyParams`):

- the duty desks of the town centres and the district platform register and dispatch
  round the clock (:func:`duty_calendar`);
- the hit towns' departments and the district's bureaus work every day of it, their
  working day extended by the level's extra hours (:func:`extended_calendar`);
- from the mutual-aid level up, a share of the case handlers of every town not hit is
  lent to the hit towns: away from home for the response (:func:`lent_calendar`), working
  the hit town's extended days there (:func:`aid_calendar`);
- a severity-3 hazard reported in a hit town is made safe first (先行处置) by grid staff
  on standby, who set off from the grid's service point when it is registered
  (:meth:`Emergency.made_safe_at`); the full fix follows as usual.

Responses are known before the run (declared events), so all of this is calendars and
one timestamp per issue: no extra events.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from sim.lifecycle.calendar import WorkCalendar
from sim.vocab import RESPONSE_LEVELS

MAKE_SAFE_SEVERITY = 3
"""Hazards of this severity are made safe first during a response."""


@dataclass(frozen=True)
class Response:
    """One declared response: its event, level (``IV`` .. ``I``), window [t0, t1) (hours)
    and the towns it covers (indices)."""

    event: int
    level: str
    t0: float
    t1: float
    towns: tuple[int, ...]

    def rank(self) -> int:
        """1 (IV) to 4 (I)."""
        return RESPONSE_LEVELS.index(self.level)


def responses(p, world, start: _dt.date) -> list[Response]:
    """The responses of the run's declared events (none when ``emergency.enabled`` is off)."""
    from sim.lifecycle.occurrence import town_indices

    em = p.emergency
    if not em.enabled:
        return []
    out = []
    for k, ev in enumerate(p.events):
        if ev.response_level == "none":
            continue
        t0 = 24.0 * (_dt.date.fromisoformat(ev.start_date) - start).days + ev.start_h
        towns = tuple(int(x) for x in town_indices(ev.towns, world, f"events.{ev.name}.towns"))
        out.append(Response(k, ev.response_level, max(0.0, t0 - em.lead_h), t0 + ev.duration_h + em.stand_down_h,
                            towns))
    return out


def _days(r: Response) -> range:
    return range(int(r.t0 // 24.0), int(np.ceil(r.t1 / 24.0)))


def duty_calendar(cal: WorkCalendar, rs: list[Response]) -> WorkCalendar:
    """A duty desk's calendar with every response window worked round the clock."""
    return cal.with_intervals(add=[(r.t0, r.t1) for r in rs]) if rs else cal


def extended_calendar(cal: WorkCalendar, day_start_h: float, day_end_h: float, extra_h: list[float],
                      rs: list[Response]) -> WorkCalendar:
    """A unit's calendar with every day of each response worked from ``day_start_h`` to
    ``day_end_h`` + the response level's ``extra_h`` (within the response's window)."""
    add = []
    for r in rs:
        end = day_end_h + extra_h[r.rank() - 1]
        for d in _days(r):
            a, b = max(24.0 * d + day_start_h, r.t0), min(24.0 * d + end, r.t1)
            if b > a:
                add.append((a, b))
    return cal.with_intervals(add=add) if add else cal


def lent_calendar(cal: WorkCalendar, rs: list[Response]) -> WorkCalendar:
    """A lent case handler's home calendar: away for the responses."""
    return cal.with_intervals(remove=[(r.t0, r.t1) for r in rs])


def aid_calendar(extended: WorkCalendar, rs: list[Response]) -> WorkCalendar:
    """A lent case handler's calendar in the hit town: its extended days, only during the
    responses."""
    keep = sorted((r.t0, r.t1) for r in rs)
    remove, t = [], 0.0
    for a, b in keep:
        if a > t:
            remove.append((t, a))
        t = max(t, b)
    remove.append((t, max(t, extended.t_end)))
    return extended.with_intervals(remove=remove)


class Emergency:
    """The run's responses (:func:`responses`) and the make-safe rule."""

    def __init__(self, model, rs: list[Response]):
        self.rs = rs
        p = model.params
        self.p = p.emergency
        self.model = model
        n_t = model.world.n_towns
        self.hit = np.zeros(n_t, dtype=bool)
        for r in rs:
            self.hit[list(r.towns)] = True

    def hit_towns(self, ranked_from: int = 1) -> list[tuple[Response, tuple[int, ...]]]:
        """Responses at level rank ``ranked_from`` (1 = IV) or above, with their towns."""
        return [(r, r.towns) for r in self.rs if r.rank() >= ranked_from]

    def made_safe_at(self, t_reg: float, town: int, grid: int, xy) -> float:
        """When a severity-3 hazard registered at ``t_reg`` in ``town`` is made safe by the
        grid's standby staff (NaN when no response covers it then)."""
        for r in self.rs:
            if r.t0 <= t_reg < r.t1 and town in r.towns:
                m = self.model
                sp = m.world.service_point_xy
                travel = 0.0
                if xy is not None and sp is not None and m.travel is not None:
                    travel = m.travel_h((float(sp[grid, 0]), float(sp[grid, 1])), xy, t_reg, "ebike")
                return t_reg + travel + self.p.make_safe_h
        return float("nan")
