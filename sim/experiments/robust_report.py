"""A robust sweep's aggregation: which policy holds up across the uncertain assumptions.

From the sweep's runs (:func:`sim.experiments.experiment.collect_runs`) and its sample
table (:mod:`sim.experiments.robust`), written at the sweep root:

- ``runs.parquet`` (as any sweep) and ``samples.parquet`` (the sample table, one row per
  sample, one column per uncertain parameter);
- ``comparison.json``: each policy against the baseline pooled over samples and seeds (a
  pair is one sample at one seed: common random numbers), as any sweep's; ``robustness``:
  per KPI and policy, over samples (each the mean over the seeds every policy has): the
  probability of being best (ties shared), mean and 90th-percentile regret (the shortfall
  from the best policy of the same sample, in the direction the KPI registry declares),
  the share of samples in which it beats the baseline, and the satisficing share against
  ``experiment.robust.satisficing``; ``scenario_discovery``: PRIM boxes
  (``ema_workbench.analysis.prim``) over the sample table for the samples in which the
  reference policy's regret in ``prim.kpi`` exceeds ``prim.regret_above`` (the ranking
  flips), with their coverage, density and limits;
- ``report.md``/``report.html`` with those tables and a regret figure.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ConfigError
from sim.experiments.experiment import json_safe
from sim.experiments.robust import SAMPLE_KEY, RobustSpec

SAMPLE_COL = f"factor.{SAMPLE_KEY}"


def per_sample(ok: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """Samples × policies: the KPI's mean over the seeds at which every policy has a value
    in that sample (complete common-random-number sets only)."""
    col = f"kpi.{kpi}"
    if col not in ok:
        return pd.DataFrame()
    t = ok.pivot_table(index=["sample", "seed"], columns="policy", values=col, aggfunc="first", dropna=False)
    t = t.dropna(how="any")
    return t.groupby(level="sample").mean()


def regret(table: pd.DataFrame, better: str) -> pd.DataFrame:
    """Each policy's shortfall from the best policy of the same sample (≥ 0)."""
    if better == "lower":
        return table.sub(table.min(axis=1), axis=0)
    return (-table).add(table.max(axis=1), axis=0)


def robustness(table: pd.DataFrame, better: str, baseline: str | None, threshold: float | None = None) -> dict:
    """Per policy (see module doc) from a samples × policies table of one KPI."""
    if table.empty:
        return {}
    r = regret(table, better)
    best = np.isclose(r.to_numpy(), 0.0, rtol=0.0, atol=1e-12)
    share_best = best / best.sum(axis=1, keepdims=True)  # ties share the sample
    out = {}
    for j, pol in enumerate(table.columns):
        x = table[pol].to_numpy(dtype=float)
        e = {"samples": int(len(x)), "mean": float(x.mean()), "p_best": float(share_best[:, j].mean()),
             "regret_mean": float(r[pol].mean()), "regret_p90": float(np.quantile(r[pol].to_numpy(), 0.9)),
             "beats_baseline_share": None, "satisficing_share": None}
        if baseline is not None and baseline in table and pol != baseline:
            b = table[baseline].to_numpy(dtype=float)
            e["beats_baseline_share"] = float(np.mean(x < b if better == "lower" else x > b))
        if threshold is not None:
            e["satisficing_share"] = float(np.mean(x <= threshold if better == "lower" else x >= threshold))
        out[str(pol)] = e
    return out


