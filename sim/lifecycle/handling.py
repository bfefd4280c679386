"""The dynamic part of the closed loop, in four rooms around one :class:`IssueBook`:

- intake (here): an issue found by a channel is registered and sent on
  (:mod:`sim.lifecycle.intake` decides the times, the level and the deadline);
- dispatch and attempts (:mod:`sim.lifecycle.attempts`);
- closure: feedback, verification, rework, rating (:mod:`sim.lifecycle.closure`);
- oversight: time limits, supervision, extensions and escalation
  (:mod:`sim.lifecycle.oversight`, beside the rule in :mod:`sim.lifecycle.routing`).

:class:`Handling` builds the rooms, wires their entry points to each other and hands the
event loop one handler per event kind (:data:`sim.lifecycle.engine.ARRIVE` … ``BACKUP``).
People act through their own methods (``begin``, ``end``, ``cancel``); units keep their
own queues. Stages that take no time cost no event.
"""

from __future__ import annotations

import numpy as np

from sim.lifecycle.attempts import Attempts
from sim.lifecycle.closure import Closure
from sim.lifecycle.discovery import NOTICE
from sim.lifecycle.dispatch import Dispatcher, household_xy
from sim.lifecycle.emergency import MAKE_SAFE_SEVERITY
from sim.lifecycle.engine import ARRIVE, DISCOVER, EventLoop
from sim.lifecycle.intake import Intake
from sim.lifecycle.issuebook import INF, IssueBook
from sim.lifecycle.oversight import Oversight


class Handling:
    """Runs every issue of a model through its units (see module doc). ``book`` holds the
    state (read by :mod:`sim.metrics.records`), ``log`` the attempts."""

    def __init__(self, model, compact: bool = True):
        p = model.params
        self.model = model
        self.p = p
        self.intake: Intake = model.intake
        self.discovery = model.discovery
        self.households = model.households
        self.loop = EventLoop()
        self.book = book = IssueBook(p, model.occ, compact)  # ``compact`` False: lists, for the lean path
        self.dispatcher = Dispatcher(p, model.people)
        self.attempts = at = Attempts(model, book, self.loop, self.dispatcher, model.blocks)
        at.xy = household_xy(model.world)
        self.closure = cl = Closure(model, book, self.loop)
        self.oversight = ov = Oversight(model, book, self.loop)
        at.escalate, at.part_done, at.consulted = ov.escalate, cl.part_done, self._consult_done
        cl.attempts, cl.escalate = at, ov.escalate
        ov.attempts = at
        self.log = at.log
        self.dur_spot = [t.dur_on_spot_h for t in p.issue_types]
        self.emergency = model.emergency
        self.make_safe = [t.severity >= MAKE_SAFE_SEVERITY for t in p.issue_types] if model.emergency.rs else None

    def release(self) -> None:
        """The run is over: the rooms drop what only the event loop reads."""
        for part in (self.intake, self.discovery, self.attempts, self.households):
            if part is not None:
                part.release()

    @property
    def handlers(self) -> list:
        """The event loop's handler of each event kind, in kind order."""
        return [self.attempts.on_arrive, self.attempts.on_end, self.closure.on_close, self.oversight.on_overdue,
                self.on_tick, self.on_discover, self.on_day, self.attempts.on_backup]

    # ------------------------------------------------------------------ intake
    def found(self, t: float, i: int, channel: int, finder: int, on_spot: bool) -> None:
        """Issue ``i`` is found at ``t``: record it, run intake, and send it on (at once
        when nothing takes time, else as an event)."""
        b = self.book
        b.t_discovered[i] = t
        b.channel[i] = channel
        b.finder[i] = finder
        r = self.intake.process(i, t, channel, on_spot)
        b.t_reported[i] = r.t_reported
        b.t_registered[i] = r.t_registered
        b.centre[i] = r.centre
        b.lost[i] = r.lost
        if on_spot:
            b.on_spot[i] = True
            done = t + self.dur_spot[b.type[i]]
            b.t_dispatched[i] = b.t_started[i] = b.t_on_site[i] = t
            b.t_handled[i] = b.t_fed_back[i] = b.t_verified[i] = b.t_closed[i] = done
            return
        if self.make_safe is not None and self.make_safe[b.type[i]]:  # an emergency: made safe first
            g = b.geo[0][i]
            xy = self.attempts.xy[b.household[i]] if self.attempts.xy is not None else None
            b.t_made_safe[i] = self.emergency.made_safe_at(r.t_registered, b.geo[2][i], g, xy)
        if r.consult:
            self._send(r.t_registered, 2 * b.n + i, 0)
            return
        if r.t_consulted != INF:
            b.t_consulted[i] = r.t_consulted
        self._dispatched(i, r.t_dispatched, r.deadline, r.level, r.routed_up)
        self._send(r.t_arrive, i, 0)

    def _send(self, ta: float, job: int, tok: int) -> None:
        if ta <= self.loop.now:
            self.attempts.first_arrival(self.loop.now, job)
        else:
            self.loop.schedule(ta, ARRIVE, job, tok)

    def _dispatched(self, i: int, t_disp: float, deadline: float, level: int, hops: int) -> None:
        b = self.book
        b.t_dispatched[i] = t_disp
        b.deadline[i] = deadline
        b.level[i] = level
        b.level_reached[i] = level
        b.routed_up[i] = hops
        self.oversight.schedule(i, t_disp)

    def _consult_done(self, t: float, i: int) -> None:
        """The consultation (会商) of issue ``i`` is over: it is routed and dispatched."""
        b = self.book
        b.t_consulted[i] = t
        lvl, hops, t_arr = self.intake.route(t, i)
        self._dispatched(i, t, self.intake.deadline(t, i), lvl, hops)
        self._send(t_arr, i, b.epoch[i])

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
                self.book.reporter[i] = int(self.book.household[i])
                self.found(t, i, route, -1, False)
                return
            nxt = disc.renew_notice(i, t, float(hh.reconsider_rates(np.array([i]), disc.vis[[i]])[0]))
            if nxt is not None:
                self.loop.schedule(nxt[0], DISCOVER, nxt[1], nxt[2])

    def on_day(self, t: float, _job: int = 0, _tok: int = 0) -> None:
        """Midnight: the monthly assessment on the first of a month; households take in the
        day's ratings (memory, word of mouth), and those still reconsidering an issue do so
        at their new trust."""
        self.model.assessment.day(t)
        hh = self.households
        if hh is None:
            return
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
