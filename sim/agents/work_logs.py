"""The logs of staff work: one row per stretch of issue work (:class:`AttemptLog`) and the
hours of issue work that fell inside a member's routine or patrol block (:class:`BlockLog`).

Records, not agents: kept apart from :mod:`sim.agents.staff` so that what reads them after
a run (the metrics, the reports, a sweep's aggregation) does not import Mesa (~0.7 s).
"""

from __future__ import annotations

from collections import defaultdict

from sim.columns import Columns

HANDLING, CONSULTATION, MEDIATION = range(3)
"""``kind`` of an :class:`AttemptLog` row: handling an issue, a consultation (会商), a mediation."""


class AttemptLog:
    """One row per stretch of issue work by a staff member (columns):
    ``member``, ``start_h`` (sets off), ``end_h``, ``travel_h``, ``work_h`` (working hours on
    the issue itself), ``kind`` (:data:`HANDLING`, :data:`CONSULTATION`, :data:`MEDIATION`),
    ``job``, ``level`` (the level the job is handled at), ``cancelled``. Written by the lifecycle from what a member's
    :meth:`StaffMember.begin` hands back."""

    def __init__(self, compact: bool = True) -> None:
        c = Columns(compact)
        # the hours and job ids as typed columns (a float or large id a list holds as an
        # object of its own, ~32 bytes: see sim.columns); what the loop reads back per row
        # (member, cancelled) and the small codes stay lists
        self.member: list[int] = []
        self.start_h = c.floats([])
        self.end_h = c.floats([])
        self.travel_h = c.floats([])
        self.work_h = c.floats([])
        self.kind: list[int] = []
        self.job = c.ints([])
        self.level: list[int] = []
        self.cancelled: list[bool] = []
        # the columns' bound appends, looked up once (a row per attempt: the validation
        # queues' event loop spends ~10 % here)
        self._append = (self.member.append, self.start_h.append, self.end_h.append, self.travel_h.append,
                        self.work_h.append, self.kind.append, self.job.append, self.level.append,
                        self.cancelled.append)

    def add(self, member: int, start: float, end: float, travel: float, work: float, kind: int, job: int,
            level: int = 0) -> int:
        a_member, a_start, a_end, a_travel, a_work, a_kind, a_job, a_level, a_cancelled = self._append
        a_member(member)
        a_start(start)
        a_end(end)
        a_travel(travel)
        a_work(work)
        a_kind(kind)
        a_job(job)
        a_level(level)
        a_cancelled(False)
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
