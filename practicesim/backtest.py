"""Backtest: does the calibrated model reproduce what happened after a date?

``backtest(appointments, transactions, split)`` calibrates on the data before ``split``,
builds the practice's state on the morning of ``split`` from the same data (the claims open
then, each in its stage with its dates, and the appointments already booked for later), simulates
the period from ``split`` to the data's end from that state (``reps`` replications), and
compares month by month with what the data show: visits completed, no-show rate, charges,
collections, A/R at month end and days in A/R. Each month's actual value is marked inside or
outside the simulated 90% band (5th to 95th percentile over replications); ``coverage`` is the
share of months inside, per measure (a well-calibrated model has about 90%).

Both sides are measured the same way, from a ledger and an appointments table: ``charges`` by month
of service, ``collections`` (payer and patient payments) by posting month, ``ar`` the open balance
of every claim at month end, ``days_in_ar`` = A/R at month end / average daily charges (by date of
service) over the trailing 90 days (the simulation's window includes the actual charges before the
split), ``visits`` the appointments completed in the month, ``no_show_rate`` = no-shows / (completed
+ no-shows + late cancellations) of the month's appointments.

Open claims at the split (``state_at``): a claim with an open balance whose last event is a
submission with no remittance after it is ``at_payer`` (submitted on that date); whose last
event is a denial not followed by a resubmission is ``denied`` (with the denial's date and
CARC); that was never submitted is ``unbilled``, and so is a visit done before the split whose
charge was entered after it (the practice management system lists it as an unbilled encounter;
its charge and desk copay are taken from the later entry, the one figure from after the split
the state uses; the copay, cash before the split, is left out of the period's collections);
otherwise (remitted, balance left) it is the
patient's (``patient``). The ledger has no provider: claims are given the scenario's first
provider (it matters only for credentialing). Booked appointments are kept when their
provider is one of the scenario's seats and their time a slot of its template; the others are
counted in ``Backtest.skipped``. Claims of payers the calibrated scenario does not have (fewer
than 11 patients) are skipped too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from practicesim import ledger as lg
from practicesim.calendar import session_slots
from practicesim.calibrate.calibration import Calibration, calibrate
from practicesim.engine import simulate
from practicesim.files import write_atomically
from practicesim.scenario import Scenario
from practicesim.seats import provider_seats
from practicesim.state import PracticeState

MEASURES = ("visits", "no_show_rate", "charges", "collections", "ar", "days_in_ar")
UNITS = {"visits": "visits in the month", "no_show_rate": "share of appointments",
         "charges": "dollars (by month of service)", "collections": "dollars",
         "ar": "dollars at month end", "days_in_ar": "days"}
ENTRY_DAYS = 30
"""Days simulated past the last compared month, for its charges to be entered."""
RESULT_FILES = frozenset({"backtest.csv", "coverage.csv", "backtest.png", "skipped.csv"})


@dataclass
class Backtest:
    """``table``: per month and measure, the actual value, the simulated mean, 5th and 95th
    percentiles and whether the actual value is inside; ``coverage``: share of months inside per
    measure; ``skipped``: opening claims and booked appointments left out, with reasons."""

    table: pd.DataFrame
    coverage: pd.Series
    calibration: Calibration
    state: PracticeState
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)

    def figure(self) -> Figure:
        """One panel per measure: the simulated 90% band and mean against the actual months."""
        fig = Figure(figsize=(11, 6.5))
        axes = fig.subplots(2, 3).ravel()
        for ax, measure in zip(axes, MEASURES, strict=True):
            rows = self.table.xs(measure, level="measure")
            x = rows.index.to_timestamp()
            ax.fill_between(x, rows["p05"], rows["p95"], color="#56B4E9", alpha=0.35,
                            label="simulated 90% band")
            ax.plot(x, rows["mean"], color="#0072B2", label="simulated mean")
            ax.plot(x, rows["actual"], "o", color="#D55E00", label="actual")
            ax.set_title(f"{measure.replace('_', ' ')}: {self.coverage[measure]:.0%} inside",
                         fontsize=10)
            ax.set_ylabel(UNITS[measure], fontsize=9)
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        axes[0].legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig

    def write(self, folder: str | Path) -> Path:
        """``backtest.csv``, ``coverage.csv``, ``skipped.csv`` and ``backtest.png``, all or
        nothing."""

        def fill(staging: Path) -> None:
            self.table.to_csv(staging / "backtest.csv")
            self.coverage.rename("share_inside_90pct_band").to_csv(staging / "coverage.csv")
            self.skipped.to_csv(staging / "skipped.csv", index=False)
            self.figure().savefig(staging / "backtest.png", dpi=120)

        return write_atomically(Path(folder), fill, RESULT_FILES)


def backtest(appointments: pd.DataFrame, transactions: pd.DataFrame, split: dt.date,
             base: Scenario | str | Path | None = None, reps: int = 20,
             seed: int = 1) -> Backtest:
    """Calibrate on the data before ``split``, simulate from the state at ``split`` to the data's
    end, compare by month (module docstring)."""
    split_ts = pd.Timestamp(split)
    origin = pd.Timestamp(transactions.attrs["origin"])
    split_day = (split_ts - origin).days
    before_appointments = appointments[appointments["appointment_at"] < split_ts]
    before_appointments.attrs = dict(appointments.attrs)
    before_ledger = transactions[transactions["day"] < split_day]
    before_ledger.attrs = dict(transactions.attrs)
    kwargs = {} if base is None else {"base": base}
    calibration = calibrate(appointments=before_appointments, transactions=before_ledger,
                            **kwargs)
    state, skipped = state_at(transactions, appointments, split, calibration.scenario)
    end = origin + pd.Timedelta(days=int(transactions["day"].max()))
    if end != end + pd.offsets.MonthEnd(0):
        end = end - pd.offsets.MonthEnd(1)
    horizon = (end.normalize() - split_ts).days + 1
    if horizon < 28:
        raise ValueError(f"the data after the split ({split}) end on {end.date()}: "
                         "a backtest needs at least one whole month after the split")
    # the data name the providers who were there: no drawn departures in the replay
    scenario = state.starting(calibration.scenario).with_changes(
        {"calendar.horizon_days": horizon + ENTRY_DAYS}
        | {f"providers[{p.name}].turnover_per_year": 0.0
           for p in calibration.scenario.providers})
    actual = _actual(appointments, transactions, split_ts, end)
    simulated = pd.concat([_simulated(simulate(scenario, seed=seed, replication=r, state=state),
                                      transactions, split_ts, end)
                           for r in range(reps)], keys=range(reps), names=["replication"])
    table = _compare(actual, simulated)
    coverage = table.groupby(level="measure")["inside"].mean().reindex(list(MEASURES))
    return Backtest(table=table, coverage=coverage, calibration=calibration, state=state,
                    skipped=skipped)


def state_at(ledger: pd.DataFrame, appointments: pd.DataFrame, split: dt.date,
             scenario: Scenario) -> tuple[PracticeState, pd.DataFrame]:
    """The practice's open claims and booked appointments on the morning of ``split``, from
    its data, in the scenario's names; and what was skipped (module docstring)."""
    origin = pd.Timestamp(ledger.attrs["origin"])
    split_day = (pd.Timestamp(split) - origin).days
    before = pd.concat([ledger[ledger["day"] < split_day], _entered_later(ledger, split_day)])
    balance = pd.Series(lg.signed_cents(before), index=before.index).groupby(
        before["claim"]).sum()
    open_claims = balance[balance > 0].index
    rows = before[before["claim"].isin(open_claims)]
    payers = {p.name for p in scenario.payers}
    provider = scenario.providers[0].name if scenario.providers[0].count == 1 else (
        f"{scenario.providers[0].name}_1")
    claims, skipped = [], []
    for claim, events in rows.groupby("claim", sort=False):
        payer = str(events["payer"].iloc[0])
        if payer not in payers:
            skipped.append(("claim", payer, "payer not in the calibrated scenario"))
            continue
        claims.append(_open_claim(claim, events, balance[claim], payer, provider, origin,
                                  split_day, scenario))
    booked, skipped_appointments = _booked(appointments, pd.Timestamp(split), scenario)
    skipped.extend(skipped_appointments)
    state = PracticeState.from_tables(
        split, claims=pd.DataFrame(claims), appointments=booked, source="backtest state")
    return state, pd.DataFrame(skipped, columns=["what", "name", "reason"])


