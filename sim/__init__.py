"""Agent-based simulation of party-building micro-grid governance (Chongming, Shanghai).

The plain interface, usable from any experiment tool::

    from sim import simulate
    kpis = simulate({"scenario": "mmc", "seed": 1, "mmc": {...}})

Hydra is used only by ``run.py``; nothing in this package imports it.
"""

from .errors import ConfigError
from .params import ModelParams, params_from_dict, params_to_dict
from .precheck import check

__all__ = ["ConfigError", "ModelParams", "check", "params_from_dict", "params_to_dict", "run_model", "simulate"]


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
