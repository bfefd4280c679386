"""Sweep findings, labels and the sweep figures, on a small hand-made table of runs (no
simulation): the best policy per headline KPI, 'no detectable difference' where the CI
includes 0, 'negligible' below the practical difference, the sentences' numbers equal to
comparison.json's, labels checked against the sweep, the KPI-against-level line, the
honest trade-off axes, and bad input refused in one line before anything is written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_inproc

from sim import ConfigError
from sim.experiments.experiment import ExperimentSpec, compare
from sim.experiments.findings import check_kpis, verdict
from sim.experiments.labels import Labels, check_labels
from sim.experiments.sweep_figures import Policies, fig_level_lines, honest_limits, numeric_factors, ok_runs
from sim.experiments.sweep_report import _signed, add_finding_texts, finding_text
from sim.metrics.registry import describe
from sim.reporting.i18n import Tr

SEEDS = range(1, 7)
LABELS = {"partition.grids_per_village": {"null": {"en": "1 km² rule", "zh": "约1平方公里一格"}, 1: "one",
                                          2: {"en": "two"}}}


def runs_table() -> pd.DataFrame:
    """Four policies x 6 seeds. Against the baseline (null): time to fix 2 → −10 h (better),
    1 → −1 h (real, below the 4 h practical difference: negligible), 3 → 0; satisfaction:
    paired differences of mean exactly 0 (no detectable difference); cost: 1 → −50 yuan exactly paired
    (negligible, practical 100), others +300 (worse)."""
    rng = np.random.default_rng(7)
    rows, n = [], 0
    base_ttf = 120 + rng.normal(0, 5, len(SEEDS))  # seed effect, shared by all policies (common random numbers)
    for k, (lv, d_ttf, d_cost) in enumerate((("null", 0.0, 0.0), ("1", -1.0, -50.0), ("2", -10.0, 300.0),
                                              ("3", 0.0, 300.0))):
        for i, s in enumerate(SEEDS):
            rows.append({"run": n, "status": "ok", "seed": s, "scenario": "chongming_town", "horizon_days": 365.0,
                         "towns": "Xinhe/新河镇", "factor.partition.grids_per_village": lv,
                         "kpi.time_to_fix_h.mean": base_ttf[i] + d_ttf + (rng.normal(0, 0.3) if lv != "null" else 0),
                         # ±0.2 pp alternating over the seeds: every paired mean difference is exactly 0
                         "kpi.satisfaction_rate": 0.95 + 0.001 * i + (0.002 if (i + k) % 2 else -0.002),
                         "kpi.cost.per_fixed_issue_yuan": 5000.0 + 10 * i + d_cost + (0.5 * (i % 2) if lv == "1" else 0),
                         "kpi.workload.grid.busy_h": 40000 + rng.normal(0, 500)})
            n += 1
    return pd.DataFrame(rows)


def spec(**kw) -> ExperimentSpec:
    return ExperimentSpec(name="grid_size", baseline={"partition.grids_per_village": None},
                          kpis=("time_to_fix_h.mean",), labels=LABELS, **kw)


@pytest.fixture(scope="module")
def cmp():
    c = compare(runs_table(), spec())
    add_finding_texts(c, {lg: Policies(c, Tr(lg), LABELS) for lg in ("en", "zh")})
    return json.loads(json.dumps(c))  # as written to comparison.json


def by_kpi(c: dict) -> dict:
    return {f["kpi"]: f for f in c["findings"]}


def test_findings_name_the_best_policy_and_read_its_ci(cmp):
    f = by_kpi(cmp)
    assert list(f) == ["time_to_fix_h.mean", "satisfaction_rate", "cost.per_fixed_issue_yuan"]  # headline order
    assert cmp["kpis"] == ["time_to_fix_h.mean", "satisfaction_rate", "cost.per_fixed_issue_yuan"]  # compared too
    ttf = f["time_to_fix_h.mean"]
    assert ttf["policy"] == "partition.grids_per_village=2" and ttf["verdict"] == "better"
    assert ttf["mean_diff"] == pytest.approx(-10.0, abs=0.5)  # the noise is sd 0.3 h over 6 pairs
    sat = f["satisfaction_rate"]
    assert sat["verdict"] == "no_detectable_difference" and sat["ci95"][0] <= 0 <= sat["ci95"][1]
    cost = f["cost.per_fixed_issue_yuan"]
    assert cost["policy"] == "partition.grids_per_village=1" and cost["verdict"] == "negligible"
    assert cost["ci95"][1] < 0 and abs(cost["mean_diff"]) < describe("cost.per_fixed_issue_yuan")["practical_difference"]


def test_finding_numbers_are_comparison_json_numbers(cmp):
    for f in cmp["findings"]:
        vs = cmp["policies"][f["policy"]]["kpis"][f["kpi"]]["vs_baseline"]
        assert (f["mean_diff"], f["ci95"]) == (vs["mean_diff"], vs["ci95"])
        mult = 100.0 if describe(f["kpi"])["unit"] == "share" else 1.0
        d, lo, hi = f["mean_diff"] * mult, f["ci95"][0] * mult, f["ci95"][1] * mult
        sc = max(abs(d), abs(lo), abs(hi))
        for lang in ("en", "zh"):
            text = f["text"][lang]
            assert _signed(d, sc) in text and _signed(lo, sc) in text and _signed(hi, sc) in text, text
    en = {f["kpi"]: f["text"]["en"] for f in cmp["findings"]}
    assert "no detectable difference" in en["satisfaction_rate"]
    assert "negligible" in en["cost.per_fixed_issue_yuan"] and "100 yuan" in en["cost.per_fixed_issue_yuan"]
    assert en["time_to_fix_h.mean"].startswith("Mean time to fix: P3 (two) is best, −")
    assert "P1 (1 km² rule)" in en["time_to_fix_h.mean"]
    zh = by_kpi(cmp)["satisfaction_rate"]["text"]["zh"]
    assert "无可检测的差异" in zh and "约1平方公里一格" in zh


def test_verdicts():
    vs = {"mean_diff": -2.0, "ci95": [-3.0, -1.0], "n_pairs": 5}
    assert verdict(vs, "lower", None) == "better"
    assert verdict(vs, "higher", None) == "worse"
    assert verdict(vs, "lower", 2.5) == "negligible"  # real (CI excludes 0) but smaller than what matters
    assert verdict(vs, "lower", 2.0) == "better"  # at the threshold it matters
    assert verdict({**vs, "ci95": [-3.0, 0.5]}, "lower", 0.1) == "no_detectable_difference"
    assert verdict({**vs, "ci95": [None, None], "n_pairs": 1}, "lower", None) == "too_few_pairs"


def test_worse_best_alternative_says_no_policy_beats_the_baseline():
    t = runs_table()
    t = t[t["factor.partition.grids_per_village"].isin(["null", "3"])]  # 3: cost +300 yuan, time to fix 0
    c = compare(t, spec())
    f = by_kpi(c)["cost.per_fixed_issue_yuan"]
    assert f["verdict"] == "worse"
    text = finding_text(f, Policies(c, Tr("en"), LABELS), Tr("en"))
    assert text.startswith("Cost per issue fixed (yuan): no policy beats the baseline P1 (1 km² rule)")


def test_labels_checked_against_the_sweep():
    levels = {"partition.grids_per_village": ["null", "1", "2"], "seed": ["1", "2"]}
    check_labels(LABELS, levels)
    check_labels({"partition.grids_per_village": {2.0: "two"}}, levels)  # a level is a value: 2.0 is 2
    with pytest.raises(ConfigError) as e:
        check_labels({"partition.grids_per_village": {9: "nine"}}, levels)
    assert e.value.key == "experiment.labels.partition.grids_per_village.9" and "allowed: null, 1, 2" in e.value.message
    with pytest.raises(ConfigError) as e:
        check_labels({"dispatch.rule": {"ab_post": "A/B"}}, levels)
    assert e.value.key == "experiment.labels.dispatch.rule" and "is not swept" in e.value.message
    with pytest.raises(ConfigError):
        check_labels({"partition.grids_per_village": {1: {"zh": "只有中文"}}}, levels)  # en is required
    lb = Labels(LABELS, "zh")
    assert lb.level("partition.grids_per_village", None) == "约1平方公里一格"
    assert lb.level("partition.grids_per_village", "2") == "two"  # no zh: English
    assert lb.level("partition.grids_per_village", 5) == "5"  # no label: as written
    assert check_kpis(None)[0] == "time_to_fix_h.mean"
    for bad in (["time_to_fix_h.mean", "nope"], ["routed_up_rate"], "satisfaction_rate"):
        with pytest.raises(ConfigError) as e:
            check_kpis(bad)
        assert e.value.key == "experiment.findings"


def test_numeric_factor_gets_a_kpi_against_level_line(cmp, tmp_path, monkeypatch):
    from sim.experiments import sweep_figures

    ok = ok_runs(runs_table())
    pols = Policies(cmp, Tr("en"), LABELS)
    assert numeric_factors(ok, pols.varying) == ["partition.grids_per_village"]  # 1, 2, 3 and null
    assert numeric_factors(ok[ok["factor.partition.grids_per_village"].isin(["null", "1", "2"])], pols.varying) == []
    seen = {}
    save = sweep_figures.save

    def spy(fig, path):
        seen["lines"] = [len(ax.get_lines()) for ax in fig.axes]
        seen["legend"] = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        save(fig, path)

    monkeypatch.setattr(sweep_figures, "save", spy)
    assert fig_level_lines(ok, pols, "partition.grids_per_village", list(cmp["kpis"]), tmp_path / "l.png", Tr("en"))
    assert (tmp_path / "l.png").stat().st_size > 10_000
    assert seen["lines"] == [2, 2, 2]  # per headline KPI: the line over 1, 2, 3 and the null level's reference
    assert any("1 km² rule" in t for t in seen["legend"])  # the null level drawn as a labelled band


def test_tradeoff_axes_do_not_magnify_noise():
    # points 0.2 apart with CIs of ±0.5 around 118 h, practical difference 4 h: the axis spans at least
    # the baseline ± 5 x 4 h, so the points sit in a fifth of it
    lo, hi = honest_limits(np.array([117.0, 117.2]), np.array([118.0, 118.2]), 117.5, 0.5, 4.0)
    assert lo <= 97.5 and hi >= 137.5
    # points far apart relative to their level: the axis starts at 0
    assert honest_limits(np.array([10.0, 40.0]), np.array([12.0, 44.0]), 11.0, 1.0, None)[0] == 0.0


def test_bad_labels_and_findings_are_one_line_exit_2(tmp_path):
    d = tmp_path / "sweep"
    for args, key in ((["~experiment.labels", "+experiment.labels={mmc.servers: {4: four}}"],
                       "experiment.labels.mmc.servers.4: the level 4 is not in the sweep; allowed: 2, 3"),
                      (["experiment.findings=[time_to_fix_h.mean,bogus]"], "experiment.findings: 'bogus' is not")):
        r = run_inproc("-m", "experiment=tiny", f"hydra.sweep.dir={d}", *args)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and key in r.stderr, r.stderr
        assert not d.exists()


def test_title_gives_the_scope_and_an_ad_hoc_sweep_its_factors():
    from sim.experiments.experiment import ADHOC
    from sim.experiments.sweep_report import title

    t = runs_table().assign(**{"factor.run.horizon_days": "365"})  # typed on the command line, one level
    c = compare(t, ExperimentSpec(name=ADHOC, baseline={"partition.grids_per_village": None}))
    pols = Policies(c, Tr("en"))
    assert pols.varying == ["partition.grids_per_village"] and pols.fixed == {"run.horizon_days": "365"}
    assert title(ExperimentSpec(name=ADHOC), pols, ok_runs(t), Tr("en")) == (
        "Sweep of partition.grids_per_village — chongming_town (Xinhe), 365 days, seeds 1–6, "
        "assumed parameters at their prior values")
    assert title(spec(title={"en": "Grid size", "zh": "网格规模"}), Policies(c, Tr("zh")), ok_runs(t),
                 Tr("zh")).startswith("网格规模——chongming_town（新河镇），365天，随机种子 1–6")


def test_blocked_design_has_a_finding_per_block_named_once():
    t = runs_table()
    t = pd.concat([t.assign(**{"factor.scenario": "a"}), t.assign(**{"factor.scenario": "b"})], ignore_index=True)
    t.loc[t["factor.scenario"] == "b", "kpi.time_to_fix_h.mean"] += 50.0  # each block against its own baseline
    s = ExperimentSpec(name="x", baseline={"partition.grids_per_village": None}, blocks=("scenario",),
                       labels={**LABELS, "scenario": {"a": "normal year", "b": "typhoon year"}})
    c = compare(t, s)
    add_finding_texts(c, {"en": Policies(c, Tr("en"), s.labels)})
    ttf = [f for f in c["findings"] if f["kpi"] == "time_to_fix_h.mean"]
    assert [f["mean_diff"] for f in ttf] == pytest.approx([-10.0, -10.0], abs=0.5)
    texts = [f["text"]["en"] for f in ttf]
    assert texts[0].startswith("Mean time to fix (normal year): P") and "typhoon" not in texts[0]
    assert texts[1].startswith("Mean time to fix (typhoon year): P") and "normal" not in texts[1]


def test_every_shipped_experiment_labels_only_levels_it_sweeps():
    from pathlib import Path

    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from sim.experiments.labels import check_report_keys

    parser = OverridesParser.create()
    labelled = set()
    for f in sorted((Path(__file__).resolve().parent.parent / "conf" / "experiment").glob("*.yaml")):
        c = OmegaConf.load(f)
        exp = OmegaConf.to_container(c.experiment, resolve=False)
        if exp.get("type") in ("sensitivity", "screen", "calibrate", "optimise"):  # not sweeps: no levels to label
            continue
        params = OmegaConf.to_container(c.hydra.sweeper.params)
        levels = {o.get_key_element(): list(o.sweep_string_iterator())
                  for o in parser.parse_overrides([f"{k}={v}" for k, v in params.items()])}
        check_report_keys(exp, levels)
        labelled |= {f.stem} if exp.get("labels") else set()
    assert {"grid_size", "team_ratio", "escalation", "dispatch", "scenarios"} <= labelled
