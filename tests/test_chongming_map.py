"""The real Chongming map (world.map=chongming): land, islands, towns, villages,
households, the town selection and travel across the links.

Geometry checks are deterministic (the map depends on the data and world.map_seed only);
tolerances are stated where floating-point clipping or drawn household sizes enter.
"""

from __future__ import annotations

import csv
import json
import math
import re
import time

import numpy as np
import pytest
import shapely

from conftest import run_inproc, scenario_params
from sim import ConfigError, params_from_dict
from sim.rng import Streams
from sim.world import chongming as cm
from sim.world.world import build_world

TOWNS = [("城桥镇", "Chengqiao"), ("堡镇", "Baozhen"), ("新河镇", "Xinhe"), ("庙镇", "Miaozhen"),
         ("竖新镇", "Shuxin"), ("向化镇", "Xianghua"), ("三星镇", "Sanxing"), ("港沿镇", "Gangyan"),
         ("中兴镇", "Zhongxing"), ("陈家镇", "Chenjia"), ("绿华镇", "Lühua"), ("港西镇", "Gangxi"),
         ("建设镇", "Jianshe"), ("新海镇", "Xinhai"), ("东平镇", "Dongping"), ("长兴镇", "Changxing"),
         ("新村乡", "Xincun"), ("横沙乡", "Hengsha")]
ISLANDS = [("崇明岛", "Chongming"), ("长兴岛", "Changxing"), ("横沙岛", "Hengsha")]


def _params(**world):
    d = scenario_params("chongming", 10.0)
    d["world"].update(world)
    if world.get("towns_included"):
        d["partition"]["total_grids"] = None
    return params_from_dict(d)


@pytest.fixture(scope="module")
def world():
    return build_world(_params(), Streams(1)["world"])


@pytest.fixture(scope="module")
def world_seed2():
    return build_world(_params(), Streams(2)["world"])


def _polys(w):
    return [shapely.Polygon(r) for r in w.village_poly]


def test_default_world_is_the_real_district(world):
    s = world.structure()
    assert abs(s["land_area_km2"] - 1413.0) / 1413.0 < 0.05
    assert [(i["zh"], i["en"]) for i in s["islands"]] == ISLANDS
    assert [(t["zh"], t["en"]) for t in s["town_names"]] == TOWNS
    assert s["towns"] == 18 and s["villages"] == 269 and s["grids"] == 993
    # each island's land matches its published area: Changxing 88.5 [S79], Hengsha 51.7 [S80]
    isl = np.array([shapely.Polygon(r).area for r in world.map_extras["land_poly"]])
    assert isl == pytest.approx([1413.0 - 88.5 - 51.7, 88.5, 51.7], rel=0.01)
    assert "EPSG:32651" in world.map_extras["crs"]


def test_villages_are_single_polygons_tiling_the_land(world):
    """Tolerances: pairwise overlaps below 1e-4 km² in all (coordinates are snapped to
    1e-6 km, shared edges are exact); the union differs from the land by < 0.01 km²."""
    polys = _polys(world)
    assert len(polys) == 269
    assert all(p.geom_type == "Polygon" and p.is_valid and p.is_simple and not p.interiors for p in polys)
    arr = np.array(polys, dtype=object)
    i, j = shapely.STRtree(arr).query(arr, predicate="intersects")
    m = i < j
    assert shapely.area(shapely.intersection(arr[i[m]], arr[j[m]])).sum() < 1e-4
    land = shapely.union_all([shapely.Polygon(r) for r in world.map_extras["land_poly"]])
    union = shapely.union_all(arr)
    assert shapely.symmetric_difference(union, land).area < 0.01
    assert world.land_area_km2 == pytest.approx(land.area, rel=1e-6)
    # realistic, varied sizes: no sliver, no giant, spread within towns
    area = shapely.area(arr)
    assert area.min() > 0.3 and area.max() < 40.0
    cv = [area[world.village_town == t].std() / area[world.village_town == t].mean() for t in range(18)
          if (world.village_town == t).sum() >= 5]
    assert 0.1 < np.median(cv) < 0.8
    # every village has a road; names follow the pattern
    assert set(world.map_extras["road_village"]) == set(range(269))
    assert world.names("village", "zh")[0] == "城桥镇1村"
    assert world.names("village", "en")[0] == "Chengqiao village 1"
    assert re.fullmatch(r"横沙乡\d+村", world.names("village", "zh")[-1])


