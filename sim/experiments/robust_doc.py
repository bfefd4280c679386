"""A robust sweep's report (``report.md``/``report.html``, English or Chinese): the
robustness table of each KPI, the regret figure and the scenario-discovery boxes."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.metrics.registry import kpi_unit  # noqa: E402
from sim.reporting import fonts  # noqa: E402
from sim.reporting.doc import Doc, fmt, pct  # noqa: E402
from sim.reporting.figures import css_width, save  # noqa: E402
from sim.reporting.i18n import Tr  # noqa: E402

UNIT_KEY = {"h": "unit.h", "days": "unit.days", "count": "unit.count", "yuan": "unit.yuan", "share": "unit.pct"}


def short(policy: str) -> str:
    """``partition.grids_per_village=3`` → ``3`` (the level(s) only)."""
    return ", ".join(p.partition("=")[2] for p in policy.split(", ")) or policy


def _v(kpi: str, v):
    return pct(v) if (v is not None and kpi_unit(kpi) == "share") else v


def fig_regret(regrets: dict[str, pd.DataFrame], path: Path, T: Tr) -> bool:
    """One panel per KPI: each policy's regret over the samples (box and points)."""
    kpis = [k for k, t in regrets.items() if not t.empty]
    if not kpis:
        return False
    fig, axes = plt.subplots(1, len(kpis), figsize=(4.2 * len(kpis), 0.35 * len(regrets[kpis[0]].columns) + 2.2),
                             squeeze=False, layout="constrained")
    for ax, k in zip(axes[0], kpis):
        t = regrets[k] * (100.0 if kpi_unit(k) == "share" else 1.0)
        cols = list(t.columns)[::-1]  # the first policy on top, as in the tables
        ax.boxplot([t[c].to_numpy() for c in cols], vert=False, widths=0.5, showfliers=False)
        for i, c in enumerate(cols):
            ax.plot(t[c].to_numpy(), [i + 1] * len(t), "o", ms=3, alpha=0.5, color="#1f4e9c")
        ax.set_yticks(range(1, len(cols) + 1), [short(c) for c in cols])
        unit = T("unit.pp") if kpi_unit(k) == "share" else T(UNIT_KEY[kpi_unit(k)])
        ax.set_xlabel(T("robust.regret_x", unit=unit))
        if kpi_unit(k) == "yuan":
            from matplotlib.ticker import FuncFormatter, MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_title(T.term("kpi", k), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(T("robust.fig_title"))
    save(fig, path)
    return True


def write_report(cmp: dict, spec, regrets: dict, out: Path, lang: str, command: str = "") -> None:
    T = Tr(lang)
    fonts.require(lang)
    u = cmp["uncertainty"]
    d = Doc(T("robust.title", name=spec.name), lang)
    r = cmp["runs"]
    d.p(T("robust.intro", ok=fmt(r["ok"], lang), total=T.n("count.runs", r["total"]), samples=u["samples"],
          params=u["parameters"], mode=u["mode"], seed=u["seed"]))
    for w in cmp.get("warnings", []):
        d.p(T("sweep.warning", w=w))
    d.p(T("sweep.baseline_is", policy=cmp.get("baseline_policy", "—")))
    for k, block in cmp["robustness"].items():
        d.h(T("robust.kpi_head", kpi=T.term("kpi", k), better=T(f"robust.better.{block['better']}")))
        thr = block.get("satisficing_threshold")
        if thr is not None:
            d.p(T("robust.satisficing", v=fmt(_v(k, thr), lang)))
        rows = [[short(p), e["p_best"], _v(k, e["mean"]), _v(k, e["regret_mean"]), _v(k, e["regret_p90"]),
                 e["beats_baseline_share"], e["satisficing_share"]] for p, e in block["policies"].items()]
        d.table(T.list("robust.cols"), [[c if not isinstance(c, float) or j not in (1, 5, 6) else pct(c)
                                         for j, c in enumerate(row)] for row in rows])
    with fonts.context(lang):
        if fig_regret(regrets, out / "robust_regret.png", T):
            d.img("robust_regret.png", T("robust.fig_title"), css_width(out / "robust_regret.png"))
    sd = cmp["scenario_discovery"]
    d.h(T("robust.prim_head"))
    d.p(T("robust.prim_intro", kpi=T.term("kpi", sd["kpi"]), ref=short(sd["reference_policy"]), n=sd["cases"],
          samples=sd["samples"], above=fmt(sd["regret_above"], lang), dens=fmt(pct(sd["min_density"]), lang)))
    for i, b in enumerate(sd["boxes"], 1):
        d.p(T("robust.box", i=i, cov=fmt(pct(b["coverage"]), lang), dens=fmt(pct(b["density"]), lang),
              mass=fmt(pct(b["mass"]), lang)) + ("" if b["meets_min_density"] else " " + T("robust.box_weak")))
        d.table(T.list("robust.box_cols"), [[x["param"], x["low"], x["high"]] for x in b["restricted"]])
    d.p(sd["note"] if lang == "en" else T("robust.note", samples=sd["samples"]))
    if command:
        d.h(T("robust.reproduce"))
        d.code(command)
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
