"""Sweep aggregation, read from the run directories on disk (works when some runs failed).

A sweep directory holds one sub-directory per run. A completed run has ``summary.json``
and ``manifest.json``; a failed one has ``failed.json`` (its overrides and error). From
them this module writes, at the sweep root:

- ``runs.parquet``: one row per run: factors, replicate seed, status, every scalar KPI;
- ``comparison.json``: each policy (a combination of factor levels) against the baseline,
  per KPI: paired mean difference over common seeds (common random numbers), its 95 %
  t-interval, relative change, paired t-test p-value and Benjamini–Hochberg adjusted
  p-value (``scipy.stats.false_discovery_control``) over all comparisons of that KPI;
  replication adequacy per policy (CI half-width relative to the mean, replicates needed
  for a target precision); an MSER-5 warm-up check per run; ``kpi_registry``: each
  compared KPI's unit and which direction is better (:mod:`sim.metrics.registry`).

Factors listed in the experiment's ``blocks`` are *blocking* factors: each policy is
compared with the baseline at the same levels of those factors (the escalation experiment
compares the rules within the normal year and within the typhoon year, each against its
own baseline). A KPI a policy does not have (surge KPIs in a year without a surge) gets no
mean and no comparison; pairs use the seeds where both runs have a value.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from sim.experiments.findings import HEADLINE, findings
from sim.experiments.labels import level_str
from sim.metrics.registry import describe

DEFAULT_KPIS = ("time_to_fix_h.mean", "response_time_h.mean", "resolution_time_h.mean", "resolution_time_h.p90",
                "on_time_rate", "satisfaction_rate", "unfixed_share", "cost.per_fixed_issue_yuan",
                "discovery_delay_h.mean", "escalation_rate", "rework_rate")
"""What an ad-hoc sweep (no ``experiment.kpis``) compares: the decision KPI (time to fix)
first, then response, resolution, on-time, satisfaction, what stays unfixed and the cost."""
ADHOC = "sweep"
"""The name of an ad-hoc sweep (a multirun without ``experiment=``)."""


@dataclass
class ExperimentSpec:
    """What the sweep compares: ``baseline`` factor levels (dotted key → value), the KPIs
    (dotted paths into summary.json), the target relative CI half-width for the
    replication check, the experiment's name, ``blocks``: factors within whose levels
    policies are compared (each level has its own baseline), ``findings``: the headline KPIs
    the report opens with (:mod:`sim.experiments.findings`), ``labels`` and ``title``:
    display names (:mod:`sim.experiments.labels`)."""

    name: str = "experiment"
    baseline: dict = field(default_factory=dict)
    kpis: tuple = DEFAULT_KPIS
    target_rel_halfwidth: float = 0.05
    blocks: tuple = ()
    findings: tuple = HEADLINE
    labels: dict = field(default_factory=dict)
    title: object = None

    def compared(self) -> tuple:
        """The KPIs compared: ``kpis``, then any headline KPI of ``findings`` not among them."""
        return tuple(dict.fromkeys((*self.kpis, *self.findings)))


def flatten(d: dict, prefix: str = "") -> dict:
    """Scalar leaves of a nested dict as ``a.b.c`` keys (lists and None skipped)."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, (int, float, bool, np.integer, np.floating)) and not isinstance(v, bool):
            out[key] = float(v)
        elif isinstance(v, bool):
            out[key] = float(v)
    return out


def parse_overrides(overrides: list[str]) -> dict:
    """``["a.b=1", "+c=x"]`` → ``{"a.b": "1", "c": "x"}``: levels as the user wrote them."""
    out = {}
    for o in overrides:
        if "=" in o:
            k, v = o.split("=", 1)
            out[k.lstrip("+~")] = v
    return out


