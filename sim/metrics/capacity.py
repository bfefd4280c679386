"""Honest capacity: each handling unit's offered load, computed before the run.

For every unit, the expected work that the run's issue catalogue sends it, against the
working hours its people offer on their calendars:

    ρ = Σ_types λ_type × visits_type × (handling + travel) / offered hours per hour

- λ: the type's rate (``issue_types.<t>.rate_per_1000_residents_per_year``) over the
  residents the unit serves (its grid, village, town, or the district);
- visits: how often an issue of the type is attempted at the unit's level: it enters at
  the lowest level that may close it (``min_close_level``) and moves up after a failed
  attempt (``p_fail_attempt`` of the level, or of the type below the town) by the
  escalation rule (:func:`sim.lifecycle.routing.escalation_target`), times one plus the
  type's rework chance; a joint type (``joint_trade``) also sends ``joint_work_share`` of
  its work to the second department;
- handling: the type's mean handling time × the level's ``dur_multiplier``; travel: for
  town departments and district bureaus, the mean car journey from the unit's base to
  the households it serves (members' travel within a grid is left out);
- offered hours: the sum over the unit's people of their issue-work hours on their
  calendars over the run, per hour.

On-the-spot fixes and overdue escalations are not subtracted or added (an upper bound on
the first, a lower bound on the second). A unit with ρ ≥ 1 cannot keep up on average: its
queue grows for as long as the run lasts. :func:`unstable` lists them with the keys that
drive ρ; ``run.unstable`` decides whether that refuses the run or warns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.lifecycle.routing import escalation_target
from sim.vocab import LEVELS, TRADES

TRAVEL_SAMPLE = 64
"""Households sampled per department to estimate its mean journey (the estimate's spread
at 64 is a few minutes, well below the handling times it is added to)."""


@dataclass
class UnitLoad:
    """The offered load of one unit: ``rho``, the work (h per h) and the hours offered
    (h per h), and the keys that drive it (the unit's staffing first, then its largest
    inflows)."""

    unit: str
    level: str
    rho: float
    work_h_per_h: float
    offered_h_per_h: float
    keys: list[str] = field(default_factory=list)

    def as_dict(self, keys: bool = True) -> dict:
        """For ``summary.json``: ``rho`` is None where it is unbounded (work comes in but the
        unit's people offer no working hours, e.g. every hour taken by fixed duties); JSON
        has no infinity."""
        out = {"unit": self.unit, "level": self.level, "rho": self.rho if math.isfinite(self.rho) else None}
        return {**out, "keys": self.keys} if keys else out


def visits_per_issue(p, min_level: int, p_fail_type) -> np.ndarray:
    """Expected attempts at each level of an issue entering at ``min_level`` (failed
    attempts move it up by the escalation rule; at the district it is tried again)."""
    v = np.zeros(len(LEVELS))
    mass, level = 1.0, min_level
    for _ in range(64):  # a geometric tail: 64 steps leave < 1e-6 of the mass for p_fail <= 0.8
        v[level] += mass
        pf = p_fail_type if (p_fail_type is not None and level < 2) else p.levels.by_index(level).p_fail_attempt
        mass *= pf
        if mass < 1e-9:
            break
        level = escalation_target(level, p.escalation.rule)
    return v


def offered_load(model) -> list[UnitLoad]:
    """The offered load of every unit of a built model (see module doc)."""
    p, world, ppl = model.params, model.world, model.people
    T = p.horizon_h
    res_grid = np.bincount(world.household_grid, weights=world.household_size.astype(float),
                           minlength=world.n_grids)
    res = [res_grid, world.village_residents(),
           np.bincount(world.village_town, weights=world.village_residents(), minlength=world.n_towns),
           np.array([res_grid.sum()])]
    work_h = np.zeros(len(ppl.units))
    drivers: dict[int, list[tuple[float, str]]] = {}
    travel = _department_travel_h(model)
    for t in p.issue_types:
        lam_per_h = t.rate_per_1000_residents_per_year / 1000.0 / (365.0 * 24.0)
        visits = visits_per_issue(p, LEVELS.index(t.min_close_level), t.p_fail_attempt) * (1.0 + t.p_rework)
        parts = [(TRADES.index(t.trade), 1.0)]
        if t.joint_trade:
            parts.append((TRADES.index(t.joint_trade), t.joint_work_share))
        for L in range(len(LEVELS)):
            if visits[L] <= 0:
                continue
            h = t.handling.mean_h * p.levels.by_index(L).dur_multiplier
            for trade, share in parts:
                if share < 1.0 and L < 2:
                    continue  # joint handling (联合处置) is between departments
                for geo in range(len(res[L])):
                    uid = ppl.unit_for(L, geo, trade)
                    w = lam_per_h * res[L][geo] * visits[L] * (h * share + travel.get(uid, 0.0))
                    work_h[uid] += w
                    drivers.setdefault(uid, []).append((w, f"issue_types.{t.name}.rate_per_1000_residents_per_year"))
    out = []
    worked: dict[int, float] = {}  # by calendar: ~42,000 servers share ~200 calendars (saves ~0.15 s)

    def hours(cal) -> float:
        h = worked.get(id(cal))
        if h is None:
            h = worked[id(cal)] = T if cal.always_on else float(cal.work_before(T))
        return h

    for u in ppl.units:
        offered = sum(hours(s.cal) for s in u.servers if s.cal is not None) / T if T > 0 else 0.0
        rho = work_h[u.uid] / offered if offered > 0 else (np.inf if work_h[u.uid] > 0 else 0.0)
        out.append(UnitLoad(u.name, u.level_name, float(rho), float(work_h[u.uid]), float(offered),
                            _keys(p, u, drivers.get(u.uid, []))))
    return out


def _department_travel_h(model) -> dict[int, float]:
    """Mean car journey (h) from each department's base to the households it serves."""
    world, ppl = model.world, model.people
    if world.household_xy is None or model.travel is None:
        return {}
    h_town = world.village_town[world.household_village]
    out = {}
    for u in ppl.units:
        if u.kind != "department" or not u.servers or u.servers[0].base_xy is None:
            continue
        pool = np.flatnonzero(h_town == u.geo) if u.level == 2 else np.arange(world.n_households)
        if len(pool) == 0:
            continue
        pick = pool[np.linspace(0, len(pool) - 1, min(TRAVEL_SAMPLE, len(pool))).astype(np.int64)]
        base = u.servers[0].base_xy
        xy = world.household_xy
        out[u.uid] = float(np.mean([model.travel_h(base, (float(xy[h, 0]), float(xy[h, 1])), 12.0, "car")
                                    for h in pick]))
    return out


def _keys(p, unit, drivers: list[tuple[float, str]]) -> list[str]:
    """The keys that drive a unit's ρ: its staffing, then its two largest inflows."""
    level = LEVELS[unit.level]
    if unit.kind == "department":
        name = unit.servers[0].role if unit.servers else ""
        staffing = [f"departments.{level}.{name}.staff_per_10k_residents", f"departments.{level}.{name}.case_share",
                    "departments.staff_scale"]
    elif unit.kind == "crews":
        staffing = [f"levels.{level}.crews"]
    else:
        staffing = ["teams.scale_work", "teams.scale_management", "staff.cadres_per_village"]
    top = [k for _, k in sorted(drivers, key=lambda d: -d[0])]
    seen: list[str] = []
    for k in top:
        if k not in seen:
            seen.append(k)
        if len(seen) == 2:
            break
    return staffing + seen


def unstable(loads: list[UnitLoad], threshold: float = 1.0) -> list[UnitLoad]:
    """Units whose offered load is at least ``threshold``, worst first."""
    return sorted((u for u in loads if u.rho >= threshold), key=lambda u: -u.rho)
