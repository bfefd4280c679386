"""The records of one run: the issue table, the staff table (hours by activity), the unit
table, the backlog series and the world's structure, assembled from the model's state at
the end. KPI and report code read these records, never the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.agents.work_logs import CONSULTATION, HANDLING, MEDIATION, AttemptLog
from sim.metrics.populations import dispatched, due
from sim.params import LEVELS, TRADES, ModelParams

STAFF_ACTIVITIES = ("routine_h", "patrol_h", "handling_h", "travel_h", "consultation_h", "mediation_h", "overhead_h",
                    "idle_h")


@dataclass
class RunResult:
    """What one run produced: the issue table, staff table and unit table (numpy columns),
    the live backlog series, structure, counts of events and timings in seconds."""

    params: ModelParams
    issues: dict[str, np.ndarray]
    backlog_t_h: np.ndarray
    backlog_n: np.ndarray
    units: dict[str, np.ndarray]
    structure: dict
    events_processed: int
    staff: dict[str, np.ndarray] | None = None
    households: dict[str, np.ndarray] | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    world: object | None = None
    observed_h: float | None = None
    """Where the run stopped: the horizon plus the drain actually used (hours)."""

    @property
    def observed_until_h(self) -> float:
        return self.params.horizon_h if self.observed_h is None else self.observed_h


def _arr(values: list, dtype, n: int | None = None) -> np.ndarray:
    """The first ``n`` (default all) of a list of Python scalars as an array. ``fromiter``
    skips the shape discovery of ``asarray`` and the slice's copy: ~40 % faster on the
    issue book's columns (measured on 110,000 floats, ints and bools), the same values."""
    return np.fromiter(values, dtype=dtype, count=len(values) if n is None else n)


def collect(model) -> RunResult:
    """Assemble the records of a finished run."""
    h = model.handling
    b = h.book
    p = model.params
    return RunResult(
        params=p, issues=issue_table(model), backlog_t_h=np.array(b.backlog_t_h), backlog_n=np.array(b.backlog_n),
        units=unit_table(model), structure=structure(model), events_processed=h.loop.events_processed,
        staff=staff_table(model), households=model.households.table() if model.households is not None else None,
        extra={"t_first_arrival_h": np.array(b.t_first[: model.occ.n_main]), "on_close_ratings": None,
               "assessment": model.assessment.kpis(),
               "offered_load": getattr(model, "loads", None) or []},
        world=model.world, observed_h=model.observed_h)


def issue_table(model) -> dict[str, np.ndarray]:
    """One row per issue that occurred in the horizon (the drain's background issues are
    left out), every stage timestamp (NaN where the stage was not reached by the time the
    run stopped: the horizon plus the drain)."""
    h, occ, p = model.handling.book, model.occ, model.params
    n = occ.n_main
    T = p.horizon_h if model.observed_h is None else model.observed_h

    def clip(a) -> np.ndarray:
        a = _arr(a, float, n)
        return np.where(a <= T, a, np.nan)

    def col(a, dtype) -> np.ndarray:
        return _arr(a, dtype, n)

    t_closed = clip(h.t_closed)
    t_handled = clip(h.t_handled)
    deadline = col(h.deadline, float)
    spot = col(h.on_spot, bool)
    closed = ~np.isnan(t_closed)
    in_time = closed & (np.nan_to_num(t_handled, nan=np.inf) <= deadline)
    on_time = np.where(due(dispatched(clip(h.t_dispatched), spot), closed, deadline, T), in_time, np.nan)
    names_t = np.array([t.name for t in p.issue_types])
    names_c = np.array([c.name for c in p.channels] + ["none"])
    units = model.people.units
    unit_names = np.array([u.name for u in units] + [""])
    unit_of = np.where(spot, len(units), col(h.unit_of, np.int64))
    reported = ~np.isnan(clip(h.t_reported))
    status = np.where(closed, "closed", np.where(reported, "open", "unreported"))
    helped = _helped(model, n)
    ch = col(h.channel, np.int64)
    return {
        "issue_id": np.arange(n),
        "type": names_t[occ.type[:n]],
        "grid": occ.grid[:n], "village": occ.village[:n], "town": occ.town[:n], "household": occ.household[:n],
        "channel": names_c[ch],
        "finder": col(h.finder, np.int64),
        "surge": occ.surge[:n],
        "t_occurred_h": clip(occ.t_occurred),
        "t_discovered_h": clip(h.t_discovered),
        "t_reported_h": clip(h.t_reported),
        "t_registered_h": clip(h.t_registered),
        "t_consulted_h": clip(h.t_consulted),
        "t_dispatched_h": clip(h.t_dispatched),
        "t_started_h": clip(h.t_started),
        "t_on_site_h": clip(h.t_on_site),
        "t_made_safe_h": clip(h.t_made_safe),
        "t_handled_h": t_handled,
        "t_fed_back_h": clip(h.t_fed_back),
        "t_verified_h": clip(h.t_verified),
        "t_closed_h": t_closed,
        "deadline_h": np.where(np.isfinite(deadline), deadline, np.nan),
        "on_time": on_time,
        "status": status,
        "level_reached": np.array(LEVELS)[col(h.level_reached, np.int64)],
        "handler": unit_names[np.where(unit_of >= 0, unit_of, len(units))],
        "handler_member": np.where(spot, col(h.finder, np.int64), col(h.server_of, np.int64)),
        "escalations": col(h.escalations, np.int16),
        "routed_up": col(h.routed_up, np.int16),
        "reworks": col(h.reworks, np.int16),
        "breached": col(h.breached, bool),
        "supervised": col(h.supervised, bool),
        "yellow_warning": col(h.yellow, bool),
        "red_warning": col(h.red, bool),
        "extended": col(h.extended, bool),
        "extension_granted": col(h.granted, bool),
        "lost": col(h.lost, bool),
        "on_spot": spot,
        "queue_wait_h": np.where(spot, 0.0, col(h.wait, float)),
        "reporter_household": col(h.reporter, np.int64),
        "rating": np.array(["", "satisfied", "basically_satisfied", "dissatisfied"])[col(h.rating, np.int64) + 1],
        "registered_by": np.array(["town_centre", "village_committee", "district_platform"])[col(h.centre, np.int64)],
        "boundary": np.asarray(model.intake.boundary[:n], dtype=bool),
        "helped": helped,
    }


