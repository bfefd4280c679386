"""Identifiability first: a synthetic-truth test of the calibration.

Draw one parameter set from the priors (the truth), simulate its patterns (one run), make
them the targets (point targets, the given tolerances), calibrate to them with the same
ABC-SMC as :mod:`sim.calibration.abc`, and check whether the truth lies inside each
parameter's 90 % posterior interval.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from sim.calibration import targets as tg
from sim.calibration.abc import Simulator, posterior_table, run_abc, summarise_parameters


def synthetic_truth(base, pri: dict[str, tuple[float, float]], patterns: list[tg.Pattern], seed: int = 0,
                    population_size: int = 20, generations: int = 3, n_jobs: int = 1,
                    db: Path | None = None) -> dict:
    """Run the synthetic-truth test for the parameters ``pri`` (``{key: (low, high)}``).
    ``base``: scenario data (a plain parameter dict: the model is run), or a function
    ``patterns -> (values -> pattern values)`` (another simulator, e.g. a fast stand-in).
    ``patterns`` give the KPI expressions and tolerances (their targets are replaced by the
    truth's values). Returns the truth, its patterns and per parameter the posterior
    summary and whether the truth is inside the 90 % interval."""
    make = base if callable(base) else (lambda pats: Simulator(base, pats))
    rng = np.random.default_rng(seed)
    truth = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in pri.items()}
    observed = make(patterns)(truth)
    bad = [k for k, v in observed.items() if not np.isfinite(v)]
    if bad:
        raise ValueError(f"the truth's run has no value for {bad}; choose patterns the scenario defines")
    synth = [tg.Pattern(p.name, p.kpi, observed[p.name], observed[p.name], p.tolerance, "[synthetic]", p.fit)
             for p in patterns]
    with tempfile.TemporaryDirectory() as tmp:
        h, wall = run_abc(make(synth), pri, synth, Path(db or Path(tmp) / "synthetic.db"), n_jobs,
                          population_size, generations, seed=seed)
        post = posterior_table(h, list(pri))
        sims = int(h.get_all_populations()["samples"].sum())
        gens = int(h.max_t + 1)
    rows = summarise_parameters(post, pri)
    for r in rows:
        lo, hi = r["posterior_90"]
        r["truth"] = truth[r["parameter"]]
        r["inside_90"] = bool(lo <= r["truth"] <= hi)
    return {"truth": truth, "observed": observed, "parameters": rows, "simulations": sims, "wall_s": wall,
            "generations": gens, "population_size": population_size}
