"""Largest-remainder apportionment (Hamilton's method), the one implementation.

Used to split district totals into whole numbers: residents between towns
(:mod:`sim.world.chongming`), grids between villages (:mod:`sim.world.partition`) and team
members between grids (:mod:`sim.agents.teams`).
"""

from __future__ import annotations

import numpy as np


def largest_remainder(x: np.ndarray, total: int, cap: int | None = None) -> np.ndarray:
    """Whole numbers closest to the real quotas ``x`` that sum to ``total`` (when the quotas
    do): each gets the floor of its quota, and the units left over go one each to the
    largest remainders (ties: the earlier entry), skipping entries already at ``cap``."""
    k = np.floor(x).astype(np.int64)
    rest = int(total - k.sum())
    if rest > 0:
        order = np.argsort(-(x - k), kind="stable")
        if cap is not None:
            order = order[k[order] < cap]
        k[order[:rest]] += 1
    return k


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to ``weights`` (largest remainder); zeros when there is
    nothing to split."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    return largest_remainder(total * weights / weights.sum(), total)
