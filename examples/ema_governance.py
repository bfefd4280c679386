"""The governance model as an EMA Workbench model: its policy levers (grids per village,
dispatch rule, escalation rule and overdue policy, team sizes) under uncertainties drawn from
the assumption registry's ranges (``conf/assumptions.yaml``), over :func:`sim.simulate`.

    python -m pip install -e '.[ema]'
    python examples/ema_governance.py                               # 8 scenarios x 4 policies x 2 seeds
    python examples/ema_governance.py --scenarios 4 --policies 2 --seeds 1 --days 30
    python examples/ema_governance.py --uncertainties teams.training_level,residents.trust_mean

Every experiment runs on the same seeds (common random numbers: EMA's replications), so
policies and scenarios differ only by their parameters; outcomes are the mean over the seeds.
The sample is reproducible from ``--sample-seed``. The scenario is ``chongming_town`` (Xinhe,
17 villages) with a short horizon, so a few experiments take seconds; any scenario with team
members on a map works (``--scenario``). ``--out FILE.tar.gz`` keeps the results
(``ema_workbench.save_results``); PRIM or feature scoring can be run on them from there.
"""

from __future__ import annotations

import argparse
import copy
import sys
import warnings
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import ConfigError, ModelParams, simulate  # noqa: E402
from sim.assumptions import load as load_registry  # noqa: E402

SCENARIO = "chongming_town"
DEFAULT_UNCERTAINTIES = ("teams.training_level", "staff.work.hours_per_day", "residents.notice_rate_per_day",
                         "levels.town.p_fail_attempt", "issue_types.dispute.p_fail_attempt")
"""Registry keys varied by default: ones no cross-field rule ties to another (patrol and
routine shares must sum to at most 1, so varying both independently would draw invalid worlds)."""

OUTCOMES = {  # outcome name -> (path in the KPI dict of sim.simulate / summary.json, better when)
    "total_time_h": (("total_time_h", "mean"), "lower"),
    "resolution_time_h": (("resolution_time_h", "mean"), "lower"),
    "resolution_time_p90_h": (("resolution_time_h", "p90"), "lower"),
    "on_time_rate": (("on_time_rate",), "higher"),
    "satisfaction_rate": (("satisfaction_rate",), "higher"),
    "grids": (("structure", "grids"), "info"),  # the micro-grids the world was built with
}


def mean_over_seeds(values) -> float:
    """An outcome's mean over the replications (NaN where no issue was counted)."""
    import numpy as np

    return float(np.nanmean(values)) if not np.all(np.isnan(values)) else float("nan")


warnings.filterwarnings("ignore", message="ipyparallel not installed")  # EMA's optional cluster evaluator


def ema_name(key: str) -> str:
    """A model key as an EMA parameter name (a Python identifier): dots become ``__``
    (``partition.grids_per_village`` -> ``partition__grids_per_village``)."""
    return key.replace(".", "__")


def model_key(name: str) -> str:
    """The inverse of :func:`ema_name`."""
    return name.replace("__", ".")


def choices(key: str) -> list[str]:
    """The values a categorical model key allows (its field's declared choices)."""
    import dataclasses
    import typing

    cls, *path, leaf = (ModelParams, *key.split("."))
    for part in path:
        cls = typing.get_type_hints(cls)[part]
    return list({f.name: f for f in dataclasses.fields(cls)}[leaf].metadata["choices"])


def levers():
    """The policy levers, named by their model keys (:func:`ema_name`)."""
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    return [
        IntegerParameter(ema_name("partition.grids_per_village"), 1, 5),
        CategoricalParameter(ema_name("dispatch.rule"), choices("dispatch.rule")),
        CategoricalParameter(ema_name("escalation.rule"), choices("escalation.rule")),
        CategoricalParameter(ema_name("escalation.on_overdue"), choices("escalation.on_overdue")),
        RealParameter(ema_name("teams.scale_work"), 0.8, 1.2),
        RealParameter(ema_name("teams.scale_management"), 0.8, 1.2),
        RealParameter(ema_name("teams.scale_volunteer"), 0.8, 1.2),
    ]


def uncertainties(keys=DEFAULT_UNCERTAINTIES):
    """EMA parameters over the registry's ranges of ``keys`` (an alternative list gives a
    categorical parameter). A key the registry does not hold, or a profile (a list of values),
    raises :class:`~sim.ConfigError`."""
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    reg = {a.key: a for a in load_registry()}
    out = []
    for k in keys:
        a = reg.get(k)
        if a is None:
            raise ConfigError("--uncertainties", f"{k!r} is not in conf/assumptions.yaml (python run.py --params "
                                                 "lists the [A] ranges)")
        if a.values is not None:
            out.append(CategoricalParameter(ema_name(k), list(a.values)))
        elif isinstance(a.low, list):
            raise ConfigError("--uncertainties", f"{k!r} is a profile (a list of values); pick a scalar parameter")
        elif isinstance(a.default, int) and isinstance(a.low, int) and isinstance(a.high, int):
            out.append(IntegerParameter(ema_name(k), a.low, a.high))
        else:
            out.append(RealParameter(ema_name(k), float(a.low), float(a.high)))
    return out


@lru_cache(maxsize=None)
def base_params(scenario: str, days: float) -> dict:
    """The scenario's parameters as run.py composes them, with a short horizon."""
    from compose import scenario_dict

    d = scenario_dict(scenario)
    d["run"] = {**d["run"], "horizon_days": float(days), "warmup_days": float(days) / 10}
    return d


