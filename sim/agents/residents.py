"""Residents' continuous reporting channels and service-point access.

Continuous channels find an issue after an exponential delay whose rate is the channel's
``rate_per_day`` × the type's visibility × a factor of the place (``driver``, see
:func:`rate_factors`).
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


def rate_factors(p: ModelParams, world: World, households=None) -> dict[str, np.ndarray]:
    """Per-household multiplier of each continuous (``poisson``) channel's rate, by its
    ``driver``, in absolute terms (no renormalisation: ageing, party share and access
    change the total, not only its spread):

    - ``party_members``: party members among the household's neighbours (with households
      as agents) or per household in its grid: the rate is per party member;
    - ``app_users``: app users per household in the grid: the rate is per app user;
    - ``service_point``: the grid's mean walking access exp(−walk / decay) (1 at the door);
    - ``propensity``: the village's reporting propensity (lognormal, mean 1);
    - ``none``: 1.
    """
    n_g, n_h = world.n_grids, world.n_households
    hg = world.household_grid
    hh = np.maximum(world.grid_households().astype(float), 1.0)
    prop_v = world.village_propensity if world.village_propensity is not None else np.ones(world.n_villages)
    rh = world.resident_household

    def per_household_in_grid(col: np.ndarray) -> np.ndarray:
        return (np.bincount(hg[rh], weights=col.astype(float), minlength=n_g) / hh)[hg]

    out = {}
    for ch in p.channels:
        if ch.kind != "poisson":
            continue
        d = ch.driver
        if d == "party_members":
            out[ch.name] = households.party_near if households is not None else per_household_in_grid(world.resident_party)
        elif d == "app_users":
            out[ch.name] = per_household_in_grid(world.resident_app_user)
        elif d == "service_point" and world.has_geometry:
            access = np.exp(-walk_minutes_to_service_point(p, world) / p.world.service_walk_decay_min)
            out[ch.name] = (np.bincount(hg, weights=access, minlength=n_g) / hh)[hg]
        elif d in ("propensity", "service_point"):
            out[ch.name] = prop_v[world.grid_village[hg]]
        else:
            out[ch.name] = np.ones(n_h)
    return out