def _helped(model, n: int) -> np.ndarray:
    """Per issue: was some grid-level attempt on it (the job or its second person) made by
    someone from outside its grid (another grid's member, a village cadre or crew)? A help
    request: the grid had nobody free, on duty or with the trade."""
    log = model.handling.log
    out = np.zeros(n, dtype=bool)
    if not log.member:
        return out
    members = model.people.members
    grid_of = np.array([m.grid for m in members])
    job = _arr(log.job, np.int64)
    book = model.handling.book
    i = job % book.n
    sel = (~_arr(log.cancelled, bool)) & (_arr(log.level, np.int64) == 0) & (job < 2 * book.n) & (i < n)
    sel &= _arr(log.kind, np.int64) != CONSULTATION
    outsider = grid_of[_arr(log.member, np.int64)[sel]] != model.occ.grid[i[sel]]
    out[i[sel][outsider]] = True
    return out


def _window_hours(cal, a: float, b: float) -> float:
    if cal is None:
        return 0.0
    return float(cal.work_before(b) - cal.work_before(a))


def staff_table(model) -> dict[str, np.ndarray] | None:
    """One row per staff member: hours by activity over the KPI window (they sum to
    ``contract_h``), issues handled and found. See docs/ODD.md, Observation.

    Issue work (travel first, then the work itself) is split between the blocks it fell
    in with the member's block calendars; on-the-spot fixes come out of the round during
    which the issue was found."""
    members = model.people.members
    if not members:
        return None
    p = model.params
    a, b = p.warmup_h, p.horizon_h
    n_s = len(members)
    log: AttemptLog = model.handling.log
    m_idx = _arr(log.member, np.int64)
    keep = ~_arr(log.cancelled, bool)
    end_h = _arr(log.end_h, float)
    s = np.clip(_arr(log.start_h, float), a, b)
    e = np.clip(end_h, a, b)
    travel, work = _arr(log.travel_h, float), _arr(log.work_h, float)
    kind = _arr(log.kind, np.int64)
    ended_in = keep & (end_h >= a) & (end_h <= b)
    out = {k: np.zeros(n_s) for k in ("contract_h", "planned_routine_h", "planned_patrol_h", *STAFF_ACTIVITIES)}
    issue_in = {blk: np.zeros(n_s) for blk in ("patrol", "routine", "slack")}
    duty_in = {blk: np.zeros(n_s) for blk in ("patrol", "routine", "slack")}  # a grid's fixed duties
    total_in = np.zeros(len(m_idx))
    groups: dict = {}
    for m in members:
        groups.setdefault((id(m.schedule), m.variant), []).append(m.sid)
    row_group = np.zeros(len(m_idx), dtype=np.int64)
    keys = list(groups)
    gid = np.zeros(n_s, dtype=np.int64)
    for k, key in enumerate(keys):
        gid[groups[key]] = k
    row_group = gid[m_idx] if len(m_idx) else row_group
    for k, key in enumerate(keys):
        sids = np.array(groups[key])
        m0 = members[sids[0]]
        sch, v = m0.schedule, m0.variant
        blocks = {blk: sch.block.get(blk, [None])[v] for blk in ("patrol", "routine", "slack")}
        shift = sch.shift[v]
        out["contract_h"][sids] = _window_hours(shift, a, b) if shift is not None else 0.0
        out["planned_routine_h"][sids] = _window_hours(blocks["routine"], a, b)
        out["planned_patrol_h"][sids] = _window_hours(blocks["patrol"], a, b)
        planned_slack = _window_hours(blocks["slack"], a, b)
        out["idle_h"][sids] = planned_slack
        if sch.reserved is not None:  # fixed duties, taken first out of the issue-work blocks
            for blk, cal in blocks.items():
                if cal is None or blk not in ("slack", p.staff.gives_way):
                    continue
                h = sum(cal.work_before(min(e1, b)) - cal.work_before(max(s1, a)) for s1, e1 in sch.reserved[v]
                        if e1 > a and s1 < b)
                duty_in[blk][sids] += h
        rows = np.flatnonzero(keep & (row_group == k))
        if len(rows) == 0:
            continue
        if m0.cal is not None:
            total_in[rows] = m0.cal.work_before_v(e[rows]) - m0.cal.work_before_v(s[rows])
        for blk, cal in blocks.items():
            if cal is None or blk not in ("slack", p.staff.gives_way):
                continue  # issue work never enters the protected block, even when it spans it
            if sch.reserved is not None:  # ... nor the grid's fixed duties an attempt spans
                cal = cal.with_intervals(remove=sch.reserved[v])
            hrs = cal.work_before_v(e[rows]) - cal.work_before_v(s[rows])
            np.add.at(issue_in[blk], m_idx[rows], hrs)
    share_travel = np.divide(travel, travel + work, out=np.zeros_like(travel), where=(travel + work) > 0)
    tr = total_in * share_travel
    wk = total_in - tr
    rows = np.flatnonzero(keep)
    np.add.at(out["travel_h"], m_idx[rows], tr[rows])
    for col, kd in (("handling_h", HANDLING), ("consultation_h", CONSULTATION), ("mediation_h", MEDIATION)):
        sel = rows[kind[rows] == kd]
        np.add.at(out[col], m_idx[sel], wk[sel])
    spot = {"patrol": np.zeros(n_s), "routine": np.zeros(n_s)}
    found = np.zeros(n_s, dtype=np.int64)
    fixed = np.zeros(n_s, dtype=np.int64)
    for m in members:
        for t, fixed_h, blk in m.finds:
            if a <= t <= b:
                found[m.sid] += 1
                if fixed_h > 0:
                    fixed[m.sid] += 1
                    spot[blk][m.sid] += fixed_h
    out["handling_h"] += spot["patrol"] + spot["routine"]
    out["overhead_h"] = duty_in["slack"] + duty_in["routine"] + duty_in["patrol"]
    out["routine_h"] = out["planned_routine_h"] - issue_in["routine"] - spot["routine"] - duty_in["routine"]
    out["patrol_h"] = out["planned_patrol_h"] - issue_in["patrol"] - spot["patrol"] - duty_in["patrol"]
    out["idle_h"] = out["idle_h"] - issue_in["slack"] - duty_in["slack"]
    # people without blocks (department case handlers, crews): their contract is their
    # calendar and issue work comes out of it
    noblock = np.array([not m.schedule.window and m.cal is not None for m in members])
    if noblock.any():
        busy = out["handling_h"] + out["travel_h"] + out["consultation_h"] + out["mediation_h"]
        for m in np.flatnonzero(noblock):
            out["contract_h"][m] = _window_hours(members[m].cal, a, b) if not members[m].cal.always_on else b - a
        out["idle_h"][noblock] = out["contract_h"][noblock] - busy[noblock]
    handled = np.bincount(m_idx[ended_in & (kind != CONSULTATION)], minlength=n_s) + fixed
    names: dict[int, str] = {}  # by trade mask: ~31,000 members have a few dozen
    for m in members:
        if m.trades not in names:
            names[m.trades] = "+".join(t for k, t in enumerate(TRADES) if m.trades >> k & 1)
    trades = [names[m.trades] for m in members]
    return {
        "member_id": np.arange(n_s), "team": np.array([m.team for m in members]),
        "role": np.array([m.role for m in members]),
        "town": np.array([m.town for m in members]), "village": np.array([m.village for m in members]),
        "grid": np.array([m.grid for m in members]), "trades": np.array(trades),
        "x_km": np.array([m.base_xy[0] if m.base_xy else np.nan for m in members]),
        "y_km": np.array([m.base_xy[1] if m.base_xy else np.nan for m in members]),
        **{k: out[k] for k in ("contract_h", *STAFF_ACTIVITIES, "planned_routine_h", "planned_patrol_h")},
        "issues_handled": handled, "issues_found": found,
    }


