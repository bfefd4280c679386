"""Residents' continuous reporting channels and service-point access.

Continuous channels find an issue after an exponential delay whose rate is the channel's
``rate_per_day`` × the type's visibility × a factor of the place (``driver``): the grid's
party-member or app-user share relative to the district, walking access to the service
point, the village's reporting propensity.
"""

from __future__ import annotations

import numpy as np

from sim.params import ModelParams
from sim.world.world import World


def walk_minutes_to_service_point(p: ModelParams, world: World) -> np.ndarray:
    """Walking time (minutes) from each household to its grid's service point."""
    sp = world.service_point_xy[world.household_grid]
    d = np.hypot(*(world.household_xy - sp).T) * p.world.detour_factor
    return 60.0 * d / p.world.speed_walk_kmh


def coverage_15min(p: ModelParams, world: World) -> float | None:
    """Share of households within a 15-minute walk of their grid's service point."""
    if not world.has_geometry:
        return None
    return float(np.mean(walk_minutes_to_service_point(p, world) <= 15.0))


def grid_rate_factors(p: ModelParams, world: World) -> dict[str, np.ndarray]:
    """Per-grid multiplier of each continuous channel's rate, by its ``driver``."""
    n_g = world.n_grids
    hh = world.grid_households().astype(float)
    prop_v = world.village_propensity if world.village_propensity is not None else np.ones(world.n_villages)
    prop = prop_v[world.grid_village]
    res = world.grid_residents().astype(float)

    def relative(x: np.ndarray) -> np.ndarray:
        m = np.sum(x * res) / max(res.sum(), 1.0)
        return x / m if m > 0 else np.zeros_like(x)

    out = {}
    for ch in p.channels:
        d = ch.driver
        if ch.kind != "poisson":
            continue
        if d == "party_members":
            out[ch.name] = relative(world.grid_share(world.resident_party)) * prop
        elif d == "app_users":
            out[ch.name] = relative(world.grid_share(world.resident_app_user)) * prop
        elif d == "service_point" and world.has_geometry:
            walk = walk_minutes_to_service_point(p, world)
            access = np.bincount(world.household_grid, weights=np.exp(-walk / p.world.service_walk_decay_min),
                                 minlength=n_g) / np.maximum(hh, 1)
            out[ch.name] = relative(access) * prop
        elif d in ("propensity", "service_point", "party_members", "app_users"):
            out[ch.name] = prop
        else:
            out[ch.name] = np.ones(n_g)
    return out
