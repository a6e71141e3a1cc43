"""Pseudonymization of patient and appointment identifiers on read.

Identifiers are replaced by a keyed hash (HMAC-SHA-256 with a random key made for the process
and never written anywhere), kept as a 63-bit integer: the same identifier read twice in one
calibration gets the same pseudonym, so a patient's history can be followed, but nothing that
leaves the process can be traced back to the identifier, even by someone holding the input.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import numpy as np
import pandas as pd


class Pseudonymizer:
    """Maps identifiers to pseudonyms with a key that lives only in this object."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def one(self, identifier: object) -> int:
        """The pseudonym of one identifier (a non-negative 63-bit integer)."""
        digest = hmac.new(self._key, str(identifier).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    def column(self, values: pd.Series) -> pd.Series:
        """Pseudonyms of a column (missing values stay missing as -1)."""
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
        mapped = np.array([self.one(u) for u in uniques] + [-1], dtype=np.int64)
        return pd.Series(mapped[codes], index=values.index, dtype="int64")

    def __repr__(self) -> str:
        return "Pseudonymizer(key=<hidden>)"

    def __reduce__(self) -> tuple:
        raise TypeError("a Pseudonymizer's key never leaves the process: it cannot be pickled")


SESSION = Pseudonymizer()
"""The process's pseudonymizer: readers use it unless given another."""