def _open_claim(claim: int, events: pd.DataFrame, balance: int, payer: str, provider: str,
                origin: pd.Timestamp, split_day: int, scenario: Scenario) -> dict:
    kinds = events["kind"].astype(str).tolist()

    def date(day: int) -> dt.date:
        return (origin + pd.Timedelta(days=int(day))).date()

    charge = int(events.loc[events["kind"] == lg.CHARGE, "amount_cents"].sum())
    row = {"claim": f"open-{len(kinds)}-{claim % 100000}", "payer": payer, "provider": provider,
           "service_date": date(events["service_day"].iloc[0]), "charge": charge / 100,
           "balance": balance / 100}
    remitted = {lg.PAYER_PAYMENT, lg.CONTRACTUAL, lg.TRANSFER}
    # a secondary's denial leaves the claim where its primary put it
    own = ~((events["kind"] == lg.DENIAL) & (events["payer"].astype(str) != payer))
    last = next((k for k in reversed(events.loc[own, "kind"].astype(str).tolist())
                 if k in remitted | {lg.SUBMISSION, lg.DENIAL}), None)
    if last == lg.SUBMISSION:
        day = events.loc[events["kind"] == lg.SUBMISSION, "day"].max()
        row.update(stage="at_payer", submitted_date=date(day))
    elif last == lg.DENIAL:
        denial = events[(events["kind"] == lg.DENIAL) & own].iloc[-1]
        row.update(stage="denied", denied_date=date(denial["day"]),
                   denial_reason=str(denial["carc_reason"]) or "16")
    elif last is None:
        row.update(stage="unbilled")
    else:
        row.update(stage="patient", patient_balance=balance / 100,
                   **_statements(events, split_day, scenario, date))
    return row


