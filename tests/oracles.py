"""Exact results from queueing and probability theory, used as oracles by the validation tests.

Pure Python / numpy / scipy: nothing here imports ``practicesim``, so a bug in the model cannot
leak into its yardstick.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

# --- M/M/c ----------------------------------------------------------------------------------


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability for ``c`` servers and offered load ``a = lambda / mu``,
    by the stable recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability that an arrival to a stable M/M/c queue waits,
    ``C = B / (1 - (a / c)(1 - B))`` with B the Erlang B probability (requires ``a < c``)."""
    if not 0 <= a < c:
        raise ValueError(f"offered load must be in [0, c) for a stable queue, got {a} with c={c}")
    b = erlang_b(c, a)
    return b / (1.0 - (a / c) * (1.0 - b))


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Stationary mean wait in queue of M/M/c FCFS: ``Wq = C(c, a) / (c mu - lambda)``."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


# --- a session of equally spaced appointments, exponential service, no-shows ---------------------


def slot_queue_distributions(n: int, d: float, mu: float, p: float) -> np.ndarray:
    """Distribution of N_k, the number of patients with the provider or waiting just before
    slot ``k``'s arrival time, for k = 0..n (k = n is the session's end).

    One provider, slots at ``start + k d``; each patient arrives exactly at their slot time with
    probability ``1 - p`` (a no-show otherwise), independently; service is exponential with
    rate ``mu``; FCFS. By memorylessness, between two slot times the provider completes
    services as a Poisson process of rate ``mu`` stopped when the clinic is empty, so with j
    present after an arrival, the number left after ``d`` minutes is ``j - D`` for ``D < j``
    (``D ~ Poisson(mu d)``) and 0 with probability ``P(D >= j)``. Returns an array
    ``P[k, j] = P(N_k = j)`` of shape ``(n + 1, n + 1)``.
    """
    size = n + 1
    lam = mu * d
    pmf = stats.poisson.pmf(np.arange(size), lam)
    at_least = stats.poisson.sf(np.arange(size) - 1, lam)  # P(D >= j)
    # transition after the arrival: T[j, r] = P(r left after d | j present)
    move = np.zeros((size, size))
    for j in range(size):
        move[j, 0] = at_least[j]
        for r in range(1, j + 1):
            move[j, r] = pmf[j - r]
    out = np.zeros((size, size))
    out[0, 0] = 1.0
    for k in range(n):
        before = out[k]
        after = p * before
        after[1:] += (1 - p) * before[:-1]
        out[k + 1] = after @ move
    return out


def slot_mean_waits(n: int, d: float, mu: float, p: float) -> np.ndarray:
    """E[wait for the provider | the slot-k patient shows], k = 0..n-1: ``E[N_k] / mu``.

    A patient who finds j in the system waits for the residual service of the one being seen
    (exponential, mean 1/mu, by memorylessness) and the j - 1 services ahead: j / mu. Whether
    slot k's patient shows is independent of N_k (which depends on earlier slots only).
    """
    dist = slot_queue_distributions(n, d, mu, p)
    return dist[:n] @ np.arange(n + 1) / mu


def slot_mean_overtime(n: int, d: float, mu: float, p: float) -> float:
    """Expected minutes past the session's end until the provider finishes: the N_n patients
    still present at the end each need an exponential service, so ``E[N_n] / mu``."""
    dist = slot_queue_distributions(n, d, mu, p)
    return float(dist[n] @ np.arange(n + 1) / mu)


# --- payer lags ----------------------------------------------------------------------------------


def lognormal_from_median_p90(median: float, p90: float) -> stats.rv_continuous:
    """The lognormal with this median and 90th percentile (sigma = ln(p90 / median) / z_0.9)."""
    sigma = math.log(p90 / median) / stats.norm.ppf(0.9)
    return stats.lognorm(s=sigma, scale=median)


def floored_lag_pmf(dist: stats.rv_continuous, floor: int, k: int) -> float:
    """P(max(floor, ceil(L)) = k) for a continuous lag L >= 0."""
    if k < floor:
        return 0.0
    if k == floor:
        return float(dist.cdf(floor))
    return float(dist.cdf(k) - dist.cdf(k - 1))


def floored_lag_mean(dist: stats.rv_continuous, floor: int, tol: float = 1e-12) -> float:
    """E[max(floor, ceil(L))] = floor + sum_{k >= floor} P(L > k)."""
    total, k = float(floor), floor
    while True:
        tail = float(dist.sf(k))
        total += tail
        k += 1
        if tail < tol:
            return total


# --- statistics -----------------------------------------------------------------------------------


def ratio_estimate(sums: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """Mean per item over batches (e.g. days), ``sum(sums) / sum(counts)``, and its standard
    error by the ratio-estimator (delta-method) formula over the batches, which treats the
    batches as independent and allows for correlation within each."""
    sums = np.asarray(sums, dtype=float)
    counts = np.asarray(counts, dtype=float)
    n = len(sums)
    estimate = sums.sum() / counts.sum()
    residual = sums - estimate * counts
    se = math.sqrt((residual**2).sum() / (n * (n - 1))) / counts.mean()
    return float(estimate), se