def test_town_polygons_match_their_areas_and_hold_their_seats():
    d = cm.load_data()
    rows = list(csv.DictReader(cm.TOWNS_FILE.open(encoding="utf-8")))
    for t, poly, row in zip(d.towns, d.town_poly, rows):
        assert poly.geom_type == "Polygon" and poly.is_valid
        assert poly.area == pytest.approx(float(row["area_km2"]), rel=0.01)
        assert poly.contains(shapely.points(t.seat_xy)), t.en
    assert sum(t.villages for t in d.towns) == 269
    # Chengqiao south-west of the island's centre, Chenjia at its east end, the other two islands south-east
    seat = {t.en: np.array(t.seat_xy) for t in d.towns}
    cx = np.mean([s[0] for k, s in seat.items() if k not in ("Changxing", "Hengsha")])
    assert seat["Chengqiao"][0] < cx < seat["Chenjia"][0]
    assert seat["Chenjia"][0] == max(s[0] for k, s in seat.items() if k not in ("Changxing", "Hengsha"))
    assert seat["Changxing"][1] < seat["Baozhen"][1] and seat["Hengsha"][0] > seat["Changxing"][0]


def test_data_files_are_small_and_every_figure_is_tagged():
    assert cm.LAND_FILE.stat().st_size < 300_000
    gj = json.loads(cm.LAND_FILE.read_text(encoding="utf-8"))
    assert "EPSG:32651" in gj["crs_note"] and "310151" in gj["source"]
    tag = re.compile(r"\[(S\d+|W\d+|A|D)\]")
    rows = list(csv.DictReader(cm.TOWNS_FILE.open(encoding="utf-8")))
    assert [(r["zh"], r["pinyin"]) for r in rows] == TOWNS
    for r in rows:
        for col in ("seat_source", "area_published_source", "area_source", "villages_source", "population_source",
                    "residents_source"):
            assert tag.search(r[col]), (r["pinyin"], col)
    assert sum(int(r["residents"]) for r in rows) == pytest.approx(680_000, abs=18)  # rounding per town


def test_households_lie_along_roads_inside_their_village_and_town(world):
    polys = np.array(_polys(world), dtype=object)
    hv = world.household_village
    xy = world.household_xy
    inside = shapely.contains_xy(polys[hv], xy[:, 0], xy[:, 1])
    # a house kept on its road may sit on the village edge where the road meets it: 1e-9 km
    if not inside.all():
        assert shapely.distance(polys[hv[~inside]], shapely.points(xy[~inside])).max() < 1e-9
    towns = np.array([shapely.Polygon(r[0]) for r in world.map_extras["town_poly"]], dtype=object)
    assert shapely.distance(towns[world.village_town[hv]], shapely.points(xy)).max() < 1e-6
    # position = road start + s along it + offset to the side, offset within 3 sd
    ex = world.map_extras
    seg = np.array(ex["road_xy"])[ex["household_road"]]
    u = (seg[:, 1] - seg[:, 0]) / np.hypot(*(seg[:, 1] - seg[:, 0]).T)[:, None]
    n = np.column_stack([-u[:, 1], u[:, 0]])
    rebuilt = seg[:, 0] + ex["household_s_km"][:, None] * u + ex["household_offset_km"][:, None] * n
    assert np.abs(rebuilt - xy).max() < 1e-9
    assert np.abs(ex["household_offset_km"]).max() <= 3 * 0.05 + 1e-12
    assert (ex["road_village"][ex["household_road"]] == hv).all()
    # the island of each household is its village's island
    assert (world.travel.islands_of(xy) == ex["village_island"][hv]).all()
    # household sizes are drawn (1 + Poisson): 270k draws, sd of the total ~0.1 %; allow 1 %
    assert abs(world.n_residents - 680_000) / 680_000 < 0.01


