"""The district as column arrays: towns → villages → micro-grids → households → residents.

Residents are numpy columns inside their households (680,000 Mesa agents would cost
seconds and hundreds of MB); the acting people (team members, household heads, party
members, households) are Mesa agents built on top of these columns (sim.agents).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import ModelParams, WorldParams
from sim.world.roads import Routes, fallback_roads, grid_routes


@dataclass
class World:
    """Index arrays of the district. All ``*_km2`` in square kilometres.

    ``grid_village[g]``, ``village_town[v]``: the hierarchy.
    ``household_grid[h]``, ``household_village[h]``, ``household_size[h]``.
    ``resident_household[r]``, ``resident_age60plus[r]``, ``resident_party[r]``,
    ``resident_app_user[r]``: resident attributes.
    """

    n_towns: int
    village_town: np.ndarray
    grid_village: np.ndarray
    grid_area_km2: np.ndarray
    household_grid: np.ndarray
    household_size: np.ndarray
    resident_household: np.ndarray
    resident_age60plus: np.ndarray
    resident_party: np.ndarray
    resident_app_user: np.ndarray
    # geometry (None for the regular world): km
    household_xy: np.ndarray | None = None
    grid_box: np.ndarray | None = None
    village_poly: list | None = None
    service_point_xy: np.ndarray | None = None
    grid_road_km: np.ndarray | None = None
    # roads (see sim.world.roads): each household's road piece, arc position and offset (km),
    # and its position along its grid's route
    household_road: np.ndarray | None = None
    household_s_km: np.ndarray | None = None
    household_offset_km: np.ndarray | None = None
    routes: Routes | None = None
    village_propensity: np.ndarray | None = None
    partition_quality: dict | None = None
    # names (see :meth:`names`); None: generated ("Town 1", "Town 1 village 3")
    town_name_zh: np.ndarray | None = None
    town_name_en: np.ndarray | None = None
    village_name_zh: np.ndarray | None = None
    village_name_en: np.ndarray | None = None
    # real geography (None for generated worlds): see sim.world.geo.VillageMap
    land_area_km2: float | None = None
    islands: list | None = None
    map_extras: dict | None = None

    @property
    def travel(self):
        """The :class:`sim.world.links.Travel` of this world (None for a regular world)."""
        return (self.map_extras or {}).get("travel")

    @property
    def has_geometry(self) -> bool:
        return self.household_xy is not None

    @property
    def n_villages(self) -> int:
        return len(self.village_town)

    @property
    def n_grids(self) -> int:
        return len(self.grid_village)

    @property
    def n_households(self) -> int:
        return len(self.household_grid)

    @property
    def n_residents(self) -> int:
        return len(self.resident_household)

    @property
    def household_village(self) -> np.ndarray:
        return self.grid_village[self.household_grid]

    @property
    def grid_town(self) -> np.ndarray:
        return self.village_town[self.grid_village]

    def grid_households(self) -> np.ndarray:
        return np.bincount(self.household_grid, minlength=self.n_grids)

    def grid_residents(self) -> np.ndarray:
        return np.bincount(self.household_grid, weights=self.household_size, minlength=self.n_grids).astype(np.int64)

    def village_residents(self) -> np.ndarray:
        return np.bincount(self.grid_village, weights=self.grid_residents(), minlength=self.n_villages).astype(np.int64)

    def grid_internal_boundary_km(self) -> np.ndarray:
        """Per grid, the length (km) of its border shared with other grids of its village
        (the edges of its cell that are not on the village's bounding box); 0 for a village
        of one grid and for worlds without geometry."""
        if self.grid_box is None or self.village_poly is None:
            return np.zeros(self.n_grids)
        vbox = np.array([(p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()) for p in self.village_poly])
        b, vb = self.grid_box, vbox[self.grid_village]
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        tol = 1e-9
        inner = [(np.abs(b[:, 0] - vb[:, 0]) > tol) * h, (np.abs(b[:, 2] - vb[:, 2]) > tol) * h,
                 (np.abs(b[:, 1] - vb[:, 1]) > tol) * w, (np.abs(b[:, 3] - vb[:, 3]) > tol) * w]
        return np.sum(inner, axis=0)

    def grid_share(self, column: np.ndarray) -> np.ndarray:
        """Per grid, the share of residents for whom boolean ``column`` holds."""
        g = self.household_grid[self.resident_household]
        num = np.bincount(g, weights=column.astype(float), minlength=self.n_grids)
        den = np.bincount(g, minlength=self.n_grids)
        return np.divide(num, den, out=np.zeros(self.n_grids), where=den > 0)

    def names(self, level: str, lang: str = "en") -> np.ndarray:
        """Display names of every ``town``, ``village`` or ``grid`` in ``lang`` (``en`` or
        ``zh``). Worlds without real names get a visible pattern: "Town 2", "Town 2
        village 3", "Town 2 village 3 grid 1" (zh: "2号镇", "2号镇3村", "2号镇3村1号网格")."""
        if level == "town":
            given = self.town_name_zh if lang == "zh" else self.town_name_en
            if given is not None:
                return np.asarray(given)
            return np.array([f"{t + 1}号镇" if lang == "zh" else f"Town {t + 1}" for t in range(self.n_towns)])
        if level == "village":
            given = self.village_name_zh if lang == "zh" else self.village_name_en
            if given is not None:
                return np.asarray(given)
            town = self.names("town", lang)
            local = _rank_within(self.village_town)
            sep = "" if lang == "zh" else " village "
            suffix = "村" if lang == "zh" else ""
            return np.array([f"{town[t]}{sep}{k + 1}{suffix}" for t, k in zip(self.village_town, local)])
        if level == "grid":
            village = self.names("village", lang)
            local = _rank_within(self.grid_village)
            if lang == "zh":
                return np.array([f"{village[v]}{k + 1}号网格" for v, k in zip(self.grid_village, local)])
            return np.array([f"{village[v]} grid {k + 1}" for v, k in zip(self.grid_village, local)])
        raise ValueError(f"unknown level {level!r}")

    def structure(self) -> dict:
        """The ``structure`` block of summary.json (team sizes are added by the model)."""
        gpv = np.bincount(self.grid_village, minlength=self.n_villages)
        zh, en = self.names("town", "zh"), self.names("town", "en")
        return {
            "land_area_km2": None if self.land_area_km2 is None else float(self.land_area_km2),
            "islands": None if self.islands is None else [dict(i) for i in self.islands],
            "town_names": [{"zh": str(a), "en": str(b)} for a, b in zip(zh, en)],
            "towns": int(self.n_towns),
            "villages": int(self.n_villages),
            "grids": int(self.n_grids),
            "residents": int(self.n_residents),
            "households": int(self.n_households),
            "grid_area_km2": _stats(self.grid_area_km2),
            "grids_per_village": _stats(gpv),
        }


def _rank_within(group: np.ndarray) -> np.ndarray:
    """0-based position of each element among the elements of its group, in order."""
    group = np.asarray(group)
    order = np.argsort(group, kind="stable")
    first = np.searchsorted(group[order], group[order])
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - first
    return rank


def centroids(xy: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Mean point of each group (n, 2)."""
    cnt = np.maximum(np.bincount(group, minlength=n), 1)
    return np.column_stack([np.bincount(group, weights=xy[:, 0], minlength=n) / cnt,
                            np.bincount(group, weights=xy[:, 1], minlength=n) / cnt])


def place_service_points(xy: np.ndarray, household_grid: np.ndarray, n_grids: int) -> np.ndarray:
    """One service point per grid, at the household nearest the grid's household centroid
    (a medoid-like spot that is inside the settlement)."""
    c = centroids(xy, household_grid, n_grids)
    d = np.hypot(xy[:, 0] - c[household_grid, 0], xy[:, 1] - c[household_grid, 1])
    order = np.lexsort((d, household_grid))
    first = np.searchsorted(household_grid[order], np.arange(n_grids))
    return xy[order[first]]


def build_world(p: ModelParams, rng: np.random.Generator) -> World:
    """The world the parameters ask for (``world.map``: regular, synthetic, geojson or
    chongming, the real district)."""
    from sim.world.geo import clip_grids, load_geojson, synthetic_map
    from sim.world.links import Travel
    from sim.world.partition import check_grid_counts, grids_per_village, partition, quality

    w = p.world
    if w.map == "regular":
        world = build_regular_world(w, rng, p.fixed_grids_per_village)
        world.map_extras = {"travel": Travel.from_params(w)}
        return world
    if w.map == "chongming":
        from sim.world.chongming import chongming_map, load_data

        vm = chongming_map(w, rng)
    elif w.map == "synthetic":
        vm = synthetic_map(w.towns, w.villages, w.residents, w.persons_per_household, w.settled_area_km2,
                           w.island_aspect, w.village_area_sigma, rng)
    else:
        vm = load_geojson(w.geojson_path)
    n_v = len(vm.village_poly)
    hh_v = np.bincount(vm.household_village, minlength=n_v)
    pp = p.partition
    if p.fixed_grids_per_village is not None:
        k = np.full(n_v, p.fixed_grids_per_village, dtype=np.int64)
    else:
        k = grids_per_village(vm.village_area_km2, hh_v, pp.by,
                              pp.target_area_km2 if pp.by == "area" else pp.target_households,
                              pp.k_min, pp.k_max, pp.total_grids)
    check_grid_counts(k, hh_v, pp)
    part = partition(vm.village_poly, vm.household_xy, vm.household_village, k)
    n_g = len(part.grid_village)
    # households keep the map's order (not the partition's): the same seed then places
    # the same issues at the same households whatever the grid design (CRN)
    hg = part.household_grid
    xy = vm.household_xy
    size, res_h, old, party, app = populate(w, hg, rng, vm.household_size)
    # village area is shared between its grids in proportion to their cells
    cell = part.grid_area_km2
    v_cells = np.bincount(part.grid_village, weights=cell, minlength=n_v)
    area = vm.village_area_km2[part.grid_village] * cell / np.maximum(v_cells[part.grid_village], 1e-12)
    road = vm.road_km[part.grid_village] * cell / np.maximum(v_cells[part.grid_village], 1e-12)
    if vm.household_road is not None:
        h_road, h_s, h_off = vm.household_road, vm.household_s_km, vm.household_offset_km
    else:
        h_road, h_s, h_off, _ = fallback_roads(xy, vm.household_village, n_v)
    extras, land, islands = {}, None, None
    if w.map == "chongming":  # a real map: grid cells clipped to the village, roads to the cell
        area, road = clip_grids(vm, part.grid_village, part.grid_box)
        land = float(vm.village_area_km2.sum())
        used = sorted(set(vm.village_island.tolist()))
        islands = [{"zh": vm.island_name_zh[k], "en": vm.island_name_en[k]} for k in used]
        extras = {k: getattr(vm, k) for k in ("town_poly", "town_seat_xy", "land_poly", "road_xy", "road_village",
                                              "household_road", "household_s_km", "household_offset_km",
                                              "village_island", "island_name_zh", "island_name_en", "crs")}
        extras["travel"] = Travel.from_params(w, vm.land_poly, vm.island_name_en, load_data().links)
    else:
        extras["travel"] = Travel.from_params(w)

    def _names(x):
        return None if x is None else np.asarray(x)

    return World(
        n_towns=vm.n_towns, village_town=vm.village_town, grid_village=part.grid_village,
        grid_area_km2=area, household_grid=hg, household_size=size, resident_household=res_h,
        resident_age60plus=old, resident_party=party, resident_app_user=app,
        household_xy=xy, grid_box=part.grid_box, village_poly=vm.village_poly,
        service_point_xy=place_service_points(xy, hg, n_g), grid_road_km=road,
        village_propensity=rng.lognormal(-0.5 * w.propensity_sigma**2, w.propensity_sigma, n_v),
        partition_quality=quality(part),
        household_road=h_road, household_s_km=h_s, household_offset_km=h_off,
        routes=grid_routes(hg, h_road, h_s, xy, n_g),
        town_name_zh=_names(vm.town_name_zh), town_name_en=_names(vm.town_name_en),
        village_name_zh=_names(vm.village_name_zh), village_name_en=_names(vm.village_name_en),
        land_area_km2=land, islands=islands, map_extras=extras,
    )


def _stats(a: np.ndarray) -> dict:
    return {"mean": float(np.mean(a)), "min": float(np.min(a)), "max": float(np.max(a))}


def populate(p: WorldParams, household_grid: np.ndarray, rng: np.random.Generator,
             size: np.ndarray | None = None) -> tuple:
    """Resident attributes for given households; household sizes are drawn (1 + Poisson)
    unless ``size`` gives them (a real map)."""
    n_h = len(household_grid)
    if size is None:
        size = 1 + rng.poisson(p.persons_per_household - 1.0, n_h)
    res_h = np.repeat(np.arange(n_h), size)
    n_r = len(res_h)
    old = rng.random(n_r) < p.share_aged_60plus
    party = rng.random(n_r) < p.p_party_member
    app = rng.random(n_r) < np.where(old, p.p_app_user_60plus, p.p_app_user_under60)
    return size, res_h, old, party, app


def build_regular_world(p: WorldParams, rng: np.random.Generator, grids_per_village: int) -> World:
    """A regular synthetic district: every village has ``grids_per_village`` grids
    (:attr:`~sim.params.ModelParams.fixed_grids_per_village`) and every grid the same number
    of households (the core's world, and the validation scenarios' one-grid world)."""
    k = grids_per_village
    n_v = p.towns * p.villages_per_town
    n_g = n_v * k
    village_town = np.repeat(np.arange(p.towns), p.villages_per_town)
    grid_village = np.repeat(np.arange(n_v), k)
    household_grid = np.repeat(np.arange(n_g), p.households_per_grid)
    size, res_h, old, party, app = populate(p, household_grid, rng)
    return World(
        n_towns=p.towns, village_town=village_town, grid_village=grid_village,
        grid_area_km2=np.full(n_g, p.grid_area_km2), household_grid=household_grid,
        household_size=size, resident_household=res_h, resident_age60plus=old,
        resident_party=party, resident_app_user=app,
    )
