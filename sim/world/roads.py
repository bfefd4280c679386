"""Roads, routes and patches: where people walk.

Households lie along roads (Chongming's linear settlements). Each household has a road
piece, an arc position along it (``s_km``) and a distance to the side of it
(``offset_km``). A grid's households in road order define the grid's *route*: walking the
grid means passing them in that order, so a household's route coordinate ``route_km`` is
the distance walked from the grid's first household (along the road on the same piece,
straight across between pieces). A team member's *patch* (分片包干) is a contiguous stretch
of its grid's route holding a near-equal share of the grid's households.

Maps without road geometry (GeoJSON points) get one road per village along the village's
principal axis through its household centroid (see :func:`fallback_roads`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_PATCH_KM = 0.05
"""A patch is at least this long (a single household still takes a short walk)."""


def fallback_roads(household_xy: np.ndarray, household_village: np.ndarray, n_villages: int):
    """One straight road per village along its households' principal axis.

    Returns ``(household_road, s_km, offset_km, road_xy)`` with road id = village id."""
    road = household_village.astype(np.int64).copy()
    s = np.zeros(len(household_xy))
    off = np.zeros(len(household_xy))
    lines = []
    order = np.argsort(household_village, kind="stable")
    bounds = np.searchsorted(household_village[order], np.arange(n_villages + 1))
    for v in range(n_villages):
        idx = order[bounds[v]:bounds[v + 1]]
        if len(idx) == 0:
            lines.append(np.zeros((2, 2)))
            continue
        xy = household_xy[idx]
        c = xy.mean(axis=0)
        d = xy - c
        if len(idx) >= 2 and np.ptp(d, axis=0).max() > 0:
            _, _, vt = np.linalg.svd(d, full_matrices=False)
            axis = vt[0]
        else:
            axis = np.array([1.0, 0.0])
        along = d @ axis
        lo = along.min()
        s[idx] = along - lo
        off[idx] = np.abs(d @ np.array([-axis[1], axis[0]]))
        lines.append(np.vstack([c + lo * axis, c + along.max() * axis]))
    return road, s, off, lines


@dataclass
class Routes:
    """Route coordinates of households within their grid (km) and each grid's route length."""

    route_km: np.ndarray  # per household
    order: np.ndarray  # households in grid-then-route order
    grid_first: np.ndarray  # index into ``order`` where each grid starts (n_grids + 1)
    grid_length_km: np.ndarray  # per grid


def _tour(order: np.ndarray, first: np.ndarray, road: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Within each grid (``order[first[g]:first[g+1]]``, sorted by road then arc position),
    walk the road pieces in a sensible order: start at the piece end furthest west (then
    south), then always on to the nearest end of a piece not yet walked, walking it from
    that end (greedy nearest neighbour). So a grid with parallel roads is walked up one and
    down the next, not up each from the same side with a jump back between them."""
    out = order.copy()
    for g in range(len(first) - 1):
        a, b = int(first[g]), int(first[g + 1])
        if b - a < 2:
            continue
        idx = order[a:b]
        r = road[idx]
        cut = np.flatnonzero(r[1:] != r[:-1]) + 1
        if len(cut) == 0:
            continue
        pieces = np.split(idx, cut)
        ends = np.array([[xy[p[0]], xy[p[-1]]] for p in pieces])  # (pieces, 2 ends, 2)
        flat = ends.reshape(-1, 2)
        start = int(np.lexsort((flat[:, 1], flat[:, 0]))[0])
        left = np.ones(len(pieces), dtype=bool)
        k, rev = start // 2, start % 2 == 1
        seq = []
        while True:
            left[k] = False
            seq.append(pieces[k][::-1] if rev else pieces[k])
            if not left.any():
                break
            here = ends[k, 0] if rev else ends[k, 1]
            d = np.hypot(*(ends - here).transpose(2, 0, 1))  # (pieces, 2)
            d[~left] = np.inf
            j = int(np.argmin(d))
            k, rev = j // 2, j % 2 == 1
        out[a:b] = np.concatenate(seq)
    return out


def grid_routes(household_grid: np.ndarray, household_road: np.ndarray, s_km: np.ndarray,
                household_xy: np.ndarray, n_grids: int) -> Routes:
    """Order each grid's households along its roads and measure the walk (see module doc)."""
    order = np.lexsort((s_km, household_road, household_grid))
    order = _tour(order, np.searchsorted(household_grid[order], np.arange(n_grids + 1)), household_road,
                  household_xy)
    g = household_grid[order]
    r = household_road[order]
    s = s_km[order]
    xy = household_xy[order]
    step = np.zeros(len(order))
    if len(order) > 1:
        same_road = r[1:] == r[:-1]
        jump = np.hypot(*(xy[1:] - xy[:-1]).T)
        step[1:] = np.where(same_road, np.abs(s[1:] - s[:-1]), jump)
        step[1:][g[1:] != g[:-1]] = 0.0
    cum = np.cumsum(step)
    first = np.searchsorted(g, np.arange(n_grids + 1))
    start = np.where(first[:-1] < len(order), cum[np.minimum(first[:-1], len(order) - 1)], 0.0)
    route = np.empty(len(order))
    route[order] = cum - np.repeat(start, np.diff(first))
    last = np.maximum(first[1:] - 1, first[:-1])
    length = np.where(first[1:] > first[:-1], cum[np.minimum(last, len(order) - 1)] - start, 0.0)
    return Routes(route, order, first, np.maximum(length, MIN_PATCH_KM))


@dataclass
class Patches:
    """One team's patches: ``owner[h]`` the local patch index of household h within its grid
    (0..members−1, −1 where the grid has no member), ``u_km[h]`` its position along its
    patch, ``patch_start_km`` and ``patch_length_km`` per patch (grid-major order), and
    ``grid_first_patch[g]`` where grid g's patches start."""

    owner: np.ndarray
    u_km: np.ndarray
    patch_start_km: np.ndarray
    patch_length_km: np.ndarray
    grid_first_patch: np.ndarray


def split_patches(routes: Routes, household_grid: np.ndarray, members_per_grid: np.ndarray) -> Patches:
    """Cut each grid's route into ``members_per_grid[g]`` contiguous patches holding
    near-equal numbers of households (the grid's k-th household in route order goes to
    patch ⌊k · m / n⌋)."""
    n_g = len(members_per_grid)
    order, first = routes.order, routes.grid_first
    n_hh = np.diff(first)
    m = members_per_grid.astype(np.int64)
    g_sorted = household_grid[order]
    k = np.arange(len(order)) - first[g_sorted]
    mg = m[g_sorted]
    local = np.where(mg > 0, (k * mg) // np.maximum(n_hh[g_sorted], 1), -1)
    owner = np.empty(len(order), dtype=np.int64)
    owner[order] = local
    grid_first_patch = np.concatenate(([0], np.cumsum(m)))
    n_p = int(grid_first_patch[-1])
    pid = np.where(local >= 0, grid_first_patch[g_sorted] + local, -1)
    r = routes.route_km[order]
    has = pid >= 0
    start = np.full(n_p, np.inf)
    end = np.full(n_p, -np.inf)
    np.minimum.at(start, pid[has], r[has])
    np.maximum.at(end, pid[has], r[has])
    empty = ~np.isfinite(start)
    start[empty] = 0.0
    end[empty] = 0.0
    u = np.zeros(len(order))
    u[order[has]] = r[has] - start[pid[has]]
    return Patches(owner, u, start, np.maximum(end - start, MIN_PATCH_KM), grid_first_patch)
