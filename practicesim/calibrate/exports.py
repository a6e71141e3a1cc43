"""A simulated run written as a practice's exports, in the formats the readers take, so that a
round trip (simulate, export, calibrate, compare) is possible and a user can see what the readers
expect. ``calibration/practicesim_appointments_mapping.yaml`` and
``calibration/practicesim_transactions_mapping.yaml`` map the appointment and ledger exports.

The identifiers written are the simulation's own (synthetic patients), never a real practice's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from practicesim.files import atomic_path
from practicesim.results import Run

BOOKING_MINUTES = 9 * 60
"""Bookings are written at 09:00 of their day (the model books by day, not by hour)."""


def appointments_export(run: Run) -> pd.DataFrame:
    """The run's appointments (scheduled ones beyond its end left out) as a practice
    management system would list them: ids, provider, visit type, payer, booking and
    appointment times, status, reminder, and the check-in, start and end times of kept ones.
    A patient who left unseen is listed as a no-show (the statuses a practice-management export
    has: ``calibrate.appointments.STATUSES``)."""
    a = run.appointments[run.appointments["status"] != "scheduled"]
    dates = run.calendar.dates(a["day"].to_numpy())
    booked = run.calendar.dates(a["request_day"].to_numpy())
    visits = run.visits[run.visits["appointment"] >= 0].set_index("appointment")
    seen = visits.reindex(a["appointment"].to_numpy())

    def at(minutes: pd.Series) -> np.ndarray:
        offset = pd.to_timedelta(np.asarray(minutes, dtype=float), unit="min")
        return (dates + offset).dt.floor("s").to_numpy()

    return pd.DataFrame({
        "appointment_id": a["appointment"].to_numpy(),
        "patient_id": a["patient"].to_numpy(),
        "provider": a["provider"].astype(str).to_numpy(),
        "visit_type": a["visit_type"].astype(str).to_numpy(),
        "payer": a["payer"].astype(str).to_numpy(),
        "booked_at": (booked + pd.Timedelta(minutes=BOOKING_MINUTES)).to_numpy(),
        "appointment_at": at(a["time_minutes"]),
        "status": a["status"].astype(str).replace({"left_unseen": "no_show"}).to_numpy(),
        "reminder_sent": np.where(a["reminded"].to_numpy(), "yes", "no"),
        "checked_in_at": at(seen["arrival_minutes"]),
        "started_at": at(seen["provider_start_minutes"]),
        "ended_at": at(seen["provider_end_minutes"]),
    })


def ledger_export(run: Run) -> pd.DataFrame:
    """The run's ledger as a practice management system's transaction report: one row per
    transaction with claim and patient ids, payer, date of service, posting date, type (the
    ledger kind), amount in dollars and the adjustment reason codes."""
    ledger = run.ledger
    return pd.DataFrame({
        "claim_id": ledger["claim"].to_numpy(),
        "patient_id": ledger["patient"].to_numpy(),
        "payer": ledger["payer"].astype(str).to_numpy(),
        "service_date": run.calendar.dates(ledger["service_day"].to_numpy()).dt.date.to_numpy(),
        "posted_date": ledger["date"].dt.date.to_numpy(),
        "type": ledger["kind"].astype(str).to_numpy(),
        "amount": [f"{c // 100}.{c % 100:02d}" for c in ledger["amount_cents"].tolist()],
        "adjustment_group": ledger["carc_group"].astype(str).to_numpy(),
        "adjustment_reason": ledger["carc_reason"].astype(str).to_numpy(),
    })


def write_ledger_csv(run: Run, path: str | Path) -> Path:
    """Write ``ledger_export(run)`` as CSV (atomically); return the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        ledger_export(run).to_csv(tmp, index=False)
    return path


def write_appointments_csv(run: Run, path: str | Path) -> Path:
    """Write ``appointments_export(run)`` as CSV (atomically); return the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        appointments_export(run).to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S")
    return path