def collect_runs(sweep_dir: Path, design: dict | None = None) -> pd.DataFrame:
    """One row per run of the sweep's ``design`` (every numbered run folder when there is
    none). A run is ``ok`` only when its folder is a complete, checksummed result
    (:func:`sim.store.verify`) of that design's job; a corrupt or foreign one is reported
    by name (status ``corrupt``), never aggregated. Other folders are not looked at."""
    from sim.store import verify

    sweep_dir = Path(sweep_dir)
    if design is not None:
        nums = range(len(design["jobs"]))
    else:
        nums = sorted(int(p.name) for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit())
    rows = []
    for k in nums:
        d = sweep_dir / str(k)
        job = design["jobs"][k] if design is not None else None
        row: dict = {"run": k}
        ov = parse_overrides(job) if job is not None else {}
        why = verify(d) if d.is_dir() else "no run folder"
        if why is None:
            try:
                s = json.loads((d / "summary.json").read_text())
                m = json.loads((d / "manifest.json").read_text())
                if design is not None and (m.get("design_hash") != design["design_hash"]
                                           or list(m.get("job_overrides") or []) != list(job)):
                    raise ValueError("the run belongs to another design or job")
                ov = parse_overrides(m.get("overrides", []))
                kpis = {f"kpi.{k}": v for k, v in flatten({k: v for k, v in s.items()
                                                            if k not in ("seed", "horizon_days", "warmup_days")}).items()}
                row.update({"status": "ok", "error": "", "seed": s["seed"], "scenario": s["scenario"], **kpis,
                            "horizon_days": s.get("horizon_days"), "towns": _towns(s),
                            "warmup_days": s["warmup_days"], "mser5_truncation_days": mser5_days(d / "backlog.parquet",
                                                                    until_h=24.0 * float(s["horizon_days"]))})
            except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException) as e:
                row = {"run": k, "status": "corrupt", "error": f"{type(e).__name__}: {e}", "seed": _seed(ov.get("seed"))}
        elif (d / "failed.json").is_file():
            try:
                f = json.loads((d / "failed.json").read_text())
                ov = parse_overrides(f.get("overrides", [])) or ov
                row.update({"status": f.get("status", "failed"), "error": f.get("error", ""),
                            "seed": _seed(ov.get("seed"))})
            except (OSError, ValueError, AttributeError) as e:
                row.update({"status": "corrupt", "error": f"failed.json: {type(e).__name__}: {e}",
                            "seed": _seed(ov.get("seed"))})
        else:
            row.update({"status": "missing" if not d.is_dir() else "corrupt", "error": why,
                        "seed": _seed(ov.get("seed"))})
        for key, v in ov.items():
            if key not in ("seed", "experiment") and not key.startswith(("hydra", "report")):  # report.*: not a factor
                row[f"factor.{key}"] = v
        rows.append(row)
    return pd.DataFrame(rows)


def _towns(summary: dict) -> str | None:
    """The run's towns as ``en/zh`` names joined by ``;`` (the report's scope), None
    without a town map."""
    names = (summary.get("structure") or {}).get("town_names") or []
    return ";".join(f"{t.get('en', '')}/{t.get('zh', '')}" for t in names if isinstance(t, dict)) or None


def _seed(text) -> int | None:
    """A replicate seed as the user typed it, if it is a whole number (else None)."""
    try:
        return int(str(text))
    except (TypeError, ValueError):
        return None


def mser5_days(backlog_path: Path, sample_h: float = 6.0, until_h: float | None = None) -> float | None:
    """MSER-5 truncation point (days) of the backlog series up to ``until_h`` (the
    horizon; the drain after it is left out): see :func:`mser5_truncation_h`."""
    if not backlog_path.is_file():
        return None
    t = pq.read_table(backlog_path)
    h = mser5_truncation_h(t.column("t_h").to_numpy(), t.column("open").to_numpy(), sample_h, until_h)
    return None if h is None else h / 24.0


def mser5_truncation_h(tt: np.ndarray, nn: np.ndarray, sample_h: float = 6.0,
                       until_h: float | None = None) -> float | None:
    """MSER-5 truncation point (hours) of a step series (times ``tt``, values ``nn``) up to
    ``until_h``: sample it every ``sample_h`` hours, form batch means of 5, and pick the
    truncation d that minimises the variance of the remaining mean, searched over the
    first half (White 1997)."""
    end = tt[-1] if until_h is None else min(float(until_h), float(tt[-1]))
    if len(tt) < 2 or end <= 0:
        return None
    grid = np.arange(0.0, end, sample_h)
    y = nn[np.searchsorted(tt, grid, side="right") - 1].astype(float)
    b = len(y) // 5
    if b < 4:
        return None
    z = y[: b * 5].reshape(b, 5).mean(axis=1)
    best, best_d = np.inf, 0
    for d in range(b // 2):
        tail = z[d:]
        v = tail.var() / (len(tail) - 1) if len(tail) > 1 else np.inf
        if v < best:
            best, best_d = v, d
    return best_d * 5 * sample_h


def policy_label(row: pd.Series, factors: list[str]) -> str:
    return ", ".join(f"{f.removeprefix('factor.')}={row[f]}" for f in factors) or "baseline"


def paired_comparison(base: np.ndarray, other: np.ndarray) -> dict:
    """Paired mean difference (other − base) with a 95 % t-interval and a paired t-test."""
    d = other - base
    n = len(d)
    mean = float(d.mean()) if n else math.nan
    if n >= 2 and d.std(ddof=1) > 0:
        se = d.std(ddof=1) / math.sqrt(n)
        half = float(stats.t.ppf(0.975, n - 1) * se)
        p = float(stats.ttest_rel(other, base).pvalue)
    else:
        half = 0.0 if n >= 2 else math.nan
        p = 1.0 if (n >= 2 and mean == 0) else (0.0 if n >= 2 else math.nan)
    bm = float(base.mean()) if n else math.nan
    return {"n_pairs": n, "mean_diff": mean, "ci95": [mean - half, mean + half], "rel_change": mean / bm if bm else None,
            "baseline_mean": bm, "p_value": p, "few_pairs": n < 3}


def replication_check(x: np.ndarray, target: float) -> dict:
    """CI half-width relative to the mean and replicates needed for ``target``."""
    n = len(x)
    if n < 2 or x.mean() == 0:
        return {"n": n, "rel_halfwidth": None, "replicates_needed": None}
    half = stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n)
    rel = float(half / abs(x.mean()))
    need = int(math.ceil(n * (rel / target) ** 2)) if rel > 0 else n
    return {"n": n, "rel_halfwidth": rel, "replicates_needed": max(need, 2)}


