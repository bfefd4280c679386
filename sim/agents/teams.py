"""The three teams and household heads as Mesa agents, and what their sizes do.

Team sizes are district totals allocated to grids in proportion to households; each
member is a :class:`TeamMember` agent (team, grid, trade skills, training), each
household head a :class:`HouseholdHead` agent. :func:`channel_modifiers` turns sizes,
population and geography into per-grid multipliers of the discovery channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.params import TRADES, ModelParams
from sim.world.world import World, centroids

TEAMS = ("management", "work", "volunteer")


class TeamMember(mesa.Agent):
    """A member of a grid's management, work or volunteer team (一员多能: several skills)."""

    def __init__(self, model: mesa.Model, team: str, grid: int, skills: frozenset, training: float):
        super().__init__(model)
        self.team = team
        self.grid = grid
        self.skills = skills
        self.training = training


class HouseholdHead(mesa.Agent):
    """A household head (户长) responsible for a group of households in a grid."""

    def __init__(self, model: mesa.Model, grid: int, households: int):
        super().__init__(model)
        self.grid = grid
        self.households = households


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` people between grids in proportion to ``weights`` (largest remainder)."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    x = total * weights / weights.sum()
    k = np.floor(x).astype(np.int64)
    rem = int(total - k.sum())
    if rem > 0:
        k[np.argsort(-(x - k), kind="stable")[:rem]] += 1
    return k


@dataclass
class Teams:
    """Per-grid team sizes, trade-skill shares of the work team (n_grids × 5) and the
    number of household heads per grid."""

    management: np.ndarray
    work: np.ndarray
    volunteer: np.ndarray
    skill_share: np.ndarray
    heads: np.ndarray

    def management_per_village(self, world: World) -> np.ndarray:
        """Management-team members of each village (the village unit draws its crews from them)."""
        return np.bincount(world.grid_village, weights=self.management, minlength=world.n_villages)

    def totals(self) -> dict:
        return {"management_team": int(self.management.sum()), "work_team": int(self.work.sum()),
                "volunteer_team": int(self.volunteer.sum()), "household_heads": int(self.heads.sum())}


def build_teams(model: mesa.Model, p: ModelParams, world: World, rng: np.random.Generator) -> Teams:
    """Allocate the teams, create their agents and return per-grid sizes."""
    tp = p.teams
    hh = world.grid_households().astype(float)
    sizes = {t: allocate(int(round(getattr(tp, f"{t}_total") * getattr(tp, f"scale_{t}"))), hh) for t in TEAMS}
    n_g = world.n_grids
    skill_count = np.zeros((n_g, len(TRADES)))
    for team in TEAMS:
        for g in np.flatnonzero(sizes[team]):
            for j in range(int(sizes[team][g])):
                skills: frozenset = frozenset()
                if team == "work":
                    primary = (g + j) % len(TRADES)  # crews by trade, round robin within the grid
                    others = rng.permutation([x for x in range(len(TRADES)) if x != primary])
                    chosen = [primary, *others[: tp.skills_per_member - 1]]
                    skill_count[g, chosen] += 1
                    skills = frozenset(TRADES[c] for c in chosen)
                TeamMember(model, team, int(g), skills, tp.training_level)
    work = sizes["work"]
    share = np.divide(skill_count, work[:, None], out=np.zeros_like(skill_count), where=work[:, None] > 0)
    heads = np.zeros(n_g, dtype=np.int64)
    if tp.household_heads:
        heads = np.ceil(hh / tp.households_per_head).astype(np.int64)
        for g in np.flatnonzero(heads):
            for _ in range(int(heads[g])):
                HouseholdHead(model, int(g), int(round(hh[g] / heads[g])))
    return Teams(sizes["management"], work, sizes["volunteer"], share, heads)


def walk_minutes_to_service_point(p: ModelParams, world: World) -> np.ndarray:
    """Walking time (minutes) from each household to its grid's service point."""
    sp = world.service_point_xy[world.household_grid]
    d = np.hypot(*(world.household_xy - sp).T) * p.world.detour_factor
    return 60.0 * d / p.world.speed_walk_kmh


def channel_modifiers(p: ModelParams, world: World, teams: Teams | None) -> dict:
    """Per-grid multipliers of each channel's parameters, by the channel's ``driver``."""
    n_g = world.n_grids
    area = world.grid_area_km2
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
        if d == "none":
            continue
        if d in ("grid_leader", "work_team", "management_team", "volunteer_team"):
            if d == "grid_leader":  # one leader per grid does the daily round (calibration 7)
                members = np.ones(n_g)
            else:
                members = getattr(teams, d.split("_")[0]) if teams else np.zeros(n_g)
            if ch.coverage_basis == "road" and world.grid_road_km is not None:
                road = np.maximum(world.grid_road_km, 1e-9)
                cover = members * ch.coverage_road_km_per_member / road
            else:
                cover = members * ch.coverage_km2_per_member / area
            out[ch.name] = {"p_round": np.minimum(1.0, cover)}
        elif d == "household_heads":
            heads = teams.heads if teams else np.zeros(n_g)
            cover = np.divide(heads * p.teams.head_visits_per_round, hh, out=np.zeros(n_g), where=hh > 0)
            out[ch.name] = {"p_round": np.minimum(1.0, cover)}
        elif d == "party_members":
            out[ch.name] = {"rate": relative(world.grid_share(world.resident_party)) * prop}
        elif d == "app_users":
            out[ch.name] = {"rate": relative(world.grid_share(world.resident_app_user)) * prop}
        elif d == "service_point":
            if world.has_geometry:
                walk = walk_minutes_to_service_point(p, world)
                access = np.bincount(world.household_grid, weights=np.exp(-walk / p.world.service_walk_decay_min),
                                     minlength=n_g) / np.maximum(hh, 1)
                out[ch.name] = {"rate": relative(access) * prop}
            else:
                out[ch.name] = {"rate": prop}
        elif d == "propensity":
            out[ch.name] = {"rate": prop}
    return out


def coverage_15min(p: ModelParams, world: World) -> float | None:
    """Share of households within a 15-minute walk of their grid's service point."""
    if not world.has_geometry:
        return None
    return float(np.mean(walk_minutes_to_service_point(p, world) <= 15.0))


def unit_bases(world: World) -> list[np.ndarray] | None:
    """Where each level's crews start from: grid service points, village, town and
    district household centroids (km)."""
    if not world.has_geometry:
        return None
    xy = world.household_xy
    hv = world.household_village
    return [world.service_point_xy, centroids(xy, hv, world.n_villages),
            centroids(xy, world.village_town[hv], world.n_towns), xy.mean(axis=0)[None, :]]
