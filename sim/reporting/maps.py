"""Map figures: the district (towns with their borders and names, villages, micro-grids,
service points, issue density) and a close-up of one village (its grids, households,
service points and issues by the level that closed them). Coordinates in km.

Both draw from the :class:`~sim.world.world.World` interface only; town outlines are the
union of their villages' polygons, so they work on any map."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from sim.reporting.doc import fmt  # noqa: E402

from sim.reporting.figures import LEVEL_COLORS, bold, label_boxes_overlap, place_labels, save  # noqa: E402
from sim.reporting.i18n import Tr  # noqa: E402
from sim.reporting.places import (grid_shapes, label_points, rings, town_shapes, village_place,  # noqa: E402
                                  village_shapes)

HALO = [pe.withStroke(linewidth=3, foreground="white")]
#: light, neutral fills for neighbouring grid cells (not the level colours of issues)
GRID_FILLS = ("#d6e4f2", "#efe9d8", "#e2e2e2", "#d9eeee", "#e9e0f0", "#f3e3e3")


def _lines(geoms) -> list[np.ndarray]:
    out = []
    for g in geoms:
        out += rings(g)
    return out


def _land_patch(village_shapes_: list, ax):
    """A patch of the villages' union (to clip area fills to the land)."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath
    from shapely.ops import unary_union

    parts = [MPath(r, closed=True) for r in rings(unary_union(village_shapes_).buffer(1e-3))]
    return PathPatch(MPath.make_compound_path(*parts), transform=ax.transData, facecolor="none", edgecolor="none")


def _km_axes(ax, T: Tr) -> None:
    ax.set_aspect("equal")
    ax.set_xlabel(T("axis.x_km"))
    ax.set_ylabel(T("axis.y_km"))


def fig_district(res, path: Path, T: Tr) -> dict | bool:
    """District map; returns False (and writes nothing) for worlds without geometry, else
    ``{"labels": town names drawn, "overlaps": pairs of labels whose boxes overlap}``."""
    w = res.world
    if w is None or not w.has_geometry:
        return False
    vs = village_shapes(w)
    ts = town_shapes(w, vs)
    gs = grid_shapes(w, vs)
    x0 = min(v.bounds[0] for v in vs)
    y0 = min(v.bounds[1] for v in vs)
    x1 = max(v.bounds[2] for v in vs)
    y1 = max(v.bounds[3] for v in vs)
    span_x, span_y = x1 - x0, y1 - y0
    width = 14.0
    height = min(max(width * span_y / span_x + 1.6, 4.5), 12.0)
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    iss = res.issues
    if "household" in iss and len(iss["household"]):
        xy = w.household_xy[iss["household"]]
        nx = max(20, int(span_x / 0.45))
        ny = max(8, int(nx * span_y / span_x / np.sqrt(3)))
        hb = ax.hexbin(xy[:, 0], xy[:, 1], gridsize=(nx, ny), bins="log", cmap="YlOrRd", mincnt=1, linewidths=0,
                       extent=(x0, x1, y0, y1), alpha=0.8)
        hb.set_clip_path(_land_patch(vs, ax))
        cb = fig.colorbar(hb, ax=ax, label=T("fig.district.density", size=fmt(span_x / nx, T.lang)), fraction=0.02,
                          pad=0.01, shrink=0.9)
        plain = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}")
        cb.ax.yaxis.set_major_formatter(plain)
        cb.ax.yaxis.set_minor_formatter(plain if hb.get_array().max() < 30 else NullFormatter())
    ax.add_collection(LineCollection(_lines(gs.values()), colors="#8a8a8a", linewidths=0.25, zorder=2))
    ax.add_collection(LineCollection(_lines(vs), colors="#3a3a3a", linewidths=0.55, zorder=3))
    ax.add_collection(LineCollection(_lines(ts), colors="black", linewidths=1.8, zorder=4))
    ax.scatter(*w.service_point_xy.T, s=float(np.clip(3000.0 / w.n_grids, 3.0, 12.0)), c="#1f4e9c", zorder=5,
               linewidths=0)
    pad = 0.02 * span_x
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    _km_axes(ax, T)
    ax.set_title(T("fig.district.title", district=T("fig.district.name"), towns=T.n("count.towns", w.n_towns),
                   villages=T.n("count.villages", w.n_villages), grids=T.n("count.grids", w.n_grids)))
    handles = [Line2D([], [], color="black", lw=1.8, label=T("fig.district.town_border")),
               Line2D([], [], color="#3a3a3a", lw=0.8, label=T("fig.district.village_border")),
               Line2D([], [], color="#8a8a8a", lw=0.6, label=T("fig.district.grid_border")),
               Line2D([], [], marker="o", ls="", color="#1f4e9c", markersize=4, label=T("fig.district.service_point"))]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False, fontsize=9)
    names = w.names("town", T.lang)
    order = sorted(range(w.n_towns), key=lambda t: -(ts[t].area if ts[t] is not None else 0))
    labels = place_labels(ax, [str(names[t]) for t in order], [label_points(ts[t]) for t in order],
                          fontsize_steps=(1.0, 0.85, 0.7, 0.6), within=[ts[t] for t in order], wrap=True, fontsize=12, ha="center", va="center", zorder=6,
                          fontweight=bold(T.lang), path_effects=HALO)
    info = {"labels": [t.get_text() for t in labels], "overlaps": label_boxes_overlap(labels)}
    save(fig, path)
    return info


