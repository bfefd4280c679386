"""The sweep report at the sweep root, in English or Chinese. It opens with the findings:
one sentence per headline KPI (time to fix, satisfaction, cost: ``experiment.findings``)
naming the best policy, its paired difference from the baseline with a 95 % CI, and
whether that difference is undetectable or negligible (:mod:`sim.experiments.findings`;
the sentences are written into comparison.json with the numbers they quote). The title
gives the scope (scenarios, towns, horizon, seeds). Then the policies, named by the
experiment's labels (:mod:`sim.experiments.labels`), the figures
(:mod:`sim.experiments.sweep_figures`), per KPI the comparison table, how to reproduce,
and the configuration as a collapsed appendix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.console import number_ranges
from sim.experiments.experiment import ADHOC, ExperimentSpec, collect_runs, compare
from sim.experiments.findings import verdict
from sim.experiments.labels import text as label_text
from sim.experiments.sweep_figures import (Policies, fig_forest, fig_heatmap, fig_level_lines, fig_tradeoff,
                                           level_key, numeric_factors, ok_runs, scale)
from sim.metrics.registry import kpi_unit
from sim.provenance import git_state, versions
from sim.reporting import fonts
from sim.reporting.doc import Doc, fmt, pct
from sim.reporting.figures import css_width
from sim.reporting.i18n import Tr


def _signed(v: float, sc: float | None = None) -> str:
    """A difference with its sign (``+2.1``, ``−3.4``), with as many decimals as the
    largest number of its sentence ``sc`` needs (2 below 10, 1 below 100, else none), so a
    difference and its CI read alike. Hand-written: :func:`sim.reporting.doc.fmt` rounds
    each number on its own."""
    a = abs(sc if sc else v)
    dec = 2 if a < 10 else 1 if a < 100 else 0
    t = f"{abs(v):,.{dec}f}"
    if float(t.replace(",", "")) == 0:
        if abs(v) < 1e-12:
            return "0"
        t = f"{abs(v):.2g}"  # a CI end that rounds to 0 keeps its sign: "−0.0011", not "0"
    return ("+" if v > 0 else "−") + t


def _unit(T: Tr, unit: str, v: float | None) -> str:
    """The unit's words, singular for exactly 1 in English (``1 percentage point``)."""
    u = T(unit)
    return u[:-1] if (T.lang == "en" and v == 1 and u.endswith("points")) else u


def finding_text(f: dict, pols: Policies, T: Tr, where: str = "", blocking: list[str] | tuple = ()) -> str:
    """The sentence of one finding (:func:`sim.experiments.findings.findings`) in T's
    language: every number is the finding's own, formatted. ``where``: the block's levels
    (``blocking`` factors), named once instead of in every policy's name."""
    mult, unit = scale(f["kpi"])
    d = f["mean_diff"] * mult
    lo, hi = (None if c is None else c * mult for c in f["ci95"])
    sc = max(abs(c) for c in (d, lo, hi) if c is not None) or None
    kpi = T.term("kpi", f["kpi"])
    if where:
        kpi = T("sweep.finding.where", kpi=kpi, where=where)
    pd_ = f.get("practical_difference")
    practical = fmt(pd_ * mult, T.lang) if pd_ is not None else "—"
    u = _unit(T, unit, d)
    out = T(f"sweep.finding.{f['verdict']}", kpi=kpi, policy=pols.name(f["policy"], blocking),
            base=pols.name(f["baseline_policy"], blocking),
            diff=_signed(d, sc), unit=u, lo=_signed(lo, sc) if lo is not None else "—",
            hi=_signed(hi, sc) if hi is not None else "—", practical=practical)
    if f.get("within_practical"):
        out += T("sweep.finding.equivalent", practical=practical, unit=_unit(T, unit, pd_ * mult))
    if f.get("few_pairs") and f["verdict"] != "too_few_pairs":
        out += T("sweep.finding.few_pairs", n=f["n_pairs"])
    return out[:1].upper() + out[1:]  # a sentence: "Mean time to fix: ..."


def add_finding_texts(cmp: dict, pols_by_lang: dict[str, Policies]) -> None:
    """Each finding of ``cmp`` gets ``text``: its sentence in every report language."""
    blocking = cmp.get("blocking_factors") or []
    for f in cmp.get("findings", []):
        f["text"] = {}
        for lang, pols in pols_by_lang.items():
            where = pols.short(f["baseline_policy"], blocking) if blocking else ""
            f["text"][lang] = finding_text(f, pols, pols.T, where, blocking)


def scope(ok: pd.DataFrame, T: Tr) -> str:
    """What the runs cover: scenarios, towns, horizon, seeds, the assumptions' values."""
    if ok.empty:
        return T("sweep.title_replicates")
    names = list(dict.fromkeys(ok["scenario"].astype(str)))
    scen = T.join(names) if len(names) <= 2 else T("sweep.n_scenarios", n=len(names))  # the policies name them
    towns = ""
    if "towns" in ok and ok["towns"].notna().any():
        sets = sorted({t for t in ok["towns"].dropna().astype(str)}, key=len)
        names = [n.split("/")[0 if T.lang == "en" else 1] for n in sets[-1].split(";")]
        towns = T("sweep.scope_towns", towns=T.join(names) if len(names) <= 3 else T.n("count.towns", len(names)))
    hz = sorted({float(h) for h in ok.get("horizon_days", pd.Series(dtype=float)).dropna()})
    horizon = "/".join(fmt(h, T.lang) for h in hz) or "—"
    seeds = number_ranges(ok["seed"].dropna(), dash="–", empty="—")  # '1–5' for seeds 1 to 5
    return T("sweep.scope", scenarios=scen, towns=towns, horizon=horizon, seeds=seeds)


