"""The design optimiser's outputs (beside ``optimise.json``): ``optimise_trials.parquet``
(every trial), ``optimise_front.parquet`` (the front with its re-run means and CIs), the
front figure and ``report.md``/``report.html`` in English or Chinese."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.metrics.registry import kpi_unit  # noqa: E402
from sim.reporting import fonts  # noqa: E402
from sim.reporting.doc import Doc, fmt, pct  # noqa: E402
from sim.reporting.figures import css_width, offsets_around, place_labels, save  # noqa: E402
from sim.reporting.i18n import Tr  # noqa: E402

UNIT = {"h": "unit.h", "days": "unit.days", "count": "unit.count", "yuan": "unit.yuan", "share": "unit.pct"}


def _scale(k: str) -> float:
    return 100.0 if kpi_unit(k) == "share" else 1.0


def _label(T: Tr, k: str) -> str:
    term = T.term("kpi", k)
    return term if ("(" in term or "（" in term) else T.with_unit(term, T(UNIT[kpi_unit(k)]))


def design_text(params: dict) -> str:
    """A design in a few words: grids per village, budget scale, shares, dispatch, overdue."""
    out = []
    for k, v in params.items():
        out.append(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={'null' if v is None else v}")
    return ", ".join(out)


def tables(result: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    objs = [o["kpi"] for o in result["objectives"]]
    rows = []
    for t in result["trials"]:
        r = {"trial": t["number"], "state": t["state"], **{f"param.{k}": str(v) for k, v in t["params"].items()},
             "cost_yuan_per_year": t.get("cost_yuan_per_year"), "max_utilisation": t.get("max_utilisation"),
             "feasible": bool(t.get("constraint")) and all(c <= 0 for c in t["constraint"]),
             "error": t.get("error", "")}
        for k, v in zip(objs, t["objective_values"] or [None] * len(objs)):
            r[k] = v
        rows.append(r)
    fr = []
    for i, p in enumerate(result["front"], 1):
        r = {"point": i, "trial": p["trial"], **{f"param.{k}": str(v) for k, v in p["params"].items()},
             "grids": p.get("grids"), "max_utilisation": p["max_utilisation"],
             **{f"team.{k}": v for k, v in (p.get("teams") or {}).items()}}
        for k, e in p["rerun"].items():
            r[f"{k}.mean"], r[f"{k}.ci_low"], r[f"{k}.ci_high"] = e["mean"], e["ci95"][0], e["ci95"][1]
        fr.append(r)
    return pd.DataFrame(rows), pd.DataFrame(fr)


def fig_front(result: dict, path: Path, T: Tr) -> bool:
    """The first two objectives of every trial (grey: feasible, crosses: infeasible), the
    front's points at their re-run means with 95 % CIs, numbered, coloured by the third."""
    objs = [o["kpi"] for o in result["objectives"]]
    if len(objs) < 2 or not result["front"]:
        return False
    kx, ky = objs[0], objs[1]
    sx, sy = _scale(kx), _scale(ky)
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    for t in result["trials"]:
        if t["objective_values"] is None:
            continue
        ok = t.get("constraint") and all(c <= 0 for c in t["constraint"])
        ax.plot(t["objective_values"][0] * sx, t["objective_values"][1] * sy, "o" if ok else "x", color="#9a9a9a", ms=5,
                mfc="none" if ok else None, zorder=2)
    pts = result["front"]
    xs = [p["rerun"][kx]["mean"] * sx for p in pts]
    ys = [p["rerun"][ky]["mean"] * sy for p in pts]
    c = [p["rerun"][objs[2]]["mean"] * _scale(objs[2]) for p in pts] if len(objs) > 2 else None
    for p, x, y in zip(pts, xs, ys):
        lo, hi = (v * sx for v in p["rerun"][kx]["ci95"]) if None not in p["rerun"][kx]["ci95"] else (x, x)
        lo2, hi2 = (v * sy for v in p["rerun"][ky]["ci95"]) if None not in p["rerun"][ky]["ci95"] else (y, y)
        ax.plot([lo, hi], [y, y], color="#1f4e9c", lw=1, zorder=3)
        ax.plot([x, x], [lo2, hi2], color="#1f4e9c", lw=1, zorder=3)
    sc = ax.scatter(xs, ys, c=c, cmap="viridis", s=60, zorder=4, edgecolor="black")
    if c is not None:
        from matplotlib.ticker import FuncFormatter

        cbar = fig.colorbar(sc, ax=ax, label=_label(T, objs[2]))
        cbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))  # whole units, no 1e7 offset
    fig.canvas.draw()  # the numbers placed where they overlap neither each other nor a point
    import numpy as np
    from matplotlib.transforms import Bbox

    disp = ax.transData.transform(np.column_stack([xs, ys]))
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    dx, dy = (x1 - x0) * 0.015, (y1 - y0) * 0.03
    place_labels(ax, [str(i) for i in range(1, len(xs) + 1)], [offsets_around(x, y, dx, dy) for x, y in zip(xs, ys)],
                 avoid=[Bbox.from_extents(*(d - 5), *(d + 5)) for d in disp], fontsize=9, ha="center", va="center",
                 zorder=5)
    ax.set_xlabel(_label(T, kx))
    ax.set_ylabel(_label(T, ky))
    ax.grid(alpha=0.3)
    ax.set_title(T("opt.fig_title", n=len(pts), trials=len(result["trials"])))
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], marker="o", mfc="none", color="#9a9a9a", ls="", label=T("opt.feasible")),
                       Line2D([], [], marker="x", color="#9a9a9a", ls="", label=T("opt.infeasible")),
                       Line2D([], [], marker="o", color="#1f4e9c", ls="-", label=T("opt.front"))],
              loc="best", fontsize=9)
    save(fig, path)
    return True


