"""Calibration by ABC-SMC (pyabc) of the influential [A] parameters against observed patterns.

Priors are uniform over each parameter's range in the assumption registry (or a narrower
``[low, high]`` inside it). A particle is one run of the scenario at the particle's values,
seeded from the base seed and the values (so a particle's run is reproducible); its summary
statistics are the patterns' values (:mod:`sim.calibration.targets`) and its distance the
norm of their gaps in tolerances. pyabc keeps its history in SQLite in a work folder beside
the results (``<results>/../.abc/<name>-<hash>.db``, one per configuration): running the
same command again resumes from the last complete generation. The results folder itself
is written through the staged commit of :mod:`sim.store` only when everything is done.

pyabc's parallel samplers accept particles in the order workers finish, so a parallel
calibration is not bit-reproducible across runs (each particle's run is); the posterior
predictive runs and the table derived from a given posterior are.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration import targets as tg
from sim.errors import ConfigError

log = logging.getLogger("calibration")
KEYS = ("name", "targets", "params", "population_size", "generations", "ppc_runs", "max_walltime_min",
        "min_acceptance_rate")
RESUME_FREE = ("generations", "ppc_runs", "max_walltime_min", "name")
"""Settings that do not change the ABC history: changing them resumes the same database."""


def _whole(v, key: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or not lo <= v <= hi:
        raise ConfigError(key, f"must be a whole number from {lo} to {hi:,}, got {v!r}")
    return int(v)


def registry_entry(key: str):
    from sim.assumptions import load

    for a in load():
        if a.key == key and a.scenario == "chongming":
            return a
    return None


def priors(spec: dict) -> dict[str, tuple[float, float]]:
    """``{key: (low, high)}``: each parameter's prior, checked against its registry range."""
    ps = spec.get("params")
    if not isinstance(ps, dict) or not ps:
        raise ConfigError("experiment.calibration.params", "must map parameters of conf/assumptions.yaml to "
                                                           "'registry' or [low, high]; none given")
    from sim.assumptions import load

    reg = {a.key: a for a in load() if a.scenario == "chongming"}
    out = {}
    for k, b in ps.items():
        key = f"experiment.calibration.params.{k}"
        a = reg.get(k)
        if a is None or a.values is not None or isinstance(a.low, list):
            raise ConfigError(key, "not a numeric parameter of conf/assumptions.yaml (scenario chongming); only "
                                   "registry parameters with a range can be calibrated")
        lo_r, hi_r = float(a.low), float(a.high)
        if b == "registry":
            lo, hi = lo_r, hi_r
        else:
            try:
                ok = isinstance(b, (list, tuple)) and len(b) == 2 and float(b[0]) < float(b[1])
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ConfigError(key, f"must be 'registry' or [low, high] with low < high, got {b!r}")
            lo, hi = float(b[0]), float(b[1])
            if lo < lo_r or hi > hi_r:
                raise ConfigError(key, f"the prior [{lo:g}, {hi:g}] lies outside the parameter's bounds "
                                       f"[{lo_r:g}, {hi_r:g}] in conf/assumptions.yaml")
        out[k] = (lo, hi)
    return out


def check_spec(spec: dict, base: dict) -> None:
    """Everything about ``experiment.calibration`` that can be checked before a run."""
    from sim.experiments.sensitivity import check_range_ends

    c = spec.get("calibration")
    if not isinstance(c, dict):
        raise ConfigError("experiment.calibration", "must be a mapping (" + ", ".join(KEYS) + ")")
    extra = sorted(set(c) - set(KEYS))
    if extra:
        raise ConfigError(f"experiment.calibration.{extra[0]}", f"unknown key; allowed: {', '.join(KEYS)}")
    name = c.get("name")
    if not isinstance(name, str) or not name or not all(ch.isalnum() or ch in "_-" for ch in name):
        raise ConfigError("experiment.calibration.name", f"must be a name of letters, digits, _ and -, got {name!r}")
    _whole(spec.get("n_jobs", 2), "experiment.n_jobs", 1, 256)
    _whole(c.get("population_size", 48), "experiment.calibration.population_size", 4, 100_000)
    _whole(c.get("generations", 4), "experiment.calibration.generations", 1, 100)
    _whole(c.get("ppc_runs", 24), "experiment.calibration.ppc_runs", 2, 10_000)
    m = c.get("max_walltime_min", 25)
    if isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 < m <= 10_000:
        raise ConfigError("experiment.calibration.max_walltime_min", f"must be minutes in (0, 10000], got {m!r}")
    r = c.get("min_acceptance_rate", 0.0)
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 <= r < 1:
        raise ConfigError("experiment.calibration.min_acceptance_rate", f"must be in [0, 1), got {r!r}")
    tg.load(c.get("targets", "chongming"))
    check_range_ends(base, priors(c), "experiment.calibration.params", "prior")


