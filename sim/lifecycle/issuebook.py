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

from sim.columns import Columns, shared_ints
from sim.lifecycle.intake import TOWN_CENTRE
from sim.params import TRADES

MAIN, JOINT, CONSULT = range(3)
NAN = float("nan")
INF = float("inf")


class IssueBook:
    """Issue and job state of one run (see module doc). ``n`` issues, ``3 n`` jobs."""

    def __init__(self, p, occ, compact: bool = True) -> None:
        c = Columns(compact)  # typed columns, or lists on the lean path (see sim.columns.Columns)
        self.compact = compact
        n = occ.n
        self.n = n
        self.n_main = occ.n_main  # issues of the horizon; the rest are the drain's background load
        types = p.issue_types
        # what the issue is (fixed at occurrence)
        self.type = occ.type.tolist()
        self.household = c.ints(occ.household)
        self.geo = [shared_ints(occ.grid), shared_ints(occ.village), shared_ints(occ.town), [0] * n]  # by level
        self.trade = [TRADES.index(types[k].trade) for k in self.type]
        jt = [TRADES.index(t.joint_trade) if t.joint_trade else -1 for t in types]
        self.joint_trade = c.of("b", [jt[k] for k in self.type])
        # a second person at grid or village level (crew_size 2, not a joint case)
        self.crew2 = c.of("b", [types[k].crew_size >= 2 and not types[k].joint_trade for k in self.type])
        # the trade of the second part: the joint department's, or the same for a second person
        self.part_trade = [j if j >= 0 else (tr if c else -1)
                           for j, tr, c in zip(self.joint_trade, self.trade, self.crew2)]
        # where it is
        self.level = [0] * n
        self.level_reached = [0] * n
        self.escalations = c.filled("h", 0, n)
        self.routed_up = c.filled("h", 0, n)
        self.reworks = c.filled("h", 0, n)
        self.tried = [0] * n  # bitmask of levels attempted
        self.fail_drawn = [0] * n
        self.epoch = [0] * n  # bumped when the issue moves: jobs of an older epoch are void
        self.parts = [0] * n
        # stage timestamps (h)
        self.t_first = c.filled("d", NAN, n)
        self.t_reported = c.filled("d", NAN, n)
        self.t_discovered = c.filled("d", NAN, n)
        self.t_registered = c.filled("d", NAN, n)
        self.t_consulted = c.filled("d", NAN, n)
        self.t_dispatched = c.filled("d", NAN, n)
        self.t_started = c.filled("d", NAN, n)
        self.t_on_site = c.filled("d", NAN, n)  # the first person reaches the issue (sets off + travel)
        self.t_made_safe = c.filled("d", NAN, n)  # made safe first in an emergency response (先行处置)
        self.t_handled = c.filled("d", NAN, n)
        self.t_fed_back = c.filled("d", NAN, n)
        self.t_verified = c.filled("d", NAN, n)
        self.t_closed = c.filled("d", NAN, n)
        self.deadline = c.filled("d", INF, n)
        self.wait = c.filled("d", 0.0, n)
        # who found, registered and handled it
        self.channel = c.filled("b", -1, n)
        self.finder = c.filled("i", -1, n)
        self.on_spot = c.filled("b", False, n)
        self.centre = c.filled("b", TOWN_CENTRE, n)
        self.lost = c.filled("b", False, n)
        self.unit_of = c.filled("i", -1, n)
        self.server_of = c.filled("i", -1, n)
        self.reporter = c.filled("i", -1, n)  # household that reported the issue (resident routes)
        self.rating = c.filled("b", -1, n)  # its rating of the closure: 0 satisfied, 1 basically, 2 dissatisfied
        # oversight
        self.supervised = c.filled("b", False, n)
        self.yellow = c.filled("b", False, n)
        self.red = c.filled("b", False, n)
        self.extended = c.filled("b", False, n)  # an extension was asked for
        self.granted = c.filled("b", False, n)
        self.breached = c.filled("b", False, n)
        self.dl_version = [0] * n
        # job state (3n)
        nj = 3 * n
        self.job_unit = [-1] * nj
        self.job_level = [0] * nj
        self.job_server = c.filled("i", -1, nj)
        self.job_token = c.filled("q", 0, nj)
        self.job_waiting = c.filled("b", False, nj)
        self.job_owner_q = c.filled("i", -1, nj)  # staff id whose own queue holds it
        self.job_enq = c.filled("d", 0.0, nj)
        self.job_start = c.filled("d", INF, nj)
        self.job_finish = c.filled("d", INF, nj)
        self.job_fail_factor = c.filled("d", 1.0, nj)
        self.job_work = c.filled("d", 0.0, nj)
        self.job_row = c.filled("i", -1, nj)  # the attempt (row of the attempt log) in progress
        self.job_epoch = c.filled("i", 0, nj)
        self.seq = 0
        # live backlog: issues at a unit and not yet closed
        self.open = 0
        self.backlog_t_h = c.floats([0.0])
        self.backlog_n = c.ints([0])

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
