"""Random numbers: named streams, and draws keyed by the identity of what they belong to.

Each named stream is seeded from ``SeedSequence(seed, spawn_key=(replication,
stable_hash(name)))``, so a stream's draws depend only on the seed, the replication and its own
name: adding a payer, a stream or a scenario change leaves every other stream's draws untouched
(common random numbers), and the same seed gives the same numbers on every machine and executor.

Draws that belong to one request, visit or claim are *keyed* instead (``Streams.keyed``): they
are a function of (seed, replication, purpose, the thing's identity) alone, computed by a
counter-based generator (SplitMix64: Steele, Lea and Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014), so a visit that exists in two scenarios gets the same draws in both
however differently the two booked the visits before it. Identities are 64-bit integers made by
``identity`` from a namespace and small integers (a request's service line, day and sequence).
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np


@functools.lru_cache(maxsize=4096)
def stable_hash(name: str) -> int:
    """A 64-bit integer from a stream name, the same in every process (unlike ``hash``);
    cached, as a run hashes the same few namespaces for every identity it makes."""
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

    def keyed(self, purpose: str, keys: np.ndarray | list[int], width: int) -> np.ndarray:
        """Uniform draws in the open interval (0, 1) (never exactly 0, so an inverse CDF never
        returns an infinity): row i holds the ``width`` draws of identity ``keys[i]`` for
        ``purpose``; the same (seed, replication, purpose, key) always gives the same row,
        whatever the other keys. Vectorised: one call per batch (a day's visits), not per key.

        >>> s = Streams(seed=1)
        >>> a = s.keyed("visit", [7, 8], 3)
        >>> bool((s.keyed("visit", [9, 8], 3)[1] == a[1]).all())
        True
        """
        salt = np.uint64(stable_hash(f"{self.seed}/{self.replication}/{purpose}"))
        start = _mix(np.asarray(keys, dtype=np.uint64) ^ salt)
        counters = np.arange(1, width + 1, dtype=np.uint64) * _GOLDEN
        bits = _mix(start[:, None] + counters[None, :])
        return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * _2_53


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_2_53 = 2.0 ** -53
_GOLDEN_INT = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (a bijection of 64-bit integers that scrambles every bit)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def identity(namespace: str, *parts: int) -> int:
    """A 64-bit identity for ``Streams.keyed`` from a namespace (for example ``"request/"`` and
    a service line's name) and non-negative integers (a day, a sequence number; numpy integers
    are accepted). Each step is a bijection of the running key for a given part, so two
    different tuples of parts collide only by chance (probability about 2**-64 a pair).

    >>> identity("request/primary_care", 10, 3) == identity("request/primary_care", 10, 3)
    True
    """
    key = stable_hash(namespace)
    for part in parts:
        key = _mix_int((key + int(part) * _GOLDEN_INT) & _MASK)
    return key


def identities(namespace: str, parts: tuple[int, ...], last: np.ndarray | list[int]
               ) -> np.ndarray:
    """``identity(namespace, *parts, x)`` for each ``x`` of ``last``, vectorised (uint64).

    >>> int(identities("request/a", (10,), [3])[0]) == identity("request/a", 10, 3)
    True
    """
    head = np.uint64(identity(namespace, *parts))
    with np.errstate(over="ignore"):
        return _mix(head + np.asarray(last, dtype=np.uint64) * _GOLDEN)


def _mix_int(z: int) -> int:
    """``_mix`` of one Python integer."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)