def unit_table(model) -> dict[str, np.ndarray]:
    """One row per handling unit: its servers, attempts and busy hours (all work, the
    drain's included) against its capacity over the whole run (to where it stopped), the
    issues of the issue table it closed, its longest queue and its queue at the end."""
    us = model.people.units
    T = model.params.horizon_h if model.observed_h is None else model.observed_h

    hours: dict[int, float] = {}  # by calendar: ~42,000 servers share ~200 calendars

    def worked(cal) -> float:
        if id(cal) not in hours:
            hours[id(cal)] = _window_hours(cal, 0.0, T) if not cal.always_on else T
        return hours[id(cal)]

    def capacity(u) -> float:
        return float(sum(worked(s.cal) for s in u.servers if s.cal is not None))

    return {
        "unit": np.array([u.name for u in us]),
        "level": np.array([u.level_name for u in us]),
        "kind": np.array([u.kind for u in us]),
        "servers": np.array([len(u.servers) for u in us]),
        "attempts": np.array([u.attempts for u in us]),
        "closed": np.array([u.closed for u in us]),
        "busy_h": np.array([u.busy_h for u in us]),
        "capacity_h": np.array([capacity(u) for u in us]),
        "max_queue": np.array([u.max_qlen for u in us]),
        "queue_at_end": np.array([u.qlen for u in us]),
    }


