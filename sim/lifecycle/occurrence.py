"""When, where and of which type issues occur.

Per village and issue type, occurrence is a Poisson process whose intensity follows the
type's monthly profile (``issue_types.<t>.month_factors``) and the time of day
(``occurrence.hour_factors``); both profiles are normalised to mean 1, so the catalogue's
``rate_per_1000_residents_per_year`` stays the annual rate and the profiles only move
issues in time. Counts are drawn per village and type, times by inverting the cumulative
intensity (so a profile change moves the same issues in time: common random numbers),
and each issue sits at a household of its village, so the same seed gives the same
issues whatever the grid partition.

Surge events (``events``) add issues from their own random stream, after the ordinary
ones, so adding a surge leaves every ordinary issue and its draws unchanged.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from sim.errors import ConfigError
from sim.params import ModelParams
from sim.world.world import World


@dataclass
class Occurrences:
    """Issue columns (length n; ordinary issues first, then surge issues, then the drain's
    background issues). ``order`` lists issue ids by occurrence time. ``surge`` is −1 for
    ordinary issues, else the event's index in ``events``. ``n_main``: the issues of the
    horizon (ids below it); the rest occur in the drain and are counted nowhere."""

    type: np.ndarray
    household: np.ndarray
    grid: np.ndarray
    village: np.ndarray
    town: np.ndarray
    t_occurred: np.ndarray
    surge: np.ndarray
    order: np.ndarray
    n_main: int = -1

    def __post_init__(self) -> None:
        if self.n_main < 0:
            self.n_main = len(self.t_occurred)

    @property
    def n(self) -> int:
        return len(self.t_occurred)


def _normalised(values: tuple, n: int) -> np.ndarray:
    v = np.asarray(values, dtype=float) if values else np.ones(n)
    return v / v.mean()


def cumulative_intensity(p: ModelParams, start: _dt.date, month_factors: tuple,
                         span_h: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hour boundaries ``t`` (0 .. ⌈span⌉, the horizon by default) and the cumulative
    relative intensity Λ(t) (hours of an average hour) of a type with ``month_factors``."""
    n_h = int(np.ceil(p.horizon_h if span_h is None else span_h))
    hours = np.arange(n_h)
    days = hours // 24
    month = np.array([(start + _dt.timedelta(days=int(d))).month - 1 for d in range(int(days[-1]) + 1 if n_h else 0)])
    mf = _normalised(month_factors, 12)
    hf = _normalised(p.occurrence.hour_factors, 24)
    dens = mf[month[days]] * hf[hours % 24] if n_h else np.zeros(0)
    return np.arange(n_h + 1, dtype=float), np.concatenate(([0.0], np.cumsum(dens)))


