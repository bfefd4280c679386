"""Reports a researcher can read: Chinese and English text, a CJK font that covers every
character drawn, place names in tables and parquet files, rounding and plurals, and the
same close-up village whichever scenario runs."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import run_inproc, scenario_params
from sim import ConfigError, params_from_dict, run_model
from sim.reporting import figures, fonts
from sim.reporting.doc import Doc, Pct, fmt
from sim.reporting.i18n import CATALOGUE, LANGS, Tr
from sim.reporting.places import close_up_village

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def town_run():
    """A short run of the one-town scenario (seed 2, 20 days)."""
    d = scenario_params("chongming_town", 20.0)
    d["seed"] = 2
    return run_model(params_from_dict(d))


def _fonttools_cmap(path: str, face: int) -> set[int]:
    from fontTools.ttLib import TTCollection, TTFont

    if path.lower().endswith((".ttc", ".otc")):
        return set(TTCollection(path, lazy=True).fonts[face].getBestCmap())
    return set(TTFont(path, lazy=True).getBestCmap())


def _check_audit(records: list, min_cjk_figures: int) -> None:
    """Every figure: ≥ 150 dpi, no glyph missing, no tofu warning, every CJK character
    drawn by a font whose cmap (read again with fontTools) has it; titles in Chinese."""
    assert len(records) >= min_cjk_figures
    cmaps: dict = {}
    for rec in records:
        assert rec["dpi"] >= 150, rec["path"]
        assert not rec["warnings"], (rec["path"], rec["warnings"])
        cjk_chars = 0
        for t in rec["texts"]:
            assert not t["missing"], (rec["path"], t["text"], t["missing"])
            for ch, font in t["fonts"].items():
                if fonts.is_cjk(ch):
                    cjk_chars += 1
                    path, face = font.rsplit("#", 1)
                    if font not in cmaps:
                        cmaps[font] = _fonttools_cmap(path, int(face))
                    assert ord(ch) in cmaps[font], (rec["path"], ch, font)
        assert cjk_chars > 0, f"{rec['path']}: no Chinese text drawn"
    with pytest.raises(AssertionError):  # the check itself can fail: a char no font has
        bad = [{"path": "x", "dpi": 150, "warnings": [], "texts": [{"text": "\ue000", "fonts": {}, "missing": ["\ue000"]}]}]
        _check_audit(bad, 1)


@pytest.mark.filterwarnings("error:Glyph")  # matplotlib's tofu warning fails the test wherever it is drawn
def test_zh_report_figures_use_a_font_that_covers_every_character(town_run, tmp_path):
    from sim.output import write_run
    from sim.reporting.maps import fig_district

    with figures.audit() as records:
        write_run(town_run, tmp_path, command="test", report={"lang": "zh"})
    names = {r["path"].rsplit("/", 1)[-1] for r in records}
    assert {"resolution_time.png", "backlog.png", "map_district.png", "map_village.png"} <= names
    _check_audit(records, 4)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# 运行报告") and "按期结案率" in md and "Headline" not in md
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "lang='zh-CN'" in html
    # place names, not numbers, in the ranking; no raw floats or scientific noise
    w = town_run.world
    assert any(str(n) in md for n in w.names("grid", "zh"))
    body = md.split("\n```\n")[0]  # before the reproduce section (versions, command)
    for number in re.findall(r"\d[\d,]*\.\d+", body):  # every decimal rounded to at most 4 significant digits
        assert len(number.replace(",", "").replace(".", "").lstrip("0")) <= 4, number
    assert not re.search(r"\de-\d", body)
    # town labels on the district map do not overlap
    with fonts.context("zh"):
        info = fig_district(town_run, tmp_path / "d.png", Tr("zh"))
    assert info["labels"] and info["overlaps"] == []


def test_parquet_files_carry_place_names(town_run, tmp_path):
    from sim.output import write_run

    write_run(town_run, tmp_path, command="test", report=False)
    w = town_run.world
    grids = pq.read_table(tmp_path / "grids.parquet").to_pandas()
    for level in ("town", "village", "grid"):
        for lang in LANGS:
            col = f"{level}_name_{lang}"
            assert col in grids
    g = grids["grid"].to_numpy()
    assert (grids["grid_name_zh"].astype(str).to_numpy() == w.names("grid", "zh")[g]).all()
    assert (grids["village_name_en"].astype(str).to_numpy() == w.names("village", "en")[w.grid_village[g]]).all()
    assert (grids["town_name_en"].astype(str).to_numpy() == w.names("town", "en")[w.grid_town[g]]).all()
    iss = pq.read_table(tmp_path / "issues.parquet", columns=["town", "village", "grid", "town_name_zh",
                                                              "village_name_en", "grid_name_en"]).to_pandas()
    assert len(iss) > 0
    assert (iss["village_name_en"].astype(str).to_numpy() == w.names("village", "en")[iss["village"]]).all()
    assert (iss["town_name_zh"].astype(str).to_numpy() == w.names("town", "zh")[iss["town"]]).all()
    assert (iss["grid_name_en"].astype(str).to_numpy() == w.names("grid", "en")[iss["grid"]]).all()
    if (tmp_path / "staff.parquet").is_file():  # staff at a place carry its names; district staff (-1) none
        st = pq.read_table(tmp_path / "staff.parquet", columns=["village", "village_name_zh"]).to_pandas()
        at = st["village"].to_numpy() >= 0
        assert (st["village_name_zh"][at].astype(str).to_numpy() == w.names("village", "zh")[st["village"][at]]).all()
        assert st["village_name_zh"][~at].isna().all()


def test_en_report_needs_no_cjk_font_and_zh_without_one_fails_clearly(town_run, tmp_path, monkeypatch):
    from sim.output import write_run
    from sim.reporting.options import report_options

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)  # a machine without any CJK font
    with figures.audit() as records:
        write_run(town_run, tmp_path / "en", command="test", report={"lang": "en"})
    for rec in records:
        assert not rec["warnings"]
        assert all(not t["missing"] for t in rec["texts"])
        assert all(not fonts.is_cjk(c) for t in rec["texts"] for c in t["text"])
    with pytest.raises(ConfigError) as e:
        report_options({"lang": "zh"})
    assert e.value.key == "report.lang" and "noto-cjk-sans-otc" in e.value.message
    out = tmp_path / "zh"
    with pytest.raises(ConfigError):
        write_run(town_run, out, command="test", report={"lang": "zh"})
    assert not out.exists() or not any(out.iterdir())  # nothing written


@pytest.mark.parametrize("args,key,allowed", [
    (["report.lang=xx"], "report.lang", "en, zh"),
    (["-m", "experiment=tiny", "report.lang=fr"], "report.lang", "en, zh"),
    (["report=false"], "report", "report.enabled=false"),
    (["report.village=Nowhere", "scenario=chongming_town", "run.horizon_days=3", "run.warmup_days=1"],
     "report.village", "index"),
])
def test_bad_report_options_are_rejected_cleanly(tmp_path, args, key, allowed):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text('{"earlier": true}')
    r = run_inproc(*args, f"hydra.run.dir={out}", f"hydra.sweep.dir={out}")
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert key in lines[0] and allowed in lines[0], lines[0]
    assert json.loads((out / "summary.json").read_text()) == {"earlier": True}
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]


def test_numbers_are_rounded_and_counts_have_plural_forms():
    en, zh = Tr("en"), Tr("zh")
    assert en.n("count.grids", 1) == "1 micro-grid" and en.n("count.grids", 3) == "3 micro-grids"
    assert en.n("count.grids", 0) == "0 micro-grids" and en.n("count.households", 1234) == "1,234 households"
    assert zh.n("count.grids", 1) == "1个微网格" and zh.n("count.grids", 3) == "3个微网格"
    assert fmt(Pct(0.8812345)) == "88.1 %" and fmt(Pct(0.8812345), "zh") == "88.1%"
    assert fmt(Pct(0.0014)) == "0.14 %" and fmt(Pct(1.0)) == "100.0 %"
    assert fmt(77.2612) == "77.3" and fmt(742.447) == "742.4" and fmt(1.1111) == "1.11" and fmt(0.014655) == "0.0147"
    assert fmt(5997489.96) == "5,997,490" and fmt(3.0) == "3" and fmt(12) == "12" and fmt(-0.0) == "0"
    assert fmt(None) == "—" and fmt(float("nan")) == "—" and fmt(True, "zh") == "是"
    # an sd that is 0 up to floating error shows as 0: alone, and against its column's scale
    assert fmt(5.684341886080802e-14) == "0"
    assert fmt(3e-7, scale=1e4) == "0" and fmt(3e-7) != "0"  # relative to the scale, not a fixed cut-off
    d = Doc("t")
    d.table(["team", "sd (h)"], [["work", 31.671967], ["volunteer", 5.684341886080802e-14], ["heads", 0.0]])
    assert d.blocks[-1][2] == [["work", "31.7"], ["volunteer", "0"], ["heads", "0"]]
    d.table(["x"], [[2.0e-6], [5.0e-3]])  # small but real values stay
    assert d.blocks[-1][2] == [["0.000002"], ["0.005"]]
    assert fmt(3.5e-05) == "0.000035" and fmt(Pct(6.2e-7)) == "0.000062 %" and fmt(2.5e-9) == "2.5e-09"


def test_every_catalogue_entry_has_both_languages_and_the_same_placeholders():
    for key, e in CATALOGUE.items():
        assert set(e) == set(LANGS), key
        forms = {lang: (e[lang] if isinstance(e[lang], (str, dict)) else " ".join(e[lang])) for lang in LANGS}
        holes = {lang: set(re.findall(r"{(\w+)}", " ".join(f.values()) if isinstance(f, dict) else f))
                 for lang, f in forms.items()}
        assert holes["en"] == holes["zh"], key
        if isinstance(e["en"], dict):
            assert set(e["en"]) == {"one", "other"}, key
        if isinstance(e["en"], list):
            assert len(e["en"]) == len(e["zh"]), key


@pytest.mark.parametrize("scenario", ["chongming", "pre_reform", "village"])
def test_every_channel_and_issue_type_of_a_shipped_scenario_has_a_display_name(scenario):
    """Report tables name channels and issue types by their display names; a name missing
    from the catalogue would print the raw identifier (untranslated in a zh report)."""
    from sim.reporting.i18n import TERMS

    p = params_from_dict(scenario_params(scenario, 1.0))
    missing = [("channel", c.name) for c in p.channels if c.name not in TERMS["channel"]]
    missing += [("type", t.name) for t in p.issue_types if t.name not in TERMS["type"]]
    assert not missing


def test_close_up_village_is_the_same_for_reform_and_pre_reform():
    from sim.rng import Streams
    from sim.world.world import build_world

    worlds = {}
    for name in ("chongming", "pre_reform"):
        d = scenario_params(name, 10.0)
        d["seed"] = 3
        p = params_from_dict(d)
        worlds[name] = build_world(p, Streams(p.seed)["world"])
    a, b = worlds["chongming"], worlds["pre_reform"]
    assert a.n_grids != b.n_grids  # different partitions...
    va, vb = close_up_village(a), close_up_village(b)
    assert va == vb  # ...the same village
    assert np.array_equal(a.village_poly[va], b.village_poly[vb])
    assert (a.household_village == va).sum() == (b.household_village == vb).sum()
    assert a.names("village", "zh")[va] == b.names("village", "zh")[vb]
    # chosen by a name or an index as well; bad choices name the key
    assert close_up_village(a, str(a.names("village", "en")[7])) == 7
    assert close_up_village(a, str(a.names("village", "zh")[7])) == 7 and close_up_village(a, "7") == 7
    for bad in (a.n_villages, "No such village"):
        with pytest.raises(ConfigError) as e:
            close_up_village(a, bad)
        assert e.value.key == "report.village"


@pytest.mark.filterwarnings("error:Glyph")
def test_zh_sweep_and_sensitivity_reports(tmp_path):
    """The sweep and sensitivity reports in Chinese, from small synthetic results."""
    from sim.experiments.experiment import ExperimentSpec
    from sim.experiments.sensitivity import write_sensitivity_report
    from sim.experiments.sweep_report import aggregate
    from sim.output import write_run

    run = 0
    for servers in (2, 3):
        for seed in (1, 2, 3):
            d = {"scenario": "mmc", "seed": seed, "run": {"horizon_days": 6, "warmup_days": 1},
                 "mmc": {"arrival_rate_per_h": 1.5, "service_rate_per_h": 1.0, "servers": servers}}
            write_run(run_model(params_from_dict(d)), tmp_path / str(run), command="test", report=False,
                      overrides=[f"mmc.servers={servers}", f"seed={seed}"])
            run += 1
    with figures.audit() as records:
        cmp = aggregate(tmp_path, ExperimentSpec(name="tiny", baseline={"mmc.servers": 3},
                                                 kpis=("resolution_time_h.mean", "wait_time_h.mean")), "test", "", "zh")
        table = pd.DataFrame({"parameter": ["a.b", "c.d"], "mu_star": [2.0, 0.5], "mu_star_conf": [0.3, 0.1],
                              "sigma": [1.0, 0.2]})
        (tmp_path / "sens").mkdir()
        write_sensitivity_report(table, "morris", "resolution_time_h.mean", 14, 0, tmp_path / "sens", "zh")
    assert cmp["baseline_policy"] == "mmc.servers=3"
    assert {"sweep_differences.png", "sweep_tradeoff.png", "sensitivity.png"} <= {
        r["path"].rsplit("/", 1)[-1] for r in records}
    _check_audit(records, 2)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# tiny——mmc") and md.index("## 主要发现") < md.index("## 方案") and "较基准 Δ" in md and "P2" in md
    assert "敏感性分析" in (tmp_path / "sens" / "report.md").read_text(encoding="utf-8")


def test_district_map_on_islands_with_irregular_villages(tmp_path):
    """Town outlines are unions of village polygons (a town may span two islands); grid
    cells are clipped to their village; town names do not overlap."""
    from types import SimpleNamespace

    from shapely.geometry import MultiPoint, Point, Polygon
    from shapely.ops import voronoi_diagram

    from sim.reporting.maps import fig_district, fig_village
    from sim.reporting.places import grid_shapes, town_shapes, village_shapes
    from sim.rng import Streams
    from sim.world.world import build_world

    rng = np.random.default_rng(1)
    islands = [Polygon([(0, 0), (30, -2), (34, 8), (4, 10)]), Polygon([(36, -6), (46, -5), (45, 2), (37, 1)])]
    feats, k = [], 0
    for isl_i, isl in enumerate(islands):
        x0, y0, x1, y1 = isl.bounds
        seeds = MultiPoint([(x, y) for x, y in zip(rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400))
                            if isl.contains(Point(x, y))][:12])
        for cell in voronoi_diagram(seeds, envelope=isl.buffer(5)).geoms:
            poly = cell.intersection(isl)
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            c = poly.centroid
            town = "T-east" if isl_i == 1 or c.x > 26 else ("T-west" if c.x < 13 else "T-mid")  # T-east spans both
            feats.append({"type": "Feature", "properties": {"kind": "village", "village": f"V{k}", "town": town},
                          "geometry": {"type": "Polygon", "coordinates": [list(map(list, poly.exterior.coords))]}})
            x0, y0, x1, y1 = poly.bounds
            pts = [(x, y) for x, y in zip(rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)) if poly.contains(Point(x, y))]
            feats += [{"type": "Feature", "properties": {"kind": "household", "village": f"V{k}", "size": 2},
                       "geometry": {"type": "Point", "coordinates": [x, y]}} for x, y in pts[:30]]
            k += 1
    path = tmp_path / "islands.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    d = scenario_params("chongming_town", 10.0)
    d["world"].update({"map": "geojson", "geojson_path": str(path)})
    d["partition"] = {"k_min": 2, "k_max": 3, "total_grids": None}
    w = build_world(params_from_dict(d), Streams(1)["world"])
    towns = town_shapes(w)
    east = list(w.names("town", "en")).index("Town 3") if w.n_towns == 3 else None
    assert w.n_towns == 3 and towns[east].geom_type == "MultiPolygon"  # spans both islands
    vs = village_shapes(w)
    for g, cell in grid_shapes(w, vs).items():
        assert cell.difference(vs[w.grid_village[g]]).area < 1e-9  # inside its village
    res = SimpleNamespace(world=w, issues={"household": rng.integers(0, w.n_households, 500),
                                           "village": np.zeros(500, dtype=int), "level_reached": np.full(500, "grid")})
    res.issues["village"] = w.household_village[res.issues["household"]]
    for lang in LANGS:
        with fonts.context(lang):
            info = fig_district(res, tmp_path / f"d_{lang}.png", Tr(lang))
            assert len(info["labels"]) == 3 and info["overlaps"] == []
    with fonts.context("zh"):
        assert fig_village(res, tmp_path / "v_zh.png", Tr("zh"), close_up_village(w))["overlaps"] == []


def test_on_time_by_type_adds_up_to_the_runs_rate(town_run):
    """summary.json by_type: each type's due count and on-time rate; weighted by due they
    give back the run's on_time_rate exactly (one definition, applied per type)."""
    from sim.metrics.kpi import summarize

    s = summarize(town_run)
    types = s["by_type"].values()
    due = sum(v["due"] for v in types)
    assert due > 0
    on_time = sum(v["on_time_rate"] * v["due"] for v in types if v["due"])
    assert on_time / due == pytest.approx(s["on_time_rate"], rel=1e-12)
    assert all(v["on_time_rate"] is None for v in types if not v["due"])


def test_a_village_of_too_many_grids_is_drawn_without_grid_labels(town_run, tmp_path, monkeypatch):
    """Grid labels in the village close-up up to MAX_GRID_LABELS grids: beyond, they would
    cover the map (a 300-grid village took ~7 s placing them); the map is drawn without."""
    from sim.reporting import maps
    from sim.reporting.places import close_up_village

    village = close_up_village(town_run.world)
    n = int((town_run.world.grid_village == village).sum())
    assert maps.fig_village(town_run, tmp_path / "v.png", Tr("en"), village)["labels"]
    monkeypatch.setattr(maps, "MAX_GRID_LABELS", n - 1)
    info = maps.fig_village(town_run, tmp_path / "v2.png", Tr("en"), village)
    assert info["labels"] == [] and (tmp_path / "v2.png").stat().st_size > 0
