"""Theory next to simulation for the validation scenarios (report and summary)."""

from __future__ import annotations

from sim.metrics import theory
from sim.params import ModelParams


def expected_means(params: ModelParams) -> tuple[theory.QueueMeans, str] | None:
    """Exact mean wait and time in system for a validation scenario, with the formula's
    name; None for ordinary scenarios and for M/G/c with c > 1 (no exact result)."""
    v = params.validation
    if not v:
        return None
    kind, b = v["kind"], v["knobs"]
    if kind == "mmc":
        lam, mu, c = b["arrival_rate_per_h"], b["service_rate_per_h"], int(b["servers"])
        dist = b.get("service_dist", "exponential")
        if dist == "exponential":
            return theory.mmc_means(lam, mu, c), f"Erlang C, M/M/{c}"
        if c == 1:
            cv = 0.0 if dist == "deterministic" else float(b.get("service_cv", 1.0))
            return theory.mg1_means(lam, 1.0 / mu, cv), f"Pollaczek–Khinchine, M/G/1 ({dist}, cv {cv:g})"
        return None
    return (theory.jackson_means(b["arrival_rate_per_h"], b["grid_rate_per_h"], int(b["grid_servers"]),
                                 float(b["escalate_p"]), b["town_rate_per_h"], int(b["town_servers"])),
            "Jackson product form, grid → town")


def theory_table(params: ModelParams, summary: dict) -> dict | None:
    exp = expected_means(params)
    if exp is None:
        return None
    m, name = exp
    rows = {}
    for label, th, key in (("mean wait (h)", m.wq_h, "wait_time_h"), ("mean resolution time (h)", m.w_h, "resolution_time_h")):
        sim = summary[key]["mean"]
        rows[label] = {"theory": th, "simulated": sim,
                       "rel_error": (abs(sim - th) / th) if (sim is not None and th > 0) else None}
    return {"note": f"Exact means from {name}; the simulated means carry sampling error that shrinks with the run length.",
            "rows": rows}
