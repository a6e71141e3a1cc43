"""Named random streams: one numpy Generator per source of randomness (and per entity).

Each stream is seeded from ``SeedSequence(seed, spawn_key=(replication, stable_hash(name)))``,
so a stream's draws depend only on the seed, the replication and its own name: adding a payer,
a stream or a scenario change leaves every other stream's draws untouched (common random
numbers), and the same seed gives the same numbers on every machine and executor.
"""

from __future__ import annotations

import hashlib
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

    def buffer(self, name: str, *entity: object, dist: object = None) -> DrawBuffer:
        """A DrawBuffer over ``dist`` (anything with ``sample(rng, n)``; None = uniform [0, 1))
        fed by the stream ``name``/``entity``."""
        sample = uniform_sampler if dist is None else dist.sample  # type: ignore[attr-defined]
        return DrawBuffer(self.get(name, *entity), sample)


class DrawBuffer:
    """Values of one distribution from one stream, drawn in batches and handed out one at a time.

    Calling the buffer returns the next value (a Python float); a refill draws ``chunk`` values
    in one numpy call, so per-event draws cost a list index, not a Generator call.
    """

    __slots__ = ("_chunk", "_i", "_rng", "_sample", "_values")

    def __init__(
        self,
        rng: np.random.Generator,
        sample: Callable[[np.random.Generator, int], np.ndarray],
        chunk: int = 2048,
    ) -> None:
        self._rng = rng
        self._sample = sample
        self._chunk = chunk
        self._values: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i == len(self._values):
            self._values = self._sample(self._rng, self._chunk).tolist()
            self._i = 0
        value = self._values[self._i]
        self._i += 1
        return value


def uniform_sampler(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniform [0, 1) draws, for ``DrawBuffer``."""
    return rng.random(n)