def _ordinary(p: ModelParams, world: World, start: _dt.date, rng: np.random.Generator, t0: float,
              t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ordinary issues occurring in [t0, t1): types, households and times, in time order."""
    hv = world.household_village
    h_order = np.argsort(hv, kind="stable")
    nh_v = np.bincount(hv, minlength=world.n_villages)
    start_v = np.concatenate(([0], np.cumsum(nh_v)[:-1]))
    res_v = world.village_residents()
    types = p.issue_types
    rates = np.array([t.rate_per_1000_residents_per_year for t in types])
    profiles = [cumulative_intensity(p, start, t.month_factors, t1) for t in types]
    lo = [float(np.interp(t0, tg, lam)) for tg, lam in profiles]
    # expected counts: the annual rate over the span, with the profile's share of it
    frac = np.array([lam[-1] - a for (_, lam), a in zip(profiles, lo)]) / (365.0 * 24.0)
    lam_vk = np.outer(res_v / 1000.0, rates * frac)
    counts = rng.poisson(lam_vk)
    v_idx, k_idx = np.nonzero(counts)
    reps = counts[v_idx, k_idx]
    village = np.repeat(v_idx, reps)
    typ = np.repeat(k_idx, reps)
    n = len(village)
    u = rng.random(n)
    t = np.empty(n)
    for k, (tg, lam) in enumerate(profiles):
        sel = typ == k
        # invert Λ: the times at which it reaches Λ(t0) + u × (Λ(t1) − Λ(t0))
        total = np.interp(t1, tg, lam)
        t[sel] = np.clip(np.interp(lo[k] + u[sel] * (total - lo[k]), lam, tg), t0, np.nextafter(t1, 0.0))
    pick = np.minimum((rng.random(n) * nh_v[village]).astype(np.int64), nh_v[village] - 1)
    household = h_order[start_v[village] + pick]
    srt = np.argsort(t, kind="stable")  # ordinary issues are numbered in time order
    return typ[srt], household[srt], t[srt]


def draw_occurrences(p: ModelParams, world: World, start: _dt.date, rng: np.random.Generator,
                     surge_rng: np.random.Generator, drain_rng: np.random.Generator | None = None) -> Occurrences:
    """All issues of the run (see module doc): the ordinary ones of the horizon, the surge
    issues, then (``drain_rng`` given and ``run.drain_days`` > 0) the background issues of
    the drain, from their own stream so that the drain leaves every issue of the horizon
    unchanged."""
    T = p.horizon_h
    typ, household, t = _ordinary(p, world, start, rng, 0.0, T)
    n = len(t)
    surge = np.full(n, -1, dtype=np.int64)
    if p.events:
        st, sh, ss = _surges(p, world, start, surge_rng)
        typ, household, t, surge = (np.concatenate(x) for x in ((typ, st), (household, sh), (t, ss[0]), (surge, ss[1])))
    n_main = len(t)
    if drain_rng is not None and p.end_h > T:
        dt, dh, dtime = _ordinary(p, world, start, drain_rng, T, p.end_h)
        typ, household, t = (np.concatenate(x) for x in ((typ, dt), (household, dh), (t, dtime)))
        surge = np.concatenate((surge, np.full(len(dt), -1, dtype=np.int64)))
    grid = world.household_grid[household]
    vill = world.grid_village[grid]
    return Occurrences(typ.astype(np.int64), household.astype(np.int64), grid, vill, world.village_town[vill], t, surge,
                       np.argsort(t, kind="stable"), n_main)


def town_indices(names: tuple, world: World, key: str) -> np.ndarray:
    """Town numbers for names as the map shows them (zh or en, any case); empty = all."""
    if not names:
        return np.arange(world.n_towns)
    known = {}
    for lang in ("en", "zh"):
        for i, nm in enumerate(world.names("town", lang)):
            known[str(nm).lower()] = i
    out = []
    for nm in names:
        i = known.get(str(nm).lower())
        if i is None:
            raise ConfigError(key, f"unknown town {nm!r}; towns: {', '.join(map(str, world.names('town', 'en')))}")
        out.append(i)
    return np.array(sorted(set(out)))


def _surges(p: ModelParams, world: World, start: _dt.date, rng: np.random.Generator):
    """Issues of every surge event: types by share, times uniform or decaying over the
    event, households of the hit towns in proportion to residents."""
    T = p.horizon_h
    names = [t.name for t in p.issue_types]
    size = world.household_size.astype(float)
    h_town = world.village_town[world.household_village]
    out_t, out_h, out_time, out_ev = [], [], [], []
    for e, ev in enumerate(p.events):
        n = ev.extra_issues
        towns = town_indices(ev.towns, world, f"events.{ev.name}.towns")
        w = np.where(np.isin(h_town, towns), size, 0.0)
        shares = np.asarray(ev.shares if ev.shares else [1.0] * len(ev.types), dtype=float)
        k = rng.choice(len(ev.types), size=n, p=shares / shares.sum()) if n else np.zeros(0, dtype=np.int64)
        typ = np.array([names.index(ev.types[i]) for i in k], dtype=np.int64)
        t0 = 24.0 * (_dt.date.fromisoformat(ev.start_date) - start).days + ev.start_h
        u = rng.random(n)
        if ev.shape == "uniform":
            dt = u * ev.duration_h
        else:  # exponential decay truncated to the event's duration
            dt = -ev.decay_h * np.log1p(-u * (1.0 - np.exp(-ev.duration_h / ev.decay_h)))
        hh = rng.choice(len(w), size=n, p=w / w.sum()) if n and w.sum() > 0 else np.zeros(0, dtype=np.int64)
        tt = t0 + dt
        keep = (tt >= 0.0) & (tt < T)
        order = np.argsort(tt[keep], kind="stable")
        out_t.append(typ[keep][order])
        out_h.append(hh[keep][order])
        out_time.append(tt[keep][order])
        out_ev.append(np.full(int(keep.sum()), e, dtype=np.int64))
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)  # noqa: E731
    return cat(out_t, np.int64), cat(out_h, np.int64), (cat(out_time, float), cat(out_ev, np.int64))
