"""Calibration from a practice's own data: readers of its exports and fits of the model's
parameters (docs/calibration.md). The backtest, which also simulates, is
``practicesim.backtest``."""

from practicesim.calibrate.appointments import read_appointments
from practicesim.calibrate.errors import DataError
from practicesim.calibrate.noshow import NoShowModel, fit_noshow
from practicesim.calibrate.privacy import Pseudonymizer
from practicesim.calibrate.remittance import Remittances, read_835
from practicesim.calibrate.synthea import SyntheaData, read_synthea
from practicesim.calibrate.transactions import read_transactions

__all__ = ["DataError", "NoShowModel", "Pseudonymizer", "Remittances", "SyntheaData",
           "fit_noshow", "read_835", "read_appointments", "read_synthea", "read_transactions"]
