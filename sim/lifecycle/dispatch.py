"""Who takes a job: the ``dispatch.rule`` lever and the choice of a free person.

- ``patch_owner`` (包干): a grid-level issue goes to the member whose patch holds it (the
  work team's patch for eco trades, the management team's for service, mediation and
  general). Busy, it queues with the owner, unless the owner's queue already holds
  ``dispatch.help_queue_threshold`` issues: then the grid's nearest free qualified
  member helps (if none is free, it queues with the owner anyway).
- ``grid_pool``: the grid's free qualified member who can finish first; else the grid queue.
- ``village_pool``: any qualified member of the village (the pre-reform pattern); else the
  village queue.
- ``ab_post`` (A/B posts, AB岗): the patch owner (A post) if it can start within
  ``dispatch.backup_after_h`` (it is not off shift, travelling or busy past that), else its
  named B post, else the grid member who can finish first, else the village's, each if it
  can start within that time; if none can, whoever can finish first. A job left waiting
  that long in a busy post's own queue passes on down the same chain.
  A job left waiting for a busy post that long passes on down the same chain
  (:meth:`Dispatcher.ab_chain` names the posts; the attempts room gives the job).

At village level the village's cadres (service, mediation, general) and its grids' work
crews (eco trades) form one pool; at town and district level a department's case handlers.
"Can finish first": the member's next working moment, then the job's working hours on its
calendar (a part-timer with two hours a day on duty finishes a three-hour job days later
than a full-timer who starts an hour later); among those who finish at the same time, the
nearest.
"""

from __future__ import annotations

import math

import numpy as np

from sim.agents.teams import People
from sim.agents.units import ByCalendar
from sim.columns import floats, ints
from sim.params import ECO_TRADES, TRADES, ModelParams

OWNER_PATCHES = {t: "work_team" for t in ECO_TRADES} | {"service": "management_team", "mediation": "mediators",
                                                        "general": "management_team"}
"""Whose patch a trade's jobs belong to; a household with no mediator in its grid falls back
to its management member (:data:`OWNER_FALLBACK`)."""
OWNER_FALLBACK = {"mediators": "management_team"}


