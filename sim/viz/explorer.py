"""The explorer's model: a Mesa ``Model`` built from keyword arguments only, as SolaraViz's
Reset rebuilds it (``type(model)(**params)``).

:class:`ExplorerModel` composes the chosen scenario (with the function it is handed:
``compose.scenario_dict``, since ``sim`` never imports Hydra), sets the levers
(:mod:`sim.viz.levers`), validates them as a run would (:func:`sim.params_from_dict`, the
resource guard) and builds a :class:`sim.model.GovernanceModel`. Each :meth:`step` advances
that model ``step_h`` hours and collects the live KPIs (:mod:`sim.viz.live`) in a Mesa
``DataCollector``. Bad input never raises: the model is then empty, not running, and
``error`` holds one line naming the control and what is allowed, for the page to show.
"""

from __future__ import annotations

import copy
import datetime as _dt
import logging
import threading
from functools import partial

import mesa

from sim.errors import ConfigError
from sim.metrics.kpi import TEAM_ORDER
from sim.viz import levers as L
from sim.viz.live import kpi_row, saturated_units

log = logging.getLogger(__name__)
_SCENARIO_CACHE: dict[str, dict] = {}
_CACHE_LOCK = threading.Lock()

REPORTERS = {
    "Day": "day",
    "Backlog": "backlog",
    "Time to fix (h)": "time_to_fix_h",
    "Resolution time (h)": "resolution_time_h",
    "On-time rate": "on_time_rate",
    "Satisfaction rate": "satisfaction_rate",
    "Staff-hours per fix": "staff_h_per_fix",
    "Cost per fix (yuan)": "cost_per_fix_yuan",
    **{f"Utilisation {t}": f"util_{t}" for t in TEAM_ORDER},
    **{f"Staff-hours {t}": f"staff_h_{t}" for t in TEAM_ORDER},
}
"""DataCollector model reporters: column name → key of :func:`sim.viz.live.kpi_row`."""


def read_kpi(model, key: str) -> float:
    """A model reporter: one key of the step's KPI row (bound with ``functools.partial``)."""
    return model.kpis[key]


def scenario_data(compose, name: str) -> dict:
    """The composed parameters of scenario ``name`` (cached: composing takes ~0.5 s)."""
    with _CACHE_LOCK:
        if name not in _SCENARIO_CACHE:
            _SCENARIO_CACHE[name] = compose(name)
        return copy.deepcopy(_SCENARIO_CACHE[name])


class ExplorerModel(mesa.Model):
    """The governance model for the explorer (see the module doc). Keyword arguments: the
    controls of :data:`sim.viz.levers.DEFAULTS`, ``compose`` (scenario name → parameter
    dict) and ``horizon_days`` (None: the scenario's)."""

    def __init__(self, *, scenario_name: str = L.DEFAULTS["scenario_name"],
                 grids_per_village: str = L.DEFAULTS["grids_per_village"],
                 management_team_pct: int = 100, work_team_pct: int = 100, volunteer_team_pct: int = 100,
                 departments_pct: int = 100, dispatch_rule: str = L.AS_SCENARIO,
                 escalation_rule: str = L.AS_SCENARIO, on_overdue: str = L.AS_SCENARIO,
                 fused_nets: bool = True, step_h: int = 6, seed: int = 0, horizon_days: float | None = None,
                 compose=None, rng=None):
        super().__init__(rng=rng if rng is not None else 0)
        self.levers = {"scenario_name": scenario_name, "grids_per_village": grids_per_village,
                       "management_team_pct": management_team_pct, "work_team_pct": work_team_pct,
                       "volunteer_team_pct": volunteer_team_pct, "departments_pct": departments_pct,
                       "dispatch_rule": dispatch_rule, "escalation_rule": escalation_rule, "on_overdue": on_overdue,
                       "fused_nets": fused_nets, "step_h": step_h, "seed": seed}
        self.error: str | None = None
        self.warnings: list[str] = []
        self.sim = None
        self.kpis = kpi_row(_Idle())
        self.datacollector = mesa.DataCollector(
            model_reporters={k: partial(read_kpi, key=v) for k, v in REPORTERS.items()})
        try:
            self.sim = self._build(compose, horizon_days)
        except ConfigError as e:
            self.error = f"{e.key}: {e.message}"
        except Exception as e:  # the page must stay up whatever a combination does; the server logs it
            log.exception("explorer: the model could not be built with %s", self.levers)
            self.error = f"the model could not be built: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        if self.sim is None:
            self.running = False
        else:
            self.warnings = self._warnings()
        self.datacollector.collect(self)

    def _build(self, compose, horizon_days):
        from sim.params import params_from_dict
        from sim.precheck import check
        from sim.model import GovernanceModel

        if compose is None:
            raise ConfigError("compose", "the explorer needs the function that composes a scenario "
                                         "(app.py passes compose.scenario_dict)")
        if self.levers["scenario_name"] not in L.SCENARIOS:
            raise ConfigError("scenario_name", f"must be one of {', '.join(L.SCENARIOS)}; "
                                               f"got {self.levers['scenario_name']!r}")
        d = L.apply(self.levers, scenario_data(compose, self.levers["scenario_name"]))
        if horizon_days is not None:
            d["run"]["horizon_days"] = horizon_days
        p = params_from_dict(d)
        check(p)
        step_h = self.levers["step_h"]
        return GovernanceModel(p, step_h=step_h)

    # ------------------------------------------------------------------ running
    def step(self) -> None:
        """Advance the governance model one span and collect the live KPIs."""
        if self.sim is None or not self.sim.running:
            self.running = False
            return
        self.sim.step()
        self.kpis = kpi_row(self.sim)
        self.warnings = self._warnings()
        self.datacollector.collect(self)
        self.running = self.sim.running

    def _warnings(self) -> list[str]:
        """Units that cannot keep up: offered more work than their staff's hours before the
        run (sim.metrics.capacity: ρ ≥ 1), then any whose people have been near saturated
        with a growing queue so far (the live check), at most three of each."""
        from sim.metrics.capacity import unstable

        out = [f"unstable: {u.unit} ({u.level}) is offered {u.rho:.2f} times the work its staff can do: its queue "
               f"keeps growing (more staff, or another escalation rule)" for u in unstable(self.sim.loads)[:3]]
        named = {u.unit for u in unstable(self.sim.loads)}
        out += [f"unstable: {u['unit']} ({u['level']}) has been busy {min(u['rho'], 1.0):.0%} of its working "
                f"time with {u['waiting']} issues waiting for {u['servers']} staff: its queue keeps growing "
                f"(more staff, or another escalation rule)"
                for u in saturated_units(self.sim, self.sim.now_h)[:3] if u["unit"] not in named]
        return out

    # ------------------------------------------------------------------ what the page shows
    @property
    def now_h(self) -> float:
        return self.sim.now_h if self.sim is not None else 0.0

    def clock(self) -> str:
        """The simulated time reached, e.g. ``Wed 05 Mar 2025, 14:00 · day 2.58``."""
        if self.sim is None:
            return "no model"
        when = _dt.datetime.combine(self.sim.start_date, _dt.time()) + _dt.timedelta(hours=self.sim.now_h)
        return f"{when:%a %d %b %Y, %H:%M} · day {self.sim.now_h / 24.0:.4g}"


class _Idle:
    """A model at time 0 (for the first, empty KPI row)."""

    now_h = 0.0
