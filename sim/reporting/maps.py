"""Map figures: the district with grid boundaries, service points and issue density, and
a close-up of one village."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402

from sim.reporting.figures import save  # noqa: E402
from sim.metrics.records import RunResult  # noqa: E402


def _boxes(ax, boxes: np.ndarray, **kw) -> None:
    x0, y0, x1, y1 = boxes.T
    polys = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y0]),
                      np.column_stack([x1, y1]), np.column_stack([x0, y1])], axis=1)
    ax.add_collection(PolyCollection(polys, facecolors="none", **kw))


def fig_district(res: RunResult, path: Path) -> bool:
    """District map; returns False (and writes nothing) for worlds without geometry."""
    w = res.world
    if w is None or not w.has_geometry:
        return False
    iss = res.issues
    xy = w.household_xy[iss["household"]]
    fig, ax = plt.subplots(figsize=(13, 4.2))
    hb = ax.hexbin(xy[:, 0], xy[:, 1], gridsize=(160, 36), bins="log", cmap="YlOrRd", mincnt=1, linewidths=0)
    fig.colorbar(hb, ax=ax, label="issues (log)", fraction=0.02, pad=0.01)
    _boxes(ax, w.grid_box, edgecolors="#555555", linewidths=0.15)
    ax.add_collection(PolyCollection(w.village_poly, facecolors="none", edgecolors="black", linewidths=0.4))
    ax.scatter(*w.service_point_xy.T, s=1.5, c="tab:blue", label="service point", zorder=3)
    ax.set_aspect("equal")
    ax.autoscale()
    ax.set_xlabel("km")
    ax.set_ylabel("km")
    ax.set_title(f"District: {w.n_villages} villages, {w.n_grids} micro-grids, issue density over the run")
    ax.legend(loc="upper right", fontsize=8, markerscale=4)
    save(fig, path, dpi=120)
    return True


def fig_village(res: RunResult, path: Path, village: int | None = None) -> bool:
    """Close-up of one village (the one with most grids): households, grid cells, service
    points, and issues coloured by the level that closed them."""
    w = res.world
    if w is None or not w.has_geometry:
        return False
    if village is None:
        village = int(np.argmax(np.bincount(w.grid_village)))
    fig, ax = plt.subplots(figsize=(8, 6))
    hh = np.flatnonzero(w.household_village == village)
    ax.scatter(*w.household_xy[hh].T, s=2, c="lightgrey", label="household")
    grids = np.flatnonzero(w.grid_village == village)
    _boxes(ax, w.grid_box[grids], edgecolors="tab:blue", linewidths=1.2)
    for g in grids:
        x0, y0, x1, y1 = w.grid_box[g]
        ax.text((x0 + x1) / 2, y1 - 0.04 * (y1 - y0), f"grid {g}", ha="center", va="top", fontsize=8, alpha=0.7)
    ax.scatter(*w.service_point_xy[grids].T, marker="*", s=150, c="tab:blue", label="service point", zorder=4)
    iss = res.issues
    sel = iss["village"] == village
    colors = {"grid": "tab:green", "village": "tab:orange", "town": "tab:red", "district": "purple"}
    for lvl, c in colors.items():
        m = sel & (iss["level_reached"] == lvl)
        if m.any():
            ax.scatter(*w.household_xy[iss["household"][m]].T, s=6, c=c, alpha=0.5, label=f"issue closed at {lvl}")
    ring = w.village_poly[village]
    ax.add_collection(LineCollection([np.vstack([ring, ring[:1]])], colors="black", linewidths=1))
    ax.set_aspect("equal")
    ax.autoscale()
    ax.set_title(f"Village {village}: {len(grids)} micro-grids, {len(hh):,} households, {sel.sum():,} issues")
    ax.set_xlabel("km")
    ax.legend(fontsize=7, loc="upper right")
    save(fig, path)
    return True
