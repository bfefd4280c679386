"""Reports of the screen and of the calibration (English or Chinese, text in
``sim/reporting/text.yaml``): tables, marginal posteriors, the most correlated pairs,
posterior-predictive checks per pattern."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.reporting import fonts  # noqa: E402
from sim.reporting.doc import Doc  # noqa: E402
from sim.reporting.figures import css_width, save  # noqa: E402
from sim.reporting.i18n import Tr  # noqa: E402

SCREEN_ROWS = 25  # parameters shown in the screen's table and heat map (all are in screen.json)


def _write(d: Doc, out: Path) -> None:
    (out / "report.md").write_text(d.markdown(), encoding="utf-8")
    (out / "report.html").write_text(d.html(), encoding="utf-8")


def write_screen_report(info: dict, tables: dict[str, pd.DataFrame], sel: pd.DataFrame, patterns, out: Path,
                        lang: str = "en") -> None:
    """``screen.png`` (mu*/tolerance of the strongest parameters on each fitted pattern)
    and ``report.md``/``report.html``."""
    T = Tr(lang)
    fitted = [p for p in patterns if p.fit]
    top = sel.head(SCREEN_ROWS)
    mu = {name: t.set_index("parameter") for name, t in tables.items()}
    M = np.array([[mu[p.name].loc[k, "mu_star"] / p.tolerance for p in fitted] for k in top["parameter"]])
    with fonts.context(lang):
        fig, ax = plt.subplots(figsize=(2.2 + 0.9 * len(fitted), 0.32 * len(top) + 2.0), layout="constrained")
        im = ax.imshow(np.nan_to_num(M), aspect="auto", cmap="Blues", vmin=0)
        ax.set_yticks(range(len(top)), top["parameter"], fontsize=7)
        ax.set_xticks(range(len(fitted)), [p.name for p in fitted], rotation=40, ha="right", fontsize=8)
        fig.colorbar(im, ax=ax, label=T("screen.effect"))
        ax.set_title(T("screen.fig_title", runs=T.n("count.runs", info["runs"])), fontsize=10)
        save(fig, out / "screen.png")
    d = Doc(T("screen.title"), lang)
    d.p(T("screen.intro", k=info["parameters"], r=info["r"], runs=T.n("count.runs", info["runs"]),
          scenario=info["scenario"], h=f"{info['horizon_days']:g}", w=f"{info['warmup_days']:g}",
          wall=f"{info['wall_s']:.0f}", jobs=info["n_jobs"], excl=", ".join(info["excluded_prefixes"])))
    d.p(T("screen.rule", m=f"{info['rule']['min_effect_in_tolerances']:g}", top=info["rule"]["top"],
          n=int(sel["influential"].sum()), sel=", ".join(info["selected"]) or "—"))
    cols = [TIME] + [p.name for p in patterns]
    rows = []
    for k in top["parameter"]:
        rows.append([k] + [f"{mu[c].loc[k, 'mu_star']:.3g} / {mu[c].loc[k, 'sigma']:.3g}" for c in cols]
                    + [T("yes") if bool(sel.set_index("parameter").loc[k, "selected"]) else ""])
    d.table([T("screen.col.parameter")] + cols + [T("screen.col.selected")], rows)
    d.p(T("screen.cell"))
    d.img("screen.png", T("screen.fig_title", runs=T.n("count.runs", info["runs"])), css_width(out / "screen.png"))
    _write(d, out)


TIME = "time_to_fix_h.mean"


def _fmt(v: float) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.4g}"


def write_calibration_report(cal: dict, post: pd.DataFrame, pred: pd.DataFrame, prior_pred: pd.DataFrame | None,
                             patterns, out: Path, lang: str = "en") -> None:
    """Figures (marginals, pairs, predictive checks) and ``report.md``/``report.html``."""
    T = Tr(lang)
    names = [p["parameter"] for p in cal["parameters"]]
    w = post["weight"].to_numpy()
    with fonts.context(lang):
        n = len(names)
        fig, axes = plt.subplots(1, n, figsize=(2.6 * n + 0.5, 2.6), layout="constrained", squeeze=False)
        for ax, prm in zip(axes[0], cal["parameters"]):
            ax.hist(post[prm["parameter"]], bins=15, weights=w, range=tuple(prm["prior"]), color="#1f4e9c",
                    density=True, label=T("calib.posterior"))
            ax.axhline(1.0 / (prm["prior"][1] - prm["prior"][0]), color="#ff7f0e", lw=1.5, label=T("calib.prior"))
            ax.axvline(prm["posterior_median"], color="black", lw=1)
            ax.set_title(prm["parameter"], fontsize=7)
            ax.tick_params(labelsize=7)
        axes[0][0].legend(fontsize=7)
        save(fig, out / "calibration_marginals.png")
        pairs = _top_pairs(post[names], w, 3)
        fig, axes = plt.subplots(1, max(len(pairs), 1), figsize=(3.2 * max(len(pairs), 1), 3.0), layout="constrained",
                                 squeeze=False)
        for ax, (a, b, r) in zip(axes[0], pairs):
            ax.scatter(post[a], post[b], s=8 + 60 * w / w.max(), alpha=0.6, color="#1f4e9c")
            ax.set_xlabel(a, fontsize=7)
            ax.set_ylabel(b, fontsize=7)
            ax.set_title(T("calib.pair_title", r=f"{r:+.2f}"), fontsize=8)
            ax.tick_params(labelsize=7)
        save(fig, out / "calibration_pairs.png")
        m = len(patterns)
        fig, axes = plt.subplots(1, m, figsize=(2.3 * m + 0.5, 2.6), layout="constrained", squeeze=False)
        for ax, p in zip(axes[0], patterns):
            if prior_pred is not None and p.name in prior_pred:
                ax.hist(prior_pred[p.name].dropna(), bins=12, color="#bbbbbb", density=True, label=T("calib.defaults"))
            ax.hist(pred[p.name].dropna(), bins=12, color="#1f4e9c", alpha=0.8, density=True,
                    label=T("calib.posterior"))
            ax.axvspan(p.low - p.tolerance, p.high + p.tolerance, color="#2ca02c", alpha=0.15)
            ax.axvline(p.low, color="#2ca02c")
            ax.axvline(p.high, color="#2ca02c")
            ax.set_title(p.name + ("" if p.fit else " *"), fontsize=7)
            ax.tick_params(labelsize=7)
        axes[0][0].legend(fontsize=7)
        save(fig, out / "calibration_ppc.png")
    d = Doc(T("calib.title", name=cal["name"]), lang)
    r = cal["run"]
    d.p(T("calib.intro", scenario=r["scenario"], h=f"{r['horizon_days']:g}", w=f"{r['warmup_days']:g}",
          pop=r["population_size"], gens=r["generations"], sims=f"{r['simulations']:,}", wall=f"{r['wall_s']:.0f}",
          jobs=r["n_jobs"], eps=_fmt(r["final_epsilon"]), ess=_fmt(r.get("effective_sample_size"))))
    d.h(T("calib.h_params"))
    d.table(T.list("calib.cols.params"),
            [[p["parameter"], f"{p['default']:.4g}", f"[{p['prior'][0]:.4g}, {p['prior'][1]:.4g}]",
              _fmt(p["posterior_median"]), f"[{p['posterior_90'][0]:.4g}, {p['posterior_90'][1]:.4g}]",
              f"{p['shrinkage']:.2f}"] for p in cal["parameters"]])
    d.p(T("calib.shrinkage"))
    d.img("calibration_marginals.png", T("calib.fig_marginals"), css_width(out / "calibration_marginals.png"))
    d.img("calibration_pairs.png", T("calib.fig_pairs"), css_width(out / "calibration_pairs.png"))
    d.h(T("calib.h_patterns"))
    d.table(T.list("calib.cols.patterns"),
            [[q["name"], q["target"], f"{q['tolerance']:g}", _fmt(q["before"]), _fmt(q["posterior_median"]),
              f"[{_fmt(q['posterior_90'][0])}, {_fmt(q['posterior_90'][1])}]",
              T("calib.in") if q["inside"] else T("calib.out"),
              T("calib.fitted") if q["fit"] else T("calib.oos"), q["source"]] for q in cal["patterns"]])
    d.p(T("calib.ppc_note"))
    d.img("calibration_ppc.png", T("calib.fig_ppc"), css_width(out / "calibration_ppc.png"))
    _write(d, out)


def _top_pairs(df: pd.DataFrame, w: np.ndarray, k: int) -> list[tuple[str, str, float]]:
    """The ``k`` parameter pairs with the largest weighted |correlation|."""
    cols = list(df.columns)
    if len(cols) < 2:
        return []
    X = df.to_numpy(dtype=float)
    c = np.cov(X.T, aweights=w)
    s = np.sqrt(np.diag(c))
    out = []
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            r = c[i, j] / (s[i] * s[j]) if s[i] > 0 and s[j] > 0 else 0.0
            out.append((cols[i], cols[j], float(r)))
    return sorted(out, key=lambda t: -abs(t[2]))[:k]