def prim_boxes(x: pd.DataFrame, y: np.ndarray, min_density: float, max_boxes: int = 3) -> list[dict]:
    """PRIM (``ema_workbench``) on the sample table ``x`` for the cases ``y``: up to
    ``max_boxes`` boxes, each the peeling-trajectory box of highest coverage among those
    with density ≥ ``min_density`` (else the densest), with its restricted parameters."""
    import logging
    import warnings

    with warnings.catch_warnings():  # ema_workbench warns about optional parallel back-ends it does not need here
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    p = prim.Prim(x.reset_index(drop=True), np.asarray(y, dtype=bool), mass_min=0.05)
    full = p.box_init
    out, covered = [], 0.0
    for _ in range(max_boxes):
        box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory
        ok = traj[traj["density"] >= min_density]
        i = int(ok.sort_values(["coverage", "density"], ascending=False).index[0] if len(ok)
                else traj["density"].idxmax())
        box.select(i)
        lims = box.box_lims[i]
        restricted = []
        for c in x.columns:
            lo, hi = float(lims.loc[0, c]), float(lims.loc[1, c])
            if lo > float(full.loc[0, c]) or hi < float(full.loc[1, c]):
                restricted.append({"param": c, "low": lo, "high": hi})
        row = traj.loc[i]
        if float(row["coverage"]) <= 0.0:
            break  # no case left to find
        covered += float(row["coverage"])
        out.append({"coverage": float(row["coverage"]), "density": float(row["density"]), "mass": float(row["mass"]),
                    "meets_min_density": bool(len(ok)), "restricted": restricted})
        if not len(ok) or covered >= 1.0 - 1e-9:
            break  # later boxes only get weaker, or every case is in a box
    return out


def discovery(tables: dict[str, pd.DataFrame], samples: pd.DataFrame, spec: RobustSpec, better: dict) -> dict:
    """Scenario discovery for ``spec.prim_kpi``: which samples flip the ranking away from
    the reference policy (``prim.policy``, else the lowest mean regret), and PRIM's boxes.
    Raises ConfigError when ``prim.regret_above`` selects no sample, or every sample."""
    t = tables.get(spec.prim_kpi)
    if t is None or t.empty:
        raise ConfigError("experiment.robust.prim.kpi", f"no sample has {spec.prim_kpi} for every policy")
    r = regret(t, better[spec.prim_kpi])
    ref = spec.prim_policy if spec.prim_policy is not None else str(r.mean().idxmin())
    if ref not in r:
        raise ConfigError("experiment.robust.prim.policy", f"{ref!r} is not a policy of this sweep; allowed: "
                                                            f"{', '.join(map(str, r.columns))}")
    y = (r[ref] > spec.prim_regret_above).to_numpy()
    n = int(y.sum())
    if n == 0 or n == len(y):
        top = float(r[ref].max())
        what = "none" if n == 0 else "all"
        raise ConfigError("experiment.robust.prim.regret_above",
                          f"{spec.prim_regret_above:g} selects {what} of the {len(y)} samples ({ref}'s largest "
                          f"regret in {spec.prim_kpi} is {top:.4g}); allowed: a threshold from 0 to below {top:.4g} "
                          f"that leaves some samples out (the runs are kept: run the same command again to "
                          f"aggregate without running them)")
    x = samples.loc[t.index]
    x = x.loc[:, x.nunique() > 1]
    boxes = prim_boxes(x, y, spec.prim_min_density)
    return {"kpi": spec.prim_kpi, "reference_policy": ref, "regret_above": spec.prim_regret_above,
            "min_density": spec.prim_min_density, "cases": n, "samples": int(len(y)),
            "flipping_samples": [int(s) for s, f in zip(t.index, y) if f], "boxes": boxes,
            "note": f"{len(y)} samples over {x.shape[1]} parameters: boxes are leads to check, not findings"}


def pooled_runs(runs: pd.DataFrame, baseline: dict | None = None) -> pd.DataFrame:
    """The runs with sample and seed merged into one replicate number (a pair is one sample
    at one seed), so that :func:`compare` pairs policies over samples and seeds; factors
    with one level (other than the baseline's) are left out of the policies' names."""
    r = runs.copy()
    keep = {f"factor.{k}" for k in baseline or {}} | {SAMPLE_COL}
    fixed = [c for c in r.columns if c.startswith("factor.") and c not in keep and r[c].astype(str).nunique() <= 1]
    r = r.drop(columns=fixed)  # settings typed once for the whole sweep (run.horizon_days=...) are not policies
    r["sample"] = pd.to_numeric(r[SAMPLE_COL], errors="coerce")
    seeds = pd.to_numeric(r["seed"], errors="coerce")
    width = int(seeds.max()) + 1 if seeds.notna().any() else 1
    r["seed"] = (r["sample"] * width + seeds).where(seeds.notna() & r["sample"].notna())
    return r.drop(columns=[SAMPLE_COL])


