"""Dispatch and attempts: a job reaches a unit, is given to a person (by the
``dispatch.rule``, :mod:`sim.lifecycle.dispatch`) or queues, and is worked on.

Every attempt, by a crew or a member, starts through :meth:`Attempts.start`; the member
decides where it sets off from, how long it takes on its own patch
(:meth:`sim.agents.staff.StaffMember.effort`) and what falls in its blocks. When an attempt
ends, the freed person takes its next job, and the job either fails (up the ladder, by
:class:`~sim.lifecycle.oversight.Oversight`) or is handled (on to
:class:`~sim.lifecycle.closure.Closure`).
"""

from __future__ import annotations

import numpy as np

from sim.agents.work_logs import CONSULTATION, HANDLING, MEDIATION, AttemptLog
from sim.columns import floats
from sim.lifecycle.dispatch import queue_key
from sim.lifecycle.dists import quantile, scalar_quantile
from sim.lifecycle.engine import BACKUP, END
from sim.lifecycle.issuebook import CONSULT, JOINT, MAIN, IssueBook, Room
from sim.lifecycle.routing import Reason
from sim.params import TRADES

MEDIATION_TRADE = TRADES.index("mediation")
GENERAL_TRADE = TRADES.index("general")


class Attempts(Room):
    """Dispatch and attempts of one run (see module doc). ``escalate``, ``part_done`` and
    ``consulted`` are the next rooms' entry points, wired by
    :class:`~sim.lifecycle.handling.Handling`."""

    def __init__(self, model, book: IssueBook, loop, dispatcher, blocks) -> None:
        super().__init__(model, book, loop)
        p = model.params
        self.people = model.people
        self.dispatcher = dispatcher
        self.log = AttemptLog(book.compact)
        self.blocks = blocks
        self.gives_way = p.staff.gives_way
        self.xy = None
        self.escalate = self.part_done = self.consulted = None
        types = p.issue_types
        n = book.n
        streams = model.streams
        self.severity = [t.severity for t in types]
        self.joint_share = [t.joint_work_share for t in types]
        self.p_fail_type = [t.p_fail_attempt for t in types]
        self.handling_dist = [t.handling for t in types]
        self.level_dur_multiplier = [p.levels.by_index(L).dur_multiplier for L in range(4)]
        mults = np.array(self.level_dur_multiplier)
        occ = model.occ
        u_handle = streams["handling"].random((n, 4))
        dur0 = np.zeros((n, 4))
        for k, t in enumerate(types):
            sel = occ.type == k
            if sel.any():
                dur0[sel] = quantile(t.handling, u_handle[sel], mults[None, :])
        # (n, 4) arrays read one element per attempt: nested lists would be ~10x the memory
        # (40 MB for a Chongming year) for a few ms of faster access
        self.dur0 = dur0
        self.u_fail = streams["failure"].random((n, 4))
        # the same, flat (row i, level L at 4 i + L), as columns for the per-attempt reads
        # (see :mod:`sim.columns`)
        self._dur0 = floats(dur0.ravel())
        self._u_fail = floats(self.u_fail.ravel())
        self.rng_fail = streams["failure"]
        self.rng_rework = streams["rework"]
        sp = p.staff
        self.familiarity = (sp.own_patch_duration_factor, sp.own_patch_fail_factor, sp.other_grid_duration_factor,
                            sp.other_grid_fail_factor)
        self.consult_h = sp.consultation_h
        # member -> units it serves, in the order it looks at their queues
        self.member_units: list[list] = [[] for _ in self.members]
        for u in self.units:
            for s in u.servers:
                self.member_units[s.sid].append(u)

    def release(self) -> None:
        """The run is over: drop the per-issue draws and the households' positions (see
        :meth:`sim.model.GovernanceModel.results`)."""
        self.xy = self.dur0 = self.u_fail = self._dur0 = self._u_fail = None

    def _key(self, job: int, unit) -> tuple:
        b = self.b
        i = job % b.n
        return queue_key(unit.discipline, b.supervised[i], self.severity[b.type[i]], b.deadline[i])

    # ------------------------------------------------------------------ arrival and dispatch
    def first_arrival(self, t: float, job: int) -> None:
        """A job arriving from intake (or after consultation)."""
        b = self.b
        i = job % b.n
        if job // b.n == CONSULT:
            self._consult_arrive(t, job)
            return
        b.entered(t, i)
        lvl = b.level[i]
        self.arrive_at(t, job, self.people.unit_for(lvl, b.geo[lvl][i], b.trade[i]), lvl)

    def on_arrive(self, t: float, job: int, tok: int) -> None:
        b = self.b
        n = b.n
        if job >= 2 * n or b.t_first[job % n] != b.t_first[job % n]:
            self.first_arrival(t, job)
            return
        i = job % n
        if tok != b.epoch[i]:
            return
        lvl = b.level[i]
        trade = b.trade[i] if job < n else b.part_trade[i]
        self.arrive_at(t, job, self.people.unit_for(lvl, b.geo[lvl][i], trade), lvl)

    def _assign(self, t: float, job: int, i: int, unit, level: int) -> None:
        b = self.b
        b.job_unit[job] = unit.uid
        b.job_level[job] = level
        b.job_enq[job] = t
        b.job_epoch[job] = b.epoch[i]
        b.unit_of[i] = unit.uid

    def arrive_at(self, t: float, job: int, uid: int, level: int) -> None:
        """``job`` reaches unit ``uid`` at ``t`` for handling at ``level``."""
        b = self.b
        n = b.n
        i = job % n
        unit = self.units[uid]
        if unit.kind == "crews":
            self._crew_arrive(t, job, unit, level)
            return
        trade = b.trade[i] if job < n else b.part_trade[i]
        disp = self.dispatcher
        if level == 0 and disp.rule == "village_pool" and unit.kind == "members":
            unit = self.units[self.people.village_unit[b.geo[1][i]]]
        if not unit.can_serve(trade):  # nobody here may do it: up the ladder
            if job < n:
                self.escalate(t, i, level, Reason.CAPABILITY)
            return
        if job < n and level >= 2 and b.joint_trade[i] >= 0 and unit.kind == "department":
            b.parts[i] = 2
            b.job_epoch[n + i] = b.epoch[i]
            self.arrive_at(t, n + i, self.people.unit_for(level, b.geo[level][i], b.joint_trade[i]), level)
        elif job < n and level <= 1 and b.crew2[i] and unit.kind == "members":
            b.parts[i] = 2  # a second person of the unit (or, past it, the village) works alongside
            b.job_epoch[n + i] = b.epoch[i]
            self.arrive_at(t, n + i, unit.uid, level)
        elif job < n:
            b.parts[i] = 1
        self._assign(t, job, i, unit, level)
        if unit.pooled:  # a department: whichever qualified case handler is free
            s = unit.take_free(trade, t)
            if s is None:
                self.enqueue_unit(job, unit, trade)
            else:
                self.begin(t, job, s)
            return
        xy = self.xy[b.household[i]] if self.xy is not None else None
        if level == 0 and disp.rule == "ab_post" and unit.kind == "members":
            self._ab_post(t, job, i, unit, trade, xy, None)
            return
        if level == 0 and disp.rule == "patch_owner":
            o = disp.owner_of(trade, b.household[i])
            if o >= 0:
                om = self.members[o]
                if om.can_do(1 << trade) and om.can_work_issues and \
                        self.units[self.people.grid_unit[om.grid]] is unit:
                    if om.free:
                        self.begin(t, job, om)
                        return
                    if om.own_queue_length(b.valid) >= disp.threshold:
                        helper = disp.best_free(unit.by_calendar(trade), t, xy, exclude=om,
                                                work_h=self.work_estimate_h(job))
                        if helper is not None:
                            self.begin(t, job, helper)
                            return
                    self.enqueue_own(job, om)
                    return
        s = disp.best_free(unit.by_calendar(trade), t, xy, work_h=self.work_estimate_h(job))
        if s is not None:
            self.begin(t, job, s)
            return
        self.enqueue_unit(job, unit, trade)

    def _ab_post(self, t: float, job: int, i: int, unit, trade: int, xy, exclude) -> None:
        """A/B posts: the member :meth:`~sim.lifecycle.dispatch.Dispatcher.ab_choice` names
        takes the job, or it queues at the grid (``exclude``: the post it passes on from)."""
        vunit = self.units[self.people.village_unit[self.b.geo[1][i]]]
        m, u = self.dispatcher.ab_choice(t, trade, self.b.household[i], unit, vunit, xy, exclude,
                                         self.work_estimate_h(job))
        if m is None:
            self.enqueue_unit(job, unit, trade)
        else:
            self._give(t, job, m, u)

    def work_estimate_h(self, job: int) -> float:
        """The working hours a job is expected to take at its level (its first attempt's
        draw; a consultation its set time): what dispatch weighs finishing times with."""
        b = self.b
        if job // b.n == CONSULT:
            return self.consult_h
        return self._dur0[4 * (job % b.n) + b.job_level[job]]

    def _give(self, t: float, job: int, m, unit) -> None:
        """Give ``job`` to member ``m`` of ``unit``: it begins if ``m`` is free, else it
        waits in ``m``'s own queue and passes on if still waiting after
        ``dispatch.backup_after_h`` (:meth:`on_backup`)."""
        b = self.b
        if b.job_unit[job] != unit.uid:
            b.job_unit[job] = unit.uid
            b.unit_of[job % b.n] = unit.uid
        if m.free:
            self.begin(t, job, m)
            return
        self.enqueue_own(job, m)
        self.loop.schedule(t + self.dispatcher.backup_h, BACKUP, job, b.job_token[job])

    def on_backup(self, t: float, job: int, tok: int) -> None:
        """An A/B post's wait is up: a job still waiting in a busy post's own queue passes
        on down the chain, that post left out."""
        b = self.b
        if not (b.job_waiting[job] and b.job_token[job] == tok and b.job_owner_q[job] >= 0):
            return
        holder = self.members[b.job_owner_q[job]]
        b.job_waiting[job] = False
        b.job_token[job] += 1
        n = b.n
        i = job % n
        trade = b.trade[i] if job < n else b.part_trade[i]
        xy = self.xy[b.household[i]] if self.xy is not None else None
        unit = self.units[self.people.grid_unit[b.geo[0][i]]]
        self._ab_post(t, job, i, unit, trade, xy, holder)

    def _crew_arrive(self, t: float, job: int, unit, level: int) -> None:
        """Abstract crews (one queue, all trades, no map): the lean path of the validation
        queues."""
        self.b.parts[job] = 1
        self._assign(t, job, job, unit, level)
        s = unit.take_free()
        if s is None:
            self.enqueue_unit(job, unit, 0)
        else:
            self._crew_begin(t, job, s)

    def enqueue_unit(self, job: int, unit, trade: int) -> None:
        b = self.b
        b.job_token[job] += 1
        b.job_waiting[job] = True
        b.job_owner_q[job] = -1
        b.seq += 1
        unit.push(0 if unit.kind == "crews" else trade, self._key(job, unit), b.seq, job, b.job_token[job])

    def enqueue_own(self, job: int, member) -> None:
        b = self.b
        b.job_token[job] += 1
        b.job_waiting[job] = True
        b.job_owner_q[job] = member.sid
        b.seq += 1
        member.enqueue(self._key(job, self.units[b.job_unit[job]]), b.seq, job, b.job_token[job])

    # ------------------------------------------------------------------ consultation (会商)
    def _consult_arrive(self, t: float, job: int) -> None:
        b = self.b
        i = job % b.n
        g = b.geo[0][i]
        lead = int(self.people.leader_sid[g])
        b.job_level[job] = 0
        b.job_enq[job] = t
        if lead >= 0 and self.members[lead].can_work_issues:
            m = self.members[lead]
            b.job_unit[job] = int(self.people.grid_unit[g])
            if m.free:
                self.begin(t, job, m)
            else:
                self.enqueue_own(job, m)
            return
        unit = self.units[self.people.village_unit[b.geo[1][i]]]  # no leader: the village cadres consult
        b.job_unit[job] = unit.uid
        s = self.dispatcher.best_free(unit.by_calendar(GENERAL_TRADE), t, None, work_h=self.consult_h)
        if s is not None:
            self.begin(t, job, s)
        else:
            self.enqueue_unit(job, unit, GENERAL_TRADE)

    # ------------------------------------------------------------------ attempts
    def _attempt_work_h(self, i: int, L: int) -> float:
        """Work (h) of an attempt on issue ``i`` at level ``L``: the issue's pre-drawn duration
        on its first attempt there (common random numbers across policies), a fresh draw on
        any later one."""
        b = self.b
        bit = 1 << L
        if not b.tried[i] & bit:
            b.tried[i] |= bit
            return self._dur0[4 * i + L]
        return self._fresh_work_h(i, L)

    def _fresh_work_h(self, i: int, L: int) -> float:
        """A fresh draw (h) of issue ``i``'s handling work at level ``L`` (repeat attempts,
        joint parts)."""
        return scalar_quantile(self.handling_dist[self.b.type[i]], self.rng_rework.random(),
                               self.level_dur_multiplier[L])

    def _crew_begin(self, t: float, job: int, s) -> None:
        """A crew takes issue ``job``: no map, no patch."""
        self.start(t, job, s, self._attempt_work_h(job, self.b.job_level[job]), 1.0, HANDLING, None)

    def begin(self, t: float, job: int, s) -> None:
        """Member ``s`` takes ``job`` at ``t``: the work it takes this member, then :meth:`start`."""
        b = self.b
        n = b.n
        i = job % n
        kind = job // n
        fail_factor = 1.0
        if kind == CONSULT:
            work = self.consult_h
            akind = CONSULTATION
        else:
            trade = b.trade[i] if kind == MAIN else b.part_trade[i]
            if kind == MAIN:
                work = self._attempt_work_h(i, b.job_level[job])
            elif b.crew2[i]:  # the second person works the job's time alongside
                work = self._dur0[4 * i + b.job_level[job]]
            else:
                work = self._fresh_work_h(i, b.job_level[job]) * self.joint_share[b.type[i]]
            work, fail_factor = s.effort(work, self.dispatcher.owner_of(trade, b.household[i]), b.geo[0][i],
                                         self.familiarity)
            akind = MEDIATION if trade == MEDIATION_TRADE else HANDLING
        xy = self.xy[b.household[i]] if (self.xy is not None and s.xy is not None) else None
        self.start(t, job, s, work, fail_factor, akind, xy)

    def start(self, t: float, job: int, s, work: float, fail_factor: float, akind: int, xy) -> None:
        """The one way an attempt starts: ``s`` sets off for ``xy`` at its next working
        moment and works ``work`` hours; the attempt is logged, the job and its issue
        record it, and its end is scheduled."""
        b = self.b
        n = b.n
        i = job % n
        start, finish, travel = s.begin(job, t, work, xy, self.blocks, self.gives_way)
        row = self.log.add(s.sid, start, finish, travel, work, akind, job, b.job_level[job])
        self.units[b.job_unit[job]].attempt_started(work)
        b.job_server[job] = s.sid
        b.job_start[job] = start
        b.job_finish[job] = finish
        b.job_fail_factor[job] = fail_factor
        b.job_work[job] = work
        b.job_waiting[job] = False
        b.job_token[job] += 1
        b.job_row[job] = row
        if job < n:  # the issue itself (not a joint part or a consultation)
            if b.t_started[i] != b.t_started[i]:
                b.t_started[i] = start
                b.t_on_site[i] = s.cal.add(start, travel) if travel > 0.0 else start
            b.wait[i] += start - b.job_enq[job]
            b.server_of[i] = s.sid
        self.loop.schedule(finish, END, job, row)

    def cancel(self, t: float, i: int) -> bool:
        """Pull issue ``i`` back if its job is taken but its attempt has not started by ``t``
        (an overdue issue escalated): the person is freed and takes its next job. False when
        the attempt is under way."""
        b = self.b
        s_id = b.job_server[i]
        if not (s_id >= 0 and b.job_start[i] > t and b.job_finish[i] > t and self.members[s_id].job == i):
            return False
        s = self.members[s_id]
        s.cancel(self.blocks, self.gives_way, b.job_start[i], b.job_finish[i])
        self.log.cancelled[b.job_row[i]] = True
        b.job_token[i] += 1
        self.units[b.job_unit[i]].attempt_cancelled(b.job_work[i])
        b.wait[i] -= b.job_start[i] - b.job_enq[i]
        b.wait[i] += t - b.job_enq[i]
        if b.t_started[i] == b.job_start[i]:
            b.t_started[i] = b.t_on_site[i] = float("nan")  # it never started
        b.tried[i] &= ~(1 << b.job_level[i])
        self.next_for(t, s)
        return True

    def next_for(self, t: float, s) -> None:
        """A freed server takes its next job: its own queue, then its units' queues."""
        valid = self.b.valid
        if s.team == "crew":
            unit = self.member_units[s.sid][0]
            j = unit.pop_single(valid)
            if j >= 0:
                self._crew_begin(t, j, s)
            else:
                unit.release(s)
            return
        # a unit whose qlen is 0 has no valid entry (qlen counts the jobs waiting there): it
        # is not searched (most searches find nothing: 196 k of 220 k in a pre-reform year)
        if s.team == "department":
            unit = self.member_units[s.sid][0]
            j = unit.pop_for(s, valid) if unit.qlen else -1
            if j >= 0:
                self.b.job_waiting[j] = False
                self.begin(t, j, s)
            else:
                unit.release(s)
            return
        j = s.next_own(valid) if s.queue else -1
        if j < 0:
            for u in self.member_units[s.sid]:
                if u.qlen:
                    j = u.pop_for(s, valid)
                    if j >= 0:
                        break
        if j >= 0:
            self.b.job_waiting[j] = False
            self.begin(t, j, s)

    def on_end(self, t: float, job: int, row: int) -> None:
        """The attempt logged in ``row`` ends: its server is free; the job goes on unless it
        was re-dispatched meanwhile (a joint part of an issue that moved on)."""
        log = self.log
        if log.cancelled[row]:
            return
        b = self.b
        n = b.n
        i = job % n
        kind = job // n
        s = self.members[log.member[row]]
        s.end()
        self.next_for(t, s)
        if row != b.job_row[job]:
            return
        if kind == CONSULT:
            self.consulted(t, i)
            return
        if b.job_epoch[job] != b.epoch[i]:
            return  # the issue moved on while this part was in progress
        if kind == JOINT:
            self.part_done(t, i, s)
            return
        L = b.job_level[job]
        unit = self.units[b.job_unit[job]]
        p_type = self.p_fail_type[b.type[i]]
        pf = (p_type if (p_type is not None and L < 2) else unit.p_fail) * b.job_fail_factor[job]
        if pf > 0.0:
            bit = 1 << L
            if b.fail_drawn[i] & bit:
                uf = self.rng_fail.random()
            else:
                b.fail_drawn[i] |= bit
                uf = self._u_fail[4 * i + L]
            if uf < pf:
                self.escalate(t, i, L, Reason.FAILED)
                return
        b.level_reached[i] = max(b.level_reached[i], L)
        self.part_done(t, i, s)
