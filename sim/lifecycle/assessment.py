"""Assessment that feeds back (考核评价): the district's monthly ranking of its grids.

On the first day of each month the grids are ranked by the past month's closures
(on-time rate, then mean resolution time; grids with fewer than
``assessment.min_closed`` closures are not ranked). For the next month, the lowest
``bottom_share`` are rectified (supervision and training: the town's staff spend
``supervision_h_per_grid`` with each) and their members find and fix more
(``bottom_effect``: the detection chance of their rounds and the chance of a fix on the spot
× (1 + effect)); the highest ``top_share`` are recognised (``top_effect``, smaller). The
multipliers are :attr:`Assessment.boost`, read by discovery. Parameters:
:class:`sim.params.AssessmentParams`.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np


class Assessment:
    """The monthly ranking and its effect (see module doc)."""

    def __init__(self, p, n_grids: int, start: _dt.date):
        self.a = p.assessment
        self.enabled = self.a.enabled and n_grids > 1
        self.start = start
        self.boost = np.ones(n_grids)  # per grid: × detection chance and × on-the-spot chance
        self.closed = np.zeros(n_grids)
        self.on_time = np.zeros(n_grids)
        self.res_h = np.zeros(n_grids)
        self.rectified_grid_months = 0
        self.recognised_grid_months = 0

    def closure(self, grid: int, on_time: bool, resolution_h: float) -> None:
        """A dispatched issue of ``grid`` was closed: it counts in the month's ranking."""
        self.closed[grid] += 1
        self.on_time[grid] += on_time
        self.res_h[grid] += resolution_h

    def day(self, t: float) -> None:
        """Midnight at ``t``: on the first of a month, rank and set next month's effects."""
        if not self.enabled or (self.start + _dt.timedelta(hours=t)).day != 1:
            return
        a = self.a
        ranked = np.flatnonzero(self.closed >= a.min_closed)
        self.boost[:] = 1.0
        if len(ranked) >= 2:
            rate = self.on_time[ranked] / self.closed[ranked]
            mean_h = self.res_h[ranked] / self.closed[ranked]
            order = ranked[np.lexsort((mean_h, -rate))]  # best first
            k_low = int(np.floor(a.bottom_share * len(order)))
            k_top = int(np.floor(a.top_share * len(order)))
            if k_low:
                self.boost[order[-k_low:]] = 1.0 + a.bottom_effect
            if k_top:
                self.boost[order[:k_top]] = 1.0 + a.top_effect
            self.rectified_grid_months += k_low
            self.recognised_grid_months += k_top
        self.closed[:] = 0.0
        self.on_time[:] = 0.0
        self.res_h[:] = 0.0

    def kpis(self) -> dict:
        """``assessment`` of ``summary.json``: grid-months rectified and recognised, and the
        supervision hours the rectification cost."""
        return {"enabled": bool(self.enabled), "rectified_grid_months": self.rectified_grid_months,
                "recognised_grid_months": self.recognised_grid_months,
                "supervision_h": self.rectified_grid_months * self.a.supervision_h_per_grid}
