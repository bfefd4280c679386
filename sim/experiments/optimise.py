"""A design optimiser: a multi-objective search over the reform's levers (optuna NSGA-II).

``experiment.type: optimise`` (``python run.py experiment=optimise``) searches, per trial,
the levers listed in ``experiment.optimise.space``:

- ``grids_per_village``: levels of ``partition.grids_per_village`` (null: the current rule);
- ``team_budget_scale`` [lo, hi]: the grid teams' budget as a multiple of what the
  scenario's teams cost (``teams.scale_*``), shared by ``management_share`` [lo, hi] and
  ``volunteer_share`` [lo, hi] (the work team gets the rest) through ``teams.mix``;
- ``dispatch_rule``: levels of ``dispatch.rule``; ``on_overdue``: levels of
  ``escalation.on_overdue``.

Objectives (``experiment.optimise.objectives``): KPIs of the registry, each minimised or
maximised in the direction it declares (default: mean time to fix, satisfaction rate, cost
a year). Constraints, through optuna's constraint mechanism
(:meth:`optuna.trial.Trial.set_constraint`, which NSGA-II's constrained domination and
``best_trials`` read; feasible when every value is ≤ 0; also recorded as the trial's
``constraint`` user attribute): the cost a year (:mod:`sim.metrics.cost`) within ``budget_yuan_per_year``, and
every unit's offered load (:mod:`sim.metrics.capacity`) below ``max_utilisation``.

The search is :class:`optuna.samplers.NSGAIISampler` seeded from the experiment stream
``optimiser`` of ``experiment.optimise.seed``, asked for ``batch`` trials at a time, the
batch run in a process pool and told in trial order, so the same settings give the same
trials whatever the pool does. Every trial runs at the config's ``seed`` (common random
numbers); each point of the feasible Pareto front is run again on ``rerun_seeds`` fresh
seeds (1001, 1002, ...) for its means and 95 % t-intervals (a share's clipped to [0, 1]).
"""

from __future__ import annotations

import copy
import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.errors import ConfigError
from sim.vocab import DISPATCH_RULES, OVERDUE_POLICIES

LEVERS = ("grids_per_village", "team_budget_scale", "management_share", "volunteer_share", "dispatch_rule",
          "on_overdue")
DEFAULT_OBJECTIVES = ("time_to_fix_h.mean", "satisfaction_rate", "cost.total_yuan_per_year")
FRESH_SEED0 = 1001
KEY = "experiment.optimise"


def _whole(key: str, v, lo: int, hi: int = 100_000) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not float(v).is_integer() or not lo <= v <= hi:
        raise ConfigError(key, f"must be a whole number from {lo} to {hi:,}, got {v!r}")
    return int(v)


def _interval(key: str, v, lo: float, hi: float) -> tuple[float, float]:
    ok = isinstance(v, (list, tuple)) and len(v) == 2 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)
    if not ok or not (lo <= v[0] < v[1] <= hi):
        raise ConfigError(key, f"must be [low, high] with {lo:g} <= low < high <= {hi:g}, got {v!r}")
    return float(v[0]), float(v[1])


def _levels(key: str, v, allowed: tuple | None, kind=None) -> list:
    if not isinstance(v, (list, tuple)) or not v:
        raise ConfigError(key, f"must be a non-empty list of levels, got {v!r}")
    for x in v:
        if allowed is not None and x not in allowed:
            raise ConfigError(key, f"{x!r} is not a level; allowed: {', '.join(map(str, allowed))}")
        if kind == "grids" and x is not None and (isinstance(x, bool) or not isinstance(x, int) or x < 1):
            raise ConfigError(key, f"{x!r} is not a level; allowed: null (the current rule) or whole numbers >= 1")
    if len({str(x) for x in v}) != len(v):
        raise ConfigError(key, "levels must differ")
    return list(v)


