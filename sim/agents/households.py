"""Households and party members who act: noticing, deciding, reporting, rating, talking.

The district's households act as one collective, :class:`Households`: it owns their state
(one row per household at its place on the map; residents stay columns of the world) and
the behaviour that changes it, so that the whole district decides and updates vectorised
and nobody else edits a household's fields. (They are not one Mesa agent each: such agents
held no state or behaviour of their own and cost a Chongming build ~270,000 objects.)

- *noticing and deciding*: the household where an issue is notices it; it reports it with
  a probability that rises with its trust in the grid and falls with its share of older
  members; if it does not, it reconsiders each time it notices the issue again;
- *choosing a route*: the app, the service point, 12345, its household head, or a party
  member it knows, by a logit over utilities (see :class:`sim.params.ResidentParams`):
  trust favours the grid's own routes, distrust sends households to 12345 (bypassing the
  grid), walking distance weighs on the service point, a star family nearby favours the
  party route;
- *rating and remembering*: when an issue it reported is closed, the household rates it
  (satisfied, basically satisfied, dissatisfied) by timeliness, rework and whether the
  feedback reached it; its trust moves towards the rating (memory), and its neighbours'
  trust a little (word of mouth), once a day.

Party members are residents (``world.resident_party``) with roles: they notice and report
issues around them (the ``party_members`` channel, one rate per party member among a
household's neighbours), they are told of issues by neighbours (the party route; star
families, 星级家庭, draw more of them), and most volunteers are drawn from them.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math

import numpy as np

from sim.columns import floats
from sim.params import ModelParams
from sim.world.world import World

GRID_ROUTES = ("app_users", "service_point", "household_heads", "party_members")


def p_positive(rp, ratio: float, reworked: bool, repeated: bool, unresolved: bool, feedback: bool) -> float:
    """The chance that a reporter rates a closure positively (satisfied or basically):
    falling with ``ratio`` (its wait for the fix over the time limit) from
    ``p_positive_fast`` towards ``p_positive_unsolved`` (half way at
    ``satisfaction_half_ratio``), ``p_positive_unsolved`` for an unresolved case, lowered by
    a sham fix (reworked), a report it had to repeat and missing feedback (parameters:
    :class:`sim.params.ResidentParams`)."""
    lo = rp.p_positive_unsolved
    if unresolved:
        pos = lo
    else:
        x = max(ratio, 0.0) / rp.satisfaction_half_ratio
        pos = lo + (rp.p_positive_fast - lo) / (1.0 + x ** rp.satisfaction_steepness)
    if reworked:
        pos *= 1.0 - rp.rework_penalty
    if repeated:
        pos *= 1.0 - rp.repeat_penalty
    if not feedback:
        pos *= 1.0 - rp.no_feedback_penalty
    return pos


def _window_sum(values: np.ndarray, order: np.ndarray, grid_first: np.ndarray, grid_of_pos: np.ndarray,
                half: int) -> np.ndarray:
    """For each household, the sum of ``values`` over the households within ``half``
    places of it along its grid's route (itself included)."""
    v = values[order].astype(float)
    c = np.concatenate(([0.0], np.cumsum(v)))
    k = np.arange(len(order))
    lo = np.maximum(k - half, grid_first[grid_of_pos])
    hi = np.minimum(k + half + 1, grid_first[grid_of_pos + 1])
    out = np.empty(len(order))
    out[order] = c[hi] - c[lo]
    return out


@functools.lru_cache(maxsize=4096)
def _day_date(start: _dt.date, day: int) -> _dt.date:
    """The date ``day`` days after ``start``."""
    return start + _dt.timedelta(days=day)