def json_safe(o):
    """``o`` with numpy scalars as Python numbers, tuples as lists and non-finite floats as
    None (JSON has no NaN): for comparison.json, optimise.json and the robust comparison."""
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [json_safe(v) for v in o]
    if isinstance(o, (np.floating, np.integer)):
        return json_safe(o.item())
    return o


def compare(runs: pd.DataFrame, spec: ExperimentSpec) -> dict:
    """The comparison.json payload (see module doc)."""
    ok = runs[runs["status"] == "ok"].copy()
    factors = sorted(c for c in runs.columns if c.startswith("factor."))
    kpis = spec.compared()
    out: dict = {"experiment": spec.name, "factors": [f.removeprefix("factor.") for f in factors],
                 "baseline": spec.baseline, "kpis": list(kpis),
                 "kpi_registry": {k: describe(k) for k in kpis},  # unit, better direction (sim.metrics.registry)
                 "runs": {"total": int(len(runs)), "ok": int(len(ok)), "failed": int((runs["status"] != "ok").sum())},
                 "policies": {}, "warnings": []}
    if ok.empty:
        out["warnings"].append("no completed runs")
        out["findings"] = []
        return json_safe(out)
    ok["policy"] = ok.apply(lambda r: policy_label(r, factors), axis=1)
    blocking = [f for f in factors if f.removeprefix("factor.") in spec.blocks]
    ok["block"] = ok.apply(lambda r: policy_label(r, blocking), axis=1) if blocking else ""
    is_base = np.ones(len(ok), dtype=bool)
    for k, v in spec.baseline.items():
        col = f"factor.{k}"
        if col in ok:
            is_base &= ok[col].map(level_str).to_numpy() == level_str(v)
    if not is_base.any():
        out["warnings"].append(f"baseline {spec.baseline} not among completed runs; comparing to the first policy")
        is_base = (ok["policy"] == ok["policy"].iloc[0]).to_numpy()
        ok["block"] = ""
        blocking = []
    bases = {}  # block -> the baseline policy of that block
    for blk, pol in zip(ok.loc[is_base, "block"], ok.loc[is_base, "policy"]):
        bases.setdefault(blk, pol)
    base_label = next(iter(bases.values()))
    out["baseline_policy"] = base_label
    if blocking:
        out["blocking_factors"] = [f.removeprefix("factor.") for f in blocking]
        out["baseline_policies"] = list(bases.values())
    pvals: dict[str, list] = {k: [] for k in kpis}
    for pol, grp in ok.groupby("policy", sort=True):
        g = grp.set_index("seed")
        own_base = bases.get(grp["block"].iloc[0])
        entry: dict = {"levels": {f.removeprefix("factor."): json_safe(grp[f].iloc[0]) for f in factors},
                       "replicates": int(len(g)), "baseline": own_base, "kpis": {}, "adequacy": {}}
        if own_base is None:
            out["warnings"].append(f"{pol}: no baseline run at the same {', '.join(out.get('blocking_factors', []))}")
        base = ok[ok["policy"] == own_base].set_index("seed") if own_base is not None else None
        common = sorted(set(g.index) & set(base.index)) if base is not None else []
        for k in kpis:
            col = f"kpi.{k}"
            if col not in g:
                continue
            x = g[col].to_numpy(dtype=float)
            fin = x[np.isfinite(x)]
            entry["kpis"][k] = {"mean": float(fin.mean()) if len(fin) else None}
            entry["adequacy"][k] = replication_check(fin, spec.target_rel_halfwidth)
            if pol != own_base and common and col in base:
                b = base.loc[common, col].to_numpy(dtype=float)
                o = g.loc[common, col].to_numpy(dtype=float)
                both = np.isfinite(b) & np.isfinite(o)
                if both.any():
                    cmp = paired_comparison(b[both], o[both])
                    entry["kpis"][k]["vs_baseline"] = cmp
                    pvals[k].append((pol, cmp["p_value"]))
        out["policies"][pol] = entry
    for k, lst in pvals.items():
        ps = np.array([p for _, p in lst], dtype=float)
        if len(ps) and np.isfinite(ps).all():
            adj = stats.false_discovery_control(ps, method="bh")
            for (pol, _), a in zip(lst, adj):
                out["policies"][pol]["kpis"][k]["vs_baseline"]["p_adjusted_bh"] = float(a)
    if "mser5_truncation_days" in ok:
        late = ok[ok["mser5_truncation_days"] > ok["warmup_days"]]
        if len(late):
            out["warnings"].append(
                f"warm-up may be too short in {len(late)} of {len(ok)} runs: MSER-5 truncation up to "
                f"{late['mser5_truncation_days'].max():.1f} days > run.warmup_days {late['warmup_days'].max():g}")
    out = json_safe(out)
    out["findings"] = json_safe(findings(out, spec.findings))  # the report's opening sentences, from these numbers
    return out