def _v(k: str, v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else (
        pct(v) if kpi_unit(k) == "share" else v)


def write_outputs(result: dict, out: Path, lang: str, command: str = "") -> None:
    T = Tr(lang)
    fonts.require(lang)
    trials, front = tables(result)
    trials.to_parquet(out / "optimise_trials.parquet", index=False)
    front.to_parquet(out / "optimise_front.parquet", index=False)
    objs = [o["kpi"] for o in result["objectives"]]
    s, c = result["search"], result["constraints"]
    d = Doc(T("opt.title"), lang)
    d.p(T("opt.intro", trials=s["trials"], batch=s["batch"], pop=s["population"], seed=s["seed"],
          budget=fmt(c["budget_yuan_per_year"], lang), util=fmt(c["max_utilisation"], lang),
          objs=", ".join(T.term("kpi", k) for k in objs)))
    d.p(T("opt.space", space="; ".join(f"{k}: " + (", ".join("null" if x is None else str(x) for x in v)
                                                       if k in ("grids_per_village", "dispatch_rule", "on_overdue")
                                                       else f"{v[0]:g} – {v[1]:g}") for k, v in s["space"].items())))
    with fonts.context(lang):
        if fig_front(result, out / "optimise_front.png", T):
            d.img("optimise_front.png", T("opt.fig_title", n=len(result["front"]), trials=len(result["trials"])),
                  css_width(out / "optimise_front.png"))
    p0 = result["front"][0] if result["front"] else {}
    d.h(T("opt.front_head", seeds=", ".join(map(str, p0.get("rerun_seeds", [])))))
    rows = []
    for i, p in enumerate(result["front"], 1):
        cells = [i, design_text(p["params"]), p.get("grids"), p["max_utilisation"]]
        for k in objs:
            e = p["rerun"][k]
            lo, hi = e["ci95"]
            cells += [_v(k, e["mean"]), "—" if lo is None or hi is None else
                      f"[{fmt(_v(k, lo), lang)}, {fmt(_v(k, hi), lang)}]"]
        rows.append(cells)
    head = T.list("opt.front_cols") + [x for k in objs for x in (T.term("kpi", k), T("opt.ci"))]
    d.table(head, rows)
    d.h(T("opt.cost_head"))
    d.p(T("opt.cost_text"))
    d.table(T.list("opt.cost_cols"), [[k, v] for k, v in sorted(result.get("costs", {}).items())
                                      if isinstance(v, (int, float))])
    if command:
        d.h(T("robust.reproduce"))
        d.code(command)
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
