"""Property-based tests (hypothesis) of the issue lifecycle over random parameters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import ConfigError, params_from_dict, run_model
from sim.metrics.kpi import little, summarize

STAGES = ["t_occurred_h", "t_discovered_h", "t_reported_h", "t_consulted_h", "t_dispatched_h",
          "t_started_h", "t_on_site_h", "t_handled_h", "t_fed_back_h", "t_verified_h", "t_closed_h"]

dist = st.fixed_dictionaries({
    "dist": st.sampled_from(["exponential", "lognormal", "deterministic"]),
    "mean_h": st.sampled_from([0.0, 0.5, 3.0, 20.0]),
    "cv": st.sampled_from([0.3, 1.0, 2.0]),
})
calendar = st.one_of(
    st.just({"always_on": True}),
    st.fixed_dictionaries({"always_on": st.just(False), "day_start_h": st.sampled_from([6.0, 8.5]),
                           "day_end_h": st.sampled_from([12.0, 17.5]),
                           "weekdays": st.sampled_from([[0, 1, 2, 3, 4], [0, 2, 4, 6], [5]])}),
)
level = st.fixed_dictionaries({
    "crews": st.integers(1, 3),
    "discipline": st.sampled_from(["fifo", "severity", "time_left"]),
    "dur_multiplier": st.sampled_from([0.5, 1.0, 2.0]),
    "p_fail_attempt": st.sampled_from([0.0, 0.2, 0.6]),
    "calendar": calendar,
})
itype = st.fixed_dictionaries({
    "rate_per_1000_residents_per_year": st.sampled_from([50.0, 400.0, 2000.0]),
    "visibility": st.sampled_from([0.1, 0.6, 1.0]),
    "min_close_level": st.sampled_from(["grid", "village", "town", "district"]),
    "handling": dist,
    "time_limit_wh": st.sampled_from([2.0, 16.0, 200.0]),
    "severity": st.integers(0, 3),
    "p_on_spot_fix": st.sampled_from([0.0, 0.5]),
    "p_rework": st.sampled_from([0.0, 0.3]),
    "needs_consultation": st.booleans(),
})
channel = st.fixed_dictionaries({
    "kind": st.sampled_from(["instant", "rounds", "poisson"]),
    "period_h": st.sampled_from([6.0, 24.0, 168.0]),
    "p_detect_per_round": st.sampled_from([0.0, 0.3, 1.0]),
    "rate_per_day": st.sampled_from([0.0, 0.2, 3.0]),
    "report_delay": dist,
    "on_calendar": st.booleans(),
    "enters_at": st.sampled_from(["grid", "district"]),
    "can_fix_on_spot": st.booleans(),
})
config = st.fixed_dictionaries({
    "seed": st.integers(0, 2**31),
    "run": st.fixed_dictionaries({"horizon_days": st.sampled_from([20.0, 60.0]), "warmup_days": st.just(5.0),
                                  "drain_days": st.sampled_from([0.0, 10.0, 60.0])}),  # none, short, the default
    "world": st.fixed_dictionaries({"towns": st.integers(1, 2), "villages_per_town": st.integers(1, 2),
                                    "grids_per_village": st.integers(1, 3), "households_per_grid": st.integers(5, 60)}),
    "issue_types": st.dictionaries(st.sampled_from(["a", "b", "c"]), itype, min_size=1, max_size=3),
    "channels": st.dictionaries(st.sampled_from(["x", "y", "z"]), channel, min_size=1, max_size=3),
    "levels": st.fixed_dictionaries({"grid": level, "village": level, "town": level, "district": level}),
    "escalation": st.fixed_dictionaries({"rule": st.sampled_from(["step", "direct"]),
                                         "breach_fraction": st.sampled_from([None, 0.1, 0.8]),
                                         "handover": dist}),
    "lifecycle": st.fixed_dictionaries({k: dist for k in ("register", "consultation", "hotline_dispatch", "feedback", "verify")}),
    "office_calendar": calendar,
    "service_calendar": calendar,
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config)
def test_lifecycle_invariants(cfg):
    lc = cfg["lifecycle"]
    if lc["feedback"]["mean_h"] == 0 and lc["verify"]["mean_h"] == 0 and any(
            t["p_rework"] > 0 and t["handling"]["mean_h"] == 0 for t in cfg["issue_types"].values()):
        with pytest.raises(ConfigError, match="p_rework"):  # a rework could repeat without time passing
            params_from_dict(cfg)
        return
    p = params_from_dict(cfg)
    res = run_model(p)
    iss = res.issues
    T = res.observed_until_h  # the horizon plus the drain
    n = len(iss["issue_id"])
    # stage timestamps never decrease (ignoring stages not reached / not applicable)
    prev = np.full(n, -np.inf)
    for col in STAGES:
        t = iss[col]
        ok = np.isnan(t) | (t >= prev - 1e-9)
        assert ok.all(), f"{col} earlier than a previous stage for {np.flatnonzero(~ok)[:5]}"
        assert (np.isnan(t) | (t <= T + 1e-9)).all()
        prev = np.where(np.isnan(t), prev, t)
    # every issue is closed, open or not yet reported; statuses agree with timestamps
    st_ = iss["status"]
    assert set(np.unique(st_)) <= {"closed", "open", "unreported"}
    assert ((st_ == "closed") == np.isfinite(iss["t_closed_h"])).all()
    assert ((st_ == "unreported") == np.isnan(iss["t_reported_h"])).all()
    # counts add up
    s = summarize(res)
    c = s["counts"]
    assert c["occurred"] == n
    assert c["closed"] + c["open_at_end"] + (st_ == "unreported").sum() == n
    assert c["discovered"] >= c["reported"] >= c["closed"]
    # no queue goes negative; the live backlog never does either, and ends at the open count
    assert (res.units["queue_at_end"] >= 0).all()
    assert (res.backlog_n >= 0).all()
    entered = np.isfinite(res.extra["t_first_arrival_h"])
    assert res.backlog_n[-1] == (entered & ~np.isfinite(iss["t_closed_h"])).sum()
    # attempts and closures per unit are consistent
    assert res.units["closed"].sum() == (np.isfinite(iss["t_closed_h"]) & ~iss["on_spot"]).sum()
    # Little's law holds exactly once the carry-in from before the window is removed
    lt = little(res)
    assert abs(lt["L_exact"] - lt["lambda_W"]) <= 1e-9 * max(1.0, lt["lambda_W"])
    # escalation never lowers the level, and the level reached is at least the type's minimum
    lvl = {"grid": 0, "village": 1, "town": 2, "district": 3}
    reached = np.array([lvl[x] for x in iss["level_reached"]])
    mins = {k: lvl[v["min_close_level"]] for k, v in cfg["issue_types"].items()}
    need = np.array([mins[t] for t in iss["type"]])
    closed_desk = np.isfinite(iss["t_closed_h"]) & ~iss["on_spot"]
    assert (reached[closed_desk] >= need[closed_desk]).all()
