"""Travel times between points of the district, across islands.

On one island: straight distance × ``detour_factor`` at the mode's speed (walk, e-bike,
car; ``world.speed_*_kmh``), as before. Between islands the trip goes through the fixed
links of the district, in order, with straight legs on each island between them:

- **the Shanghai Yangtze River Bridge** (上海长江大桥), Changxing island ↔ Chenjia town on
  Chongming island: 9.97 km over water [W12]; an expressway closed to pedestrians and
  e-bikes, so every mode crosses it by road vehicle at ``world.bridge_speed_kmh``
  (default 80 km/h [A], range 60–100; design speed 100 km/h [W12]);
- **the Changxing–Hengsha ferry** (长横对江渡): departures every ``world.ferry_interval_min``
  (default 20 min [A], range 10–30) from ``world.ferry_first_h`` to ``world.ferry_last_h``
  clock hours (default 05:30–21:00 [A]; first 05:00–06:30, last 19:00–22:00), crossing in
  ``world.ferry_crossing_min`` (default 15 min [A], range 10–20, for a ≈1.6 km channel plus
  boarding). No timetable was found; these are assumptions to vary. A traveller waits
  for the next departure; after the last one, for the first of the next morning.

So Chongming island → Hengsha is road to the bridge, the bridge, road across Changxing to
the ferry pier, the wait, the crossing, road on Hengsha. Maps without islands (synthetic,
regular, GeoJSON) get plain straight-line travel through the same interface.

Times are in hours; ``t_h`` is the model clock at departure (hours from midnight of day
0; clock time = ``t_h`` mod 24). Without ``t_h`` a ferry wait is its expectation for a
departure at a uniformly random time of day (night gap included).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

MODES = ("walk", "ebike", "car")


@dataclass(frozen=True)
class Link:
    """A fixed crossing between islands ``a`` and ``b`` (indices), landing at ``a_xy`` /
    ``b_xy`` (km). ``crossing_h``: time on the link. A ferry (``interval_h`` set) departs
    every ``interval_h`` from ``first_h`` to ``last_h`` (clock hours) from either side."""

    kind: str
    name_zh: str
    name_en: str
    a: int
    b: int
    a_xy: tuple[float, float]
    b_xy: tuple[float, float]
    crossing_h: float
    first_h: float = 0.0
    last_h: float = 24.0
    interval_h: float | None = None

    @property
    def last_departure_h(self) -> float:
        if self.interval_h is None:
            return self.last_h
        return self.first_h + math.floor((self.last_h - self.first_h) / self.interval_h + 1e-9) * self.interval_h

    def wait_h(self, t_h: float | None) -> float:
        """Wait at the landing for the next departure when arriving at model time ``t_h``
        (None: the expectation over a uniformly random time of day). 0 for a bridge."""
        if self.interval_h is None:
            return 0.0
        if t_h is None:
            return self.expected_wait_h
        c = t_h % 24.0
        first, last = self.first_h, self.last_departure_h
        if c <= first:
            return first - c
        if c > last + 1e-9:
            return first + 24.0 - c
        k = math.ceil((c - first) / self.interval_h - 1e-9)
        return first + k * self.interval_h - c

    def wait_h_v(self, t_h: np.ndarray | None, n: int) -> np.ndarray:
        """Vectorised :meth:`wait_h` for ``n`` arrivals at ``t_h`` (array, scalar or None)."""
        if self.interval_h is None:
            return np.zeros(n)
        if t_h is None:
            return np.full(n, self.expected_wait_h)
        c = np.broadcast_to(np.asarray(t_h, dtype=float) % 24.0, (n,))
        first, last = self.first_h, self.last_departure_h
        k = np.ceil((c - first) / self.interval_h - 1e-9)
        w = first + k * self.interval_h - c
        return np.where(c <= first, first - c, np.where(c > last + 1e-9, first + 24.0 - c, w))

    @property
    def expected_wait_h(self) -> float:
        """Mean wait for an arrival at a uniformly random time of day: interval/2 during
        the service span, half the night gap otherwise (0 for a bridge)."""
        if self.interval_h is None:
            return 0.0
        span = self.last_departure_h - self.first_h
        gap = 24.0 - span
        return (span * self.interval_h / 2.0 + gap * gap / 2.0) / 24.0


class Travel:
    """Travel time between points (km) by mode, through the district's links.

    ``speeds_kmh``: {mode: km/h}; ``islands``: land outlines ((k, 2) rings, km) or None
    for a map without islands; ``links``: :class:`Link` s between them. The island of a
    point comes from a raster of ``cell_km`` cells (a point off every island belongs to
    the nearest one), so :meth:`island` and :meth:`time_h` cost about a microsecond.
    """

    def __init__(self, speeds_kmh: dict[str, float], detour_factor: float, islands: list | None = None,
                 island_names: list[str] | None = None, links: tuple[Link, ...] = (), cell_km: float = 0.25):
        self.speeds_kmh = {m: float(v) for m, v in speeds_kmh.items()}
        self.speeds_kmh.setdefault("e-bike", self.speeds_kmh.get("ebike", 15.0))
        self.detour = float(detour_factor)
        self.links = tuple(links)
        self.island_names = list(island_names or [])
        self.n_islands = len(islands) if islands else 1
        self._lab = None
        if islands and len(islands) > 1:
            self._raster(islands, cell_km)
        self._routes = self._all_routes()

    @classmethod
    def from_params(cls, w, islands: list | None = None, island_names: list[str] | None = None,
                    link_data: tuple[dict, ...] = ()) -> Travel:
        """Travel for :class:`sim.params.WorldParams` ``w``; ``link_data``: the map's links
        (dicts with ``kind``, ``zh``, ``en``, island names ``a``/``b``, landing ``xy`` (2, 2)
        km and ``length_km``)."""
        speeds = {"walk": w.speed_walk_kmh, "ebike": w.speed_ebike_kmh, "car": w.speed_car_kmh}
        idx = {n: k for k, n in enumerate(island_names or [])}
        links = []
        for d in link_data:
            xy = np.asarray(d["xy"], dtype=float)
            common = dict(kind=d["kind"], name_zh=d["zh"], name_en=d["en"], a=idx[d["a"]], b=idx[d["b"]],
                          a_xy=tuple(xy[0]), b_xy=tuple(xy[-1]))
            if d["kind"] == "ferry":
                links.append(Link(**common, crossing_h=w.ferry_crossing_min / 60.0, first_h=w.ferry_first_h,
                                  last_h=w.ferry_last_h, interval_h=w.ferry_interval_min / 60.0))
            else:
                links.append(Link(**common, crossing_h=float(d["length_km"]) / w.bridge_speed_kmh))
        return cls(speeds, w.detour_factor, islands, island_names, tuple(links))

    # ------------------------------------------------------------ islands
    def _raster(self, islands: list, cell_km: float) -> None:
        key = (cell_km, tuple(hash(np.ascontiguousarray(r, dtype=float).tobytes()) for r in islands))
        if key not in _RASTERS:
            _RASTERS.clear()
            _RASTERS[key] = _island_raster(islands, cell_km)
        self._lab, self._x0, self._y0, self._cell, self._nx, self._ny, self._lab_list = _RASTERS[key]

    def island(self, x: float, y: float) -> int:
        """Index of the island of point (x, y) km (0 on a map without islands)."""
        if self._lab is None:
            return 0
        i = int((x - self._x0) / self._cell)
        j = int((y - self._y0) / self._cell)
        i = 0 if i < 0 else (self._nx - 1 if i >= self._nx else i)
        j = 0 if j < 0 else (self._ny - 1 if j >= self._ny else j)
        return self._lab_list[j][i]

    def islands_of(self, xy: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`island` for points ``xy`` (n, 2) km."""
        xy = np.atleast_2d(np.asarray(xy, dtype=float))
        if self._lab is None:
            return np.zeros(len(xy), dtype=np.int64)
        i = np.clip(((xy[:, 0] - self._x0) / self._cell).astype(np.int64), 0, self._nx - 1)
        j = np.clip(((xy[:, 1] - self._y0) / self._cell).astype(np.int64), 0, self._ny - 1)
        return self._lab[j, i]

    # ------------------------------------------------------------ routes
    def _all_routes(self) -> dict:
        """For every ordered pair of islands, the links crossed in order, as
        (link, landing you reach it at, landing you leave it from) (breadth-first: fewest
        crossings)."""
        adj: dict[int, list] = {k: [] for k in range(self.n_islands)}
        for ln in self.links:
            adj[ln.a].append((ln.b, ln, ln.a_xy, ln.b_xy))
            adj[ln.b].append((ln.a, ln, ln.b_xy, ln.a_xy))
        routes = {}
        for s in range(self.n_islands):
            prev = {s: None}
            q = deque([s])
            while q:
                u = q.popleft()
                for v, ln, p_in, p_out in adj[u]:
                    if v not in prev:
                        prev[v] = (u, ln, p_in, p_out)
                        q.append(v)
            for t in prev:
                legs, v = [], t
                while prev[v] is not None:
                    u, ln, p_in, p_out = prev[v]
                    legs.append((ln, p_in, p_out))
                    v = u
                routes[(s, t)] = tuple(reversed(legs))
        return routes

    def route(self, i: int, j: int) -> tuple:
        """Links crossed from island ``i`` to island ``j`` (empty on one island)."""
        if (i, j) not in self._routes:
            raise ValueError(f"no link joins island {i} to island {j}")
        return self._routes[(i, j)]

    def _speed(self, mode: str) -> float:
        try:
            return self.speeds_kmh[mode]
        except KeyError:
            raise ValueError(f"unknown travel mode {mode!r}; allowed: {', '.join(MODES)}") from None

    # ------------------------------------------------------------ times
    def time_h(self, x0: float, y0: float, x1: float, y1: float, mode: str = "car", t_h: float | None = None) -> float:
        """Hours from (x0, y0) to (x1, y1) km by ``mode``, leaving at model time ``t_h``
        (needed only for ferry waits). Cheap enough for an event loop."""
        v = self._speed(mode)
        k = self.detour / v
        if self._lab is None:
            return math.hypot(x1 - x0, y1 - y0) * k
        i, j = self.island(x0, y0), self.island(x1, y1)
        if i == j:
            return math.hypot(x1 - x0, y1 - y0) * k
        t, px, py = 0.0, x0, y0
        for ln, (ax, ay), (bx, by) in self.route(i, j):
            t += math.hypot(ax - px, ay - py) * k
            if ln.interval_h is not None:
                t += ln.wait_h(None if t_h is None else t_h + t)
            t += ln.crossing_h
            px, py = bx, by
        return t + math.hypot(x1 - px, y1 - py) * k

    def time_h_v(self, xy0: np.ndarray, xy1: np.ndarray, mode: str = "car", t_h=None) -> np.ndarray:
        """Vectorised :meth:`time_h`: ``xy0``, ``xy1`` (n, 2) km (either may be one point),
        ``t_h`` an array, a scalar or None."""
        xy0 = np.atleast_2d(np.asarray(xy0, dtype=float))
        xy1 = np.atleast_2d(np.asarray(xy1, dtype=float))
        n = max(len(xy0), len(xy1))
        xy0, xy1 = np.broadcast_to(xy0, (n, 2)), np.broadcast_to(xy1, (n, 2))
        k = self.detour / self._speed(mode)
        out = np.hypot(*(xy1 - xy0).T) * k
        if self._lab is None:
            return out
        i, j = self.islands_of(xy0), self.islands_of(xy1)
        tt = None if t_h is None else np.broadcast_to(np.asarray(t_h, dtype=float), (n,))
        for (a, b), legs in self._routes.items():
            if a == b:
                continue
            m = (i == a) & (j == b)
            if not m.any():
                continue
            p = xy0[m]
            t = np.zeros(int(m.sum()))
            for ln, p_in, p_out in legs:
                t += np.hypot(*(np.asarray(p_in) - p).T) * k
                if ln.interval_h is not None:
                    t += ln.wait_h_v(None if tt is None else tt[m] + t, len(t))
                t += ln.crossing_h
                p = np.broadcast_to(np.asarray(p_out), p.shape)
            out[m] = t + np.hypot(*(xy1[m] - p).T) * k
        return out


