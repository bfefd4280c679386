"""From discovery to dispatch: report, registration, consultation, capability routing,
deadline. Vectorised over a batch of discovered issues (these stages do not depend on
queues), each office stage on the calendar of the unit doing it:

- report: the channel's delay; service-point reports wait for the service calendar;
- registration and classification (``lifecycle.register``) by the registering centre:
  the town linkage centre for grid reports when nets are fused; the village committee
  when they are not (after the relay, ``fusion.relay``; a share of reports is lost and
  re-reported after ``fusion.rereport``); the district platform for reports that enter
  there (12345), which then dispatches them down (``lifecycle.hotline_dispatch``);
- consultation (会商) for types that need it: the grid leader's job in worlds with team
  members (handled as a job, see sim.lifecycle.handling), otherwise
  ``lifecycle.consultation`` on the village calendar;
- dispatch, and capability routing to the lowest level that may close the type
  (:mod:`sim.lifecycle.routing`), one hand-over per hop on the receiving level's calendar;
- the handling time limit: ``time_limit_wh`` working hours of ``office_calendar`` from
  dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.lifecycle import dists
from sim.lifecycle.calendar import WorkCalendar
from sim.lifecycle.discovery import Found
from sim.lifecycle.routing import capability_hops
from sim.params import LEVELS, ModelParams
from sim.rng import Streams

TOWN_CENTRE, VILLAGE_COMMITTEE, DISTRICT_PLATFORM = 0, 1, 2
"""Who registered an issue (and verifies it)."""


@dataclass
class Batch:
    """Intake results for the issues of a :class:`Found` batch (same order)."""

    found: Found
    t_reported: np.ndarray
    t_registered: np.ndarray
    t_consulted: np.ndarray  # inf: no consultation, or the grid leader's job decides it
    consult_job: np.ndarray  # the grid leader must consult before dispatch
    t_dispatched: np.ndarray  # inf where a consult job comes first
    first_level: np.ndarray
    routed_up: np.ndarray  # capability hand-overs on the way
    t_arrive: np.ndarray
    deadline: np.ndarray
    centre: np.ndarray  # TOWN_CENTRE, VILLAGE_COMMITTEE or DISTRICT_PLATFORM
    lost: np.ndarray


class Intake:
    """The vectorised intake of discovered issues (see module doc)."""

    def __init__(self, p: ModelParams, occ, streams: Streams, level_cals: list[WorkCalendar],
                 office: WorkCalendar, service: WorkCalendar, consult_by_members: bool):
        self.p, self.occ = p, occ
        n = occ.n
        self.u_report = streams["report"].random(n)
        self.u_register = streams["registration"].random(n)
        self.u_relay = streams["relay"].random((n, 3))
        self.u_hotline = streams["hotline"].random(n)
        self.u_consult = streams["consultation"].random(n)
        self.u_handover = streams["handover"].random((n, 3))
        types = p.issue_types
        self.min_level = np.array([LEVELS.index(t.min_close_level) for t in types], dtype=np.int64)[occ.type]
        self.needs_consult = np.array([t.needs_consultation for t in types])[occ.type]
        self.limit_wh = np.array([t.time_limit_wh for t in types])[occ.type]
        self.enters = np.array([LEVELS.index(c.enters_at) for c in p.channels], dtype=np.int64)
        self.level_cals, self.office, self.service = level_cals, office, service
        self.consult_by_members = consult_by_members

    def deadline(self, t_dispatched: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return self.office.add_v(t_dispatched, self.limit_wh[ids])

    def handover(self, t: np.ndarray, ids: np.ndarray, hop: int, level: int) -> np.ndarray:
        """Hand-over ``hop`` (0..2) of ``ids`` to ``level``, received on its calendar."""
        d = dists.quantile(self.p.escalation.handover, self.u_handover[ids, hop])
        return self.level_cals[level].add_v(t, d)

    def route(self, t: np.ndarray, ids: np.ndarray, from_top: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Capability routing of dispatched issues: (first level, hand-overs, arrival time)."""
        rule = self.p.escalation.rule
        lvl = self.min_level[ids]
        t_arr = t.copy()
        hops = np.zeros(len(ids), dtype=np.int64)
        for m in np.unique(lvl[~from_top]).tolist():
            sel = (lvl == m) & ~from_top
            path = capability_hops(m, rule)
            for k, target in enumerate(path):
                t_arr[sel] = self.handover(t_arr[sel], ids[sel], k, target)
            hops[sel] = len(path)
        return lvl, hops, t_arr

    def process(self, f: Found) -> Batch:
        p, lc = self.p, self.p.lifecycle
        ids, n = f.ids, len(f.ids)
        t_rep = np.empty(n)
        for c in np.unique(f.channel).tolist():
            ch = p.channels[c]
            sel = f.channel == c
            tr = f.t[sel] + dists.quantile(ch.report_delay, self.u_report[ids[sel]])
            if ch.on_calendar:
                tr = self.service.next_open_v(tr)
            t_rep[sel] = tr
        t_rep = np.where(f.on_spot, f.t, t_rep)
        entry = self.enters[f.channel]
        from_top = entry > 0
        centre = np.where(from_top, DISTRICT_PLATFORM, TOWN_CENTRE if p.fusion.enabled else VILLAGE_COMMITTEE)
        reg = dists.quantile(lc.register, self.u_register[ids])
        t_reg = np.empty(n)
        lost = np.zeros(n, dtype=bool)
        top = centre == DISTRICT_PLATFORM
        any_top = top.any()
        if any_top:
            t_reg[top] = self.level_cals[3].add_v(t_rep[top], reg[top])
        town = centre == TOWN_CENTRE
        if town.any():
            t_reg[town] = self.level_cals[2].add_v(t_rep[town], reg[town])
        vil = centre == VILLAGE_COMMITTEE
        if vil.any():
            fp = p.fusion
            u = self.u_relay[ids[vil]]
            lost[vil] = u[:, 1] < fp.p_loss
            again = np.where(lost[vil], dists.quantile(fp.rereport, u[:, 2]), 0.0)
            relay = dists.quantile(fp.relay, u[:, 0])
            t_reg[vil] = self.level_cals[1].add_v(t_rep[vil] + again, relay + reg[vil])
        t_disp = t_reg.copy()
        if any_top:
            t_disp[top] = self.level_cals[3].add_v(t_reg[top], dists.quantile(lc.hotline_dispatch,
                                                                             self.u_hotline[ids[top]]))
        consult = self.needs_consult[ids] & ~from_top & ~f.on_spot
        t_con = np.full(n, np.inf)
        job = consult & self.consult_by_members
        abstract = consult & (not self.consult_by_members)
        if abstract.any():
            t_con[abstract] = self.level_cals[1].add_v(t_reg[abstract],
                                                       dists.quantile(lc.consultation, self.u_consult[ids[abstract]]))
            t_disp[abstract] = t_con[abstract]
        t_disp[job] = np.inf
        level, hops, t_arr = self.route(np.where(job, 0.0, t_disp), ids, from_top)
        deadline = np.where(job, np.inf, self.deadline(np.where(job, 0.0, t_disp), ids))
        for a in (t_arr, deadline):
            a[job | f.on_spot] = np.inf
        hops[job | f.on_spot] = 0
        return Batch(f, t_rep, t_reg, t_con, job, np.where(f.on_spot, f.t, t_disp), level, hops, t_arr, deadline,
                     centre, lost & ~f.on_spot)
