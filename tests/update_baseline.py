"""Regenerate the stored regression baseline (tests/regression_baseline.json).

    python tests/update_baseline.py

Run it only when a change is *meant* to alter the model's draws or behaviour (for example
an optimisation that changes the random draw order), and say so in the commit message.
The queueing-theory and property tests must still pass unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

CASES = {"village_seed1_120d": ("village", 1, 120.0), "chongming_town_seed1_60d": ("chongming_town", 1, 60.0),
         "mmc_seed1_60d": ("mmc", 1, 60.0)}
KEYS = ("counts", "time_to_fix_h", "response_time_h", "unfixed_share", "drain", "resolution_time_h", "wait_time_h", "discovery_delay_h", "total_time_h", "on_time_rate",
        "escalation_rate", "rework_rate", "on_spot_share")


def compute() -> dict:
    from conftest import scenario_params
    from sim import params_from_dict
    from sim.metrics.kpi import summarize
    from sim.model import run_model

    out = {}
    for name, (scen, seed, days) in CASES.items():
        d = scenario_params(scen, days)
        d["seed"] = seed
        s = summarize(run_model(params_from_dict(d)))
        out[name] = {k: s[k] for k in KEYS}
    return out


if __name__ == "__main__":
    (HERE / "regression_baseline.json").write_text(json.dumps(compute(), indent=2, sort_keys=True) + "\n")
    print("wrote", HERE / "regression_baseline.json")