def _set(tree: dict, key: str, value) -> None:
    *path, leaf = key.split(".")
    node = tree
    for p in path:
        node = node.setdefault(p, {})
    node[leaf] = value.item() if hasattr(value, "item") else value  # numpy scalars from the sampler


def _get(kpis: dict, path: tuple) -> float:
    v = kpis
    for p in path:
        v = v[p]
    return float("nan") if v is None else float(v)


def governance(scenario: str = SCENARIO, days: float = 30.0, seed: int = 1, **params) -> dict:
    """One run: the scenario with ``params`` (model keys, dotted or as :func:`ema_name` gives
    them) set, the KPIs as outcomes."""
    d = copy.deepcopy(base_params(scenario, days))
    d["seed"] = int(seed)
    for k, v in params.items():
        _set(d, model_key(k), v)
    kpis = simulate(d)
    return {name: _get(kpis, path) for name, (path, _) in OUTCOMES.items()}


def ema_model(scenario: str = SCENARIO, days: float = 30.0, seeds: int = 2, unc_keys=DEFAULT_UNCERTAINTIES):
    """The EMA model: levers, uncertainties, outcomes, the scenario and horizon as constants
    and ``seeds`` replications (the same seeds 1..n for every experiment)."""
    from ema_workbench import Constant, ReplicatorModel, ScalarOutcome

    m = ReplicatorModel("microgrid_governance", function=governance)
    m.levers = levers()
    m.uncertainties = uncertainties(unc_keys)
    m.constants = [Constant("scenario", scenario), Constant("days", float(days))]
    kinds = {"lower": ScalarOutcome.MINIMIZE, "higher": ScalarOutcome.MAXIMIZE, "info": ScalarOutcome.INFO}
    m.outcomes = [ScalarOutcome(name, kind=kinds[better], function=mean_over_seeds)
                  for name, (_, better) in OUTCOMES.items()]
    m.replications = [{"seed": s} for s in range(1, seeds + 1)]
    return m


def run_experiments(scenarios: int = 8, policies: int = 4, seeds: int = 2, days: float = 30.0,
                    scenario: str = SCENARIO, unc_keys=DEFAULT_UNCERTAINTIES, sample_seed: int = 1, workers: int = 1):
    """Latin hypercube samples of the uncertainties and the levers, every policy under every
    scenario; returns EMA's ``(experiments, outcomes)``, each outcome the mean over the seeds."""
    from ema_workbench import MultiprocessingEvaluator, SequentialEvaluator, perform_experiments

    base_params(scenario, days)  # compose once, before any worker starts
    model = ema_model(scenario, days, seeds, unc_keys)
    evaluator = MultiprocessingEvaluator(model, n_processes=workers) if workers > 1 else SequentialEvaluator(model)
    with evaluator:
        return perform_experiments(model, scenarios=scenarios, policies=policies, evaluator=evaluator,
                                   uncertainty_sampling_kwargs={"rng": sample_seed},
                                   lever_sampling_kwargs={"rng": sample_seed + 1})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenarios", type=int, default=8, help="uncertainty samples (default 8)")
    ap.add_argument("--policies", type=int, default=4, help="lever samples (default 4)")
    ap.add_argument("--seeds", type=int, default=2, help="replications per experiment (default 2)")
    ap.add_argument("--days", type=float, default=30.0, help="simulated days per run (default 30)")
    ap.add_argument("--scenario", default=SCENARIO, help=f"a scenario of scenarios/ (default {SCENARIO})")
    ap.add_argument("--uncertainties", default=",".join(DEFAULT_UNCERTAINTIES), help="registry keys, comma-separated")
    ap.add_argument("--sample-seed", type=int, default=1, help="seed of the Latin hypercube samples")
    ap.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    ap.add_argument("--out", default=None, help="save the results here (a .tar.gz, ema_workbench.save_results)")
    a = ap.parse_args(argv)
    try:
        for name in ("scenarios", "policies", "seeds", "workers"):
            if getattr(a, name) < 1:
                raise ConfigError(f"--{name}", f"must be a whole number >= 1, got {getattr(a, name)}")
        if a.days <= 0:
            raise ConfigError("--days", f"must be > 0, got {a.days:g}")
        if not (ROOT / "scenarios" / f"{a.scenario}.yaml").is_file():
            raise ConfigError("--scenario", f"unknown scenario {a.scenario!r}; see scenarios/")
        keys = tuple(k.strip() for k in a.uncertainties.split(",") if k.strip())
        uncertainties(keys)  # unknown keys fail here, before any run
        if a.out is not None and not a.out.endswith(".tar.gz"):
            raise ConfigError("--out", f"must name a .tar.gz file, got {a.out!r}")
        experiments, outcomes = run_experiments(a.scenarios, a.policies, a.seeds, a.days, a.scenario, keys,
                                                a.sample_seed, a.workers)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import pandas as pd

    lever_names = [p.name for p in levers()]
    table = pd.concat([experiments[["policy", *lever_names]], pd.DataFrame(outcomes)], axis=1)
    summary = table.groupby("policy").agg({**{k: "first" for k in lever_names}, **{k: "mean" for k in outcomes}})
    print(f"{len(experiments)} experiments x {a.seeds} seeds; outcomes: mean over the {a.scenarios} scenarios")
    print(summary.round(3).T.to_string())
    if a.out:
        from ema_workbench import save_results

        save_results((experiments, outcomes), a.out)
        print(f"results: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
