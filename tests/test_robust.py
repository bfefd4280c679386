"""Robust comparison (sim/experiments/robust*.py): the Latin hypercube, the robustness
math on a hand-made table, scenario discovery, and bad input refused in one line."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sim.errors import ConfigError
from sim.experiments import robust as rb
from sim.experiments import robust_report as rr

REGISTRY = """assumptions:
- {key: a.x, default: 0.5, low: 0.2, high: 0.8, why: t}
- {key: a.n, default: 3, low: 2, high: 5, why: t}
- {key: a.p, default: 1.0, low: 0.5, high: 2.0, why: t, posterior: {median: 0.8, low: 0.6, high: 1.2}}
- {key: a.rule, default: x, values: [x, y], why: t}
- {key: run.warmup_days, default: 30.0, low: 14.0, high: 60.0, why: t}
"""
MODEL = {"a": {"x": 0.5, "n": 3, "p": 1.0, "rule": "x"}, "run": {"warmup_days": 30.0}}


def _exp(**robust):
    return {"kpis": ["time_to_fix_h.mean"], "robust": {"samples": 8, "seed": 3, **robust}}


@pytest.fixture
def registry(tmp_path):
    p = tmp_path / "assumptions.yaml"
    p.write_text(REGISTRY)
    return p


def test_latin_hypercube_reproducible_and_stratified(registry):
    spec = rb.spec_of(_exp())
    ds = rb.dims(spec, MODEL, registry_path=registry)
    assert [d.key for d in ds] == ["a.x", "a.n", "a.p"]  # alternatives and run.* settings are not sampled
    t1, t2 = rb.sample_table(spec, ds), rb.sample_table(spec, ds)
    pd.testing.assert_frame_equal(t1, t2)  # same seed: the same samples
    other = rb.sample_table(rb.spec_of(_exp(seed=4)), ds)
    assert not np.allclose(t1["a.x"], other["a.x"])
    # one sample in each of the 8 equal strata of the range (Latin hypercube), integers whole and in range
    strata = np.floor((t1["a.x"] - 0.2) / 0.6 * 8).astype(int)
    assert sorted(strata) == list(range(8))
    assert set(t1["a.n"]) <= {2, 3, 4, 5} and (t1["a.n"] == t1["a.n"].round()).all()


def test_posterior_mode_uses_posterior_median_and_range(registry):
    spec = rb.spec_of({**_exp(), "uncertainty": "posterior"})
    ds = {d.key: d for d in rb.dims(spec, MODEL, registry_path=registry)}
    assert ds["a.p"].source == "posterior" and ds["a.x"].source == "prior"
    t = rb.sample_table(spec, list(ds.values()))
    assert t["a.p"].between(0.6, 1.2).all()
    assert (t["a.p"] < 0.8).sum() == 4  # half the strata below the median (piecewise-uniform quantile)


def test_posterior_without_any_posterior_and_unknown_mode(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text("assumptions:\n- {key: a.x, default: 0.5, low: 0.2, high: 0.8, why: t}\n")
    with pytest.raises(ConfigError) as e:
        rb.dims(rb.spec_of({**_exp(), "uncertainty": "posterior"}), MODEL, registry_path=p)
    assert e.value.key == "experiment.uncertainty" and "no entry" in e.value.message
    with pytest.raises(ConfigError) as e:
        rb.spec_of({**_exp(), "uncertainty": "bayes"})
    assert e.value.key == "experiment.uncertainty" and "prior, posterior" in e.value.message


def test_unknown_kpi_and_satisficing_key_refused():
    with pytest.raises(ConfigError) as e:
        rb.spec_of({"kpis": ["time_to_fixx"], "robust": {}})
    assert e.value.key == "experiment.kpis" and "time_to_fixx" in e.value.message
    with pytest.raises(ConfigError) as e:
        rb.spec_of({"kpis": ["time_to_fix_h.mean"], "robust": {"satisficing": {"on_time_rate": 0.9}}})
    assert e.value.key == "experiment.robust.satisficing.on_time_rate"


# 3 samples x 3 policies of a lower-is-better KPI; B ties A in sample 2
TABLE = pd.DataFrame({"A": [10.0, 12.0, 9.0], "B": [11.0, 12.0, 7.0], "C": [13.0, 11.0, 8.0]},
                     index=pd.Index([0, 1, 2], name="sample"))


def test_regret_and_probability_best_by_hand():
    r = rr.robustness(TABLE, "lower", baseline="A", threshold=11.0)
    # best per sample: A (10), C (11), B (7); regrets A: 0, 1, 2; B: 1, 1, 0; C: 3, 0, 1
    assert r["A"]["p_best"] == pytest.approx(1 / 3) and r["B"]["p_best"] == pytest.approx(1 / 3)
    assert r["A"]["regret_mean"] == pytest.approx(1.0) and r["C"]["regret_mean"] == pytest.approx(4 / 3)
    assert r["A"]["regret_p90"] == pytest.approx(np.quantile([0, 1, 2], 0.9))
    assert r["B"]["beats_baseline_share"] == pytest.approx(1 / 3)  # better than A only in sample 2 (12 = 12 is not)
    assert r["C"]["beats_baseline_share"] == pytest.approx(2 / 3)
    assert r["A"]["beats_baseline_share"] is None
    assert r["A"]["satisficing_share"] == pytest.approx(2 / 3)  # 10 and 9 are <= 11
    # ties share the sample; higher-is-better flips the direction
    tie = pd.DataFrame({"A": [1.0], "B": [1.0]})
    assert rr.robustness(tie, "lower", None)["A"]["p_best"] == pytest.approx(0.5)
    h = rr.robustness(TABLE, "higher", baseline="A")
    assert h["C"]["p_best"] == pytest.approx(1 / 3) and h["A"]["regret_mean"] == pytest.approx((3 + 0 + 0) / 3)


def _flip_case(n: int = 40):
    rng = np.random.default_rng(0)
    samples = pd.DataFrame({"a": rng.random(n), "b": rng.random(n)}, index=pd.Index(range(n), name="sample"))
    ref = np.where(samples["a"] > 0.6, 5.0, 1.0)  # the reference loses (regret 2) where a > 0.6
    t = pd.DataFrame({"ref": ref, "other": np.full(n, 3.0)}, index=samples.index)
    spec = rb.spec_of({"kpis": ["time_to_fix_h.mean"], "robust": {"prim": {"policy": "ref", "min_density": 0.9}}})
    return {"time_to_fix_h.mean": t}, samples, spec, {"time_to_fix_h.mean": "lower"}


def test_prim_threshold_that_selects_no_sample_refused():
    tables, samples, spec, better = _flip_case()
    spec.prim_regret_above = 10.0  # more than the largest regret (2): selects no sample
    with pytest.raises(ConfigError) as e:
        rr.discovery(tables, samples, spec, better)
    assert e.value.key == "experiment.robust.prim.regret_above" and "selects none" in e.value.message


@pytest.mark.slow  # importing ema_workbench alone takes several seconds
def test_prim_box_restricts_the_assumption_that_flips_the_ranking():
    sd = rr.discovery(*_flip_case())
    box = sd["boxes"][0]
    # tolerance: PRIM peels 5 % at a time, so a box may keep a non-case at its edge
    assert box["coverage"] >= 0.9 and box["density"] >= 0.9
    assert [x["param"] for x in box["restricted"]] == ["a"] and box["restricted"][0]["low"] > 0.5


def test_repair_keeps_shares_within_one():
    tree = {"staff": {"work": {"patrol_share": 0.6, "routine_share": 0.8}, "cadre": {"patrol_share": 0.1,
                                                                                     "routine_share": 0.2}}}
    assert rb.repair(tree) == ["work"]
    assert tree["staff"]["work"]["patrol_share"] + tree["staff"]["work"]["routine_share"] == pytest.approx(1.0)
    assert tree["staff"]["cadre"] == {"patrol_share": 0.1, "routine_share": 0.2}


def test_calendar_without_working_time_counts_none():
    from sim.lifecycle.calendar import WorkCalendar

    cal = WorkCalendar([[(8.0, 9.0)]] * 7, dt.date(2024, 1, 1), 2)
    empty = cal.with_intervals(remove=[(0.0, 48.0)])  # fixed duties take every working hour
    assert empty.work_before(10.0) == 0.0
    assert list(empty.work_before_v(np.array([1.0, 30.0]))) == [0.0, 0.0]


@pytest.mark.parametrize("args,key", [
    (["experiment.uncertainty=bayes"], "experiment.uncertainty"),
])
def test_bad_robust_sweep_refused_in_one_line(tmp_path, args, key):
    from conftest import run_inproc

    out = tmp_path / "sweep"
    r = run_inproc("-m", "experiment=robust_grid_size", *args, f"hydra.sweep.dir={out}")
    assert r.returncode == 2, r.stderr
    assert key in r.stderr and "Traceback" not in r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) == 1, r.stderr
    assert not out.exists()
