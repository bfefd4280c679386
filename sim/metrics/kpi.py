"""Key performance indicators of one run (the ``summary.json`` payload).

Times in hours. The decision KPI, ``time_to_fix_h`` (occurred → fixed, on-the-spot fixes
included), covers issues that *occurred* in the KPI window, followed through the drain
after the horizon; ``unfixed_share`` says how many of them were still not fixed when the
run stopped. The official distribution KPIs cover issues *reported* in the KPI window;
``counts`` cover every issue of the horizon. Each KPI is declared once in :mod:`sim.metrics.registry` (population,
statistic, unit, direction, labels); the populations (*dispatched*, *due* 应结案, ...) are
defined once in :mod:`sim.metrics.populations`. In short:

- ``closure_rate`` (结案率) = closed / due; ``on_time_rate`` (按期结案率) = closed and
  handled by the (possibly extended) deadline / due;
- ``escalation_rate``: dispatched issues moved up after a failed attempt, an overdue or
  the rework cap; ``routed_up_rate``: dispatched issues passed up by capability (上报 by
  type); ``extension_rate`` (延期率): granted extensions; ``supervision_rate`` (督办):
  supervised issues; each over dispatched issues;
- ``rework_rate`` (返工率): closed issues reworked at least once / closed;
- the ``*_incl_on_spot_h`` variants put on-the-spot fixes back.
"""

from __future__ import annotations

import numpy as np

from sim.metrics.capacity import unstable
from sim.metrics.cost import cost_kpis
from sim.metrics.populations import Populations, flag
from sim.metrics.records import RunResult
from sim.metrics.registry import DISTRIBUTIONS, RATES
from sim.vocab import LEVELS

TEAM_ORDER = ("work", "management", "volunteer", "cadre", "department", "crew")
OFFERED_LOAD_TOP = 10
"""``summary.json`` lists the units with the highest offered load, this many."""