class Dispatcher:
    """Chooses servers (see module doc)."""

    def __init__(self, p: ModelParams, people: People):
        self.rule = p.dispatch.rule
        self.threshold = p.dispatch.help_queue_threshold
        self.backup_h = p.dispatch.backup_after_h
        self.members = people.members
        self.owner = []
        as_array: dict = {}  # trades sharing a patch share the array
        for tr in TRADES:
            key = OWNER_PATCHES.get(tr)
            tp = people.patches.get(key) if key else None
            owner = tp.owner_sid if tp is not None else None
            back = people.patches.get(OWNER_FALLBACK.get(key, ""))
            if owner is not None and back is not None:
                owner = np.where(owner >= 0, owner, back.owner_sid)
            # as an array.array: read per attempt, its element is a Python int (a numpy
            # element costs ~5x), and it takes 8 bytes a household, as numpy (a list ~36)
            if owner is not None and id(owner) not in as_array:  # (the source kept: ids stay unique)
                as_array[id(owner)] = (owner, ints(owner))
            self.owner.append(as_array[id(owner)][1] if owner is not None else None)

    def owner_of(self, trade: int, household: int) -> int:
        """Staff id of the member whose patch holds ``household`` for ``trade`` (−1: none)."""
        o = self.owner[trade]
        return -1 if o is None else o[household]

    def ab_chain(self, trade: int, household: int, grid_unit) -> list:
        """The A post (patch owner) and its B post for a job of ``trade`` at ``household``,
        those of them who serve ``grid_unit`` and may do the trade, in that order."""
        out = []
        o = self.owner_of(trade, household)
        if o < 0:
            return out
        bit = 1 << trade
        a = self.members[o]
        for m in (a, self.members[a.b_post] if a.b_post >= 0 else None):
            if m is not None and m.can_do(bit) and m.can_work_issues and m in grid_unit.servers_set:
                out.append(m)
        return out

    def ab_choice(self, t: float, trade: int, household: int, unit, vunit, xy, exclude, work_h: float):
        """A/B posts (``dispatch.rule: ab_post``): the A post, then the B post, if it can
        start within ``backup_after_h`` (it is on shift, or soon, and not tied up); else the
        grid member who can finish first, else the village's (``vunit``), each if it can
        start within that time; else whoever can finish first. ``exclude``: the post the job
        is passing on from; ``work_h``: the job's expected work. Returns (member, unit), or
        (None, unit) when nobody can take it."""
        limit = t + self.backup_h
        best, best_end, best_unit = None, float("inf"), unit
        for m in self.ab_chain(trade, household, unit):
            if m is exclude:
                continue
            st = m.earliest_start(t)
            if st <= limit:
                return m, unit
            end = m.cal.add(st, work_h)
            if end < best_end:
                best, best_end = m, end
        for u in (unit, vunit):
            s = self.best_free(u.by_calendar(trade), t, xy, exclude=exclude, work_h=work_h)
            if s is None:
                continue
            st = s.cal.next_open(t)
            if st <= limit:
                return s, u
            end = s.cal.finish_from(t, work_h)  # add(st, work_h), as best_free just asked it
            if end < best_end:
                best, best_end, best_unit = s, end, u
        return best, best_unit

    @staticmethod
    def best_free(candidates, t: float, xy, exclude=None, work_h: float = 0.0):
        """The free candidate who can finish ``work_h`` working hours first (its next working
        moment, then the work on its calendar; with ``work_h`` 0 the one who can start
        soonest), nearest to ``xy`` among those, first in the pool among equals (None if
        nobody is free). Travel (minutes within a village) does not reorder people whose
        shifts end hours apart. ``candidates``: a list of members or a unit's
        :class:`~sim.agents.units.ByCalendar` of them.

        The calendars are tried in order of finishing time, and people only of the first
        calendars that have someone free (a Chongming year: 89 k calls over 22 candidates
        on 7.5 calendars on average, ~17 us a call; looking at each person: ~21 us)."""
        groups = (candidates if isinstance(candidates, ByCalendar) else ByCalendar(candidates)).groups
        ends = [cal.finish_from(t, work_h) for cal, _ in groups]
        best, best_d, best_k = None, math.inf, 0
        no_map = xy is None
        x0, y0 = (0.0, 0.0) if no_map else xy
        st = min(ends, default=None)
        while st is not None:
            day = int(st // 24.0)
            for g, end in enumerate(ends):  # the calendars that finish at st
                if end != st:
                    continue
                for k, s in groups[g][1]:
                    if not s.free or s is exclude:
                        continue
                    # squared distance from where s sets off (0 without a map): its
                    # position_at(st), inlined with st's day taken once (~8 ties a call on
                    # average, ~0.8 M looks a Chongming year)
                    if no_map or s.xy is None:
                        d = 0.0
                    else:
                        here = s.xy if s.xy_day == day else s.base_xy
                        d = (here[0] - x0) ** 2 + (here[1] - y0) ** 2
                    if best is None or d < best_d or (d == best_d and k < best_k):
                        best, best_d, best_k = s, d, k
            if best is not None:
                break
            st = min((e for e in ends if e > st), default=None)  # nobody free: the next time
        return best


def queue_key(discipline: int, supervised: bool, severity: int, deadline: float) -> tuple:
    """Queue order: supervised (督办) jobs first, then by the unit's discipline (FIFO by
    arrival, severity, or time left to the deadline); ties by arrival."""
    k2 = 0.0 if discipline == 0 else (-float(severity) if discipline == 1 else deadline)
    return (0 if supervised else 1, k2)


class Positions:
    """Household positions (km) as two float columns; ``pos[h]`` is household ``h``'s
    ``(x, y)``, made when read. A list of ~270,000 tuples held 29 MB for a Chongming year,
    the columns 4 MB; a read costs ~0.1 us more (~0.5 M reads a year)."""

    __slots__ = ("x", "y")

    def __init__(self, xy: np.ndarray):
        xy = np.asarray(xy, dtype=float)
        self.x, self.y = floats(xy[:, 0]), floats(xy[:, 1])

    def __getitem__(self, h: int) -> tuple[float, float]:
        return (self.x[h], self.y[h])

    def __len__(self) -> int:
        return len(self.x)


def household_xy(world) -> Positions | None:
    """Household positions for scalar access in the event loop (None without a map)."""
    if world.household_xy is None:
        return None
    return Positions(world.household_xy)
