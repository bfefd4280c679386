"""The sweep report at the sweep root: factors and levels, the comparison table with
confidence intervals, resolution-time distributions per policy, a heat map for
two-factor designs, the workload / resolution-time trade-off, and how to reproduce."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from sim.reporting.doc import Doc  # noqa: E402
from sim.experiments.experiment import ExperimentSpec, collect_runs, compare, policy_label  # noqa: E402
from sim.provenance import git_state, versions  # noqa: E402
from sim.reporting.figures import save  # noqa: E402

WORKLOAD_COLS = ("kpi.staff.work.total_h", "kpi.staff.management.total_h", "kpi.staff.volunteer.total_h",
                 "kpi.staff.household_heads.total_h", "kpi.workload.grid.busy_crew_h", "kpi.workload.village.busy_crew_h",
                 "kpi.workload.town.busy_crew_h", "kpi.workload.district.busy_crew_h")


def _policies(runs: pd.DataFrame) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"].copy()
    factors = sorted(c for c in runs.columns if c.startswith("factor."))
    ok["policy"] = ok.apply(lambda r: policy_label(r, factors), axis=1) if len(ok) else []
    return ok


def fig_distributions(sweep: Path, ok: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for pol, grp in ok.groupby("policy", sort=True):
        xs = []
        for run in grp["run"]:
            f = sweep / str(run) / "issues.parquet"
            if f.is_file():
                t = pq.read_table(f, columns=["t_reported_h", "t_closed_h"]).to_pandas()
                wu = float(grp.loc[grp["run"] == run, "warmup_days"].iloc[0]) * 24
                t = t[(t["t_reported_h"] >= wu) & t["t_closed_h"].notna()]
                xs.append((t["t_closed_h"] - t["t_reported_h"]).to_numpy())
        if xs:
            q = np.linspace(0, 1, 401)  # the ECDF at 401 quantiles: exact shape, cheap to draw
            ax.plot(np.quantile(np.concatenate(xs), q), q, label=pol, lw=1)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("resolution time, report → closed (h), all replicates pooled")
    ax.set_ylabel("share closed within")
    ax.set_title("Resolution-time distribution by policy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, path)


def fig_heatmap(ok: pd.DataFrame, factors: list[str], kpi: str, path: Path) -> bool:
    if len(factors) != 2 or f"kpi.{kpi}" not in ok:
        return False
    tab = ok.pivot_table(index=factors[0], columns=factors[1], values=f"kpi.{kpi}", aggfunc="mean")
    fig, ax = plt.subplots(figsize=(7, 5))
    im = ax.imshow(tab.to_numpy(dtype=float), cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(tab.shape[1]), [str(c) for c in tab.columns])
    ax.set_yticks(range(tab.shape[0]), [str(i) for i in tab.index])
    ax.set_xlabel(factors[1].removeprefix("factor."))
    ax.set_ylabel(factors[0].removeprefix("factor."))
    for i in range(tab.shape[0]):
        for j in range(tab.shape[1]):
            v = tab.iat[i, j]
            if np.isfinite(v):
                dark = im.norm(v) > 0.5  # viridis_r: high values are dark
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", color="white" if dark else "black", fontsize=9)
    fig.colorbar(im, ax=ax, label=kpi)
    ax.set_title(f"Mean {kpi} over replicates")
    save(fig, path)
    return True


def fig_tradeoff(ok: pd.DataFrame, kpi: str, path: Path) -> bool:
    cols = [c for c in WORKLOAD_COLS if c in ok]
    if not cols or f"kpi.{kpi}" not in ok:
        return False
    ok = ok.assign(workload=ok[cols].fillna(0).sum(axis=1))
    g = ok.groupby("policy")[["workload", f"kpi.{kpi}"]].mean()
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.scatter(g["workload"] / 1e3, g[f"kpi.{kpi}"])
    for name, r in g.iterrows():
        ax.annotate(name, (r["workload"] / 1e3, r[f"kpi.{kpi}"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    pts = g.sort_values("workload")
    front, best = [], np.inf
    for _, r in pts.iterrows():
        if r[f"kpi.{kpi}"] < best:
            front.append(r)
            best = r[f"kpi.{kpi}"]
    if front:
        f = pd.DataFrame(front)
        ax.plot(f["workload"] / 1e3, f[f"kpi.{kpi}"], "r--", lw=1, label="trade-off front (lower is better on both)")
        ax.legend(fontsize=8)
    ax.set_xlabel("staff and crew hours over the run (thousands)")
    ax.set_ylabel(kpi)
    ax.set_title("Workload versus resolution time")
    ax.grid(alpha=0.3)
    save(fig, path)
    return True


def aggregate(sweep_dir: Path, spec: ExperimentSpec, command: str = "", config_yaml: str = "",
              out: Path | None = None) -> dict:
    """Write runs.parquet, comparison.json, report.md/html and figures for the runs under
    ``sweep_dir`` into ``out`` (default: ``sweep_dir``; a staging folder to commit atomically)."""
    sweep = Path(sweep_dir)
    out = Path(out) if out is not None else sweep
    runs = collect_runs(sweep)
    runs.to_parquet(out / "runs.parquet", index=False)
    cmp = compare(runs, spec)
    (out / "comparison.json").write_text(json.dumps(cmp, indent=2), encoding="utf-8")
    ok = _policies(runs)
    factors = sorted(c for c in runs.columns if c.startswith("factor."))
    head = spec.kpis[0]
    d = Doc(f"Sweep report: {spec.name}")
    d.p(f"{cmp['runs']['ok']} of {cmp['runs']['total']} runs completed; {cmp['runs']['failed']} failed. "
        f"Policies are compared with the baseline pairwise per replicate seed (common random numbers).")
    for w in cmp["warnings"]:
        d.p(f"Warning: {w}")
    d.h("Factors and levels")
    d.table(["factor", "levels"], [[f.removeprefix("factor."), ", ".join(map(str, sorted(runs[f].dropna().astype(str).unique())))]
                                   for f in factors])
    d.p(f"Baseline: {cmp.get('baseline_policy', '—')}.")
    for k in spec.kpis:
        rows = []
        for pol, e in cmp["policies"].items():
            v = e["kpis"].get(k)
            if v is None:
                continue
            vs = v.get("vs_baseline")
            ad = e["adequacy"].get(k, {})
            rows.append([pol, e["replicates"], v["mean"],
                         vs["mean_diff"] if vs else None,
                         f"[{vs['ci95'][0]:.3g}, {vs['ci95'][1]:.3g}]" if vs and vs["ci95"][0] is not None else "—",
                         vs["rel_change"] if vs else None, vs.get("p_adjusted_bh") if vs else None,
                         ad.get("rel_halfwidth"), ad.get("replicates_needed")])
        if rows:
            d.h(f"{k}", 3)
            d.table(["policy", "reps", "mean", "Δ vs baseline", "95 % CI of Δ", "relative Δ", "p (BH)",
                     "CI half-width / mean", f"reps for ±{spec.target_rel_halfwidth:.0%}"], rows)
    if len(ok):
        fig_distributions(sweep, ok, out / "sweep_resolution.png")
        d.img("sweep_resolution.png", "resolution time by policy")
        if fig_heatmap(ok, factors, head, out / "sweep_heatmap.png"):
            d.img("sweep_heatmap.png", "heat map")
        if fig_tradeoff(ok, head, out / "sweep_tradeoff.png"):
            d.img("sweep_tradeoff.png", "trade-off")
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        d.h("Failed runs")
        d.table(["run", "status", "error"], [[int(r["run"]), r["status"], str(r["error"])[:200]] for _, r in failed.iterrows()])
    d.h("Reproduce")
    d.code(command)
    g = git_state()
    d.p(f"commit {g['commit']} (dirty: {g['dirty']}); " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    if config_yaml:
        d.h("Configuration", 3)
        d.code(config_yaml)
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
    return cmp
