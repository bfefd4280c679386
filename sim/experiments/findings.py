"""What a sweep found, one statement per headline KPI, from the paired comparisons of
:func:`sim.experiments.experiment.compare` (the same numbers as ``comparison.json``).

For each KPI of ``experiment.findings`` (default :data:`HEADLINE`: time to fix, then
satisfaction and cost) and each baseline (one per block of a blocked design), the *best*
policy is the one whose paired mean difference Δ from the baseline is best in the KPI's
better direction (:mod:`sim.metrics.registry`). Its reading (:func:`verdict`):

- ``no_detectable_difference``: the 95 % CI of Δ includes 0 (``equivalent`` is added
  when the whole CI lies within ± the KPI's practical difference);
- ``negligible``: the CI excludes 0 but |Δ| is below the practical difference: real, too
  small to matter, and not highlighted;
- ``better`` / ``worse``: the CI excludes 0 and |Δ| reaches the practical difference (a
  best policy that is ``worse`` means no policy beats the baseline);
- ``too_few_pairs``: fewer than 2 paired seeds, no CI.
"""

from __future__ import annotations

from sim.errors import ConfigError
from sim.metrics.registry import KPIS, describe

HEADLINE = ("time_to_fix_h.mean", "satisfaction_rate", "cost.per_fixed_issue_yuan")
"""The decision KPIs a sweep report opens with, in this order: time to fix as residents
feel it, then satisfaction, then cost per issue fixed."""

VERDICTS = ("better", "worse", "negligible", "no_detectable_difference", "too_few_pairs")


def check_kpis(kpis) -> tuple[str, ...]:
    """``experiment.findings`` as a tuple of KPI keys, each declared in the registry with a
    better direction (a 'best' policy needs one). Raises :class:`ConfigError`."""
    if kpis is None:
        return HEADLINE
    if isinstance(kpis, str) or not all(isinstance(k, str) for k in kpis):
        raise ConfigError("experiment.findings", f"must be a list of KPI names, e.g. [{', '.join(HEADLINE)}]; "
                                                 f"got {kpis!r}")
    allowed = [k for k, v in KPIS.items() if v.better is not None]
    for k in kpis:
        if k not in KPIS or KPIS[k].better is None:
            why = "has no better direction" if k in KPIS else "is not a declared KPI"
            raise ConfigError("experiment.findings", f"{k!r} {why}; allowed: a KPI of sim/metrics/registry.py with "
                                                     f"a better direction, e.g. {', '.join(allowed[:1] + list(HEADLINE[1:]))}")
    return tuple(dict.fromkeys(kpis))


def verdict(vs: dict, better: str | None, practical: float | None) -> str:
    """The reading of one paired comparison ``vs`` (a ``vs_baseline`` entry of
    comparison.json) for a KPI whose better direction is ``better`` and whose practical
    difference is ``practical`` (None: none declared, every real difference matters)."""
    d = vs.get("mean_diff")
    lo, hi = (vs.get("ci95") or [None, None])[:2]
    if d is None or lo is None or hi is None or (vs.get("n_pairs") or 0) < 2:
        return "too_few_pairs"
    if lo <= 0.0 <= hi:
        return "no_detectable_difference"
    if practical is not None and abs(d) < practical:
        return "negligible"
    if better is None:
        return "better" if d != 0 else "no_detectable_difference"
    return "better" if (d < 0) == (better == "lower") else "worse"


def findings(cmp: dict, kpis=HEADLINE) -> list[dict]:
    """One finding per KPI of ``kpis`` and baseline that has at least one comparison (a KPI
    measured in no run of a block, e.g. surge KPIs in a normal year, gives none there)."""
    pols = cmp.get("policies", {})
    blocks: dict[str, list[str]] = {}
    for p, e in pols.items():
        if e.get("baseline") is not None:
            blocks.setdefault(e["baseline"], []).append(p)
    out = []
    for k in kpis:
        reg = (cmp.get("kpi_registry") or {}).get(k) or describe(k)
        better, practical = reg.get("better"), reg.get("practical_difference")
        sign = -1.0 if better == "higher" else 1.0  # an improvement is a negative sign·Δ
        for base, members in blocks.items():
            cands = [(p, pols[p]["kpis"][k]["vs_baseline"]) for p in members if p != base
                     and (pols[p]["kpis"].get(k) or {}).get("vs_baseline", {}).get("mean_diff") is not None]
            if not cands:
                continue
            best, vs = min(cands, key=lambda c: (sign * c[1]["mean_diff"], c[0]))
            lo, hi = (vs.get("ci95") or [None, None])[:2]
            v = verdict(vs, better, practical)
            out.append({
                "kpi": k, "unit": reg.get("unit"), "better": better, "practical_difference": practical,
                "baseline_policy": base, "baseline_mean": (pols[base]["kpis"].get(k) or {}).get("mean"),
                "policy": best, "mean": (pols[best]["kpis"].get(k) or {}).get("mean"),
                "mean_diff": vs["mean_diff"], "ci95": [lo, hi], "n_pairs": vs.get("n_pairs"),
                "few_pairs": bool(vs.get("few_pairs")), "verdict": v,
                "within_practical": (v == "no_detectable_difference" and practical is not None
                                     and -practical < lo and hi < practical),
                "alternatives": len(cands)})
    return out
