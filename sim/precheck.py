"""Everything that can be checked before a run starts, without building it (the run's
resources, its input files, its surges): one place that the command line, the plain
function and the job runner call."""

from __future__ import annotations

from sim.errors import ConfigError
from sim.params import ModelParams


def check(params: ModelParams):
    """Everything that can be checked before a run starts, without building it: the
    resources the run would need (:mod:`sim.guard`) and its input files (a GeoJSON map
    is read and validated). Raises :class:`ConfigError`; returns the guard's estimate."""
    from sim.guard import check as check_resources

    estimate = check_resources(params)
    if params.world.map == "geojson":
        from sim.world.geo import load_geojson

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
