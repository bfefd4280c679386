"""The dynamic part of the closed loop: dispatch to people, handling, escalation,
supervision and extensions, feedback, verification, rework and closure.

Per-issue and per-job state lives in Python lists (scalar access is several times faster
than numpy element access in the event loop) and becomes numpy columns at the end. A
*job* is one piece of work on an issue: the issue itself (job id = issue id), the second
department's part of a joint case (联合处置, id + n) or the grid leader's consultation (会商,
id + 2n). People act through their own methods (``begin``, ``end``, ``cancel``); units
keep their own queues. Stages that take no time cost no event.
"""

from __future__ import annotations

import math

import numpy as np

from sim.agents.staff import AttemptLog, BlockLog
from sim.agents.teams import GRID_TEAMS
from sim.lifecycle.dispatch import Dispatcher, household_xy, queue_key
from sim.lifecycle.discovery import NOTICE
from sim.lifecycle.dists import quantile, scalar_quantile
from sim.lifecycle.engine import EventLoop
from sim.lifecycle.intake import DISTRICT_PLATFORM, TOWN_CENTRE, Intake
from sim.lifecycle.routing import capability_hops, escalation_target
from sim.params import LEVELS, TRADES

ARRIVE, END, CLOSE, OVERDUE, TICK, DISCOVER, DAY = range(7)
MAIN, JOINT, CONSULT = range(3)
HANDLING, CONSULTATION, MEDIATION = range(3)
BREACH, YELLOW, RED = range(3)
NAN = float("nan")
INF = float("inf")
TOP = 3
MEDIATION_TRADE = TRADES.index("mediation")
GENERAL_TRADE = TRADES.index("general")
REASONS = ("capability", "failed", "overdue", "rework_cap")


