"""People who handle issues, as Mesa agents.

A :class:`StaffMember` is a grid team member (management, work or volunteer: 一格多员), a
village cadre, a case handler of a town department or district bureau, or an abstract crew
(validation worlds). Each has trades (a bitmask over :data:`sim.params.TRADES`), a base and
a position on the map, and a working week (:class:`sim.agents.schedule.Schedule`) whose
issue-work calendar decides when it can take issues. A member does one thing at a time:
it takes an issue (:meth:`StaffMember.begin`), travels from where it is, works, and is free
again (:meth:`StaffMember.end`); its own queue holds issues of its patch that wait for it.

Time a member spends on issues inside the block that gives way (routine duty or patrol)
is recorded in a :class:`BlockLog` so that that day's rounds cover less of the patch.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict

import mesa

from sim.params import TRADES

TEAM_NAMES = ("management", "work", "volunteer", "cadre", "department", "crew")
"""``team`` of a staff member: the three grid teams, village cadres, town/district case
handlers, abstract crews."""

ALL_TRADES = (1 << len(TRADES)) - 1


def trade_mask(trades) -> int:
    """Bitmask of trade names."""
    m = 0
    for t in trades:
        m |= 1 << TRADES.index(t)
    return m


class AttemptLog:
    """One row per stretch of issue work by a staff member (columns as lists):
    ``member``, ``start_h`` (sets off), ``end_h``, ``travel_h``, ``work_h`` (working hours on
    the issue itself), ``kind`` (handling, consultation, mediation), ``job``, ``cancelled``."""

    KINDS = ("handling", "consultation", "mediation")

    def __init__(self) -> None:
        self.member: list[int] = []
        self.start_h: list[float] = []
        self.end_h: list[float] = []
        self.travel_h: list[float] = []
        self.work_h: list[float] = []
        self.kind: list[int] = []
        self.job: list[int] = []
        self.cancelled: list[bool] = []

    def add(self, member: int, start: float, end: float, travel: float, work: float, kind: int, job: int) -> int:
        self.member.append(member)
        self.start_h.append(start)
        self.end_h.append(end)
        self.travel_h.append(travel)
        self.work_h.append(work)
        self.kind.append(kind)
        self.job.append(job)
        self.cancelled.append(False)
        return len(self.member) - 1


class BlockLog:
    """Hours of issue work that fell inside a member's routine or patrol block, by day:
    ``lost[block][day][member] = hours``. Rounds of that block cover that much less."""

    def __init__(self) -> None:
        self.lost: dict[str, dict[int, dict[int, float]]] = {"patrol": defaultdict(dict), "routine": defaultdict(dict)}

    def add(self, block: str, day: int, member: int, hours: float) -> None:
        d = self.lost[block][day]
        d[member] = d.get(member, 0.0) + hours

    def day(self, block: str, day: int) -> dict[int, float]:
        return self.lost[block].get(day, {})


class StaffMember(mesa.Agent):
    """A person (or abstract crew) who handles issues. See the module doc.

    ``sid``: index in the run's staff tables; ``team``/``role``; ``grid``, ``village``,
    ``town`` (−1 where not tied to one); ``trades`` bitmask; ``base_xy`` and ``xy`` (km,
    None in worlds without a map); ``schedule`` and ``variant`` (its day-off rotation);
    ``mode`` of travel to an issue (walk, ebike, car).
    """

    def __init__(self, model: mesa.Model, sid: int, team: str, role: str, grid: int, village: int, town: int,
                 trades: int, base_xy: tuple[float, float] | None, schedule, variant: int, mode: str):
        super().__init__(model)
        self.sid = sid
        self.team = team
        self.role = role
        self.grid = grid
        self.village = village
        self.town = town
        self.trades = trades
        self.base_xy = base_xy
        self.xy = base_xy
        self.xy_day = -1  # day of the last job's end: a later day starts from base
        self.schedule = schedule
        self.variant = variant
        self.cal = schedule.issue[variant]
        self.mode = mode
        self.job = -1
        self.busy_to = -math.inf
        self.queue: list = []  # own queue: (key, seq, job, token)
        self.finds: list[tuple[float, float, str]] = []  # (time, hours fixing on the spot, block)
        self._row = -1
        self._prev = (base_xy, -1)

    # ------------------------------------------------------------------ state
    @property
    def free(self) -> bool:
        return self.job < 0

    @property
    def can_work_issues(self) -> bool:
        return self.cal is not None

    def can_do(self, trade_bit: int) -> bool:
        return bool(self.trades & trade_bit)

    # ------------------------------------------------------------------ behaviour
    def travel_h(self, dest_xy, t: float) -> float:
        """Hours to reach ``dest_xy`` setting off at ``t``: from where the member is, or
        from its base when its last job ended on an earlier day."""
        if dest_xy is None or self.xy is None:
            return 0.0
        here = self.xy if int(t // 24.0) == self.xy_day else self.base_xy
        return self.model.travel_h(here, dest_xy, t, self.mode)

    def earliest_arrival(self, t: float, dest_xy) -> float:
        """When the member could be at ``dest_xy`` if given a job at ``t``."""
        s = self.cal.next_open(t)
        return s + self.travel_h(dest_xy, s)

    def begin(self, job: int, t: float, work_h: float, dest_xy, kind: int, log: AttemptLog,
              blocks: BlockLog | None, gives_way: str) -> tuple[float, float]:
        """Take ``job`` at ``t``: set off at the next working moment, travel, work
        ``work_h`` working hours. Returns (start, finish)."""
        cal = self.cal
        start = cal.next_open(t)
        travel = self.travel_h(dest_xy, start)
        finish = cal.add(start, travel + work_h)
        self.job = job
        self.busy_to = finish
        self._row = log.add(self.sid, start, finish, travel, work_h, kind, job)
        self._prev = (self.xy, self.xy_day)
        if dest_xy is not None:
            self.xy = dest_xy
            self.xy_day = int(finish // 24.0)
        if blocks is not None and self.schedule.rounds_in.get(gives_way):
            self._log_blocks(start, finish, blocks, gives_way)
        return start, finish

    def take(self, job: int, start: float, finish: float, work_h: float, log: AttemptLog) -> None:
        """A crew takes ``job`` (no travel, no blocks): busy from ``start`` to ``finish``."""
        self.job = job
        self.busy_to = finish
        self._row = log.add(self.sid, start, finish, 0.0, work_h, 0, job)

    def _log_blocks(self, start: float, finish: float, blocks: BlockLog, block: str) -> None:
        cal = self.schedule.block[block][self.variant] if block in self.schedule.block else None
        if cal is None or cal.always_on:
            return
        d0, d1 = int(start // 24.0), int(finish // 24.0)
        if d0 == d1:
            h = cal.work_before(finish) - cal.work_before(start)
            if h > 1e-12:
                blocks.add(block, d0, self.sid, h)
            return
        for d in range(d0, d1 + 1):
            a, b = max(start, 24.0 * d), min(finish, 24.0 * (d + 1))
            h = cal.work_before(b) - cal.work_before(a)
            if h > 1e-12:
                blocks.add(block, d, self.sid, h)

    def cancel(self, log: AttemptLog, blocks: BlockLog | None, gives_way: str, start: float, finish: float) -> None:
        """Drop the job taken but not yet started (an overdue issue pulled away)."""
        log.cancelled[self._row] = True
        if blocks is not None:
            cal = self.schedule.block.get(gives_way, [None])[self.variant] if gives_way in self.schedule.block else None
            if cal is not None and not cal.always_on:
                d0, d1 = int(start // 24.0), int(finish // 24.0)
                for d in range(d0, d1 + 1):
                    a, b = max(start, 24.0 * d), min(finish, 24.0 * (d + 1))
                    h = cal.work_before(b) - cal.work_before(a)
                    if h > 1e-12:
                        blocks.add(gives_way, d, self.sid, -h)
        self.xy, self.xy_day = self._prev
        self.job = -1
        self.busy_to = -math.inf

    def end(self) -> None:
        """The current job is finished: free again."""
        self.job = -1

    def found(self, t: float, fixed_h: float, block: str) -> None:
        """Record an issue this member found at ``t`` on its ``block`` round (fixed on the
        spot when ``fixed_h`` > 0: the fix takes that much of the round)."""
        self.finds.append((t, fixed_h, block))

    # ------------------------------------------------------------------ own queue
    def enqueue(self, key: tuple, seq: int, job: int, token: int) -> None:
        heapq.heappush(self.queue, (key, seq, job, token))

    def next_own(self, valid) -> int:
        """The next job of the own queue that is still waiting here (``valid(job, token)``), or −1."""
        q = self.queue
        while q:
            _, _, job, tok = heapq.heappop(q)
            if valid(job, tok):
                return job
        return -1

    def own_queue_length(self, valid) -> int:
        return sum(1 for _, _, j, tok in self.queue if valid(j, tok))