_RASTERS: dict = {}
"""Island rasters by (cell size, outlines): a map's raster is built once per process."""


def _island_raster(islands: list, cell_km: float) -> tuple:
    """Label raster of the islands: the index of the island of each cell (a water cell:
    the island nearest in grid steps), its origin, cell size and shape."""
    import shapely

    allxy = np.vstack(islands)
    x0, y0 = allxy.min(axis=0) - 2.0
    x1, y1 = allxy.max(axis=0) + 2.0
    nx, ny = int(np.ceil((x1 - x0) / cell_km)), int(np.ceil((y1 - y0) / cell_km))
    gx, gy = np.meshgrid(x0 + (np.arange(nx) + 0.5) * cell_km, y0 + (np.arange(ny) + 0.5) * cell_km)
    lab = np.full(gx.shape, -1, dtype=np.int64)
    for k, r in enumerate(islands):
        poly = shapely.Polygon(r)
        shapely.prepare(poly)
        bx0, by0, bx1, by1 = poly.bounds
        box = (gx >= bx0) & (gx <= bx1) & (gy >= by0) & (gy <= by1)
        inside = np.zeros_like(box)
        inside[box] = shapely.contains_xy(poly, gx[box], gy[box])
        lab[inside] = k
    while (lab < 0).any():  # water: grow the islands' labels one cell at a time
        grown = lab.copy()
        for sl_to, sl_from in (((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
                               ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
                               ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
                               ((slice(None), slice(None, -1)), (slice(None), slice(1, None)))):
            tgt, src = grown[sl_to], lab[sl_from]
            fill = (tgt < 0) & (src >= 0)
            tgt[fill] = src[fill]
        lab = grown
    return lab, float(x0), float(y0), cell_km, nx, ny, lab.tolist()
