"""Screening before calibration: Morris elementary effects (SALib, through
:mod:`sim.experiments.sensitivity`) of every numeric parameter of the assumption registry,
over its registered range, on the time-to-fix KPI and on every calibration pattern.

Rule for *influential* (stated in ``screen.json`` and the report): Morris mu* is the mean
absolute change of an output when a parameter moves across its whole range (SALib's
elementary effects are per unit of the scaled range), so ``mu* / tolerance`` says by how
many of a pattern's tolerances the parameter can move it. A parameter is influential when
``mu* / tolerance >= min_effect`` on at least one fitted pattern; the calibration takes the
``top`` influential ones by their largest ``mu* / tolerance``.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration import targets as tg
from sim.errors import ConfigError

TIME_KPI = "time_to_fix_h.mean"
EXCLUDE_DEFAULT = ("costs.", "run.")
"""Left out of the screen: cost rates (they change only the cost KPIs, which are not
outputs here) and the run's measurement settings (warm-up, drain: not model behaviour)."""


def registry_params(exclude: tuple[str, ...] = EXCLUDE_DEFAULT) -> dict[str, list[float]]:
    """``{key: [low, high]}`` of every numeric entry of the registry for scenario
    ``chongming`` (alternatives and profiles have no interval; entries of surge variants
    are not in ``chongming_town``), less the ``exclude`` prefixes."""
    from sim.assumptions import load

    out = {}
    for a in load():
        if a.scenario != "chongming" or a.values is not None or isinstance(a.low, list):
            continue
        if any(a.key.startswith(x) for x in exclude) or not float(a.low) < float(a.high):
            continue
        out[a.key] = [float(a.low), float(a.high)]
    return out


def _whole(v, key: str, lo: int, hi: int = 1_000_000) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or not lo <= v <= hi:
        raise ConfigError(key, f"must be a whole number from {lo} to {hi:,}, got {v!r}")
    return int(v)


