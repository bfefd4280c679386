"""People who handle issues, as Mesa agents.

A :class:`StaffMember` is a grid team member (management, work or volunteer: 一格多员), a
village cadre, a case handler of a town department or district bureau, or an abstract crew
(validation worlds). Each has trades (a bitmask over :data:`sim.params.TRADES`), a base and
a position on the map, and a working week (:class:`sim.agents.schedule.Schedule`) whose
issue-work calendar decides when it can take issues. A member does one thing at a time:
it takes an issue (:meth:`StaffMember.begin`), travels from where it is, works, and is free
again (:meth:`StaffMember.end`); its own queue holds issues of its patch that wait for it.

Time a member spends on issues inside the block that gives way (routine duty or patrol)
is recorded in a :class:`~sim.agents.work_logs.BlockLog` so that that day's rounds cover
less of the patch; each stretch of issue work is a row of the run's
:class:`~sim.agents.work_logs.AttemptLog`.
"""

from __future__ import annotations

import heapq
import math

import mesa

from sim.agents.work_logs import BlockLog
from sim.params import TRADES

GRID_TEAMS = ("management", "work", "volunteer")
"""The grid teams (一格多员); a staff member's ``team`` is one of them, ``cadre`` (village),
``department`` (town/district case handler) or ``crew`` (abstract)."""

ALL_TRADES = (1 << len(TRADES)) - 1


def trade_mask(trades) -> int:
    """Bitmask of trade names."""
    m = 0
    for t in trades:
        m |= 1 << TRADES.index(t)
    return m


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
        # True while the member has no job (kept by begin, end and cancel): a plain
        # attribute, not a property, since dispatch reads it ~2 M times a Chongming year
        self.free = True
        self.busy_to = -math.inf
        self.queue: list = []  # own queue: (key, seq, job, token)
        self.finds: list[tuple[float, float, str]] = []  # (time, hours fixing on the spot, block)
        self._prev = (base_xy, -1)
        self.b_post = -1  # staff id of the member's named backup in its grid (A/B posts, AB岗), −1: none

    # ------------------------------------------------------------------ state
    @property
    def can_work_issues(self) -> bool:
        return self.cal is not None

    def can_do(self, trade_bit: int) -> bool:
        return bool(self.trades & trade_bit)

    def lend(self, schedule) -> None:
        """Lent to another town for an emergency response: from now on the member works
        ``schedule`` (its own calendar without the response)."""
        self.schedule = schedule
        self.cal = schedule.issue[self.variant]

    # ------------------------------------------------------------------ behaviour
    def position_at(self, t: float) -> tuple[float, float] | None:
        """Where the member sets off from at ``t``: where its last job left it that day, or
        its base on a later day (None without a map)."""
        return self.xy if int(t // 24.0) == self.xy_day else self.base_xy

    def travel_h(self, dest_xy, t: float) -> float:
        """Hours to reach ``dest_xy`` setting off at ``t`` (from :meth:`position_at`)."""
        if dest_xy is None or self.xy is None:
            return 0.0
        return self.model.travel_h(self.position_at(t), dest_xy, t, self.mode)

    def earliest_start(self, t: float) -> float:
        """When the member could set off on a job given at ``t``: its next working moment,
        after the job it is on (jobs waiting in its own queue not counted)."""
        return self.cal.next_open(t if self.job < 0 else max(t, self.busy_to))

    def earliest_arrival(self, t: float, dest_xy) -> float:
        """When the member could be at ``dest_xy`` if given a job at ``t``."""
        s = self.cal.next_open(t)
        return s + self.travel_h(dest_xy, s)

    def effort(self, work_h: float, patch_owner: int, issue_grid: int, factors: tuple) -> tuple[float, float]:
        """Working hours and failure-probability factor of this member's attempt at ``work_h``
        hours of work on an issue in ``issue_grid`` whose patch owner is ``patch_owner``
        (staff id). ``factors``: (own-patch duration, own-patch failure, other-grid duration,
        other-grid failure), the ``staff`` parameters. Only grid team members know a patch."""
        if self.team not in GRID_TEAMS:
            return work_h, 1.0
        own, fo, other, fx = factors
        if patch_owner == self.sid:
            return work_h * own, fo
        if self.grid != issue_grid:
            return work_h * other, fx
        return work_h, 1.0

    def begin(self, job: int, t: float, work_h: float, dest_xy, blocks: BlockLog | None,
              gives_way: str) -> tuple[float, float, float]:
        """Take ``job`` at ``t``: set off at the next working moment, travel, work
        ``work_h`` working hours. Returns (start, finish, travel hours); the hours that fall
        in the block that gives way go to ``blocks``."""
        cal = self.cal
        start = cal.next_open(t)
        travel = self.travel_h(dest_xy, start)
        finish = cal.add(start, travel + work_h)
        self.job = job
        self.free = False
        self.busy_to = finish
        self._prev = (self.xy, self.xy_day)
        if dest_xy is not None:
            self.xy = dest_xy
            self.xy_day = int(finish // 24.0)
        if blocks is not None and self.schedule.rounds_in.get(gives_way):
            self._log_blocks(start, finish, blocks, gives_way, 1.0)
        return start, finish, travel

    def _log_blocks(self, start: float, finish: float, blocks: BlockLog, block: str, sign: float) -> None:
        """Add (``sign`` 1) or take back (−1) the hours of [start, finish) in ``block``, by day."""
        cal = self.schedule.block[block][self.variant] if block in self.schedule.block else None
        if cal is None or cal.always_on:
            return
        # only days of the run have rounds to shorten: a job that ends long after (a huge
        # travel time) is not walked day by day to its end (a watchdog finding: 1e8 days)
        finish = min(finish, self.model.params.end_h)
        d0, d1 = int(start // 24.0), int(finish // 24.0)
        for d in range(d0, d1 + 1):
            a, b = max(start, 24.0 * d), min(finish, 24.0 * (d + 1))
            h = cal.work_before(b) - cal.work_before(a)
            if h > 1e-12:
                blocks.add(block, d, self.sid, sign * h)

    def cancel(self, blocks: BlockLog | None, gives_way: str, start: float, finish: float) -> None:
        """Drop the job taken but not yet started (an overdue issue pulled away): back where
        it was, free, and the block hours it had booked given back."""
        if blocks is not None:
            self._log_blocks(start, finish, blocks, gives_way, -1.0)
        self.xy, self.xy_day = self._prev
        self.job = -1
        self.free = True
        self.busy_to = -math.inf

    def end(self) -> None:
        """The current job is finished: free again."""
        self.job = -1
        self.free = True

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
