"""The validation scenarios against exact queueing theory.

Tolerance: batch means. Post-warm-up issues, in arrival order, are cut into B = 30
batches; the standard error of the grand mean is sd(batch means)/sqrt(B), and the test
allows t(0.99995, B-1) ≈ 4.5 standard errors (a two-sided false-alarm rate of 1e-4 if
the batches are independent and normal). The tolerance therefore shrinks like
1/sqrt(run length); each test also checks it is tight (under 15 % of the theoretical
mean wait, 8 % of the mean time in system) so that a loose run cannot pass vacuously. Runs use fixed seeds, so the outcome is
deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import params_from_dict, run_model
from sim.metrics.kpi import summarize
from sim.metrics.theory import erlang_c, jackson_means, mg1_means, mmc_means

B = 30
T_CRIT = float(stats.t.ppf(1 - 1e-4 / 2, B - 1))


def batch_tolerance(x: np.ndarray) -> tuple[float, float]:
    """(grand mean, allowed absolute deviation) by batch means."""
    x = x[: len(x) // B * B]
    means = x.reshape(B, -1).mean(axis=1)
    se = means.std(ddof=1) / np.sqrt(B)
    return float(x.mean()), T_CRIT * se


def run_block(kind: str, block: dict, days: float, seed: int = 3):
    p = params_from_dict({"scenario": kind, "seed": seed, "run": {"horizon_days": days, "warmup_days": days * 0.02},
                          kind: block})
    res = run_model(p)
    iss = res.issues
    after = iss["t_reported_h"] >= p.warmup_h
    closed = after & np.isfinite(iss["t_closed_h"])
    order = np.argsort(iss["t_reported_h"][closed], kind="stable")
    wait = (iss["t_started_h"] - iss["t_dispatched_h"])[closed][order]
    soj = (iss["t_closed_h"] - iss["t_reported_h"])[closed][order]
    return res, wait, soj


def check(sim: np.ndarray, theory_value: float, label: str, tight: float = 0.15) -> None:
    mean, tol = batch_tolerance(sim)
    assert tol < tight * theory_value, f"{label}: run too short for a meaningful test (tolerance {tol:.4f})"
    assert abs(mean - theory_value) <= tol, f"{label}: simulated {mean:.4f}, theory {theory_value:.4f} ± {tol:.4f}"


def test_erlang_c_known_values():
    # M/M/1: P(wait) = rho. M/M/2 with a = 1: P(wait) = 1/3 (textbook value).
    assert erlang_c(0.7, 1.0, 1) == pytest.approx(0.7, rel=1e-12)
    assert erlang_c(1.0, 1.0, 2) == pytest.approx(1 / 3, rel=1e-12)
    # Wq of M/M/1 = rho / (mu - lam)
    assert mmc_means(0.7, 1.0, 1).wq_h == pytest.approx(0.7 / 0.3, rel=1e-12)
    # P-K with cv = 1 reduces to M/M/1
    assert mg1_means(0.7, 1.0, 1.0).wq_h == pytest.approx(0.7 / 0.3, rel=1e-12)


def test_mm1():
    block = {"arrival_rate_per_h": 0.6, "service_rate_per_h": 1.0, "servers": 1}
    _, wait, soj = run_block("mmc", block, days=20000)
    th = mmc_means(0.6, 1.0, 1)
    check(wait, th.wq_h, "M/M/1 wait")
    check(soj, th.w_h, "M/M/1 sojourn", tight=0.08)


def test_mmc_12_servers():
    block = {"arrival_rate_per_h": 9.5, "service_rate_per_h": 1.0, "servers": 12}
    _, wait, soj = run_block("mmc", block, days=1500)
    th = mmc_means(9.5, 1.0, 12)
    check(soj, th.w_h, "M/M/12 sojourn", tight=0.08)
    check(wait, th.wq_h, "M/M/12 wait")


def test_mmc_3_servers_wait():
    block = {"arrival_rate_per_h": 2.4, "service_rate_per_h": 1.0, "servers": 3}
    _, wait, soj = run_block("mmc", block, days=10000)
    th = mmc_means(2.4, 1.0, 3)
    check(wait, th.wq_h, "M/M/3 wait")
    check(soj, th.w_h, "M/M/3 sojourn", tight=0.08)


@pytest.mark.parametrize("dist,cv", [("lognormal", 1.5), ("deterministic", 0.0), ("lognormal", 0.5)])
def test_mg1_pollaczek_khinchine(dist, cv):
    block = {"arrival_rate_per_h": 0.4, "service_rate_per_h": 1.0, "servers": 1, "service_dist": dist, "service_cv": cv}
    _, wait, soj = run_block("mmc", block, days=30000 if cv > 1 else 8000)
    th = mg1_means(0.4, 1.0, cv)
    check(wait, th.wq_h, f"M/G/1 {dist} cv {cv} wait")
    check(soj, th.w_h, f"M/G/1 {dist} cv {cv} sojourn", tight=0.08)


def test_jackson_two_stations():
    block = {"arrival_rate_per_h": 4.0, "grid_rate_per_h": 1.0, "grid_servers": 5, "escalate_p": 0.3,
             "town_rate_per_h": 0.5, "town_servers": 3}
    res, wait, soj = run_block("jackson", block, days=5000)
    th = jackson_means(4.0, 1.0, 5, 0.3, 0.5, 3)
    check(wait, th.wq_h, "Jackson first-station wait")
    check(soj, th.w_h, "Jackson total time", tight=0.08)
    # the routing probability itself
    esc = (res.issues["escalations"] > 0).mean()
    assert abs(esc - 0.3) < 4 * np.sqrt(0.3 * 0.7 / len(res.issues["escalations"]))


def test_summary_theory_block_is_reported():
    p = params_from_dict({"scenario": "mmc", "seed": 1, "run": {"horizon_days": 30, "warmup_days": 1},
                          "mmc": {"arrival_rate_per_h": 2.0, "service_rate_per_h": 1.0, "servers": 3}})
    s = summarize(run_model(p))
    assert s["resolution_time_h"]["n"] > 1000
    assert s["escalation_rate"] == 0.0 and s["rework_rate"] == 0.0


@pytest.mark.parametrize("block", [
    {"mmc": {"arrival_rate_per_h": 9.5, "service_rate_per_h": 1.0, "servers": 12}},
    {"mmc": {"arrival_rate_per_h": 2.5, "service_rate_per_h": 1.0, "servers": 3, "service_dist": "deterministic"}},
    {"jackson": {"arrival_rate_per_h": 4.0, "grid_rate_per_h": 1.0, "grid_servers": 6, "escalate_p": 0.3,
                 "town_rate_per_h": 0.5, "town_servers": 4}}])
def test_the_lean_path_gives_the_general_paths_records(block):
    """The validation queues take the lean path (sim/lifecycle/lean.py): the same events in
    the same order with the same draws, so the issue, unit and staff tables, the backlog
    series and the events counted equal the general path's bit for bit (checked here by
    running the same model both ways)."""
    from sim import params_from_dict
    from sim.model import GovernanceModel

    d = {"scenario": "lean", "seed": 3, "run": {"horizon_days": 30, "warmup_days": 2}, **block}
    runs = []
    for lean in (True, False):
        m = GovernanceModel(params_from_dict(d))
        assert m.lean is not None
        if not lean:
            m.lean = None
        runs.append(m.run())
    a, b = runs

    def same(x, y):
        return np.array_equal(x, y, equal_nan=x.dtype.kind == "f")

    for table in ("issues", "units", "staff"):
        ta, tb = getattr(a, table), getattr(b, table)
        assert set(ta) == set(tb) and all(same(ta[k], tb[k]) for k in ta), table
    assert same(a.backlog_t_h, b.backlog_t_h) and same(a.backlog_n, b.backlog_n)
    assert a.events_processed == b.events_processed and a.observed_h == b.observed_h


def test_a_validation_run_changed_by_hand_takes_the_general_path():
    """The lean path only where it reproduces the general one: a validation queue with a
    registration time, or a non-validation run, takes the general path."""
    from sim import params_from_dict
    from sim.lifecycle.lean import applicable

    import dataclasses

    from sim.params import DistParams

    d = {"scenario": "mmc", "seed": 1, "mmc": {"arrival_rate_per_h": 2.0, "service_rate_per_h": 1.0, "servers": 3}}
    p = params_from_dict(d)
    assert applicable(p)
    lc = dataclasses.replace(p.lifecycle, register=DistParams("exponential", 0.5, 1.0))
    assert not applicable(dataclasses.replace(p, lifecycle=lc))
    assert not applicable(params_from_dict({"scenario": "x", "seed": 1}))
