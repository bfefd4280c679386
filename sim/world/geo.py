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

import copy
import json
import math
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


GEOJSON_KEY = "world.geojson_path"
MAX_COORD_KM = 1e5       # km in a projected system: larger is metres or an error
MAX_HOUSEHOLD_SIZE = 1000
OUTSIDE_TOLERANCE_KM = 0.01  # a household may lie this close outside its village (digitising)


class _Feature:
    """Checks of one feature's fields; every failure names the feature and the field."""

    def __init__(self, path: Path, i: int, kind: str):
        self.path, self.i, self.kind = path, i, kind

    def fail(self, field: str, msg: str) -> None:
        what = " ".join(x for x in (field, msg) if x)
        raise ConfigError(GEOJSON_KEY, f"{self.path}: feature {self.i} ({self.kind}): {what}")

    def ident(self, props: dict, name: str) -> str | int:
        v = props.get(name)
        if isinstance(v, bool) or not isinstance(v, (str, int)) or v == "":
            self.fail(f"properties.{name}", f"must be a non-empty string or a whole number, got {_short(v)}")
        return v

    def number(self, v, field: str, lo: float | None = None, whole: bool = False, hi: float | None = None) -> float:
        ok = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
        ok = ok and (lo is None or v >= lo) and (hi is None or v <= hi) and (not whole or float(v).is_integer())
        if not ok:
            what = "a whole number" if whole else "a finite number"
            rng = " and ".join(x for x in (f">= {lo:g}" if lo is not None else "", f"<= {hi:g}" if hi is not None else "") if x)
            self.fail(field, f"must be {what}{' ' + rng if rng else ''}, got {_short(v)}")
        return float(v)

    def point(self, c, field: str) -> tuple[float, float]:
        if not isinstance(c, (list, tuple)) or len(c) < 2:
            self.fail(field, f"must be a position [x, y] (km), got {_short(c)}")
        return (self.number(c[0], field + "[0]", -MAX_COORD_KM, hi=MAX_COORD_KM),
                self.number(c[1], field + "[1]", -MAX_COORD_KM, hi=MAX_COORD_KM))


def _short(v, width: int = 40) -> str:
    r = repr(v)
    return r if len(r) <= width else r[: width - 4] + " ..."


_LOADED: dict = {}


def load_geojson(path: str | Path) -> VillageMap:
    """A map file read and checked once per process (keyed by path, size and mtime; a
    copy each time): the command line checks it before a run starts, the run reads it
    again without parsing. See :func:`read_geojson`."""
    p = Path(path)
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        return read_geojson(p)
    if key not in _LOADED:
        _LOADED.clear()  # one map at a time
        _LOADED[key] = read_geojson(p)
    return copy.deepcopy(_LOADED[key])


