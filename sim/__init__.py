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

        m = load_geojson(params.world.geojson_path)
        n = len(m.household_village)
        residents = float(m.household_size.sum()) if m.household_size is not None else None
        estimate = check_resources(params, {"households": n, **({"residents": residents} if residents else {})})
    _check_surges(params)
    return estimate


def _check_surges(params: ModelParams) -> None:
    """A surge must fall inside the simulated span (one outside it would be ignored)."""
    import datetime as dt

    start = dt.date.fromisoformat(params.run.start_date)
    for e in params.events:
        if e.extra_issues <= 0:
            continue
        day = (dt.date.fromisoformat(e.start_date) - start).days + e.start_h / 24.0
        if day < 0 or day >= params.run.horizon_days:
            end = start + dt.timedelta(days=params.run.horizon_days)
            raise ConfigError(f"events.{e.name}.start_date",
                              f"{e.start_date} is outside the simulated span ({params.run.start_date} to {end}, "
                              f"run.start_date + run.horizon_days); allowed: a date inside it, or "
                              f"events.{e.name}.extra_issues=0")


def run_model(params: ModelParams, checked: bool = False):
    """Run one model and return its :class:`~sim.model.RunResult`. A run that would not
    fit in memory or the event budget is refused first (:func:`check`), unless the caller
    has ``checked`` it already."""
    from .model import run_model as _run

    if not checked:
        check(params)
    return _run(params)


def simulate(params: dict | ModelParams) -> dict:
    """Parameters in (a nested dict or :class:`ModelParams`), KPI dict out (summary.json).
    A dict's ``scenario`` names a file of ``scenarios/`` whose parameters the dict's
    values are put on top of (``custom`` or no name: the dict alone); an unknown name is
    refused with :class:`ConfigError`."""
    from .metrics.kpi import summarize
    from .scenarios import with_scenario

    p = params if isinstance(params, ModelParams) else params_from_dict(with_scenario(params))
    return summarize(run_model(p))
