"""Handling units as Mesa agents.

A :class:`HandlingUnit` is where a job waits for a qualified person: a grid's team (its
members), a village (its cadres and the village's members), a town department or district
bureau (its case handlers), or a level's abstract crews in worlds without people at that
level. It keeps one queue per trade (so a freed member looks only at work it can do),
ordered by the level's discipline, with supervised (督办) jobs first. (The town 大联动
sub-centres and the district 一网统管 platform that register cases are stages of
:mod:`sim.lifecycle.intake` on their level's calendar, not agents.)
"""

from __future__ import annotations

import functools
import heapq

import mesa

from sim.params import DISCIPLINES, LEVELS, TRADES


@functools.cache
def _bits(trades: int) -> tuple[int, ...]:
    """The trades (indices) of a trade bitmask; a build adds ~40,000 servers of a few masks."""
    return tuple(k for k in range(len(TRADES)) if trades >> k & 1)


class ByCalendar:
    """A pool of members (one trade of a unit) grouped by issue-work calendar, in order
    of first appearance: ``groups`` is a list of ``(calendar, [(k, member), ...])``, ``k``
    the member's place in the pool. Members share a handful of calendars (a role's
    day-off variants), so dispatch computes each calendar's finishing time once and looks
    only at the people of the calendars that finish first."""

    __slots__ = ("groups",)

    def __init__(self, members) -> None:
        by_cal: dict = {}
        for k, s in enumerate(members):
            g = by_cal.get(s.cal)
            if g is None:
                g = by_cal[s.cal] = (s.cal, [])
            g[1].append((k, s))
        self.groups = list(by_cal.values())


class HandlingUnit(mesa.Agent):
    """A unit: ``servers`` (staff members) and per-trade queues of
    ``(key, seq, job, token)``. ``calendar``: the unit's office calendar (hand-overs it
    receives and its office stages run on it)."""

    def __init__(self, model: mesa.Model, uid: int, level: int, geo: int, name: str, discipline: str,
                 dur_multiplier: float, p_fail: float, calendar, kind: str):
        super().__init__(model)
        self.uid = uid
        self.level = level
        self.level_name = LEVELS[level]
        self.geo = geo
        self.name = name
        self.kind = kind  # "members", "department" or "crews"
        self.discipline = DISCIPLINES.index(discipline)
        self.dur_multiplier = dur_multiplier
        self.p_fail = p_fail
        self.calendar = calendar
        self.servers: list = []
        self.servers_set: set = set()
        self.by_trade: list[list] = [[] for _ in TRADES]
        self._by_cal: list = [None] * len(TRADES)  # ByCalendar of by_trade[k], built when first asked
        self.trades = 0
        self.queues: list[list] = [[] for _ in TRADES]
        self.qlen = 0
        self.max_qlen = 0
        self.attempts = 0
        self.closed = 0
        self.busy_h = 0.0
        self.free: list = []  # crews and departments: free servers (a stack)
        self.pooled = kind in ("crews", "department")
        self.cals: set = set()  # the servers' calendars: more than one (lent and aid staff) -> choose by start

    def add_server(self, s) -> None:
        """Make staff member ``s`` one of this unit's servers."""
        self.servers.append(s)
        self.servers_set.add(s)
        if self.pooled:
            self.free.append(s)
        if s.cal is None:
            return
        self.cals.add(id(s.cal))
        self.trades |= s.trades
        for k in _bits(s.trades):
            self.by_trade[k].append(s)
            self._by_cal[k] = None

    def note_calendars(self) -> None:
        """Some server's calendar changed (lent for an emergency): look at them again."""
        self.cals = {id(s.cal) for s in self.servers if s.cal is not None}
        self._by_cal = [None] * len(TRADES)

    def by_calendar(self, trade: int) -> ByCalendar:
        """The members who may do ``trade``, grouped by calendar (:class:`ByCalendar`)."""
        g = self._by_cal[trade]
        if g is None:
            g = self._by_cal[trade] = ByCalendar(self.by_trade[trade])
        return g

    def can_serve(self, trade: int) -> bool:
        return bool(self.by_trade[trade])

    def push(self, trade: int, key: tuple, seq: int, job: int, token: int) -> None:
        heapq.heappush(self.queues[trade], (key, seq, job, token))
        self.qlen += 1
        if self.qlen > self.max_qlen:
            self.max_qlen = self.qlen

    def count_waiting(self) -> None:
        """A job waits here in a queue kept elsewhere (the validation queues' lean path)."""
        self.qlen += 1
        if self.qlen > self.max_qlen:
            self.max_qlen = self.qlen

    def left_queue(self) -> None:
        """A queued job was taken away (dispatched elsewhere, escalated): one fewer waiting."""
        self.qlen -= 1

    def pop_for(self, server, valid) -> int:
        """The best waiting job ``server`` is qualified for (lowest key over its trades'
        queues), or −1. Stale entries (``valid(job, token)`` false) are dropped."""
        best_k = -1
        best = None
        m = server.trades & self.trades
        k = 0
        queues = self.queues
        while m:
            if m & 1:
                q = queues[k]
                while q and not valid(q[0][2], q[0][3]):
                    heapq.heappop(q)
                if q and (best is None or q[0] < best):
                    best, best_k = q[0], k
            m >>= 1
            k += 1
        if best_k < 0:
            return -1
        heapq.heappop(queues[best_k])
        self.qlen -= 1
        return best[2]

    def take_free(self, trade: int = -1, t: float = 0.0):
        """Crews and departments: a free server (qualified for ``trade``), or None. A
        department sends whichever of its case handlers is free; when its handlers work
        different calendars (staff lent or borrowed in an emergency), the one who can
        start soonest after ``t``."""
        free = self.free
        if not free:
            return None
        if len(self.cals) > 1:
            best, best_k, best_st = None, -1, float("inf")
            bit = 1 << trade if trade >= 0 else -1
            for k in range(len(free) - 1, -1, -1):
                s = free[k]
                if (trade < 0 or s.trades & bit) and s.cal.next_open(t) < best_st:
                    best, best_k, best_st = s, k, s.cal.next_open(t)
            return free.pop(best_k) if best is not None else None
        if trade < 0 or self.kind == "crews":
            return free.pop()
        bit = 1 << trade
        for k in range(len(free) - 1, -1, -1):
            if free[k].trades & bit:
                return free.pop(k)
        return None

    def release(self, s) -> None:
        """Crews and departments: server ``s`` is free again."""
        self.free.append(s)

    def pop_single(self, valid) -> int:
        """Crews units (one queue): the next waiting job, or −1."""
        q = self.queues[0]
        while q:
            _, _, job, tok = heapq.heappop(q)
            if valid(job, tok):
                self.qlen -= 1
                return job
        return -1

    def attempt_started(self, work_h: float) -> None:
        self.attempts += 1
        self.busy_h += work_h

    def attempt_cancelled(self, work_h: float) -> None:
        """A taken job was withdrawn before it started."""
        self.attempts -= 1
        self.busy_h -= work_h

    def closed_one(self) -> None:
        self.closed += 1