def dist_stats(x: np.ndarray) -> dict:
    """``{mean, p50, p90, p95, max, n}`` of the finite values of ``x`` (None when empty)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"mean": None, "p50": None, "p90": None, "p95": None, "max": None, "n": 0}
    p50, p90, p95 = np.percentile(x, [50, 90, 95])
    return {"mean": float(x.mean()), "p50": float(p50), "p90": float(p90), "p95": float(p95),
            "max": float(x.max()), "n": int(x.size)}


def _rate(num: float, den: float) -> float | None:
    return float(num / den) if den > 0 else None


def backlog_average(t: np.ndarray, n: np.ndarray, a: float, b: float) -> float:
    """Time average over [a, b] of the step function that takes value n[k] on [t[k], t[k+1])."""
    t = np.asarray(t, dtype=float)
    n = np.asarray(n, dtype=float)
    lo = np.clip(t[:-1], a, b)
    hi = np.clip(t[1:], a, b)
    return float(np.sum(n[:-1] * (hi - lo)) / (b - a))


def little(res: RunResult) -> dict:
    """Little's law on the live backlog (issues at a unit and not yet closed).

    ``L`` is the time-average of the model's own backlog series over [warm-up, horizon];
    ``lambda_per_h`` the rate of first arrivals in that window; ``W_h`` their mean time
    from first arrival to closure, censored at the horizon. ``L_exact`` adds back the
    time spent in the window by issues that arrived before it, so ``L_exact == lambda W``
    must hold to rounding if the series and the issue records agree.
    """
    p = res.params
    a, b = p.warmup_h, p.horizon_h
    iss = res.issues
    arrive = res.extra["t_first_arrival_h"]
    entered = np.isfinite(arrive) & (arrive <= b)
    closed = np.where(np.isnan(iss["t_closed_h"]), b, iss["t_closed_h"])
    L = backlog_average(res.backlog_t_h, res.backlog_n, a, b)
    inw = entered & (arrive >= a) & (arrive <= b)
    before = entered & (arrive < a) & (closed > a)
    soj = np.minimum(closed[inw], b) - arrive[inw]
    lam = inw.sum() / (b - a)
    W = float(soj.mean()) if soj.size else 0.0
    carry = float(np.sum(np.minimum(closed[before], b) - a)) / (b - a)
    return {"L": L, "lambda_per_h": float(lam), "W_h": W, "lambda_W": float(lam * W),
            "L_exact": L - carry, "rel_error": _rate(abs(L - lam * W), max(L, 1e-12))}


def gini(x: np.ndarray) -> float | None:
    """Gini coefficient of non-negative values (0 = equal, → 1 = concentrated)."""
    x = np.sort(np.asarray(x, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return None if x.size == 0 else 0.0
    n = x.size
    return max(0.0, float((2.0 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum())) - (n + 1.0) / n))


def staff_kpis(res: RunResult) -> dict:
    """Per team: utilisation ((contract − idle) / contract: mean, p90), hours by activity
    (totals), issue work per member (mean, sd, Gini), routine and patrol coverage."""
    st = res.staff
    if st is None:
        return {"utilisation": {}, "teams": {}, "routine_coverage": None, "patrol_coverage": None}
    util, teams = {}, {}
    contract = st["contract_h"]
    issue_h = st["handling_h"] + st["travel_h"] + st["consultation_h"] + st["mediation_h"]
    for team in [t for t in TEAM_ORDER if t in set(st["team"].tolist())]:
        sel = (st["team"] == team) & (contract > 0)
        if not sel.any():
            continue
        u = (contract[sel] - st["idle_h"][sel]) / contract[sel]
        util[team] = {"mean": float(u.mean()), "p90": float(np.percentile(u, 90)), "members": int(sel.sum())}
        x = issue_h[sel]
        teams[team] = {"members": int(sel.sum()), "contract_h": float(contract[sel].sum()),
                       **{k: float(st[k][sel].sum()) for k in ("routine_h", "patrol_h", "handling_h", "travel_h",
                                                               "consultation_h", "mediation_h", "overhead_h", "idle_h")},
                       "issue_h_per_member_mean": float(x.mean()), "issue_h_per_member_sd": float(x.std()),
                       "issue_h_gini": gini(x),
                       "routine_coverage": _rate(st["routine_h"][sel].sum(), st["planned_routine_h"][sel].sum()),
                       "patrol_coverage": _rate(st["patrol_h"][sel].sum(), st["planned_patrol_h"][sel].sum())}
    return {"utilisation": util, "teams": teams,
            "routine_coverage": _rate(st["routine_h"].sum(), st["planned_routine_h"].sum()),
            "patrol_coverage": _rate(st["patrol_h"].sum(), st["planned_patrol_h"].sum())}


def grid_table(res: RunResult) -> dict[str, np.ndarray]:
    """Per-grid KPIs (dispatched issues reported after warm-up) and the district's ranking
    of grids by on-time rate, then mean resolution time (rank 1 = best)."""
    iss = res.issues
    p = res.params
    n_g = res.structure["grids"]
    rep = iss["t_reported_h"]
    pop = Populations.of(res)
    after, disp = pop.reported, pop.dispatched
    closed = pop["dispatched_closed"]
    g = iss["grid"]
    n_rep = np.bincount(g[after], minlength=n_g)
    n_closed = np.bincount(g[closed], minlength=n_g)
    rt = np.bincount(g[closed], weights=(iss["t_closed_h"] - rep)[closed], minlength=n_g)
    mean_rt = np.divide(rt, n_closed, out=np.full(n_g, np.nan), where=n_closed > 0)
    ot = iss["on_time"]
    known = disp & ~np.isnan(ot)
    n_known = np.bincount(g[known], minlength=n_g)
    on_time = np.divide(np.bincount(g[known], weights=ot[known], minlength=n_g), n_known,
                        out=np.full(n_g, np.nan), where=n_known > 0)
    disc = np.bincount(g[after], weights=(rep - iss["t_occurred_h"])[after], minlength=n_g)
    mean_disc = np.divide(disc, n_rep, out=np.full(n_g, np.nan), where=n_rep > 0)
    key_ot = np.nan_to_num(on_time, nan=-1.0)
    key_rt = np.nan_to_num(mean_rt, nan=np.inf)
    order = np.lexsort((key_rt, -key_ot))
    rank = np.empty(n_g, dtype=np.int64)
    rank[order] = np.arange(1, n_g + 1)
    return {"grid": np.arange(n_g), "reported": n_rep, "closed": n_closed, "mean_resolution_h": mean_rt,
            "on_time_rate": on_time, "mean_discovery_delay_h": mean_disc, "rank": rank}


def _group(iss: dict, mask: np.ndarray, col: str, res_time: np.ndarray, due: np.ndarray | None = None) -> dict:
    """Per value of column ``col`` among issues ``mask``: count, closed, mean report →
    closed; with ``due`` (the due population) also the group's ``due`` count and
    ``on_time_rate``, defined as the run's (due and closed on time, over due)."""
    out = {}
    vals = iss[col][mask]
    rt = res_time[mask]
    if due is not None:
        on_time = (due & flag(iss, "on_time"))[mask]
        due = due[mask]
    for name in np.unique(vals):
        sel = vals == name
        r = rt[sel]
        r = r[np.isfinite(r)]
        out[str(name)] = {"count": int(sel.sum()), "closed": int(r.size),
                          "mean_resolution_h": float(r.mean()) if r.size else None}
        if due is not None:
            out[str(name)].update(due=int(due[sel].sum()), on_time_rate=_rate(on_time[sel].sum(), due[sel].sum()))
    return out


