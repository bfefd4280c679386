"""Places as a reader knows them: display names of towns, villages and micro-grids for
tables and parquet files, the report's close-up village, and the shapes drawn on maps
(grid cells clipped to their village, town outlines as the union of their villages).

Everything here uses the :class:`~sim.world.world.World` interface only (``names``,
``village_poly``, ``grid_box``, the index arrays), so it works for generated and real maps.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sim.errors import ConfigError
from sim.reporting.i18n import LANGS

LEVELS = ("town", "village", "grid")


def name_columns(world, **index) -> dict[str, pa.Array]:
    """Name columns for rows that refer to places by index.

    ``index`` maps a level (``town``, ``village``, ``grid``) to an integer array of that
    level's index per row; the result has ``<level>_name_en`` and ``<level>_name_zh``
    for each, dictionary-encoded (one copy of each name in the file). An index outside
    the world (e.g. -1) gives a null name."""
    out = {}
    for level in LEVELS:
        if level not in index:
            continue
        idx = np.asarray(index[level], dtype=np.int64)
        for lang in LANGS:
            names = world.names(level, lang)
            bad = (idx < 0) | (idx >= len(names))
            arr = pa.array(np.where(bad, 0, idx).astype(np.int32), mask=bad)
            out[f"{level}_name_{lang}"] = pa.DictionaryArray.from_arrays(arr, pa.array(names.astype(str)))
    return out


def village_place(world, village: int, T) -> str:
    """A village as a reader names it: with its town, unless the village's name already
    contains the town's (generated names such as "Town 2 village 3")."""
    v = str(world.names("village", T.lang)[village])
    t = str(world.names("town", T.lang)[world.village_town[village]])
    return v if t in v else T("place.village_in_town", village=v, town=t)


def grid_places(world) -> dict[str, np.ndarray]:
    """Per grid: its ``village`` and ``town`` index (for grids.parquet)."""
    return {"village": np.asarray(world.grid_village), "town": np.asarray(world.grid_town)}


def close_up_village(world, spec=None) -> int:
    """The village shown in the report's close-up.

    ``spec`` None: the village with most households (lowest index on a tie). Households
    belong to villages on the map, before any grid partition, so the choice is the same
    for every scenario on the same map and seed (pre-reform and reform reports show the
    same village). ``spec`` an int (or digits): that village index (as in the
    ``village`` column of issues.parquet). ``spec`` a string: the village whose English
    or Chinese name matches (case and spaces ignored). Anything else raises a
    ConfigError on ``report.village``."""
    n = world.n_villages
    if spec is None:
        hh = np.bincount(world.household_village, minlength=n)
        return int(np.argmax(hh))
    if isinstance(spec, bool):
        raise ConfigError("report.village", f"must be a village index 0..{n - 1} or a village name; got {spec!r}")
    if isinstance(spec, (int, np.integer)) or (isinstance(spec, str) and spec.strip().isdigit()):
        v = int(spec)
        if not 0 <= v < n:
            raise ConfigError("report.village", f"index must be in 0..{n - 1} (this map has {n} villages); got {v}")
        return v
    if isinstance(spec, str):
        def key(s: str) -> str:
            return "".join(str(s).split()).casefold()

        want = key(spec)
        hits = sorted({i for lang in LANGS for i, name in enumerate(world.names("village", lang)) if key(name) == want})
        if len(hits) == 1:
            return hits[0]
        examples = " or ".join(repr(str(v)) for v in world.names("village", "en")[:2])
        if not hits:
            raise ConfigError("report.village", f"no village named {spec!r}; give an index 0..{n - 1} or a name such "
                                                f"as {examples}")
        raise ConfigError("report.village", f"{len(hits)} villages are named {spec!r} (indices "
                                            f"{', '.join(map(str, hits))}); give the index")
    raise ConfigError("report.village", f"must be a village index 0..{n - 1} or a village name; got {spec!r}")


# ----------------------------------------------------------------------- shapes (shapely)
def _poly(ring):
    from shapely.geometry import Polygon

    p = Polygon(np.asarray(ring, dtype=float))
    return p if p.is_valid else p.buffer(0)


def village_shapes(world) -> list:
    """Shapely polygons of the villages."""
    return [_poly(r) for r in world.village_poly]


def grid_shapes(world, village_shapes_: list | None = None, grids=None) -> dict:
    """Shapely shapes of grid cells: the World's ``grid_poly`` if it has one, else its
    ``grid_box`` rectangle clipped to the grid's village (cells of the partition are
    rectangles within the village's bounding box)."""
    from shapely.geometry import box

    vs = village_shapes_ if village_shapes_ is not None else village_shapes(world)
    grids = range(world.n_grids) if grids is None else grids
    given = getattr(world, "grid_poly", None)
    out = {}
    for g in grids:
        if given is not None:
            out[g] = _poly(given[g])
        else:
            out[g] = box(*world.grid_box[g]).intersection(vs[world.grid_village[g]])
    return out


def town_shapes(world, village_shapes_: list | None = None) -> list:
    """Town outlines: the union of each town's village polygons (a MultiPolygon where a
    town spans islands). Small slivers between neighbouring villages are closed."""
    from shapely.ops import unary_union

    vs = village_shapes_ if village_shapes_ is not None else village_shapes(world)
    out = []
    for t in range(world.n_towns):
        members = [vs[v] for v in np.flatnonzero(np.asarray(world.village_town) == t)]
        u = unary_union(members) if members else None
        if u is not None and not u.is_empty:
            u = u.buffer(1e-6).buffer(-1e-6)
        out.append(u)
    return out


def rings(geom) -> list[np.ndarray]:
    """Exterior and interior rings of a (Multi)Polygon as (k, 2) arrays (for drawing)."""
    if geom is None or geom.is_empty:
        return []
    parts = getattr(geom, "geoms", [geom])
    out = []
    for p in parts:
        if p.geom_type != "Polygon":
            out += rings(p) if hasattr(p, "geoms") else []
            continue
        out.append(np.asarray(p.exterior.coords))
        out += [np.asarray(i.coords) for i in p.interiors]
    return out


def label_points(geom, n: int = 30) -> list[tuple[float, float]]:
    """Candidate label positions inside ``geom``, best first: the pole of inaccessibility
    of its largest part, then interior points spread over the shape."""
    from shapely.geometry import Point
    from shapely.ops import polylabel

    if geom is None or geom.is_empty:
        return []
    parts = sorted(getattr(geom, "geoms", [geom]), key=lambda p: -p.area)
    main = parts[0]
    try:
        c = polylabel(main, tolerance=max(np.sqrt(main.area) / 100, 1e-6))
    except Exception:  # noqa: BLE001 - degenerate shapes
        c = main.representative_point()
    x0, y0, x1, y1 = main.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, 9)[1:-1], np.linspace(y0, y1, 13)[1:-1])
    pts = [(x, y) for x, y in zip(xs.ravel(), ys.ravel()) if main.contains(Point(x, y))]
    pts.sort(key=lambda p: (p[0] - c.x) ** 2 + (p[1] - c.y) ** 2)
    return [(c.x, c.y)] + pts[: n - 1]
