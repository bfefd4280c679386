"""The design optimiser (sim/experiments/optimise.py): its spec, the constraint function,
reproducibility from its seed (with a cheap stand-in for the model), an empty front."""

from __future__ import annotations

import builtins
import math

import pytest

from sim.errors import ConfigError
from sim.experiments import optimise as op

SPEC = {"optimise": {"trials": 12, "batch": 3, "population": 4, "seed": 5, "budget_yuan_per_year": 100.0,
                     "space": {"grids_per_village": [None, 1, 2, 4], "team_budget_scale": [0.8, 1.2],
                               "management_share": [0.03, 0.15], "dispatch_rule": ["ab_post", "grid_pool"]}}}


def fake_evaluate(base, values, seed, objectives):
    """A cheap, deterministic stand-in for a run: more grids are faster and dearer."""
    g = values.get("partition.grids_per_village") or 3
    s = values.get("teams.scale_work", 1.0)
    m = values.get("teams.mix", [0.1, 0.85, 0.05])[0]
    cost = base["price"] * (g + 10 * s)
    return {"objectives": [100.0 / (g * s) + 10 * m, 0.9 + 0.01 * g - m, cost], "cost_yuan_per_year": cost,
            "cost_by_team": {}, "max_utilisation": 0.5 / s, "teams": {}, "grids": g}


def _search(spec, price=7.0):
    return op.search({"price": price, "seed": 1}, op.check_spec(spec), builtins, fake_evaluate)


def test_spec_refuses_unknown_lever_kpi_and_bad_budget():
    with pytest.raises(ConfigError) as e:
        op.check_spec({"optimise": {**SPEC["optimise"], "space": {"grid_count": [1, 2]}}})
    assert e.value.key == "experiment.optimise.space.grid_count"
    with pytest.raises(ConfigError) as e:
        op.check_spec({"optimise": {**SPEC["optimise"], "objectives": ["time_to_fixx"]}})
    assert e.value.key == "experiment.optimise.objectives" and "time_to_fixx" in e.value.message
    with pytest.raises(ConfigError) as e:
        op.check_spec({"optimise": {**SPEC["optimise"], "budget_yuan_per_year": -1}})
    assert e.value.key == "experiment.optimise.budget_yuan_per_year"
    with pytest.raises(ConfigError) as e:
        op.check_spec({"optimise": {**SPEC["optimise"], "space": {"dispatch_rule": ["nearest"]}}})
    assert "ab_post" in e.value.message


def test_constraint_values():
    spec = {"budget_yuan_per_year": 100.0, "max_utilisation": 1.0}
    assert op.constraint_values({"cost_yuan_per_year": 97.0, "max_utilisation": 0.5}, spec)[0] == -3.0
    assert op.constraint_values({"cost_yuan_per_year": 97.0, "max_utilisation": 0.5}, spec)[1] < 0
    assert op.constraint_values({"cost_yuan_per_year": 100.0, "max_utilisation": 1.0}, spec)[1] > 0  # rho = 1: unstable
    assert op.constraint_values({"cost_yuan_per_year": 100.5, "max_utilisation": 0.2}, spec)[0] > 0


def test_search_reproducible_from_its_seed_and_front_feasible():
    study1, ev1 = _search(SPEC)
    study2, ev2 = _search(SPEC)
    p1 = [(t.number, t.params, t.values) for t in study1.trials]
    assert p1 == [(t.number, t.params, t.values) for t in study2.trials]  # same seed, same trials in the same order
    assert len(p1) == 12
    other, _ = _search({"optimise": {**SPEC["optimise"], "seed": 6}})
    assert [t.params for t in other.trials] != [t.params for t in study1.trials]
    front = op.front(study1, ev1, op.check_spec(SPEC))
    infeasible = [t for t in study1.trials if ev1[t.number]["cost_yuan_per_year"] > 100.0]
    assert infeasible  # the budget binds in this search ...
    assert {t.number for t in front}.isdisjoint(t.number for t in infeasible)  # ... and the front keeps to it
    assert front and all(ev1[t.number]["cost_yuan_per_year"] <= 100.0 for t in front)
    assert all(c <= 0 for t in front for c in t.user_attrs["constraint"])
    # told in trial order with its design: the teams' mix and scale follow the trial's shares
    t0 = study1.trials[0]
    assert ev1[0]["design"]["teams.mix"][0] == pytest.approx(t0.params["management_share"])
    assert sum(ev1[0]["design"]["teams.mix"]) == pytest.approx(1.0)


def test_all_trials_infeasible_is_one_clear_error():
    study, ev = _search(SPEC, price=1e6)  # every design costs far above the budget
    with pytest.raises(ConfigError) as e:
        op.front(study, ev, op.check_spec(SPEC))
    assert e.value.key == "experiment.optimise.budget_yuan_per_year" and "no design" in e.value.message


def test_ci95_of_reruns():
    m, lo, hi = op.ci95([1.0, 2.0, 3.0])
    assert m == 2.0 and lo == pytest.approx(2 - 4.302653 / math.sqrt(3), rel=1e-6) and hi > 3.0


def test_bad_optimiser_input_refused_in_one_line(tmp_path):
    from conftest import run_inproc

    out = tmp_path / "opt"
    r = run_inproc("experiment=optimise", "experiment.optimise.objectives=[time_to_fix_h.mean,happiness]",
                   f"hydra.run.dir={out}")
    assert r.returncode == 2, r.stderr
    assert "experiment.optimise.objectives" in r.stderr and "Traceback" not in r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) == 1, r.stderr
    assert not out.exists()
