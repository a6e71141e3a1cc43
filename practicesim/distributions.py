"""Probability distributions written as data, and the samplers built from them.

A scenario writes a duration or a lag as a small mapping, for example
``{dist: lognormal, median: 16, p90: 30}``; a bare number means a fixed value. Each model here
validates its parameters; ``sample(rng, n)`` draws ``n`` values as a numpy array in one call
(batched draws, never one Python call per value), and ``quantile(u)`` turns one of a claim's
own uniforms into a value (inverse CDF).

Units are whatever the field says (minutes for visit stages, days for lags).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special

Z90 = 1.2815515655446004
"""The standard normal 90th percentile: a lognormal's p90 is ``median * exp(sigma * Z90)``."""


def _elementwise(f: Callable[[float], float], x: np.ndarray) -> np.ndarray:
    """``f`` (a ``math`` function) of each element of ``x``, as an array of x's shape."""
    x = np.asarray(x, dtype=float)
    return np.fromiter(map(f, x.ravel().tolist()), float, x.size).reshape(x.shape)


def poisson_quantile(u: float, mean: float) -> int:
    """The smallest ``n`` with ``P(N <= n) >= u`` for ``N ~ Poisson(mean)`` (inverse CDF, as
    ``scipy.stats.poisson.ppf`` computes it, without its per-call overhead); 0 when ``mean`` is
    0. A larger mean never gives a smaller ``n`` for the same ``u``."""
    if mean <= 0.0:
        return 0
    n = max(math.ceil(float(special.pdtrik(u, mean))), 0)
    return n - 1 if n > 0 and float(special.pdtr(n - 1, mean)) >= u else n


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values (float64 array)."""
        raise NotImplementedError

    def quantile(self, u: float) -> float:
        """The value at probability ``u`` (inverse CDF), for draws from a claim's own
        uniforms."""
        raise NotImplementedError

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        """``quantile`` of each of an array of uniforms (keyed draws of a day's visits or
        claims), equal bit for bit to ``quantile`` of each: exponentials and logarithms go
        through ``math`` (the C library), never numpy's SIMD loops, whose last bit differs
        between CPUs with and without AVX-512."""
        raise NotImplementedError

    @property
    def mean(self) -> float:
        """The distribution's mean, in the field's unit."""
        raise NotImplementedError

    def cdf(self, x: float) -> float:
        """P(value <= x)."""
        raise NotImplementedError

    def residual(self, age: float, u: float) -> float:
        """A value drawn with uniform ``u`` given that it exceeds ``age`` (inverse CDF of the
        conditional distribution): e.g. the payer lag of a claim already ``age`` days at the
        payer. Never below ``age``."""
        p = self.cdf(age)
        return max(age, self.quantile(min(p + u * (1.0 - p), 1.0 - 1e-12)))


class Fixed(_Dist):
    """Always ``value``."""

    dist: Literal["fixed"] = "fixed"
    value: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=float)

    def quantile(self, u: float) -> float:
        return self.value

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)

    def cdf(self, x: float) -> float:
        return 1.0 if x >= self.value else 0.0

    @property
    def mean(self) -> float:
        return self.value


class Exponential(_Dist):
    """Exponential with the given ``mean`` (> 0)."""

    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_, n)

    def quantile(self, u: float) -> float:
        return -self.mean_ * math.log1p(-u)

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_ * _elementwise(math.log1p, -np.asarray(u, dtype=float))

    def cdf(self, x: float) -> float:
        return -math.expm1(-x / self.mean_) if x > 0 else 0.0

    @property
    def mean(self) -> float:
        return self.mean_


class Lognormal(_Dist):
    """Lognormal given by its ``median`` and 90th percentile ``p90`` (p90 > median > 0).

    ``sigma = ln(p90 / median) / z90``; mean ``= median * exp(sigma**2 / 2)``.
    """

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    p90: float = Field(gt=0)

    @model_validator(mode="after")
    def _p90_above_median(self) -> Lognormal:
        if self.p90 <= self.median:
            raise ValueError(f"p90 must be > median ({self.median}), got {self.p90}")
        return self

    @property
    def sigma(self) -> float:
        return math.log(self.p90 / self.median) / Z90

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, n)

    def quantile(self, u: float) -> float:
        return self.median * math.exp(self.sigma * float(special.ndtri(u)))

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return self.median * _elementwise(math.exp, self.sigma * special.ndtri(u))

    def cdf(self, x: float) -> float:
        if x <= 0:
            return 0.0
        return float(special.ndtr(math.log(x / self.median) / self.sigma))

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


class Gamma(_Dist):
    """Gamma given by its ``mean`` and coefficient of variation ``cv`` (shape ``1/cv**2``)."""

    dist: Literal["gamma"]
    mean_: float = Field(alias="mean", gt=0)
    cv: float = Field(gt=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, n)

    def quantile(self, u: float) -> float:
        shape = 1.0 / self.cv**2
        return float(special.gammaincinv(shape, u)) * self.mean_ / shape

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return special.gammaincinv(shape, u) * self.mean_ / shape

    def cdf(self, x: float) -> float:
        shape = 1.0 / self.cv**2
        return float(special.gammainc(shape, x * shape / self.mean_)) if x > 0 else 0.0

    @property
    def mean(self) -> float:
        return self.mean_


class Normal(_Dist):
    """Normal with ``mean`` and standard deviation ``sd`` (>= 0), e.g. arrival punctuality."""

    dist: Literal["normal"]
    mean_: float = Field(alias="mean")
    sd: float = Field(ge=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean_, self.sd, n)

    def quantile(self, u: float) -> float:
        return self.mean_ + self.sd * float(special.ndtri(u))

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return self.mean_ + self.sd * special.ndtri(u)

    def cdf(self, x: float) -> float:
        if self.sd == 0:
            return 1.0 if x >= self.mean_ else 0.0
        return float(special.ndtr((x - self.mean_) / self.sd))

    @property
    def mean(self) -> float:
        return self.mean_


class Uniform(_Dist):
    """Uniform on ``[low, high)``."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high <= self.low:
            raise ValueError(f"high must be > low ({self.low}), got {self.high}")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def quantile(self, u: float) -> float:
        return self.low + u * (self.high - self.low)

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return self.low + np.asarray(u, dtype=float) * (self.high - self.low)

    def cdf(self, x: float) -> float:
        return min(1.0, max(0.0, (x - self.low) / (self.high - self.low)))

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class Empirical(_Dist):
    """Draws from a list of observed ``values``, with optional ``weights`` (same length)."""

    dist: Literal["empirical"]
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights must have {len(self.values)} entries like values, "
                    f"got {len(self.weights)}"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 with a positive sum")
        return self

    def _p(self) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self._p())

    def _sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """Values in increasing order and their probabilities."""
        v = np.asarray(self.values, dtype=float)
        p = self._p()
        weights = np.full(len(v), 1 / len(v)) if p is None else p
        order = np.argsort(v, kind="stable")
        return v[order], weights[order]

    def quantile(self, u: float) -> float:
        values, weights = self._sorted()
        index = int(np.searchsorted(np.cumsum(weights), u, side="right"))
        return float(values[min(index, len(values) - 1)])

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        values, weights = self._sorted()
        index = np.searchsorted(np.cumsum(weights), u, side="right")
        return values[np.minimum(index, len(values) - 1)]

    def cdf(self, x: float) -> float:
        values, weights = self._sorted()
        return float(min(1.0, weights[values <= x].sum()))

    @property
    def mean(self) -> float:
        p = self._p()
        v = np.asarray(self.values, dtype=float)
        return float(v.mean() if p is None else v @ p)


DistModel = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Normal | Uniform | Empirical,
    Field(discriminator="dist"),
]


def as_dist(value: object) -> object:
    """Let a bare number stand for ``{dist: fixed, value: number}``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value