class Handling:
    """Runs every issue of a model through its units (see module doc)."""

    def __init__(self, model):
        p = model.params
        self.model = model
        self.p = p
        occ = model.occ
        ppl = model.people
        self.occ = occ
        self.people = ppl
        self.units = ppl.units
        self.members = ppl.members
        self.intake: Intake = model.intake
        self.discovery = model.discovery
        self.dispatcher = Dispatcher(p, ppl)
        self.loop = EventLoop()
        self.log = AttemptLog()
        self.gives_way = p.staff.gives_way
        self.blocks = BlockLog() if model.has_members else None
        self.discovery.blocks = self.blocks
        n = occ.n
        self.n = n
        types = p.issue_types
        streams = model.streams
        self.type = occ.type.tolist()
        self.household = occ.household.tolist()
        self.geo = [occ.grid.tolist(), occ.village.tolist(), occ.town.tolist(), [0] * n]
        self.xy = household_xy(model.world)
        self.trade = [TRADES.index(types[k].trade) for k in self.type]
        jt = [TRADES.index(t.joint_trade) if t.joint_trade else -1 for t in types]
        self.joint_trade = [jt[k] for k in self.type]
        self.joint_share = [t.joint_work_share for t in types]
        self.severity = [t.severity for t in types]
        self.extendable = [t.extendable for t in types]
        self.limit_wh = [t.time_limit_wh for t in types]
        self.p_fail_type = [t.p_fail_attempt for t in types]
        rework_scale = 1.5 - p.teams.training_level if model.has_members else 1.0
        self.p_rework = [min(1.0, t.p_rework * rework_scale) for t in types]
        self.handling_dist = [t.handling for t in types]
        self.dur_spot = [t.dur_on_spot_h for t in types]
        self.level_dur_multiplier = [p.levels.by_index(L).dur_multiplier for L in range(4)]
        mults = np.array(self.level_dur_multiplier)
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
        rw = streams["rework"]
        self.u_rework = rw.random(n).tolist()
        self.u_extension = streams["extension"].random(n).tolist()
        self.rng_rework, self.rng_fail = rw, streams["failure"]
        self.rng_handling, self.rng_feedback = streams["handling"], streams["feedback"]
        self.rng_verify, self.rng_handover = streams["verification"], streams["handover"]
        lc = p.lifecycle
        self.fb, self.ver = lc.feedback, lc.verify
        self.instant_close = lc.feedback.mean_h == 0.0 and lc.verify.mean_h == 0.0
        self.max_reworks = lc.max_reworks
        esc = p.escalation
        self.rule = esc.rule
        self.handover = esc.handover
        self.policy = esc.on_overdue
        self.level_cals = model.level_cals
        self.office = model.office_cal
        sp = p.staff
        self.fam = (sp.own_patch_duration_factor, sp.own_patch_fail_factor, sp.other_grid_duration_factor,
                    sp.other_grid_fail_factor)
        self.consult_h = sp.consultation_h
        # member -> units it serves, in the order it looks at their queues
        self.member_units: list[list] = [[] for _ in self.members]
        for u in self.units:
            for s in u.servers:
                self.member_units[s.sid].append(u)
        # issue state
        self.level = [0] * n
        self.level_reached = [0] * n
        self.escalations = [0] * n
        self.routed_up = [0] * n
        self.reworks = [0] * n
        self.tried = [0] * n  # bitmask of levels attempted
        self.fail_drawn = [0] * n
        self.epoch = [0] * n  # bumped when the issue moves: jobs of an older epoch are void
        self.parts = [0] * n
        self.t_first = [NAN] * n
        self.t_reported = [NAN] * n
        self.t_discovered = [NAN] * n
        self.channel = [-1] * n
        self.finder = [-1] * n
        self.on_spot = [False] * n
        self.t_registered = [NAN] * n
        self.t_consulted = [NAN] * n
        self.t_dispatched = [NAN] * n
        self.t_started = [NAN] * n
        self.t_handled = [NAN] * n
        self.t_fed_back = [NAN] * n
        self.t_verified = [NAN] * n
        self.t_closed = [NAN] * n
        self.deadline = [INF] * n
        self.wait = [0.0] * n
        self.centre = [TOWN_CENTRE] * n
        self.lost = [False] * n
        self.unit_of = [-1] * n
        self.server_of = [-1] * n
        self.supervised = [False] * n
        self.yellow = [False] * n
        self.red = [False] * n
        self.extended = [False] * n  # an extension was asked for
        self.granted = [False] * n
        self.breached = [False] * n
        self.dl_version = [0] * n
        # job state (3n)
        nj = 3 * n
        self.job_unit = [-1] * nj
        self.job_level = [0] * nj
        self.job_server = [-1] * nj
        self.job_token = [0] * nj
        self.job_waiting = [False] * nj
        self.job_owner_q = [-1] * nj  # staff id whose own queue holds it
        self.job_enq = [0.0] * nj
        self.job_start = [INF] * nj
        self.job_finish = [INF] * nj
        self.job_fail_factor = [1.0] * nj
        self.job_work = [0.0] * nj
        self.job_row = [-1] * nj  # the attempt (row of the attempt log) in progress
        self.job_epoch = [0] * nj
        self.seq = 0
        # live backlog: issues at a unit and not yet closed
        self.open = 0
        self.bl_t: list[float] = [0.0]
        self.bl_n: list[int] = [0]
        self.households = model.households
        self.reporter = [-1] * n  # household that reported the issue (resident routes)
        self.rating = [-1] * n  # its rating of the closure: 0 satisfied, 1 basically, 2 dissatisfied

    # ------------------------------------------------------------------ helpers
    def valid(self, job: int, tok: int) -> bool:
        return self.job_waiting[job] and self.job_token[job] == tok

    def _record_backlog(self, t: float) -> None:
        self.bl_t.append(t)
        self.bl_n.append(self.open)

    def _key(self, job: int, unit) -> tuple:
        i = job % self.n
        return queue_key(unit.discipline, self.supervised[i], self.severity[self.type[i]], self.deadline[i])

    # ------------------------------------------------------------------ intake
    def found(self, t: float, i: int, channel: int, finder: int, on_spot: bool) -> None:
        """Issue ``i`` is found at ``t``: record it, run intake, and send it on (at once
        when nothing takes time, else as an event)."""
        self.t_discovered[i] = t
        self.channel[i] = channel
        self.finder[i] = finder
        r = self.intake.process(i, t, channel, on_spot)
        self.t_reported[i] = r.t_reported
        self.t_registered[i] = r.t_registered
        self.centre[i] = r.centre
        self.lost[i] = r.lost
        if on_spot:
            self.on_spot[i] = True
            done = t + self.dur_spot[self.type[i]]
            self.t_dispatched[i] = self.t_started[i] = t
            self.t_handled[i] = self.t_fed_back[i] = self.t_verified[i] = self.t_closed[i] = done
            return
        if r.consult:
            self._send(r.t_registered, 2 * self.n + i, 0)
            return
        if r.t_consulted != INF:
            self.t_consulted[i] = r.t_consulted
        self._dispatched(i, r.t_dispatched, r.deadline, r.level, r.routed_up)
        self._send(r.t_arrive, i, 0)

    def _send(self, ta: float, job: int, tok: int) -> None:
        if ta <= self.loop.now:
            self.first_arrival(self.loop.now, job)
        else:
            self.loop.schedule(ta, ARRIVE, job, tok)

    def on_discover(self, t: float, i: int, version: int = 0) -> None:
        """A continuous (or instant) channel's discovery of issue ``i`` comes due, or the
        household at the issue notices it and decides."""
        disc = self.discovery
        c = disc.continuous(i, version)
        if c >= 0:
            self.found(t, i, c, -1, disc.on_spot_fix(i, c, None))
        elif c == NOTICE:
            hh = self.households
            route = hh.route(i, t) if hh.notices(i, t) else -1
            if route >= 0:
                disc.mark_found(i)
                hh.reported(i, t)
                self.reporter[i] = int(self.household[i])
                self.found(t, i, route, -1, False)
                return
            nxt = disc.renew_notice(i, t, float(hh.reconsider_rates(np.array([i]), disc.vis[[i]])[0]))
            if nxt is not None:
                self.loop.schedule(nxt[0], DISCOVER, nxt[1], nxt[2])

    def on_day(self, t: float, _job: int = 0, _tok: int = 0) -> None:
        """Midnight: households take in the day's ratings (memory, word of mouth), and those
        still reconsidering an issue do so at their new trust."""
        hh = self.households
        changed = hh.update_trust()
        if len(changed):
            ids = hh.waiting_issues(changed)
            if ids:
                disc = self.discovery
                arr = np.asarray(ids, dtype=np.int64)
                for ta, i, v in disc.update_notice_rates(ids, hh.reconsider_rates(arr, disc.vis[arr]), t):
                    self.loop.schedule(ta, DISCOVER, i, v)

    def on_tick(self, t: float, channel: int, role: int) -> None:
        """A round: the issues it finds go through intake one by one."""
        f = self.discovery.tick(t, channel, role)
        for i, c, fnd, spot in zip(f.ids.tolist(), f.channel.tolist(), f.finder.tolist(), f.on_spot.tolist()):
            self.found(t, i, c, fnd, spot)

    def _dispatched(self, i: int, t_disp: float, deadline: float, level: int, hops: int) -> None:
        self.t_dispatched[i] = t_disp
        self.deadline[i] = deadline
        self.level[i] = level
        self.level_reached[i] = level
        self.routed_up[i] = hops
        self._schedule_overdue(i, t_disp)

    def _schedule_overdue(self, i: int, t_disp: float) -> None:
        esc = self.p.escalation
        limit = self.limit_wh[self.type[i]]
        v = self.dl_version[i] * 4
        if self.policy == "escalate":
            if esc.breach_fraction is not None:
                self.loop.schedule(self.office.add(t_disp, esc.breach_fraction * limit), OVERDUE, i, v + BREACH)
            return
        self.loop.schedule(self.deadline[i], OVERDUE, i, v + YELLOW)

    # ------------------------------------------------------------------ arrival and dispatch
    def first_arrival(self, t: float, job: int) -> None:
        """A job arriving from intake (or after consultation)."""
        i = job % self.n
        kind = job // self.n
        if kind == CONSULT:
            self._consult_arrive(t, job)
            return
        if self.t_first[i] != self.t_first[i]:
            self.t_first[i] = t
            self.open += 1
            self._record_backlog(t)
        lvl = self.level[i]
        self.arrive_at(t, job, self.people.unit_for(lvl, self.geo[lvl][i], self.trade[i]), lvl)

    def on_arrive(self, t: float, job: int, tok: int) -> None:
        if job >= 2 * self.n or self.t_first[job % self.n] != self.t_first[job % self.n]:
            self.first_arrival(t, job)
            return
        i = job % self.n
        if tok != self.epoch[i]:
            return
        lvl = self.level[i]
        trade = self.trade[i] if job < self.n else self.joint_trade[i]
        self.arrive_at(t, job, self.people.unit_for(lvl, self.geo[lvl][i], trade), lvl)

    def arrive_at(self, t: float, job: int, uid: int, level: int) -> None:
        """``job`` reaches unit ``uid`` at ``t`` for handling at ``level``."""
        n = self.n
        i = job % n
        unit = self.units[uid]
        if unit.kind == "crews":
            self._crew_arrive(t, job, unit, level)
            return
        trade = self.trade[i] if job < n else self.joint_trade[i]
        disp = self.dispatcher
        if level == 0 and disp.rule == "village_pool" and unit.kind == "members":
            unit = self.units[self.people.village_unit[self.geo[1][i]]]
        if not unit.can_serve(trade):  # nobody here may do it: up the ladder
            if job < n:
                self._escalate(t, i, level, 0)
            return
        if job < n and level >= 2 and self.joint_trade[i] >= 0 and unit.kind == "department":
            self.parts[i] = 2
            self.job_epoch[n + i] = self.epoch[i]
            self.arrive_at(t, n + i, self.people.unit_for(level, self.geo[level][i], self.joint_trade[i]), level)
        elif job < n:
            self.parts[i] = 1
        self.job_unit[job] = unit.uid
        self.job_level[job] = level
        self.job_enq[job] = t
        self.job_epoch[job] = self.epoch[i]
        self.unit_of[i] = unit.uid
        if unit.pooled:  # a department: whichever qualified case handler is free
            s = unit.take_free(trade)
            if s is None:
                self._enqueue_unit(job, unit, trade)
            else:
                self._begin(t, job, s)
            return
        xy = self.xy[self.household[i]] if self.xy is not None else None
        if level == 0 and disp.rule == "patch_owner":
            o = disp.owner_of(trade, self.household[i])
            if o >= 0:
                om = self.members[o]
                if om.trades >> trade & 1 and om.cal is not None and self.units[self.people.grid_unit[om.grid]] is unit:
                    if om.job < 0:
                        self._begin(t, job, om)
                        return
                    if om.own_queue_length(self.valid) >= disp.threshold:
                        helper = disp.best_free(unit.by_trade[trade], t, xy, exclude=om)
                        if helper is not None:
                            self._begin(t, job, helper)
                            return
                    self._enqueue_own(job, om)
                    return
        s = disp.best_free(unit.by_trade[trade], t, xy)
        if s is not None:
            self._begin(t, job, s)
            return
        self._enqueue_unit(job, unit, trade)

    def _crew_arrive(self, t: float, job: int, unit, level: int) -> None:
        """Abstract crews (one queue, all trades, no map): the lean path of the validation
        queues."""
        i = job
        self.parts[i] = 1
        self.job_unit[job] = unit.uid
        self.job_level[job] = level
        self.job_enq[job] = t
        self.job_epoch[job] = self.epoch[i]
        self.unit_of[i] = unit.uid
        s = unit.take_free()
        if s is None:
            self._enqueue_unit(job, unit, 0)
        else:
            self._crew_begin(t, job, s, unit)

    def _attempt_work_h(self, i: int, L: int) -> float:
        """Work (h) of an attempt on issue ``i`` at level ``L``: the issue's pre-drawn duration
        on its first attempt there (common random numbers across policies), a fresh draw on
        any later one."""
        bit = 1 << L
        if not self.tried[i] & bit:
            self.tried[i] |= bit
            return float(self.dur0[i, L])
        return self._fresh_work_h(i, L)

    def _fresh_work_h(self, i: int, L: int) -> float:
        """A fresh draw (h) of issue ``i``'s handling work at level ``L`` (repeat attempts,
        joint parts)."""
        return scalar_quantile(self.handling_dist[self.type[i]], self.rng_rework.random(), self.level_dur_multiplier[L])

    def _crew_begin(self, t: float, job: int, s, unit) -> None:
        i = job
        work = self._attempt_work_h(i, self.job_level[job])
        cal = s.cal
        if cal.always_on:
            start, finish = t, t + work
        else:
            start = cal.next_open(t)
            finish = cal.add(start, work)
        s.take(job, start, finish, work, self.log)
        unit.attempt_started(work)
        self.job_server[job] = s.sid
        self.job_start[job] = start
        self.job_finish[job] = finish
        self.job_fail_factor[job] = 1.0
        self.job_work[job] = work
        self.job_waiting[job] = False
        self.job_token[job] += 1
        self.job_row[job] = s._row
        if self.t_started[i] != self.t_started[i]:
            self.t_started[i] = start
        self.wait[i] += start - self.job_enq[job]
        self.server_of[i] = s.sid
        self.loop.schedule(finish, END, job, s._row)

    def _enqueue_unit(self, job: int, unit, trade: int) -> None:
        self.job_token[job] += 1
        self.job_waiting[job] = True
        self.job_owner_q[job] = -1
        self.seq += 1
        unit.push(0 if unit.kind == "crews" else trade, self._key(job, unit), self.seq, job, self.job_token[job])

    def _enqueue_own(self, job: int, member) -> None:
        self.job_token[job] += 1
        self.job_waiting[job] = True
        self.job_owner_q[job] = member.sid
        self.seq += 1
        member.enqueue(self._key(job, self.units[self.job_unit[job]]), self.seq, job, self.job_token[job])

    # ------------------------------------------------------------------ consultation (会商)
    def _consult_arrive(self, t: float, job: int) -> None:
        i = job % self.n
        g = self.geo[0][i]
        lead = int(self.people.leader_sid[g])
        self.job_level[job] = 0
        self.job_enq[job] = t
        if lead >= 0 and self.members[lead].cal is not None:
            m = self.members[lead]
            self.job_unit[job] = int(self.people.grid_unit[g])
            if m.job < 0:
                self._begin(t, job, m)
            else:
                self._enqueue_own(job, m)
            return
        unit = self.units[self.people.village_unit[self.geo[1][i]]]  # no leader: the village cadres consult
        self.job_unit[job] = unit.uid
        s = self.dispatcher.best_free(unit.by_trade[GENERAL_TRADE], t, None)
        if s is not None:
            self._begin(t, job, s)
        else:
            self._enqueue_unit(job, unit, GENERAL_TRADE)

    def _consult_done(self, t: float, i: int) -> None:
        self.t_consulted[i] = t
        lvl, hops, t_arr = self.intake.route(t, i)
        self._dispatched(i, t, self.intake.deadline(t, i), lvl, hops)
        self._send(t_arr, i, self.epoch[i])

    # ------------------------------------------------------------------ attempts
    def _begin(self, t: float, job: int, s) -> None:
        n = self.n
        i = job % n
        kind = job // n
        unit = self.units[self.job_unit[job]]
        L = self.job_level[job]
        fail_factor = 1.0
        if kind == CONSULT:
            work = self.consult_h
            akind = CONSULTATION
        else:
            trade = self.trade[i] if kind == MAIN else self.joint_trade[i]
            if kind == MAIN:
                work = self._attempt_work_h(i, L)
            else:
                work = self._fresh_work_h(i, L) * self.joint_share[self.type[i]]
            if s.team in GRID_TEAMS:
                own, fo, other, fx = self.fam
                if self.dispatcher.owner_of(trade, self.household[i]) == s.sid:
                    work *= own
                    fail_factor = fo
                elif s.grid != self.geo[0][i]:
                    work *= other
                    fail_factor = fx
            akind = MEDIATION if trade == MEDIATION_TRADE else HANDLING
        xy = self.xy[self.household[i]] if (self.xy is not None and s.xy is not None) else None
        start, finish = s.begin(job, t, work, xy, akind, self.log, self.blocks, self.gives_way)
        unit.attempt_started(work)
        self.job_server[job] = s.sid
        self.job_start[job] = start
        self.job_finish[job] = finish
        self.job_fail_factor[job] = fail_factor
        self.job_work[job] = work
        self.job_waiting[job] = False
        self.job_token[job] += 1
        self.job_row[job] = s._row
        if kind == MAIN:
            if self.t_started[i] != self.t_started[i]:
                self.t_started[i] = start
            self.wait[i] += start - self.job_enq[job]
            self.server_of[i] = s.sid
        self.loop.schedule(finish, END, job, s._row)

    def _next_for(self, t: float, s) -> None:
        """A freed server takes its next job: its own queue, then its units' queues."""
        if s.team == "crew":
            unit = self.member_units[s.sid][0]
            j = unit.pop_single(self.valid)
            if j >= 0:
                self._crew_begin(t, j, s, unit)
            else:
                unit.release(s)
            return
        if s.team == "department":
            unit = self.member_units[s.sid][0]
            j = unit.pop_for(s, self.valid)
            if j >= 0:
                self.job_waiting[j] = False
                self._begin(t, j, s)
            else:
                unit.release(s)
            return
        j = s.next_own(self.valid)
        if j < 0:
            for u in self.member_units[s.sid]:
                j = u.pop_for(s, self.valid)
                if j >= 0:
                    break
        if j >= 0:
            self.job_waiting[j] = False
            self._begin(t, j, s)

    def on_end(self, t: float, job: int, row: int) -> None:
        """The attempt logged in ``row`` ends: its server is free; the job goes on unless it
        was re-dispatched meanwhile (a joint part of an issue that moved on)."""
        log = self.log
        if log.cancelled[row]:
            return
        n = self.n
        i = job % n
        kind = job // n
        s = self.members[log.member[row]]
        s.end()
        self._next_for(t, s)
        if row != self.job_row[job]:
            return
        if kind == CONSULT:
            self._consult_done(t, i)
            return
        if self.job_epoch[job] != self.epoch[i]:
            return  # the issue moved on while this part was in progress
        if kind == JOINT:
            self._part_done(t, i, s)
            return
        L = self.job_level[job]
        unit = self.units[self.job_unit[job]]
        p_type = self.p_fail_type[self.type[i]]
        pf = (p_type if (p_type is not None and L < 2) else unit.p_fail) * self.job_fail_factor[job]
        if pf > 0.0:
            bit = 1 << L
            if self.fail_drawn[i] & bit:
                uf = self.rng_fail.random()
            else:
                self.fail_drawn[i] |= bit
                uf = float(self.u_fail[i, L])
            if uf < pf:
                self._escalate(t, i, L, 1)
                return
        self.level_reached[i] = max(self.level_reached[i], L)
        self._part_done(t, i, s)

    def _part_done(self, t: float, i: int, s) -> None:
        self.parts[i] -= 1
        if self.parts[i] > 0:
            return
        self.t_handled[i] = t
        if self.instant_close:
            self.t_fed_back[i] = t
            self.t_verified[i] = t
            self._verify(t, i)
            return
        cal = s.cal if s.cal is not None else self.level_cals[self.job_level[i]]
        tf = cal.add(t, scalar_quantile(self.fb, self.rng_feedback.random(), 1.0))
        vc = self.level_cals[3 if self.centre[i] == DISTRICT_PLATFORM else (2 if self.centre[i] == TOWN_CENTRE else 1)]
        tv = vc.add(tf, scalar_quantile(self.ver, self.rng_verify.random(), 1.0))
        self.t_fed_back[i] = tf
        self.t_verified[i] = tv
        self.loop.schedule(tv, CLOSE, i, self.epoch[i])

    def on_close(self, t: float, i: int, tok: int) -> None:
        if tok == self.epoch[i]:
            self._verify(t, i)

    def _verify(self, t: float, i: int) -> None:
        p = self.p_rework[self.type[i]]
        if p > 0.0:
            u = self.u_rework[i] if self.reworks[i] == 0 else self.rng_rework.random()
            if u < p:
                self.reworks[i] += 1
                if self.reworks[i] <= self.max_reworks:
                    self.t_handled[i] = NAN
                    self._rework(t, i)
                    return
                L = self.job_level[i]
                if L < TOP:  # past lifecycle.max_reworks: escalated, as practice does
                    self.t_handled[i] = NAN
                    self._escalate(t, i, L, 3)
                    return
                # at the district past the cap: closed as it stands (no cycle can go on)
        self.t_closed[i] = t
        self.units[self.job_unit[i]].closed_one()
        self.open -= 1
        self._record_backlog(t)
        if self.reporter[i] >= 0:  # the household that reported it rates the closure
            on_time = self.t_handled[i] <= self.deadline[i]
            self.rating[i] = self.households.rate(i, on_time, self.reworks[i] > 0, self.channel[i])

    def _rework(self, t: float, i: int) -> None:
        """Verification failed: back to the person who handled it (accountability), or its unit."""
        s = self.members[self.server_of[i]] if self.server_of[i] >= 0 else None
        self.parts[i] = 1
        self.job_enq[i] = t
        if s is not None and s.team in GRID_TEAMS:
            if s.job < 0:
                self._begin(t, i, s)
            else:
                self._enqueue_own(i, s)
            return
        self.arrive_at(t, i, self.job_unit[i], self.job_level[i])

    # ------------------------------------------------------------------ escalation
    def _escalate(self, t: float, i: int, L: int, reason: int) -> None:
        """Move issue ``i`` up from level ``L`` (reason: 0 capability, 1 failed,
        2 overdue, 3 rework cap) by the escalation rule."""
        target = escalation_target(L, self.rule)
        if reason == 0:
            self.routed_up[i] += 1
        else:
            self.escalations[i] += 1
        self.epoch[i] += 1
        self.level[i] = target
        if target > self.level_reached[i]:
            self.level_reached[i] = target
        d = scalar_quantile(self.handover, self.rng_handover.random(), 1.0)
        ta = self.level_cals[target].add(t, d) if d > 0.0 else t
        self.loop.schedule(ta, ARRIVE, i, self.epoch[i])

    # ------------------------------------------------------------------ overdue (督办, 延期)
    def on_overdue(self, t: float, i: int, tok: int) -> None:
        if tok // 4 != self.dl_version[i] or self.t_handled[i] == self.t_handled[i] or \
                self.t_closed[i] == self.t_closed[i]:
            return
        stage = tok % 4
        if stage == BREACH:
            self._breach(t, i)
            return
        if stage == RED:
            self.red[i] = True
            return
        esc = self.p.escalation
        if self.policy == "extend" and self.extendable[self.type[i]] and not self.extended[i]:
            self.extended[i] = True
            if self.u_extension[i] < esc.p_extension_granted:  # 延期 granted: not late
                self.granted[i] = True
                self.deadline[i] = self.office.add(self.deadline[i], esc.extension_wh)
                self.dl_version[i] += 1
                self.loop.schedule(self.deadline[i], OVERDUE, i, self.dl_version[i] * 4 + YELLOW)
                return
        self._supervise(i)
        red = self.office.add(self.deadline[i], (esc.red_warning_fraction - 1.0) * self.limit_wh[self.type[i]])
        self.loop.schedule(max(red, t), OVERDUE, i, self.dl_version[i] * 4 + RED)

    def _supervise(self, i: int) -> None:
        """督办: the issue stays with its unit and moves to the front of its queue."""
        self.yellow[i] = True
        if self.supervised[i]:
            return
        self.supervised[i] = True
        if self.job_waiting[i]:
            o = self.job_owner_q[i]
            if o >= 0:
                self._enqueue_own(i, self.members[o])
            else:
                unit = self.units[self.job_unit[i]]
                unit.left_queue()
                self._enqueue_unit(i, unit, self.trade[i])

    def _breach(self, t: float, i: int) -> None:
        """``escalate`` policy: an issue not yet being worked on at its breach time moves up."""
        L = self.level[i]
        if L >= TOP or self.t_first[i] != self.t_first[i]:
            return
        if self.job_waiting[i]:
            self.job_waiting[i] = False
            self.job_token[i] += 1
            if self.job_owner_q[i] < 0:
                self.units[self.job_unit[i]].left_queue()
            self.wait[i] += t - self.job_enq[i]
        elif self.job_server[i] >= 0 and self.job_start[i] > t and self.job_finish[i] > t and \
                self.members[self.job_server[i]].job == i:
            s = self.members[self.job_server[i]]
            s.cancel(self.log, self.blocks, self.gives_way, self.job_start[i], self.job_finish[i])
            self.job_token[i] += 1
            self.units[self.job_unit[i]].attempt_cancelled(self.job_work[i])
            self.wait[i] -= self.job_start[i] - self.job_enq[i]
            self.wait[i] += t - self.job_enq[i]
            if self.t_started[i] == self.job_start[i]:
                self.t_started[i] = NAN  # it never started
            self.tried[i] &= ~(1 << self.job_level[i])
            self._next_for(t, s)
        else:
            return  # in progress (or between stages): it stays
        self.breached[i] = True
        self._escalate(t, i, L, 2)
