"""Key performance indicators of one run (the ``summary.json`` payload).

Times in hours. Distribution KPIs cover issues *reported* after the warm-up; ``counts``
cover the whole run. ``on_time_rate`` is on-time closures over issues whose outcome is
known by the end (closed, or still open past their deadline).
"""

from __future__ import annotations

import numpy as np

from .model import RunResult


def dist_stats(x: np.ndarray) -> dict:
    """``{mean, p50, p90, p95, max, n}`` of the finite values of ``x`` (NaN when empty)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"mean": None, "p50": None, "p90": None, "p95": None, "max": None, "n": 0}
    p50, p90, p95 = np.percentile(x, [50, 90, 95])
    return {"mean": float(x.mean()), "p50": float(p50), "p90": float(p90), "p95": float(p95),
            "max": float(x.max()), "n": int(x.size)}


def _rate(num: float, den: float) -> float | None:
    return float(num / den) if den > 0 else None


def backlog_average(t: np.ndarray, n: np.ndarray, a: float, b: float) -> float:
    """Time average over [a, b] of the step function that takes value n[k] on [t[k], t[k+1])."""
    t = np.asarray(t, dtype=float)
    n = np.asarray(n, dtype=float)
    lo = np.clip(t[:-1], a, b)
    hi = np.clip(t[1:], a, b)
    return float(np.sum(n[:-1] * (hi - lo)) / (b - a))


def little(res: RunResult) -> dict:
    """Little's law on the live backlog (issues dispatched and not yet closed).

    ``L`` is the time-average of the model's own backlog series over [warm-up, horizon];
    ``lambda_per_h`` the rate of first arrivals in that window; ``W_h`` their mean time
    from first arrival to closure, censored at the horizon. ``L_exact`` adds back the
    time spent in the window by issues that arrived before it, so ``L_exact == lambda W``
    must hold to rounding if the series and the issue records agree.
    """
    p = res.params
    a, b = p.warmup_h, p.horizon_h
    iss = res.issues
    arrive = res.extra["t_first_arrival_h"]
    entered = np.isfinite(arrive) & (arrive <= b)
    closed = np.where(np.isnan(iss["t_closed_h"]), b, iss["t_closed_h"])
    L = backlog_average(res.backlog_t_h, res.backlog_n, a, b)
    inw = entered & (arrive >= a) & (arrive <= b)
    before = entered & (arrive < a) & (closed > a)
    soj = np.minimum(closed[inw], b) - arrive[inw]
    lam = inw.sum() / (b - a)
    W = float(soj.mean()) if soj.size else 0.0
    carry = float(np.sum(np.minimum(closed[before], b) - a)) / (b - a)
    return {"L": L, "lambda_per_h": float(lam), "W_h": W, "lambda_W": float(lam * W),
            "L_exact": L - carry, "rel_error": _rate(abs(L - lam * W), max(L, 1e-12))}


def _group(iss: dict, mask: np.ndarray, col: str, res_time: np.ndarray) -> dict:
    out = {}
    vals = iss[col][mask]
    rt = res_time[mask]
    for name in np.unique(vals):
        sel = vals == name
        r = rt[sel]
        r = r[np.isfinite(r)]
        out[str(name)] = {"count": int(sel.sum()), "closed": int(r.size),
                          "mean_resolution_h": float(r.mean()) if r.size else None}
    return out


def summarize(res: RunResult) -> dict:
    """The ``summary.json`` KPIs of one run (see the output contract)."""
    p = res.params
    iss = res.issues
    T, w = p.horizon_h, p.warmup_h
    rep = iss["t_reported_h"]
    closed = ~np.isnan(iss["t_closed_h"])
    after = np.isfinite(rep) & (rep >= w)
    res_time = iss["t_closed_h"] - rep
    wait = iss["t_started_h"] - iss["t_dispatched_h"]
    disc = rep - iss["t_occurred_h"]
    total = iss["t_closed_h"] - iss["t_occurred_h"]
    known = after & ~np.isnan(iss["on_time"].astype(float))
    units = res.units
    busy = {}
    for L in ("grid", "village", "town", "district"):
        sel = units["level"] == L
        cap = units["crews"][sel].sum()
        busy_h = float(units["busy_crew_h"][sel].sum())
        cap_h = float(units["capacity_crew_h"][sel].sum())
        busy[L] = {"units": int(sel.sum()), "crews": int(cap),
                   "busy_crew_h": busy_h, "utilisation": _rate(busy_h, cap_h),
                   "attempts": int(units["attempts"][sel].sum())}
    return {
        "scenario": p.scenario,
        "seed": p.seed,
        "horizon_days": p.run.horizon_days,
        "warmup_days": p.run.warmup_days,
        "counts": {
            "occurred": int(np.isfinite(iss["t_occurred_h"]).sum()),
            "discovered": int(np.isfinite(iss["t_discovered_h"]).sum()),
            "reported": int(np.isfinite(rep).sum()),
            "closed": int(closed.sum()),
            "open_at_end": int((np.isfinite(rep) & ~closed).sum()),
            "escalated": int((iss["escalations"] > 0).sum()),
            "reworked": int((iss["reworks"] > 0).sum()),
            "on_spot": int(iss["on_spot"].sum()),
            "breached": int(iss["breached"].sum()),
        },
        "resolution_time_h": dist_stats(res_time[after & closed]),
        "wait_time_h": dist_stats(wait[after]),
        "discovery_delay_h": dist_stats(disc[after]),
        "total_time_h": dist_stats(total[after & closed]),
        "on_time_rate": _rate(np.nansum(iss["on_time"][known]), known.sum()),
        "escalation_rate": _rate((iss["escalations"][after] > 0).sum(), after.sum()),
        "rework_rate": _rate((iss["reworks"][after & closed] > 0).sum(), (after & closed).sum()),
        "closure_rate": _rate((after & closed).sum(), after.sum()),
        "by_channel": _group(iss, after, "channel", res_time),
        "by_type": _group(iss, after, "type", res_time),
        "by_level": _group(iss, after, "level_reached", res_time),
        "workload": busy,
        "little": little(res),
        "structure": res.structure,
    }