def surge_kpis(res: RunResult) -> dict | None:
    """For the first surge event (``events``): the live backlog before it (mean over the 7
    days before it starts), its peak from the start on, ``days_to_recover`` (from the event's
    start until the backlog is back within 10 % of its level before; None if not by the
    horizon), and the on-time rate of issues reported during the event (due ones)."""
    p = res.params
    if not p.events:
        return None
    import datetime as _dt

    ev = p.events[0]
    t0 = 24.0 * (_dt.date.fromisoformat(ev.start_date) - _dt.date.fromisoformat(p.run.start_date)).days + ev.start_h
    t1 = t0 + ev.duration_h
    t, n = res.backlog_t_h, res.backlog_n.astype(float)
    pre = backlog_average(t, n, max(0.0, t0 - 7 * 24.0), t0) if t0 > 0 else 0.0
    after = t >= t0
    peak = float(n[after].max()) if after.any() else None
    k_peak = int(np.flatnonzero(after)[np.argmax(n[after])]) if after.any() else None
    recover = None
    if k_peak is not None:
        back = np.flatnonzero((np.arange(len(t)) > k_peak) & (n <= 1.1 * pre))
        recover = float((t[back[0]] - t0) / 24.0) if len(back) else None
    iss = res.issues
    due = Populations.of(res, window=(t0, t1)).due
    on_time = flag(iss, "on_time")
    # hazards of the surge: made safe first in a response, else when fixed
    sev = np.array([t.severity for t in p.issue_types])
    type_idx = {t.name: k for k, t in enumerate(p.issue_types)}
    hazard = (iss["surge"] == 0) & (sev[[type_idx[x] for x in iss["type"]]] >= 3) if len(iss["type"]) else \
        np.zeros(0, dtype=bool)
    safe = np.where(np.isfinite(iss["t_made_safe_h"]), iss["t_made_safe_h"], iss["t_handled_h"])
    within = (safe - iss["t_reported_h"]) <= p.emergency.make_safe_within_h
    reported = hazard & np.isfinite(iss["t_reported_h"])
    return {"event": ev.name, "start_h": t0, "duration_h": ev.duration_h,
            "surge_issues": int((iss["surge"] == 0).sum()), "pre_event_backlog": pre, "peak_backlog": peak,
            "days_to_recover": recover, "on_time_rate": _rate((due & on_time).sum(), due.sum()),
            "time_to_make_safe_h": dist_stats((safe - iss["t_occurred_h"])[hazard]),
            "made_safe_within_target": _rate((reported & within).sum(), reported.sum()),
            "response_level": ev.response_level if p.emergency.enabled else "none"}


def resident_kpis(res: RunResult) -> dict:
    """Satisfaction rate (满意率: satisfied + basically satisfied over rated closures of
    issues households reported, after the warm-up) and households' reports per 1,000
    residents per 30 days in each calendar month of the run (months the run covers only
    partly are scaled by the days it covers)."""
    import datetime as _dt

    iss, p = res.issues, res.params
    rated = Populations.of(res)["rated"]
    pos = np.isin(iss["rating"], ("satisfied", "basically_satisfied")) & rated
    out = {"satisfaction_rate": _rate(pos.sum(), rated.sum()),
           "ratings": {k: int(((iss["rating"] == k) & rated).sum()) for k in ("satisfied", "basically_satisfied",
                                                                               "dissatisfied")}}
    hh = res.households
    if hh is None:
        out["reporting_per_1000_by_month"] = None
        return out
    start = _dt.date.fromisoformat(p.run.start_date)
    rep = iss["t_reported_h"][(iss["reporter_household"] >= 0) & (iss["t_reported_h"] < p.horizon_h)]
    # a date plus a timedelta moves by its whole days only: the month label of each day, once
    month_of_day: dict[int, str] = {}

    def month(t: float) -> str:
        d = _dt.timedelta(hours=t).days
        if d not in month_of_day:
            month_of_day[d] = (start + _dt.timedelta(days=d)).strftime("%Y-%m")
        return month_of_day[d]

    months = np.array([month(t) for t in rep.tolist()])
    residents = float(hh["size"].sum())
    n_days = int(np.ceil(p.run.horizon_days))
    day_months = [(start + _dt.timedelta(days=d)).strftime("%Y-%m") for d in range(n_days)]
    labels = sorted(set(day_months))
    days_in = {m: day_months.count(m) for m in labels}
    out["reporting_months"] = labels
    # per 1,000 residents per 30 days of the month that the run covers (partial months compare)
    out["reporting_per_1000_by_month"] = [float((months == m).sum()) / residents * 1000.0 * 30.0 / days_in[m]
                                          for m in labels]
    out["reporting_per_1000_per_30d"] = float(rep.size / residents * 1000.0 * 30.0 / n_days) if n_days else None
    out["trust"] = {"start_mean": float(hh["trust_start"].mean()), "end_mean": float(hh["trust_end"].mean())}
    return out