def analyse(runs: pd.DataFrame, samples: pd.DataFrame, spec, rspec: RobustSpec) -> dict:
    """comparison.json of a robust sweep (see module doc)."""
    from sim.experiments.experiment import compare, policy_label
    from sim.metrics.registry import describe

    pooled = pooled_runs(runs, spec.baseline)
    cmp = compare(pooled.drop(columns=["sample"]), spec)
    ok = pooled[pooled["status"] == "ok"].copy()
    factors = sorted(c for c in pooled.columns if c.startswith("factor."))
    ok["policy"] = ok.apply(lambda row: policy_label(row, factors), axis=1)
    ok["seed"] = pd.to_numeric(runs.loc[ok.index, "seed"], errors="coerce")
    better = {k: describe(k)["better"] for k in spec.kpis}
    tables = {k: per_sample(ok, k) for k in spec.kpis}
    base = cmp.get("baseline_policy")
    cmp["uncertainty"] = {"mode": rspec.uncertainty, "samples": rspec.samples, "seed": rspec.seed,
                          "parameters": int(samples.shape[1])}
    cmp["robustness"] = {k: {"better": better[k], "satisficing_threshold": rspec.satisficing.get(k),
                             "policies": robustness(tables[k], better[k], base, rspec.satisficing.get(k))}
                         for k in spec.kpis}
    cmp["scenario_discovery"] = discovery(tables, samples, rspec, better)
    return cmp


def aggregate(root: Path, spec, data: dict, command: str = "", lang: str = "en", out: Path | None = None,
              design: dict | None = None) -> dict:
    """Write the robust sweep's files (see module doc) into ``out`` (a stage to commit)."""
    from sim.experiments.experiment import collect_runs
    from sim.experiments.robust import table_for

    out = Path(out) if out is not None else Path(root)
    rspec, ds, samples = table_for(data)
    runs = collect_runs(Path(root), design)
    cmp = json_safe(analyse(runs, samples, spec, rspec))
    cmp["uncertainty"]["ranges"] = {d.key: {"low": d.low, "high": d.high, "source": d.source,
                                            **({"median": d.median} if d.median is not None else {})} for d in ds}
    unstable = unstable_samples(Path(root), runs)
    cmp["uncertainty"]["unstable_samples"] = unstable
    if unstable:
        cmp["warnings"].append(f"{len(unstable)} of {rspec.samples} samples put a unit over capacity (offered load "
                               f">= 1, summary.json unstable_units) in some run: the comparison there is between "
                               f"overloaded systems")
    runs.to_parquet(out / "runs.parquet", index=False)
    samples.reset_index().to_parquet(out / "samples.parquet", index=False)
    (out / "comparison.json").write_text(json.dumps(cmp, indent=2, ensure_ascii=False), encoding="utf-8")
    from sim.experiments.robust_doc import write_report

    write_report(cmp, spec, ok_regrets(runs, spec, cmp), out, lang, command)
    return cmp


def unstable_samples(root: Path, runs: pd.DataFrame) -> list[int]:
    """The samples in which some completed run has a unit whose offered load is at least 1
    (:mod:`sim.metrics.capacity`; ``unstable_units`` of its summary.json)."""
    out = set()
    for _, r in runs[runs["status"] == "ok"].iterrows():
        try:
            s = json.loads((root / str(int(r["run"])) / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if s.get("unstable_units"):
            out.add(int(float(r[SAMPLE_COL])))
    return sorted(out)


def ok_regrets(runs: pd.DataFrame, spec, cmp: dict) -> dict[str, pd.DataFrame]:
    """Samples × policies regret tables of every KPI (for the figure)."""
    from sim.experiments.experiment import policy_label

    pooled = pooled_runs(runs, spec.baseline)
    ok = pooled[pooled["status"] == "ok"].copy()
    factors = sorted(c for c in pooled.columns if c.startswith("factor."))
    if ok.empty:
        return {}
    ok["policy"] = ok.apply(lambda row: policy_label(row, factors), axis=1)
    ok["seed"] = pd.to_numeric(runs.loc[ok.index, "seed"], errors="coerce")
    return {k: regret(per_sample(ok, k), cmp["robustness"][k]["better"]) for k in spec.kpis
            if not per_sample(ok, k).empty}