def read_geojson(path: str | Path) -> VillageMap:
    """Village polygons and household points from one GeoJSON FeatureCollection.

    Villages: ``Polygon`` features with properties ``kind: "village"``, ``village`` (id or
    name), ``town`` (id or name); coordinates in km (a projected system). Households:
    ``Point`` features with ``kind: "household"``, ``village`` and optional ``size``
    (persons, a whole number >= 1). Optional ``road_km`` on villages (>= 0; default: the
    polygon's width). Polygons must be valid (no self-intersection, area > 0; checked with
    shapely) and every household must lie inside its village (within 10 m).
    Any problem raises one ConfigError on ``world.geojson_path`` naming the file, the
    feature and the field, and what is allowed.
    """
    import shapely

    key = GEOJSON_KEY
    p = Path(path)
    if not p.is_file():
        raise ConfigError(key, f"file not found: {p}" if not p.exists() else f"not a file: {p}")
    try:
        gj = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ConfigError(key, f"{p}: not valid JSON ({e.__class__.__name__}: {str(e)[:80]})") from None
    if not isinstance(gj, dict) or gj.get("type") != "FeatureCollection" or not isinstance(gj.get("features"), list):
        raise ConfigError(key, f"{p}: must be a GeoJSON FeatureCollection with a 'features' list")
    villages, towns, polys, shapes, roads, hh = {}, {}, [], [], [], []
    for i, f in enumerate(gj["features"]):
        chk = _Feature(p, i, "feature")
        if not isinstance(f, dict):
            chk.fail("", f"must be a GeoJSON Feature object, got {_short(f)}")
        geom, props = f.get("geometry"), f.get("properties")
        if not isinstance(props, dict):
            chk.fail("properties", f"must be an object with 'kind', got {_short(props)}")
        if geom is not None and not isinstance(geom, dict):
            chk.fail("geometry", f"must be a GeoJSON geometry object, got {_short(geom)}")
        geom = geom or {}
        kind = props.get("kind")
        if kind == "village":
            chk.kind = "village"
            if geom.get("type") != "Polygon":
                chk.fail("geometry", f"must be a Polygon for a village, got {_short(geom.get('type'))}")
            rings = geom.get("coordinates")
            if not isinstance(rings, list) or not rings:
                chk.fail("geometry.coordinates", f"must be a list of rings, got {_short(rings)}")
            arrs = []
            for r, ring in enumerate(rings):
                field = f"geometry.coordinates[{r}]"
                if not isinstance(ring, list) or len(ring) < 4:
                    chk.fail(field, f"must be a ring of >= 4 [x, y] positions (first = last), got {_short(ring)}")
                arrs.append(np.array([chk.point(c, f"{field}[{j}]") for j, c in enumerate(ring)]))
            poly = shapely.Polygon(arrs[0], arrs[1:])
            if not shapely.is_valid(poly):
                chk.fail("geometry", f"must be a valid polygon (a ring that does not cross itself): "
                                     f"{shapely.is_valid_reason(poly)}")
            if not poly.area > 0:
                chk.fail("geometry", "must enclose an area > 0")
            vid = chk.ident(props, "village")
            tid = chk.ident(props, "town")
            if vid in villages:
                chk.fail("properties.village", f"duplicate village {vid!r} (first in feature {villages[vid][1]})")
            if "road_km" in props:
                road = chk.number(props["road_km"], "properties.road_km", 0.0)
            else:
                road = float(np.ptp(arrs[0][:, 0]))
            villages[vid] = (len(polys), i)
            towns.setdefault(tid, len(towns))
            polys.append((arrs[0], towns[tid]))
            shapes.append(poly)
            roads.append(road)
        elif kind == "household":
            chk.kind = "household"
            if geom.get("type") != "Point":
                chk.fail("geometry", f"must be a Point for a household, got {_short(geom.get('type'))}")
            x, y = chk.point(geom.get("coordinates"), "geometry.coordinates")
            vid = chk.ident(props, "village")
            size = props.get("size")
            if size is not None:
                size = int(chk.number(size, "properties.size", 1.0, whole=True, hi=MAX_HOUSEHOLD_SIZE))
            hh.append((x, y, vid, size, i))
        else:
            chk.fail("properties.kind", f"must be 'village' or 'household', got {_short(kind)}")
    if not polys:
        raise ConfigError(key, f"{p}: no village polygons found")
    if not hh:
        raise ConfigError(key, f"{p}: no household points found")
    for *_, vid, _size, i in hh:
        if vid not in villages:
            raise ConfigError(key, f"{p}: feature {i} (household): properties.village refers to unknown village "
                                   f"{vid!r}; villages: {', '.join(map(str, list(villages)[:5]))}"
                                   f"{', ...' if len(villages) > 5 else ''}")
    xy = np.array([[h[0], h[1]] for h in hh], dtype=float)
    hv = np.array([villages[h[2]][0] for h in hh], dtype=np.int64)
    _check_inside(p, shapes, list(villages), xy, hv, [h[4] for h in hh])
    _check_extent(p, polys)
    sizes = [h[3] for h in hh]
    size = np.array(sizes, dtype=np.int64) if all(s is not None for s in sizes) else None
    empty = sorted(set(range(len(polys))) - set(hv.tolist()))
    if empty:
        names = list(villages)
        raise ConfigError(key, f"{p}: {len(empty)} village(s) have no households, e.g. village {names[empty[0]]!r}; "
                               f"every village needs at least one household point")
    return VillageMap([r for r, _ in polys], np.array([t for _, t in polys]),
                      np.array([sh.area for sh in shapes]), xy, hv, size, np.array(roads), len(towns))


MAX_EXTENT_KM = 1000.0
"""Largest span of a map (km): a district is tens of km; rasters and distance tables of
the report and the travel model grow with the square of the span."""


def _check_extent(path: Path, polys: list) -> None:
    lo = np.min([r.min(axis=0) for r, _ in polys], axis=0)
    hi = np.max([r.max(axis=0) for r, _ in polys], axis=0)
    span = float(np.max(hi - lo))
    if span > MAX_EXTENT_KM:
        centres = np.array([r.mean(axis=0) for r, _ in polys])
        far = int(np.argmax(np.abs(centres - np.median(centres, axis=0)).max(axis=1)))  # from the middle of most
        raise ConfigError(GEOJSON_KEY, f"{path}: the villages span {span:,.0f} km (village polygon {far} lies "
                                       f"furthest out); allowed: a map within {MAX_EXTENT_KM:,.0f} km, in km "
                                       f"of a projected system")


def _check_inside(path: Path, shapes: list, names: list, xy: np.ndarray, hv: np.ndarray, feature: list) -> None:
    """Every household must lie inside (or within OUTSIDE_TOLERANCE_KM of) its village."""
    import shapely

    for v, poly in enumerate(shapes):
        idx = np.flatnonzero(hv == v)
        if not len(idx):
            continue
        shapely.prepare(poly)
        out = idx[~shapely.intersects_xy(poly, xy[idx, 0], xy[idx, 1])]
        if not len(out):
            continue
        d = shapely.distance(poly, shapely.points(xy[out]))
        far = out[d > OUTSIDE_TOLERANCE_KM]
        if len(far):
            h = int(far[0])
            pt = shapely.Point(xy[h])
            inside = [names[u] for u, s in enumerate(shapes) if s.intersects(pt)]
            where = f"it lies in village {inside[0]!r}" if inside else "it lies outside every village"
            raise ConfigError(GEOJSON_KEY, (
                f"{path}: feature {feature[h]} (household): geometry.coordinates ({xy[h, 0]:g}, {xy[h, 1]:g}) must lie "
                f"inside its village {names[v]!r} (within {OUTSIDE_TOLERANCE_KM * 1000:g} m), but {where} "
                f"({float(d[np.searchsorted(out, h)]):.3g} km from it); {len(far)} household(s) of that village are outside"))
