"""KPIs that can rank designs: declared in the KPI registry with a direction."""

from __future__ import annotations

from sim.errors import ConfigError


def ranked_kpi(key: str, where: str) -> str:
    """A KPI that can rank policies: declared in :mod:`sim.metrics.registry` with a
    direction (lower or higher is better)."""
    from sim.metrics.registry import KPIS

    k = KPIS.get(key) if isinstance(key, str) else None
    if k is None or k.better is None:
        ranked = [x for x, v in KPIS.items() if v.better is not None]
        why = "has no better direction" if k is not None else "is not a declared KPI"
        raise ConfigError(where, f"{key!r} {why}; allowed: a KPI with a direction in sim/metrics/registry.py, e.g. "
                                 f"time_to_fix_h.mean, satisfaction_rate, cost.total_yuan_per_year "
                                 f"({len(ranked)} in all; python run.py --params lists parameters, not KPIs)")
    return key
