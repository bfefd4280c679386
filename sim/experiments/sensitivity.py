"""Global sensitivity analysis with SALib: Morris screening and Sobol indices over
declared uncertain parameters (dotted keys with [low, high] bounds)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from SALib.analyze import morris as morris_analyze  # noqa: E402
from SALib.analyze import sobol as sobol_analyze  # noqa: E402
from SALib.sample import morris as morris_sample  # noqa: E402
from SALib.sample import sobol as sobol_sample  # noqa: E402

from sim.errors import ConfigError  # noqa: E402
from sim.reporting import fonts  # noqa: E402
from sim.reporting.doc import Doc  # noqa: E402
from sim.reporting.figures import css_width, save  # noqa: E402
from sim.reporting.i18n import Tr, kpi_unit  # noqa: E402

METHODS = ("morris", "sobol")


def registry_range(key: str) -> list[float]:
    """The plausible range ``[low, high]`` of assumed parameter ``key`` in
    ``conf/assumptions.yaml`` (a numeric one of the default scenario)."""
    from sim.assumptions import load

    for a in load():
        if a.key == key and a.scenario == "chongming":
            if isinstance(a.low, (int, float)) and isinstance(a.high, (int, float)) and not isinstance(a.low, bool):
                return [float(a.low), float(a.high)]
            raise ConfigError(f"experiment.sensitivity.params.{key}",
                              f"'registry' needs a numeric range in conf/assumptions.yaml; {key} has {a.range_text}")
    raise ConfigError(f"experiment.sensitivity.params.{key}",
                      "'registry' takes the range of an assumed parameter, and conf/assumptions.yaml has no "
                      f"entry {key}: give [low, high]")


def problem(bounds: dict) -> dict:
    """SALib problem from ``{dotted.key: [low, high] | "registry"}`` ("registry": the
    assumption registry's plausible range, :func:`registry_range`)."""
    bounds = {k: registry_range(k) if b == "registry" else b for k, b in bounds.items()}
    names = list(bounds)
    for k, b in bounds.items():
        try:
            ok = isinstance(b, (list, tuple)) and len(b) == 2 and float(b[0]) < float(b[1])
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"experiment.sensitivity.params.{k}", f"must be [low, high] with low < high, got {b!r}")
    return {"num_vars": len(names), "names": names, "bounds": [[float(b[0]), float(b[1])] for b in bounds.values()]}


def _whole(spec: dict, key: str, default: int, lo: int) -> int:
    v = spec.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise ConfigError(f"experiment.{key}", f"must be a whole number >= {lo}, got {v!r}")
    try:
        f = float(v)
    except ValueError:
        raise ConfigError(f"experiment.{key}", f"must be a whole number >= {lo}, got {v!r}") from None
    if not np.isfinite(f) or f != int(f) or f < lo or f > 1e6:
        raise ConfigError(f"experiment.{key}", f"must be a whole number from {lo} to 1,000,000, got {v!r}")
    return int(f)


def check_spec(spec: dict, base: dict) -> None:
    """Everything about ``experiment.*`` of a sensitivity analysis that can be checked
    before a run: the method, the sample size, the worker count, each parameter's range
    (both ends must be values the model accepts: checked with the same validation as a
    run) and the KPI's form. Raises :class:`ConfigError` naming the key."""
    sens = spec.get("sensitivity")
    if not isinstance(sens, dict) or not isinstance(sens.get("params"), dict) or not sens["params"]:
        raise ConfigError("experiment.sensitivity.params", "must map parameters to [low, high] ranges")
    if sens.get("method", "morris") not in METHODS:
        raise ConfigError("experiment.sensitivity.method", f"must be one of {', '.join(METHODS)}; "
                                                            f"got {sens.get('method')!r}")
    try:
        _whole(sens, "n", 8, 1)
    except ConfigError as e:
        raise ConfigError("experiment.sensitivity.n", e.message) from None
    _whole(spec, "n_jobs", 2, 1)
    kpi = sens.get("kpi", "resolution_time_h.mean")
    if not isinstance(kpi, str) or not kpi or any(not p.isidentifier() and not p.isalnum() for p in kpi.split(".")):
        raise ConfigError("experiment.sensitivity.kpi", f"must be a dotted path into summary.json, got {kpi!r}")
    from sim.metrics.registry import KPIS

    parts = kpi.split(".")
    if kpi not in KPIS and not (parts[0] in SUMMARY_GROUPS and len(parts) >= 2):  # a declared KPI, or in a group
        raise ConfigError("experiment.sensitivity.kpi", f"summary.json has no {kpi!r}; allowed: a number in "
                                                         "summary.json, e.g. time_to_fix_h.mean, on_time_rate, "
                                                         "satisfaction_rate, cost.per_fixed_issue_yuan")
    prob = problem(dict(sens["params"]))
    check_range_ends(base, dict(zip(prob["names"], prob["bounds"])), "experiment.sensitivity.params", "range")


