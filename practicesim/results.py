"""The tables one simulation run produces, and saving them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicesim import metrics
from practicesim.calendar import PracticeCalendar
from practicesim.scenario import Scenario


@dataclass(frozen=True)
class Run:
    """One simulated run: tidy tables, money in integer cents.

    - ``ledger``: one row per transaction (schema in ``practicesim.ledger``).
    - ``claims``: one row per claim, with its path and final status.
    - ``lines``: one row per line (billed code) of each claim: code, units, charge.
    - ``appointments``: one row per booked appointment, with lead time and status.
    - ``visits``: one row per completed visit, with flow times and waits (minutes).
    - ``sessions``: one row per provider-session: busy, idle and overtime minutes.
    - ``daily``: one row per day: volumes, money flows, A/R, costs, cash, backlogs.

    Days are simulation days; ``reporting`` days (after the warm-up) are those the KPIs cover.
    """

    scenario: Scenario
    seed: int
    replication: int
    calendar: PracticeCalendar
    ledger: pd.DataFrame
    claims: pd.DataFrame
    lines: pd.DataFrame
    appointments: pd.DataFrame
    visits: pd.DataFrame
    sessions: pd.DataFrame
    daily: pd.DataFrame

    TABLES = ("ledger", "claims", "lines", "appointments", "visits", "sessions", "daily")

    def kpis(self) -> pd.Series:
        """The revenue-cycle and operations KPIs over the reporting period (see
        ``practicesim.metrics.kpis`` for each definition)."""

        return metrics.kpis(self)


def frame_from_rows(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    """A DataFrame from a list of equal-length tuples, converted column by column (much faster
    than pandas' row-wise conversion for long lists of named tuples)."""
    if not rows:
        return pd.DataFrame({c: [] for c in columns})
    return pd.DataFrame({c: np.array(values) for c, values in
                         zip(columns, zip(*rows, strict=True), strict=True)})
