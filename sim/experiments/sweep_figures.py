"""The sweep report's policies and figures: policies numbered once (P1 the baseline) and
named by the experiment's labels; a forest plot of each policy's paired difference from the
baseline with its 95 % CI (from comparison.json), negligible differences not highlighted; a
KPI-against-level line with 95 % CI bands for a numeric factor; a heat map for two-factor
designs; the workload / KPI trade-off with error bars on honest axes."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from scipy import stats  # noqa: E402

from sim.experiments.experiment import policy_label  # noqa: E402
from sim.experiments.findings import verdict  # noqa: E402
from sim.experiments.labels import Labels  # noqa: E402
from sim.metrics.registry import kpi_unit  # noqa: E402
from sim.reporting.doc import fmt  # noqa: E402
from sim.reporting.figures import offsets_around, place_labels, save  # noqa: E402
from sim.reporting.i18n import Tr  # noqa: E402

WORKLOAD_COLS = ("kpi.workload.grid.busy_h", "kpi.workload.village.busy_h", "kpi.workload.town.busy_h",
                 "kpi.workload.district.busy_h")
SIG_COLOR, NS_COLOR, NEGL_COLOR = "#1f4e9c", "#9a9a9a", "#8fa3c4"
UNIT_KEY = {"share": "unit.pp", "h": "unit.h", "days": "unit.days", "count": "unit.count", "yuan": "unit.yuan"}


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The completed runs with their policy."""
    ok = runs[runs["status"] == "ok"].copy()
    factors = sorted(c for c in runs.columns if c.startswith("factor."))
    ok["policy"] = ok.apply(lambda r: policy_label(r, factors), axis=1) if len(ok) else []
    return ok


def level_key(v) -> tuple:
    """Sort key for a factor level: numbers by value, then names, then null."""
    s = str(v)
    if s in ("null", "None"):
        return (2, 0.0, s)
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s)


def scale(kpi: str) -> tuple[float, str]:
    """Multiplier and unit (catalogue key) for differences of ``kpi``: shares in percentage
    points, hours in h, anything else in its unit."""
    u = kpi_unit(kpi)
    return (100.0 if u == "share" else 1.0), UNIT_KEY[u]


def value_unit(kpi: str) -> tuple[float, str]:
    """Multiplier and unit key for values (not differences) of ``kpi``: shares in %."""
    u = kpi_unit(kpi)
    return (100.0, "unit.pct") if u == "share" else (1.0, UNIT_KEY[u])


class Policies:
    """The sweep's policies, numbered 1..n (baseline first, then by factor levels), named
    by the levels of the factors that vary, through the experiment's labels (fixed settings
    such as a command-line ``run.horizon_days`` are named once, not in every name)."""

    def __init__(self, cmp: dict, T: Tr, labels: dict | None = None):
        pols = cmp.get("policies", {})
        levels = {p: e.get("levels", {}) for p, e in pols.items()}
        factors = list(cmp.get("factors", []))
        self.varying = [f for f in factors if len({str(lv.get(f)) for lv in levels.values()}) > 1]
        self.fixed = {f: next(iter(levels.values())).get(f) for f in factors if f not in self.varying} if levels else {}
        base = cmp.get("baseline_policy")
        bases = [b for b in cmp.get("baseline_policies", [base]) if b in pols]
        rest = sorted((p for p in pols if p not in bases), key=lambda p: [level_key(levels[p].get(f)) for f in self.varying])
        self.order = bases + rest
        self.base = base
        self.bases = set(bases)
        self.levels = levels
        self.labels = Labels(labels, T.lang)
        self.T = T

    def number(self, pol: str) -> int:
        return self.order.index(pol) + 1

    def tag(self, pol: str) -> str:
        """The policy's tag in tables and figures: ``P1`` (the baseline), ``P2``, ..."""
        return f"P{self.number(pol)}"

    def short(self, pol: str, factors: list[str] | None = None) -> str:
        """The labels of its levels of the varying factors (or of ``factors``)."""
        fs = self.varying if factors is None else factors
        return self.T.join(self.labels.level(f, self.levels[pol].get(f)) for f in fs) or self.T("sweep.baseline")

    def name(self, pol: str, without: list[str] | tuple = ()) -> str:
        """``P3 (3 per village)``: tag and labels, as the findings name a policy (``without``
        the factors the sentence names already, e.g. a blocking factor)."""
        fs = [f for f in self.varying if f not in without]
        short = self.short(pol, fs) if fs else ""
        if not short:
            return self.tag(pol)
        return f"{self.tag(pol)} ({short})" if self.T.lang == "en" else f"{self.tag(pol)}（{short}）"

    def factors_label(self) -> str:
        return ", ".join(self.varying)