def _statements(events: pd.DataFrame, split_day: int, scenario: Scenario,
                date: object) -> dict:
    """Statements sent before the split to a balance transferred to the patient on day b:
    statement i goes out on b + 1 + i x cycle (``revenue/patients.py``), at most the number of
    statements the scenario sends."""
    rules = scenario.patient_collections
    billed = int(events["day"].max())
    sent = min(max((split_day - 2 - billed) // rules.statement_cycle_days + 1, 0),
               len(rules.pay_probability_per_statement))
    if sent == 0:
        return {"statements_sent": 0}
    return {"statements_sent": sent,
            "last_statement_date": date(billed + 1 + (sent - 1) * rules.statement_cycle_days)}


def _entered_later(ledger: pd.DataFrame, split_day: int) -> pd.DataFrame:
    """Visits done before the split whose charge was entered after it: the charge and the
    desk copay posted with it (collected at the visit, before the split)."""
    late = ledger[(ledger["kind"] == lg.CHARGE) & (ledger["service_day"] < split_day)
                  & (ledger["day"] >= split_day)]
    entry = late.set_index("claim")["day"]
    copay = ledger[(ledger["kind"] == lg.PATIENT_PAYMENT) & ledger["claim"].isin(entry.index)]
    copay = copay[copay["day"].to_numpy() == entry.reindex(copay["claim"]).to_numpy()]
    return pd.concat([late, copay])


def _booked(appointments: pd.DataFrame, split: pd.Timestamp,
            scenario: Scenario) -> tuple[pd.DataFrame, list[tuple]]:
    """Appointments booked before ``split`` for ``split`` or later, in the scenario's seats."""
    seats = {s.name: s for s in provider_seats(scenario)}
    book = appointments[(appointments["booked_at"] < split)
                        & (appointments["appointment_at"] >= split)
                        & (appointments["status"] != "cancelled")]
    rows, skipped = [], []
    types = {v.name for line in scenario.service_lines for v in line.visit_types}
    payers = {p.name for p in scenario.payers}
    for a in book.itertuples(index=False):
        if a.provider not in seats or a.visit_type not in types or a.payer not in payers:
            skipped.append(("appointment", str(a.provider), "provider, visit type or payer "
                                                             "not in the scenario"))
            continue
        minutes = a.appointment_at.hour * 60 + a.appointment_at.minute
        slots = {t for session in seats[a.provider].sessions
                 if any(d.index == a.appointment_at.weekday() for d in session.days)
                 for t in session_slots(session, seats[a.provider].slot_minutes, 0)}
        if minutes not in slots:
            skipped.append(("appointment", str(a.provider), "time not a slot of the provider's "
                                                             "template"))
            continue
        rows.append({"provider": a.provider, "date": a.appointment_at.date(),
                     "time": a.appointment_at.strftime("%H:%M"), "visit_type": a.visit_type,
                     "payer": a.payer, "booked_on": min(a.booked_at.date(),
                                                        (split - pd.Timedelta(days=1)).date())})
    return pd.DataFrame(rows), skipped


def _monthly(ledger: pd.DataFrame, origin: pd.Timestamp, first: pd.Timestamp,
             end: pd.Timestamp, history: pd.Series | None = None) -> pd.DataFrame:
    """Per month in [first, end]: charges by date of service, collections by posting date,
    month-end A/R and days in A/R (``history``: daily charges before ``first`` for the
    trailing window)."""
    days = pd.date_range(first, end, freq="D")
    dated = ledger.assign(when=origin + pd.to_timedelta(ledger["day"], unit="D"))
    served = dated.assign(when=origin + pd.to_timedelta(dated["service_day"], unit="D"))
    by_service = served[served["kind"] == lg.CHARGE].groupby("when")["amount_cents"].sum()
    paid = dated[dated["kind"].isin([lg.PAYER_PAYMENT, lg.PATIENT_PAYMENT])].groupby(
        "when")["amount_cents"].sum()
    balance = pd.Series(lg.signed_cents(dated), index=dated.index).groupby(dated["when"]).sum()
    daily = pd.DataFrame(index=days)
    daily["charges"] = by_service.reindex(days, fill_value=0) / 100
    daily["collections"] = paid.reindex(days, fill_value=0) / 100
    before = balance[balance.index < first].sum()
    daily["ar"] = (before + balance.reindex(days, fill_value=0).cumsum()) / 100
    all_charges = daily["charges"] if history is None else pd.concat(
        [history[history.index < first], daily["charges"]])
    trailing = all_charges.rolling(90, min_periods=1).sum().reindex(days) / 90
    daily["days_in_ar"] = daily["ar"] / trailing.where(trailing > 0)
    month = days.to_period("M")
    return pd.DataFrame({
        "charges": daily["charges"].groupby(month).sum(),
        "collections": daily["collections"].groupby(month).sum(),
        "ar": daily["ar"].groupby(month).last(),
        "days_in_ar": daily["days_in_ar"].groupby(month).last(),
    })


def _visits(appointments: pd.DataFrame, when: pd.Series, first: pd.Timestamp) -> pd.DataFrame:
    """Per month: completed appointments and the no-show rate, a patient who left unseen
    counted as a no-show (as an export lists her)."""
    due = appointments[(when >= first)]
    month = when[due.index].dt.to_period("M")
    status = due["status"].astype(str).replace({"left_unseen": "no_show"})
    kept = (status == "completed").groupby(month).sum()
    missed = (status == "no_show").groupby(month).sum()
    ended = status.isin(["completed", "no_show", "late_cancel"]).groupby(month).sum()
    return pd.DataFrame({"visits": kept.astype(float), "no_show_rate": missed / ended})


def _actual(appointments: pd.DataFrame, ledger: pd.DataFrame, split: pd.Timestamp,
            end: pd.Timestamp) -> pd.DataFrame:
    """The data's months; desk copays taken before the split (posted with a charge entered
    after it) are not the period's collections."""
    origin = pd.Timestamp(ledger.attrs["origin"])
    split_day = (split - origin).days
    early = _entered_later(ledger, split_day)
    early = early[early["kind"] == lg.PATIENT_PAYMENT]
    kept = ledger.drop(index=early.index)
    money = _monthly(kept, origin, split, end, _monthly_history(ledger, origin, split))
    within = appointments[appointments["appointment_at"] <= end + pd.Timedelta(days=1)]
    visits = _visits(within, within["appointment_at"], split)
    return money.join(visits, how="left")


def _simulated(run, ledger: pd.DataFrame, split: pd.Timestamp,
               end: pd.Timestamp) -> pd.DataFrame:
    """The run's months up to ``end`` measured like the data (its days counted from
    ``split``; it runs ``ENTRY_DAYS`` longer so that the last month's charges are entered, as
    they are in data that go on after the last whole month)."""
    origin = pd.Timestamp(ledger.attrs["origin"])
    history = _monthly_history(ledger, origin, split)
    money = _monthly(run.ledger, split, split, end, history)
    last = (end - split).days + 1
    appointments = run.appointments[run.appointments["day"] < last]
    when = pd.Series(run.calendar.dates(appointments["day"].to_numpy()).to_numpy(),
                     index=appointments.index)
    return money.join(_visits(appointments, when, split), how="left")


def _monthly_history(ledger: pd.DataFrame, origin: pd.Timestamp,
                     split: pd.Timestamp) -> pd.Series:
    """Actual daily charges by date of service (dollars) in the 90 days before ``split``."""
    dated = ledger.assign(when=origin + pd.to_timedelta(ledger["service_day"], unit="D"))
    charges = dated[dated["kind"] == lg.CHARGE].groupby("when")["amount_cents"].sum() / 100
    days = pd.date_range(split - pd.Timedelta(days=90), split - pd.Timedelta(days=1))
    return charges.reindex(days, fill_value=0.0)


def _compare(actual: pd.DataFrame, simulated: pd.DataFrame) -> pd.DataFrame:
    rows = []
    months = actual.index
    for measure in MEASURES:
        wide = simulated[measure].unstack("replication").reindex(months)
        for month in months:
            values = wide.loc[month].dropna().to_numpy(dtype=float)
            value = float(actual.loc[month, measure])
            if values.size == 0 or np.isnan(value):
                continue
            low, high = np.percentile(values, [5, 95])
            rows.append((measure, month, value, float(values.mean()), float(low), float(high),
                         bool(low <= value <= high)))
    table = pd.DataFrame(rows, columns=["measure", "month", "actual", "mean", "p05", "p95",
                                        "inside"])
    return table.set_index(["measure", "month"])
