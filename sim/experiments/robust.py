"""Robust comparison: every policy over a Latin hypercube of the uncertain assumptions.

A robust experiment (``experiment.type: robust``) is an ordinary sweep whose factors are
the policies, the sample index ``experiment.robust.sample`` (0 .. samples − 1) and the
replicate ``seed``. Each job applies its sample's values of the uncertain parameters
(:func:`apply`) before it runs, so every policy meets the same sample and the same seed
(common random numbers) and the sweep keeps the sweep machinery's paired seeds, resume
and atomic folders. The sample table is a function of the experiment's settings alone
(:func:`sample_table`): every job, and the aggregation, recompute the same one.

The uncertain parameters (``experiment.robust.params``: ``all`` or a list of keys) are the
assumption registry's entries (``conf/assumptions.yaml``) with a numeric range whose key
the scenario has; alternatives (``values``) and profiles stay at the scenario's value,
as do the sweep's own factors and the run's measurement settings (``run.*``).
``experiment.uncertainty: prior`` samples each over its registry range [low, high]
(uniform); ``posterior`` samples an entry that has a calibration
``posterior: {median, low, high}`` from [low, high] with the posterior median as the
sample median (a piecewise-uniform quantile function), the others over their prior
ranges. Whole-number parameters take whole values. The Latin hypercube is
:class:`scipy.stats.qmc.LatinHypercube` seeded from the experiment stream
``uncertainty`` of ``experiment.robust.seed`` (:func:`sim.rng.experiment_stream`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.errors import ConfigError
from sim.experiments.ranking import ranked_kpi

SAMPLE_KEY = "experiment.robust.sample"
MODES = ("prior", "posterior")
EXTRA = "ema"  # pyproject's extra that installs ema_workbench (PRIM)
RUN_PREFIX = "run."  # registry entries of the run's measurement, never sampled


@dataclass(frozen=True)
class Dim:
    """One uncertain parameter: ``key``, its range, ``median`` (None: the middle),
    ``integer`` (whole values) and where the range comes from (``prior``/``posterior``)."""

    key: str
    low: float
    high: float
    integer: bool
    source: str = "prior"
    median: float | None = None


@dataclass
class RobustSpec:
    """``experiment.robust`` (see module doc)."""

    uncertainty: str = "prior"
    samples: int = 16
    seed: int = 1
    sample: int = 0
    params: object = "all"
    satisficing: dict = field(default_factory=dict)
    prim_kpi: str = ""
    prim_policy: str | None = None
    prim_regret_above: float = 0.0
    prim_min_density: float = 0.8


def _number(key: str, v, lo: float | None = None, hi: float | None = None, whole: bool = False) -> float:
    bad = isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v))
    if not bad and whole and float(v) != int(v):
        bad = True
    if not bad and ((lo is not None and v < lo) or (hi is not None and v > hi)):
        bad = True
    if bad:
        what = "a whole number" if whole else "a number"
        rng = f" from {lo:g}" if lo is not None else ""
        rng += f" to {hi:g}" if hi is not None else ""
        raise ConfigError(key, f"must be {what}{rng}, got {v!r}")
    return float(v)


def spec_of(exp: dict) -> RobustSpec:
    """The checked ``experiment.robust`` of ``exp`` (``experiment.*``). Raises ConfigError."""
    r = exp.get("robust")
    if not isinstance(r, dict):
        raise ConfigError("experiment.robust", "must be a mapping (samples, seed, sample, params, satisficing, prim)")
    allowed = {"samples", "seed", "sample", "params", "satisficing", "prim"}
    extra = sorted(set(r) - allowed)
    if extra:
        raise ConfigError(f"experiment.robust.{extra[0]}", f"unknown key; allowed: {', '.join(sorted(allowed))}")
    mode = exp.get("uncertainty", "prior")
    if mode not in MODES:
        raise ConfigError("experiment.uncertainty", f"must be one of {', '.join(MODES)}; got {mode!r}")
    s = RobustSpec(uncertainty=mode)
    s.samples = int(_number("experiment.robust.samples", r.get("samples", 16), 2, 100_000, whole=True))
    s.seed = int(_number("experiment.robust.seed", r.get("seed", 1), 0, 2**63 - 1, whole=True))
    s.sample = int(_number(SAMPLE_KEY, r.get("sample", 0), 0, s.samples - 1, whole=True))
    s.params = r.get("params", "all")
    listed = isinstance(s.params, list) and s.params and all(isinstance(k, str) for k in s.params)
    if s.params != "all" and not listed:
        raise ConfigError("experiment.robust.params", f"must be all or a list of registry keys, got {s.params!r}")
    kpis = list(exp.get("kpis") or [])
    if not kpis:
        raise ConfigError("experiment.kpis", "must list the KPIs to compare (declared in sim/metrics/registry.py)")
    for k in kpis:
        ranked_kpi(k, "experiment.kpis")
    sat = r.get("satisficing") or {}
    if not isinstance(sat, dict):
        raise ConfigError("experiment.robust.satisficing", f"must map KPIs to thresholds, got {sat!r}")
    for k, v in sat.items():
        if k not in kpis:
            raise ConfigError(f"experiment.robust.satisficing.{k}", f"not among experiment.kpis; allowed: "
                                                                     f"{', '.join(kpis)}")
        s.satisficing[k] = _number(f"experiment.robust.satisficing.{k}", v)
    prim = r.get("prim") or {}
    if not isinstance(prim, dict) or set(prim) - {"kpi", "policy", "regret_above", "min_density"}:
        raise ConfigError("experiment.robust.prim", "must be a mapping of kpi, policy, regret_above, min_density")
    s.prim_kpi = prim.get("kpi", kpis[0])
    if s.prim_kpi not in kpis:
        raise ConfigError("experiment.robust.prim.kpi", f"{s.prim_kpi!r} is not among experiment.kpis; allowed: "
                                                         f"{', '.join(kpis)}")
    s.prim_policy = prim.get("policy")
    s.prim_regret_above = _number("experiment.robust.prim.regret_above", prim.get("regret_above", 0.0), 0.0)
    s.prim_min_density = _number("experiment.robust.prim.min_density", prim.get("min_density", 0.8), 0.0, 1.0)
    if s.prim_min_density == 0:
        raise ConfigError("experiment.robust.prim.min_density", "must be above 0 (a share of the box's samples), "
                                                                 "at most 1")
    return s


def _posteriors(path: Path | None = None) -> dict[str, dict]:
    """``{key: {median, low, high}}`` of the registry entries that carry a calibration posterior."""
    import yaml

    from sim.assumptions import REGISTRY

    data = yaml.safe_load(Path(path or REGISTRY).read_text(encoding="utf-8")) or {}
    return {e["key"]: e["posterior"] for e in data.get("assumptions", []) if isinstance(e.get("posterior"), dict)}


def dims(spec: RobustSpec, model: dict, exclude: set[str] = frozenset(),
         registry_path: Path | None = None) -> list[Dim]:
    """The uncertain parameters of ``model`` (the scenario's parameters), in registry order."""
    from sim.assumptions import _MISSING, load, lookup

    reg = load(registry_path)
    post = _posteriors(registry_path)
    if spec.uncertainty == "posterior" and not post:
        raise ConfigError("experiment.uncertainty", "posterior: no entry of conf/assumptions.yaml has a "
                                                            "posterior (run the calibration first); allowed: prior")
    wanted = None if spec.params == "all" else list(spec.params)
    known = {a.key for a in reg}
    for k in wanted or []:
        if k not in known:
            raise ConfigError("experiment.robust.params", f"{k!r} is not in conf/assumptions.yaml")
    out = []
    for a in reg:
        if (wanted is not None and a.key not in wanted) or a.key in exclude or a.values is not None:
            continue
        if a.key.startswith(RUN_PREFIX):  # how the run is measured (warm-up, drain), not the world
            if wanted is not None:
                raise ConfigError("experiment.robust.params", f"{a.key!r} is a setting of the run, not an "
                                                              f"assumption about the world; leave it out")
            continue
        v = lookup(model, a.key)
        if v is _MISSING or isinstance(v, (list, bool)) or not isinstance(v, (int, float)) or isinstance(a.low, list):
            if wanted is not None:
                raise ConfigError("experiment.robust.params", f"{a.key!r} is not a number this scenario has "
                                                              f"(alternatives and profiles are not sampled)")
            continue
        lo, hi, med, src = float(a.low), float(a.high), None, "prior"
        p = post.get(a.key) if spec.uncertainty == "posterior" else None
        if p is not None:
            try:
                lo, hi = float(p["low"]), float(p["high"])
                med = float(p.get("median", (lo + hi) / 2))
            except (KeyError, TypeError, ValueError):
                raise ConfigError("experiment.uncertainty", f"posterior of {a.key} in conf/assumptions.yaml "
                                                                    f"must hold numbers median, low, high") from None
            if not lo <= med <= hi:
                raise ConfigError("experiment.uncertainty", f"posterior of {a.key}: median {med:g} outside "
                                                                    f"[{lo:g}, {hi:g}]")
            src = "posterior"
        out.append(Dim(a.key, lo, hi, isinstance(v, int), src, med))
    if not out:
        raise ConfigError("experiment.robust.params", "no uncertain parameter left to sample (all are swept "
                                                      "factors, alternatives or profiles)")
    return out


def _quantile(d: Dim, u: np.ndarray) -> np.ndarray:
    """Values of ``d`` at probabilities ``u`` in [0, 1): uniform over [low, high], or
    piecewise uniform with half the mass each side of the posterior median."""
    if d.integer:
        lo, hi = math.ceil(d.low), math.floor(d.high)
        return np.minimum(lo + np.floor(u * (hi - lo + 1)), hi)
    if d.median is None:
        return d.low + u * (d.high - d.low)
    return np.where(u < 0.5, d.low + 2 * u * (d.median - d.low), d.median + (2 * u - 1) * (d.high - d.median))


def sample_table(spec: RobustSpec, ds: list[Dim]):
    """The samples (rows 0 .. samples − 1) × uncertain parameters: a Latin hypercube."""
    import pandas as pd
    from scipy.stats import qmc

    from sim.rng import experiment_stream

    u = qmc.LatinHypercube(d=len(ds), rng=experiment_stream(spec.seed, "uncertainty")).random(spec.samples)
    cols = {d.key: _quantile(d, u[:, j]) for j, d in enumerate(ds)}
    t = pd.DataFrame(cols)
    t.index.name = "sample"
    return t


def set_value(tree: dict, key: str, value) -> None:
    node = tree
    parts = key.split(".")
    for p in parts[:-1]:
        node = node[p]
    old = node[parts[-1]]
    node[parts[-1]] = int(value) if isinstance(old, int) and not isinstance(old, bool) else float(value)


def repair(tree: dict) -> list[str]:
    """Joint limits the registry's separate ranges cannot express, restored by the model's
    own rule: a role's ``patrol_share + routine_share`` may not pass 1 (the rest is slack),
    so where a sample's two shares sum above 1 both are scaled down to sum to 1 (no slack).
    Returns the roles repaired."""
    out = []
    for role, r in (tree.get("staff") or {}).items():
        if isinstance(r, dict) and isinstance(r.get("patrol_share"), (int, float)) \
                and isinstance(r.get("routine_share"), (int, float)):
            total = float(r["patrol_share"]) + float(r["routine_share"])
            if total > 1.0:
                r["patrol_share"], r["routine_share"] = r["patrol_share"] / total, r["routine_share"] / total
                out.append(role)
    return out


def _factor_keys(data: dict) -> set[str]:
    """Keys the sweep varies as policies (from ``experiment.baseline``)."""
    return set((data.get("experiment") or {}).get("baseline") or {})


def table_for(data: dict, registry_path: Path | None = None):
    """The spec, the uncertain parameters and the sample table of a resolved config."""
    from sim.config import model_data

    spec = spec_of(data.get("experiment") or {})
    ds = dims(spec, model_data(data), _factor_keys(data), registry_path)
    return spec, ds, sample_table(spec, ds)


def apply(data: dict) -> tuple[dict, dict]:
    """A robust sweep's job: its resolved config with the sample's values set, and those
    values (written beside the run's results as ``sample.json``)."""
    spec, ds, table = table_for(data)
    row = table.iloc[spec.sample]
    out = copy.deepcopy(data)
    values = {}
    for d in ds:
        set_value(out, d.key, row[d.key])
        values[d.key] = int(row[d.key]) if d.integer else float(row[d.key])
    repaired = repair(out)
    return out, {"sample": spec.sample, "uncertainty": spec.uncertainty, "values": values,
                 "repaired_roles": repaired}


def check(data: dict, factors: dict[str, list[str]]) -> None:
    """Everything about a robust sweep that can be checked before it starts: the spec,
    the sample factor's levels (0 .. samples − 1, each once), PRIM's library, and that
    every sample's parameters are values the model accepts. Raises ConfigError."""
    from sim.params import params_from_dict

    spec, ds, table = table_for(data)
    levels = factors.get(SAMPLE_KEY)
    if not levels:
        raise ConfigError(SAMPLE_KEY, f"must be a sweep factor over the samples, e.g. {SAMPLE_KEY}=range(0,"
                                      f"{spec.samples})")
    try:
        nums = [int(float(v)) for v in levels]
        if any(float(v) != int(float(v)) for v in levels):
            raise ValueError
    except ValueError:
        raise ConfigError(SAMPLE_KEY, f"levels must be whole numbers 0 to {spec.samples - 1}, got "
                                      f"{','.join(levels)}") from None
    bad = [n for n in nums if not 0 <= n < spec.samples]
    if bad:
        raise ConfigError(SAMPLE_KEY, f"level {bad[0]} is not a sample; allowed: 0 to {spec.samples - 1} "
                                      f"(experiment.robust.samples={spec.samples})")
    import importlib.util

    if importlib.util.find_spec("ema_workbench") is None:  # found, not imported (its import takes seconds)
        raise ConfigError("experiment.robust.prim", f"scenario discovery needs ema_workbench: pip install -e "
                                                    f"'.[{EXTRA}]'")
    from sim.config import model_data

    base = model_data(data)
    for k in sorted(set(nums)):
        d = copy.deepcopy(base)
        for dim in ds:
            set_value(d, dim.key, table.iloc[k][dim.key])
        repair(d)
        try:
            params_from_dict(d)
        except ConfigError as e:
            raise ConfigError(SAMPLE_KEY, f"sample {k} gives {e.key} a value the model refuses ({e.message}); "
                                          f"narrow that range in conf/assumptions.yaml or leave it out of "
                                          f"experiment.robust.params") from None