def test_geometry_is_the_same_for_every_run_seed(world, world_seed2):
    a, b = world, world_seed2
    assert len(a.village_poly) == len(b.village_poly)
    assert all(np.array_equal(p, q) for p, q in zip(a.village_poly, b.village_poly))
    assert all(np.array_equal(p, q) for p, q in zip(a.map_extras["road_xy"], b.map_extras["road_xy"]))
    assert np.array_equal(np.bincount(a.household_village), np.bincount(b.household_village))
    assert not np.array_equal(a.household_xy, b.household_xy)  # positions use the run's generator
    # another map seed gives another village layout, same towns
    c = build_world(_params(map_seed=7), Streams(1)["world"])
    assert c.n_villages == 269 and not all(np.array_equal(p, q) for p, q in zip(a.village_poly, c.village_poly))


@pytest.mark.parametrize("name", ["Xinhe", "新河镇", "xinhe"])
def test_towns_included_selects_real_towns(world, name):
    w = build_world(_params(towns_included=[name]), Streams(1)["world"])
    assert w.n_towns == 1 and w.n_villages == 17  # [S73]
    assert list(w.names("town", "zh")) == ["新河镇"]
    assert all(re.fullmatch(r"新河镇\d+村", v) for v in w.names("village", "zh"))
    full = [p for p, t in zip(world.village_poly, world.village_town) if t == 2]
    assert all(np.array_equal(p, q) for p, q in zip(full, w.village_poly))
    share = int(next(r["residents"] for r in csv.DictReader(cm.TOWNS_FILE.open(encoding="utf-8"))
                     if r["pinyin"] == "Xinhe"))
    assert abs(w.n_residents - share) / share < 0.02  # drawn sizes: sd ~0.4 %
    assert w.structure()["islands"] == [{"zh": "崇明岛", "en": "Chongming"}]
    two = build_world(_params(towns_included=["Hengsha", "Lvhua"]), Streams(1)["world"])
    assert list(two.names("town", "en")) == ["Lühua", "Hengsha"]


@pytest.mark.parametrize("bad", [["Atlantis"], ["Xinhe", "新河"]])
def test_bad_town_names_are_rejected_in_one_line(bad):
    with pytest.raises(ConfigError) as e:
        _params(towns_included=bad)
    assert e.value.key == "world.towns_included"
    assert "\n" not in str(e.value) and "新河镇/Xinhe" in e.value.message and "横沙乡/Hengsha" in e.value.message


def test_bad_town_name_via_cli_exits_2(tmp_path):
    r = run_inproc("world.towns_included=[Atlantis]", f"hydra.run.dir={tmp_path / 'r'}")
    assert r.returncode == 2 and "world.towns_included" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r" / "summary.json").exists()


