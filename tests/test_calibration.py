"""Calibration: targets, screening rule, ABC identifiability (synthetic truth), draws,
the registry's posterior, and bad calibration input refused in one line."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from sim.calibration import targets as tg
from sim.errors import ConfigError


def _write(tmp_path, text: str):
    p = tmp_path / "targets.yaml"
    p.write_text(text, encoding="utf-8")
    return str(p)


GOOD = """patterns:
  sat: {kpi: satisfaction_rate, target: 0.88, tolerance: 0.03, source: "[S24] x"}
  oos: {kpi: "(by_level.grid.count + by_level.village.count) / counts.dispatched", target: 0.78,
        tolerance: 0.03, source: "[S3] y", fit: false}
"""


def test_the_shipped_targets_load_and_name_their_sources():
    pats = tg.load("chongming")
    names = {p.name for p in pats}
    assert {"satisfaction", "closure", "on_time", "on_spot_share", "redispatch", "hotline_per_1000_per_year",
            "proactive_share"} <= {p.name for p in pats if p.fit}
    assert any(not p.fit for p in pats) and names
    assert all("[S" in p.source for p in pats)


def test_expressions_and_the_error_model():
    p = tg.Pattern("h", "1000 * by_channel.hotline_12345.count / structure.residents * 365 / (horizon_days - "
                        "warmup_days)", 20, 20, 5, "[S4]")
    s = {"by_channel": {"hotline_12345": {"count": 60}}, "structure": {"residents": 36500}, "horizon_days": 90,
         "warmup_days": 30}
    assert p.value(s) == pytest.approx(1000 * 60 / 36500 * 365 / 60)  # 10 per 1,000 a year
    assert p.gap(10.0) == 10.0 and not p.inside(10.0) and p.inside(16.0)
    iv = tg.Pattern("c", "closure_rate", 0.9, 1.0, 0.02, "[S1]")
    assert iv.gap(0.95) == 0 and iv.gap(0.85) == pytest.approx(0.05) and iv.gap(float("nan")) == float("inf")
    assert tg.evaluate("closure_rate / counts.due", {"closure_rate": 1.0, "counts": {"due": 0}}) != \
        tg.evaluate("closure_rate / counts.due", {"closure_rate": 1.0, "counts": {"due": 0}})  # x/0 is NaN
    assert tg.distance([iv, p], {"c": 0.86, "h": 25.0}) == pytest.approx(np.hypot(0.04 / 0.02, 5 / 5))


@pytest.mark.parametrize("text,key", [
    (GOOD.replace("satisfaction_rate", "satisfaction_rte"), "patterns.sat.kpi"),          # unknown KPI
    (GOOD.replace("target: 0.88, ", ""), "patterns.sat.target"),                           # empty target
    (GOOD.replace("target: 0.88", "target: null"), "patterns.sat.target"),
    (GOOD.replace("target: 0.88", "interval: [0.9, 0.8]"), "patterns.sat.interval"),
    (GOOD.replace("tolerance: 0.03, source: \"[S24] x\"", "tolerance: 0, source: \"[S24] x\""),
     "patterns.sat.tolerance"),
    (GOOD.replace("satisfaction_rate", "__import__('os')"), "patterns.sat.kpi"),          # not arithmetic
    (GOOD.replace("\"[S24] x\"", "Chengqiao"), "patterns.sat.source"),                    # no source tag
    ("patterns: {}\n", "patterns"),
])
def test_bad_targets_name_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as e:
        tg.load(_write(tmp_path, text))
    assert e.value.key.endswith(key), e.value


def test_priors_must_lie_inside_the_registry_bounds():
    from sim.assumptions import load
    from sim.calibration.abc import priors

    a = next(a for a in load() if a.key == "teams.training_level")
    assert priors({"params": {a.key: "registry"}}) == {a.key: (a.low, a.high)}
    assert priors({"params": {a.key: [0.3, 0.4]}}) == {a.key: (0.3, 0.4)}
    for bad, words in (([0.1, 0.5], "outside the parameter's bounds"), ([0.5, 0.3], "low < high"),
                       ("wide", "low < high")):
        with pytest.raises(ConfigError, match=words) as e:
            priors({"params": {a.key: bad}})
        assert e.value.key == f"experiment.calibration.params.{a.key}"
    with pytest.raises(ConfigError, match="not a numeric parameter"):
        priors({"params": {"dispatch.rule": "registry"}})


@pytest.mark.parametrize("case", ["unknown_kpi", "empty_target", "prior_outside"])
def test_bad_calibration_input_is_one_line_exit_2_nothing_written(tmp_path, case):
    from conftest import run_inproc

    out = tmp_path / "results" / "calibration" / "x"
    args = ["experiment=calibrate", f"hydra.run.dir={out}"]
    if case == "unknown_kpi":
        args.append(f"experiment.calibration.targets={_write(tmp_path, GOOD.replace('satisfaction_rate', 'nope.x'))}")
    elif case == "empty_target":
        args.append(f"experiment.calibration.targets={_write(tmp_path, GOOD.replace('target: 0.88, ', ''))}")
    else:
        args += ["~experiment.calibration.params", "+experiment.calibration.params={teams.training_level: [0.1, 0.9]}"]
    before = sorted(p.name for p in tmp_path.iterdir())
    r = run_inproc(*args)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    assert {"unknown_kpi": "unknown KPI 'nope.x'", "empty_target": "the target is empty",
            "prior_outside": "outside the parameter's bounds"}[case] in r.stderr
    assert not (tmp_path / "results").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_morris_indices_match_salib_and_skip_undefined_points():
    """With every point defined the hand-written indices are SALib's; an undefined point
    removes only the two steps that touch it."""
    from SALib.analyze import morris as ma

    from sim.calibration.screen import morris_indices
    from sim.experiments.sensitivity import problem, sample

    prob = problem({"a": [0, 1], "b": [0, 2], "c": [1, 3]})
    X = sample(prob, "morris", 20, seed=3)
    y = 3 * X[:, 0] + X[:, 1] ** 2 + 0.0 * X[:, 2]
    mine = morris_indices(prob["names"], X, y)
    ref = ma.analyze(prob, X, y, num_levels=4, seed=0)
    assert mine["mu_star"].to_numpy() == pytest.approx(ref["mu_star"], rel=1e-9)
    assert mine["sigma"].to_numpy() == pytest.approx(ref["sigma"], rel=1e-9)
    y2 = y.copy()
    y2[5] = np.nan
    assert mine["effects"].sum() - morris_indices(prob["names"], X, y2)["effects"].sum() == 2


def test_the_selection_rule_counts_effects_in_tolerances():
    from sim.calibration.screen import TIME_KPI as TIME, select

    pats = [tg.Pattern("p", "closure_rate", 0.9, 1, 0.02, "[S1]"), tg.Pattern("q", "on_time_rate", 0.9, 1, 0.1, "[S1]"),
            tg.Pattern("o", "on_spot_share", 0.1, 0.2, 0.001, "[S1]", fit=False)]
    t = lambda mu: pd.DataFrame({"parameter": ["a", "b", "c"], "mu_star": mu, "sigma": [0, 0, 0]})  # noqa: E731
    tables = {TIME: t([9, 9, 9]), "p": t([0.05, 0.01, 0.0]), "q": t([0.0, 0.15, 0.05]), "o": t([1, 1, 1])}
    sel = select(tables, pats, min_effect=1.0, top=1).set_index("parameter")
    assert sel.loc["a", "max_effect_in_tolerances"] == pytest.approx(2.5)      # 0.05 / 0.02 on p
    assert sel.loc["b", "on_pattern"] == "q" and sel.loc["b", "influential"]  # 0.15 / 0.1 = 1.5
    assert not sel.loc["c", "influential"]                                     # 0.5 < 1; o is not fitted
    assert sel["selected"].sum() == 1 and sel.loc["a", "selected"]


def _stand_in(patterns):
    """A fast stochastic simulator standing in for the model (the ABC machinery under test):
    a = x + noise, b = y + x / 2 + noise, seeded by the values."""
    def f(v):
        s = int.from_bytes(hashlib.sha256(json.dumps(sorted(v.items())).encode()).digest()[:4], "little")
        e = np.random.default_rng(s).normal(0.0, 0.02, 2)
        out = {"a": v["x"] + e[0], "b": v["y"] + 0.5 * v["x"] + e[1]}
        return {p.name: out[p.name] for p in patterns}
    return f


def test_synthetic_truth_lies_inside_the_90_percent_posterior():
    """Identifiability of the ABC path (priors, particles, distance, posterior table): the
    truth of a two-parameter stand-in lies in both 90 % intervals, and they shrink. With
    noise sd 0.02 against tolerances 0.05, population 40 and 3 generations give intervals
    about 0.2-0.5 wide on [0, 1]; the truth misses one only if the posterior is misplaced
    (e.g. parameters swapped). The run is seeded (run_abc's ``seed``: the same call gives the
    same posterior), so the outcome is fixed; over seeds 1-5 the shrinkage was 0.48-0.76, and a
    posterior that learnt nothing would shrink by about 0, hence the bound 0.4. The model
    itself: benchmarks/identifiability.py."""
    from sim.calibration.identify import synthetic_truth

    pats = [tg.Pattern("a", "x", 0, 0, 0.05, "[synthetic]"), tg.Pattern("b", "y", 0, 0, 0.05, "[synthetic]")]
    r = synthetic_truth(_stand_in, {"x": (0.0, 1.0), "y": (0.0, 1.0)}, pats, seed=4, population_size=40,
                        generations=3)
    for p in r["parameters"]:
        assert p["inside_90"], p
        assert p["shrinkage"] > 0.4, p


def test_draws_from_prior_box_and_posterior(tmp_path):
    from sim.calibration.draws import draw, prior_box

    box = prior_box(["teams.training_level", "dispatch.backup_after_h"])
    d = draw(50, "prior", keys=list(box), seed=2)
    for k, (lo, hi) in box.items():
        assert d[k].between(lo, hi).all()
        assert (np.histogram(d[k], bins=5, range=(lo, hi))[0] == 10).all()  # Latin hypercube: 10 per fifth
    pd.DataFrame({"teams.training_level": [0.3, 0.6], "weight": [0.0, 1.0]}).to_parquet(tmp_path / "posterior.parquet")
    p = draw(20, "posterior", posterior=tmp_path, seed=2)
    assert (p["teams.training_level"] == 0.6).all()  # resampled by weight
    with pytest.raises(ConfigError, match="source"):
        draw(2, "box")
    with pytest.raises(ConfigError, match="not a numeric parameter"):
        draw(2, "prior", keys=["dispatch.rule"])


def test_registry_posterior_and_the_value_basis(tmp_path):
    """apply writes posterior lines into the registry text (the rest kept); value_basis says
    posterior only when every posterior key is at its median."""
    from sim.assumptions import REGISTRY, Assumption, load, value_basis
    from sim.calibration.apply import nested, registry_text

    cal = {"name": "t", "parameters": [{"parameter": "teams.training_level", "posterior_median": 0.41,
                                        "posterior_90": [0.3, 0.55]}]}
    text = registry_text(REGISTRY.read_text(encoding="utf-8"), cal)
    text = registry_text(text, cal)  # applying twice keeps one posterior line
    assert text.count("posterior: {median: 0.41, low: 0.3, high: 0.55, calibration: t}") == 1
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    reg = [a for a in load(tmp_path / "a.yaml") if a.key == "teams.training_level"]
    assert [a.posterior for a in reg] == [{"median": 0.41, "low": 0.3, "high": 0.55, "calibration": "t"}]
    assert nested(cal) == {"teams": {"training_level": 0.41}}
    assert value_basis({"teams": {"training_level": 0.41}}, reg) == ("posterior", "t", ["teams.training_level"])
    assert value_basis({"teams": {"training_level": 0.5}}, reg)[0] == "prior"
    assert value_basis({"teams": {"training_level": 0.5}}, [Assumption("x", 1, 0, 2)])[0] == "prior"