def title(spec: ExperimentSpec, pols: Policies, ok: pd.DataFrame, T: Tr) -> str:
    """The report's title: the experiment's title (or name; an ad-hoc sweep is named by the
    factors it varies) and its scope."""
    if spec.title:
        name = label_text(spec.title, T.lang)
    elif spec.name == ADHOC:
        name = T("sweep.title_adhoc", factors=T.join(pols.varying)) if pols.varying else T("sweep.title_replicates")
    else:
        name = spec.name
    return T("sweep.title", name=name, scope=scope(ok, T))


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
    pols = Policies(cmp, T, spec.labels)
    add_finding_texts(cmp, {lg: (pols if lg == lang else Policies(cmp, Tr(lg), spec.labels)) for lg in ("en", "zh")})
    (out / "comparison.json").write_text(json.dumps(cmp, indent=2, ensure_ascii=False), encoding="utf-8")
    ok = ok_runs(runs)
    kpis = list(cmp["kpis"])
    head = kpis[0]
    d = Doc(title(spec, pols, ok, T), lang)
    d.h(T("sweep.findings"))
    for f in cmp["findings"]:
        d.p(f["text"][lang])
    if not cmp["findings"]:
        d.p(T("sweep.findings_none"))
    else:
        reg = cmp["kpi_registry"]
        thr = [f"{T.term('kpi', k)} {fmt(reg[k]['practical_difference'] * scale(k)[0], lang)} {T(scale(k)[1])}"
               for k in dict.fromkeys(f["kpi"] for f in cmp["findings"]) if reg[k].get("practical_difference")]
        d.p(T("sweep.findings_rule", thresholds=T.join(thr) or "—"))
    r = cmp["runs"]
    d.p(T("sweep.intro", ok=fmt(r["ok"], lang), total=T.n("count.runs", r["total"]), failed=fmt(r["failed"], lang)))
    basis = value_basis_of_runs(sweep)
    if basis is not None:
        d.p(T("values.posterior", name=basis[1], keys=", ".join(basis[2])) if basis[0] == "posterior"
            else T("values.prior"))
    for w in cmp["warnings"]:
        d.p(T("sweep.warning", w=w))
    varying = [f"factor.{f}" for f in pols.varying]
    if varying:
        d.h(T("sweep.factors"))
        d.table(T.list("sweep.factor_cols"),
                [[f.removeprefix("factor."), T.join(pols.labels.level(f.removeprefix("factor."), v) for v in
                                                    sorted(runs[f].dropna().astype(str).unique(), key=level_key))]
                 for f in varying])
    if pols.fixed:
        d.p(T("sweep.fixed", settings=T.join(f"{f}={v}" for f, v in pols.fixed.items())))
    if pols.order:
        d.h(T("sweep.policies"))
        d.table(T.list("sweep.policy_cols"),
                [[pols.tag(p), pols.short(p) + (T("sweep.baseline_mark") if p in pols.bases else ""),
                  cmp["policies"][p]["replicates"]]
                 for p in pols.order])
        d.p(T("sweep.baseline_is", policy=T.join(pols.name(b) for b in pols.order if b in pols.bases)))
        if cmp.get("blocking_factors"):
            d.p(T("sweep.blocking", factors=", ".join(cmp["blocking_factors"])))
    headline = [k for k in spec.findings if k in kpis]
    with fonts.context(lang):
        if fig_forest(cmp, pols, kpis, out / "sweep_differences.png", T):
            d.img("sweep_differences.png", T("sweep.forest.title"), css_width(out / "sweep_differences.png"))
        if len(ok):
            for i, f in enumerate(numeric_factors(ok, pols.varying)):
                name = f"sweep_levels_{i + 1}.png"
                if fig_level_lines(ok, pols, f, headline or [head], out / name, T):
                    d.img(name, T("sweep.line.title", kpi=T.join(T.term("kpi", k) for k in headline or [head]),
                                  factor=f), css_width(out / name))
            if fig_heatmap(ok, varying, head, out / "sweep_heatmap.png", T, pols):
                d.img("sweep_heatmap.png", T("sweep.heat.title", kpi=T.term("kpi", head)),
                      css_width(out / "sweep_heatmap.png"))
            if fig_tradeoff(ok, pols, head, out / "sweep_tradeoff.png", T,
                            cmp["kpi_registry"].get(head, {}).get("practical_difference")):
                d.img("sweep_tradeoff.png", T("sweep.trade.title", kpi=T.term("kpi", head)),
                      css_width(out / "sweep_tradeoff.png"))
                d.p(T("sweep.trade.note"))
    for k in kpis:
        rows = []
        mult, unit = scale(k)
        reg = cmp["kpi_registry"].get(k, {})
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
            reading = T("sweep.verdict." + verdict(vs, reg.get("better"), reg.get("practical_difference"))) if vs else ""
            rows.append([pols.tag(pol), pols.short(pol), e["replicates"], _kpi_value(k, v["mean"]),
                         vs["mean_diff"] * mult if vs and vs["mean_diff"] is not None else None, ci or "—", reading,
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
        d.details(T("sweep.config_summary"), config_yaml)
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")
    return cmp
