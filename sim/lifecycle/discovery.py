"""Discovery: which channel finds each issue, and when.

Every channel is a competing process; the first to find an issue wins. Each issue draws
one unit exponential per channel at the start (stream ``discovery``), and a channel finds
it when its accumulated hazard passes that threshold. For a round that passes the issue
with detection probability q the hazard grows by −ln(1 − q), which is exactly a Bernoulli
trial per round; for a continuous channel at rate r it grows by r × elapsed time. The
thresholds are fixed per issue, so a policy that changes who patrols where changes
discovery only through the hazards: common random numbers.

A continuous channel's firing time follows from its threshold and rate as soon as the
issue occurs, so those discoveries are events at their exact times (the earliest channel
of each issue; a round that finds it first cancels it). With households as agents one
more clock runs per issue: the household at the issue noticing it; it then decides
(:mod:`sim.agents.households`), and if it does not report it reconsiders on a renewed
clock whose rate follows its trust (:meth:`Discovery.update_notice_rates` spends what is
left of the threshold at the new rate). Rounds need the state of the day, so they run as
*ticks*: the end of each team's patrol or routine block on each day, each household-head
round and each abstract round. At a tick the issues that occurred and are not yet found
are the candidates, and the round adds its hazard to each. Staff rounds follow the
members' actual days:
the owner of a patch who is off that day does not walk it, and a member who spent part of
the block on issue work (``staff.gives_way``) covers that much less road. A member covers
``hours done × speed`` km of its patch per round: as many full passes as fit, then part
of the patch starting where the previous day's planned round ended. Each pass within
``staff.detection_distance_km`` of an issue is one chance to notice it, so a shorter patch
(more members) is watched more closely.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from sim.agents.residents import rate_factors
from sim.agents.teams import DRIVER_ROLES, People
from sim.columns import floats, ints
from sim.params import STAFF_DRIVERS, TRADES, ModelParams
from sim.rng import Streams
from sim.world.world import World

NOTICE = -2
"""The pseudo-channel of a household noticing an issue at its door (it then decides)."""
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


def pass_detection(base: np.ndarray, n_pass: np.ndarray, exponent: float) -> np.ndarray:
    """The chance that ``n_pass`` passes on one day find an issue each pass would find with
    chance ``base``: 1 − (1 − base)^(n_pass^exponent). Passes over the same stretch on one
    day are not independent (an issue missed once tends to stay missed: it is behind a
    hedge, or the walker looks at the same side), so they count as ``n_pass ** exponent``
    independent ones (``staff.repeat_pass_exponent`` [A]; 1: independent). With an exponent
    below 1 doubling the passes less than doubles the finds."""
    n = np.asarray(n_pass, dtype=float)
    return 1.0 - np.power(1.0 - base, np.power(n, exponent) if exponent != 1.0 else n)


class _Clock:
    """Cumulative intensity multiplier G(t) of a continuous channel (identity unless the
    channel has a service-day boost on the 10th and 20th) and its inverse."""

    def __init__(self, channel, start: _dt.date | None, horizon_h: float):
        self.identity = channel is None or channel.service_day_boost == 1.0 or start is None
        if self.identity:
            return
        n_days = int(horizon_h // 24) + 2
        mult = np.array([channel.boost_on(start + _dt.timedelta(days=d)) for d in range(n_days)])
        self.t = np.arange(n_days + 1) * 24.0
        self.g = np.concatenate(([0.0], np.cumsum(mult * 24.0)))

    def G(self, t: np.ndarray) -> np.ndarray:
        return t if self.identity else np.interp(t, self.t, self.g)

    def G_inv(self, g: np.ndarray) -> np.ndarray:
        return g if self.identity else np.interp(g, self.g, self.t)


class Discovery:
    """The tick machine (see module doc)."""

    def __init__(self, p: ModelParams, world: World, people: People, occ, streams: Streams, start: _dt.date,
                 households=None, blocks=None, grid_boost: np.ndarray | None = None):
        self.p, self.world, self.people, self.occ = p, world, people, occ
        n = occ.n
        chans = p.channels
        self.C = len(chans)
        # one threshold per channel, and two for a household: its first notice and a renewed one
        E = streams["discovery"].exponential(size=(n, self.C + 2))
        self.E = E[:, : self.C]
        self.E_renew = E[:, self.C + 1]
        self.u_spot = streams["on_spot"].random(n)
        types = p.issue_types
        self.vis = np.array([t.visibility for t in types])[occ.type]
        self.dur_spot = np.array([t.dur_on_spot_h for t in types])
        self.p_spot = np.array([t.p_on_spot_fix for t in types])[occ.type] * p.teams.on_spot_factor
        self.trade_bit = (1 << np.array([TRADES.index(t.trade) for t in types]))[occ.type]
        # scalar copies for on_spot_fix, called once per discovered issue (see :mod:`sim.columns`)
        self._spot_cols = (floats(self.u_spot), floats(self.p_spot), ints(self.trade_bit), ints(occ.grid),
                           [bool(ch.can_fix_on_spot) for ch in chans])
        self.instant = next((c for c, ch in enumerate(chans) if ch.enabled and ch.kind == "instant"), None)
        factors = rate_factors(p, world, households)
        self.cont = [c for c, ch in enumerate(chans) if ch.enabled and ch.kind == "poisson"]
        h_of = occ.household
        self.rate = {c: chans[c].rate_per_day / 24.0 * self.vis * factors[chans[c].name][h_of] for c in self.cont}
        self.clock = {c: _Clock(chans[c], start, p.end_h) for c in self.cont}
        # continuous channels as one matrix: rates (n, K) and thresholds, by clock; with
        # households, one more column: the household at the issue noticing it (NOTICE)
        cols = [self.rate[c] for c in self.cont]
        E_cols = [self.E[:, c] for c in self.cont]
        self.clocks = [self.clock[c] for c in self.cont]
        idx = list(self.cont)
        self.households = households
        if households is not None:
            cols.append(p.residents.notice_rate_per_day / 24.0 * self.vis)
            E_cols.append(E[:, self.C])
            self.clocks.append(_Clock(None, None, p.end_h))
            idx.append(NOTICE)
        self.notice_col = len(cols) - 1 if households is not None else -1
        self.R = np.column_stack(cols) if cols else np.zeros((n, 0))
        self.E_cont = np.column_stack(E_cols) if E_cols else np.zeros((n, 0))
        self.cont_idx = np.asarray(idx, dtype=np.int64)
        self.can_fix = np.array([ch.can_fix_on_spot for ch in chans])
        self.staff_channel = np.array([ch.driver in STAFF_DRIVERS for ch in chans] + [False])
        self._staff_arrays()
        # continuous channels (and an instant one): each issue's firing time is known at once
        self.version = np.zeros(n, dtype=np.int64)
        self.found = np.zeros(n, dtype=bool)
        t_occ = occ.t_occurred
        F = self._fire_times(np.arange(n), t_occ, self.E_cont) if self.R.shape[1] else np.full((n, 0), np.inf)
        if self.instant is not None:
            self.t_cont, self.c_cont = t_occ.copy(), np.full(n, self.instant, dtype=np.int64)
        elif self.R.shape[1]:
            k = np.argmin(F, axis=1)
            self.t_cont = F[np.arange(n), k]
            self.c_cont = self.cont_idx[k]
        else:
            self.t_cont, self.c_cont = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        self.F = F
        self.has_rounds = any(ch.enabled and ch.kind == "rounds" for ch in chans)
        self.ticks = self._schedule()
        self.round_count = np.zeros(self.C, dtype=np.int64)
        # the rounds' pending issues (occurred, not yet found) and their accumulated hazard
        self.P = np.zeros(0, dtype=np.int64)
        self.t_occ_sorted = occ.t_occurred[occ.order]
        # hazard accumulated by each round channel, per issue (channel-major: a round reads
        # and writes one row at the pending issues)
        self.A = np.zeros((self.C, occ.n))
        self.next_occ = 0
        self._patch_cols: dict = {}  # see _patch_columns
        self._near_col = None
        self.blocks = blocks  # sim.agents.staff.BlockLog: hours the rounds lost to issue work
        # per grid: × detection chance of staff rounds and × on-the-spot chance (the monthly
        # assessment's effect, owned by sim.lifecycle.assessment; ones when it is off)
        self.grid_boost = grid_boost if grid_boost is not None else np.ones(world.n_grids)

    def release(self) -> None:
        """The run is over: drop the per-issue thresholds, rates, hazards and columns (see
        :meth:`sim.model.GovernanceModel.results`)."""
        self.E = self.E_renew = self.E_cont = self.u_spot = self.A = self.F = self.R = self.rate = None
        self._spot_cols, self._patch_cols = None, {}

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
        """Sorted round ticks ``(t, channel, role)`` (role −1: not a staff round), to the end
        of the drain."""
        p, T = self.p, self.p.end_h
        ticks: list[tuple[float, int, int]] = []
        days = np.arange(int(np.ceil(T / 24.0)) + 1)
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

    # ------------------------------------------------------------------ continuous channels
    def stream(self) -> tuple[np.ndarray, np.ndarray]:
        """Continuous (and instant) discoveries as they stand at the start: times and issue
        ids in time order (a round may find an issue first; a rate change reschedules it)."""
        ok = np.flatnonzero(np.isfinite(self.t_cont))
        order = ok[np.argsort(self.t_cont[ok], kind="stable")]
        return self.t_cont[order], order

    def continuous(self, i: int, version: int) -> int:
        """Issue ``i``'s continuous channel finds it now (returns the channel), unless a
        round found it first or its time was rescheduled (returns −1)."""
        if self.found[i] or version != self.version[i]:
            return -1
        c = int(self.c_cont[i])
        if c != NOTICE:  # a household's noticing is not yet a report: it decides first
            self.found[i] = True
        return c

    def mark_found(self, i: int) -> None:
        """The household that noticed issue ``i`` reports it."""
        self.found[i] = True

    def renew_notice(self, i: int, t: float, rate_per_h: float) -> tuple[float, int, int] | None:
        """The household noticed issue ``i`` at ``t`` and did not report it: it reconsiders
        each time it notices it again, at ``rate_per_h`` (notice rate × chance to report),
        with a fresh threshold. Returns the rescheduled discovery ``(time, issue, version)``."""
        k = self.notice_col
        self.R[i, k] = rate_per_h
        self.F[i, k] = t + self.E_renew[i] / rate_per_h if rate_per_h > 0 else np.inf
        j = int(np.argmin(self.F[i]))
        self.t_cont[i], self.c_cont[i] = self.F[i, j], self.cont_idx[j]
        self.version[i] += 1
        return (float(self.t_cont[i]), i, int(self.version[i])) if np.isfinite(self.t_cont[i]) else None

    def on_spot_fix(self, i: int, channel: int, finder_trades: int | None) -> bool:
        """Does the finder fix issue ``i`` at once? Only channels whose finders may fix, a
        finder with the trade (when it is a team member), with the type's chance × (0.5 +
        training level)."""
        u_spot, p_spot, trade_bit, grid, can_fix = self._spot_cols
        if not can_fix[channel]:
            return False
        if finder_trades is not None and not finder_trades & trade_bit[i]:
            return False
        return bool(u_spot[i] < p_spot[i] * self.grid_boost[grid[i]])

    def update_notice_rates(self, ids: list[int], rates: np.ndarray, t: float) -> list[tuple[float, int, int]]:
        """The households reconsidering issues ``ids`` now notice-and-report at ``rates``
        (per hour; their trust changed at ``t``): what is left of each threshold is spent at
        the new rate. Returns the rescheduled discoveries ``(time, issue, version)``."""
        ids = np.asarray(ids, dtype=np.int64)
        live = ~self.found[ids]
        ids, rates = ids[live], np.asarray(rates)[live]
        if len(ids) == 0:
            return []
        k = self.notice_col
        F, old = self.F[ids, k], self.R[ids, k]
        left = np.where(np.isfinite(F), (F - t) * old, self.E_renew[ids])
        self.R[ids, k] = rates
        self.F[ids, k] = np.where(rates > 0, t + np.maximum(left, 0.0) / np.where(rates > 0, rates, 1.0), np.inf)
        j = np.argmin(self.F[ids], axis=1)
        self.t_cont[ids] = self.F[ids, j]
        self.c_cont[ids] = self.cont_idx[j]
        self.version[ids] += 1
        ok = np.isfinite(self.t_cont[ids])
        return list(zip(self.t_cont[ids][ok].tolist(), ids[ok].tolist(), self.version[ids][ok].tolist()))

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

    # ------------------------------------------------------------------ rounds (ticks)
    def _admit(self, t: float) -> None:
        """Issues that occurred by ``t`` join the pending set of the rounds."""
        order = self.occ.order
        j = self.next_occ
        k = int(np.searchsorted(self.t_occ_sorted, t, side="right"))
        if k > j:
            new = order[j:k]
            self.P = np.concatenate((self.P, new))
            self.next_occ = k

    def tick(self, t: float, channel: int, role: int) -> Found:
        """The round of ``channel`` at ``t`` (−1: none) over the issues not yet found."""
        if channel < 0 or not self.has_rounds:
            return Found.empty()
        self._admit(t)
        keep = ~self.found[self.P]
        if not keep.all():
            self.P = self.P[keep]
        P = self.P
        if len(P) == 0:
            return Found.empty()
        q, who = self._round(channel, role, P, t)
        row = self.A[channel]
        with np.errstate(divide="ignore"):
            a = row[P] - np.log1p(-np.minimum(q, 1.0))
        row[P] = a
        fire = (a >= self.E[P, channel]) & (q > 0)
        self.round_count[channel] += 1
        if not fire.any():
            return Found.empty()
        ids = P[fire]
        self.found[ids] = True
        self.P = P[~fire]
        return self._finish(ids, np.full(len(ids), t), np.full(len(ids), channel), who[fire])

    def _round(self, c: int, role: int, P: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Detection probability of this round for each pending issue, and the finder."""
        p, ch = self.p, self.p.channels[c]
        base = ch.p_detect_per_round * self.vis[P]
        if ch.driver in STAFF_DRIVERS:
            base = base * self.grid_boost[self.occ.grid[P]]
            tp = self.people.patches.get(DRIVER_PATCHES[ch.driver])
            if tp is None:
                return np.zeros(len(P)), np.full(len(P), -1)
            ok0, mm_all, role_all, var_all, len_all, ukm_all = self._patch_columns(ch.driver, tp)
            mm = mm_all[P]  # the patch owner (0 where none: ok is False there)
            ok = ok0[P] & (role_all[P] == role)
            sched = self.people.schedules[self.role_names[role]]
            d = int(t // 24.0) if t % 24.0 > 0 else int(t // 24.0) - 1
            works = sched.works[var_all[P], min(d, sched.works.shape[1] - 1)] if sched.works.shape[1] > 1 else \
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
            length = len_all[P]
            # full passes over the patch, then a partial one starting where yesterday's
            # planned round ended; each pass within sight is one chance to notice
            passes = cover / length
            full = np.floor(passes)
            offset = np.mod(d * block_h * speed, length)
            partial = np.mod(ukm_all[P] - offset, length) < (passes - full) * length
            n_pass = full + partial
            near = self._near()[P]
            q = pass_detection(base, n_pass, p.staff.repeat_pass_exponent)
            return np.where(ok & near, q, 0.0), np.where(ok, mm, -1)
        h = self.occ.household[P]
        if ch.driver == "household_heads":
            ppl = self.people
            if ppl.head_of is None:
                return np.zeros(len(P)), np.full(len(P), -1)
            k = p.teams.head_visits_per_day
            n_blk = ppl.head_block[h]
            r = self.round_count[c]
            visited = (k >= n_blk) | (np.mod(ppl.head_pos[h] - r * k, n_blk) < k)
            return np.where(visited, base, 0.0), ppl.head_of[h]
        return base, np.full(len(P), -1)

    def _patch_columns(self, driver: str, tp) -> tuple:
        """Per issue, what a staff round of ``driver`` reads of its patch owner, made at the
        first round and kept (deriving them for each pending issue at each round took over
        a quarter of the rounds' time): the household has an owner, the owner (0: none), its role,
        day-off variant and patch length, and the household's place along the patch (km)."""
        cols = self._patch_cols.get(driver)
        if cols is None:
            h = self.occ.household
            m = tp.owner_sid[h]
            ok0 = m >= 0
            mm = np.where(ok0, m, 0)
            cols = self._patch_cols[driver] = (ok0, mm, self.role_id[mm].astype(np.int32),
                                               self.variant[mm].astype(np.int32), self.patch_len[mm], tp.u_km[h])
        return cols

    def _near(self) -> np.ndarray:
        """Per issue: its household is within ``staff.detection_distance_km`` of the road."""
        if self._near_col is None:
            self._near_col = self.world.household_offset_km[self.occ.household] <= \
                self.p.staff.detection_distance_km
        return self._near_col

    def _finish(self, ids, t, ch, finder) -> Found:
        """On-the-spot fixes by finders who may fix, and credit to staff and head finders."""
        members, heads = self.people.members, self.people.heads
        staff = self.staff_channel[ch[0]]
        chan = self.p.channels[ch[0]]
        dur = self.dur_spot[self.occ.type[ids]].tolist()
        spot = []  # (the columns as lists: a numpy element read costs ~3x a list's)
        for i, f, c, tk, dk in zip(ids.tolist(), finder.tolist(), ch.tolist(), t.tolist(), dur):
            trades = members[f].trades if (staff and f >= 0) else None
            fix = self.on_spot_fix(i, c, trades)
            spot.append(fix)
            if f >= 0:
                if staff:
                    members[f].found(tk, dk if fix else 0.0, chan.activity)
                elif heads:
                    heads[f].found()
        return Found(ids, t, ch.astype(np.int64), finder.astype(np.int64), np.array(spot, dtype=bool))
