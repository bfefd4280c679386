"""Live KPIs: the run's official KPIs (``summary.json``, :func:`sim.metrics.kpi.summarize`)
as if the run ended at the model's current time, so that a chart's last point at the
horizon is the run's own KPI (with the explorer's warm-up of zero).

The records are assembled from a *window view* of the running model: the model with its
horizon moved to now. Every stage timestamp after now is then "not reached" (the records
clip at the horizon), an issue is *due* when closed or past its deadline by now, and staff
hours cover [0, now]. Nothing is computed twice: the same record and KPI code serves the
end of a run and every step of the explorer.
"""

from __future__ import annotations

import dataclasses
import math

from sim.metrics.kpi import TEAM_ORDER, summarize
from sim.metrics.records import collect

SATURATED_UTILISATION = 0.9
"""A unit whose people have been busy this share of their working hours so far, with a queue
over twice its people, is reported as unstable (its queue keeps growing)."""
MIN_DAYS_FOR_STABILITY = 3.0
"""Stability is judged only after this many simulated days (the first days are start-up)."""


class WindowView:
    """The model seen as if its horizon were ``now_h`` (hours): what the record functions
    read (params with ``run.horizon_days`` = now and no warm-up), everything else the
    model's own."""

    def __init__(self, model, now_h: float):
        self._model = model
        p = model.params
        run = dataclasses.replace(p.run, horizon_days=now_h / 24.0, warmup_days=0.0)
        self.params = dataclasses.replace(p, run=run)

    def __getattr__(self, name):
        return getattr(self._model, name)


def summary_now(model) -> dict | None:
    """The KPIs of ``model`` (a :class:`sim.model.GovernanceModel`) so far; None at time 0."""
    if model.now_h <= 0.0:
        return None
    return summarize(collect(WindowView(model, model.now_h)))


def _mean(d: dict | None) -> float:
    v = None if d is None else d.get("mean")
    return float("nan") if v is None else float(v)


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def kpi_row(model) -> dict:
    """One row of live KPIs (the DataCollector's model reporters read it).

    ``backlog``: issues reported and not closed; ``time_to_fix_h``: mean occurred →
    fixed (on-the-spot fixes included); ``resolution_time_h``: mean report → closed of
    dispatched issues; ``on_time_rate``, ``satisfaction_rate``: as in summary.json;
    ``util_<team>``: mean staff utilisation of the team ((on duty − idle) / on duty);
    ``staff_h_per_fix``: on-duty staff-hours so far per issue fixed (the cost of the
    design in working time); ``cost_per_fix_yuan``: the design's cost a year per issue
    fixed (summary.json ``cost``); ``staff_h_<team>``: on-duty staff-hours so far by team."""
    row = {"day": model.now_h / 24.0, "backlog": 0.0, "time_to_fix_h": math.nan, "resolution_time_h": math.nan,
           "on_time_rate": math.nan, "satisfaction_rate": math.nan, "staff_h_per_fix": math.nan,
           "cost_per_fix_yuan": math.nan}
    for t in TEAM_ORDER:
        row[f"util_{t}"] = math.nan
        row[f"staff_h_{t}"] = 0.0
    if model.now_h <= 0.0:
        return row
    res = collect(WindowView(model, model.now_h))
    s = summarize(res)
    model._live_records = res
    model._live_summary = s
    n_fixed = int(s["time_to_fix_h"]["n"])
    row["backlog"] = float(s["counts"]["open_at_end"])
    row["time_to_fix_h"] = _mean(s["time_to_fix_h"])
    row["resolution_time_h"] = _mean(s["resolution_time_h"])
    row["on_time_rate"] = _num(s["on_time_rate"])
    row["satisfaction_rate"] = _num(s.get("satisfaction_rate"))
    total_h = 0.0
    for team, u in s["staff_utilisation"].items():
        row[f"util_{team}"] = float(u["mean"])
    for team, st in s["staff"].items():
        row[f"staff_h_{team}"] = float(st["contract_h"])
        total_h += float(st["contract_h"])
    if n_fixed and total_h > 0:
        row["staff_h_per_fix"] = total_h / float(n_fixed)
    row["cost_per_fix_yuan"] = _num(s["cost"]["per_fixed_issue_yuan"])
    return row


def saturated_units(model, now_h: float) -> list[dict]:
    """Units whose people have been busy at least :data:`SATURATED_UTILISATION` of their
    working hours so far and whose queue is over twice their people (plus 2): ``{unit, level, rho,
    waiting, servers}``, worst first. Empty before :data:`MIN_DAYS_FOR_STABILITY` days."""
    if now_h < 24.0 * MIN_DAYS_FOR_STABILITY:
        return []
    out = []
    for u in model.people.units:
        servers = [s for s in u.servers if s.cal is not None]
        if not servers or u.qlen <= 2 * len(servers) + 2:
            continue
        cap = sum(now_h if s.cal.always_on else float(s.cal.work_before(now_h)) for s in servers)
        if cap <= 0:
            continue
        rho = float(u.busy_h) / cap
        if rho >= SATURATED_UTILISATION:
            out.append({"unit": u.name, "level": u.level_name, "rho": rho, "waiting": int(u.qlen),
                        "servers": len(servers)})
    return sorted(out, key=lambda d: -d["waiting"])
