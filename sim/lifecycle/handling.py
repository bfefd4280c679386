"""The dynamic part of the closed loop: queues, handling, escalation, feedback,
verification, rework and closure.

Per-issue state lives in Python lists (scalar access is several times faster than numpy
element access in the event loop) and becomes numpy columns at the end. Stages that
take no time cost no event: an instant hand-over, feedback or verification is done
inline.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from sim.lifecycle.dists import quantile
from sim.lifecycle.engine import EventLoop
from sim.lifecycle.occurrence import Arrivals
from sim.params import DistParams, ModelParams
from sim.rng import Streams
from sim.agents.units import HandlingUnit

ARRIVE, END, CLOSE, BREACH = 0, 1, 2, 3
NAN = float("nan")
TOP = 3


def _scalar_quantile(d: DistParams, u: float, scale: float) -> float:
    """Scalar version of :func:`sim.dists.quantile` for the event loop."""
    m = d.mean_h * scale
    if m == 0.0 or d.dist == "deterministic":
        return m
    if d.dist == "exponential":
        return -m * math.log1p(-u)
    s2 = math.log1p(d.cv * d.cv)
    return m * math.exp(math.sqrt(s2) * float(special.ndtri(u)) - 0.5 * s2)


class Handling:
    """Runs the issues of ``arr`` through ``units`` (indexed ``unit_offset[level] + geo``)."""

    def __init__(self, params: ModelParams, arr: Arrivals, units: list[HandlingUnit],
                 unit_offset: list[int], streams: Streams, breach_t: np.ndarray | None,
                 travel_h: np.ndarray | None = None, rework_scale: float = 1.0):
        """``travel_h[i, L]``: crew travel time (round trip, hours) added to the first
        attempt at level L; ``rework_scale`` multiplies every type's ``p_rework``."""
        self.p = params
        self.arr = arr
        self.units = units
        self.loop = EventLoop()
        n = arr.n
        self.n = n
        types = params.issue_types
        self.type = arr.type.tolist()
        self.geo = [arr.grid.tolist(), arr.village.tolist(), arr.town.tolist(), [0] * n]
        self.offset = unit_offset
        self.deadline = arr.deadline.tolist()
        self.severity = [t.severity for t in types]
        self.p_rework = [min(1.0, t.p_rework * rework_scale) for t in types]
        self.handling_dist = [t.handling for t in types]
        # first-attempt handling time at each level, from per-issue uniforms (CRN)
        mults = np.array([params.levels.by_index(L).dur_multiplier for L in range(4)])
        dur0 = np.zeros((n, 4))
        for k, t in enumerate(types):
            sel = arr.type == k
            if sel.any():
                dur0[sel] = quantile(t.handling, arr.u_handle[sel], mults[None, :])
        if travel_h is not None:
            dur0 += travel_h
        self.dur0 = dur0.tolist()
        self.u_fail = arr.u_fail.tolist()
        self.u_rework = arr.u_rework.tolist()
        self.rng_rework = streams["rework"]
        self.rng_fail = streams["failure"]
        self.rng_verify = streams["verification"]
        self.rng_handover = streams["escalation"]
        lc = params.lifecycle
        self.fb, self.ver = lc.feedback, lc.verify
        self.verify_instant = lc.feedback.mean_h == 0.0 and lc.verify.mean_h == 0.0
        self.max_reworks = lc.max_reworks
        self.handover = params.escalation.handover
        self.direct = params.escalation.rule == "direct"
        self.breach_t = breach_t.tolist() if breach_t is not None else None
        # dynamic per-issue state
        self.level = arr.first_level.astype(int).tolist()
        self.level_reached = list(self.level)
        self.escalations = arr.pre_escalations.astype(int).tolist()
        self.reworks = [0] * n
        self.tried = [0] * n  # bitmask of levels attempted
        self.fail_drawn = [0] * n  # bitmask of levels whose pre-drawn failure uniform is used
        self.t_enq = [NAN] * n
        self.t_first = [NAN] * n  # first arrival at a unit (enters the live backlog)
        self.wait = [0.0] * n
        self.t_started = [NAN] * n
        self.t_handled = [NAN] * n
        self.t_fed_back = [NAN] * n
        self.t_verified = [NAN] * n
        self.t_closed = [NAN] * n
        self.unit_of = [-1] * n
        self.crew_of = [-1] * n  # crew slot of the current attempt
        self.pending = [-1] * n
        self.waiting = [False] * n
        self.token = [0] * n
        self.breached = [False] * n
        self.seq = 0
        # live backlog: issues dispatched and not yet closed
        self.open = 0
        self.bl_t: list[float] = [0.0]
        self.bl_n: list[int] = [0]

    # ------------------------------------------------------------------ helpers
    def _unit_for(self, i: int, level: int) -> int:
        return self.offset[level] + self.geo[level][i]

    def _record_backlog(self, t: float) -> None:
        self.bl_t.append(t)
        self.bl_n.append(self.open)

    # ------------------------------------------------------------------ stages
    def first_arrival(self, t: float, i: int) -> None:
        self.t_first[i] = t
        self.open += 1
        self._record_backlog(t)
        self.arrive(t, i, self._unit_for(i, self.level[i]))

    def arrive(self, t: float, i: int, u: int) -> None:
        unit = self.units[u]
        self.unit_of[i] = u
        self.t_enq[i] = t
        if unit.free > 0:
            unit.free -= 1
            self._start(t, i, unit)
            return
        self.token[i] += 1  # every queue entry has its own token: older entries go stale
        bt = self.breach_t
        if bt is not None and not self.breached[i] and unit.level < TOP:
            b = bt[i]
            if b <= t:
                self.breached[i] = True
                self._escalate(t, i, unit.level)
                return
            self.loop.schedule(b, BREACH, i, self.token[i])
        self.waiting[i] = True
        self.seq += 1
        d = unit.discipline
        key = 0.0 if d == 0 else (-self.severity[self.type[i]] if d == 1 else self.deadline[i])
        unit.push(key, self.seq, i, self.token[i])

    def _start(self, t: float, i: int, unit: HandlingUnit) -> None:
        s = t if unit.always_on else unit.calendar.next_open(t)
        if self.t_started[i] != self.t_started[i]:  # NaN: first start
            self.t_started[i] = s
        self.wait[i] += s - self.t_enq[i]
        L = unit.level
        bit = 1 << L
        if self.tried[i] & bit:  # a repeated attempt at this level (rework)
            dur = _scalar_quantile(self.handling_dist[self.type[i]], self.rng_rework.random(), unit.dur_multiplier)
        else:
            self.tried[i] |= bit
            dur = self.dur0[i][L]
        unit.attempts += 1
        unit.busy_crew_h += dur
        slot = unit.slots.pop()
        self.crew_of[i] = slot
        unit.slot_busy_h[slot] += dur
        fin = s + dur if unit.always_on else unit.calendar.add(s, dur)
        self.loop.schedule(fin, END, i)

    def on_end(self, t: float, i: int, _tok: int) -> None:
        u = self.unit_of[i]
        unit = self.units[u]
        unit.slots.append(self.crew_of[i])
        j = unit.pop_valid(self.token, self.waiting) if unit.qlen else -1
        if j >= 0:
            self.waiting[j] = False
            self._start(t, j, unit)
        else:
            unit.free += 1
        L = unit.level
        if L < TOP and unit.p_fail > 0.0:
            bit = 1 << L
            if self.fail_drawn[i] & bit:
                uf = self.rng_fail.random()
            else:
                self.fail_drawn[i] |= bit
                uf = self.u_fail[i][L]
            if uf < unit.p_fail:
                self._escalate(t, i, L)
                return
        self.t_handled[i] = t
        self.level_reached[i] = max(self.level_reached[i], L)
        if self.verify_instant:
            self.t_fed_back[i] = t
            self.t_verified[i] = t
            self._verify(t, i)
        else:
            r = self.rng_verify
            tf = t + _scalar_quantile(self.fb, r.random(), 1.0)
            tv = tf + _scalar_quantile(self.ver, r.random(), 1.0)
            self.t_fed_back[i] = tf
            self.t_verified[i] = tv
            self.loop.schedule(tv, CLOSE, i)

    def on_close(self, t: float, i: int, _tok: int) -> None:
        self._verify(t, i)

    def _verify(self, t: float, i: int) -> None:
        p = self.p_rework[self.type[i]]
        if p > 0.0:
            u = self.u_rework[i] if self.reworks[i] == 0 else self.rng_rework.random()
            if u < p:
                self.reworks[i] += 1
                if self.reworks[i] <= self.max_reworks:
                    self.arrive(t, i, self.unit_of[i])
                    return
                L = self.units[self.unit_of[i]].level
                if L < TOP:  # past lifecycle.max_reworks: escalated, as practice does
                    self._escalate(t, i, L)
                    return
                # at the district past the cap: closed as it stands (no cycle can go on)
        self.t_closed[i] = t
        self.units[self.unit_of[i]].closed += 1
        self.open -= 1
        self._record_backlog(t)

    def _escalate(self, t: float, i: int, L: int) -> None:
        if self.direct and L < 2:
            target = 2
        else:
            target = min(L + 1, TOP)
        self.escalations[i] += 1
        self.level[i] = target
        if target > self.level_reached[i]:
            self.level_reached[i] = target
        u = self._unit_for(i, target)
        if self.handover.mean_h == 0.0:
            self.arrive(t, i, u)
        else:
            self.pending[i] = u
            self.loop.schedule(t + _scalar_quantile(self.handover, self.rng_handover.random(), 1.0), ARRIVE, i)

    def on_arrive(self, t: float, i: int, _tok: int) -> None:
        self.arrive(t, i, self.pending[i])

    def on_breach(self, t: float, i: int, tok: int) -> None:
        if not self.waiting[i] or self.token[i] != tok:
            return
        self.waiting[i] = False
        unit = self.units[self.unit_of[i]]
        unit.qlen -= 1  # its queue entry is now stale and skipped when popped
        self.wait[i] += t - self.t_enq[i]
        self.breached[i] = True
        self._escalate(t, i, unit.level)

    # ------------------------------------------------------------------ run
    def run(self, until: float) -> None:
        a = self.arr
        sel = np.flatnonzero(np.isfinite(a.t_arrive) & (a.t_arrive <= until))
        order = sel[np.argsort(a.t_arrive[sel], kind="stable")]
        handlers = [self.on_arrive, self.on_end, self.on_close, self.on_breach]
        self.loop.run(until, handlers, a.t_arrive[order], order, self.first_arrival)
        self._record_backlog(until)
