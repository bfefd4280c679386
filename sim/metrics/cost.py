"""What a design costs a year, in yuan, and per issue fixed.

The people and places of the run at the prices of ``costs.*``
(:class:`sim.params.CostParams`), a year's worth whatever the horizon:

- grid teams: work-team pay, management stipends (a grid leader from the management team
  at the leader's stipend), volunteers' organising and incentives, each member's training
  at ``teams.training_level``;
- village cadres (cadre grid leaders are cadres), town departments' and district bureaus'
  case handlers (their configured staff on grid cases; staff lent in an emergency are not
  counted twice), household heads' stipends, one service point per grid;
- the monthly assessment's supervision of rectified grids, at a department's hourly cost.

``per_fixed_issue_yuan`` divides the year's cost by the issues fixed in a year (those
that occurred in the KPI window and were fixed, over the window's length);
``staff_h_per_fixed_issue`` the contracted staff-hours of the KPI window by the issues
fixed in it. Abstract crews (validation worlds) cost nothing.
"""

from __future__ import annotations

from sim.metrics.populations import Populations

WORK_HOURS_PER_YEAR = 2000.0
"""A full-time year (250 working days of 8 h): prices a department's hour of supervision."""


def cost_kpis(res) -> dict:
    """``cost`` of ``summary.json`` (see module doc)."""
    p = res.params
    c = p.costs
    st = res.staff
    s = res.structure
    level = p.teams.training_level
    train = c.training_yuan_per_member_per_year * level
    by_team = {"work": 0.0, "management": 0.0, "volunteer": 0.0, "cadre": 0.0, "department": 0.0,
               "household_heads": 0.0, "service_points": 0.0}
    contract_h = 0.0
    if st is not None:
        team, role = st["team"], st["role"]
        n_work = int((team == "work").sum())
        n_lead = int(((team == "management") & (role == "grid_leader")).sum())
        n_mgmt = int((team == "management").sum()) - n_lead
        n_vol = int((team == "volunteer").sum())
        by_team["work"] = n_work * (12.0 * c.work_yuan_per_month + train)
        by_team["management"] = n_mgmt * (12.0 * c.management_yuan_per_month + train) + \
            n_lead * (12.0 * c.grid_leader_yuan_per_month + train)
        by_team["volunteer"] = n_vol * (c.volunteer_yuan_per_year + train)
        by_team["cadre"] = int((team == "cadre").sum()) * 12.0 * c.cadre_yuan_per_month
        contract_h = float(st["contract_h"][team != "crew"].sum())
    handlers = sum(d["case_handlers"] for lv in (s.get("departments") or {}).values() for d in lv.values())
    by_team["department"] = handlers * 12.0 * c.department_yuan_per_month
    by_team["household_heads"] = float(s.get("household_heads") or 0) * 12.0 * c.household_head_yuan_per_month
    if st is not None and (st["team"] != "crew").any():
        by_team["service_points"] = float(s.get("service_points") or 0) * c.service_point_yuan_per_year
    sup_h = (res.extra.get("assessment") or {}).get("supervision_h", 0.0)
    by_team["assessment"] = sup_h * 12.0 * c.department_yuan_per_month / WORK_HOURS_PER_YEAR
    total = float(sum(by_team.values()))
    pop = Populations.of(res)
    fixed = int(pop["occurred_fixed"].sum())
    window_days = max(p.run.horizon_days - p.run.warmup_days, 1e-9)
    fixed_per_year = fixed * 365.0 / window_days
    return {"total_yuan_per_year": total, "by_team": by_team,
            "per_fixed_issue_yuan": total / fixed_per_year if fixed_per_year > 0 else None,
            "staff_h_per_fixed_issue": contract_h / fixed if fixed > 0 else None,
            "fixed_per_year": float(fixed_per_year)}