def particle_seed(base_seed: int, values: list[float]) -> int:
    """A run's seed from the base seed and the particle's values (reproducible per particle)."""
    h = hashlib.sha256(json.dumps([int(base_seed), [float(v) for v in values]]).encode()).digest()
    return int.from_bytes(h[:4], "little")


def simulate(base: dict, values: dict[str, float], patterns: list[tg.Pattern], seed: int) -> dict[str, float]:
    """The patterns' values of one run at ``values`` (NaN everywhere where the model
    refuses the combination)."""
    from sim.calibration.screen import set_values, whole_keys
    from sim.metrics.kpi import summarize
    from sim.model import run_model
    from sim.params import params_from_dict
    from sim.precheck import check

    d = copy.deepcopy(base)
    set_values(d, values, whole_keys())
    d["seed"] = int(seed)
    try:
        p = params_from_dict(d)
        check(p)
    except ConfigError:  # a combination the model refuses: no data, the particle is rejected
        return {q.name: math.nan for q in patterns}
    try:
        return tg.values(patterns, summarize(run_model(p)))
    except Exception as e:  # noqa: BLE001 - a model failure at one particle: logged, the particle rejected
        log.warning("run failed at %s (%s: %s); the particle is rejected", values, type(e).__name__, e)
        return {q.name: math.nan for q in patterns}


class Simulator:
    """The scenario as a function of the calibrated values: ``{key: value}`` -> pattern
    values, seeded per particle (:func:`particle_seed`)."""

    def __init__(self, base: dict, patterns: list[tg.Pattern]):
        self.base, self.patterns = base, patterns

    def __call__(self, values: dict) -> dict:
        return simulate(self.base, values, self.patterns, particle_seed(self.base.get("seed", 0), list(values.values())))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q) -> np.ndarray:
    order = np.argsort(x)
    x, w = np.asarray(x)[order], np.asarray(w)[order]
    c = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, c, x)


def db_path(work: Path, base: dict, spec: dict, patterns: list[tg.Pattern]) -> Path:
    """The history database of this configuration (a changed configuration starts afresh)."""
    from sim.store import config_hash

    ident = {"base": base, "spec": {k: v for k, v in spec.items() if k not in RESUME_FREE},
             "patterns": [p.__dict__ for p in patterns]}
    return work / f"{spec['name']}-{config_hash(ident)[:12]}.db"


def run_abc(model, pri: dict[str, tuple[float, float]], patterns: list[tg.Pattern], db: Path, n_jobs: int,
            population_size: int, generations: int, max_walltime_min: float = 25.0,
            min_acceptance_rate: float = 0.0, seed: int | None = None):
    """Run (or resume from ``db``) ABC-SMC of ``model`` (a callable: ``{key: value}`` ->
    pattern values) with uniform priors ``pri``; returns pyabc's History and the wall
    time of this call. ``seed`` (one process only): pyabc draws its particles from numpy's
    global generator, which is then seeded for the run and restored after it, so that the
    same call gives the same posterior."""
    if seed is None or n_jobs != 1:
        return _run_abc(model, pri, patterns, db, n_jobs, population_size, generations, max_walltime_min,
                        min_acceptance_rate)
    state = np.random.get_state()
    np.random.seed(int(seed) % 2**32)
    try:
        return _run_abc(model, pri, patterns, db, n_jobs, population_size, generations, max_walltime_min,
                        min_acceptance_rate)
    finally:
        np.random.set_state(state)


