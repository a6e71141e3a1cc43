"""Named random streams: one numpy Generator per source of randomness (and per entity).

Each stream is seeded from ``SeedSequence(seed, spawn_key=(replication, stable_hash(name)))``,
so a stream's draws depend only on the seed, the replication and its own name: adding a payer,
a stream or a scenario change leaves every other stream's draws untouched (common random
numbers), and the same seed gives the same numbers on every machine and executor.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable

import numpy as np


def stable_hash(name: str) -> int:
    """A 64-bit integer from a stream name, the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class Streams:
    """Hands out one Generator per name; the same name always returns the same Generator.

    >>> s = Streams(seed=1, replication=0)
    >>> a = s.get("payer_lag", "medicare").random()
    >>> Streams(seed=1, replication=0).get("payer_lag", "medicare").random() == a
    True
    """

    def __init__(self, seed: int, replication: int = 0) -> None:
        if seed < 0 or replication < 0:
            raise ValueError(f"seed and replication must be >= 0, got {seed}, {replication}")
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def get(self, name: str, *entity: object) -> np.random.Generator:
        """The Generator for ``name`` (and an entity such as a payer or provider name)."""
        key = "/".join([name, *map(str, entity)])
        rng = self._cache.get(key)
        if rng is None:
            seq = np.random.SeedSequence(
                self.seed, spawn_key=(self.replication, stable_hash(key))
            )
            rng = self._cache[key] = np.random.Generator(np.random.PCG64(seq))
        return rng

    def buffer(self, name: str, *entity: object, dist: object = None,
               minimum: float | None = None) -> Callable[[], float]:
        """A function returning the next value of ``dist`` (anything with ``sample(rng, n)``;
        None = uniform [0, 1)) drawn from the stream ``name``/``entity``, raised to
        ``minimum`` when given (durations are never negative).

        Values are drawn ``chunk`` at a time in one numpy call and handed out one by one, so a
        per-event draw costs an iterator step, not a Generator call.
        """
        sample = uniform_sampler if dist is None else dist.sample  # type: ignore[attr-defined]
        if minimum is not None:
            raw = sample

            def sample(rng: np.random.Generator, n: int) -> np.ndarray:
                return np.maximum(raw(rng, n), minimum)

        return draw_buffer(self.get(name, *entity), sample)


def draw_buffer(rng: np.random.Generator,
                sample: Callable[[np.random.Generator, int], np.ndarray],
                chunk: int = 2048) -> Callable[[], float]:
    """Endless values of ``sample`` from ``rng``, drawn in batches of ``chunk``."""
    batches = iter(lambda: sample(rng, chunk).tolist(), None)
    return itertools.chain.from_iterable(batches).__next__


def uniform_sampler(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniform [0, 1) draws, for ``draw_buffer``."""
    return rng.random(n)
