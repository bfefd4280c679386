"""Validation scenarios as ordinary parameters.

``mmc`` and ``jackson`` are not a second code path: their knobs (see ``../shared/design.md``)
are translated here into a one-grid world with one issue type, instant discovery,
registration and verification, no travel, FIFO units on duty 24/7. The translated dict
then goes through the same builder and model as every other scenario.
"""

from __future__ import annotations

import math
from typing import Any

from sim.errors import ConfigError

_ALWAYS = {"always_on": True}
_INSTANT = {"dist": "deterministic", "mean_h": 0.0, "cv": 0.0}
_NO_LIMIT_WH = 1.0e9  # a time limit no issue reaches: on-time closure is not what is tested

BLOCKS = ("mmc", "jackson")
"""Top-level blocks of knobs that stand for a validation scenario."""

MMC_KEYS = {"arrival_rate_per_h", "service_rate_per_h", "servers", "service_dist", "service_cv"}
JACKSON_KEYS = {"arrival_rate_per_h", "grid_rate_per_h", "grid_servers", "escalate_p",
                "town_rate_per_h", "town_servers"}


def _number(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) and abs(v) <= 1e12


def _positive(block: dict, name: str, key: str, hi: float = 1e12) -> float:
    v = block.get(key)
    if not _number(v) or not 1e-9 <= v <= hi:
        raise ConfigError(f"{name}.{key}", f"must be a finite number > 0 (1e-9 .. {hi:g}), got {v!r}")
    return float(v)


def _servers(block: dict, name: str, key: str) -> int:
    v = block.get(key)
    if not _number(v) or v < 1 or int(v) != v:
        raise ConfigError(f"{name}.{key}", f"must be a whole number >= 1, got {v!r}")
    return int(v)


def _check_keys(block: Any, name: str, allowed: set) -> dict:
    if not isinstance(block, dict):
        raise ConfigError(name, f"must be a mapping of {', '.join(sorted(allowed))}")
    unknown = sorted(set(block) - allowed)
    if unknown:
        raise ConfigError(f"{name}.{unknown[0]}", f"unknown key; allowed: {', '.join(sorted(allowed))}")
    return block


def _stable(lam: float, mu: float, c: int, key: str) -> None:
    rho = lam / (c * mu)
    if rho >= 1.0:
        raise ConfigError(key, f"unstable queue: utilisation {rho:.3f} >= 1 (need arrival rate < servers × service rate)")


def _skeleton(lam_per_h: float, handling: dict) -> dict:
    return {
        "world": {"towns": 1, "villages_per_town": 1, "grids_per_village": 1,
                  "households_per_grid": 1000, "persons_per_household": 1.0},
        "issue_types": {"validation": {
            "rate_per_1000_residents_per_year": lam_per_h * 24.0 * 365.0,
            "visibility": 1.0, "min_close_level": "grid", "handling": handling,
            "time_limit_wh": _NO_LIMIT_WH, "p_on_spot_fix": 0.0, "p_rework": 0.0,
            "needs_consultation": False,
        }},
        "channels": {"instant": {"kind": "instant", "report_delay": dict(_INSTANT)}},
        "escalation": {"rule": "direct", "breach_fraction": None, "handover": dict(_INSTANT)},
        "lifecycle": {k: dict(_INSTANT) for k in ("register", "consultation", "hotline_dispatch", "feedback", "verify")},
        "office_calendar": dict(_ALWAYS),
        "service_calendar": dict(_ALWAYS),
    }


def _level(crews: int, p_fail: float = 0.0, mult: float = 1.0) -> dict:
    return {"crews": crews, "discipline": "fifo", "dur_multiplier": mult,
            "p_fail_attempt": p_fail, "calendar": dict(_ALWAYS)}


def mmc_dict(block: dict) -> dict:
    """Parameters of an M/M/c (or M/G/c) queue: one grid unit with ``servers`` crews."""
    b = _check_keys(block, "mmc", MMC_KEYS)
    lam = _positive(b, "mmc", "arrival_rate_per_h", hi=1e6)
    mu = _positive(b, "mmc", "service_rate_per_h")
    c = _servers(b, "mmc", "servers")
    dist = b.get("service_dist", "exponential")
    if dist not in ("exponential", "lognormal", "deterministic"):
        raise ConfigError("mmc.service_dist", f"must be one of exponential, lognormal, deterministic; got {dist!r}")
    cv = b.get("service_cv", 1.0)
    if not _number(cv) or cv < 0 or (dist == "lognormal" and cv == 0):
        raise ConfigError("mmc.service_cv", f"must be a number > 0 (>= 0 unless lognormal), got {cv!r}")
    _stable(lam, mu, c, "mmc.arrival_rate_per_h")
    d = _skeleton(lam, {"dist": dist, "mean_h": 1.0 / mu, "cv": float(cv)})
    d["levels"] = {"grid": _level(c)}
    return d


def jackson_dict(block: dict) -> dict:
    """A two-station Jackson network: grid unit, then with probability ``escalate_p``
    a town unit (a failed attempt escalates straight to the town under the direct rule)."""
    b = _check_keys(block, "jackson", JACKSON_KEYS)
    lam = _positive(b, "jackson", "arrival_rate_per_h", hi=1e6)
    mu1 = _positive(b, "jackson", "grid_rate_per_h")
    mu2 = _positive(b, "jackson", "town_rate_per_h")
    c1 = _servers(b, "jackson", "grid_servers")
    c2 = _servers(b, "jackson", "town_servers")
    p = b.get("escalate_p")
    if not _number(p) or not 0 <= p <= 1:
        raise ConfigError("jackson.escalate_p", f"must be a probability in [0, 1], got {p!r}")
    _stable(lam, mu1, c1, "jackson.arrival_rate_per_h")
    if p > 0:
        _stable(lam * p, mu2, c2, "jackson.escalate_p")
    d = _skeleton(lam, {"dist": "exponential", "mean_h": 1.0 / mu1, "cv": 1.0})
    d["levels"] = {"grid": _level(c1, p_fail=float(p)), "town": _level(c2, mult=mu1 / mu2)}
    return d


def expand_validation_blocks(data: dict) -> dict:
    """Replace an ``mmc`` / ``jackson`` block by the ordinary parameters it stands for.

    ``scenario``, ``seed`` and ``run`` are kept from ``data``; the structural groups
    (world, catalogue, channels, levels, escalation, lifecycle, calendars) are replaced.
    A null block means "not a validation scenario".
    """
    mmc, jackson = data.pop("mmc", None), data.pop("jackson", None)
    if mmc is not None and jackson is not None:
        raise ConfigError("mmc", "cannot be combined with a jackson block; choose one validation scenario")
    if mmc is None and jackson is None:
        return data
    generated = mmc_dict(mmc) if mmc is not None else jackson_dict(jackson)
    kept = {k: v for k, v in data.items() if k in ("scenario", "seed", "run")}
    kept.update(generated)
    kind, block = ("mmc", mmc) if mmc is not None else ("jackson", jackson)
    kept["validation"] = {"kind": kind, "knobs": dict(block)}
    return kept
