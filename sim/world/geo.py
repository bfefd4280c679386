"""The district map: a synthetic generator of towns → villages → households, and a loader
for real village boundaries and household points from GeoJSON. Coordinates in km. The
real Chongming map is built by :mod:`sim.world.chongming` into the same
:class:`VillageMap`.

Synthetic map (the default): the district is a long island (Chongming is about 80 km ×
18 km). It is cut into ``towns`` vertical strips and each strip into village rectangles;
village areas vary (lognormal) and are scaled so that their sum is the settled area.
Households lie along one to three roads (or a river) crossing each village, scattered a
little to either side: Chongming's linear settlements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import ConfigError


@dataclass
class VillageMap:
    """Village polygons and household points.

    ``village_poly[v]``: (k, 2) array of the village outline (km); ``village_town[v]``;
    ``village_area_km2[v]``; ``household_xy[h]`` (km); ``household_village[h]``;
    ``household_size[h]`` (persons, may be None to draw them); ``road_km[v]``: length of
    roads in the village (for patrol coverage).
    """

    village_poly: list[np.ndarray]
    village_town: np.ndarray
    village_area_km2: np.ndarray
    household_xy: np.ndarray
    household_village: np.ndarray
    household_size: np.ndarray | None
    road_km: np.ndarray
    n_towns: int
    # Optional geography (None where a map does not provide it). Roads are polylines in km;
    # every household lies along one road piece, at arc position ``household_s_km`` from
    # the piece's start and ``household_offset_km`` to the side of it.
    road_xy: list[np.ndarray] | None = None
    road_village: np.ndarray | None = None
    household_road: np.ndarray | None = None
    household_s_km: np.ndarray | None = None
    household_offset_km: np.ndarray | None = None
    town_name_zh: list[str] | None = None
    town_name_en: list[str] | None = None
    village_name_zh: list[str] | None = None
    village_name_en: list[str] | None = None
    town_poly: list | None = None          # town outlines: lists of (k, 2) rings (km)
    town_seat_xy: np.ndarray | None = None  # (n_towns, 2) km
    land_poly: list | None = None          # island outlines: (k, 2) rings (km)
    island_name_zh: list[str] | None = None
    island_name_en: list[str] | None = None
    village_island: np.ndarray | None = None
    crs: str | None = None                 # how lon/lat became km, for the record


def _split_lengths(total: float, n: int, rng: np.random.Generator, sigma: float) -> np.ndarray:
    w = rng.lognormal(0.0, sigma, n)
    return total * w / w.sum()


def synthetic_map(towns: int, villages: int, residents: int, persons_per_household: float,
                  settled_area_km2: float, island_aspect: float, area_sigma: float,
                  rng: np.random.Generator) -> VillageMap:
    """Generate the synthetic district (see module doc). Residents are split between
    villages in proportion to area times a lognormal density factor."""
    # villages per town: as equal as possible, the remainder to random towns
    per_town = np.full(towns, villages // towns)
    per_town[rng.choice(towns, villages - per_town.sum(), replace=False)] += 1
    height = np.sqrt(settled_area_km2 / island_aspect)
    width = settled_area_km2 / height
    town_w = _split_lengths(width, towns, rng, 0.25)
    town_x0 = np.concatenate(([0.0], np.cumsum(town_w)[:-1]))
    polys, vt, areas, roads = [], [], [], []
    for t in range(towns):
        nv = int(per_town[t])
        rows = max(1, int(round(np.sqrt(nv * height / town_w[t]))))
        rows = min(rows, nv)
        per_row = np.full(rows, nv // rows)
        per_row[: nv - per_row.sum()] += 1
        row_h = _split_lengths(height, rows, rng, 0.2)
        y0 = 0.0
        for r in range(rows):
            col_w = _split_lengths(town_w[t], int(per_row[r]), rng, 0.3)
            x0 = town_x0[t]
            for c in range(int(per_row[r])):
                x1, y1 = x0 + col_w[c], y0 + row_h[r]
                polys.append(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
                vt.append(t)
                areas.append(col_w[c] * row_h[r])
                x0 = x1
            y0 += row_h[r]
    areas = np.array(areas)
    n_v = len(areas)
    dens = rng.lognormal(0.0, 0.3, n_v)
    share = areas * dens / np.sum(areas * dens)
    households = np.maximum(1, np.round(share * residents / persons_per_household)).astype(np.int64)
    xy, hv, h_road, h_s, h_off, road_xy, road_v = [], [], [], [], [], [], []
    for v in range(n_v):
        (x0, y0), (x1, y1) = polys[v][0], polys[v][2]
        n_roads = int(rng.integers(1, 4))
        road_y = y0 + (y1 - y0) * (np.arange(n_roads) + rng.uniform(0.3, 0.7, n_roads)) / n_roads
        roads.append(n_roads * (x1 - x0))
        which = rng.integers(0, n_roads, households[v])
        hx = rng.uniform(x0, x1, households[v])
        hy = np.clip(road_y[which] + rng.normal(0.0, 0.06 * (y1 - y0) + 0.03, households[v]), y0, y1)
        xy.append(np.column_stack([hx, hy]))
        hv.append(np.full(households[v], v))
        h_road.append(len(road_xy) + which)
        h_s.append(hx - x0)
        h_off.append(np.abs(hy - road_y[which]))
        road_xy += [np.array([[x0, ry], [x1, ry]]) for ry in road_y]
        road_v += [v] * n_roads
    return VillageMap(polys, np.array(vt), areas, np.concatenate(xy), np.concatenate(hv), None,
                      np.array(roads), towns, road_xy=road_xy, road_village=np.array(road_v),
                      household_road=np.concatenate(h_road), household_s_km=np.concatenate(h_s),
                      household_offset_km=np.concatenate(h_off))


def clip_grids(vm: VillageMap, grid_village: np.ndarray, grid_box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area (km²) of each grid's cell clipped to its village polygon, and the length (km)
    of its village's roads inside the cell (``vm.road_xy``). The cells of a village tile
    its bounding box, so the clipped areas and road lengths add up to the village's."""
    import shapely

    polys = np.array([shapely.Polygon(r) for r in vm.village_poly], dtype=object)
    boxes = shapely.box(grid_box[:, 0], grid_box[:, 1], grid_box[:, 2], grid_box[:, 3])
    area = shapely.area(shapely.intersection(boxes, polys[grid_village]))
    lines = shapely.linestrings(np.array(vm.road_xy))
    g_of_v = [np.flatnonzero(grid_village == v) for v in range(len(polys))]
    gi = np.concatenate([g_of_v[v] for v in vm.road_village])
    ri = np.repeat(np.arange(len(lines)), [len(g_of_v[v]) for v in vm.road_village])
    seg = shapely.length(shapely.intersection(lines[ri], boxes[gi]))
    road = np.bincount(gi, weights=seg, minlength=len(grid_village))
    return np.maximum(area, 1e-6), road