def test_travel_to_hengsha_crosses_the_bridge_and_waits_for_the_ferry(world):
    tr = world.travel
    d = cm.load_data()
    seat = {t.en: t.seat_xy for t in d.towns}
    a, b = seat["Chengqiao"], seat["Hengsha"]
    ia, ib = tr.island(*a), tr.island(*b)
    assert (tr.island_names[ia], tr.island_names[ib]) == ("Chongming", "Hengsha")
    legs = tr.route(ia, ib)
    assert [ln.kind for ln, _, _ in legs] == ["bridge", "ferry"]
    (bridge, b_in, b_out), (ferry, f_in, f_out) = legs
    k = world.map_extras["travel"].detour / tr.speeds_kmh["car"]
    to_pier = (math.dist(a, b_in) * k + bridge.crossing_h + math.dist(b_out, f_in) * k)
    after = ferry.crossing_h + math.dist(f_out, b) * k
    p = _params().world
    assert bridge.crossing_h == pytest.approx(9.97 / p.bridge_speed_kmh)
    # leaving at 03:00 reaches the pier before the first ferry (05:30) and waits for it
    assert 3.0 + to_pier < p.ferry_first_h
    t3 = tr.time_h(*a, *b, "car", t_h=3.0)
    assert t3 == pytest.approx(p.ferry_first_h - 3.0 + after)
    # the wait depends on the clock: at most one interval in the day, overnight after the last ferry
    dep = p.ferry_first_h + 12 * p.ferry_interval_min / 60  # a daytime departure
    assert tr.time_h(*a, *b, "car", t_h=dep - to_pier) == pytest.approx(to_pier + after)  # no wait
    assert tr.time_h(*a, *b, "car", t_h=dep - to_pier + 0.01) == pytest.approx(
        to_pier + after + p.ferry_interval_min / 60 - 0.01)  # just missed it: a whole interval
    day = np.array([tr.time_h(*a, *b, "car", t_h=h) for h in np.arange(7.0, 18.0, 0.05)])
    assert to_pier + after - 1e-9 <= day.min() and day.max() <= to_pier + after + p.ferry_interval_min / 60 + 1e-9
    late = tr.time_h(*a, *b, "car", t_h=22.0)
    assert late == pytest.approx(24.0 + p.ferry_first_h - 22.0 + after)
    # a day later the same (clock time, not elapsed time)
    assert tr.time_h(*a, *b, "car", t_h=27.0) == pytest.approx(t3)
    # Chongming -> Changxing: the bridge, no clock dependence
    c = seat["Changxing"]
    assert tr.time_h(*a, *c, "walk", 3.0) == tr.time_h(*a, *c, "walk", 12.0) > math.dist(a, c) * 1.3 / 4.5 * 0.5


def test_same_island_travel_is_unchanged_and_vectorised_agrees(world):
    tr = world.travel
    p = _params().world
    rng = np.random.default_rng(5)
    xy = world.household_xy[rng.choice(world.n_households, 2000, replace=False)]
    a, b = xy[:1000], xy[1000:]
    same = tr.islands_of(a) == tr.islands_of(b)
    for mode, v in (("walk", p.speed_walk_kmh), ("ebike", p.speed_ebike_kmh), ("car", p.speed_car_kmh)):
        t = tr.time_h_v(a, b, mode, t_h=rng.uniform(0, 48, 1000))
        straight = np.hypot(*(b - a).T) * p.detour_factor / v
        assert np.allclose(t[same], straight[same])
        # other islands: through the links, at least their crossing times (the bridge is
        # crossed by road vehicle, so this may beat a straight line across the water)
        assert (t[~same] >= min(ln.crossing_h for ln in tr.links)).all()
    th = rng.uniform(0, 48, 1000)
    vec = tr.time_h_v(a, b, "ebike", th)
    assert np.allclose(vec, [tr.time_h(*a[k], *b[k], "ebike", th[k]) for k in range(1000)], rtol=0, atol=1e-12)
    # without a clock, a ferry wait is its expectation over the day
    assert np.allclose(tr.time_h_v(a, b, "car"), [tr.time_h(*a[k], *b[k], "car") for k in range(1000)])
    # cheap enough for an event loop (loose bound against slow machines)
    t0 = time.perf_counter()
    for k in range(5000):
        tr.time_h(*a[k % 1000], *b[k % 1000], "car", 10.0)
    assert (time.perf_counter() - t0) / 5000 < 50e-6


def test_maps_without_islands_get_straight_travel_and_structure_fields():
    d = scenario_params("chongming", 10.0)
    d["world"]["map"] = "synthetic"
    w = build_world(params_from_dict(d), Streams(1)["world"])
    tr = w.travel
    assert tr.island(1.0, 2.0) == 0 and tr.links == ()
    assert tr.time_h(0, 0, 3, 4, "walk", 22.0) == pytest.approx(5 * 1.3 / 4.5)
    s = w.structure()
    assert s["land_area_km2"] is None and s["islands"] is None
    assert s["town_names"][0] == {"zh": "1号镇", "en": "Town 1"} and len(s["town_names"]) == 18
    reg = build_world(params_from_dict(scenario_params("village", 10.0)), Streams(1)["world"])
    assert reg.travel.time_h(0, 0, 0, 1, "car") == pytest.approx(1.3 / 30.0)
    assert reg.structure()["town_names"] == [{"zh": "1号镇", "en": "Town 1"}]
