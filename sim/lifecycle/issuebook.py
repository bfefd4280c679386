"""The issue book: the state of every issue and job of a run, in one store.

Per-issue and per-job state lives in columns (:mod:`sim.columns`): typed arrays (``d``
float, ``q`` or ``i`` int (``i``, 32 bits, for ids of people and rows), ``h`` counter,
``b`` flag or small code), except the small integers the event loop reads most, which
stay lists (levels, trades, epochs, counters, places: see :mod:`sim.columns`). They
become numpy columns at the end (:mod:`sim.metrics.records` reads the book's public
attributes). A flag reads back as 0 or 1, not False or True. A *job* is one piece of work on an issue: the issue itself
(job id = issue id, :data:`MAIN`), its second part (id + n, :data:`JOINT`: the second
department of a joint case, 联合处置, or the second person of a job that needs two,
``crew_size``) or the grid leader's consultation (会商, id + 2n, :data:`CONSULT`).

The rooms of the lifecycle (:mod:`~sim.lifecycle.attempts`, :mod:`~sim.lifecycle.closure`,
:mod:`~sim.lifecycle.oversight` and the intake side of :mod:`~sim.lifecycle.handling`)
write here; nothing else is shared between them.
"""

from __future__ import annotations

from array import array

from sim.columns import filled, floats, ints, shared_ints
from sim.lifecycle.intake import TOWN_CENTRE
from sim.params import TRADES

MAIN, JOINT, CONSULT = range(3)
NAN = float("nan")
INF = float("inf")


class IssueBook:
    """Issue and job state of one run (see module doc). ``n`` issues, ``3 n`` jobs."""

    def __init__(self, p, occ) -> None:
        n = occ.n
        self.n = n
        self.n_main = occ.n_main  # issues of the horizon; the rest are the drain's background load
        types = p.issue_types
        # what the issue is (fixed at occurrence)
        self.type = occ.type.tolist()
        self.household = ints(occ.household)
        self.geo = [shared_ints(occ.grid), shared_ints(occ.village), shared_ints(occ.town), [0] * n]  # by level
        self.trade = [TRADES.index(types[k].trade) for k in self.type]
        jt = [TRADES.index(t.joint_trade) if t.joint_trade else -1 for t in types]
        self.joint_trade = array("b", [jt[k] for k in self.type])
        # a second person at grid or village level (crew_size 2, not a joint case)
        self.crew2 = array("b", [types[k].crew_size >= 2 and not types[k].joint_trade for k in self.type])
        # the trade of the second part: the joint department's, or the same for a second person
        self.part_trade = [j if j >= 0 else (tr if c else -1)
                           for j, tr, c in zip(self.joint_trade, self.trade, self.crew2)]
        # where it is
        self.level = [0] * n
        self.level_reached = [0] * n
        self.escalations = filled("h", 0, n)
        self.routed_up = filled("h", 0, n)
        self.reworks = filled("h", 0, n)
        self.tried = [0] * n  # bitmask of levels attempted
        self.fail_drawn = [0] * n
        self.epoch = [0] * n  # bumped when the issue moves: jobs of an older epoch are void
        self.parts = [0] * n
        # stage timestamps (h)
        self.t_first = filled("d", NAN, n)
        self.t_reported = filled("d", NAN, n)
        self.t_discovered = filled("d", NAN, n)
        self.t_registered = filled("d", NAN, n)
        self.t_consulted = filled("d", NAN, n)
        self.t_dispatched = filled("d", NAN, n)
        self.t_started = filled("d", NAN, n)
        self.t_on_site = filled("d", NAN, n)  # the first person reaches the issue (sets off + travel)
        self.t_made_safe = filled("d", NAN, n)  # made safe first in an emergency response (先行处置)
        self.t_handled = filled("d", NAN, n)
        self.t_fed_back = filled("d", NAN, n)
        self.t_verified = filled("d", NAN, n)
        self.t_closed = filled("d", NAN, n)
        self.deadline = filled("d", INF, n)
        self.wait = filled("d", 0.0, n)
        # who found, registered and handled it
        self.channel = filled("b", -1, n)
        self.finder = filled("i", -1, n)
        self.on_spot = filled("b", False, n)
        self.centre = filled("b", TOWN_CENTRE, n)
        self.lost = filled("b", False, n)
        self.unit_of = filled("i", -1, n)
        self.server_of = filled("i", -1, n)
        self.reporter = filled("i", -1, n)  # household that reported the issue (resident routes)
        self.rating = filled("b", -1, n)  # its rating of the closure: 0 satisfied, 1 basically, 2 dissatisfied
        # oversight
        self.supervised = filled("b", False, n)
        self.yellow = filled("b", False, n)
        self.red = filled("b", False, n)
        self.extended = filled("b", False, n)  # an extension was asked for
        self.granted = filled("b", False, n)
        self.breached = filled("b", False, n)
        self.dl_version = [0] * n
        # job state (3n)
        nj = 3 * n
        self.job_unit = [-1] * nj
        self.job_level = [0] * nj
        self.job_server = filled("i", -1, nj)
        self.job_token = filled("q", 0, nj)
        self.job_waiting = filled("b", False, nj)
        self.job_owner_q = filled("i", -1, nj)  # staff id whose own queue holds it
        self.job_enq = filled("d", 0.0, nj)
        self.job_start = filled("d", INF, nj)
        self.job_finish = filled("d", INF, nj)
        self.job_fail_factor = filled("d", 1.0, nj)
        self.job_work = filled("d", 0.0, nj)
        self.job_row = filled("i", -1, nj)  # the attempt (row of the attempt log) in progress
        self.job_epoch = filled("i", 0, nj)
        self.seq = 0
        # live backlog: issues at a unit and not yet closed
        self.open = 0
        self.backlog_t_h = floats([0.0])
        self.backlog_n = ints([0])

    def valid(self, job: int, tok: int) -> bool:
        """Is queue entry (``job``, ``tok``) still waiting (not taken, moved or re-queued)?"""
        return self.job_waiting[job] and self.job_token[job] == tok

    def record_backlog(self, t: float) -> None:
        """Add a point (``t``, open issues) to the live backlog series."""
        self.backlog_t_h.append(t)
        self.backlog_n.append(self.open)

    def entered(self, t: float, i: int) -> None:
        """Issue ``i`` reaches its first unit at ``t`` (once): it joins the live backlog
        (which counts the issues of the horizon, not the drain's background load)."""
        if self.t_first[i] != self.t_first[i]:
            self.t_first[i] = t
            if i < self.n_main:
                self.open += 1
                self.record_backlog(t)

    def left(self, t: float, i: int) -> None:
        """Issue ``i`` was closed at ``t``: it leaves the live backlog."""
        if i < self.n_main:
            self.open -= 1
            self.record_backlog(t)


class Room:
    """What every room of the lifecycle shares: the run's :class:`IssueBook` (``b``), its
    event loop, and its units and staff members (by index)."""

    def __init__(self, model, book: IssueBook, loop) -> None:
        self.b = book
        self.loop = loop
        self.units = model.people.units
        self.members = model.people.members
