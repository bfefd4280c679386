"""Figures about people: how each team's working time is spent (and what issue work
takes from routine duty), where households trust the grid at the end of the run, and how
much households report and how satisfied they are, month by month."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from sim.metrics.records import STAFF_ACTIVITIES  # noqa: E402
from sim.reporting.figures import save  # noqa: E402
from sim.reporting.i18n import Tr  # noqa: E402
from sim.reporting.maps import _km_axes, _land_patch, _lines  # noqa: E402
from sim.reporting.places import town_shapes, village_shapes  # noqa: E402

ACTIVITIES = STAFF_ACTIVITIES
COLORS = ("#8fbc8f", "#4f94cd", "#d62728", "#ff9896", "#9467bd", "#e377c2", "#bcbd22", "#d9d9d9")
TEAMS = ("work", "management", "volunteer", "cadre", "department")


def fig_staff_time(res, summary: dict, path: Path, T: Tr) -> bool:
    """Left: each team's contracted hours by activity (share of contract). Right: the
    routine-versus-issue trade-off, one dot per work-team member: hours of issue work
    against the share of its scheduled routine duty it did."""
    st = res.staff
    teams = [t for t in TEAMS if t in (summary.get("staff") or {})]
    if st is None or not teams:
        return False
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained", width_ratios=(1.3, 1.0))
    tot = summary["staff"]
    y = np.arange(len(teams))
    left = np.zeros(len(teams))
    for act, col in zip(ACTIVITIES, COLORS):
        share = np.array([tot[t][act] / tot[t]["contract_h"] if tot[t]["contract_h"] else 0.0 for t in teams])
        a1.barh(y, share, left=left, color=col, label=T(f"staff.act.{act}"), edgecolor="white", linewidth=0.5)
        left += share
    a1.set_yticks(y, [f"{T.term('team', t)} ({tot[t]['members']:,})" for t in teams])
    a1.invert_yaxis()
    a1.xaxis.set_major_formatter(PercentFormatter(1.0))
    a1.set_xlim(0, 1)
    a1.set_xlabel(T("fig.staff.x"))
    a1.set_title(T("fig.staff.title"))
    a1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False, fontsize=8)
    work = (st["team"] == "work") & (st["planned_routine_h"] > 0)
    if work.any():
        issue = (st["handling_h"] + st["travel_h"] + st["consultation_h"] + st["mediation_h"])[work]
        done = st["routine_h"][work] / st["planned_routine_h"][work]
        a2.scatter(issue, done, s=6, alpha=0.35, color="#2e7d32", linewidths=0)
        if len(issue) > 2 and np.ptp(issue) > 0:
            k, b = np.polyfit(issue, done, 1)
            xs = np.linspace(issue.min(), issue.max(), 2)
            a2.plot(xs, k * xs + b, color="black", lw=1, label=T("fig.staff.fit", per100=f"{-k * 100 * 100:.2f}"))
            a2.legend(loc="lower left", frameon=False, fontsize=8)
        a2.yaxis.set_major_formatter(PercentFormatter(1.0))
        a2.set_xlabel(T("fig.staff.tradeoff_x"))
        a2.set_ylabel(T("fig.staff.tradeoff_y"))
        a2.set_title(T("fig.staff.tradeoff_title"))
        a2.grid(alpha=0.3)
    else:
        a2.set_axis_off()
    save(fig, path)
    return True


def fig_trust_map(res, path: Path, T: Tr) -> bool:
    """Households' trust in the grid at the end of the run (mean per hexagon), with town
    borders."""
    w, hh = res.world, res.households
    if hh is None or w is None or not w.has_geometry:
        return False
    vs = village_shapes(w)
    ts = town_shapes(w, vs)
    xy = w.household_xy
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    span_x, span_y = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    width = 12.0
    fig, ax = plt.subplots(figsize=(width, min(max(width * span_y / span_x + 1.2, 4.0), 10.0)), layout="constrained")
    nx = max(20, int(span_x / 0.6))
    ny = max(8, int(nx * span_y / span_x / np.sqrt(3)))
    hb = ax.hexbin(xy[:, 0], xy[:, 1], C=hh["trust_end"], reduce_C_function=np.mean, gridsize=(nx, ny),
                   cmap="RdYlGn", vmin=0.4, vmax=0.9, mincnt=1, linewidths=0)
    hb.set_clip_path(_land_patch(vs, ax))
    fig.colorbar(hb, ax=ax, label=T("fig.trust.colour"), fraction=0.02, pad=0.01, shrink=0.9)
    ax.add_collection(LineCollection(_lines(ts), colors="black", linewidths=1.2, zorder=4))
    _km_axes(ax, T)
    ax.set_title(T("fig.trust.title", start=f"{hh['trust_start'].mean():.2f}", end=f"{hh['trust_end'].mean():.2f}"))
    save(fig, path)
    return True


def fig_monthly(res, summary: dict, path: Path, T: Tr) -> bool:
    """Households' reports per 1,000 residents in each month (bars) and the satisfaction
    rate of the closures they rated that month (line)."""
    months = summary.get("reporting_months")
    vals = summary.get("reporting_per_1000_by_month")
    if not months or vals is None:
        return False
    iss, p = res.issues, res.params
    start = _dt.date.fromisoformat(p.run.start_date)
    rated = iss["rating"] != ""
    tc = iss["t_closed_h"][rated]
    lab = np.array([(start + _dt.timedelta(hours=float(t))).strftime("%Y-%m") for t in tc])
    pos = np.isin(iss["rating"][rated], ("satisfied", "basically_satisfied"))
    sat = [pos[lab == m].mean() if (lab == m).sum() >= 5 else np.nan for m in months]
    fig, a1 = plt.subplots(figsize=(11, 4), layout="constrained")
    x = np.arange(len(months))
    a1.bar(x, vals, color="#6baed6", label=T("fig.monthly.reports"))
    a1.set_ylabel(T("fig.monthly.y_reports"))
    a1.set_xticks(x, [m[2:] for m in months], rotation=45)
    a1.set_xlabel(T("fig.monthly.x"))
    a2 = a1.twinx()
    a2.plot(x, sat, color="#d62728", marker="o", label=T("fig.monthly.satisfaction"))
    a2.yaxis.set_major_formatter(PercentFormatter(1.0))
    a2.set_ylim(0.5, 1.0)
    a2.set_ylabel(T("fig.monthly.y_satisfaction"))
    h1, l1 = a1.get_legend_handles_labels()
    h2, l2 = a2.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="outside lower center", ncol=2, frameon=False, fontsize=9)
    a1.set_title(T("fig.monthly.title"))
    save(fig, path)
    return True
