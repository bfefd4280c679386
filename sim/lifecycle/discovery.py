"""Discovery: which channel finds each issue, and when.

Every channel is a competing process; the first to find an issue wins. Each issue draws
one unit exponential per channel at the start (stream ``discovery``), and a channel finds
it when its accumulated hazard passes that threshold. For a round that passes the issue
with detection probability q the hazard grows by −ln(1 − q), which is exactly a Bernoulli
trial per round; for a continuous channel at rate r it grows by r × elapsed time. The
thresholds are fixed per issue, so a policy that changes who patrols where changes
discovery only through the hazards: common random numbers.

A continuous channel's firing time follows from its threshold and rate as soon as the
issue occurs; when a rate changes (:meth:`Discovery.update_rates`), what is left of the
threshold is spent at the new rate. Rounds need the state of the day, so the process runs
in *ticks*, in time order: the end of each team's patrol or routine block
on each day, each household-head round and each abstract round, and the horizon. At a
tick, issues that occurred since the last one join the pending set; those whose
continuous firing time has passed are found then (at that exact time); then the round at
this tick adds its hazard. Staff rounds follow the members' actual days:
the owner of a patch who is off that day does not walk it, and a member who spent part of
the block on issue work (``staff.gives_way``) covers that much less road. A member covers
``hours done × speed`` km of its patch per round, starting where the previous day's
planned round ended, and passes the issues within ``staff.detection_distance_km`` of the
stretch it walks.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from sim.agents.residents import grid_rate_factors
from sim.agents.teams import DRIVER_ROLES, People
from sim.params import STAFF_DRIVERS, TRADES, ModelParams
from sim.rng import Streams
from sim.world.world import World

DRIVER_PATCHES = {"work_team": "work_team", "management_team": "management_team",
                  "volunteer_team": "volunteer_team", "grid_leader": "grid_leader"}


@dataclass
class Found:
    """A batch of discovered issues: ids, discovery times (h), channel index, finder
    (staff id, household-head id, or −1), whether the finder fixed it on the spot."""

    ids: np.ndarray
    t: np.ndarray
    channel: np.ndarray
    finder: np.ndarray
    on_spot: np.ndarray

    @staticmethod
    def empty() -> "Found":
        z = np.zeros(0, dtype=np.int64)
        return Found(z, np.zeros(0), z, z, np.zeros(0, dtype=bool))


class _Clock:
    """Cumulative intensity multiplier G(t) of a continuous channel (identity unless the
    channel has a service-day boost on the 10th and 20th) and its inverse."""

    def __init__(self, boost: float, start: _dt.date | None, horizon_h: float):
        self.identity = boost == 1.0 or start is None
        if self.identity:
            return
        n_days = int(horizon_h // 24) + 2
        mult = np.array([boost if (start + _dt.timedelta(days=d)).day in (10, 20) else 1.0 for d in range(n_days)])
        self.t = np.arange(n_days + 1) * 24.0
        self.g = np.concatenate(([0.0], np.cumsum(mult * 24.0)))

    def G(self, t: np.ndarray) -> np.ndarray:
        return t if self.identity else np.interp(t, self.t, self.g)

    def G_inv(self, g: np.ndarray) -> np.ndarray:
        return g if self.identity else np.interp(g, self.g, self.t)


class Discovery:
    """The tick machine (see module doc)."""

    def __init__(self, p: ModelParams, world: World, people: People, occ, streams: Streams, start: _dt.date):
        self.p, self.world, self.people, self.occ = p, world, people, occ
        n = occ.n
        chans = p.channels
        self.C = len(chans)
        self.E = streams["discovery"].exponential(size=(n, self.C))
        self.u_spot = streams["on_spot"].random(n)
        types = p.issue_types
        self.vis = np.array([t.visibility for t in types])[occ.type]
        self.p_spot = np.array([t.p_on_spot_fix for t in types])[occ.type] * (0.5 + p.teams.training_level)
        self.trade_bit = (1 << np.array([TRADES.index(t.trade) for t in types]))[occ.type]
        self.instant = next((c for c, ch in enumerate(chans) if ch.enabled and ch.kind == "instant"), None)
        factors = grid_rate_factors(p, world)
        self.cont = [c for c, ch in enumerate(chans) if ch.enabled and ch.kind == "poisson"]
        self.rate = {c: chans[c].rate_per_day / 24.0 * self.vis * factors[chans[c].name][occ.grid] for c in self.cont}
        self.clock = {c: _Clock(chans[c].service_day_boost, start, p.horizon_h) for c in self.cont}
        # continuous channels as one matrix: rates (n, K) and thresholds, by clock
        self.R = np.column_stack([self.rate[c] for c in self.cont]) if self.cont else np.zeros((n, 0))
        self.E_cont = self.E[:, self.cont]
        self.clocks = [self.clock[c] for c in self.cont]
        self.cont_idx = np.asarray(self.cont, dtype=np.int64)
        self.can_fix = np.array([ch.can_fix_on_spot for ch in chans])
        self.staff_channel = np.array([ch.driver in STAFF_DRIVERS for ch in chans] + [False])
        self._staff_arrays()
        self.ticks = self._schedule()
        self.round_count = np.zeros(self.C, dtype=np.int64)
        # pending issues: ids, accumulated hazard (len(P), C), start of exposure
        self.P = np.zeros(0, dtype=np.int64)
        self.A = np.zeros((0, self.C))  # accumulated hazard of the round channels
        self.F = np.zeros((0, len(self.cont)))  # firing times of the continuous channels
        self.next_occ = 0
        self.t_last = 0.0
        self.blocks = None  # set by the model: sim.agents.staff.BlockLog

    # ------------------------------------------------------------------ setup
    def _staff_arrays(self) -> None:
        ppl = self.people
        roles = sorted({m.role for m in ppl.members})
        self.role_names = roles
        n_s = len(ppl.members)
        self.role_id = np.array([roles.index(m.role) for m in ppl.members], dtype=np.int64) if n_s else np.zeros(0, int)
        self.variant = np.array([m.variant for m in ppl.members], dtype=np.int64) if n_s else np.zeros(0, int)
        self.trades = np.array([m.trades for m in ppl.members], dtype=np.int64) if n_s else np.zeros(0, int)
        self.patch_len = ppl.patch_length_km if ppl.patch_length_km is not None else np.ones(n_s)

    def _schedule(self) -> list[tuple[float, int, int]]:
        """Sorted ticks ``(t, channel, role)`` (channel −1: none, at the horizon; role −1:
        not a staff round). Continuous channels advance at every tick."""
        p, T = self.p, self.p.horizon_h
        ticks: list[tuple[float, int, int]] = []
        days = np.arange(int(np.ceil(T / 24.0)) + 1)
        ticks.append((float(T), -1, -1))  # continuous channels up to the horizon
        for c, ch in enumerate(p.channels):
            if not ch.enabled or ch.kind != "rounds":
                continue
            if ch.driver in STAFF_DRIVERS:
                for role in DRIVER_ROLES[ch.driver]:
                    sched = self.people.schedules.get(role)
                    if sched is None or role not in self.role_names or sched.block_hours(ch.activity) <= 0:
                        continue
                    end = sched.window[ch.activity][1]
                    r = self.role_names.index(role)
                    ticks += [(float(24.0 * d + end), c, r) for d in days if 24.0 * d + end <= T]
            else:
                k = np.arange(int(max(0.0, (T - ch.first_round_h)) // ch.period_h) + 1)
                times = ch.first_round_h + k * ch.period_h
                ticks += [(float(t), c, -1) for t in times if t <= T]
        ticks.sort()
        return ticks

    # ------------------------------------------------------------------ ticks
    def initial(self) -> Found:
        """Issues an instant channel finds the moment they occur (all of them), or none."""
        if self.instant is None:
            return Found.empty()
        ids = np.arange(self.occ.n)
        ch = np.full(self.occ.n, self.instant)
        self.next_occ = self.occ.n  # nothing is left pending
        return self._finish(ids, self.occ.t_occurred.copy(), ch, np.full(self.occ.n, -1), self.occ.t_occurred)

    def _fire_times(self, ids: np.ndarray, t0: np.ndarray, E: np.ndarray) -> np.ndarray:
        """When each continuous channel fires for ``ids`` whose remaining thresholds ``E``
        start accumulating at ``t0`` at the current rates (inf where a rate is 0)."""
        R = self.R[ids]
        F = np.full(R.shape, np.inf)
        for k, clk in enumerate(self.clocks):
            r = R[:, k]
            ok = r > 0
            if ok.any():
                F[ok, k] = clk.G_inv(clk.G(t0[ok]) + E[ok, k] / r[ok])
        return F

    def _admit(self, t: float) -> None:
        """Issues that occurred by ``t`` join the pending set; their continuous channels'
        firing times are known from their thresholds and (current) rates."""
        order, t_occ = self.occ.order, self.occ.t_occurred
        j = self.next_occ
        k = int(np.searchsorted(t_occ[order], t, side="right"))
        if k > j:
            new = order[j:k]
            self.P = np.concatenate((self.P, new))
            self.A = np.vstack((self.A, np.zeros((len(new), self.C))))
            F = self._fire_times(new, t_occ[new], self.E_cont[new])
            self.F = np.vstack((self.F, F))
            self.next_occ = k

    def update_rates(self, ids: np.ndarray, rates: np.ndarray, t: float) -> None:
        """Continuous rates of pending issues ``ids`` change at ``t`` (e.g. a household's
        trust): what is left of each threshold is spent at the new rates from ``t`` on."""
        pos = np.flatnonzero(np.isin(self.P, ids))
        if len(pos) == 0:
            return
        P = self.P[pos]
        old = self.R[P]
        F = self.F[pos]
        left = np.zeros_like(F)
        for k, clk in enumerate(self.clocks):
            fin = np.isfinite(F[:, k])
            left[fin, k] = (clk.G(F[fin, k]) - clk.G(np.full(fin.sum(), t))) * old[fin, k]
            left[~fin, k] = self.E_cont[P[~fin], k]  # never started (rate was 0): the whole threshold
        self.R[P] = rates
        self.F[pos] = self._fire_times(P, np.full(len(P), t), np.maximum(left, 0.0))

    def tick(self, t: float, channel: int, role: int) -> Found:
        """Advance discovery to ``t`` and run the round of ``channel`` (−1: none)."""
        self._admit(t)
        P = self.P
        if len(P) == 0:
            self.t_last = t
            return Found.empty()
        occ = self.occ
        best_t = np.full(len(P), np.inf)
        best_c = np.full(len(P), -1, dtype=np.int64)
        finder = np.full(len(P), -1, dtype=np.int64)
        if self.cont:
            k = np.argmin(self.F, axis=1)
            tf = self.F[np.arange(len(P)), k]
            fired = tf <= t
            best_t[fired] = tf[fired]
            best_c[fired] = self.cont_idx[k[fired]]
        if channel >= 0:
            q, who = self._round(channel, role, P, t)
            with np.errstate(divide="ignore"):
                self.A[:, channel] += -np.log1p(-np.minimum(q, 1.0))
            fire = (self.A[:, channel] >= self.E[P, channel]) & (q > 0) & (t < best_t)
            best_t = np.where(fire, t, best_t)
            best_c = np.where(fire, channel, best_c)
            finder = np.where(fire, who, finder)
            self.round_count[channel] += 1
        self.t_last = t
        won = best_t <= t
        if not won.any():
            return Found.empty()
        ids = P[won]
        keep = ~won
        self.P = P[keep]
        self.A = self.A[keep]
        self.F = self.F[keep]
        return self._finish(ids, best_t[won], best_c[won], finder[won], occ.t_occurred[ids])

    def _round(self, c: int, role: int, P: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Detection probability of this round for each pending issue, and the finder."""
        p, ch = self.p, self.p.channels[c]
        h = self.occ.household[P]
        base = ch.p_detect_per_round * self.vis[P]
        if ch.driver in STAFF_DRIVERS:
            tp = self.people.patches.get(DRIVER_PATCHES[ch.driver])
            if tp is None:
                return np.zeros(len(P)), np.full(len(P), -1)
            m = tp.owner_sid[h]
            ok = m >= 0
            mm = np.where(ok, m, 0)
            ok &= self.role_id[mm] == role
            sched = self.people.schedules[self.role_names[role]]
            d = int(t // 24.0) if t % 24.0 > 0 else int(t // 24.0) - 1
            works = sched.works[self.variant[mm], min(d, sched.works.shape[1] - 1)] if sched.works.shape[1] > 1 else \
                np.ones(len(P), dtype=bool)
            block_h = sched.block_hours(ch.activity)
            done = np.full(len(P), block_h)
            lost = self.blocks.day(ch.activity, d) if self.blocks is not None else {}
            if lost:
                lost_h = np.zeros(len(self.role_id))
                lost_h[np.fromiter(lost.keys(), dtype=np.int64)] = np.fromiter(lost.values(), dtype=float)
                done = done - lost_h[mm]
            done = np.maximum(done, 0.0) * works
            speed = p.staff.patrol_speed_kmh if ch.activity == "patrol" else p.staff.routine_speed_kmh
            cover = done * speed
            length = self.patch_len[mm]
            offset = np.mod(d * block_h * speed, length)
            passed = (cover >= length) | (np.mod(tp.u_km[h] - offset, length) < cover)
            near = self.world.household_offset_km[h] <= p.staff.detection_distance_km
            return np.where(ok & passed & near, base, 0.0), np.where(ok, m, -1)
        if ch.driver == "household_heads":
            ppl = self.people
            if ppl.head_of is None:
                return np.zeros(len(P)), np.full(len(P), -1)
            k = p.teams.head_visits_per_round
            n_blk = ppl.head_block[h]
            r = self.round_count[c]
            visited = (k >= n_blk) | (np.mod(ppl.head_pos[h] - r * k, n_blk) < k)
            return np.where(visited, base, 0.0), ppl.head_of[h]
        return base, np.full(len(P), -1)

    def _finish(self, ids, t, ch, finder, t_occ) -> Found:
        """On-the-spot fixes by finders who may fix, and credit to staff finders."""
        staff = (finder >= 0) & self.staff_channel[ch]
        fixer_ok = np.where(staff, (self.trades[np.where(staff, finder, 0)] & self.trade_bit[ids]) > 0
                            if len(self.trades) else False, True)
        on_spot = self.can_fix[ch] & fixer_ok & (self.u_spot[ids] < self.p_spot[ids])
        members = self.people.members
        heads = self.people.heads
        dur = np.array([x.dur_on_spot_h for x in self.p.issue_types])[self.occ.type[ids]]
        chans = self.p.channels
        for k in np.flatnonzero(finder >= 0):
            if staff[k]:
                members[finder[k]].found(float(t[k]), float(dur[k]) if on_spot[k] else 0.0, chans[ch[k]].activity)
            elif heads:
                heads[finder[k]].found()
        return Found(ids, np.maximum(t, t_occ), ch.astype(np.int64), finder.astype(np.int64), on_spot)