def _run_abc(model, pri, patterns, db, n_jobs, population_size, generations, max_walltime_min, min_acceptance_rate):
    import datetime

    import pyabc

    keys = list(pri)
    prior = pyabc.Distribution(**{f"p{i}": pyabc.RV("uniform", lo, hi - lo) for i, (lo, hi) in
                                  enumerate(pri.values())})
    sampler = (pyabc.sampler.SingleCoreSampler() if n_jobs == 1 else
               pyabc.sampler.MulticoreEvalParallelSampler(n_procs=n_jobs))
    fitted = [p for p in patterns if p.fit]
    abc = pyabc.ABCSMC(_Particle(model, keys), prior, _Distance(fitted), population_size=int(population_size),
                       sampler=sampler, eps=pyabc.epsilon.QuantileEpsilon(alpha=0.5))
    observed = {p.name: 0.5 * (p.low + p.high) for p in patterns}
    db.parent.mkdir(parents=True, exist_ok=True)
    url = "sqlite:///" + str(db)
    done = 0
    if db.is_file():
        try:
            h = abc.load(url, 1)
            done = h.max_t + 1
        except Exception:  # noqa: BLE001 - an empty or broken database (killed before the first generation)
            done = 0
    if not done:
        if db.is_file():
            db.unlink()
        abc.new(url, observed)
    todo = int(generations) - done
    log.info("ABC-SMC: %d generation(s) in %s, %d to run", done, db, max(todo, 0))
    t0 = time.perf_counter()
    if todo > 0:
        h = abc.run(max_nr_populations=todo, min_acceptance_rate=float(min_acceptance_rate),
                    max_walltime=datetime.timedelta(minutes=float(max_walltime_min)))
    else:
        h = abc.history
    return h, time.perf_counter() - t0


class _Particle:
    """pyabc's model: a particle (safe names p0, p1, ...) -> the model's pattern values."""

    def __init__(self, model, keys: list[str]):
        self.model, self.keys = model, keys

    def __call__(self, par) -> dict:
        return self.model({k: float(par[f"p{i}"]) for i, k in enumerate(self.keys)})


class _Distance:
    def __init__(self, fitted: list[tg.Pattern]):
        self.fitted = fitted

    def __call__(self, x: dict, _x0: dict) -> float:
        return tg.distance(self.fitted, x)


def posterior_table(h, keys: list[str]) -> pd.DataFrame:
    """The last generation: one row per particle, the parameters and ``weight`` (sum 1)."""
    df, w = h.get_distribution(m=0, t=h.max_t)
    post = pd.DataFrame({k: df[f"p{i}"].to_numpy() for i, k in enumerate(keys)})
    post["weight"] = np.asarray(w) / np.sum(w)
    return post


def summarise_parameters(post: pd.DataFrame, pri: dict) -> list[dict]:
    """Per parameter: prior, posterior median and 90 % interval (weighted), shrinkage."""
    out = []
    for k, (lo, hi) in pri.items():
        q05, q50, q95 = weighted_quantile(post[k].to_numpy(), post["weight"].to_numpy(), [0.05, 0.5, 0.95])
        out.append({"parameter": k, "prior": [lo, hi], "posterior_median": float(q50),
                    "posterior_90": [float(q05), float(q95)], "shrinkage": float(1 - (q95 - q05) / (0.9 * (hi - lo)))})
    return out


