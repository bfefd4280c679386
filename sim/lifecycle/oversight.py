"""Oversight of time limits (督办, 延期) and the moves up the ladder.

Each dispatched issue gets its time-limit stages as events. Under
``escalation.on_overdue``:

- ``escalate``: at ``breach_fraction`` of its limit an issue not yet being worked on moves
  up a level (:attr:`~sim.lifecycle.routing.Reason.OVERDUE`);
- ``supervise``: at its deadline the issue gets a yellow warning and is supervised (督办:
  first in its queue), later a red warning;
- ``extend``: as ``supervise``, but an extendable type first asks for an extension (延期),
  granted with ``p_extension_granted``.

:meth:`Oversight.escalate` is the one move up for every :class:`~sim.lifecycle.routing.Reason`
(the target from :func:`~sim.lifecycle.routing.escalation_target`).
"""

from __future__ import annotations

from sim.columns import floats
from sim.lifecycle.dists import scalar_quantile
from sim.lifecycle.engine import ARRIVE, OVERDUE
from sim.lifecycle.issuebook import IssueBook, Room
from sim.lifecycle.routing import TOP, Reason, escalation_target

BREACH, YELLOW, RED = range(3)
"""Time-limit stages (an OVERDUE event's token is ``4 * deadline version + stage``)."""


class Oversight(Room):
    """Time limits and escalation of one run (see module doc); ``attempts`` is wired by
    :class:`~sim.lifecycle.handling.Handling`."""

    def __init__(self, model, book: IssueBook, loop) -> None:
        super().__init__(model, book, loop)
        p = model.params
        self.attempts = None
        esc = p.escalation
        self.esc = esc
        self.rule = esc.rule
        self.handover = esc.handover
        self.policy = esc.on_overdue
        types = p.issue_types
        self.extendable = [t.extendable for t in types]
        self.limit_wh = [t.time_limit_wh for t in types]
        self.u_extension = floats(model.streams["extension"].random(book.n))
        self.rng_handover = model.streams["handover"]
        self.level_cals = model.level_cals
        self.office = model.office_cal

    def schedule(self, i: int, t_disp: float) -> None:
        """Issue ``i`` was dispatched at ``t_disp``: schedule its first time-limit stage."""
        esc = self.esc
        b = self.b
        limit = self.limit_wh[b.type[i]]
        v = b.dl_version[i] * 4
        if self.policy == "escalate":
            if esc.breach_fraction is not None:
                self.loop.schedule(self.office.add(t_disp, esc.breach_fraction * limit), OVERDUE, i, v + BREACH)
            return
        self.loop.schedule(b.deadline[i], OVERDUE, i, v + YELLOW)

    def escalate(self, t: float, i: int, L: int, reason: Reason) -> None:
        """Move issue ``i`` up from level ``L`` by the escalation rule, received after a
        hand-over on the receiving level's calendar."""
        b = self.b
        target = escalation_target(L, self.rule)
        if reason == Reason.CAPABILITY:
            b.routed_up[i] += 1
        else:
            b.escalations[i] += 1
        b.epoch[i] += 1
        b.level[i] = target
        if target > b.level_reached[i]:
            b.level_reached[i] = target
        d = scalar_quantile(self.handover, self.rng_handover.random(), 1.0)
        ta = self.level_cals[target].add(t, d) if d > 0.0 else t
        self.loop.schedule(ta, ARRIVE, i, b.epoch[i])

    def on_overdue(self, t: float, i: int, tok: int) -> None:
        b = self.b
        if tok // 4 != b.dl_version[i] or b.t_handled[i] == b.t_handled[i] or b.t_closed[i] == b.t_closed[i]:
            return
        stage = tok % 4
        if stage == BREACH:
            self._breach(t, i)
            return
        if stage == RED:
            b.red[i] = True
            return
        esc = self.esc
        if self.policy == "extend" and self.extendable[b.type[i]] and not b.extended[i]:
            b.extended[i] = True
            if self.u_extension[i] < esc.p_extension_granted:  # 延期 granted: not late
                b.granted[i] = True
                b.deadline[i] = self.office.add(b.deadline[i], esc.extension_wh)
                b.dl_version[i] += 1
                self.loop.schedule(b.deadline[i], OVERDUE, i, b.dl_version[i] * 4 + YELLOW)
                return
        self._supervise(i)
        red = self.office.add(b.deadline[i], (esc.red_warning_fraction - 1.0) * self.limit_wh[b.type[i]])
        self.loop.schedule(max(red, t), OVERDUE, i, b.dl_version[i] * 4 + RED)

    def _supervise(self, i: int) -> None:
        """督办: the issue stays with its unit and moves to the front of its queue."""
        b = self.b
        b.yellow[i] = True
        if b.supervised[i]:
            return
        b.supervised[i] = True
        if b.job_waiting[i]:
            o = b.job_owner_q[i]
            if o >= 0:
                self.attempts.enqueue_own(i, self.members[o])
            else:
                unit = self.units[b.job_unit[i]]
                unit.left_queue()
                self.attempts.enqueue_unit(i, unit, b.trade[i])

    def _breach(self, t: float, i: int) -> None:
        """``escalate`` policy: an issue not yet being worked on at its breach time moves up."""
        b = self.b
        L = b.level[i]
        if L >= TOP or b.t_first[i] != b.t_first[i]:
            return
        if b.job_waiting[i]:
            b.job_waiting[i] = False
            b.job_token[i] += 1
            if b.job_owner_q[i] < 0:
                self.units[b.job_unit[i]].left_queue()
            b.wait[i] += t - b.job_enq[i]
        elif not self.attempts.cancel(t, i):
            return  # in progress (or between stages): it stays
        b.breached[i] = True
        self.escalate(t, i, L, Reason.OVERDUE)