def check_range_ends(base: dict, ranges: dict, key: str, word: str) -> None:
    """Both ends of each ``{parameter: (low, high)}`` range must be values the model accepts
    on top of ``base``: a ConfigError on ``key.parameter`` naming the ``word`` (range, prior)
    and what the model allows."""
    from sim.params import params_from_dict

    for k, (lo, hi) in ranges.items():
        for v in (lo, hi):
            d = copy.deepcopy(base)
            set_dotted(d, k, v)
            try:
                params_from_dict(d)
            except ConfigError as e:
                raise ConfigError(f"{key}.{k}",
                                  f"the {word} [{lo:g}, {hi:g}] leaves what {e.key} allows ({e.message})") from None


def sample(prob: dict, method: str, n: int, seed: int) -> np.ndarray:
    """Design matrix: Morris trajectories (n trajectories, 4 levels) or Sobol' points
    (n should be a power of 2; first and total order only)."""
    if method == "morris":
        return morris_sample.sample(prob, n, num_levels=4, seed=seed)
    if method == "sobol":
        return sobol_sample.sample(prob, n, calc_second_order=False, seed=seed)
    raise ConfigError("experiment.sensitivity.method", f"must be one of {', '.join(METHODS)}; got {method!r}")


def analyze(prob: dict, method: str, X: np.ndarray, Y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Index table: Morris mu*, mu*_conf, sigma; Sobol S1, S1_conf, ST, ST_conf."""
    if method == "morris":
        r = morris_analyze.analyze(prob, X, Y, num_levels=4, seed=seed)
        return pd.DataFrame({"parameter": prob["names"], "mu_star": r["mu_star"], "mu_star_conf": r["mu_star_conf"],
                             "sigma": r["sigma"]})
    r = sobol_analyze.analyze(prob, Y, calc_second_order=False, seed=seed)
    return pd.DataFrame({"parameter": prob["names"], "S1": r["S1"], "S1_conf": r["S1_conf"], "ST": r["ST"],
                         "ST_conf": r["ST_conf"]})


def set_dotted(d: dict, key: str, value) -> None:
    parts = key.split(".")
    node = d
    for p in parts[:-1]:
        if p not in node or not isinstance(node[p], dict):
            raise ConfigError(f"experiment.sensitivity.params.{key}", f"no such parameter (missing {p!r})")
        node = node[p]
    if parts[-1] not in node:
        raise ConfigError(f"experiment.sensitivity.params.{key}", "no such parameter")
    node[parts[-1]] = type(node[parts[-1]])(value) if isinstance(node[parts[-1]], (int, float)) and not isinstance(node[parts[-1]], bool) else value


SUMMARY_GROUPS = {"cost", "staff", "staff_utilisation", "workload", "by_type", "by_channel", "by_level",
                  "structure", "counts", "surge", "discovery_share", "trust", "drain", "assessment", "little",
                  "ratings"}
"""summary.json's groups of numbers, beside the declared KPIs (sim.metrics.registry)."""


def _kpi(summary: dict, path: str) -> float:
    v = summary
    try:
        for p in path.split("."):
            v = v[p]
        return float(v) if v is not None else float("nan")
    except (KeyError, TypeError, ValueError):
        raise ConfigError("experiment.sensitivity.kpi", f"summary.json has no number at {path!r}") from None


def _evaluate(base: dict, names: list[str], row: np.ndarray, kpi: str) -> float:
    from sim.metrics.kpi import summarize
    from sim.model import run_model
    from sim.params import params_from_dict
    from sim.precheck import check

    d = copy.deepcopy(base)
    for k, v in zip(names, row):
        set_dotted(d, k, v)
    p = params_from_dict(d)
    check(p)
    return _kpi(summarize(run_model(p)), kpi)


def run_sensitivity(base: dict, spec: dict, out: Path, n_jobs: int = 2, lang: str = "en") -> pd.DataFrame:
    """Sample, run the model at every point (in parallel with joblib, same seed: common
    random numbers), analyse, and write ``sensitivity.json``, ``sensitivity_runs.parquet``,
    a bar figure and ``report.md``/``report.html`` (in ``lang``, en or zh) into ``out``."""
    from joblib import Parallel, delayed

    fonts.require(lang)
    method = spec.get("method", "morris")
    prob = problem(dict(spec["params"]))
    X = sample(prob, method, int(spec.get("n", 8)), int(base.get("seed", 0)))
    kpi = spec.get("kpi", "resolution_time_h.mean")
    for k in prob["names"]:  # fail early on a bad key
        set_dotted(copy.deepcopy(base), k, 0)
    Y = np.array(Parallel(n_jobs=n_jobs)(delayed(_evaluate)(base, prob["names"], row, kpi) for row in X))
    table = analyze(prob, method, X, Y, int(base.get("seed", 0)))
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(X, columns=prob["names"]).assign(**{kpi: Y}).to_parquet(out / "sensitivity_runs.parquet", index=False)
    (out / "sensitivity.json").write_text(json.dumps({"method": method, "kpi": kpi, "runs": int(len(Y)),
                                                      "indices": table.to_dict(orient="records")}, indent=2))
    write_sensitivity_report(table, method, kpi, len(Y), int(base.get("seed", 0)), out, lang)
    return table


def fig_sensitivity(table: pd.DataFrame, method: str, kpi: str, runs: int, path: Path, T: Tr) -> None:
    """Bar chart of the indices with their 95 % CI: Morris mu* (in the KPI's unit), or
    Sobol total and first-order indices (shares of the KPI's variance)."""
    col = "mu_star" if method == "morris" else "ST"
    t = table.sort_values(col)
    kname = T.term("kpi", kpi)
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(t) + 1.8), layout="constrained")
    label = T("sens.mu_star") if method == "morris" else T("sens.total")
    ax.barh(t["parameter"], t[col], xerr=t[f"{col}_conf"], color="#1f4e9c", label=label)
    if method == "sobol":
        ax.barh(t["parameter"], t["S1"], color="#ff7f0e", alpha=0.8, label=T("sens.first"))
        ax.set_xlabel(T("sens.x_sobol", kpi=kname))
    else:
        unit = {"h": "unit.h", "days": "unit.days", "share": "unit.share", "count": "unit.count",
                "yuan": "unit.yuan"}[kpi_unit(kpi)]
        ax.set_xlabel(T("sens.x", index="μ*", kpi=kname, unit=T(unit)))
    from matplotlib.lines import Line2D

    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="black", lw=1.5, label=T("sens.ci")))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(T("sens.fig_title", method=T(f"sens.method.{method}"), kpi=kname, runs=T.n("count.runs", runs)))
    save(fig, path)


def write_sensitivity_report(table: pd.DataFrame, method: str, kpi: str, runs: int, seed: int, out: Path,
                             lang: str = "en") -> None:
    """``sensitivity.png`` and ``report.md``/``report.html`` in ``lang``."""
    T = Tr(lang)
    with fonts.context(lang):
        fig_sensitivity(table, method, kpi, runs, out / "sensitivity.png", T)
    d = Doc(T("sens.title", method=T(f"sens.method.{method}"), kpi=T.term("kpi", kpi)), lang)
    d.p(T("sens.intro", runs=T.n("count.runs", runs), seed=seed))
    d.table(T.list(f"sens.cols.{method}"), table.values.tolist())
    d.img("sensitivity.png", T("sens.fig_title", method=T(f"sens.method.{method}"), kpi=T.term("kpi", kpi),
                                runs=T.n("count.runs", runs)), css_width(out / "sensitivity.png"))
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
