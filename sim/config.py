"""From the application's configuration, as plain data, to the model's parameters
(Hydra-free: ``run.py`` and ``compose.py`` compose with Hydra and hand the result here).

- :func:`register` puts the schema (every model parameter with its default, derived from
  the :mod:`sim.params` dataclasses, plus the application keys) into a config store;
- :func:`model_data` strips the application keys; :func:`run_config` / :func:`run_hash`
  are a run's identity (what its results depend on);
- :func:`validate` is the one check a run gets before anything is written: the
  application keys, the parameters, the resources and input files (:func:`sim.check`), a
  sensitivity analysis's spec and the close-up village.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.errors import ConfigError
from sim.reporting.options import ReportOptions, report_options
from sim.schema import APP_DEFAULTS, config_schema

APP_KEYS = tuple(APP_DEFAULTS)
"""Keys of the application, not of the model (see sim.schema.APP_DEFAULTS)."""


def register(store) -> None:
    """Store the schema as ``model_defaults`` (``store``: Hydra's ConfigStore instance)."""
    store.store(name="model_defaults", node=config_schema())


def model_data(data: dict) -> dict:
    """The model's parameters (application keys removed) of a resolved config."""
    return {k: v for k, v in data.items() if k not in APP_KEYS}


def report_config(data: Mapping, check_font: bool = True) -> ReportOptions:
    """The validated ``report`` options (a bool is refused: the key is a mapping,
    ``report.enabled=false`` switches the report off)."""
    return report_options(data.get("report"), check_font=check_font, allow_bool=False)


def check_app_keys(data: Mapping) -> ReportOptions:
    """Check the application's own keys (report, experiment); return the report options."""
    opts = report_config(data)
    e = data.get("experiment")
    if e is not None and not isinstance(e, Mapping):
        raise ConfigError("experiment", f"must name a file of conf/experiment (experiment=NAME), got {e!r}")
    return opts


def run_config(data: dict) -> dict:
    """What a run's results depend on: the resolved model parameters and report options
    (not the sweep's ``experiment`` block, which only says how runs are compared)."""
    return {k: v for k, v in data.items() if k != "experiment"}


def run_hash(data: dict) -> str:
    """Identity of a run (manifest ``config_hash``): hash of :func:`run_config`."""
    from sim.store import config_hash

    return config_hash(run_config(data))


def validate(data: dict, village: bool = True):
    """Everything about a resolved config that can be checked before a run; returns the
    parameters (:class:`sim.params.ModelParams`). Raises :class:`ConfigError`."""
    from sim.params import params_from_dict
    from sim.precheck import check

    check_app_keys(data)
    model = model_data(data)
    params = params_from_dict(model)
    check(params)
    spec = data.get("experiment") or {}
    if spec.get("type") == "sensitivity":
        from sim.experiments.sensitivity import check_spec

        check_spec(spec, model)
    elif spec.get("type") == "screen":
        from sim.calibration.screen import check_spec as check_screen

        check_screen(spec, model)
    elif spec.get("type") == "calibrate":
        from sim.calibration.abc import check_spec as check_calibrate

        check_calibrate(spec, model)
    elif spec.get("type") == "optimise":
        from sim.experiments.optimise import check_spec as check_optimise

        check_optimise(spec)
    opts = report_config(data)
    if village and opts.enabled and opts.village is not None:
        from sim.reporting.options import check_village

        check_village(params, opts.village)  # builds the map once: a bad village fails before anything is written
    return params
