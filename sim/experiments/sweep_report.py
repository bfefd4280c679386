"""The sweep report at the sweep root, in English or Chinese: policies numbered once and
used by every table and figure; per KPI the comparison table with paired differences
and confidence intervals; a forest plot of each policy's paired difference from the
baseline with its 95 % CI (from comparison.json); a heat map for two-factor designs; the
workload / KPI trade-off with numbered points and a key; and how to reproduce."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.experiments.experiment import ExperimentSpec, collect_runs, compare, policy_label  # noqa: E402
from sim.provenance import git_state, versions  # noqa: E402
from sim.reporting import fonts  # noqa: E402
from sim.reporting.doc import Doc, fmt, pct  # noqa: E402
from sim.reporting.figures import css_width, offsets_around, place_labels, save  # noqa: E402
from sim.metrics.registry import kpi_unit  # noqa: E402
from sim.reporting.i18n import Tr  # noqa: E402

WORKLOAD_COLS = ("kpi.workload.grid.busy_h", "kpi.workload.village.busy_h", "kpi.workload.town.busy_h",
                 "kpi.workload.district.busy_h")
SIG_COLOR, NS_COLOR = "#1f4e9c", "#9a9a9a"


def _policies(runs: pd.DataFrame) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"].copy()
    factors = sorted(c for c in runs.columns if c.startswith("factor."))
    ok["policy"] = ok.apply(lambda r: policy_label(r, factors), axis=1) if len(ok) else []
    return ok


def _level_key(v) -> tuple:
    """Sort key for a factor level: numbers by value, then names, then null."""
    s = str(v)
    if s in ("null", "None"):
        return (2, 0.0, s)
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s)


class Policies:
    """The sweep's policies, numbered 1..n (baseline first, then by factor levels), with
    short labels made of the levels of the factors that vary (fixed settings such as a
    command-line ``run.horizon_days`` are named once, not in every label)."""

    def __init__(self, cmp: dict, T: Tr):
        pols = cmp.get("policies", {})
        levels = {p: e.get("levels", {}) for p, e in pols.items()}
        factors = list(cmp.get("factors", []))
        self.varying = [f for f in factors if len({str(lv.get(f)) for lv in levels.values()}) > 1]
        self.fixed = {f: next(iter(levels.values())).get(f) for f in factors if f not in self.varying} if levels else {}
        base = cmp.get("baseline_policy")
        bases = [b for b in cmp.get("baseline_policies", [base]) if b in pols]
        rest = sorted((p for p in pols if p not in bases), key=lambda p: [_level_key(levels[p].get(f)) for f in self.varying])
        self.order = bases + rest
        self.base = base
        self.bases = set(bases)
        self.levels = levels
        self.T = T

    def number(self, pol: str) -> int:
        return self.order.index(pol) + 1

    def tag(self, pol: str) -> str:
        """The policy's tag in tables and figures: ``P1`` (the baseline), ``P2``, ..."""
        return f"P{self.number(pol)}"

    def short(self, pol: str) -> str:
        """The levels of the varying factors, e.g. ``fused_step, 0.25``."""
        return ", ".join(str(self.levels[pol].get(f)) for f in self.varying) or self.T("sweep.baseline")

    def factors_label(self) -> str:
        return ", ".join(self.varying)


def _scale(kpi: str) -> tuple[float, str]:
    """Multiplier and unit (catalogue key) for differences of ``kpi``: rates in percentage
    points, hours in h, anything else as a count."""
    u = kpi_unit(kpi)
    return {"share": (100.0, "unit.pp"), "h": (1.0, "unit.h"), "days": (1.0, "unit.days"), "count": (1.0, "unit.count"),
            "yuan": (1.0, "unit.yuan")}[u]


