"""The lean path of the validation queues (``mmc``, ``jackson``).

A validation scenario is the ordinary model configured (sim/validation.py): one grid, one
issue type, instant discovery, registration, feedback and verification, FIFO units of
abstract crews on duty 24/7, no time limits, and (jackson) a failed grid attempt moving
straight to the town. For such a run the general machinery — channels, intake, dispatch
rules, calendars, oversight, closure — does nothing but pass the issue on at the same
instant, and a run pays for it at every event. :class:`LeanRun` processes the same events
in the same order (arrivals in time order; a crew's end before an arrival at the same time;
a freed crew takes the next waiting job before its own job moves on) with the same draws
(the first attempt's time at each level and the failure draw, from the Attempts room), and
writes the same state into the issue book, the attempt log and the units: the records and
KPIs of a lean run are those of the general path, bit for bit (tests/test_theory.py
compares them). Measured on M/M/12 (λ = 9.5/h, 20,000 h): see benchmarks/bench.py.
"""

from __future__ import annotations

from heapq import heappop, heappush

from sim.agents.work_logs import HANDLING
from sim.lifecycle.intake import TOWN_CENTRE
from sim.lifecycle.routing import escalation_target

_END, _ESCALATE = 0, 1


def applicable(p) -> bool:
    """Is run ``p`` a validation queue the lean path reproduces exactly?"""
    if p.validation is None or p.world.map != "regular" or len(p.issue_types) != 1 or p.events:
        return False
    t = p.issue_types[0]
    chans = [c for c in p.channels if c.enabled]
    if len(chans) != 1 or chans[0].kind != "instant" or chans[0].report_delay.mean_h != 0.0:
        return False
    lc = p.lifecycle
    if any(getattr(lc, k).mean_h != 0.0 for k in ("register", "feedback", "verify")):
        return False
    if t.p_rework != 0.0 or t.needs_consultation or t.p_on_spot_fix != 0.0 or t.min_close_level != "grid" \
            or t.extent_km != 0.0 or t.p_fail_attempt is not None or t.joint_trade:
        return False
    e = p.escalation
    if e.handover.mean_h != 0.0 or e.breach_fraction is not None or e.on_overdue != "escalate":
        return False
    if not p.fusion.enabled or p.has_members or p.has_households or p.assessment.enabled:
        return False
    if not p.office_calendar.always_on:
        return False
    level, seen = 0, set()
    while level not in seen:  # the levels an issue can reach: the grid, then up after failures
        seen.add(level)
        L = p.levels.by_index(level)
        if L.discipline != "fifo" or not L.calendar.always_on:
            return False
        if L.p_fail_attempt <= 0.0:
            break
        level = escalation_target(level, e.rule)
    return True


class LeanRun:
    """The validation queue's event loop (see module doc), resumable like the engine's."""

    def __init__(self, model):
        h = model.handling
        self.model = model
        self.b = h.book
        self.log = h.log
        self.at = h.attempts
        p = model.params
        occ = model.occ
        self.arr_t = occ.t_occurred[occ.order].tolist()
        self.arr_i = occ.order.tolist()
        self.k = 0
        self.heap: list = []
        self.seq = 0
        self.now = 0.0
        ppl = model.people
        self.unit = [ppl.units[int(ppl.unit_for(L, 0, 0))] for L in range(4)]
        self.free = [list(u.free) for u in self.unit]  # stacks, as the units' own
        self.queue = [[] for _ in range(4)]  # FIFO (key ties broken by arrival order)
        self.qhead = [0] * 4
        self.p_fail = [u.p_fail for u in self.unit]
        self.rule = p.escalation.rule
        self.limit_h = p.issue_types[0].time_limit_wh
        self.channel = next(c for c, ch in enumerate(p.channels) if ch.enabled)
        self.events = 0
        # the first attempt's work at each level as lists (a numpy element read per attempt
        # cost ~5 % of an M/M/12 run), made when a level is first reached
        self.dur0: list = [None] * 4

    # ------------------------------------------------------------------ the loop
    def advance(self, until: float) -> None:
        """Process every event up to ``until`` (inclusive), in the engine's order. (Nothing
        reads ``now`` during the loop: it is set at the end.)"""
        heap, at, ai = self.heap, self.arr_t, self.arr_i
        pop, end, arrive, first = heappop, self._end, self._arrive, self._first
        n_arr = len(at)
        k = self.k
        nxt = at[k] if k < n_arr else float("inf")
        count = 0
        while True:
            if heap and (th := heap[0][0]) <= nxt:
                if th > until:
                    break
                t, _, kind, job, crew = pop(heap)
                if kind == _END:
                    end(t, job, crew)
                else:
                    arrive(t, job, crew)  # an escalation: ``crew`` holds the target level
            else:
                if nxt > until:
                    break
                first(nxt, ai[k])
                k += 1
                nxt = at[k] if k < n_arr else float("inf")
            count += 1
        self.events += count
        self.k = k
        self.now = until

    def _first(self, t: float, i: int) -> None:
        """Issue ``i`` occurs and is found, reported, registered and dispatched at ``t``."""
        b = self.b
        b.t_discovered[i] = b.t_reported[i] = b.t_registered[i] = b.t_dispatched[i] = t
        b.channel[i] = self.channel
        b.centre[i] = TOWN_CENTRE
        b.deadline[i] = t + self.limit_h
        b.entered(t, i)
        self._arrive(t, i, 0)

    def _arrive(self, t: float, i: int, level: int) -> None:
        b = self.b
        unit = self.unit[level]
        b.level[i] = level
        if level > b.level_reached[i]:
            b.level_reached[i] = level
        b.parts[i] = 1
        b.job_enq[i] = t
        b.unit_of[i] = unit.uid
        free = self.free[level]
        if free:
            self._start(t, i, free.pop(), level)
        else:
            self.queue[level].append(i)
            unit.count_waiting()

    def _start(self, t: float, i: int, crew, level: int) -> None:
        b = self.b
        dur0 = self.dur0[level]
        if dur0 is None:
            dur0 = self.dur0[level] = self.at.dur0[:, level].tolist()
        work = dur0[i]
        b.tried[i] |= 1 << level
        finish = t + work
        sid = crew.sid
        b.job_row[i] = self.log.add(sid, t, finish, 0.0, work, HANDLING, i, level)
        self.unit[level].attempt_started(work)
        b.server_of[i] = sid
        if b.t_started[i] != b.t_started[i]:
            b.t_started[i] = b.t_on_site[i] = t
        b.wait[i] += t - b.job_enq[i]
        seq = self.seq = self.seq + 1
        heappush(self.heap, (finish, seq, _END, i, crew))

    def _end(self, t: float, i: int, crew) -> None:
        b = self.b
        level = b.level[i]
        q, unit = self.queue[level], self.unit[level]
        h = self.qhead[level]
        if h < len(q):  # the freed crew takes the next waiting job first
            self.qhead[level] = h + 1
            unit.left_queue()
            self._start(t, q[h], crew, level)
        else:
            self.free[level].append(crew)
        pf = self.p_fail[level]
        if pf > 0.0:
            b.fail_drawn[i] |= 1 << level
            if float(self.at.u_fail[i, level]) < pf:  # up the ladder, received at once
                b.escalations[i] += 1
                b.epoch[i] += 1
                self.seq += 1
                target = escalation_target(level, self.rule)
                heappush(self.heap, (t, self.seq, _ESCALATE, i, target))
                b.level[i] = target
                return
        b.t_handled[i] = b.t_fed_back[i] = b.t_verified[i] = b.t_closed[i] = t
        if i < b.n_main:
            unit.closed_one()
        b.left(t, i)
