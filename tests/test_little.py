"""Little's law on every shipped scenario, from the model's own backlog series.

Over the window [warm-up, horizon], L (time-average backlog) and λW differ only by
boundary terms: time spent in the window by issues that entered before it, and time
cut off at the horizon. ``L_exact`` removes the first, so it must equal λW to rounding.
The plain L ≈ λW check allows the size of the boundary term, bounded by
(backlog at warm-up × longest sojourn) / window length.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import params_from_dict, run_model
from sim.metrics.kpi import little

from conftest import SCEN, scenario_params


# a town on each of the three islands (bridge and ferry links kept)
ISLANDS = ["Chengqiao", "Changxing", "Hengsha"]


def on_three_islands(d: dict) -> dict:
    """A one-mechanism variant of the district (chongming_step, _unfused, _typhoon...) on a
    town of each island, plus any town its surge names: the variant's mechanism, a tenth of
    the build. The district itself runs whole (scenario chongming)."""
    towns = [t for ev in (d.get("events") or {}).values() for t in (ev.get("towns") or [])]
    d["world"]["towns_included"] = ISLANDS + [t for t in towns if t not in ISLANDS]
    d["partition"]["total_grids"] = None  # the 1-km2 rule on the towns kept
    return d


@pytest.mark.parametrize("name", sorted(p.stem for p in SCEN.glob("*.yaml")))
def test_little_on_every_scenario(name):
    # 20 days: both checks are identities up to boundary terms, true on any window length;
    # no drain: both sides are censored at the horizon (sim.metrics.kpi.little)
    d = scenario_params(name, 20.0, drain_days=0.0)
    if name.startswith("chongming_") and not name.startswith("chongming_town"):
        d = on_three_islands(d)
    res = run_model(params_from_dict(d))
    lt = little(res)
    assert lt["lambda_per_h"] > 0
    assert lt["L_exact"] == pytest.approx(lt["lambda_W"], rel=1e-9, abs=1e-12)
    p = res.params
    a, b = p.warmup_h, p.horizon_h
    t, n = res.backlog_t_h, res.backlog_n
    at_warmup = n[np.searchsorted(t, a, side="right") - 1]
    closed = res.issues["t_closed_h"]
    first = res.extra["t_first_arrival_h"]
    longest = np.nanmax(np.where(np.isfinite(closed), closed, b) - first)
    assert abs(lt["L"] - lt["lambda_W"]) <= at_warmup * longest / (b - a) + 1e-9