def fig_forest(cmp: dict, pols: Policies, kpis: list[str], path: Path, T: Tr) -> bool:
    """One panel per KPI: each policy's paired mean difference from the baseline (dot) and
    its 95 % CI (whisker); dark where the CI excludes 0."""
    entries = cmp.get("policies", {})
    kpis = [k for k in kpis if any(k in e.get("kpis", {}) for e in entries.values())]
    if not kpis or len(pols.order) < 2:
        return False
    n = len(pols.order)
    ncol = min(2, len(kpis))
    nrow = math.ceil(len(kpis) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.3 * ncol + 2.6, (0.3 * n + 1.3) * nrow), squeeze=False,
                             sharey=True, layout="constrained")
    ys = np.arange(n)[::-1]
    ticks = [f"{pols.tag(p)}  {pols.short(p)}" for p in pols.order]
    for i, k in enumerate(kpis):
        ax = axes[i // ncol][i % ncol]
        mult, unit = _scale(k)
        for y, p in zip(ys, pols.order):
            v = entries[p]["kpis"].get(k, {}).get("vs_baseline")
            if p in pols.bases:
                ax.plot([0], [y], marker="D", color="black", ms=5, ls="")
                continue
            if not v or v.get("mean_diff") is None:
                continue
            m = v["mean_diff"] * mult
            lo, hi = (c * mult if c is not None else None for c in v.get("ci95", [None, None]))
            sig = lo is not None and hi is not None and (lo > 0 or hi < 0)
            col = SIG_COLOR if sig else NS_COLOR
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [y, y], color=col, lw=2, solid_capstyle="butt")
            ax.plot([m], [y], marker="o", ms=6, color=col, mfc=col if sig else "white", ls="")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(T.term("kpi", k), fontsize=10)
        ax.set_xlabel(T("sweep.forest.x", unit=T(unit)), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.set_yticks(ys, ticks)
        ax.set_ylim(-0.7, n - 0.3)
    for j in range(len(kpis), nrow * ncol):
        axes[j // ncol][j % ncol].set_visible(False)
    for r in range(nrow):
        axes[r][0].set_ylabel(T("sweep.forest.y"))
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=SIG_COLOR, marker="o", lw=2, label=T("sweep.forest.significant")),
               Line2D([], [], color=NS_COLOR, marker="o", mfc="white", lw=2, label=T("sweep.forest.not_significant")),
               Line2D([], [], color="black", marker="D", ls="", label=T("sweep.forest.baseline"))]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=9)
    fig.suptitle(T("sweep.forest.title") + ("\n" + T("sweep.forest.levels", factors=pols.factors_label())
                                            if pols.varying else ""))
    save(fig, path)
    return True


def fig_heatmap(ok: pd.DataFrame, factors: list[str], kpi: str, path: Path, T: Tr) -> bool:
    """Mean of ``kpi`` over replicates for each cell of a two-factor design."""
    if len(factors) != 2 or f"kpi.{kpi}" not in ok:
        return False
    tab = ok.pivot_table(index=factors[0], columns=factors[1], values=f"kpi.{kpi}", aggfunc="mean")
    tab = tab.loc[sorted(tab.index, key=_level_key), sorted(tab.columns, key=_level_key)]
    share = kpi_unit(kpi) == "share"
    vals = tab.to_numpy(dtype=float) * (100.0 if share else 1.0)
    fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
    im = ax.imshow(vals, cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(tab.shape[1]), [str(c) for c in tab.columns])
    ax.set_yticks(range(tab.shape[0]), [str(i) for i in tab.index])
    ax.set_xlabel(factors[1].removeprefix("factor."))
    ax.set_ylabel(factors[0].removeprefix("factor."))
    for i in range(tab.shape[0]):
        for j in range(tab.shape[1]):
            v = vals[i, j]
            if np.isfinite(v):
                dark = im.norm(v) > 0.5  # viridis_r: high values are dark
                ax.text(j, i, fmt(v, T.lang), ha="center", va="center", color="white" if dark else "black", fontsize=9)
    unit = T("unit.pct") if share else T({"h": "unit.h", "days": "unit.days", "count": "unit.count", "yuan": "unit.yuan"}[kpi_unit(kpi)])
    fig.colorbar(im, ax=ax, label=T.with_unit(T.term("kpi", kpi), unit))
    ax.set_title(T("sweep.heat.title", kpi=T.term("kpi", kpi)))
    save(fig, path)
    return True


