"""Everything before an issue reaches a handling unit, drawn vectorised.

Occurrence, discovery, reporting, registration, consultation and the first dispatch do
not depend on queue state, so they are computed for all issues at once with numpy
instead of costing events:

- occurrence: per village and type a Poisson count over the horizon, uniform times,
  each issue placed at a household of the village (so the same seed gives the same
  issues whatever the grid partition: common random numbers across grid designs);
- discovery: every enabled channel proposes a time (periodic rounds: a geometric number
  of rounds, each finding the issue with probability ``p_detect_per_round`` ×
  visibility; continuous channels: an exponential delay); the earliest wins;
- on-the-spot fix by a finder who may fix it;
- report (channel delay, service-point hours), registration, consultation, and the
  capability route to the first unit that may close it.

Each process draws a fixed number of uniforms per issue from its own stream, so a
policy change never shifts another process's draws.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.lifecycle import dists
from sim.lifecycle.calendar import WorkCalendar
from sim.params import LEVELS, ModelParams
from sim.rng import Streams
from sim.world.world import World

NO_TIME = np.inf


@dataclass
class ChannelGrid:
    """Per-grid parameters of one channel (arrays of length n_grids)."""

    period_h: np.ndarray
    phase_h: np.ndarray
    p_round: np.ndarray
    rate_per_h: np.ndarray


def channel_grid_params(params: ModelParams, world: World, mods: dict | None = None) -> list[ChannelGrid]:
    """Broadcast each channel's parameters to grids, times optional per-grid multipliers
    ``mods[name] = {"rate": array, "p_round": array, "period": array}`` supplied by the
    model (team sizes, ageing, place-specific propensity)."""
    n = world.n_grids
    out = []
    mods = mods or {}
    for ch in params.channels:
        m = mods.get(ch.name, {})
        out.append(ChannelGrid(
            period_h=np.full(n, ch.period_h) * m.get("period", 1.0),
            phase_h=np.full(n, ch.first_round_h) + m.get("phase", 0.0),
            p_round=np.clip(np.full(n, ch.p_detect_per_round) * m.get("p_round", 1.0), 0.0, 1.0),
            rate_per_h=np.full(n, ch.rate_per_day / 24.0) * m.get("rate", 1.0),
        ))
    return out


@dataclass
class Arrivals:
    """Pre-computed issue columns (length n, ordered by occurrence time).

    Times in hours since the start; ``np.inf`` where a stage is not reached within the
    horizon. ``first_level`` is the level of the first unit the issue is sent to;
    ``pre_escalations`` counts capability hand-overs on the way there.
    """

    type: np.ndarray
    household: np.ndarray
    grid: np.ndarray
    village: np.ndarray
    town: np.ndarray
    t_occurred: np.ndarray
    t_discovered: np.ndarray
    channel: np.ndarray
    t_reported: np.ndarray
    t_consulted: np.ndarray
    t_dispatched: np.ndarray
    t_arrive: np.ndarray
    first_level: np.ndarray
    pre_escalations: np.ndarray
    on_spot: np.ndarray
    t_on_spot_done: np.ndarray
    deadline: np.ndarray
    u_handle: np.ndarray  # (n, 4): uniforms for the first attempt at each level
    u_fail: np.ndarray  # (n, 4): uniforms for failure of that attempt
    u_rework: np.ndarray  # (n,): uniform for the first verification
    lost: np.ndarray  # (n,): report lost once on the village-committee route (fusion off)

    @property
    def n(self) -> int:
        return len(self.t_occurred)


def _occur(params: ModelParams, world: World, rng: np.random.Generator):
    years = params.horizon_h / (24.0 * 365.0)
    hv = world.household_village
    order = np.argsort(hv, kind="stable")
    nh_v = np.bincount(hv, minlength=world.n_villages)
    start_v = np.concatenate(([0], np.cumsum(nh_v)[:-1]))
    res_v = world.village_residents()
    rates = np.array([t.rate_per_1000_residents_per_year for t in params.issue_types])
    lam = np.outer(res_v / 1000.0, rates) * years  # (villages, types)
    counts = rng.poisson(lam)
    v_idx, k_idx = np.nonzero(counts)
    reps = counts[v_idx, k_idx]
    village = np.repeat(v_idx, reps)
    typ = np.repeat(k_idx, reps)
    n = len(village)
    t = rng.random(n) * params.horizon_h
    pick = np.minimum((rng.random(n) * nh_v[village]).astype(np.int64), nh_v[village] - 1)
    household = order[start_v[village] + pick]
    srt = np.argsort(t, kind="stable")
    return typ[srt].astype(np.int16), household[srt], t[srt]


def _geometric_rounds(t: np.ndarray, cg: ChannelGrid, grid: np.ndarray, q: np.ndarray, u: np.ndarray):
    """Time of the first successful round after ``t`` (inf if q = 0)."""
    P = cg.period_h[grid]
    phi = cg.phase_h[grid]
    k1 = np.floor((t - phi) / P) + 1.0
    t1 = phi + k1 * P
    with np.errstate(divide="ignore", invalid="ignore"):
        extra = np.floor(np.log1p(-u) / np.log1p(-np.minimum(q, 1.0 - 1e-15)))
    extra = np.where(q >= 1.0, 0.0, extra)
    return np.where(q > 0.0, t1 + extra * P, NO_TIME)


@dataclass
class ArrivalMods:
    """How the world and the teams modify the pre-handling stages (all optional).

    ``channel``: per-grid channel multipliers (:func:`channel_grid_params`);
    ``on_spot_scale[g, k]``: multiplier of type k's on-the-spot fix chance in grid g;
    ``consult_scale[g]``: multiplier of the consultation delay; ``route_delay(t, grid,
    rng) -> (t', lost)``: the route through the village committee when nets are not fused;
    ``start_date``: calendar date of t = 0 (for the 10th/20th service days).
    """

    channel: dict | None = None
    on_spot_scale: np.ndarray | None = None
    consult_scale: np.ndarray | None = None
    route_delay: Callable | None = None
    start_date: _dt.date | None = None


def service_day_clock(start: _dt.date, boost: float, horizon_h: float):
    """Cumulative rate multiplier G(t) (hours) that is ``boost`` on the 10th and 20th of
    each month and 1 otherwise, with its inverse; an exponential delay E at base rate r
    then ends at G⁻¹(G(t) + E / r)."""
    n_days = int(horizon_h // 24) + 800
    mult = np.array([boost if (start + _dt.timedelta(days=d)).day in (10, 20) else 1.0 for d in range(n_days)])
    knots_t = np.arange(n_days + 1) * 24.0
    knots_g = np.concatenate(([0.0], np.cumsum(mult * 24.0)))

    def G(t: np.ndarray) -> np.ndarray:
        return np.where(t <= knots_t[-1], np.interp(t, knots_t, knots_g), knots_g[-1] + (t - knots_t[-1]))

    def G_inv(g: np.ndarray) -> np.ndarray:
        return np.where(g <= knots_g[-1], np.interp(g, knots_g, knots_t), knots_t[-1] + (g - knots_g[-1]))

    return G, G_inv


def draw_arrivals(params: ModelParams, world: World, streams: Streams, weekday0: int = 0,
                  mods: ArrivalMods | None = None) -> Arrivals:
    """Draw all issues of the run and their path up to the first handling unit."""
    mods = mods or ArrivalMods()
    channel_mods = mods.channel
    route_delay = mods.route_delay
    types = params.issue_types
    typ, household, t_occ = _occur(params, world, streams["occurrence"])
    n = len(t_occ)
    grid = world.household_grid[household]
    village = world.grid_village[grid]
    town = world.village_town[village]
    vis = np.array([t.visibility for t in types])[typ]

    # -- discovery: earliest channel wins --------------------------------------------
    rng = streams["channels"]
    cgs = channel_grid_params(params, world, channel_mods)
    best = np.full(n, NO_TIME)
    best_ch = np.full(n, -1, dtype=np.int16)
    for c, (ch, cg) in enumerate(zip(params.channels, cgs)):
        u = rng.random(n)  # drawn even when disabled: keeps every stream aligned
        if not ch.enabled:
            continue
        if ch.kind == "instant":
            cand = t_occ.copy()
        elif ch.kind == "rounds":
            cand = _geometric_rounds(t_occ, cg, grid, cg.p_round[grid] * vis, u)
        else:
            r = cg.rate_per_h[grid] * vis
            e = -np.log1p(-u) / np.where(r > 0, r, 1.0)
            if ch.service_day_boost != 1.0 and mods.start_date is not None:
                G, G_inv = service_day_clock(mods.start_date, ch.service_day_boost, params.horizon_h)
                cand = np.where(r > 0, G_inv(G(t_occ) + e), NO_TIME)
            else:
                cand = np.where(r > 0, t_occ + e, NO_TIME)
        win = cand < best
        best = np.where(win, cand, best)
        best_ch = np.where(win, c, best_ch)
    t_disc = best
    found = best_ch >= 0

    # -- on-the-spot fix --------------------------------------------------------------
    u_spot = streams["on_spot"].random(n)
    can_fix = np.array([ch.can_fix_on_spot for ch in params.channels] + [False])[best_ch]
    p_spot = np.array([t.p_on_spot_fix for t in types])[typ]
    if mods.on_spot_scale is not None:
        p_spot = p_spot * mods.on_spot_scale[grid, typ]
    on_spot = found & can_fix & (u_spot < p_spot)
    dur_spot = np.array([t.dur_on_spot_h for t in types])[typ]
    t_spot_done = np.where(on_spot, t_disc + dur_spot, NO_TIME)

    # -- report / registration ------------------------------------------------------------
    rrng = streams["report"]
    t_rep = np.full(n, NO_TIME)
    service = WorkCalendar(params.service_calendar, weekday0)
    for c, ch in enumerate(params.channels):
        u = rrng.random(n)
        sel = best_ch == c
        if not sel.any():
            continue
        tr = t_disc[sel] + dists.quantile(ch.report_delay, u[sel])
        if ch.on_calendar:
            tr = service.next_open_v(tr)
        t_rep[sel] = tr
    t_rep = np.where(on_spot, t_disc, t_rep)

    lrng = streams["lifecycle"]
    lc = params.lifecycle
    u_reg, u_con, u_hot = lrng.random(n), lrng.random(n), lrng.random(n)
    t_reg = t_rep + dists.quantile(lc.register, u_reg)
    needs = np.array([t.needs_consultation for t in types])[typ] & ~on_spot
    c_scale = 1.0 if mods.consult_scale is None else mods.consult_scale[grid]
    t_con = np.where(needs, t_reg + dists.quantile(lc.consultation, u_con, c_scale), NO_TIME)
    t_disp = np.where(needs, t_con, t_reg)
    min_level = np.array([LEVELS.index(t.min_close_level) for t in types], dtype=np.int8)[typ]
    enters = np.array([LEVELS.index(ch.enters_at) for ch in params.channels] + [0], dtype=np.int8)[best_ch]
    # 12345 and other platform channels: the platform passes the ticket down to the
    # lowest capable level (never below the entry level for grid-registered reports)
    from_top = enters > 0
    t_disp = np.where(from_top, t_disp + dists.quantile(lc.hotline_dispatch, u_hot), t_disp)
    first_level = min_level  # grid-registered reports are routed up to it (below)

    # capability route for grid-registered reports the grid cannot close
    erng = streams["escalation"]
    hops_needed = np.where(from_top, 0, min_level).astype(np.int64)
    if params.escalation.rule == "direct":
        hops = np.minimum(hops_needed, 1)
    else:
        hops = hops_needed
    u_hand = erng.random((n, 3))
    hand = dists.quantile(params.escalation.handover, u_hand)
    hand_total = np.where(np.arange(3)[None, :] < hops[:, None], hand, 0.0).sum(axis=1)
    lost = np.zeros(n, dtype=bool)
    if route_delay is not None:
        t_relay, lost = route_delay(t_disp, grid, streams["escalation"])
        t_disp = np.where(from_top, t_disp, t_relay)
        lost = lost & ~from_top & ~on_spot
    t_arrive = t_disp + hand_total

    office = WorkCalendar(params.office_calendar, weekday0)
    limit = np.array([t.time_limit_wh for t in types])[typ]
    deadline = office.add_v(np.where(np.isfinite(t_rep), t_rep, 0.0), limit)
    deadline = np.where(np.isfinite(t_rep), deadline, NO_TIME)

    hrng = streams["handling"]
    u_handle = hrng.random((n, 4))
    frng = streams["failure"]
    u_fail = frng.random((n, 4))
    u_rework = streams["rework"].random(n)

    never = ~found
    for a in (t_rep, t_disp, t_arrive):
        a[never] = NO_TIME
    t_con[never] = NO_TIME
    t_arrive = np.where(on_spot, NO_TIME, t_arrive)
    return Arrivals(
        type=typ, household=household, grid=grid, village=village, town=town,
        t_occurred=t_occ, t_discovered=t_disc, channel=best_ch, t_reported=t_rep,
        t_consulted=t_con, t_dispatched=np.where(on_spot, t_disc, t_disp),
        t_arrive=t_arrive, first_level=first_level,
        pre_escalations=np.where(on_spot | never, 0, hops).astype(np.int16),
        on_spot=on_spot, t_on_spot_done=t_spot_done, deadline=deadline,
        u_handle=u_handle, u_fail=u_fail, u_rework=u_rework, lost=lost & found,
    )

