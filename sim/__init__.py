"""Agent-based simulation of party-building micro-grid governance (Chongming, Shanghai).

The plain interface, usable from any experiment tool::

    from sim import simulate
    kpis = simulate({"scenario": "mmc", "seed": 1, "mmc": {...}})

Hydra is used only by ``run.py``; nothing in this package imports it.
"""

from .errors import ConfigError
from .params import ModelParams, params_from_dict, params_to_dict

__all__ = ["ConfigError", "ModelParams", "check", "params_from_dict", "params_to_dict", "run_model", "simulate"]


def check(params: ModelParams):
    """Everything that can be checked before a run starts, without building it: the
    resources the run would need (:mod:`sim.guard`) and its input files (a GeoJSON map
    is read and validated). Raises :class:`ConfigError`; returns the guard's estimate."""
    from .guard import check as check_resources

    estimate = check_resources(params)
    if params.world.map == "geojson":
        from .world.geo import load_geojson

        load_geojson(params.world.geojson_path)
    return estimate


def run_model(params: ModelParams):
    """Run one model and return its :class:`~sim.model.RunResult`. A run that would not
    fit in memory or the event budget is refused first (:mod:`sim.guard`)."""
    from .guard import check
    from .model import run_model as _run

    check(params)
    return _run(params)


def simulate(params: dict | ModelParams) -> dict:
    """Parameters in (a nested dict or :class:`ModelParams`), KPI dict out (summary.json)."""
    from .metrics.kpi import summarize

    p = params if isinstance(params, ModelParams) else params_from_dict(params)
    return summarize(run_model(p))