def fig_tradeoff(ok: pd.DataFrame, pols: Policies, kpi: str, path: Path, T: Tr) -> bool:
    """Total staff and crew hours against the mean of ``kpi`` per policy: numbered points,
    a key beside the axes, and the lower-left front."""
    cols = [c for c in WORKLOAD_COLS if c in ok]
    if not cols or f"kpi.{kpi}" not in ok:
        return False
    ok = ok.assign(workload=ok[cols].fillna(0).sum(axis=1))
    g = ok.groupby("policy")[["workload", f"kpi.{kpi}"]].mean()
    g = g.loc[[p for p in pols.order if p in g.index]]
    share = kpi_unit(kpi) == "share"
    mult = 100.0 if share else 1.0
    x = g["workload"].to_numpy() / 1e3
    y = g[f"kpi.{kpi}"].to_numpy() * mult
    fig, ax = plt.subplots(figsize=(11, 5.5), layout="constrained")
    ax.scatter(x, y, s=36, color=SIG_COLOR, zorder=3)
    for base in pols.bases & set(g.index):
        b = list(g.index).index(base)
        ax.scatter([x[b]], [y[b]], s=70, marker="D", facecolor="none", edgecolor="black", zorder=4)
    order = np.argsort(x)
    front, best = [], np.inf
    for i in order:
        if y[i] < best:
            front.append(i)
            best = y[i]
    if len(front) > 1:
        ax.plot(x[front], y[front], "--", color="#d62728", lw=1, label=T("sweep.trade.front"), zorder=2)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 0.0), frameon=False, fontsize=9)
    dx = (np.ptp(x) or max(abs(x[0]), 1.0)) * 0.012
    dy = (np.ptp(y) or max(abs(y[0]), 1.0)) * 0.03
    xpad, ypad = (np.ptp(x) or abs(x[0]) or 1.0) * 0.08, (np.ptp(y) or abs(y[0]) or 1.0) * 0.12
    ax.set_xlim(x.min() - xpad, x.max() + xpad)
    ax.set_ylim(y.min() - ypad, y.max() + ypad)
    ax.set_xlabel(T("sweep.trade.x"))
    unit = "unit.pct" if share else {"h": "unit.h", "days": "unit.days", "count": "unit.count", "yuan": "unit.yuan"}[kpi_unit(kpi)]
    ax.set_ylabel(T.with_unit(T.term("kpi", kpi), T(unit)))
    ax.set_title(T("sweep.trade.title", kpi=T.term("kpi", kpi)))
    ax.grid(alpha=0.3)
    key = "\n".join(f"{pols.tag(p)}  {pols.short(p)}" + (T("sweep.baseline_mark") if p in pols.bases else "")
                    for p in g.index)
    title = T("sweep.trade.key_title", factors=pols.factors_label()) if pols.varying else T("sweep.trade.key")
    ax.text(1.02, 1.0, title + "\n" + key, transform=ax.transAxes, va="top", ha="left", fontsize=9, linespacing=1.5)
    # points that coincide on the page share one label ("1, 3")
    fig.canvas.draw()
    disp = ax.transData.transform(np.column_stack([x, y]))
    nums = [pols.number(p) for p in g.index]
    tags = [pols.tag(p) for p in g.index]
    groups: list[list[int]] = []
    for i in np.argsort(nums):
        for grp in groups:
            if np.hypot(*(disp[grp[0]] - disp[i])) < 8:
                grp.append(int(i))
                break
        else:
            groups.append([int(i)])
    from matplotlib.transforms import Bbox

    marks = [Bbox.from_extents(*(d - 5), *(d + 5)) for d in disp]
    place_labels(ax, [", ".join(tags[i] for i in grp) for grp in groups],
                 [offsets_around(x[grp[0]], y[grp[0]], dx, dy) for grp in groups],
                 avoid=marks, fontsize=10, ha="center", va="center", zorder=5)
    save(fig, path)
    return True


def _kpi_value(k: str, v):
    return pct(v) if (v is not None and kpi_unit(k) == "share") else v