def check_spec(exp: dict) -> dict:
    """The checked ``experiment.optimise`` (plain dict). Raises ConfigError naming the key."""
    o = exp.get("optimise")
    if not isinstance(o, dict):
        raise ConfigError(KEY, "must be a mapping (trials, batch, population, seed, objectives, budget_yuan_per_year, "
                               "max_utilisation, rerun_seeds, space)")
    allowed = {"trials", "batch", "population", "seed", "objectives", "budget_yuan_per_year", "max_utilisation",
               "rerun_seeds", "space"}
    unknown = sorted(set(o) - allowed)
    if unknown:
        raise ConfigError(f"{KEY}.{unknown[0]}", f"unknown key; allowed: {', '.join(sorted(allowed))}")
    from sim.experiments.ranking import ranked_kpi

    out = {"trials": _whole(f"{KEY}.trials", o.get("trials", 24), 2),
           "batch": _whole(f"{KEY}.batch", o.get("batch", 2), 1, 64),
           "population": _whole(f"{KEY}.population", o.get("population", 8), 2),
           "seed": _whole(f"{KEY}.seed", o.get("seed", 1), 0, 2**31 - 1),
           "rerun_seeds": _whole(f"{KEY}.rerun_seeds", o.get("rerun_seeds", 3), 2, 1000),
           "n_jobs": _whole("experiment.n_jobs", exp.get("n_jobs", 2), 1, 256)}
    objs = o.get("objectives", list(DEFAULT_OBJECTIVES))
    if not isinstance(objs, (list, tuple)) or not objs:
        raise ConfigError(f"{KEY}.objectives", f"must list KPIs, got {objs!r}")
    out["objectives"] = [ranked_kpi(k, f"{KEY}.objectives") for k in objs]
    b = o.get("budget_yuan_per_year")
    if isinstance(b, bool) or not isinstance(b, (int, float)) or not math.isfinite(b) or b <= 0:
        raise ConfigError(f"{KEY}.budget_yuan_per_year", f"must be a number of yuan above 0, got {b!r}")
    out["budget_yuan_per_year"] = float(b)
    u = o.get("max_utilisation", 1.0)
    if isinstance(u, bool) or not isinstance(u, (int, float)) or not 0 < u <= 1:
        raise ConfigError(f"{KEY}.max_utilisation", f"must be a number above 0, at most 1, got {u!r}")
    out["max_utilisation"] = float(u)
    sp = o.get("space")
    if not isinstance(sp, dict) or not sp:
        raise ConfigError(f"{KEY}.space", f"must map levers to levels or ranges; allowed: {', '.join(LEVERS)}")
    space = {}
    for k, v in sp.items():
        key = f"{KEY}.space.{k}"
        if k not in LEVERS:
            raise ConfigError(key, f"unknown lever; allowed: {', '.join(LEVERS)}")
        if k == "grids_per_village":
            space[k] = _levels(key, v, None, "grids")
        elif k == "dispatch_rule":
            space[k] = _levels(key, v, DISPATCH_RULES)
        elif k == "on_overdue":
            space[k] = _levels(key, v, OVERDUE_POLICIES)
        elif k == "team_budget_scale":
            space[k] = _interval(key, v, 0.01, 10.0)
        else:
            space[k] = _interval(key, v, 0.0, 1.0)
    if space.get("management_share", (0, 0))[1] + space.get("volunteer_share", (0, 0))[1] >= 1:
        raise ConfigError(f"{KEY}.space.volunteer_share", "management_share's and volunteer_share's highs must sum "
                                                           "below 1 (the work team gets the rest)")
    out["space"] = space
    return out


def distributions(space: dict) -> dict:
    """optuna's distribution of each lever (levels as categories, ranges as floats)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    out = {}
    for k, v in space.items():
        out[k] = CategoricalDistribution(list(v)) if isinstance(v, list) else FloatDistribution(*v)
    return out


def design_values(params: dict, space: dict) -> dict:
    """A trial's levers as model keys (dotted): what it changes in the base parameters."""
    out = {}
    if "grids_per_village" in params:
        out["partition.grids_per_village"] = params["grids_per_village"]
    if "dispatch_rule" in params:
        out["dispatch.rule"] = params["dispatch_rule"]
    if "on_overdue" in params:
        out["escalation.on_overdue"] = params["on_overdue"]
    if "team_budget_scale" in params:
        s = float(params["team_budget_scale"])
        out.update({"teams.scale_management": s, "teams.scale_work": s, "teams.scale_volunteer": s})
    if "management_share" in params or "volunteer_share" in params:
        m = float(params.get("management_share", 0.078))
        v = float(params.get("volunteer_share", 0.023))
        out.update({"teams.mix": [m, 1.0 - m - v, v], "teams.budget_basis": "yuan"})
    return out


