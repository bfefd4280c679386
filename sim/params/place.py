"""The district map and its partition into micro-grids.

Part of :mod:`sim.params` (import from there)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.typedconfig import choice, num
from sim.vocab import MAP_SOURCES


@dataclass(frozen=True)
class WorldParams:
    """The district.

    ``map: regular``: ``towns`` × ``villages_per_town`` villages, each of
    ``grids_per_village`` grids of ``households_per_grid`` households (validation and
    small cases; no geometry, so no team members). ``map: synthetic``: a generated island
    of ``towns`` towns and ``villages`` villages, ``residents`` people,
    ``settled_area_km2``, partitioned into grids by ``partition``. ``map: geojson``:
    village polygons and household points from ``geojson_path`` (see
    :func:`sim.world.geo.load_geojson`). Household size is 1 + Poisson
    (``persons_per_household`` − 1). ``propensity_sigma``: lognormal spread of villages'
    reporting propensity (places differ up to 3×, Liu et al. 2023). Travel: straight
    distance × ``detour_factor`` at the mode's speed.

    ``map: chongming``: the real district (:mod:`sim.world.chongming`, data and sources in
    ``sim/world/data/README.md``): three islands, 18 towns, 269 villages; ``residents``
    is the district total, shared between towns by the town table, so
    ``towns_included`` (town names, zh or pinyin; empty = all; other maps ignore it)
    runs a few real towns with their own share. Village geometry, roads and household counts depend on ``map_seed``
    only (not on the run's seed); ``village_density_sigma`` [A] spreads residents between a
    town's villages (area × lognormal factor); households sit along village roads, a
    normal ``road_offset_km`` [A] to the side. Islands are joined by the bridge (crossed
    at ``bridge_speed_kmh`` [A] whatever the mode) and the Changxing–Hengsha ferry,
    departing every ``ferry_interval_min`` from ``ferry_first_h`` to ``ferry_last_h``
    (clock hours), crossing in ``ferry_crossing_min`` [A] (see :mod:`sim.world.links`).
    """

    towns: int = num(1, lo=1)
    villages_per_town: int = num(1, lo=1)
    grids_per_village: int = num(1, lo=1)
    households_per_grid: int = num(250, lo=1)
    persons_per_household: float = num(2.5, lo=1.0)
    grid_area_km2: float = num(1.0, lo=0.0, lo_open=True)
    share_aged_60plus: float = num(0.4, lo=0.0, hi=1.0)
    p_party_member: float = num(0.08, lo=0.0, hi=1.0)
    p_app_user_under60: float = num(0.8, lo=0.0, hi=1.0)
    p_app_user_60plus: float = num(0.3, lo=0.0, hi=1.0)
    map: str = choice("regular", MAP_SOURCES)
    geojson_path: str = ""
    villages: int = num(269, lo=1)
    residents: int = num(680000, lo=1)
    settled_area_km2: float = num(993.0, lo=0.0, lo_open=True)
    island_aspect: float = num(4.5, lo=0.1)
    # lognormal sigmas stop at 3 (a factor e^3 ≈ 20 per standard deviation): far wider
    # draws overflow to inf or underflow to 0 and leave a town without shares
    village_area_sigma: float = num(0.35, lo=0.0, hi=3.0)
    propensity_sigma: float = num(0.35, lo=0.0, hi=3.0)
    detour_factor: float = num(1.3, lo=1.0)
    speed_walk_kmh: float = num(4.5, lo=0.0, lo_open=True)
    speed_ebike_kmh: float = num(15.0, lo=0.0, lo_open=True)
    speed_car_kmh: float = num(30.0, lo=0.0, lo_open=True)
    service_walk_decay_min: float = num(15.0, lo=0.0, lo_open=True)
    towns_included: tuple[str, ...] = ()
    map_seed: int = num(1, lo=0)
    village_density_sigma: float = num(0.3, lo=0.0, hi=3.0)
    road_offset_km: float = num(0.05, lo=0.0)
    bridge_speed_kmh: float = num(80.0, lo=0.0, lo_open=True)
    ferry_first_h: float = num(5.5, lo=0.0, hi=24.0)
    ferry_last_h: float = num(21.0, lo=0.0, hi=24.0)
    ferry_interval_min: float = num(20.0, lo=0.0, lo_open=True)
    ferry_crossing_min: float = num(15.0, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class PartitionParams:
    """Micro-grids per village (see :mod:`sim.world.partition`): from ``by`` = ``area``
    (``target_area_km2`` per grid) or ``households`` (``target_households`` per grid),
    clamped to [``k_min``, ``k_max``]; with ``total_grids`` the district total is fixed;
    ``grids_per_village`` (a policy lever for sweeps) overrides all of these: every
    village gets exactly that many grids (1 = the pre-reform village grid), on every map
    (on the ``regular`` map it overrides ``world.grids_per_village``; the other keys do
    not apply there). The precedence: :attr:`ModelParams.fixed_grids_per_village`."""

    by: str = choice("area", ("area", "households"))
    target_area_km2: float = num(1.0, lo=0.0, lo_open=True)
    target_households: float = num(272.0, lo=0.0, lo_open=True)
    k_min: int = num(3, lo=1)
    k_max: int = num(5, lo=1)
    total_grids: int | None = num(None, lo=1)
    grids_per_village: int | None = num(None, lo=1)
