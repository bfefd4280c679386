"""The Chongming world: structure, partition, mechanisms, GeoJSON maps."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_inproc, scenario_params
from sim import ConfigError, params_from_dict, run_model
from sim.metrics.kpi import summarize
from sim.world.partition import grids_per_village, partition, quality
from sim.rng import Streams
from sim.world.world import build_world


def test_chongming_structure_matches_the_seed_figures():
    p = params_from_dict(scenario_params("chongming", 10.0))
    from sim.model import GovernanceModel

    from sim.metrics.records import structure

    m = GovernanceModel(p)
    s = structure(m)
    assert (s["towns"], s["villages"], s["grids"]) == (18, 269, 993)
    assert s["management_team"] == 6680 and s["work_team"] == 8078 and s["volunteer_team"] == 14783
    assert s["service_points"] == 993
    assert abs(s["residents"] - 680_000) / 680_000 < 0.01  # household sizes are drawn: within 1 %
    assert 3 <= s["grids_per_village"]["min"] and s["grids_per_village"]["max"] <= 5
    # "about 1 km2": the grids tile the real map's land, 1,413 km2 / 993 grids = 1.42 km2
    assert abs(s["grid_area_km2"]["mean"] - s["land_area_km2"] / 993) < 1e-6
    assert 0.8 < s["grid_area_km2"]["mean"] < 1.6
    # 15-minute circle: the real map's farm towns (Xinhai, Dongping) have village-level units of
    # 16-27 km2 that 3-5 grids cannot cut into 1 km2 grids, so coverage is below the synthetic 0.9
    assert s["coverage_15min"] > 0.85
    # team members, cadres and department staff are Mesa agents
    from sim.agents.staff import StaffMember
    from sim.agents.heads import HouseholdHead

    teams = [a.team for a in m.agents_by_type[StaffMember]]
    assert (teams.count("management"), teams.count("work"), teams.count("volunteer")) == (6680, 8078, 14783)
    assert teams.count("cadre") == 269 * p.staff.cadres_per_village
    assert len(m.agents_by_type[HouseholdHead]) == s["household_heads"] > 0


@settings(max_examples=40, deadline=None)
@given(n_h=st.integers(1, 400), k=st.integers(1, 6), seed=st.integers(0, 10**6),
       w=st.floats(0.3, 5.0), h=st.floats(0.3, 5.0))
def test_partition_properties(n_h, k, seed, w, h):
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(0, w, n_h), rng.uniform(0, h, n_h)])
    poly = [np.array([[0, 0], [w, 0], [w, h], [0, h]])]
    part = partition(poly, xy, np.zeros(n_h, dtype=np.int64), np.array([k]))
    assert len(part.grid_village) == k
    counts = np.bincount(part.household_grid, minlength=k)
    # balance: every grid within one household per level of bisection of the ideal share
    depth = int(np.ceil(np.log2(k))) if k > 1 else 0
    assert np.abs(counts - n_h / k).max() <= depth + 1
    # contiguity and compactness: cells are rectangles that tile the village without overlap
    b = part.grid_box
    assert np.isclose(part.grid_area_km2.sum(), w * h)
    assert (b[:, 2] >= b[:, 0]).all() and (b[:, 3] >= b[:, 1]).all()
    inside = ((xy[:, 0] >= b[part.household_grid, 0] - 1e-9) & (xy[:, 0] <= b[part.household_grid, 2] + 1e-9)
              & (xy[:, 1] >= b[part.household_grid, 1] - 1e-9) & (xy[:, 1] <= b[part.household_grid, 3] + 1e-9))
    assert inside.all()
    q = quality(part)
    assert q["household_balance_max_over_mean"] >= 1.0 - 1e-12


@given(st.lists(st.floats(0.2, 8.0), min_size=1, max_size=40), st.integers(1, 3), st.integers(0, 3))
def test_grids_per_village_bounds_and_total(areas, k_min, extra):
    areas = np.array(areas)
    k_max = k_min + extra
    k = grids_per_village(areas, areas * 100, "area", 1.0, k_min, k_max, None)
    assert ((k >= k_min) & (k <= k_max)).all()
    total = int(len(areas) * (k_min + k_max) // 2)
    k2 = grids_per_village(areas, areas * 100, "area", 1.0, k_min, k_max, total)
    assert k2.sum() == total and ((k2 >= k_min) & (k2 <= k_max)).all()
    with pytest.raises(ConfigError):
        grids_per_village(areas, areas, "area", 1.0, k_min, k_max, len(areas) * k_max + 1)


def _replicates(name: str, overrides: dict, seeds=(1, 2, 3), days=60.0, drain_days=10.0):
    """Summaries over paired seeds; 60 days and a 10-day drain (the effects below are 12 and
    38 standard errors of their paired differences there, measured; 15 and 46 at 120 days)."""
    out = []
    for s in seeds:
        d = scenario_params(name, days, drain_days=drain_days)
        d["seed"] = s
        for k, v in overrides.items():
            d.setdefault(k, {}).update(v)
        out.append(summarize(run_model(params_from_dict(d))))
    return out


def test_mechanisms_move_kpis_in_the_expected_direction():
    """Paired replicates (same seeds, common random numbers) on the one-town world.

    Tolerance: each direction must hold on every one of 3 seeds and the mean paired
    difference must exceed 3 standard errors of the paired differences; with 3 pairs a
    reversal of a real effect of this size is very unlikely, and an effect smaller than
    the noise would fail the test rather than pass by chance.
    """
    base = _replicates("chongming_town", {})
    fewer_heads = _replicates("chongming_town", {"teams": {"households_per_head": 48.0}})
    no_fusion = _replicates("chongming_town", {"fusion": {"enabled": False}, "escalation": {"rule": "step"}})

    def paired(a, b, f):
        d = np.array([f(y) - f(x) for x, y in zip(a, b)])
        return d, d.mean() / (d.std(ddof=1) / np.sqrt(len(d)) + 1e-12)

    disc = lambda s: s["discovery_delay_h"]["mean"]  # noqa: E731
    res = lambda s: s["resolution_time_h"]["mean"]  # noqa: E731
    d, z = paired(base, fewer_heads, disc)
    assert (d > 0).all() and z > 3, ("fewer household heads should lengthen discovery", d)
    d, z = paired(base, no_fusion, res)
    assert (d > 0).all() and z > 3, ("fusion off should lengthen resolution", d)


def _geojson(tmp_path, features):
    f = tmp_path / "map.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return f


def _village(v, town, x0):
    return {"type": "Feature", "properties": {"kind": "village", "village": v, "town": town},
            "geometry": {"type": "Polygon", "coordinates": [[[x0, 0], [x0 + 2, 0], [x0 + 2, 1], [x0, 1], [x0, 0]]]}}


def _household(v, x, y, size=3):
    return {"type": "Feature", "properties": {"kind": "household", "village": v, "size": size},
            "geometry": {"type": "Point", "coordinates": [x, y]}}


def test_geojson_map_loads_and_runs(tmp_path):
    rng = np.random.default_rng(0)
    feats = [_village("A", "T1", 0.0), _village("B", "T1", 2.0), _village("C", "T2", 4.0)]
    for v, x0 in (("A", 0.0), ("B", 2.0), ("C", 4.0)):
        feats += [_household(v, float(x0 + rng.uniform(0, 2)), float(rng.uniform(0, 1))) for _ in range(150)]
    path = _geojson(tmp_path, feats)
    d = scenario_params("chongming_town", 30.0)
    d["world"].update({"map": "geojson", "geojson_path": str(path)})
    d["partition"] = {"k_min": 2, "k_max": 2, "total_grids": None}
    p = params_from_dict(d)
    w = build_world(p, Streams(1)["world"])
    assert (w.n_towns, w.n_villages, w.n_grids, w.n_households, w.n_residents) == (2, 3, 6, 450, 1350)
    s = summarize(run_model(p))
    assert s["counts"]["closed"] > 0


@pytest.mark.parametrize("content,needle", [
    ("{not json", "not valid JSON"),
    ('{"type": "Feature"}', "FeatureCollection"),
    (json.dumps({"type": "FeatureCollection", "features": []}), "no village polygons"),
    (json.dumps({"type": "FeatureCollection", "features": [_village("A", "T", 0)]}), "no household points"),
    (json.dumps({"type": "FeatureCollection", "features": [_village("A", "T", 0), _household("Z", 1, 1)]}),
     "unknown village"),
    (json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "village", "village": "A", "town": "T"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}}]}), "ring"),
])
def test_broken_geojson_is_rejected_with_a_clear_message(tmp_path, content, needle):
    f = tmp_path / "bad.geojson"
    f.write_text(content)
    d = scenario_params("chongming_town", 10.0)
    d["world"].update({"map": "geojson", "geojson_path": str(f)})
    with pytest.raises(ConfigError) as e:
        build_world(params_from_dict(d), Streams(1)["world"])
    assert e.value.key == "world.geojson_path" and needle in e.value.message


def test_broken_geojson_via_cli_exits_2(tmp_path):
    f = tmp_path / "bad.geojson"
    f.write_text("{oops")
    r = run_inproc("scenario=chongming_town", "world.map=geojson", f"world.geojson_path={f}", f"hydra.run.dir={tmp_path / 'r'}")
    assert r.returncode == 2 and "world.geojson_path" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "r" / "summary.json").exists()


def test_direct_escalation_without_fusion_is_impossible(tmp_path):
    r = run_inproc("scenario=chongming_town", "fusion.enabled=false", "escalation.rule=direct", f"hydra.run.dir={tmp_path}")
    assert r.returncode == 2 and "escalation.rule" in r.stderr and "fusion.enabled" in r.stderr


def test_grids_too_small_for_any_issue_time_run_to_the_end(tmp_path):
    """300 grids a village: many grids' members have every hour taken by fixed duties, so
    their issue calendars are empty and their units' offered load unbounded. The run ends
    normally: the calendars answer from their end (it used to stop with an IndexError),
    summary.json gives such a unit's rho as null (JSON has no infinity), and the report
    names the worst ten and counts the rest."""
    import json

    from conftest import run_inproc

    d = tmp_path / "run"
    r = run_inproc("scenario=chongming_town", "partition.grids_per_village=300", "run.horizon_days=40",
                   "report.enabled=true", f"hydra.run.dir={d}")
    assert r.returncode == 0, r.stderr[-2000:]
    s = json.loads((d / "summary.json").read_text())
    unbounded = [u for u in s["unstable_units"] if u["rho"] is None]
    assert len(unbounded) > 10 and s["offered_load"][0]["rho"] is None
    report = (d / "report.md").read_text()
    assert report.count("Unstable: ") == 10 and f"And {len(s['unstable_units']) - 10:,} more unstable units" in report
