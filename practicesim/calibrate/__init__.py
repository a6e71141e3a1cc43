"""Calibration from a practice's own data: readers of its exports, fits of the model's
parameters, and a backtest (docs/calibration.md)."""

from practicesim.calibrate.errors import DataError
from practicesim.calibrate.privacy import Pseudonymizer

__all__ = ["DataError", "Pseudonymizer"]