MAX_GRID_LABELS = 40
"""Grid labels in the village close-up: up to this many grids (a Chongming village has
3-10); beyond, the labels would cover the map (and placing them took seconds)."""


def fig_village(res, path: Path, T: Tr, village: int) -> dict | bool:
    """Close-up of ``village`` (see :func:`sim.reporting.places.close_up_village`): grid
    cells, households, service points, and issues coloured by the level that closed
    them. Returns False for worlds without geometry, else ``{"labels", "overlaps"}`` of
    the grid labels."""
    w = res.world
    if w is None or not w.has_geometry:
        return False
    vs = village_shapes(w)
    grids = np.flatnonzero(w.grid_village == village)
    cells = grid_shapes(w, vs, grids)
    hh = np.flatnonzero(w.household_village == village)
    iss = res.issues
    sel = np.asarray(iss["village"]) == village
    fig, ax = plt.subplots(figsize=(10, 7.2), layout="constrained")
    polys = []
    for k, g in enumerate(grids):
        for r in rings(cells[g])[:1]:
            polys.append((r, GRID_FILLS[k % len(GRID_FILLS)]))
    ax.add_collection(PolyCollection([p for p, _ in polys], facecolors=[c for _, c in polys], edgecolors="none",
                                     alpha=0.8, zorder=1))
    ax.add_collection(LineCollection(_lines(cells.values()), colors="#1f77b4", linewidths=1.4, zorder=3))
    ax.add_collection(LineCollection(rings(vs[village]), colors="black", linewidths=1.6, zorder=4))
    ax.scatter(*w.household_xy[hh].T, s=3, c="#9a9a9a", linewidths=0, zorder=2)
    handles = [Patch(facecolor=GRID_FILLS[0], edgecolor="#1f77b4", lw=1.4, label=T("fig.village.grid_border")),
               Line2D([], [], color="black", lw=1.6, label=T("fig.village.village_border")),
               Line2D([], [], marker="o", ls="", color="#9a9a9a", markersize=3, label=T("fig.village.household")),
               Line2D([], [], marker="*", ls="", color="#1f4e9c", markersize=13, label=T("fig.village.service_point"))]
    for lvl, c in LEVEL_COLORS.items():
        m = sel & (np.asarray(iss["level_reached"]) == lvl)
        if m.any():
            ax.scatter(*w.household_xy[np.asarray(iss["household"])[m]].T, s=9, c=c, alpha=0.6, linewidths=0, zorder=5)
            handles.append(Line2D([], [], marker="o", ls="", color=c, markersize=5,
                                  label=T("fig.village.closed_at", level=T.term("level", lvl))))
    sp = w.service_point_xy[grids]
    ax.scatter(*sp.T, marker="*", s=220, c="#1f4e9c", edgecolors="white", linewidths=0.8, zorder=7)
    bx0, by0, bx1, by1 = vs[village].bounds
    pad = 0.03 * max(bx1 - bx0, by1 - by0)
    ax.set_xlim(bx0 - pad, bx1 + pad)
    ax.set_ylim(by0 - pad, by1 + pad)
    _km_axes(ax, T)
    ax.set_title(T("fig.village.title", place=village_place(w, village, T), grids=T.n("count.grids", len(grids)),
                   households=T.n("count.households", len(hh)), issues=T.n("count.issues", int(sel.sum()))))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9,
              borderaxespad=0)
    # grid labels: numbered within the village as in World.names("grid"), kept clear of
    # the service-point stars and of each other; a village of more grids than can be
    # labelled legibly is drawn without (its title gives the count)
    labels = []
    if len(grids) <= MAX_GRID_LABELS:
        from matplotlib.transforms import Bbox

        fig.canvas.draw()  # the constrained layout places the axes: the stars' display boxes after it
        stars = [Bbox.from_extents(*(ax.transData.transform(p) - 12), *(ax.transData.transform(p) + 12)) for p in sp]
        labels = place_labels(ax, [T("fig.village.grid_label", k=k + 1) for k in range(len(grids))],
                              [label_points(cells[g]) for g in grids], avoid=stars, fontsize_steps=(1.0, 0.85),
                              within=[cells[g] for g in grids],
                              fontsize=11, ha="center", va="center", zorder=8, fontweight=bold(T.lang),
                              bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "#1f77b4", "alpha": 0.9})
    info = {"labels": [t.get_text() for t in labels], "overlaps": label_boxes_overlap(labels)}
    save(fig, path)
    return info