def run_calibration(base: dict, spec: dict, out: Path, n_jobs: int = 2, lang: str = "en",
                    work: Path | None = None) -> pd.DataFrame:
    """Calibrate, then the posterior predictive checks; write ``posterior.parquet``,
    ``calibration.json`` and the report into ``out`` (a stage). Returns the parameter table."""
    from joblib import Parallel, delayed

    from sim.calibration.report import write_calibration_report
    from sim.reporting import fonts

    fonts.require(lang)
    patterns = tg.load(spec.get("targets", "chongming"))
    db = db_path(Path(work or out.parent / ".abc"), base, spec, patterns)
    pri = priors(spec)
    keys = list(pri)
    h, wall = run_abc(Simulator(base, patterns), pri, patterns, db, n_jobs, int(spec.get("population_size", 48)),
                      int(spec.get("generations", 4)), float(spec.get("max_walltime_min", 25)),
                      float(spec.get("min_acceptance_rate", 0.0)))
    post = posterior_table(h, keys)
    out.mkdir(parents=True, exist_ok=True)
    post.to_parquet(out / "posterior.parquet", index=False)
    pops = h.get_all_populations()
    sims = int(pops["samples"].sum()) if "samples" in pops else None
    eps = float(pops["epsilon"].iloc[-1]) if len(pops) else math.nan
    # posterior predictive: ppc_runs draws from the posterior (weighted), fresh seeds; before: defaults
    n = int(spec.get("ppc_runs", 24))
    rng = np.random.default_rng(int(base.get("seed", 0)))
    idx = rng.choice(len(post), size=n, p=post["weight"].to_numpy())
    seed0 = int(base.get("seed", 0))
    draws = [{k: float(post[k].iloc[i]) for k in keys} for i in idx]
    t0 = time.perf_counter()
    jobs = [delayed(simulate)(base, v, patterns, seed0 + 10_000 + j) for j, v in enumerate(draws)]
    jobs += [delayed(simulate)(base, {}, patterns, seed0 + 20_000 + j) for j in range(max(n // 3, 3))]
    res = Parallel(n_jobs=n_jobs)(jobs)
    ppc_wall = time.perf_counter() - t0
    pred, before = pd.DataFrame(res[:n]), pd.DataFrame(res[n:])
    pred.insert(0, "draw", range(n))
    pred.to_parquet(out / "posterior_predictive.parquet", index=False)
    params = [{"parameter": e["parameter"], "default": float(registry_entry(e["parameter"]).default), **e}
              for e in summarise_parameters(post, pri)]
    pats = []
    for p in patterns:
        v = pred[p.name].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        med = float(np.median(v)) if len(v) else math.nan
        b = before[p.name].to_numpy(dtype=float)
        b = b[np.isfinite(b)]
        pats.append({"name": p.name, "kpi": p.kpi, "target": p.target_text, "low": p.low, "high": p.high,
                     "tolerance": p.tolerance, "source": p.source, "fit": p.fit,
                     "before": float(np.median(b)) if len(b) else None,
                     "before_inside": bool(len(b)) and p.inside(float(np.median(b))),
                     "posterior_median": med,
                     "posterior_90": [float(np.quantile(v, 0.05)) if len(v) else None,
                                      float(np.quantile(v, 0.95)) if len(v) else None],
                     "inside": p.inside(med)})
    cal = {"name": spec["name"], "targets": spec.get("targets", "chongming"),
           "run": {"scenario": base.get("scenario"), "horizon_days": base["run"]["horizon_days"],
                   "warmup_days": base["run"]["warmup_days"], "seed": seed0,
                   "population_size": int(spec.get("population_size", 48)), "generations": int(h.max_t + 1),
                   "generations_asked": int(spec.get("generations", 4)), "simulations": sims,
                   "final_epsilon": eps, "effective_sample_size": float(1.0 / np.sum(post["weight"] ** 2)), "epsilons": [float(e) for e in pops["epsilon"]], "n_jobs": n_jobs,
                   "wall_s": round(wall, 1), "ppc_wall_s": round(ppc_wall, 1), "ppc_runs": n,
                   "before_runs": len(before), "database": str(db)},
           "parameters": params, "patterns": pats}
    (out / "calibration.json").write_text(json.dumps(cal, indent=1, ensure_ascii=False), encoding="utf-8")
    write_calibration_report(cal, post, pred, before, patterns, out, lang)
    return pd.DataFrame(params)[["parameter", "default", "posterior_median", "shrinkage"]]