class Households:
    """The district's households: their state and behaviour (see module doc)."""

    def __init__(self, p: ModelParams, world: World, people, occ, trust_rng: np.random.Generator,
                 draw_rng: np.random.Generator, start: _dt.date):
        self.p, self.rp, self.world, self.occ = p, p.residents, world, occ
        self.start = start
        rp = self.rp
        n_h = world.n_households
        rh = world.resident_household
        self.size = world.household_size.astype(np.int64)
        self.aged = np.bincount(rh, weights=world.resident_age60plus, minlength=n_h).astype(np.int64)
        self.party = np.bincount(rh, weights=world.resident_party, minlength=n_h).astype(np.int64)
        self.app = np.bincount(rh, weights=world.resident_app_user, minlength=n_h).astype(np.int64)
        m, sd = min(max(rp.trust_mean, 1e-6), 1 - 1e-6), max(rp.trust_sd, 1e-9)
        k = max(m * (1 - m) / sd ** 2 - 1.0, 1e-3)  # Beta with the given mean and sd (as near as it allows)
        self.trust = np.clip(trust_rng.beta(m * k, (1 - m) * k, n_h), 1e-6, 1 - 1e-6)
        self.trust_start = self.trust.copy()
        # neighbours along the grid's route (word of mouth, party members, star families)
        r = world.routes
        order = r.order
        g_pos = world.household_grid[order]
        self.order, self.grid_first = order, r.grid_first
        self.pos = np.empty(n_h, dtype=np.int64)
        self.pos[order] = np.arange(n_h)
        half = max(1, rp.neighbourhood // 2)
        self.half = half
        has_party = self.party > 0
        self.star = has_party & (draw_rng.random(n_h) < rp.star_family_share)
        self.party_near = _window_sum(self.party, order, r.grid_first, g_pos, half)
        self.star_near = _window_sum(self.star, order, r.grid_first, g_pos, half) > 0
        # a marked party family nearby (星级家庭, 四亮一挂) sets an example: more trust to start with
        self.trust = np.clip(self.trust + rp.star_trust_bonus * self.star_near, 1e-6, 1 - 1e-6)
        self.trust_start = self.trust.copy()
        self.report_shift = rp.report_intercept + rp.star_report_bonus * self.star_near
        from sim.agents.residents import walk_minutes_to_service_point

        self.walk_min = walk_minutes_to_service_point(p, world)
        self.head = people.head_of if people.head_of is not None else np.full(n_h, -1)
        self.old_share = np.divide(self.aged, np.maximum(self.size, 1))
        # the resident routes (channels of kind "resident")
        self.routes = [(c, ch) for c, ch in enumerate(p.channels) if ch.enabled and ch.kind == "resident"]
        # per-issue draws (common random numbers): decision, route (Gumbel), feedback, rating
        n = occ.n
        R = len(self.routes)
        u = draw_rng.random((n, 3 + R))
        self.u_decide, self.u_feedback, self.u_rating = floats(u[:, 0]), floats(u[:, 1]), floats(u[:, 2])
        # one row per issue, read once when its household reports: kept as an array (a list of
        # lists held ~28 MB more for a Chongming year), the row made a list when read
        self.gumbel = -np.log(-np.log(np.clip(u[:, 3:], 1e-12, 1 - 1e-12)))
        # counters
        self.noticed = np.zeros(n_h, dtype=np.int64)
        self.reports = np.zeros(n_h, dtype=np.int64)
        self.ratings = np.zeros((n_h, 3), dtype=np.int64)
        self.issue_noticed = np.zeros(n, dtype=bool)
        self.n_main = occ.n_main  # issues of the horizon: the drain's background issues move trust, not the counters
        self.pending_ratings: list[tuple[int, float]] = []
        self.reconsidering: dict[int, set] = {}

    def release(self) -> None:
        """The run is over: drop the per-issue draws (see :meth:`sim.model.GovernanceModel.results`)."""
        self.u_decide = self.u_feedback = self.u_rating = self.gumbel = None

    # ------------------------------------------------------------------ deciding
    def p_report(self, h: int) -> float:
        """Chance that household ``h`` reports an issue it notices now."""
        rp = self.rp
        x = self.report_shift[h] + rp.report_trust_slope * (self.trust[h] - 0.5) + rp.report_elderly_slope * \
            self.old_share[h]
        return 1.0 / (1.0 + math.exp(-min(max(x, -700.0), 700.0)))

    def p_report_v(self, hs: np.ndarray) -> np.ndarray:
        rp = self.rp
        x = self.report_shift[hs] + rp.report_trust_slope * (self.trust[hs] - 0.5) + rp.report_elderly_slope * \
            self.old_share[hs]
        return 1.0 / (1.0 + np.exp(-np.clip(x, -700.0, 700.0)))

    def notices(self, i: int, t: float) -> bool:
        """The household at issue ``i`` notices it (first time): does it report now?"""
        h = int(self.occ.household[i])
        if not self.issue_noticed[i]:
            self.issue_noticed[i] = True
            if i < self.n_main:
                self.noticed[h] += 1
            if self.u_decide[i] < self.p_report(h):
                return True
            self.reconsidering.setdefault(h, set()).add(i)
            return False
        return True  # noticed again and this time reports (the reconsider clock)

    def reported(self, i: int, t: float) -> None:
        h = int(self.occ.household[i])
        s = self.reconsidering.get(h)
        if s is not None:
            s.discard(i)
        if i >= self.n_main:
            return
        self.reports[h] += 1

    def route(self, i: int, t: float) -> int:
        """The channel by which household ``i``'s household reports it: the highest
        utility + Gumbel draw among the routes open to it."""
        h = int(self.occ.household[i])
        rp = self.rp
        tr = float(self.trust[h])
        g = self.gumbel[i].tolist()
        best, best_u = -1, -math.inf
        day = int(t // 24.0)
        if 1e-6 < t - 24.0 * day < 24.0 - 1e-6:  # well inside the day: its date, kept (a timedelta
            date = _day_date(self.start, day)     # per report was a third of this method)
        else:  # at a day's edge timedelta's rounding to microseconds decides
            date = self.start + _dt.timedelta(hours=t)
        for k, (c, ch) in enumerate(self.routes):
            d = ch.driver
            u = ch.utility + g[k]
            if d in GRID_ROUTES:
                u += rp.route_trust_slope * tr
            if d == "app_users":
                if self.app[h] == 0:
                    continue
            elif d == "service_point":
                u += rp.walk_slope_per_10min * self.walk_min[h] / 10.0
                boost = ch.boost_on(date)
                if boost > 0:
                    u += math.log(boost)
            elif d == "hotline":
                u += rp.hotline_distrust_slope * (1.0 - tr)
            elif d == "household_heads":
                if self.head[h] < 0:
                    continue
            elif d == "party_members":
                if self.party_near[h] <= 0:
                    continue
                if self.star_near[h]:
                    u += rp.star_bonus
            if u > best_u:
                best, best_u = c, u
        return best

    def reconsider_rates(self, ids: np.ndarray, vis: np.ndarray) -> np.ndarray:
        """Per-hour rate at which the households of ``ids`` notice again and report."""
        hs = self.occ.household[ids]
        return self.rp.notice_rate_per_day / 24.0 * vis * self.p_report_v(hs)

    # ------------------------------------------------------------------ rating and trust
    def rate(self, i: int, ratio: float, reworked: bool, repeated: bool, unresolved: bool, channel: int) -> int:
        """The reporter rates the closure of issue ``i`` (``ratio``: its wait for the fix over
        the time limit; see :func:`p_positive`): 0 satisfied, 1 basically satisfied, 2
        dissatisfied (its trust moves at the next daily update)."""
        rp = self.rp
        h = int(self.occ.household[i])
        ch = self.p.channels[channel]
        feedback = self.head[h] >= 0 or self.u_feedback[i] < ch.p_feedback
        pos = p_positive(rp, ratio, reworked, repeated, unresolved, feedback)
        sat = pos * (rp.satisfied_share_on_time if ratio <= 1.0 else rp.satisfied_share_late)
        u = self.u_rating[i]
        r = 0 if u < sat else (1 if u < pos else 2)
        if i < self.n_main:
            self.ratings[h, r] += 1
        score = (1.0, rp.basically_score, 0.0)[r]
        self.pending_ratings.append((h, score))
        return r

    def update_trust(self) -> np.ndarray:
        """Apply the day's ratings: each rater's trust moves ``trust_memory`` of the way to
        its score (memory), then the ``neighbourhood`` households around it along the grid
        ``word_of_mouth`` of the way (word of mouth). Returns the households whose trust
        changed."""
        if not self.pending_ratings:
            return np.zeros(0, dtype=np.int64)
        rp = self.rp
        hs = np.array([h for h, _ in self.pending_ratings], dtype=np.int64)
        sc = np.array([s for _, s in self.pending_ratings])
        self.pending_ratings = []
        trust, memory = self.trust, rp.trust_memory
        for h, s in zip(hs.tolist(), sc.tolist()):  # in order: a household may rate twice in a day
            tr = float(trust[h])
            trust[h] = tr + memory * (s - tr)
        changed = [hs]
        if rp.word_of_mouth > 0:
            pos = self.pos[hs]
            g = self.world.household_grid[hs]
            lo = np.maximum(pos - self.half, self.grid_first[g])
            hi = np.minimum(pos + self.half + 1, self.grid_first[g + 1])
            for p0, p1, me, s in zip(lo.tolist(), hi.tolist(), hs.tolist(), sc.tolist()):
                nb = self.order[p0:p1]
                nb = nb[nb != me]
                self.trust[nb] += rp.word_of_mouth * (s - self.trust[nb])
                changed.append(nb)
        out = np.unique(np.concatenate(changed))
        # only these moved (the rest stay within bounds): clipping all households each day
        # was about a quarter of this method
        self.trust[out] = np.clip(self.trust[out], 1e-6, 1 - 1e-6)
        return out

    def waiting_issues(self, hs: np.ndarray) -> list[int]:
        """Issues the households ``hs`` noticed and are still reconsidering."""
        out = []
        for h in hs.tolist():
            s = self.reconsidering.get(h)
            if s:
                out.extend(s)
        return out

    # ------------------------------------------------------------------ records
    def table(self) -> dict[str, np.ndarray]:
        w = self.world
        g = w.household_grid
        v = w.grid_village[g]
        xy = w.household_xy
        return {
            "household_id": np.arange(w.n_households), "town": w.village_town[v], "village": v, "grid": g,
            "x_km": xy[:, 0] if xy is not None else np.full(w.n_households, np.nan),
            "y_km": xy[:, 1] if xy is not None else np.full(w.n_households, np.nan),
            "size": self.size, "aged_60plus": self.aged, "party_members": self.party,
            "star_family": self.star, "trust_start": self.trust_start, "trust_end": self.trust.copy(),
            "issues_noticed": self.noticed, "reports": self.reports,
            "satisfied": self.ratings[:, 0], "basically_satisfied": self.ratings[:, 1],
            "dissatisfied": self.ratings[:, 2],
        }
