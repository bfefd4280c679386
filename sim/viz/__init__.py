"""The explorer: the governance model in the browser, on Mesa's own visualisation
(``solara run app.py`` from the repository root).

- :mod:`sim.viz.levers`: the controls (scenario and levers) as Mesa ``model_params``, and
  how each becomes a model parameter;
- :mod:`sim.viz.explorer`: :class:`~sim.viz.explorer.ExplorerModel`, a Mesa ``Model`` built
  from keyword arguments (SolaraViz's Reset calls ``type(model)(**params)``) that steps the
  governance model a span at a time and gathers the live KPIs in a Mesa ``DataCollector``;
- :mod:`sim.viz.live`: the live KPIs, the run's official KPIs as if it ended now;
- :mod:`sim.viz.drawing`: the map and the charts (``matplotlib.figure.Figure``, no pyplot:
  Solara serves several sessions from threads);
- :mod:`sim.viz.page`: the Solara components and the page.

Nothing here imports Hydra: the page is handed the function that composes a scenario
(``compose.scenario_dict``).
"""