def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def load_geojson(path: str | Path) -> VillageMap:
    """Village polygons and household points from one GeoJSON FeatureCollection.

    Villages: ``Polygon`` features with properties ``kind: "village"``, ``village`` (id or
    name), ``town`` (id or name); coordinates in km (a projected system). Households:
    ``Point`` features with ``kind: "household"``, ``village`` and optional ``size``
    (persons). Optional ``road_km`` on villages (default: the polygon's width).
    Any problem raises ConfigError on ``world.geojson`` saying what is wrong.
    """
    key = "world.geojson"
    p = Path(path)
    if not p.is_file():
        raise ConfigError(key, f"file not found: {p}")
    try:
        gj = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(key, f"not valid JSON ({e.__class__.__name__}: {e})") from None
    if not isinstance(gj, dict) or gj.get("type") != "FeatureCollection" or not isinstance(gj.get("features"), list):
        raise ConfigError(key, "must be a GeoJSON FeatureCollection with a 'features' list")
    villages, towns, polys, roads, hh = {}, {}, [], [], []
    for i, f in enumerate(gj["features"]):
        geom = (f or {}).get("geometry") or {}
        props = (f or {}).get("properties") or {}
        kind = props.get("kind")
        if kind == "village":
            if geom.get("type") != "Polygon" or not geom.get("coordinates"):
                raise ConfigError(key, f"feature {i}: a village needs a Polygon geometry")
            try:
                ring = np.asarray(geom["coordinates"][0], dtype=float)
            except (TypeError, ValueError):
                raise ConfigError(key, f"feature {i}: polygon coordinates must be numbers") from None
            if ring.ndim != 2 or ring.shape[0] < 4 or ring.shape[1] != 2 or not np.isfinite(ring).all():
                raise ConfigError(key, f"feature {i}: polygon ring must have >= 4 [x, y] points")
            if "village" not in props or "town" not in props:
                raise ConfigError(key, f"feature {i}: village properties need 'village' and 'town'")
            if props["village"] in villages:
                raise ConfigError(key, f"feature {i}: duplicate village {props['village']!r}")
            villages[props["village"]] = len(polys)
            towns.setdefault(props["town"], len(towns))
            polys.append((ring, towns[props["town"]]))
            roads.append(float(props.get("road_km", np.ptp(ring[:, 0]))))
        elif kind == "household":
            c = geom.get("coordinates")
            if geom.get("type") != "Point" or not isinstance(c, list) or len(c) < 2:
                raise ConfigError(key, f"feature {i}: a household needs a Point geometry")
            hh.append((c[0], c[1], props.get("village"), props.get("size")))
        else:
            raise ConfigError(key, f"feature {i}: properties.kind must be 'village' or 'household', got {kind!r}")
    if not polys:
        raise ConfigError(key, "no village polygons found")
    if not hh:
        raise ConfigError(key, "no household points found")
    unknown = {h[2] for h in hh} - set(villages)
    if unknown:
        raise ConfigError(key, f"households refer to unknown village(s): {sorted(map(str, unknown))[:3]}")
    try:
        xy = np.array([[float(h[0]), float(h[1])] for h in hh])
    except (TypeError, ValueError):
        raise ConfigError(key, "household coordinates must be numbers") from None
    hv = np.array([villages[h[2]] for h in hh])
    sizes = [h[3] for h in hh]
    size = None
    if all(s is not None for s in sizes):
        size = np.array(sizes, dtype=np.int64)
        if (size < 1).any():
            raise ConfigError(key, "household size must be >= 1")
    empty = set(range(len(polys))) - set(hv.tolist())
    if empty:
        raise ConfigError(key, f"{len(empty)} village(s) have no households")
    return VillageMap([r for r, _ in polys], np.array([t for _, t in polys]),
                      np.array([_ring_area(r) for r, _ in polys]), xy, hv, size, np.array(roads), len(towns))