def summarize(res: RunResult) -> dict:
    """The ``summary.json`` KPIs of one run (see the output contract and module doc)."""
    p = res.params
    iss = res.issues
    rep = iss["t_reported_h"]
    pop = Populations.of(res)
    closed = pop.closed_any
    spot = iss["on_spot"]
    after, disp, due = pop.reported, pop.dispatched, pop.due
    res_time = iss["t_closed_h"] - rep
    by_channel = _group(iss, after & ~spot, "channel", res_time)
    reports = _group(iss, after, "channel", res_time)
    dists = {d.key: dist_stats((iss[d.end] - iss[d.start])[pop[d.population]]) for d in DISTRIBUTIONS}
    rates = {}
    for r in RATES:
        m = pop[r.kpi.population]
        rates[r.kpi.key] = _rate((m & flag(iss, r.flag)).sum(), m.sum())
    units = res.units
    busy = {}
    for L in LEVELS:
        sel = units["level"] == L
        busy_h = float(units["busy_h"][sel].sum())
        cap_h = float(units["capacity_h"][sel].sum())
        busy[L] = {"units": int(sel.sum()), "servers": int(units["servers"][sel].sum()),
                   "busy_h": busy_h, "utilisation": _rate(busy_h, cap_h),
                   "attempts": int(units["attempts"][sel].sum()), "max_queue": int(units["max_queue"][sel].max())
                   if sel.any() else 0}
    sk = staff_kpis(res)
    occurred = pop["occurred"]
    return {
        "scenario": p.scenario,
        "seed": p.seed,
        "horizon_days": p.run.horizon_days,
        "warmup_days": p.run.warmup_days,
        **dists,
        "unfixed_share": _rate((occurred & ~closed).sum(), occurred.sum()),
        "cost": cost_kpis(res),
        "assessment": res.extra.get("assessment"),
        "unstable_units": [u.as_dict() for u in unstable(res.extra.get("offered_load", []))],
        "offered_load": [u.as_dict(keys=False)
                         for u in sorted(res.extra.get("offered_load", []), key=lambda u: -u.rho)[:OFFERED_LOAD_TOP]],
        "drain": {"days_allowed": p.run.drain_days,
                  "days_used": (res.observed_until_h - p.horizon_h) / 24.0,
                  "unfixed_at_end": int((occurred & ~closed).sum())},
        "counts": {
            "occurred": int(np.isfinite(iss["t_occurred_h"]).sum()),
            "discovered": int(np.isfinite(iss["t_discovered_h"]).sum()),
            "reported": int(np.isfinite(rep).sum()),
            "closed": int(closed.sum()),
            "open_at_end": int((np.isfinite(rep) & ~closed).sum()),
            "escalated": int((iss["escalations"] > 0).sum()),
            "routed_up": int((iss["routed_up"] > 0).sum()),
            "reworked": int((iss["reworks"] > 0).sum()),
            "on_spot": int(spot.sum()),
            "breached": int(iss["breached"].sum()),
            "supervised": int(iss["supervised"].sum()),
            "extended": int(iss["extended"].sum()),
            "yellow_warnings": int(iss["yellow_warning"].sum()),
            "red_warnings": int(iss["red_warning"].sum()),
            "dispatched": int(disp.sum()),
            "due": int(due.sum()),
        },
        **rates,
        "by_channel": by_channel,
        "by_type": _group(iss, disp, "type", res_time, due),
        "by_level": _group(iss, disp, "level_reached", res_time),
        "workload": busy,
        "staff_utilisation": sk["utilisation"],
        "routine_coverage": sk["routine_coverage"],
        "grid_duties_h": float(sum(v.get("overhead_h", 0.0) for v in sk["teams"].values())),
        "patrol_coverage": sk["patrol_coverage"],
        "staff": sk["teams"],
        "on_spot_share": _rate(spot[after].sum(), after.sum()),
        "discovery_share": {k: _rate(v["count"], after.sum()) for k, v in reports.items()},
        "lost_reports": int(iss["lost"].sum()),
        "little": little(res),
        "structure": res.structure,
    } | ({"surge": surge_kpis(res)} if p.events else {}) | resident_kpis(res)
