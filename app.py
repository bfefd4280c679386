"""The explorer in the browser: ``solara run app.py`` from the repository root.

Mesa's SolaraViz with the governance model: a map of the town (or district) as it runs,
controls for the scenario and its levers, Play / Step / Reset, and live KPI charts. The
model and its controls are in ``sim/viz/``; this file only hands them the function that
composes a scenario exactly as ``python run.py scenario=NAME`` does (``compose.py``).
``EXPLORER_HORIZON_DAYS`` (environment) shortens the simulated span, e.g. for tests.
"""

import os

from compose import scenario_dict
from sim.viz.page import explorer_page

_horizon = os.environ.get("EXPLORER_HORIZON_DAYS")
page = explorer_page(scenario_dict, horizon_days=float(_horizon) if _horizon else None)
