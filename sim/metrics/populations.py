"""The populations KPIs are measured on, each rule written once.

The decision KPIs (time to fix, as residents feel it) are measured on issues that
*occurred* in the KPI window [``warmup_h``, horizon), followed past the horizon through the
drain (``run.drain_days``).

Official definitions (as China's city-management and 12345 centres report them, for the
tickets of a reporting period):

- *reported*: reported in the KPI window [``warmup_h``, horizon);
- *dispatched*: sent to a handling unit (on-the-spot fixes are counted apart and excluded
  from every handling-time KPI);
- *due* (应结案): dispatched and either closed or past its handling deadline by the time
  the run stopped (the horizon plus the drain).

:func:`dispatched` and :func:`due` work on raw columns (the records use them for
``on_time``); :class:`Populations` applies them to an issue table after the warm-up.
"""

from __future__ import annotations

import numpy as np

POPULATIONS = {
    "occurred": "occurred in the KPI window (after the warm-up, before the horizon)",
    "occurred_fixed": "occurred in the KPI window and fixed (closed, or fixed on the spot) by the end of the drain",
    "reported": "reported in the KPI window",
    "reported_closed": "reported after the warm-up and closed (on-the-spot fixes included)",
    "dispatched": "reported after the warm-up and dispatched to a unit",
    "dispatched_closed": "dispatched and closed",
    "dispatched_handled": "dispatched and handled",
    "due": "dispatched, and closed or past its deadline by the end of the drain (应结案)",
    "rated": "closures rated by the household that reported them, reported after the warm-up",
}
"""Every population a KPI may declare (:mod:`sim.metrics.registry`)."""


def reported_in(t_reported: np.ndarray, a: float, b: float | None = None) -> np.ndarray:
    """Issues reported in [a, b) (from ``a`` on when ``b`` is None)."""
    m = np.isfinite(t_reported) & (t_reported >= a)
    return m if b is None else m & (t_reported < b)


def dispatched(t_dispatched: np.ndarray, on_spot: np.ndarray) -> np.ndarray:
    """Issues sent to a handling unit (not fixed on the spot), by their dispatch time."""
    return np.isfinite(t_dispatched) & ~on_spot


def due(dispatched_: np.ndarray, closed: np.ndarray, deadline: np.ndarray, horizon_h: float) -> np.ndarray:
    """应结案: dispatched issues closed, or past their deadline (NaN or inf: none) by the horizon."""
    return dispatched_ & (closed | (np.nan_to_num(deadline, nan=np.inf) <= horizon_h))


class Populations:
    """The populations of an issue table (:func:`sim.metrics.records.issue_table`) for a
    run with warm-up ``warmup_h`` and horizon ``horizon_h`` that stopped at ``observed_h``
    (the horizon plus the drain; the horizon when None); reported (occurred) in [a, b)
    instead when ``window`` = (a, b) (a surge event's issues)."""

    def __init__(self, iss: dict, warmup_h: float, horizon_h: float, window: tuple[float, float] | None = None,
                 observed_h: float | None = None):
        self.iss = iss
        rep = iss["t_reported_h"]
        self.spot = iss["on_spot"]
        self.closed_any = ~np.isnan(iss["t_closed_h"])
        a, b = window if window is not None else (warmup_h, horizon_h)
        self.window = (a, b)
        self.reported = reported_in(rep, a, b)
        self.dispatched = self.reported & dispatched(iss["t_dispatched_h"], self.spot)
        end = horizon_h if observed_h is None else observed_h
        self.due = due(self.dispatched, self.closed_any, iss["deadline_h"], end)

    @classmethod
    def of(cls, res, window: tuple[float, float] | None = None) -> "Populations":
        """The populations of a run's records (:class:`sim.metrics.records.RunResult`)."""
        p = res.params
        return cls(res.issues, p.warmup_h, p.horizon_h, window, res.observed_until_h)

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "occurred":
            return reported_in(self.iss["t_occurred_h"], *self.window)
        if name == "occurred_fixed":
            return self["occurred"] & self.closed_any
        if name == "reported_closed":
            return self.reported & self.closed_any
        if name == "dispatched_closed":
            return self.dispatched & self.closed_any
        if name == "dispatched_handled":
            return self.dispatched & np.isfinite(self.iss["t_handled_h"])
        if name == "rated":
            return self.reported & (self.iss["rating"] != "")
        if name in ("reported", "dispatched", "due"):
            return getattr(self, name)
        raise KeyError(f"no population {name!r}; populations: {', '.join(POPULATIONS)}")


def flag(iss: dict, name: str) -> np.ndarray:
    """A per-issue flag that a rate counts (:data:`FLAGS`)."""
    if name == "closed":
        return ~np.isnan(iss["t_closed_h"])
    if name == "on_time":
        return np.nan_to_num(iss["on_time"].astype(float), nan=0.0) > 0
    col, test = FLAGS[name]
    return iss[col] > 0 if test else iss[col]


FLAGS = {"closed": (None, None), "on_time": (None, None), "escalated": ("escalations", True),
         "boundary": ("boundary", False), "helped": ("helped", False),
         "routed_up": ("routed_up", True), "reworked": ("reworks", True),
         "extension_granted": ("extension_granted", False), "supervised": ("supervised", False)}
"""Flags a rate may count: an issue-table column (``> 0`` where the column is a count)."""
