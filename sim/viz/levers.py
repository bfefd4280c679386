"""The explorer's controls: the scenario and its levers as Mesa ``model_params`` (sliders,
selects, checkboxes), and how each becomes a model parameter (a command-line style
override of the scenario, as ``python run.py`` takes it).

The scenario is composed as ``python run.py scenario=NAME`` composes it (by the function the
page is handed, ``compose.scenario_dict``), then the levers are set in its parameter dict.
Percentages scale the scenario's own value, so a control means the same in every scenario:
``work_team_pct=50`` is ``teams.scale_work`` at half the scenario's.
"""

from __future__ import annotations

from sim.errors import ConfigError
from sim.model import STEP_H_RANGE
from sim.params import DISPATCH_RULES, ESCALATION_RULES, OVERDUE_POLICIES

SCENARIOS = ("chongming_town", "chongming_town_typhoon", "chongming", "chongming_typhoon", "pre_reform")
"""Scenarios with a map (one town first: it builds in about a second; the district in a few)."""
AS_SCENARIO = "as scenario"
GRIDS_PER_VILLAGE = (AS_SCENARIO, "1", "2", "3", "4", "5", "6", "8")
TEAMS = {"management": "management_team_pct", "work": "work_team_pct", "volunteer": "volunteer_team_pct"}
TEAM_PCT_MIN = 5
"""Below this share of the scenario's team the explorer refuses (a team size of 0 leaves
its grids without that team; to compare with no teams at all use scenario pre_reform)."""
PCT_MAX = 300

DEFAULTS = {
    "scenario_name": "chongming_town",
    "grids_per_village": AS_SCENARIO,
    "management_team_pct": 100,
    "work_team_pct": 100,
    "volunteer_team_pct": 100,
    "departments_pct": 100,
    "dispatch_rule": AS_SCENARIO,
    "escalation_rule": AS_SCENARIO,
    "on_overdue": AS_SCENARIO,
    "fused_nets": True,
    "step_h": 6,
    "seed": 0,
}


def model_params(compose, horizon_days: float | None = None) -> dict:
    """SolaraViz ``model_params``: the controls, plus the fixed ``compose`` (scenario name and
    overrides → model parameter dict; ``compose.scenario_dict``) and ``horizon_days``."""
    d = DEFAULTS
    pct = {"type": "SliderInt", "min": 0, "max": PCT_MAX, "step": 5}
    return {
        "scenario_name": {"type": "Select", "value": d["scenario_name"], "values": list(SCENARIOS),
                          "label": "Scenario"},
        "grids_per_village": {"type": "Select", "value": d["grids_per_village"], "values": list(GRIDS_PER_VILLAGE),
                              "label": "Grids per village"},
        "management_team_pct": {**pct, "value": d["management_team_pct"], "label": "Management team %"},
        "work_team_pct": {**pct, "value": d["work_team_pct"], "label": "Work team %"},
        "volunteer_team_pct": {**pct, "value": d["volunteer_team_pct"], "label": "Volunteer team %"},
        "departments_pct": {**pct, "value": d["departments_pct"],
                            "label": "Departments, emergency %"},
        "dispatch_rule": {"type": "Select", "value": d["dispatch_rule"], "values": [AS_SCENARIO, *DISPATCH_RULES],
                          "label": "Dispatch rule"},
        "escalation_rule": {"type": "Select", "value": d["escalation_rule"],
                            "values": [AS_SCENARIO, *ESCALATION_RULES], "label": "Escalation rule"},
        "on_overdue": {"type": "Select", "value": d["on_overdue"], "values": [AS_SCENARIO, *OVERDUE_POLICIES],
                       "label": "When overdue"},
        "fused_nets": {"type": "Checkbox", "value": d["fused_nets"], "label": "Fused nets (one town system)"},
        "step_h": {"type": "SliderInt", "value": d["step_h"], "min": int(STEP_H_RANGE[0]), "max": int(STEP_H_RANGE[1]),
                   "step": 1, "label": "Step span (h)"},
        "seed": {"type": "SliderInt", "value": d["seed"], "min": 0, "max": 99, "step": 1, "label": "Seed"},
        "compose": compose,
        "horizon_days": horizon_days,
    }


def _pct(name: str, value, lo: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (lo <= value <= PCT_MAX):
        what = f"a team size of {value!r} %" if lo == TEAM_PCT_MIN else repr(value)
        hint = (" (a team of 0 leaves its grids without it; scenario pre_reform has no grid teams)"
                if lo == TEAM_PCT_MIN else "")
        raise ConfigError(name, f"must be from {lo} to {PCT_MAX} % of the scenario's, got {what}{hint}")
    return value / 100.0


def _choice(name: str, value, allowed) -> str | None:
    if value not in (AS_SCENARIO, *allowed):
        raise ConfigError(name, f"must be one of {AS_SCENARIO!r}, {', '.join(allowed)}; got {value!r}")
    return None if value == AS_SCENARIO else value


def apply(levers: dict, data: dict) -> dict:
    """The scenario's parameter dict ``data`` (as composed for ``python run.py
    scenario=NAME``) with the explorer's ``levers`` (keys as in :data:`DEFAULTS`) applied,
    as a new dict; the model's own validation (:func:`sim.params_from_dict`) follows.
    Raises :class:`ConfigError` naming the control."""
    import copy

    d = copy.deepcopy(data)
    run = d.setdefault("run", {})
    run["warmup_days"] = 0.0  # live KPIs cover the run from its first hour
    run["drain_days"] = 0.0  # ... to the step shown: the explorer ends at the horizon
    teams = d.setdefault("teams", {})
    for team, key in TEAMS.items():
        teams[f"scale_{team}"] = float(teams.get(f"scale_{team}", 1.0)) * _pct(key, levers[key], TEAM_PCT_MIN)
    deps = d.setdefault("departments", {})
    deps["staff_scale"] = float(deps.get("staff_scale", 1.0)) * _pct("departments_pct", levers["departments_pct"], 1)
    g = levers["grids_per_village"]
    if g not in GRIDS_PER_VILLAGE:
        raise ConfigError("grids_per_village", f"must be one of {', '.join(GRIDS_PER_VILLAGE)}; got {g!r}")
    if g != AS_SCENARIO:
        part = d.setdefault("partition", {})
        part["grids_per_village"] = int(g)
        part["total_grids"] = None
    for name, path, allowed in (("dispatch_rule", ("dispatch", "rule"), DISPATCH_RULES),
                                ("escalation_rule", ("escalation", "rule"), ESCALATION_RULES),
                                ("on_overdue", ("escalation", "on_overdue"), OVERDUE_POLICIES)):
        v = _choice(name, levers[name], allowed)
        if v is not None:
            d.setdefault(path[0], {})[path[1]] = v
    if not isinstance(levers["fused_nets"], bool):
        raise ConfigError("fused_nets", f"must be true or false, got {levers['fused_nets']!r}")
    d.setdefault("fusion", {})["enabled"] = levers["fused_nets"]
    seed = levers["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError("seed", f"must be a whole number >= 0, got {seed!r}")
    d["seed"] = seed
    return d
