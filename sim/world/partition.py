"""Micro-grid partition: split each village into k contiguous, compact grids balanced by
households.

k comes from a target (area per grid in km², or households per grid), clamped to
[k_min, k_max]; or, with ``total_grids``, the district total is apportioned between
villages in proportion to that target (largest remainder, within the bounds), so that
a scenario can match a known total such as Chongming's 993.

Each village is cut by recursive household-weighted bisection: a cell that must hold k
grids is cut across the direction in which its households spread most, at the household quantile ⌊k/2⌋/k, and the two
halves get ⌊k/2⌋ and ⌈k/2⌉ grids. Cells are rectangles inside the village's bounding box,
so each grid is contiguous (for convex villages) and compact, and household counts
differ by at most one household per cut from the ideal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.apportion import largest_remainder

from sim.errors import ConfigError


@dataclass
class Partition:
    """``household_grid[h]``; ``grid_village[g]``; ``grid_box[g] = (x0, y0, x1, y1)``
    in km (the grid's cell); ``grid_area_km2[g]``."""

    household_grid: np.ndarray
    grid_village: np.ndarray
    grid_box: np.ndarray
    grid_area_km2: np.ndarray


def grids_per_village(area_km2: np.ndarray, households: np.ndarray, by: str, target: float,
                      k_min: int, k_max: int, total: int | None) -> np.ndarray:
    """Number of grids of each village (see module doc)."""
    if k_min > k_max:
        raise ConfigError("partition.k_min", f"must be <= partition.k_max ({k_max}), got {k_min}")
    want = area_km2 / target if by == "area" else households / target
    if total is None:
        return np.clip(np.round(want), k_min, k_max).astype(np.int64)
    n = len(want)
    if not n * k_min <= total <= n * k_max:
        raise ConfigError("partition.total_grids",
                          f"must lie between villages × k_min ({n * k_min}) and villages × k_max ({n * k_max}), got {total}")
    # scale the wish so that, after clamping, it sums to total (bisection on the scale)
    lo, hi = 0.0, 1e6
    for _ in range(100):
        s = 0.5 * (lo + hi)
        if np.clip(want * s, k_min, k_max).sum() < total:
            lo = s
        else:
            hi = s
    return largest_remainder(np.clip(want * hi, k_min, k_max), total, cap=k_max)


def check_grid_counts(k: np.ndarray, households: np.ndarray, pp) -> None:
    """Every grid needs a household: refuse a partition that asks a village for more
    grids than it has households, naming the parameter that asked (``pp``: the
    :class:`~sim.params.PartitionParams`)."""
    over = np.flatnonzero(k > households)
    if not len(over):
        return
    v = int(over[0])
    if pp.grids_per_village is not None:
        key = "partition.grids_per_village"
        allowed = f"at most {int(households.min())} here (the smallest village's households)"
    elif pp.total_grids is not None:
        key, allowed = "partition.total_grids", "fewer grids"
    elif k[v] == pp.k_min:
        key = "partition.k_min"
        allowed = f"at most {int(households.min())} here (the smallest village's households)"
    else:
        key = "partition.target_area_km2" if pp.by == "area" else "partition.target_households"
        allowed = "a larger target (fewer grids per village)"
    raise ConfigError(key, f"asks for {int(k[v])} grids in a village of {int(households[v])} households "
                           f"({len(over)} village(s) like that); every grid needs at least one household, "
                           f"so allowed: {allowed}")


def _bisect(idx: np.ndarray, xy: np.ndarray, box: tuple, k: int, out: list) -> None:
    if k == 1:
        out.append((box, idx))
        return
    x0, y0, x1, y1 = box
    # cut across the direction in which the households spread most (for linear
    # settlements: across the road, so a grid is a stretch of road); the box's longer side
    # when there are too few households to tell
    if len(idx) >= 2:
        sx, sy = np.ptp(xy[idx, 0]), np.ptp(xy[idx, 1])
        axis = 0 if sx >= sy else 1
    else:
        axis = 0 if (x1 - x0) >= (y1 - y0) else 1
    k1 = k // 2
    coords = xy[idx, axis]
    order = np.argsort(coords, kind="stable")
    m = int(round(len(idx) * k1 / k))
    if len(idx) == 0:
        cut = (x0 + x1) / 2 if axis == 0 else (y0 + y1) / 2
    elif m <= 0:
        cut = coords[order[0]]
    elif m >= len(idx):
        cut = coords[order[-1]]
    else:
        cut = 0.5 * (coords[order[m - 1]] + coords[order[m]])
    lo_idx, hi_idx = idx[order[:m]], idx[order[m:]]
    if axis == 0:
        b1, b2 = (x0, y0, cut, y1), (cut, y0, x1, y1)
    else:
        b1, b2 = (x0, y0, x1, cut), (x0, cut, x1, y1)
    _bisect(lo_idx, xy, b1, k1, out)
    _bisect(hi_idx, xy, b2, k - k1, out)


def partition(village_poly: list[np.ndarray], household_xy: np.ndarray, household_village: np.ndarray,
              k: np.ndarray) -> Partition:
    """Split every village into ``k[v]`` grids (see module doc)."""
    hg = np.empty(len(household_village), dtype=np.int64)
    gv, boxes = [], []
    order = np.argsort(household_village, kind="stable")
    bounds = np.searchsorted(household_village[order], np.arange(len(village_poly) + 1))
    for v, poly in enumerate(village_poly):
        idx = order[bounds[v]:bounds[v + 1]]
        box = (poly[:, 0].min(), poly[:, 1].min(), poly[:, 0].max(), poly[:, 1].max())
        cells: list = []
        _bisect(idx, household_xy, box, int(k[v]), cells)
        for b, members in cells:
            hg[members] = len(gv)
            gv.append(v)
            boxes.append(b)
    boxes = np.array(boxes)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return Partition(hg, np.array(gv), boxes, area)


def quality(p: Partition) -> dict:
    """Household balance (max/mean and cv of households per grid within villages) and
    compactness (Polsby–Popper 4πA/P² of each cell; 1 for a disc, 0.785 for a square)."""
    n_g = len(p.grid_village)
    hh = np.bincount(p.household_grid, minlength=n_g).astype(float)
    mean_v = np.bincount(p.grid_village, weights=hh) / np.bincount(p.grid_village)
    rel = hh / mean_v[p.grid_village]
    w = p.grid_box[:, 2] - p.grid_box[:, 0]
    h = p.grid_box[:, 3] - p.grid_box[:, 1]
    pp = 4 * np.pi * w * h / (2 * (w + h)) ** 2
    return {"household_balance_max_over_mean": float(rel.max()),
            "household_balance_cv": float(np.std(rel)),
            "compactness_polsby_popper_mean": float(pp.mean()),
            "compactness_polsby_popper_min": float(pp.min())}
