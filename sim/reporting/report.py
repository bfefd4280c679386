"""The single-run report in English or Chinese: figures (PNG) and the same text as
Markdown and HTML. All words come from :mod:`sim.reporting.i18n`; numbers from
:func:`sim.reporting.doc.fmt`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter  # noqa: E402

from sim.metrics.populations import Populations  # noqa: E402
from sim.reporting import fonts  # noqa: E402
from sim.reporting.doc import Doc, fmt, pct  # noqa: E402
from sim.reporting.figures import LEVEL_COLORS, css_width, save  # noqa: E402
from sim.reporting.i18n import CATALOGUE as _CAT  # noqa: E402
from sim.reporting.i18n import Tr  # noqa: E402
from sim.reporting.maps import fig_district, fig_village  # noqa: E402
from sim.reporting.options import ReportOptions  # noqa: E402
from sim.reporting.people import fig_monthly, fig_staff_time, fig_trust_map  # noqa: E402
from sim.reporting.places import village_place  # noqa: E402
from sim.vocab import LEVELS  # noqa: E402

WORKER_FIGURES = ("district", "village", "trust")
"""Figures the figure worker (:mod:`sim.reporting.worker`) draws: the maps, the slow ones
(measured on a Chongming year: the worker's ~2.2 s against the main process's ~2.3 s for
the tables, the other figures and the report's text)."""


UNSTABLE_SHOWN = 10
"""Unstable units named at the top of the report, worst first (a grid too small for any
issue time can make thousands: the rest are counted, and all are in summary.json)."""

HOURS = FuncFormatter(lambda v, _pos: f"{v:g}")
"""Tick labels of the log-scaled hour axes as plain numbers: easier to read than 10^k, and
no mathtext (matplotlib's first mathtext label builds its parser: ~0.45 s of the report)."""


def fig_resolution(res, path: Path, T: Tr) -> bool:
    """Histogram (log-spaced hours) and ECDF of resolution time (report → closed, h) by
    the level that closed the issue, for issues dispatched to a unit (on-the-spot fixes
    apart, as the KPI) and reported after the warm-up."""
    iss = res.issues
    rt = iss["t_closed_h"] - iss["t_reported_h"]
    ok = Populations.of(res)["dispatched_closed"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    x = rt[ok]
    if x.size:
        pos = x[x > 0]
        lo = max(pos.min() if pos.size else 0.01, 0.01)
        bins = np.logspace(np.log10(lo), np.log10(max(x.max(), lo * 10)), 50)
        for lvl in LEVELS:
            sel = iss["level_reached"][ok] == lvl
            if sel.any():
                label = T("fig.resolution.level_n", level=T.term("level", lvl), n=f"{int(sel.sum()):,}")
                a1.hist(np.clip(x[sel], lo, None), bins=bins, alpha=0.55, label=label, color=LEVEL_COLORS[lvl])
                q = np.linspace(0.0, 1.0, min(int(sel.sum()), 2000) + 1)  # the ECDF at quantiles: its shape, cheaply
                a2.step(np.quantile(x[sel], q), q, where="post", label=label, color=LEVEL_COLORS[lvl])
        a1.set_xscale("log")
        a2.set_xscale("symlog", linthresh=1.0)
        for ax in (a1, a2):  # hours as plain numbers (0.1, 1, 10, 100), not 10^k
            ax.xaxis.set_major_formatter(HOURS)
            ax.xaxis.set_minor_formatter(NullFormatter())
        handles, labels = a1.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False, fontsize=9)
    a1.set_xlabel(T("fig.resolution.x_hist"))
    a1.set_ylabel(T("fig.resolution.y_hist"))
    a1.set_title(T("fig.resolution.title_hist"))
    a2.set_xlabel(T("fig.resolution.x_cdf"))
    a2.set_ylabel(T("fig.resolution.y_cdf"))
    a2.yaxis.set_major_formatter(PercentFormatter(1.0))
    a2.set_title(T("fig.resolution.title_cdf"))
    a2.grid(alpha=0.3)
    save(fig, path)
    return True


def fig_backlog(res, path: Path, T: Tr) -> bool:
    """Live backlog (dispatched, not closed; count) over simulated days, warm-up shaded."""
    fig, ax = plt.subplots(figsize=(12, 3.8), layout="constrained")
    t = res.backlog_t_h / 24.0
    ax.step(t, res.backlog_n, where="post", lw=0.7)
    if res.params.run.warmup_days > 0:
        ax.axvspan(0, res.params.run.warmup_days, color="grey", alpha=0.2, label=T("fig.backlog.warmup"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9, borderaxespad=0)
    ax.set_xlabel(T("fig.backlog.x"))
    ax.set_ylabel(T("fig.backlog.y"))
    ax.set_title(T("fig.backlog.title"))
    ax.set_xlim(0, res.params.run.horizon_days)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    save(fig, path)
    return True


def _stat_rows(summary: dict, T: Tr) -> list[list]:
    rows = []
    for key in ("time_to_fix_h", "discovery_delay_h", "response_time_h", "wait_time_h", "resolution_time_h",
                "total_time_h"):
        s = summary[key]
        rows.append([T.term("stage", key), s["n"], s["mean"], s["p50"], s["p90"], s["p95"], s["max"]])
    return rows


def _department_rows(res, summary: dict) -> list[list]:
    """Per department (across towns): units, offered load ρ (mean, max: computed before the
    run, :mod:`sim.metrics.capacity`) and measured utilisation (busy / working hours,
    mean, max), and its longest queue."""
    u = res.units
    loads = {x.unit: x.rho for x in res.extra.get("offered_load", [])}
    if not len(u.get("unit", ())):
        return []
    sel = np.flatnonzero(u["kind"] == "department")
    groups: dict = {}
    for k in sel:
        name = str(u["unit"][k]).split(" ", 1)[-1]
        key = (str(u["level"][k]), name)
        util = u["busy_h"][k] / u["capacity_h"][k] if u["capacity_h"][k] > 0 else np.nan
        groups.setdefault(key, []).append((loads.get(str(u["unit"][k]), np.nan), util, int(u["max_queue"][k])))
    rows = []
    for (level, name), v in sorted(groups.items(), key=lambda kv: (kv[0][0] != "town", -max(x[0] for x in kv[1]))):
        rho, util, q = (np.array([x[i] for x in v], dtype=float) for i in range(3))
        rows.append([f"{level} {name}", len(v), float(np.nanmean(rho)), float(np.nanmax(rho)), pct(float(np.nanmean(util))),
                     pct(float(np.nanmax(util))), int(q.max())])
    return rows


def _ordered(groups: dict) -> list[tuple]:
    """Groups in a reader's order: levels up the ladder; anything else by count, largest
    first (the same order in every language)."""
    if set(groups) <= set(LEVELS):
        return [(k, groups[k]) for k in LEVELS if k in groups]
    return sorted(groups.items(), key=lambda kv: (-kv[1].get("count", 0), kv[0]))


def _grid_rows(grids: dict, world, T: Tr) -> list[list]:
    """Top five and bottom five grids of the ranking, with names."""
    order = np.argsort(grids["rank"])
    n = len(order)
    pick = list(order[:5]) + (list(order[-5:]) if n > 10 else list(order[5:]))
    gname = world.names("grid", T.lang) if world is not None else None
    tname = world.names("town", T.lang) if world is not None else None
    rows = []
    for g in pick:
        name = str(gname[g]) if gname is not None else str(int(g))
        town = str(tname[world.grid_town[g]]) if tname is not None else "—"
        rows.append([int(grids["rank"][g]), name, town, int(grids["reported"][g]), pct(float(grids["on_time_rate"][g])),
                     float(grids["mean_resolution_h"][g]), float(grids["mean_discovery_delay_h"][g])])
    return rows


def build_doc(res, summary: dict, manifest: dict, figures: dict[str, str], theory: dict | None = None,
              grids: dict | None = None, lang: str = "en", village: int | None = None,
              village_given: bool = False, widths: dict | None = None) -> Doc:
    """The report text (no figures drawn here: ``figures`` maps a key to a PNG name,
    ``widths`` a key to its display width in CSS pixels)."""
    widths = widths or {}
    T = Tr(lang)
    p = res.params
    d = Doc(T("run.title", scenario=p.scenario, seed=p.seed), lang)
    d.p(T("run.intro", days=T.n("count.days", p.run.horizon_days), start=p.run.start_date,
          warmup=T.n("count.days", p.run.warmup_days)))
    if manifest.get("params"):
        from sim.assumptions import value_basis

        basis, name, keys = value_basis(_named(manifest["params"]))
        d.p(T("values.posterior", name=name, keys=", ".join(keys)) if basis == "posterior" else T("values.prior"))
    drain = summary.get("drain") or {}
    if drain.get("days_allowed"):
        d.p(T("run.drain", used=fmt(drain["days_used"], lang), unfixed=fmt(drain["unfixed_at_end"], lang)))
    unstable = summary.get("unstable_units") or []
    for u in unstable[:UNSTABLE_SHOWN]:
        d.p(T("run.unstable", unit=u["unit"], rho="∞" if u["rho"] is None else fmt(u["rho"], lang), keys=", ".join(u["keys"])))
    if len(unstable) > UNSTABLE_SHOWN:
        d.p(T("run.unstable_more", n=fmt(len(unstable) - UNSTABLE_SHOWN, lang)))
    d.h(T("run.headline"))
    f, r = summary["time_to_fix_h"], summary["resolution_time_h"]
    rates = [k for k in ("on_time_rate", "closure_rate", "escalation_rate", "routed_up_rate", "extension_rate",
                         "supervision_rate", "rework_rate", "satisfaction_rate") if summary.get(k) is not None]
    d.table([T("run.kpi"), T("run.value")], [
        *[[T.with_unit(T.term("kpi", f"time_to_fix_h.{s}"), T("unit.h")), f[s]] for s in ("mean", "p50", "p90")],
        [T.term("kpi", "unfixed_share"), pct(summary.get("unfixed_share"))],
        [T.with_unit(T.term("kpi", "response_time_h.mean"), T("unit.h")), summary["response_time_h"]["mean"]],
        *[[T.with_unit(T.term("kpi", f"resolution_time_h.{s}"), T("unit.h")), r[s]] for s in ("mean", "p90")],
        *[[T.term("kpi", k), pct(summary[k])] for k in rates],
    ])
    d.h(T("run.counts"))
    c = summary["counts"]
    names = [T(f"counts.{k}") if f"counts.{k}" in _CAT else k for k in c]
    if len(c) <= 10:
        d.table(names, [list(c.values())])
    else:  # many counts: one per row, so the table fits the page
        d.table([T("run.item"), T("run.count")], [[n, v] for n, v in zip(names, c.values())])
    d.h(T("run.stage_times"))
    d.table(T.list("stage.cols"), _stat_rows(summary, T))
    d.img(figures["resolution"], T("fig.resolution.title_hist"), widths.get("resolution"))
    d.img(figures["backlog"], T("fig.backlog.title"), widths.get("backlog"))
    if "district" in figures:
        d.img(figures["district"], T("fig.district.name"), widths.get("district"))
    if "village" in figures and village is not None and res.world is not None:
        w = res.world
        d.img(figures["village"], village_place(w, village, T), widths.get("village"))
        d.p(T("run.closeup_note", place=village_place(w, village, T), index=village,
              rule=T("run.closeup_rule_given" if village_given else "run.closeup_rule_most")))
    if theory:
        from sim.metrics.theory_check import expected_means

        d.h(T("run.theory"))
        exp = expected_means(p)
        d.p(T("run.theory_note", formula=exp[1]) if exp else theory["note"])
        d.table(T.list("run.theory_cols"),
                [[T(f"run.theory.{k}") if f"run.theory.{k}" in _CAT else k, v["theory"], v["simulated"],
                  pct(v["rel_error"])] for k, v in theory["rows"].items()])
    lt = summary.get("little")
    if lt:
        d.h(T("run.little"))
        d.p(T("run.little_note"))
        d.table(T.list("run.little_cols"), [[lt["L"], lt["lambda_per_h"], lt["W_h"], lt["lambda_W"],
                                             pct(lt["rel_error"])]])
    d.h(T("run.discovery"))
    d.p(T("run.discovery_text", share=fmt(pct(summary.get("on_spot_share")), lang),
          lost=fmt(summary.get("lost_reports", 0), lang)))
    if summary.get("discovery_share"):
        d.table(T.list("run.channel_share_cols"),
                [[T.term("channel", k), pct(v)] for k, v in sorted(summary["discovery_share"].items(),
                                                                    key=lambda kv: (-(kv[1] or 0), kv[0]))])
    if summary.get("staff"):
        d.h(T("run.staff"))
        util = summary.get("staff_utilisation") or {}
        d.table(T.list("run.staff_cols"),
                [[T.term("team", k), v["members"], v["contract_h"], v["routine_h"], v["patrol_h"], v["handling_h"],
                  v["travel_h"], v["consultation_h"], v["mediation_h"], v.get("overhead_h"), v["idle_h"],
                  pct((util.get(k) or {}).get("mean")), pct(v.get("routine_coverage")), pct(v.get("patrol_coverage"))]
                 for k, v in summary["staff"].items()])
        if "staff" in figures:
            d.img(figures["staff"], T("fig.staff.title"), widths.get("staff"))
        d.h(T("run.staff_issue"), 3)
        d.table(T.list("run.staff_issue_cols"),
                [[T.term("team", k), v["members"], v.get("issue_h_per_member_mean"), v.get("issue_h_per_member_sd"),
                  v.get("issue_h_gini")] for k, v in summary["staff"].items()])
    if summary.get("satisfaction_rate") is not None or summary.get("reporting_per_1000_by_month"):
        d.h(T("run.residents"))
        rt, tr = summary.get("ratings") or {}, summary.get("trust") or {}
        months = summary.get("reporting_per_1000_by_month") or []
        d.table(T.list("run.residents_cols"), [
            [T("run.res.satisfaction"), pct(summary.get("satisfaction_rate"))],
            [T("run.res.satisfied"), rt.get("satisfied")], [T("run.res.basically"), rt.get("basically_satisfied")],
            [T("run.res.dissatisfied"), rt.get("dissatisfied")],
            [T("run.res.trust_start"), tr.get("start_mean")], [T("run.res.trust_end"), tr.get("end_mean")],
            [T("run.res.reports"), float(np.mean(months)) if months else None]])
        d.p(T("run.res.reference"))
        for key in ("trust", "monthly"):
            if key in figures:
                d.img(figures[key], T(f"fig.{key}.title", start="", end="") if key == "trust" else T("fig.monthly.title"),
                      widths.get(key))
    if summary.get("surge"):
        sg = summary["surge"]
        d.h(T("run.surge", event=sg["event"]))
        d.table(T.list("run.surge_cols"), [
            [T("run.surge.issues"), sg["surge_issues"]], [T("run.surge.pre"), sg["pre_event_backlog"]],
            [T("run.surge.peak"), sg["peak_backlog"]],
            [T("run.surge.recover"), sg["days_to_recover"] if sg["days_to_recover"] is not None else T("run.surge.never")],
            [T("run.surge.on_time"), pct(sg["on_time_rate"])],
            [T("run.surge.make_safe"), (sg.get("time_to_make_safe_h") or {}).get("mean")],
            [T("run.surge.make_safe_p90"), (sg.get("time_to_make_safe_h") or {}).get("p90")],
            [T("run.surge.make_safe_within"), pct(sg.get("made_safe_within_target"))],
            [T("run.surge.level"), sg.get("response_level", "none")]])
    if grids is not None and len(grids["grid"]) > 1:
        d.h(T("run.grids"))
        d.table(T.list("run.grid_cols")[:2] + T.list("run.grid_cols")[3:], _grid_rows(grids, res.world, T))
        d.p(T("run.grids_note", grids=T.n("count.grids", len(grids["grid"]))))
    for key, title, group in (("by_type", "run.by_type", "type"), ("by_channel", "run.by_channel", "channel"),
                              ("by_level", "run.by_level", "level")):
        d.h(T(title))
        on_time = key == "by_type"  # per type: its on-time rate (policy questions vs disputes ...)
        d.table(T.list("run.type_cols" if on_time else "run.group_cols"),
                [[T.term(group, k), v["count"], v["closed"], v["mean_resolution_h"]] +
                 ([None if v["on_time_rate"] is None else 100.0 * v["on_time_rate"]] if on_time else [])
                 for k, v in _ordered(summary[key])])
    dept = _department_rows(res, summary)
    if dept:
        d.h(T("run.departments"))
        d.p(T("run.departments_note"))
        d.table(T.list("run.departments_cols"), dept)
    if summary.get("workload"):
        d.h(T("run.workload"))
        d.table(T.list("run.workload_cols"),
                [[T.term("level", k), v["units"], v.get("servers", v.get("crews")), v["attempts"],
                  v.get("busy_h", v.get("busy_crew_h")), pct(v.get("utilisation"))]
                 for k, v in summary["workload"].items()])
        if any(k in summary["workload"] for k in ("grid", "village")) and summary.get("staff_utilisation"):
            d.p(T("run.workload_note"))
    st = summary["structure"]
    d.h(T("run.structure"))
    cols = T.list("run.structure_cols")
    vals = [st["towns"], st["villages"], st["grids"], st["residents"], st["households"], st.get("management_team"),
            st.get("work_team"), st.get("volunteer_team"), st.get("household_heads"), st.get("service_points"),
            pct(st.get("coverage_15min"))]
    q = st.get("partition_quality") or {}
    d.table([T("run.item"), T("run.value")],
            [[k, v] for k, v in zip(cols, vals)]
            + [[T(f"pq.{k}") if f"pq.{k}" in _CAT else k, v] for k, v in q.items()])
    a, g = st["grid_area_km2"], st["grids_per_village"]
    d.p(T("run.structure_text", a_mean=fmt(a["mean"], lang), a_min=fmt(a["min"], lang), a_max=fmt(a["max"], lang),
          g_mean=fmt(g["mean"], lang), g_min=fmt(g["min"], lang), g_max=fmt(g["max"], lang)))
    rows = assumption_rows(manifest.get("params"), lang)
    if rows:
        d.h(T("run.assumptions"))
        d.p(T("run.assumptions_note"))
        d.table(T.list("run.assumptions_cols"), rows)
    d.h(T("run.reproduce"))
    d.code(manifest.get("command", ""))
    d.p(T("run.commit", commit=manifest["git"]["commit"], dirty=fmt(bool(manifest["git"]["dirty"]), lang),
          versions=", ".join(f"{k} {v}" for k, v in manifest["versions"].items())))
    return d


def assumption_rows(params: dict | None, lang: str = "en") -> list[list]:
    """The registry's assumptions (conf/assumptions.yaml) with their values in this run
    (only those the run has: a validation run has none of the Chongming ones)."""
    from sim.assumptions import _MISSING, load, lookup

    if not params:
        return []
    out = []
    for a in load():
        v = lookup(_named(params), a.key)
        if v is _MISSING:
            continue
        shown = "profile" if isinstance(v, list) else (fmt(v, lang) if isinstance(v, (int, float)) else v)
        mark = " *" if (list(v) if isinstance(v, list) else v) != a.default else ""
        out.append([a.key, f"{shown}{mark}", a.range_text, a.why])
    return out


def _named(params: dict) -> dict:
    """Run parameters with lists of named entries (catalogue, channels, departments) as
    mappings by name, as the registry's keys address them."""
    out = dict(params)
    for k in ("issue_types", "channels", "events"):
        if isinstance(out.get(k), list):
            out[k] = {e["name"]: e for e in out[k]}
    dep = out.get("departments")
    if isinstance(dep, dict):
        out["departments"] = {lv: ({e["name"]: e for e in v} if isinstance(v, list) else v) for lv, v in dep.items()}
    return out


FIGURES = {
    "resolution": ("resolution_time.png", lambda res, s, path, T, v: fig_resolution(res, path, T)),
    "backlog": ("backlog.png", lambda res, s, path, T, v: fig_backlog(res, path, T)),
    "district": ("map_district.png", lambda res, s, path, T, v: fig_district(res, path, T) is not False),
    "village": ("map_village.png", lambda res, s, path, T, v: v is not None and fig_village(res, path, T, v) is not False),
    "staff": ("staff_time.png", lambda res, s, path, T, v: fig_staff_time(res, s, path, T)),
    "trust": ("map_trust.png", lambda res, s, path, T, v: fig_trust_map(res, path, T)),
    "monthly": ("residents_monthly.png", lambda res, s, path, T, v: fig_monthly(res, s, path, T)),
}
"""The report's figures in report order: key -> (file name, draw(res, summary, path, T,
village) -> drawn?)."""

MAPS = ("district", "village", "trust")
"""The figures that need the world's geometry."""


def figure_keys(res) -> list[str]:
    """The figures a report of ``res`` draws (maps only for worlds with geometry)."""
    geo = res.world is not None and res.world.has_geometry
    return [k for k in FIGURES if geo or k not in MAPS]


def draw_figures(keys, res, summary: dict | None, out: Path, T: Tr, village: int | None) -> dict:
    """Draw figures ``keys`` of ``res`` into ``out``; ``{key: drawn}`` (False where there
    was nothing to draw). The maps need no summary (the figure worker draws them)."""
    with fonts.context(T.lang):
        return {k: bool(FIGURES[k][1](res, summary, out / FIGURES[k][0], T, village)) for k in keys}


def warm_up(lang: str) -> None:
    """Load what the first figure would (matplotlib's fonts, the CJK font for zh)."""
    import io

    with fonts.context(lang):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.set_title("0 图" if lang == "zh" else "0")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)


def submit_maps(worker, res, out: Path, village: int | None) -> list[str]:
    """Hand the report's maps (close-up of ``village``) to a figure worker
    (:mod:`sim.reporting.worker`); returns the keys it draws (none without a worker)."""
    keys = [k for k in figure_keys(res) if k in WORKER_FIGURES] if worker is not None else []
    if keys:
        worker.submit(map_records(res), out, keys, village)
    return keys


MAP_COLUMNS = {"issues": ("household", "village", "level_reached"), "households": ("trust_start", "trust_end")}
"""The columns the worker's figures read (all it is sent, with the world)."""


def map_records(res):
    """``res`` with only what the maps read (keeps the worker's memory small)."""
    import dataclasses

    def cols(table, names):
        return None if table is None else {k: table[k] for k in names if k in table}

    return dataclasses.replace(res, issues=cols(res.issues, MAP_COLUMNS["issues"]), staff=None, units={},
                               households=cols(res.households, MAP_COLUMNS["households"]),
                               backlog_t_h=res.backlog_t_h[:0], backlog_n=res.backlog_n[:0])


def write_report(res, summary: dict, manifest: dict, out: Path, theory: dict | None = None,
                 grids: dict | None = None, options: ReportOptions | None = None, village: int | None = None,
                 worker=None, remote: list[str] | None = None) -> list[str]:
    """Write figures, ``report.md`` and ``report.html`` into ``out`` in the language of
    ``options``; return the file names written. ``village``: the close-up's village
    (:func:`sim.reporting.places.close_up_village`; None on maps without geometry).
    ``remote``: figures already handed to ``worker`` (:func:`submit_maps`), collected here."""
    opts = options or ReportOptions()
    T = Tr(opts.lang)
    remote = list(remote or [])
    keys = figure_keys(res)
    drawn = draw_figures([k for k in keys if k not in remote], res, summary, out, T, village)
    if remote:
        drawn.update(worker.result())
    figs = {k: FIGURES[k][0] for k in keys if drawn.get(k)}
    widths = {k: css_width(out / f) for k, f in figs.items()}
    d = build_doc(res, summary, manifest, figs, theory, grids, opts.lang, village, opts.village is not None, widths)
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
    return [*figs.values(), "report.md", "report.html"]