def grid_unstaffed_share(model, weeks: int = 4) -> float | None:
    """The share of the hours of the run's first ``weeks`` weeks in which nobody of a grid's
    own teams (or its leader) is on shift, mean over grids (None without team members):
    what a smaller grid with the same staff loses in presence."""
    ppl = model.people
    if not model.has_members or not ppl.members:
        return None
    n_g = model.world.n_grids
    hours = np.arange(0.0, 168.0 * weeks) + 0.5
    covered = np.zeros((n_g, len(hours)), dtype=bool)
    on: dict = {}
    for m in ppl.members:
        gs = [m.grid] if m.grid >= 0 else []
        if m.role == "cadre_leader":
            gs = np.flatnonzero(ppl.leader_sid == m.sid).tolist()
        if not gs:
            continue
        key = (id(m.schedule), m.variant)
        if key not in on:
            cal = m.schedule.shift[m.variant]
            on[key] = np.ones(len(hours), dtype=bool) if (cal is None or cal.always_on) else \
                (cal.work_before_v(hours + 0.5) - cal.work_before_v(hours - 0.5)) > 0.5
        for g in gs:
            covered[g] |= on[key]
    return float(1.0 - covered.mean())


def structure(model) -> dict:
    from sim.agents.residents import coverage_15min

    w, ppl = model.world, model.people
    s = w.structure()
    s.update(ppl.totals())
    s["service_points"] = int(w.n_grids)  # one per grid (一网一点)
    s["coverage_15min"] = coverage_15min(model.params, w)
    s["grid_unstaffed_share"] = grid_unstaffed_share(model)
    s["partition_quality"] = w.partition_quality
    s["units"] = {LEVELS[L]: int(sum(1 for u in ppl.units if u.level == L)) for L in range(4)}
    s["servers"] = {LEVELS[L]: int(sum(len(u.servers) for u in ppl.units if u.level == L)) for L in range(4)}
    if ppl.departments:
        dep: dict = {}
        for (lvl, name, _geo), v in ppl.departments.items():
            d = dep.setdefault(lvl, {}).setdefault(name, {"staff": 0, "case_handlers": 0})
            d["staff"] += v["staff"]
            d["case_handlers"] += v["case_handlers"]
        s["departments"] = dep
    return s
