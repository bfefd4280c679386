"""Exact queueing results the validation scenarios are checked against.

All rates per hour, all times in hours.
- Erlang C (M/M/c): probability of waiting and mean wait in queue.
- Pollaczek–Khinchine (M/G/1): mean wait from the service time's mean and cv.
- Jackson product form for the two-station grid → town network.
"""

from __future__ import annotations

import math

from dataclasses import dataclass



@dataclass(frozen=True)
class QueueMeans:
    """Mean wait in queue ``wq_h`` and mean time in system ``w_h``."""

    wq_h: float
    w_h: float


def erlang_c(lam: float, mu: float, c: int) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    Computed as P(wait) = B / (1 - rho (1 - B)) from the Erlang B loss probability,
    which scipy gives stably as a Poisson ratio: B = pmf(c; a) / cdf(c; a), a = lam/mu, with
    the special functions ``scipy.stats.poisson`` itself uses (pmf = exp(c log a − ln c! −
    a), cdf = ``pdtr``): importing ``scipy.stats`` costs ~0.4-0.8 s per validation run.
    """
    from scipy import special

    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise ValueError("unstable queue")
    b = math.exp(special.xlogy(c, a) - special.gammaln(c + 1) - a) / special.pdtr(c, a)
    return float(b / (1.0 - rho * (1.0 - b)))


def mmc_means(lam: float, mu: float, c: int) -> QueueMeans:
    """Mean wait and sojourn in an M/M/c queue."""
    wq = erlang_c(lam, mu, c) / (c * mu - lam)
    return QueueMeans(wq, wq + 1.0 / mu)


def mg1_means(lam: float, mean_s: float, cv_s: float) -> QueueMeans:
    """Pollaczek–Khinchine: Wq = lam E[S^2] / (2 (1 - rho)), E[S^2] = mean^2 (1 + cv^2)."""
    rho = lam * mean_s
    if rho >= 1:
        raise ValueError("unstable queue")
    wq = lam * mean_s**2 * (1.0 + cv_s**2) / (2.0 * (1.0 - rho))
    return QueueMeans(wq, wq + mean_s)


def jackson_means(lam: float, mu1: float, c1: int, p: float, mu2: float, c2: int) -> QueueMeans:
    """Grid station (all arrivals) then, with probability p, a town station.

    Product form: each station is an independent M/M/c with its own arrival rate
    (lam and p·lam). ``wq_h`` is the wait at the first station; ``w_h`` the mean total
    time in the network, W1 + p W2.
    """
    s1 = mmc_means(lam, mu1, c1)
    w = s1.w_h
    if p > 0:
        w += p * mmc_means(lam * p, mu2, c2).w_h
    return QueueMeans(s1.wq_h, w)
