"""The model as a plain function of named parameters returning named outcomes, so that
any experiment tool can wrap it (EMA Workbench, a notebook loop, an optimiser).

    python examples/as_a_function.py            # a small loop, no extra packages

examples/ema_governance.py wraps the policy levers and the registry's uncertainties for EMA
Workbench (install extra .[ema]).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import simulate  # noqa: E402

BASE = {"scenario": "mmc", "run": {"horizon_days": 60, "warmup_days": 5},
        "mmc": {"arrival_rate_per_h": 2.0, "service_rate_per_h": 1.0, "servers": 3}}


def governance_model(servers: int = 3, service_rate_per_h: float = 1.0, seed: int = 0) -> dict:
    """Named parameters in, named outcomes out (hours)."""
    d = copy.deepcopy(BASE)
    d["seed"] = seed
    d["mmc"].update({"servers": int(servers), "service_rate_per_h": float(service_rate_per_h)})
    k = simulate(d)
    return {"mean_resolution_h": k["resolution_time_h"]["mean"], "p90_resolution_h": k["resolution_time_h"]["p90"],
            "mean_wait_h": k["wait_time_h"]["mean"]}


if __name__ == "__main__":
    for c in (3, 4, 5):
        print(c, "crews:", governance_model(servers=c, seed=1))
