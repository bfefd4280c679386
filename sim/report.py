"""The single-run report: figures (PNG) and the same text as Markdown and HTML."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .doc import Doc  # noqa: E402
from .model import RunResult  # noqa: E402


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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _stat_rows(summary: dict) -> list[list]:
    rows = []
    for key, label in (("discovery_delay_h", "occurred → reported"), ("wait_time_h", "dispatched → handling started"),
                       ("resolution_time_h", "reported → closed"), ("total_time_h", "occurred → closed")):
        s = summary[key]
        rows.append([label, s["n"], s["mean"], s["p50"], s["p90"], s["p95"], s["max"]])
    return rows


def build_doc(res: RunResult, summary: dict, manifest: dict, figures: dict[str, str],
              theory: dict | None = None) -> Doc:
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
    for key, title in (("by_type", "By issue type"), ("by_channel", "By discovery channel"), ("by_level", "By level reached")):
        d.h(title)
        d.table(["", "count", "closed", "mean resolution (h)"],
                [[k, v["count"], v["closed"], v["mean_resolution_h"]] for k, v in summary[key].items()])
    d.h("Workload by level")
    d.table(["level", "units", "crews", "attempts", "crew hours", "utilisation"],
            [[k, v["units"], v["crews"], v["attempts"], v["busy_crew_h"], v.get("utilisation")]
             for k, v in summary["workload"].items()])
    st = summary["structure"]
    d.h("Structure")
    d.table(["towns", "villages", "grids", "residents", "households", "management", "work", "volunteer", "service points"],
            [[st["towns"], st["villages"], st["grids"], st["residents"], st["households"], st["management_team"],
              st["work_team"], st["volunteer_team"], st["service_points"]]])
    d.h("Reproduce")
    d.code(manifest.get("command", ""))
    d.p(f"commit {manifest['git']['commit']} (dirty: {manifest['git']['dirty']}); "
        + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()))
    return d


def write_report(res: RunResult, summary: dict, manifest: dict, out: Path, theory: dict | None = None) -> list[str]:
    """Write figures, ``report.md`` and ``report.html`` into ``out``; return file names."""
    figs = {"resolution": "resolution_time.png", "backlog": "backlog.png"}
    fig_resolution(res, out / figs["resolution"])
    fig_backlog(res, out / figs["backlog"])
    d = build_doc(res, summary, manifest, figs, theory)
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
    return [*figs.values(), "report.md", "report.html"]