def set_dotted(tree: dict, key: str, value) -> None:
    node = tree
    parts = key.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def evaluate(base: dict, values: dict, seed: int, objectives: list[str]) -> dict:
    """One run of the base parameters with ``values`` set at ``seed``: the objectives, the
    cost a year and its parts, the largest offered load; or the error."""
    from sim.experiments.sensitivity import _kpi
    from sim.metrics.kpi import summarize
    from sim.model import run_model
    from sim.params import params_from_dict
    from sim.precheck import check

    d = copy.deepcopy(base)
    for k, v in values.items():
        set_dotted(d, k, v)
    d["seed"] = int(seed)
    d.setdefault("run", {})["unstable"] = "warn"  # an unstable design is a constraint violation, not an error
    try:
        p = params_from_dict(d)
        check(p)
        s = summarize(run_model(p))
    except ConfigError as e:
        return {"error": str(e)}
    loads = [u.get("rho") for u in s.get("offered_load") or [] if u.get("rho") is not None]
    return {"objectives": [_kpi(s, k) for k in objectives], "cost_yuan_per_year": s["cost"]["total_yuan_per_year"],
            "cost_by_team": s["cost"]["by_team"], "max_utilisation": max(loads, default=0.0),
            "teams": {k: (s["staff"].get(k) or {}).get("members") for k in ("management", "work", "volunteer")},
            "grids": (s.get("structure") or {}).get("grids")}


CONSTRAINTS = ("budget", "stability")


def constraint_values(evaluation: dict, spec: dict) -> list[float]:
    """A design's constraints, each ≤ 0 when satisfied: its cost a year less the budget,
    and its largest offered load less ``max_utilisation`` (strictly below: a load equal to
    the limit counts as a violation)."""
    return [evaluation["cost_yuan_per_year"] - spec["budget_yuan_per_year"],
            evaluation["max_utilisation"] - spec["max_utilisation"] + 1e-9]


def search(base: dict, spec: dict, pool, evaluate_fn=None) -> tuple:
    """Run the search; return the study and each trial's evaluation (by number).
    ``pool``: anything with ``map`` (a process pool; ``builtins``' map runs in this
    process); ``evaluate_fn``: the evaluation (default :func:`evaluate`; tests pass a
    cheap one)."""
    import optuna

    from sim.metrics.registry import describe
    from sim.rng import experiment_stream

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed = int(experiment_stream(spec["seed"], "optimiser").integers(2**31 - 1))
    # constraints through Trial.set_constraint, which optuna 5 reads for NSGA-II's constrained
    # domination and for best_trials (its constraints_func argument is deprecated since 5.0)
    sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=spec["population"])
    dirs = ["minimize" if describe(k)["better"] == "lower" else "maximize" for k in spec["objectives"]]
    study = optuna.create_study(directions=dirs, sampler=sampler)
    dist = distributions(spec["space"])
    evals: dict[int, dict] = {}
    run_seed = int(base.get("seed", 0))
    while len(study.trials) < spec["trials"]:
        batch = [study.ask(dist) for _ in range(min(spec["batch"], spec["trials"] - len(study.trials)))]
        vals = [design_values(t.params, spec["space"]) for t in batch]
        res = list(pool.map(evaluate_fn or evaluate, [base] * len(batch), vals, [run_seed] * len(batch),
                            [spec["objectives"]] * len(batch)))
        for t, v, r in zip(batch, vals, res):  # told in trial order: the sampler sees the same history every time
            evals[t.number] = {"design": v, **r}
            if "error" in r or not all(math.isfinite(x) for x in r["objectives"]):
                t.set_user_attr("constraint", [math.inf, math.inf])
                study.tell(t, state=optuna.trial.TrialState.FAIL)
                continue
            cons = constraint_values(r, spec)
            t.set_user_attr("constraint", cons)  # the record (optimise.json)
            for name, v in zip(CONSTRAINTS, cons):
                t.set_constraint(name, v)
            study.tell(t, r["objectives"])
    return study, evals


