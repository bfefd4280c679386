"""What the design costs: prices in yuan, and a staffing generated from a budget.

Part of :mod:`sim.params` (import from there)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.typedconfig import num

GRID_TEAMS = ("management", "work", "volunteer")
"""The grid teams whose sizes a budget sets (``teams.mix`` lists shares in this order)."""


@dataclass(frozen=True)
class CostParams:
    """Prices of the people and places a design uses (yuan; a month is 1/12 of a year).

    ``work_yuan_per_month``: an eco-job worker's pay (calibration 9.1: 3,000, 2,500-4,500
    [A]); ``management_yuan_per_month``: the stipend of an ordinary management member
    (villager-group heads, women's group heads, local figures) [A];
    ``grid_leader_yuan_per_month``: the stipend of a grid leader drawn from the management
    team (a cadre leader is paid as a cadre) [A]; ``volunteer_yuan_per_year``: organising,
    insurance and small incentives per volunteer [A]; ``cadre_yuan_per_month``: a village
    cadre's pay [A]; ``department_yuan_per_month``: a town department's or district bureau's
    case handler (the staff time on grid cases) [A]; ``household_head_yuan_per_month``: a
    household head's stipend, if any [A]; ``service_point_yuan_per_year``: running one
    grid's service point (rooms, utilities, the 10th/20th services) [A];
    ``training_yuan_per_member_per_year``: training a grid-team member for a year at
    ``teams.training_level`` 1 (paid in proportion to the level) [A].
    """

    work_yuan_per_month: float = num(3000.0, lo=0.0)
    management_yuan_per_month: float = num(300.0, lo=0.0)
    grid_leader_yuan_per_month: float = num(800.0, lo=0.0)
    volunteer_yuan_per_year: float = num(300.0, lo=0.0)
    cadre_yuan_per_month: float = num(7000.0, lo=0.0)
    department_yuan_per_month: float = num(10000.0, lo=0.0)
    household_head_yuan_per_month: float = num(0.0, lo=0.0)
    service_point_yuan_per_year: float = num(20000.0, lo=0.0)
    training_yuan_per_member_per_year: float = num(400.0, lo=0.0)

    def member_yuan_per_year(self, team: str, training_level: float) -> float:
        """What one more member of grid team ``team`` costs a year (pay and training)."""
        pay = {"work": 12.0 * self.work_yuan_per_month, "management": 12.0 * self.management_yuan_per_month,
               "volunteer": self.volunteer_yuan_per_year}[team]
        return pay + self.training_yuan_per_member_per_year * training_level


def member_hours_per_year(p, team: str) -> float:
    """Contracted hours a year of one member of grid team ``team`` (52 weeks of its week)."""
    s = getattr(p.staff, team)
    return 52.0 * (168.0 if s.always_on else s.days_per_week * s.hours_per_day)


def _unit(p, team: str, hours: bool) -> float:
    """A member of ``team`` a year: its cost in yuan, or its contracted hours."""
    return member_hours_per_year(p, team) if hours else p.costs.member_yuan_per_year(team, p.teams.training_level)


def team_totals(p) -> dict[str, int]:
    """The sizes of the three grid teams: ``teams.<team>_total`` × ``teams.scale_<team>``;
    or, with a ``teams.mix``, the mix's shares of a budget at each team's cost per member a
    year (:meth:`CostParams.member_yuan_per_year`) or contracted hours a year: the budget is
    ``teams.budget_yuan`` or ``teams.budget_hours_per_year``, else what the totals cost (in
    ``teams.budget_basis``), so that a mix alone reshapes the teams at equal cost."""
    t = p.teams
    base = {k: int(round(getattr(t, f"{k}_total") * getattr(t, f"scale_{k}"))) for k in GRID_TEAMS}
    if not t.mix:
        return base
    hours = t.budget_hours_per_year is not None or (t.budget_yuan is None and t.budget_basis == "hours")
    budget = t.budget_hours_per_year if t.budget_hours_per_year is not None else t.budget_yuan
    if budget is None:
        budget = sum(n * _unit(p, k, hours) for k, n in base.items())
    shares = [float(x) for x in t.mix]
    total = sum(shares)
    out = {}
    for k, share in zip(GRID_TEAMS, shares):
        unit, money = _unit(p, k, hours), budget * share / total
        out[k] = int(round(money / unit)) if unit > 0 and money > 0 else 0
    return out


def team_cost(p, totals: dict[str, int], hours: bool = False) -> float:
    """What grid teams of sizes ``totals`` cost a year (yuan), or their contracted hours."""
    return float(sum(n * _unit(p, k, hours) for k, n in totals.items()))