def fig_forest(cmp: dict, pols: Policies, kpis: list[str], path: Path, T: Tr) -> bool:
    """One panel per KPI: each policy's paired mean difference from the baseline (dot) and
    its 95 % CI (whisker): dark where it is a difference that matters, pale where the CI
    excludes 0 but |Δ| is below the KPI's practical difference (shaded band), grey and
    open where the CI includes 0."""
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
    banded = False
    for i, k in enumerate(kpis):
        ax = axes[i // ncol][i % ncol]
        mult, unit = scale(k)
        reg = cmp.get("kpi_registry", {}).get(k, {})
        practical = reg.get("practical_difference")
        if practical:
            ax.axvspan(-practical * mult, practical * mult, color="#e8e8e8", zorder=0)
            banded = True
        for y, p in zip(ys, pols.order):
            v = entries[p]["kpis"].get(k, {}).get("vs_baseline")
            if p in pols.bases:
                ax.plot([0], [y], marker="D", color="black", ms=5, ls="")
                continue
            if not v or v.get("mean_diff") is None:
                continue
            m = v["mean_diff"] * mult
            lo, hi = (c * mult if c is not None else None for c in v.get("ci95", [None, None]))
            reading = verdict(v, reg.get("better"), practical)
            col = {"negligible": NEGL_COLOR, "better": SIG_COLOR, "worse": SIG_COLOR}.get(reading, NS_COLOR)
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [y, y], color=col, lw=2, solid_capstyle="butt")
            ax.plot([m], [y], marker="o", ms=6, color=col, mfc=col if col != NS_COLOR else "white", ls="")
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
    handles = [Line2D([], [], color=SIG_COLOR, marker="o", lw=2, label=T("sweep.forest.significant")),
               Line2D([], [], color=NEGL_COLOR, marker="o", lw=2, label=T("sweep.forest.negligible")),
               Line2D([], [], color=NS_COLOR, marker="o", mfc="white", lw=2, label=T("sweep.forest.not_significant")),
               Line2D([], [], color="black", marker="D", ls="", label=T("sweep.forest.baseline"))]
    if banded:
        from matplotlib.patches import Patch

        handles.append(Patch(color="#e8e8e8", label=T("sweep.forest.band")))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=9)
    fig.suptitle(T("sweep.forest.title") + ("\n" + T("sweep.forest.levels", factors=pols.factors_label())
                                            if pols.varying else ""))
    save(fig, path)
    return True


def numeric_factors(ok: pd.DataFrame, varying: list[str]) -> list[str]:
    """The varying factors with at least 3 levels that are numbers (``null`` or a name
    beside them is drawn as a band): the ones a KPI-against-level line suits."""
    out = []
    for f in varying:
        col = f"factor.{f}"
        if col not in ok:
            continue
        nums = {lv for lv in ok[col].astype(str).unique() if level_key(lv)[0] == 0}
        if len(nums) >= 3:
            out.append(f)
    return out


def mean_ci(x: np.ndarray) -> tuple[float, float]:
    """Mean and 95 % t-interval half-width of ``x`` (NaN half-width with fewer than 2)."""
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan
    if len(x) < 2:
        return float(x.mean()), math.nan
    return float(x.mean()), float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))


