"""The district as column arrays: towns → villages → micro-grids → households → residents.

Residents and households are numpy columns, not agents (680,000 Mesa agents would cost
seconds and hundreds of MB and they are passive between reports). :class:`Resident`
gives an object view of one row where an object is handier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import ModelParams, WorldParams


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
        return {
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
    """The world the parameters ask for (``world.map``: regular, synthetic or geojson)."""
    from sim.world.geo import load_geojson, synthetic_map
    from sim.world.partition import check_grid_counts, grids_per_village, partition, quality

    w = p.world
    if w.map == "regular":
        return build_regular_world(w, rng)
    if w.map == "synthetic":
        vm = synthetic_map(w.towns, w.villages, w.residents, w.persons_per_household, w.settled_area_km2,
                           w.island_aspect, w.village_area_sigma, rng)
    else:
        vm = load_geojson(w.geojson_path)
    n_v = len(vm.village_poly)
    hh_v = np.bincount(vm.household_village, minlength=n_v)
    pp = p.partition
    if pp.grids_per_village is not None:
        k = np.full(n_v, pp.grids_per_village, dtype=np.int64)
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
    return World(
        n_towns=vm.n_towns, village_town=vm.village_town, grid_village=part.grid_village,
        grid_area_km2=area, household_grid=hg, household_size=size, resident_household=res_h,
        resident_age60plus=old, resident_party=party, resident_app_user=app,
        household_xy=xy, grid_box=part.grid_box, village_poly=vm.village_poly,
        service_point_xy=place_service_points(xy, hg, n_g), grid_road_km=road,
        village_propensity=rng.lognormal(-0.5 * w.propensity_sigma**2, w.propensity_sigma, n_v),
        partition_quality=quality(part),
    )


def _stats(a: np.ndarray) -> dict:
    return {"mean": float(np.mean(a)), "min": float(np.min(a)), "max": float(np.max(a))}


@dataclass(frozen=True)
class Resident:
    """Read-only object view of resident ``rid`` of ``world``."""

    world: World
    rid: int

    @property
    def household(self) -> int:
        return int(self.world.resident_household[self.rid])

    @property
    def grid(self) -> int:
        return int(self.world.household_grid[self.household])

    @property
    def aged_60plus(self) -> bool:
        return bool(self.world.resident_age60plus[self.rid])

    @property
    def party_member(self) -> bool:
        return bool(self.world.resident_party[self.rid])

    @property
    def app_user(self) -> bool:
        return bool(self.world.resident_app_user[self.rid])


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


def build_regular_world(p: WorldParams, rng: np.random.Generator) -> World:
    """A regular synthetic district: every village has the same number of grids and
    every grid the same number of households (the core's world, and the validation
    scenarios' one-grid world)."""
    n_v = p.towns * p.villages_per_town
    n_g = n_v * p.grids_per_village
    village_town = np.repeat(np.arange(p.towns), p.villages_per_town)
    grid_village = np.repeat(np.arange(n_v), p.grids_per_village)
    household_grid = np.repeat(np.arange(n_g), p.households_per_grid)
    size, res_h, old, party, app = populate(p, household_grid, rng)
    return World(
        n_towns=p.towns, village_town=village_town, grid_village=grid_village,
        grid_area_km2=np.full(n_g, p.grid_area_km2), household_grid=household_grid,
        household_size=size, resident_household=res_h, resident_age60plus=old,
        resident_party=party, resident_app_user=app,
    )
