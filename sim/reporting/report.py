"""The single-run report: figures (PNG) and the same text as Markdown and HTML."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.reporting.doc import Doc, fmt  # noqa: E402
from sim.reporting.figures import save  # noqa: E402
from sim.reporting.maps import fig_district, fig_village  # noqa: E402
from sim.metrics.records import RunResult  # noqa: E402


def fig_resolution(res: RunResult, path: Path) -> None:
    """Histogram (log-spaced hours) and ECDF of resolution time, by level reached."""
    iss = res.issues
    w = res.params.warmup_h
    rep = iss["t_reported_h"]
    rt = iss["t_closed_h"] - rep
    ok = np.isfinite(rt) & (rep >= w)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    x = rt[ok]
    if x.size:
        pos = x[x > 0]
        lo = max(pos.min() if pos.size else 0.01, 0.01)
        bins = np.logspace(np.log10(lo), np.log10(max(x.max(), lo * 10)), 50)
        for lvl in ("grid", "village", "town", "district"):
            sel = iss["level_reached"][ok] == lvl
            if sel.any():
                a1.hist(np.clip(x[sel], lo, None), bins=bins, alpha=0.6, label=f"{lvl} (n={sel.sum():,})")
                xs = np.sort(x[sel])
                a2.step(xs, np.arange(1, xs.size + 1) / xs.size, where="post", label=lvl)
        a1.set_xscale("log")
        a2.set_xscale("symlog", linthresh=1.0)
        a1.legend(fontsize=8)
        a2.legend(fontsize=8)
    a1.set_xlabel("resolution time, report → closed (h, log scale)")
    a1.set_ylabel("issues")
    a1.set_title("Resolution time by level reached")
    a2.set_xlabel("resolution time (h)")
    a2.set_ylabel("share closed within")
    a2.set_title("Cumulative distribution")
    a2.grid(alpha=0.3)
    save(fig, path)


def fig_backlog(res: RunResult, path: Path) -> None:
    """Live backlog (dispatched, not closed) over time, with the warm-up shaded."""
    fig, ax = plt.subplots(figsize=(11, 3.5))
    t = res.backlog_t_h / 24.0
    ax.step(t, res.backlog_n, where="post", lw=0.7)
    if res.params.run.warmup_days > 0:
        ax.axvspan(0, res.params.run.warmup_days, color="grey", alpha=0.2, label="warm-up")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("simulated day")
    ax.set_ylabel("open issues in handling")
    ax.set_title("Backlog over time")
    ax.grid(alpha=0.3)
    save(fig, path)


def _stat_rows(summary: dict) -> list[list]:
    rows = []
    for key, label in (("discovery_delay_h", "occurred → reported"), ("wait_time_h", "dispatched → handling started"),
                       ("resolution_time_h", "reported → closed"), ("total_time_h", "occurred → closed")):
        s = summary[key]
        rows.append([label, s["n"], s["mean"], s["p50"], s["p90"], s["p95"], s["max"]])
    return rows


def build_doc(res: RunResult, summary: dict, manifest: dict, figures: dict[str, str],
              theory: dict | None = None, grids: dict | None = None) -> Doc:
    p = res.params
    d = Doc(f"Run report: scenario {p.scenario}, seed {p.seed}")
    d.p(f"{p.run.horizon_days:g} simulated days from {p.run.start_date}; KPIs over issues reported after the "
        f"{p.run.warmup_days:g}-day warm-up. Times in hours.")
    d.h("Headline")
    d.table(["KPI", "value"], [
        ["mean resolution time (h)", summary["resolution_time_h"]["mean"]],
        ["median resolution time (h)", summary["resolution_time_h"]["p50"]],
        ["90th percentile (h)", summary["resolution_time_h"]["p90"]],
        ["on-time closure rate", summary["on_time_rate"]],
        ["closure rate", summary["closure_rate"]],
        ["escalation rate", summary["escalation_rate"]],
        ["rework rate", summary["rework_rate"]],
    ])
    d.h("Counts (whole run)")
    c = summary["counts"]
    d.table(list(c), [list(c.values())])
    d.h("Stage times")
    d.table(["interval", "n", "mean", "p50", "p90", "p95", "max"], _stat_rows(summary))
    d.img(figures["resolution"], "resolution time distribution")
    d.img(figures["backlog"], "backlog over time")
    for key, alt in (("district", "district map"), ("village", "village close-up")):
        if key in figures:
            d.img(figures[key], alt)
    if theory:
        d.h("Queueing theory check")
        d.p(theory["note"])
        d.table(["quantity", "theory", "simulated", "relative error"],
                [[k, v["theory"], v["simulated"], v["rel_error"]] for k, v in theory["rows"].items()])
    lt = summary["little"]
    d.h("Little's law")
    d.p("Time-average backlog L from the model's own backlog series, against arrival rate λ times mean "
        "time in handling W (window: after warm-up).")
    d.table(["L", "λ (per h)", "W (h)", "λW", "relative error"],
            [[lt["L"], lt["lambda_per_h"], lt["W_h"], lt["lambda_W"], lt["rel_error"]]])
    d.h("Discovery")
    d.p(f"On-the-spot fixes: {fmt(summary.get('on_spot_share'))} of reported issues; lost reports on the "
        f"village-committee route: {summary.get('lost_reports', 0):,}.")
    if summary.get("discovery_share"):
        d.table(["channel", "share of reports"], [[k, v] for k, v in summary["discovery_share"].items()])
    if summary.get("staff"):
        d.h("Staff time over the KPI window (hours, all members of each team)")
        d.table(["team", "members", "contract", "routine", "patrol", "handling", "travel", "consultation",
                 "mediation", "idle", "utilisation (mean)", "routine coverage", "patrol coverage"],
                [[k, v["members"], v["contract_h"], v["routine_h"], v["patrol_h"], v["handling_h"], v["travel_h"],
                  v["consultation_h"], v["mediation_h"], v["idle_h"], summary["staff_utilisation"][k]["mean"],
                  v["routine_coverage"], v["patrol_coverage"]] for k, v in summary["staff"].items()])
    if grids is not None and len(grids["grid"]) > 1:
        d.h("Grid assessment (ranking by on-time rate, then mean resolution time)")
        order = np.argsort(grids["rank"])
        n = len(order)
        pick = list(order[:5]) + (list(order[-5:]) if n > 10 else list(order[5:]))
        d.table(["rank", "grid", "reported", "on-time rate", "mean resolution (h)", "mean discovery delay (h)"],
                [[int(grids["rank"][g]), int(g), int(grids["reported"][g]), float(grids["on_time_rate"][g]),
                  float(grids["mean_resolution_h"][g]), float(grids["mean_discovery_delay_h"][g])] for g in pick])
        d.p("Top five and bottom five grids; all grids in grids.parquet.")
    for key, title in (("by_type", "By issue type"), ("by_channel", "By discovery channel"), ("by_level", "By level reached")):
        d.h(title)
        d.table(["", "count", "closed", "mean resolution (h)"],
                [[k, v["count"], v["closed"], v["mean_resolution_h"]] for k, v in summary[key].items()])
    d.h("Workload by level")
    d.table(["level", "units", "servers", "attempts", "busy hours", "utilisation"],
            [[k, v["units"], v["servers"], v["attempts"], v["busy_h"], v.get("utilisation")]
             for k, v in summary["workload"].items()])
    st = summary["structure"]
    d.h("Structure")
    d.table(["towns", "villages", "grids", "residents", "households", "management", "work", "volunteer",
             "household heads", "service points", "15-min coverage"],
            [[st["towns"], st["villages"], st["grids"], st["residents"], st["households"], st["management_team"],
              st["work_team"], st["volunteer_team"], st.get("household_heads"), st["service_points"],
              st.get("coverage_15min")]])
    d.p(f"Grid area (km²) mean {fmt(st['grid_area_km2']['mean'])}, min {fmt(st['grid_area_km2']['min'])}, "
        f"max {fmt(st['grid_area_km2']['max'])}; grids per village mean {fmt(st['grids_per_village']['mean'])}, "
        f"min {fmt(st['grids_per_village']['min'])}, max {fmt(st['grids_per_village']['max'])}.")
    if st.get("partition_quality"):
        d.table(list(st["partition_quality"]), [list(st["partition_quality"].values())])
    d.h("Reproduce")
    d.code(manifest.get("command", ""))
    d.p(f"commit {manifest['git']['commit']} (dirty: {manifest['git']['dirty']}); "
        + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()))
    return d


def write_report(res: RunResult, summary: dict, manifest: dict, out: Path, theory: dict | None = None,
                 grids: dict | None = None) -> list[str]:
    """Write figures, ``report.md`` and ``report.html`` into ``out``; return file names."""
    figs = {"resolution": "resolution_time.png", "backlog": "backlog.png"}
    fig_resolution(res, out / figs["resolution"])
    fig_backlog(res, out / figs["backlog"])
    if fig_district(res, out / "map_district.png"):
        figs["district"] = "map_district.png"
    if fig_village(res, out / "map_village.png"):
        figs["village"] = "map_village.png"
    d = build_doc(res, summary, manifest, figs, theory, grids)
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
    return [*figs.values(), "report.md", "report.html"]