def fig_level_lines(ok: pd.DataFrame, pols: Policies, factor: str, kpis: list[str], path: Path, T: Tr) -> bool:
    """One panel per KPI: its mean over seeds against the numeric levels of ``factor`` with
    a 95 % CI band (one line per combination of the other varying factors); a level that is
    not a number (``null``: the scenario's rule) as a horizontal line with its CI band."""
    col = f"factor.{factor}"
    kpis = [k for k in kpis if f"kpi.{k}" in ok]
    if col not in ok or not kpis:
        return False
    others = [f for f in pols.varying if f != factor]
    groups = (ok.groupby([f"factor.{f}" for f in others], sort=True) if others else [((), ok)])
    fig, axes = plt.subplots(1, len(kpis), figsize=(4.6 * len(kpis), 3.8), squeeze=False, layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, k in zip(axes[0], kpis):
        mult, unit = value_unit(k)
        for gi, (key, g) in enumerate(groups):
            c = colors[gi % len(colors)]
            lv = sorted(g[col].astype(str).unique(), key=level_key)
            num = [v for v in lv if level_key(v)[0] == 0]
            ms = np.array([mean_ci(g.loc[g[col].astype(str) == v, f"kpi.{k}"].to_numpy(dtype=float)) for v in num])
            xs = np.array([float(v) for v in num])
            name = T.join(pols.labels.level(f, v) for f, v in zip(others, key if isinstance(key, tuple) else (key,)))
            ax.plot(xs, ms[:, 0] * mult, marker="o", color=c, label=name or None)
            ax.fill_between(xs, (ms[:, 0] - ms[:, 1]) * mult, (ms[:, 0] + ms[:, 1]) * mult, color=c, alpha=0.2, lw=0)
            for v in (v for v in lv if level_key(v)[0] != 0):
                m, h = mean_ci(g.loc[g[col].astype(str) == v, f"kpi.{k}"].to_numpy(dtype=float))
                ax.axhline(m * mult, color=c, ls="--", lw=1.2,
                           label=T("sweep.line.other", label=pols.labels.level(factor, v)) if gi == 0 else None)
                if np.isfinite(h):
                    ax.axhspan((m - h) * mult, (m + h) * mult, color=c, alpha=0.12, lw=0)
        ax.set_xlabel(factor)
        ax.set_ylabel(T("sweep.line.y", unit=T(unit)))
        ax.set_title(T.term("kpi", k), fontsize=10)
        ax.grid(alpha=0.3)
    handles, names = axes[0][0].get_legend_handles_labels()
    from matplotlib.patches import Patch

    handles.append(Patch(color="gray", alpha=0.25, label=T("sweep.line.band")))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(3, len(handles)), frameon=False, fontsize=9)
    fig.suptitle(T("sweep.line.title", kpi=T.join(T.term("kpi", k) for k in kpis), factor=factor), fontsize=11)
    save(fig, path)
    return True


def fig_heatmap(ok: pd.DataFrame, factors: list[str], kpi: str, path: Path, T: Tr, pols: Policies) -> bool:
    """Mean of ``kpi`` over replicates for each cell of a two-factor design."""
    if len(factors) != 2 or f"kpi.{kpi}" not in ok:
        return False
    tab = ok.pivot_table(index=factors[0], columns=factors[1], values=f"kpi.{kpi}", aggfunc="mean")
    tab = tab.loc[sorted(tab.index, key=level_key), sorted(tab.columns, key=level_key)]
    mult, unit = value_unit(kpi)
    vals = tab.to_numpy(dtype=float) * mult
    fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
    im = ax.imshow(vals, cmap="viridis_r", aspect="auto")
    f0, f1 = (f.removeprefix("factor.") for f in factors)
    ax.set_xticks(range(tab.shape[1]), [pols.labels.level(f1, c) for c in tab.columns])
    ax.set_yticks(range(tab.shape[0]), [pols.labels.level(f0, i) for i in tab.index])
    ax.set_xlabel(f1)
    ax.set_ylabel(f0)
    for i in range(tab.shape[0]):
        for j in range(tab.shape[1]):
            v = vals[i, j]
            if np.isfinite(v):
                dark = im.norm(v) > 0.5  # viridis_r: high values are dark
                ax.text(j, i, fmt(v, T.lang), ha="center", va="center", color="white" if dark else "black", fontsize=9)
    fig.colorbar(im, ax=ax, label=T.with_unit(T.term("kpi", kpi), T(unit)))
    ax.set_title(T("sweep.heat.title", kpi=T.term("kpi", kpi)))
    save(fig, path)
    return True


def honest_limits(lo: np.ndarray, hi: np.ndarray, base: float, base_half: float, practical: float | None,
                  cap: float | None = None) -> tuple[float, float]:
    """Axis limits for points whose 95 % CIs run from ``lo`` to ``hi``, so that noise does
    not look like structure. The rule: the axis starts at 0 when the points (with their
    CIs) then still fill at least a third of it (every KPI and workload here is a ratio
    scale, where 0 is meaningful); otherwise it spans at least the baseline's mean ± 5
    times the larger of its CI half-width and the KPI's practical difference, so that
    differences within the noise, or below what matters, look small. ``cap``: the axis
    does not go past it (100 for a percentage)."""
    a, b = float(np.nanmin(lo)), float(np.nanmax(hi))
    if a >= 0 and b > 0 and (b - a) >= b / 3:
        a2, b2 = 0.0, b
    elif b <= 0 and a < 0 and (b - a) >= -a / 3:
        a2, b2 = a, 0.0
    else:
        m = 5.0 * max(base_half if np.isfinite(base_half) else 0.0, practical or 0.0)
        a2, b2 = min(a, base - m), max(b, base + m)
    pad = 0.06 * ((b2 - a2) or abs(b2) or 1.0)
    a2, b2 = (a2 - pad if a2 != 0 else 0.0), b2 + pad
    if cap is not None:
        b2 = min(b2, cap + 0.02 * (b2 - a2)) if b <= cap else b2
        a2 = max(a2, 0.0) if a >= 0 else a2
    return a2, b2


