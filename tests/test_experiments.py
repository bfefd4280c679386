"""Sweeps end to end: runs, aggregation, report; CRN; CI arithmetic; resume; failure
isolation; SALib on a function with known indices; the submitit launcher."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import run_inproc
from sim.experiments.experiment import ExperimentSpec, compare, paired_comparison, replication_check


def sweep(cli, d, *extra):
    r = cli("-m", "experiment=tiny", f"hydra.sweep.dir={d}", *extra)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_tiny_sweep_end_to_end(tiny):
    d, stdout = tiny
    runs = pd.read_parquet(d / "runs.parquet")
    assert len(runs) == 6 and (runs["status"] == "ok").all()
    assert set(runs["factor.mmc.servers"]) == {"2", "3"} and set(runs["seed"]) == {1, 2, 3}
    assert "kpi.resolution_time_h.mean" in runs
    cmp = json.loads((d / "comparison.json").read_text())
    assert cmp["baseline_policy"] == "mmc.servers=3"
    two = cmp["policies"]["mmc.servers=2"]["kpis"]["wait_time_h.mean"]["vs_baseline"]
    assert two["n_pairs"] == 3 and two["mean_diff"] > 0  # fewer crews, longer waits
    assert "p_adjusted_bh" in two
    assert (d / "report.md").read_text().count("Δ vs baseline") == 3  # one table per KPI of tiny.yaml
    assert (d / "report.html").is_file() and (d / "sweep_differences.png").is_file()
    assert "[6/6]" in stdout


def test_policy_identical_to_baseline_gives_zero_difference(tmp_path):
    """CRN: same seed → same draws, so an identical policy differs by exactly 0."""
    d = tmp_path / "crn"
    sweep(run_inproc, d, "mmc.servers=3", "escalation.on_overdue=supervise,extend", "seed=1,2")
    cmp = json.loads((d / "comparison.json").read_text())
    others = [p for p in cmp["policies"] if p != cmp["baseline_policy"]]
    assert len(others) == 1
    for k, v in cmp["policies"][others[0]]["kpis"].items():
        assert v["vs_baseline"]["mean_diff"] == 0.0, k
        assert v["vs_baseline"]["ci95"] == [0.0, 0.0]


def test_paired_ci_matches_scipy():
    rng = np.random.default_rng(4)
    a = rng.normal(10, 2, 12)
    b = a + rng.normal(0.7, 0.5, 12)
    c = paired_comparison(a, b)
    ref = stats.ttest_rel(b, a)
    lo, hi = ref.confidence_interval(0.95)
    assert c["ci95"] == pytest.approx([lo, hi], rel=1e-12)
    assert c["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert c["mean_diff"] == pytest.approx(np.mean(b - a), rel=1e-12)
    # replication check: half-width of the one-sample t interval over the mean
    r = replication_check(a, 0.05)
    half = stats.t.ppf(0.975, 11) * a.std(ddof=1) / np.sqrt(12)
    assert r["rel_halfwidth"] == pytest.approx(half / a.mean(), rel=1e-12)
    assert r["replicates_needed"] == int(np.ceil(12 * (half / a.mean() / 0.05) ** 2))


def test_bh_correction_is_applied():
    runs = pd.DataFrame({
        "run": range(6), "status": "ok", "seed": [1, 2, 3] * 2,
        "factor.x": ["a"] * 3 + ["b"] * 3, "kpi.k": [1.0, 2.0, 3.0, 1.5, 2.4, 3.6]})
    c = compare(runs, ExperimentSpec(baseline={"x": "a"}, kpis=("k",)))
    v = c["policies"]["x=b"]["kpis"]["k"]["vs_baseline"]
    assert v["p_adjusted_bh"] == pytest.approx(stats.false_discovery_control([v["p_value"]]), rel=1e-12)


def test_a_boolean_baseline_matches_hydras_spelling():
    """Hydra's sweeper writes a swept boolean as True/False; a baseline given as false in
    the experiment file is that level, wherever it comes in the run order."""
    runs = pd.DataFrame({
        "run": range(6), "status": "ok", "seed": [1, 2, 3] * 2,
        "factor.x": ["True"] * 3 + ["False"] * 3, "kpi.k": [2.0, 3.0, 4.0, 1.0, 2.0, 3.0]})
    c = compare(runs, ExperimentSpec(baseline={"x": False}, kpis=("k",)))
    assert c["baseline_policy"] == "x=False" and not c["warnings"]
    assert c["policies"]["x=True"]["kpis"]["k"]["vs_baseline"]["mean_diff"] == pytest.approx(1.0)


def test_blocking_factors_have_their_own_baselines():
    """Scenario is a block: each rule is compared with the baseline rule of the
    same scenario; a KPI that one scenario lacks (NaN) gets no mean and no comparison there."""
    seeds = [1, 2, 3]
    rows = []
    for sc, shift, surge in (("normal", 0.0, np.nan), ("typhoon", 10.0, 5.0)):
        for rule, d in (("direct", 0.0), ("step", 1.0)):
            for s in seeds:
                rows.append({"status": "ok", "seed": s, "factor.scenario": sc, "factor.rule": rule,
                             "kpi.t": 50.0 + shift + d + 0.1 * s * (rule == "step"), "kpi.surge": surge + d})
    runs = pd.DataFrame(rows).assign(run=range(len(rows)))
    c = compare(runs, ExperimentSpec(baseline={"rule": "direct"}, kpis=("t", "surge"), blocks=("scenario",)))
    assert c["blocking_factors"] == ["scenario"]
    assert sorted(c["baseline_policies"]) == ["rule=direct, scenario=normal", "rule=direct, scenario=typhoon"]
    for sc in ("normal", "typhoon"):
        e = c["policies"][f"rule=step, scenario={sc}"]
        assert e["baseline"] == f"rule=direct, scenario={sc}"
        assert e["kpis"]["t"]["vs_baseline"]["mean_diff"] == pytest.approx(1.2)  # not +11 across scenarios
    assert "vs_baseline" not in c["policies"]["rule=step, scenario=normal"]["kpis"]["surge"]
    assert c["policies"]["rule=step, scenario=normal"]["kpis"]["surge"]["mean"] is None
    assert c["policies"]["rule=step, scenario=typhoon"]["kpis"]["surge"]["vs_baseline"]["mean_diff"] == pytest.approx(1.0)


def test_resume_skips_completed_runs(tiny, tmp_path):
    import shutil

    d = tmp_path / "resume"
    shutil.copytree(tiny[0], d)  # a complete sweep, moved: its runs are checked by content, not place
    (d / "4" / "summary.json").unlink()  # as if run 4 had been killed before finishing
    before = (d / "0" / "issues.parquet").stat().st_mtime_ns
    r = sweep(run_inproc, d)
    assert r.stdout.count("skipped (already complete)") == 5
    assert "run 4: ok" in r.stdout
    assert (d / "0" / "issues.parquet").stat().st_mtime_ns == before
    assert (pd.read_parquet(d / "runs.parquet")["status"] == "ok").all()


def test_failed_run_is_recorded_and_the_rest_continue(tmp_path):
    d = tmp_path / "fail"
    r = run_inproc("-m", "experiment=tiny", f"hydra.sweep.dir={d}", "mmc.servers=1,3", "seed=1,2")
    assert r.returncode == 2, r.stderr[-2000:]  # incomplete; every failure was a bad input
    assert "runs not ok: 0-1" in r.stderr
    runs = pd.read_parquet(d / "runs.parquet")
    bad = runs[runs["factor.mmc.servers"] == "1"]
    assert (bad["status"] == "invalid").all() and bad["error"].str.contains("unstable").all()
    assert (runs[runs["factor.mmc.servers"] == "3"]["status"] == "ok").all()
    assert "Failed runs" in (d / "report.md").read_text()


def test_salib_recovers_known_sobol_indices_of_ishigami():
    """Ishigami (a=7, b=0.1): S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244)
    (Saltelli et al. 2008). With N = 2048 (14,336 evaluations) SALib's bootstrap
    intervals are about ±0.03, so ±0.05 is a fair tolerance."""
    from sim.experiments.sensitivity import analyze, problem, sample

    prob = problem({"x1": [-np.pi, np.pi], "x2": [-np.pi, np.pi], "x3": [-np.pi, np.pi]})
    X = sample(prob, "sobol", 2048, seed=1)
    Y = np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])
    t = analyze(prob, "sobol", X, Y, seed=1)
    assert t["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert t["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.05)
    Xm = sample(prob, "morris", 50, seed=1)
    Ym = np.sin(Xm[:, 0]) + 7 * np.sin(Xm[:, 1]) ** 2 + 0.1 * Xm[:, 2] ** 4 * np.sin(Xm[:, 0])
    m = analyze(prob, "morris", Xm, Ym, seed=1)
    assert m["mu_star"].to_numpy().argmin() != 1  # x2 (the strongest) is never screened out


def test_sensitivity_experiment_runs_through_the_cli(tmp_path):
    # two of the shipped parameters (the mapping replaced as the CLI's message says), one trajectory
    r = run_inproc("experiment=sensitivity", "run.horizon_days=20", "run.warmup_days=2", "run.drain_days=3",
            "experiment.sensitivity.n=1", "~experiment.sensitivity.params",
            "+experiment.sensitivity.params={dispatch.backup_after_h: registry, teams.training_level: [0.1, 0.9]}",
            f"hydra.run.dir={tmp_path}")
    assert r.returncode == 0, r.stderr[-2000:]
    s = json.loads((tmp_path / "sensitivity.json").read_text())
    assert s["runs"] == 1 * (2 + 1) and len(s["indices"]) == 2  # Morris: n (D + 1) runs
    assert (tmp_path / "sensitivity.png").is_file()


def test_registry_ranges_are_the_assumption_registrys():
    from sim.assumptions import load
    from sim.experiments.sensitivity import problem
    from sim.errors import ConfigError

    reg = {a.key: a for a in load()}
    prob = problem({"dispatch.backup_after_h": "registry", "teams.training_level": [0.1, 0.9]})
    a = reg["dispatch.backup_after_h"]
    assert prob["bounds"] == [[a.low, a.high], [0.1, 0.9]]
    with pytest.raises(ConfigError, match="no entry"):
        problem({"run.horizon_days": "registry"})  # a setting, not an assumption: no range to take
    with pytest.raises(ConfigError, match="numeric range"):
        problem({"dispatch.rule": "registry"})


@pytest.mark.slow  # a launcher's integration (jobs as submitit processes): the integration tier
def test_submitit_local_launcher(cli, tmp_path):
    d = tmp_path / "submitit"
    r = cli("-m", "experiment=tiny", f"hydra.sweep.dir={d}", "hydra/launcher=submitit_local",
            "hydra.launcher.timeout_min=5", "seed=1", "mmc.servers=2,3")
    assert r.returncode == 0, r.stderr[-2000:]
    runs = pd.read_parquet(d / "runs.parquet")
    assert len(runs) == 2 and (runs["status"] == "ok").all()


def test_parallel_sweep_is_identical_to_serial(cli, tiny, tmp_path):
    """The shipped experiments run on the joblib launcher (worker processes that receive
    the config schema pickled): same runs, bit-identical summaries to the serial launcher
    (the tiny sweep's runs of seed 1)."""
    parallel = tmp_path / "parallel"
    sweep(cli, parallel, "seed=1", "hydra/launcher=local_parallel")
    serial = {(s["seed"], s["mmc_servers"]): s for s in map(_summary, tiny[0].glob("*/summary.json"))}
    got = [_summary(f) for f in sorted(parallel.glob("*/summary.json"))]
    assert len(got) == 2
    for b in got:
        assert b == serial[(b["seed"], b["mmc_servers"])]


def _summary(path):
    """A run's summary without its timings, keyed also by its crews (from its config)."""
    s = json.loads(path.read_text())
    s.pop("timing_s", None)
    s["mmc_servers"] = json.loads((path.parent / "manifest.json").read_text())["params"]["validation"]["knobs"]["servers"]
    return s
