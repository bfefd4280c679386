"""Handling units and linkage centres as Mesa agents.

A :class:`HandlingUnit` is one unit on the ladder (a grid's work team, a village
committee, a town's departments behind its 大联动 sub-centre, the district behind
一网统管): crews working in parallel on its calendar, a queue with a discipline, and
counters for workload and utilisation. A :class:`LinkageCentre` is the town or district
platform that registers, classifies and passes cases on; it keeps its own counts.
"""

from __future__ import annotations

import heapq
from collections import deque

import mesa

from sim.lifecycle.calendar import WorkCalendar
from sim.params import DISCIPLINES, LEVELS, LevelParams


class HandlingUnit(mesa.Agent):
    """One handling unit. ``crews`` work in parallel; ``queue`` holds
    ``(key, seq, issue, token)`` (a deque of ``(issue, token)`` under FIFO)."""

    def __init__(self, model: mesa.Model, level: int, geo: int, lp: LevelParams, weekday0: int):
        super().__init__(model)
        self.level = level
        self.level_name = LEVELS[level]
        self.geo = geo
        self.name = f"{LEVELS[level]}:{geo}"
        self.crews = lp.crews
        self.free = lp.crews
        self.discipline = DISCIPLINES.index(lp.discipline)
        self.fifo = self.discipline == 0
        self.queue: deque | list = deque() if self.fifo else []
        self.qlen = 0
        self.max_qlen = 0
        self.calendar = WorkCalendar(lp.calendar, weekday0)
        self.always_on = self.calendar.always_on
        self.dur_multiplier = lp.dur_multiplier
        self.p_fail = lp.p_fail_attempt
        self.attempts = 0
        self.closed = 0
        self.busy_crew_h = 0.0  # crew working hours spent handling
        self.set_crews(lp.crews)

    def set_crews(self, crews: int) -> None:
        """Size the unit: ``crews`` parallel servers, each a slot with its own busy hours."""
        self.crews = self.free = int(crews)
        self.slots = list(range(self.crews))
        self.slot_busy_h = [0.0] * self.crews

    def push(self, key: float, seq: int, issue: int, token: int) -> None:
        if self.fifo:
            self.queue.append((issue, token))
        else:
            heapq.heappush(self.queue, (key, seq, issue, token))
        self.qlen += 1
        if self.qlen > self.max_qlen:
            self.max_qlen = self.qlen

    def pop_valid(self, tokens: list, waiting: list) -> int:
        """Remove and return the next issue still waiting here, or -1."""
        q = self.queue
        if self.fifo:
            while q:
                issue, tok = q.popleft()
                if waiting[issue] and tokens[issue] == tok:
                    self.qlen -= 1
                    return issue
        else:
            while q:
                _, _, issue, tok = heapq.heappop(q)
                if waiting[issue] and tokens[issue] == tok:
                    self.qlen -= 1
                    return issue
        return -1


class LinkageCentre(mesa.Agent):
    """A town 大联动 sub-centre or the district 一网统管 platform: counts the cases it
    registers (12345 tickets) and passes on (escalations through it)."""

    def __init__(self, model: mesa.Model, level: int, geo: int):
        super().__init__(model)
        self.level = level
        self.geo = geo
        self.name = f"{LEVELS[level]}_centre:{geo}"
        self.registered = 0
        self.passed_on = 0
