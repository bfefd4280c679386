"""From discovery to dispatch: report, registration, consultation, capability routing,
deadline. Each office stage runs on the calendar of the unit doing it:

- report: the channel's delay; service-point reports wait for the service calendar;
- registration and classification (``lifecycle.register``) by the registering centre:
  the town linkage centre for grid reports when nets are fused; the village committee
  when they are not (after the relay, ``fusion.relay``; a share of reports is lost and
  re-reported after ``fusion.rereport``); the district platform for reports that enter
  there (12345), which then dispatches them down (``lifecycle.hotline_dispatch``). The
  town centre and the district platform work on their duty desk's calendar
  (``intake.duty_calendar``: round the clock, extended or office hours), the village
  committee on the village's;
- consultation (会商) for types that need it: the grid leader's job in worlds with team
  members (handled as a job, see sim.lifecycle.handling), otherwise
  ``lifecycle.consultation`` on the village calendar;
- dispatch, and capability routing to the lowest level that may close the type
  (:mod:`sim.lifecycle.routing`), one hand-over per hop on the receiving level's calendar;
- the handling time limit: ``time_limit_wh`` working hours of ``office_calendar`` from
  dispatch.

Issues arrive one at a time (discoveries are events), so intake is scalar: each issue's
draws are fixed uniforms from its own streams (common random numbers), and the calendar
arithmetic is the scalar fast path of :class:`~sim.lifecycle.calendar.WorkCalendar`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.columns import floats
from sim.lifecycle.calendar import WorkCalendar
from sim.lifecycle.dists import scalar_quantile
from sim.lifecycle.routing import capability_hops
from sim.params import LEVELS, ModelParams
from sim.rng import Streams

TOWN_CENTRE, VILLAGE_COMMITTEE, DISTRICT_PLATFORM = 0, 1, 2
"""Who registered an issue (and verifies it)."""
INF = float("inf")


@dataclass(slots=True)  # one per issue: slots halve the cost of making one
class Intake1:
    """Intake of one issue: when it was reported and registered, by whom, whether it was
    lost once on the village relay; then either a consultation job (``consult``) or its
    dispatch (time, first level, capability hand-overs, arrival at the unit, deadline)."""

    t_reported: float
    t_registered: float
    centre: int
    lost: bool
    consult: bool = False
    t_consulted: float = INF
    t_dispatched: float = INF
    level: int = 0
    routed_up: int = 0
    t_arrive: float = INF
    deadline: float = INF


def boundary_draws(p: ModelParams, occ, world, rng) -> np.ndarray:
    """Which issues straddle a border between grids of their village: an issue of extent ℓ
    (``issue_types.<t>.extent_km``) in grid g of area A with shared border L does with
    chance min(1, 2ℓL / πA) (a random segment's expected crossings, Cauchy–Crofton)."""
    u = rng.random(occ.n)
    ext = np.array([t.extent_km for t in p.issue_types])[occ.type]
    if world is None or not ext.any():
        return np.zeros(occ.n, dtype=bool)
    L = world.grid_internal_boundary_km()
    A = np.maximum(world.grid_area_km2, 1e-9)
    prob = np.minimum(1.0, 2.0 * ext * L[occ.grid] / (np.pi * A[occ.grid]))
    return u < prob


class Intake:
    """Intake of discovered issues (see module doc)."""

    def __init__(self, p: ModelParams, occ, streams: Streams, level_cals: list[WorkCalendar],
                 office: WorkCalendar, service: WorkCalendar, consult_by_members: bool, duty: dict, world=None):
        self.p = p
        n = occ.n
        self.u_report = floats(streams["report"].random(n))
        self.u_register = floats(streams["registration"].random(n))
        # rows read once per issue at most: arrays, each row made a list when read (lists of
        # lists held ~30 MB more for a Chongming year)
        self.u_relay = streams["relay"].random((n, 3))
        self.u_hotline = floats(streams["hotline"].random(n))
        self.u_consult = floats(streams["consultation"].random(n))
        self.u_handover = streams["handover"].random((n, 3))
        types = p.issue_types
        typ = occ.type.tolist()
        self.min_level = [LEVELS.index(types[k].min_close_level) for k in typ]
        self.needs_consult = [types[k].needs_consultation for k in typ]
        # straddling a grid border (Cauchy–Crofton): needs the grids' consultation (会商) too
        self.boundary = boundary_draws(p, occ, world, streams["boundary"]).tolist()
        self.limit_wh = [types[k].time_limit_wh for k in typ]
        self.channels = p.channels
        self.enters = [LEVELS.index(c.enters_at) for c in p.channels]
        self.level_cals, self.office, self.service = level_cals, office, service
        self.duty = duty  # centre -> its duty desk's calendar
        self.consult_by_members = consult_by_members
        self.handover_dist = p.escalation.handover
        self.rule = p.escalation.rule

    def release(self) -> None:
        """The run is over: drop the per-issue draws (see :meth:`sim.model.GovernanceModel.results`)."""
        self.u_report = self.u_register = self.u_relay = self.u_hotline = self.u_consult = self.u_handover = None

    def deadline(self, t_dispatched: float, i: int) -> float:
        return self.office.add(t_dispatched, self.limit_wh[i])

    def route(self, t: float, i: int) -> tuple[int, int, float]:
        """Capability routing of a grid-registered issue dispatched at ``t``: (first
        level, hand-overs, arrival time), each hand-over on the receiving level's calendar."""
        path = capability_hops(self.min_level[i], self.rule)
        u = self.u_handover[i].tolist()
        for k, target in enumerate(path):
            d = scalar_quantile(self.handover_dist, u[k])
            if d > 0.0:
                t = self.level_cals[target].add(t, d)
        return self.min_level[i], len(path), t

    def process(self, i: int, t_found: float, channel: int, on_spot: bool) -> Intake1:
        """Intake of issue ``i`` found at ``t_found`` by ``channel``."""
        p, lc = self.p, self.p.lifecycle
        if on_spot:
            return Intake1(t_found, t_found, TOWN_CENTRE, False, t_dispatched=t_found)
        ch = self.channels[channel]
        t_rep = t_found + scalar_quantile(ch.report_delay, self.u_report[i])
        if ch.on_calendar:
            t_rep = self.service.next_open(t_rep)
        reg = scalar_quantile(lc.register, self.u_register[i])
        lost = False
        if self.enters[channel] > 0:  # the district platform registers and dispatches down
            cal = self.duty[DISTRICT_PLATFORM]
            t_reg = cal.add(t_rep, reg)
            t_disp = cal.add(t_reg, scalar_quantile(lc.hotline_dispatch, self.u_hotline[i]))
            return Intake1(t_rep, t_reg, DISTRICT_PLATFORM, False, t_dispatched=t_disp, level=self.min_level[i],
                           t_arrive=t_disp, deadline=self.deadline(t_disp, i))
        if p.fusion.enabled:
            centre = TOWN_CENTRE
            t_reg = self.duty[TOWN_CENTRE].add(t_rep, reg)
        else:  # the village committee relays (and sometimes loses) the report
            centre = VILLAGE_COMMITTEE
            u = self.u_relay[i].tolist()
            fp = p.fusion
            lost = u[1] < fp.p_loss
            again = scalar_quantile(fp.rereport, u[2]) if lost else 0.0
            t_reg = self.level_cals[1].add(t_rep + again, scalar_quantile(fp.relay, u[0]) + reg)
        rec = Intake1(t_rep, t_reg, centre, lost)
        if self.needs_consult[i] or self.boundary[i]:
            if self.consult_by_members:
                rec.consult = True
                return rec
            rec.t_consulted = self.level_cals[1].add(t_reg, scalar_quantile(lc.consultation, self.u_consult[i]))
            t_reg = rec.t_consulted
        rec.t_dispatched = t_reg
        rec.level, rec.routed_up, rec.t_arrive = self.route(t_reg, i)
        rec.deadline = self.deadline(t_reg, i)
        return rec
