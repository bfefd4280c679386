"""The explorer's page: Mesa's ``SolaraViz`` (controls, Play/Step/Reset, model parameters in
the sidebar) with three components of its own: the status line (simulated clock, scenario,
messages), the map and the live KPI charts.

SolaraViz lays components out in a draggable grid, two half-width panels per row; the
explorer starts from a layout of its own (status across the top, map and charts side by
side below), set through ``mesa.visualization.solara_viz.make_initial_grid_layout`` (Mesa
3.5.1, pinned; any other number of components keeps Mesa's layout).
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz
from mesa.visualization import solara_viz as _mesa_solara_viz
from mesa.visualization.utils import update_counter

from sim.viz import levers
from sim.viz.drawing import MapGeometry, draw_charts, draw_map, longest_queues
from sim.viz.explorer import ExplorerModel

TITLE = "Micro-grid governance explorer: Chongming"
_MESA_LAYOUT = _mesa_solara_viz.make_initial_grid_layout


def _layout(num_components: int) -> list[dict]:
    """Status across the top, map and charts side by side (in grid rows of 30 px)."""
    if num_components != 3:
        return _MESA_LAYOUT(num_components)
    return [{"i": 0, "x": 0, "y": 0, "w": 12, "h": 3, "moved": False},
            {"i": 1, "x": 0, "y": 3, "w": 6, "h": 22, "moved": False},
            {"i": 2, "x": 6, "y": 3, "w": 6, "h": 22, "moved": False}]


def _geometry(model: ExplorerModel) -> MapGeometry:
    sim = model.sim
    geo = getattr(sim, "_viz_geometry", None)
    if geo is None:
        geo = sim._viz_geometry = MapGeometry(sim.world)
    return geo


def describe(model: ExplorerModel) -> str:
    """One line: what is being run (scenario and the levers moved from their defaults)."""
    lv = model.levers
    moved = [f"{k.replace('_', ' ')} {v}" for k, v in lv.items()
             if k not in ("scenario_name", "seed", "step_h") and v != levers.DEFAULTS[k]]
    s = f"{lv['scenario_name']} · seed {lv['seed']} · steps of {lv['step_h']} h"
    return s + (" · " + ", ".join(moved) if moved else "")


@solara.component
def Status(model: ExplorerModel):
    """The simulated clock, what runs, and any message (bad input, an unstable unit)."""
    update_counter.get()  # re-render on Step / Play (SolaraViz bumps the counter)
    with solara.Column(gap="2px", style={"padding": "4px 8px"}):
        if model.error:
            solara.Error(f"Not built — {model.error}. Change the control and press Reset.",
                         classes=["explorer-error"])
            return
        open_now = int(model.kpis["backlog"])
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<span class='explorer-clock' style='font-size:1.25em;font-weight:600'>{model.clock()}</span>"
            f"&nbsp;&nbsp;<span style='color:#555'>{describe(model)} · {open_now} issues open"
            f"{' · horizon reached' if not model.running else ''}</span>"))
        for w in model.warnings:
            solara.Warning(w, classes=["explorer-warning"])


@solara.component
def MapView(model: ExplorerModel):
    """The map of the town or district now (see :mod:`sim.viz.drawing`)."""
    update_counter.get()
    if model.sim is None or not model.sim.world.has_geometry:
        solara.Text("No map: the model was not built (see the message above)." if model.sim is None
                    else "This scenario has no map.")
        return
    sim = model.sim
    geo = _geometry(model)
    title = (f"{geo.n_villages} villages, {geo.n_grids} micro-grids, {len(geo.household_xy):,} households "
             f"— {model.clock().split(' · ')[0]}")
    fig = draw_map(sim, geo, getattr(sim, "_live_records", None) and sim._live_records.issues, title)
    solara.FigureMatplotlib(fig, format="png", dpi=110)


@solara.component
def Charts(model: ExplorerModel):
    """Live KPI charts from the model's DataCollector."""
    update_counter.get()
    df = model.datacollector.get_model_vars_dataframe()
    queues = longest_queues(model.sim) if model.sim is not None else []
    fig = draw_charts(df, queues)
    solara.FigureMatplotlib(fig, format="png", dpi=110)


def explorer_page(compose, horizon_days: float | None = None, **viz_kwargs):
    """The SolaraViz page of an :class:`ExplorerModel` with the default controls;
    ``compose`` turns a scenario name into its parameter dict (``compose.scenario_dict``)."""
    _mesa_solara_viz.make_initial_grid_layout = _layout
    model = ExplorerModel(compose=compose, horizon_days=horizon_days)
    return SolaraViz(model, components=[Status, MapView, Charts],
                     model_params=levers.model_params(compose, horizon_days), name=TITLE,
                     **({"play_interval": 300} | viz_kwargs))