def value_basis_of_runs(sweep: Path):
    """Prior or posterior values (:func:`sim.assumptions.value_basis`) of the first run of
    the sweep with a manifest (a sweep varies policies, not the registry's posterior
    keys); None when no run has parameters."""
    from sim.assumptions import value_basis
    from sim.reporting.report import _named

    for d in sorted((p for p in sweep.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        try:
            params = json.loads((d / "manifest.json").read_text(encoding="utf-8")).get("params")
        except (OSError, ValueError):
            continue
        if params:
            return value_basis(_named(params))
    return None


def aggregate(sweep_dir: Path, spec: ExperimentSpec, command: str = "", config_yaml: str = "",
              lang: str = "en", out: Path | None = None, design: dict | None = None) -> dict:
    """Write runs.parquet, comparison.json, report.md/html and figures for the runs under
    ``sweep_dir`` into ``out`` (default: ``sweep_dir``; a staging folder to commit
    atomically); the report in ``lang`` (en or zh). ``design``: the sweep's design record
    (:mod:`sim.experiments.design`): only its runs are read, each checked against it."""
    T = Tr(lang)
    fonts.require(lang)
    sweep = Path(sweep_dir)
    out = Path(out) if out is not None else sweep
    runs = collect_runs(sweep, design)
    runs.to_parquet(out / "runs.parquet", index=False)
    cmp = compare(runs, spec)
    (out / "comparison.json").write_text(json.dumps(cmp, indent=2), encoding="utf-8")
    ok = _policies(runs)
    factors = sorted(c for c in runs.columns if c.startswith("factor."))
    pols = Policies(cmp, T)
    head = spec.kpis[0]
    d = Doc(T("sweep.title", name=spec.name), lang)
    r = cmp["runs"]
    d.p(T("sweep.intro", ok=fmt(r["ok"], lang), total=T.n("count.runs", r["total"]), failed=fmt(r["failed"], lang)))
    basis = value_basis_of_runs(sweep)
    if basis is not None:
        d.p(T("values.posterior", name=basis[1], keys=", ".join(basis[2])) if basis[0] == "posterior"
            else T("values.prior"))
    for w in cmp["warnings"]:
        d.p(T("sweep.warning", w=w))
    d.h(T("sweep.factors"))
    d.table(T.list("sweep.factor_cols"),
            [[f.removeprefix("factor."), ", ".join(sorted(map(str, runs[f].dropna().astype(str).unique()), key=_level_key))]
             for f in factors])
    if pols.order:
        d.h(T("sweep.policies"))
        d.table(T.list("sweep.policy_cols"),
                [[pols.tag(p), pols.short(p) + (T("sweep.baseline_mark") if p in pols.bases else ""),
                  cmp["policies"][p]["replicates"]]
                 for p in pols.order])
        d.p(T("sweep.baseline_is", policy="; ".join(cmp.get("baseline_policies", [cmp.get("baseline_policy", "—")]))))
        if cmp.get("blocking_factors"):
            d.p(T("sweep.blocking", factors=", ".join(cmp["blocking_factors"])))
    with fonts.context(lang):
        if fig_forest(cmp, pols, list(spec.kpis), out / "sweep_differences.png", T):
            d.img("sweep_differences.png", T("sweep.forest.title"), css_width(out / "sweep_differences.png"))
        if len(ok):
            if fig_heatmap(ok, [f for f in factors if f.removeprefix("factor.") in pols.varying], head,
                           out / "sweep_heatmap.png", T):
                d.img("sweep_heatmap.png", T("sweep.heat.title", kpi=T.term("kpi", head)),
                      css_width(out / "sweep_heatmap.png"))
            if fig_tradeoff(ok, pols, head, out / "sweep_tradeoff.png", T):
                d.img("sweep_tradeoff.png", T("sweep.trade.title", kpi=T.term("kpi", head)),
                      css_width(out / "sweep_tradeoff.png"))
    for k in spec.kpis:
        rows = []
        mult, unit = _scale(k)
        cols = T.list("sweep.kpi_cols", target=fmt(pct(spec.target_rel_halfwidth), lang), unit=T(unit))
        for pol in pols.order:
            e = cmp["policies"][pol]
            v = e["kpis"].get(k)
            if v is None:
                continue
            vs = v.get("vs_baseline")
            ad = e["adequacy"].get(k, {})
            ci = None
            if vs and vs["ci95"][0] is not None:
                lo, hi = (c * mult for c in vs["ci95"])
                sc = max(abs(lo), abs(hi))
                ci = f"[{fmt(lo, lang, sc)}, {fmt(hi, lang, sc)}]"
                if vs.get("few_pairs"):
                    ci += f" (n = {vs['n_pairs']} < 3)"
            rows.append([pols.tag(pol), pols.short(pol), e["replicates"], _kpi_value(k, v["mean"]),
                         vs["mean_diff"] * mult if vs and vs["mean_diff"] is not None else None, ci or "—",
                         pct(vs["rel_change"]) if vs else None,
                         vs.get("p_adjusted_bh") if vs else None, pct(ad.get("rel_halfwidth")),
                         ad.get("replicates_needed")])
        if rows:
            d.h(f"{T.term('kpi', k)} — {k}", 3)
            d.table(cols, rows)
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        d.h(T("sweep.failed"))
        d.table(T.list("sweep.failed_cols"),
                [[int(r["run"]), r["status"], str(r["error"])[:200]] for _, r in failed.iterrows()])
    d.h(T("run.reproduce"))
    d.code(command)
    g = git_state()
    d.p(T("run.commit", commit=g["commit"], dirty=fmt(bool(g["dirty"]), lang),
          versions=", ".join(f"{k} {v}" for k, v in versions().items())))
    if config_yaml:
        d.h(T("sweep.config"), 3)
        d.code(config_yaml)
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
    return cmp