def front(study, evals: dict, spec: dict) -> list:
    """The feasible Pareto front (optuna's ``best_trials``, which keep feasible trials
    only), in trial order. Raises ConfigError when no trial is feasible."""
    feasible = [t for t in study.trials if t.values is not None and all(c <= 0 for c in t.user_attrs["constraint"])]
    if not feasible:
        done = [e for e in evals.values() if "error" not in e]
        cheapest = min((e["cost_yuan_per_year"] for e in done), default=math.nan)
        calm = min((e["max_utilisation"] for e in done), default=math.nan)
        raise ConfigError(f"{KEY}.budget_yuan_per_year",
                          f"no design of the {len(study.trials)} trials is feasible (cheapest {cheapest:,.0f} yuan a "
                          f"year against a budget of {spec['budget_yuan_per_year']:,.0f}; lowest largest offered "
                          f"load {calm:.2f} against max_utilisation {spec['max_utilisation']:g}); allowed: a larger "
                          f"budget, a smaller space or more trials (nothing was written)")
    ids = {t.number for t in feasible}
    return sorted((t for t in study.best_trials if t.number in ids), key=lambda t: t.number)


def ci95(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95 % t-interval of ``x``."""
    from scipy import stats

    m = float(np.mean(x))
    if len(x) < 2:
        return m, math.nan, math.nan
    h = float(stats.t.ppf(0.975, len(x) - 1) * np.std(x, ddof=1) / math.sqrt(len(x)))
    return m, m - h, m + h


def optimise(base: dict, spec: dict) -> dict:
    """The whole optimisation: search, front, re-runs on fresh seeds. Returns the result
    (``optimise.json``'s content). Raises ConfigError for an empty front."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # the workers import what they need; no forked state
    with ProcessPoolExecutor(max_workers=spec["n_jobs"], mp_context=ctx) as pool:
        study, evals = search(base, spec, pool)
        pts = front(study, evals, spec)
        seeds = [FRESH_SEED0 + k for k in range(spec["rerun_seeds"])]
        jobs = [(t.number, s) for t in pts for s in seeds]
        reruns = list(pool.map(evaluate, [base] * len(jobs), [evals[n]["design"] for n, _ in jobs],
                               [s for _, s in jobs], [spec["objectives"]] * len(jobs)))
    trials = [{"number": t.number, "params": t.params, "state": t.state.name, "objective_values": t.values,
               "constraint": t.user_attrs.get("constraint"), **{k: v for k, v in evals[t.number].items()
                                                                 if k != "objectives"}} for t in study.trials]
    from sim.metrics.registry import describe

    points = []
    for t in pts:
        rr = [r for (n, _), r in zip(jobs, reruns) if n == t.number]
        bad = [r["error"] for r in rr if "error" in r]
        ev = evals[t.number]
        entry = {"trial": t.number, "params": t.params, "design": ev["design"], "search_values": list(t.values),
                 "cost_by_team": ev["cost_by_team"], "teams": ev["teams"], "grids": ev["grids"],
                 "max_utilisation": ev["max_utilisation"], "rerun_seeds": seeds, "rerun": {}}
        if bad:
            entry["rerun_errors"] = bad
        for j, k in enumerate(spec["objectives"]):
            x = np.array([r["objectives"][j] for r in rr if "error" not in r], dtype=float)
            m, lo, hi = ci95(x[np.isfinite(x)])
            if describe(k)["unit"] == "share":  # a share's interval within [0, 1]
                lo, hi = max(lo, 0.0), min(hi, 1.0)
            entry["rerun"][k] = {"mean": m, "ci95": [lo, hi], "n": int(np.isfinite(x).sum())}
        points.append(entry)

    return {"objectives": [{"kpi": k, "better": describe(k)["better"]} for k in spec["objectives"]],
            "constraints": {"budget_yuan_per_year": spec["budget_yuan_per_year"],
                            "max_utilisation": spec["max_utilisation"]},
            "search": {k: spec[k] for k in ("trials", "batch", "population", "seed")} | {
                "sampler": "optuna.samplers.NSGAIISampler", "space": {k: list(v) for k, v in spec["space"].items()},
                "trial_seed": int(base.get("seed", 0))},
            "costs": base.get("costs", {}), "trials": trials, "front": points}