def _share(v, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1e6:
        raise ConfigError(key, f"must be a number >= 0, got {v!r}")
    return float(v)


def check_spec(spec: dict, base: dict) -> None:
    """``experiment.screen.*``: trajectories, targets file, exclusions, the rule; every
    parameter's range ends must be values the model accepts."""
    from sim.experiments.sensitivity import set_dotted
    from sim.params import params_from_dict

    sc = spec.get("screen")
    if not isinstance(sc, dict):
        raise ConfigError("experiment.screen", "must be a mapping (r, targets, exclude, min_effect, top)")
    _whole(sc.get("r", 3), "experiment.screen.r", 2)
    _whole(spec.get("n_jobs", 2), "experiment.n_jobs", 1, 256)
    _share(sc.get("min_effect", 1.0), "experiment.screen.min_effect")
    _whole(sc.get("top", 6), "experiment.screen.top", 1, 50)
    ex = sc.get("exclude", list(EXCLUDE_DEFAULT))
    if not isinstance(ex, list) or not all(isinstance(x, str) and x for x in ex):
        raise ConfigError("experiment.screen.exclude", f"must be a list of key prefixes, got {ex!r}")
    tg.load(sc.get("targets", "chongming"))
    for k, (lo, hi) in registry_params(tuple(ex)).items():
        for v in (lo, hi):
            d = copy.deepcopy(base)
            try:
                set_dotted(d, k, v)
                params_from_dict(d)
            except ConfigError as e:
                raise ConfigError("conf/assumptions.yaml", f"{k}'s range [{lo:g}, {hi:g}] leaves what {e.key} allows "
                                                           f"({e.message})") from None


def outputs(patterns: list[tg.Pattern]) -> list[str]:
    return [TIME_KPI, *(p.name for p in patterns)]


def evaluate(base: dict, names: list[str], row: np.ndarray, patterns: list[tg.Pattern],
             whole: frozenset[str] = frozenset()) -> list[float]:
    """One run at ``row``: the time-to-fix KPI and every pattern's value."""
    from sim.metrics.kpi import summarize
    from sim.model import run_model
    from sim.params import params_from_dict
    from sim.precheck import check

    d = copy.deepcopy(base)
    set_values(d, dict(zip(names, row)), whole)
    try:
        p = params_from_dict(d)
        check(p)
    except ConfigError:  # a combination the model refuses (e.g. patrol + routine share > 1): undefined
        return [np.nan] * (1 + len(patterns))
    try:
        s = summarize(run_model(p))
    except Exception as e:  # noqa: BLE001 - a model failure at one point: recorded, not the whole screen lost
        import logging

        logging.getLogger("screen").warning("run failed at a design point (%s: %s); its effects are left out",
                                            type(e).__name__, e)
        return [np.inf] * (1 + len(patterns))
    return [tg.lookup(s, TIME_KPI), *tg.values(patterns, s).values()]


def morris_indices(names: list[str], X: np.ndarray, y: np.ndarray, num_levels: int = 4) -> pd.DataFrame:
    """mu*, sigma and the number of elementary effects per parameter, skipping steps with
    an undefined end (a point the model refuses, or a pattern without data). Hand-written
    because SALib's ``morris.analyze`` cannot leave out single steps; with every point
    defined it gives SALib's mu* and sigma (tests/test_calibration.py checks this)."""
    k = len(names)
    delta = num_levels / (2.0 * (num_levels - 1))
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    U = (X - lo) / span  # the design on the unit cube, as SALib samples it
    ee: list[list[float]] = [[] for _ in range(k)]
    for t in range(len(X) // (k + 1)):
        rows = slice(t * (k + 1), (t + 1) * (k + 1))
        u, v = U[rows], y[rows]
        for i in range(k):
            du = u[i + 1] - u[i]
            j = int(np.argmax(np.abs(du)))
            if np.isfinite(v[i]) and np.isfinite(v[i + 1]):
                ee[j].append((v[i + 1] - v[i]) / (delta * np.sign(du[j])))
    mu_star = [float(np.mean(np.abs(e))) if e else np.nan for e in ee]
    sigma = [float(np.std(e, ddof=1)) if len(e) > 1 else np.nan for e in ee]
    return pd.DataFrame({"parameter": names, "mu_star": mu_star, "sigma": sigma, "effects": [len(e) for e in ee]})


def select(tables: dict[str, pd.DataFrame], patterns: list[tg.Pattern], min_effect: float, top: int) -> pd.DataFrame:
    """Per parameter: the largest ``mu*/tolerance`` over fitted patterns, on which pattern,
    whether influential, whether selected for calibration: first each fitted pattern's
    strongest influential parameter (so every pattern has a lever), then the strongest of
    the rest up to ``top`` in all (see module doc)."""
    fitted = [p for p in patterns if p.fit]
    names = tables[TIME_KPI]["parameter"].tolist()
    eff = np.column_stack([tables[p.name]["mu_star"].to_numpy() / p.tolerance for p in fitted])
    eff = np.nan_to_num(eff, nan=0.0)
    best = eff.max(axis=1)
    t = pd.DataFrame({"parameter": names, "max_effect_in_tolerances": best,
                      "on_pattern": [fitted[i].name for i in eff.argmax(axis=1)]})
    t["influential"] = t["max_effect_in_tolerances"] >= min_effect
    chosen: list[str] = []
    for j in range(len(fitted)):
        i = int(np.argmax(eff[:, j]))
        if eff[i, j] >= min_effect and names[i] not in chosen:
            chosen.append(names[i])
    for k in t[t["influential"]].sort_values("max_effect_in_tolerances", ascending=False)["parameter"]:
        if k not in chosen:
            chosen.append(k)
    t["selected"] = t["parameter"].isin(chosen[:max(top, 0)])
    return t.sort_values("max_effect_in_tolerances", ascending=False).reset_index(drop=True)


def whole_keys() -> frozenset[str]:
    """Registry parameters that are whole numbers (an integer default): sampled values are
    rounded to the nearest whole number before a run."""
    from sim.assumptions import load

    return frozenset(a.key for a in load() if isinstance(a.default, int) and not isinstance(a.default, bool))


def set_values(d: dict, values: dict, whole: frozenset[str] = frozenset()) -> None:
    """Set sampled ``values`` (dotted keys) on scenario data ``d``, whole-number keys rounded."""
    from sim.experiments.sensitivity import set_dotted

    for k, v in values.items():
        set_dotted(d, k, int(round(float(v))) if k in whole else v)


def run_screen(base: dict, spec: dict, out: Path, n_jobs: int = 2, lang: str = "en") -> pd.DataFrame:
    """Sample Morris trajectories over the registry, run them (joblib, same seed: common
    random numbers), analyse every output, select; write ``screen.json``,
    ``screen_runs.parquet``, ``screen.png``, ``report.md``/``.html`` into ``out``."""
    from joblib import Parallel, delayed

    from sim.calibration.report import write_screen_report
    from sim.experiments.sensitivity import problem, sample

    patterns = tg.load(spec.get("targets", "chongming"))
    exclude = tuple(spec.get("exclude", EXCLUDE_DEFAULT))
    prob = problem(registry_params(exclude))
    seed = int(base.get("seed", 0))
    r = int(spec.get("r", 3))
    X = sample(prob, "morris", r, seed)
    whole = whole_keys()
    t0 = time.perf_counter()
    Y = np.array(Parallel(n_jobs=n_jobs)(delayed(evaluate)(base, prob["names"], row, patterns, whole) for row in X),
                 dtype=float)
    wall = time.perf_counter() - t0
    tables = {}
    for j, name in enumerate(outputs(patterns)):
        tables[name] = morris_indices(prob["names"], X, Y[:, j])
    sel = select(tables, patterns, float(spec.get("min_effect", 1.0)), int(spec.get("top", 6)))
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(X, columns=prob["names"]).join(pd.DataFrame(Y, columns=outputs(patterns))) \
        .to_parquet(out / "screen_runs.parquet", index=False)
    info = {"method": "morris", "r": r, "parameters": prob["num_vars"], "runs": int(len(X)), "seed": seed,
            "horizon_days": base["run"]["horizon_days"], "warmup_days": base["run"]["warmup_days"],
            "scenario": base.get("scenario"), "n_jobs": n_jobs, "cpu_count": os.cpu_count(),
            "wall_s": round(wall, 1), "excluded_prefixes": list(exclude),
            "refused_runs": int(np.isnan(Y[:, 0]).sum()), "failed_runs": int(np.isinf(Y[:, 0]).sum()),
            "rule": {"min_effect_in_tolerances": float(spec.get("min_effect", 1.0)), "top": int(spec.get("top", 6)),
                     "text": "influential: Morris mu* (change over the whole range) >= min_effect x the pattern's "
                             "tolerance on at least one fitted pattern; selected: each fitted pattern's strongest "
                             "influential parameter, then the strongest others by that ratio, up to top"},
            "patterns": [{"name": p.name, "kpi": p.kpi, "tolerance": p.tolerance, "fit": p.fit} for p in patterns],
            "indices": {k: t.to_dict(orient="records") for k, t in tables.items()},
            "selection": sel.to_dict(orient="records"),
            "selected": sel[sel["selected"]]["parameter"].tolist()}
    (out / "screen.json").write_text(json.dumps(info, indent=1, default=float), encoding="utf-8")
    write_screen_report(info, tables, sel, patterns, out, lang)
    return sel
