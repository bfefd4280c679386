"""Closure: feedback, verification, rework and the reporter's rating.

When the last part of an issue is handled, the handler feeds back (on its own calendar)
and the registering centre verifies (on its level's calendar). Verification fails with the
type's ``p_rework`` (higher for an untrained team): the issue goes back to the person who
handled it (accountability) or its unit, up to ``lifecycle.max_reworks`` times; past that
it is escalated (:attr:`~sim.lifecycle.routing.Reason.REWORK_CAP`), and at the district
closed as it stands. A closed issue reported by a household is rated by it.
"""

from __future__ import annotations

from sim.agents.staff import GRID_TEAMS
from sim.columns import floats
from sim.lifecycle.dists import scalar_quantile
from sim.lifecycle.engine import CLOSE
from sim.lifecycle.intake import DISTRICT_PLATFORM, TOWN_CENTRE
from sim.lifecycle.issuebook import NAN, IssueBook, Room
from sim.lifecycle.routing import TOP, Reason


class Closure(Room):
    """Closure of one run (see module doc); ``attempts`` and ``escalate`` are wired by
    :class:`~sim.lifecycle.handling.Handling`."""

    def __init__(self, model, book: IssueBook, loop) -> None:
        super().__init__(model, book, loop)
        p = model.params
        self.households = model.households
        self.assessment = model.assessment
        self.attempts = None
        self.escalate = None
        scale = p.teams.rework_factor if model.has_members else 1.0
        self.p_rework = [min(1.0, t.p_rework * scale) for t in p.issue_types]
        rw = model.streams["rework"]
        self.u_rework = floats(rw.random(book.n))
        self.rng_rework = rw
        self.rng_feedback, self.rng_verify = model.streams["feedback"], model.streams["verification"]
        lc = p.lifecycle
        self.fb, self.ver = lc.feedback, lc.verify
        self.instant_close = lc.feedback.mean_h == 0.0 and lc.verify.mean_h == 0.0
        self.max_reworks = lc.max_reworks
        self.level_cals = model.level_cals
        # who verifies: the registering centre, on its duty desk's calendar (the village
        # committee on the village's)
        self.verify_cals = [model.duty_cals[TOWN_CENTRE], model.level_cals[1], model.duty_cals[DISTRICT_PLATFORM]]

    def part_done(self, t: float, i: int, s) -> None:
        """A part of issue ``i`` was handled by ``s`` at ``t``; the last part starts feedback
        and verification."""
        b = self.b
        b.parts[i] -= 1
        if b.parts[i] > 0:
            return
        b.t_handled[i] = t
        if self.instant_close:
            b.t_fed_back[i] = t
            b.t_verified[i] = t
            self._verify(t, i)
            return
        cal = s.cal if s.cal is not None else self.level_cals[b.job_level[i]]
        tf = cal.add(t, scalar_quantile(self.fb, self.rng_feedback.random(), 1.0))
        vc = self.verify_cals[b.centre[i]]
        tv = vc.add(tf, scalar_quantile(self.ver, self.rng_verify.random(), 1.0))
        b.t_fed_back[i] = tf
        b.t_verified[i] = tv
        self.loop.schedule(tv, CLOSE, i, b.epoch[i])

    def on_close(self, t: float, i: int, tok: int) -> None:
        if tok == self.b.epoch[i]:
            self._verify(t, i)

    def _verify(self, t: float, i: int) -> None:
        b = self.b
        unresolved = False
        p = self.p_rework[b.type[i]]
        if p > 0.0:
            u = self.u_rework[i] if b.reworks[i] == 0 else self.rng_rework.random()
            if u < p:
                b.reworks[i] += 1
                if b.reworks[i] <= self.max_reworks:
                    b.t_handled[i] = NAN
                    self._rework(t, i)
                    return
                L = b.job_level[i]
                if L < TOP:  # past lifecycle.max_reworks: escalated, as practice does
                    b.t_handled[i] = NAN
                    self.escalate(t, i, L, Reason.REWORK_CAP)
                    return
                # at the district past the cap: closed as it stands (no cycle can go on)
                unresolved = True
        b.t_closed[i] = t
        if i < b.n_main:  # the issues of the issue table (not the drain's background load)
            self.units[b.job_unit[i]].closed_one()
        if self.assessment.enabled:  # it counts in the month's ranking of its grid
            self.assessment.closure(b.geo[0][i], b.t_handled[i] <= b.deadline[i], t - b.t_reported[i])
        b.left(t, i)
        if b.reporter[i] >= 0:  # the household that reported it rates the closure
            waited = b.t_handled[i] - b.t_reported[i]
            allowed = b.deadline[i] - b.t_reported[i]
            ratio = waited / allowed if allowed > 0 else (0.0 if waited <= 0 else float("inf"))
            b.rating[i] = self.households.rate(i, ratio, b.reworks[i] > 0, b.lost[i], unresolved, b.channel[i])

    def _rework(self, t: float, i: int) -> None:
        """Verification failed: back to the person who handled it (accountability), or its unit."""
        b = self.b
        s = self.members[b.server_of[i]] if b.server_of[i] >= 0 else None
        b.parts[i] = 1
        b.job_enq[i] = t
        if s is not None and s.team in GRID_TEAMS:
            if s.free:
                self.attempts.begin(t, i, s)
            else:
                self.attempts.enqueue_own(i, s)
            return
        self.attempts.arrive_at(t, i, b.job_unit[i], b.job_level[i])