def fig_tradeoff(ok: pd.DataFrame, pols: Policies, kpi: str, path: Path, T: Tr, practical: float | None = None) -> bool:
    """Total staff and crew hours against the mean of ``kpi`` per policy, both with 95 % CI
    error bars, on axes chosen by :func:`honest_limits`: numbered points, a key beside the
    axes, and the lower-left front."""
    cols = [c for c in WORKLOAD_COLS if c in ok]
    if not cols or f"kpi.{kpi}" not in ok:
        return False
    ok = ok.assign(workload=ok[cols].fillna(0).sum(axis=1) / 1e3)
    mult, unit = value_unit(kpi)
    idx = [p for p in pols.order if p in set(ok["policy"])]
    xs = np.array([mean_ci(ok.loc[ok["policy"] == p, "workload"].to_numpy(dtype=float)) for p in idx])
    ys = np.array([mean_ci(ok.loc[ok["policy"] == p, f"kpi.{kpi}"].to_numpy(dtype=float) * mult) for p in idx])
    x, y = xs[:, 0], ys[:, 0]
    fig, ax = plt.subplots(figsize=(11, 5.5), layout="constrained")
    ax.errorbar(x, y, xerr=np.nan_to_num(xs[:, 1]), yerr=np.nan_to_num(ys[:, 1]), fmt="o", ms=6, color=SIG_COLOR,
                ecolor="#7f97c4", elinewidth=1.2, capsize=3, zorder=3)
    b = next((i for i, p in enumerate(idx) if p in pols.bases), 0)
    for i, p in enumerate(idx):
        if p in pols.bases:
            ax.scatter([x[i]], [y[i]], s=70, marker="D", facecolor="none", edgecolor="black", zorder=4)
    front, best = [], np.inf
    for i in np.argsort(x):
        if y[i] < best:
            front.append(i)
            best = y[i]
    if len(front) > 1:
        ax.plot(x[front], y[front], "--", color="#d62728", lw=1, label=T("sweep.trade.front"), zorder=2)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 0.0), frameon=False, fontsize=9)
    xh, yh = np.nan_to_num(xs[:, 1]), np.nan_to_num(ys[:, 1])
    ax.set_xlim(*honest_limits(x - xh, x + xh, x[b], xs[b, 1], None))
    ax.set_ylim(*honest_limits(y - yh, y + yh, y[b], ys[b, 1], practical * mult if practical else None,
                               cap=100.0 if unit == "unit.pct" else None))
    ax.set_xlabel(T("sweep.trade.x"))
    ax.set_ylabel(T.with_unit(T.term("kpi", kpi), T(unit)))
    ax.set_title(T("sweep.trade.title", kpi=T.term("kpi", kpi)))
    ax.grid(alpha=0.3)
    key = "\n".join(f"{pols.tag(p)}  {pols.short(p)}" + (T("sweep.baseline_mark") if p in pols.bases else "")
                    for p in idx)
    title = T("sweep.trade.key_title", factors=pols.factors_label()) if pols.varying else T("sweep.trade.key")
    ax.text(1.02, 1.0, title + "\n" + key, transform=ax.transAxes, va="top", ha="left", fontsize=9, linespacing=1.5)
    # points that coincide on the page share one label ("P1, P3")
    fig.canvas.draw()
    disp = ax.transData.transform(np.column_stack([x, y]))
    tags = [pols.tag(p) for p in idx]
    groups: list[list[int]] = []
    for i in np.argsort([pols.number(p) for p in idx]):
        for grp in groups:
            if np.hypot(*(disp[grp[0]] - disp[i])) < 8:
                grp.append(int(i))
                break
        else:
            groups.append([int(i)])
    from matplotlib.transforms import Bbox

    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    dx, dy = (x1 - x0) * 0.012, (y1 - y0) * 0.03
    marks = [Bbox.from_extents(*(d - 5), *(d + 5)) for d in disp]
    place_labels(ax, [", ".join(tags[i] for i in grp) for grp in groups],
                 [offsets_around(x[grp[0]], y[grp[0]], dx, dy) for grp in groups],
                 avoid=marks, fontsize=10, ha="center", va="center", zorder=5,
                 bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    save(fig, path)
    return True
