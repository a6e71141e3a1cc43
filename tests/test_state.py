"""Warm start: a practice state (open A/R book, booked calendar) from a run or from files, and
runs that start from it."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practicesim import ledger as lg
from practicesim import simulate
from practicesim.clinic.scheduling import FREE
from practicesim.scenario import Scenario
from practicesim.state import PracticeState, StateError, read_state, state_from_run
from tests.conftest import build

AS_OF = date(2026, 9, 1)
DECISIONS = [lg.PAYER_PAYMENT, lg.CONTRACTUAL, lg.TRANSFER, lg.DENIAL]
"""Ledger kinds that mark a payer's decision on a claim."""


def starting(scenario: Scenario, as_of: date, **changes: object) -> Scenario:
    """The scenario moved to start on ``as_of`` with no warm-up."""
    return scenario.with_changes({"calendar.start": as_of, "calendar.warmup_days": 0,
                                  **changes})


@pytest.fixture(scope="module")
def first_and_state(small_run):
    return small_run, state_from_run(small_run)


@pytest.fixture(scope="module")
def continued(first_and_state):
    first, state = first_and_state
    return simulate(starting(first.scenario, state.as_of), seed=5, state=state)


def claim(**fields: object) -> dict[str, object]:
    row = {"claim": "A1", "payer": "commercial_a", "provider": "physician_1",
           "service_date": "2026-08-01", "stage": "at_payer", "charge": "250.00",
           "balance": "250.00", "submitted_date": "2026-08-05"}
    return {**row, **fields}


def state_of(*claims: dict[str, object], appointments: list[dict] | None = None,
             cash: float | None = None) -> PracticeState:
    return PracticeState.from_tables(AS_OF, pd.DataFrame(list(claims)) if claims else None,
                                     pd.DataFrame(appointments) if appointments else None, cash)


def test_state_from_run_holds_the_open_book_and_the_calendar(first_and_state):
    run, state = first_and_state
    assert state.as_of == run.calendar.date(run.calendar.n_days)
    assert state.ar_cents == int(run.daily["ar_cents"].iloc[-1])
    assert state.cash_cents == int(run.daily["cash_cents"].iloc[-1])
    on_book = (run.appointments["status"] == "scheduled") | (
        run.appointments["cancel_day"] >= run.calendar.n_days)
    assert len(state.appointments) == int(on_book.sum())
    assert set(state.claims["stage"]) <= {"unbilled", "coded", "at_payer", "denied", "appeal",
                                          "secondary", "patient", "agency"}
    at_payer = state.claims[state.claims["stage"] == "at_payer"]
    assert at_payer["submitted_date"].notna().all()
    waiting = run.claims[run.claims["open_reason"] == "awaiting_secondary"]
    at_secondary = state.claims[state.claims["stage"] == "secondary"]
    assert len(at_secondary) == len(waiting) > 0, "claims awaiting their secondary carry over"
    assert set(at_secondary["secondary_payer"]) == set(waiting["secondary_payer"].astype(str))
    assert (at_secondary["primary_paid_cents"] >= 0).all()
    secondary = run.claims.set_index(run.claims["claim"].astype(str))["secondary_payer"]
    expected = secondary.astype(object).where(secondary.notna(), "").reindex(state.claims["claim"])
    assert (state.claims["secondary_payer"].to_numpy() == expected.to_numpy()).all()
    assert (state.claims["secondary_payer"] != "").sum() > 50, "the secondary goes with claims"


def test_written_state_reads_back_equal(first_and_state, tmp_path):
    _, state = first_and_state
    state.write(tmp_path / "state")
    again = read_state(tmp_path / "state")
    assert again.as_of == state.as_of and again.cash_cents == state.cash_cents
    pd.testing.assert_frame_equal(again.claims, state.claims)
    pd.testing.assert_frame_equal(again.appointments, state.appointments)
    assert again.hash == state.hash


def test_continued_run_starts_from_the_state(first_and_state, continued):
    _, state = first_and_state
    opening = continued.ledger[continued.ledger["kind"] == lg.OPENING]
    assert int(opening["amount_cents"].sum()) == state.ar_cents
    assert (opening["day"] == 0).all() and (opening["claim"] < 0).all()
    assert lg.balance_violations(continued.ledger).empty
    booked = continued.appointments[continued.appointments["request_day"] < 0]
    assert len(booked) == len(state.appointments)
    first_day = continued.daily.iloc[0]
    expected_cash = state.cash_cents + first_day["collections_cents"] - first_day["costs_cents"]
    assert first_day["cash_cents"] == expected_cash


def test_opening_claims_resolve_and_balance(continued):
    opening = continued.claims[continued.claims["claim"] < 0]
    totals = lg.claim_totals(continued.ledger).loc[opening["claim"]]
    assert (totals["open_balance"].to_numpy() == opening["open_balance_cents"].to_numpy()).all()
    resolved = (opening["status"] != "open").mean()
    assert resolved > 0.6
    paid = continued.ledger[(continued.ledger["claim"] < 0)
                            & (continued.ledger["kind"] == lg.PAYER_PAYMENT)]
    assert len(paid) > 0


def test_same_state_and_seed_give_the_same_run(first_and_state, continued):
    first, state = first_and_state
    again = simulate(starting(first.scenario, state.as_of), seed=5, state=state)
    pd.testing.assert_frame_equal(again.ledger, continued.ledger)
    pd.testing.assert_frame_equal(again.appointments, continued.appointments)


def test_warm_start_approaches_a_warmed_up_run():
    """A year started from a run's end state reports days in A/R and collections near those of
    runs warmed up from empty (mean of a few seeds each; the state carries the steady state
    over, so no warm-up is needed)."""
    base = build({"calendar.horizon_days": 180})
    first = simulate(base, seed=1)
    state = state_from_run(first)
    warm_scenario = starting(base, state.as_of)
    cold_scenario = base.with_changes({"calendar.start": state.as_of})
    warm = pd.DataFrame([simulate(warm_scenario, seed=s, state=state).kpis() for s in (2, 3, 4)])
    cold = pd.DataFrame([simulate(cold_scenario, seed=s).kpis() for s in (2, 3, 4)])
    for kpi, tolerance in (("days_in_ar", 0.10), ("collections", 0.06),
                           ("ending_ar", 0.10)):
        assert warm[kpi].mean() == pytest.approx(cold[kpi].mean(), rel=tolerance), kpi
    empty = simulate(starting(base, state.as_of), seed=2)
    assert empty.kpis()["collections"] < 0.9 * warm["collections"].mean()


NO_POSTING_LAG = {"billing.posting_lag_days": 0}


def test_claims_at_the_payer_wait_the_payment_floor_from_their_submission():
    """Medicare never pays a clean claim before day 14 from submission: claims sent 3 days
    before the start are decided from day 11, the floor counted from their submission."""
    scenario = starting(build(NO_POSTING_LAG), AS_OF)
    rows = [claim(claim=f"M{i}", payer="medicare", submitted_date="2026-08-29")
            for i in range(200)]
    run = simulate(scenario, seed=1, state=state_of(*rows))
    decided = run.ledger[(run.ledger["claim"] < 0) & run.ledger["kind"].isin(DECISIONS)]
    assert decided["claim"].nunique() == 200
    assert decided["day"].min() == 14 - 3


def test_residual_lag_is_conditioned_on_the_wait_so_far():
    """Claims already 45 days at a payer whose lag rarely exceeds 30 days are decided after a
    lag drawn given that it exceeds 44 days: decision days match rejection sampling from the
    payer's lag distribution (unconditioned, most would come due at once on day 0)."""
    scenario = starting(build(NO_POSTING_LAG), AS_OF)
    rows = [claim(claim=f"C{i}", service_date="2026-06-20",
                  submitted_date=str(AS_OF - timedelta(days=45))) for i in range(300)]
    run = simulate(scenario, seed=1, state=state_of(*rows))
    decided = run.ledger[(run.ledger["claim"] < 0) & run.ledger["kind"].isin(
        DECISIONS)].groupby("claim")["day"].min()
    assert len(decided) == 300
    lag = {p.name: p.lag_days for p in scenario.payers}["commercial_a"]
    draws = lag.sample(np.random.default_rng(0), 4_000_000)
    expected = np.ceil(draws[draws > 44]) - 45
    assert len(expected) > 5000
    assert decided.mean() == pytest.approx(expected.mean(), abs=4 * expected.std() / 300**0.5)
    assert (decided == 0).mean() == pytest.approx((expected == 0).mean(), abs=0.1)


def test_imported_appointments_are_cancelled_with_the_conditional_chance():
    """Booked 20 days before the start for day 10 (lead 30): 19 of the 29 possible
    cancellation days have passed, so the chance left is c x 10 / (29 - c x 19)."""
    rate = 0.3
    scenario = starting(build({"scheduling.early_cancel_rate": rate}), AS_OF)
    booked = [{"provider": f"physician_{1 + i % 2}", "date": "2026-09-11", "time": "09:00",
               "visit_type": "established", "payer": "medicaid", "booked_on": "2026-08-12"}
              for i in range(3000)]
    run = simulate(scenario, seed=1, state=state_of(appointments=booked))
    imported = run.appointments[run.appointments["request_day"] < 0]
    cancelled = imported["status"] == "cancelled"
    expected = rate * 10 / (29 - rate * 19)
    assert cancelled.mean() == pytest.approx(expected, abs=3 * (expected / 3000) ** 0.5)
    assert imported.loc[cancelled, "cancel_day"].between(0, 9).all()


def test_a_double_booked_import_does_not_free_the_other_appointments_slot():
    from practicesim.opening import open_practice
    from practicesim.practice import Practice

    scenario = starting(build({"scheduling.early_cancel_rate": 1.0}), AS_OF)
    booked = [{"provider": "physician_1", "date": "2026-09-11", "time": "09:00",
               "visit_type": "established", "payer": "medicaid", "booked_on": "2026-08-30"}] * 2
    practice = Practice(scenario, 1, 0)
    open_practice(practice, state_of(appointments=booked))
    assert practice.scheduler.unslotted == {1}
    day = 10
    position = next(p for p, t in enumerate(practice.book.templates[day][0].times) if t == 540)
    assert practice.book.free[day][0][position] == 0
    table = practice.scheduler.table
    assert [a.status for a in table] == ["cancelled", "cancelled"]
    for cancel_day in sorted({a.cancel_day for a in table}):
        practice.scheduler.release_cancellations(cancel_day)
    # only the first appointment's slot comes back: the count of free slots matches the book
    free = practice.book.free[day][0]
    assert free[position] == FREE
    assert practice.book.n_free[day][0] == free.count(FREE)


def test_patient_statements_follow_the_last_one_by_a_cycle():
    """One statement sent 10 days before the start with a 30-day cycle: the next goes out on
    day 20, and its cost is booked then."""
    scenario = starting(build({"patient_collections.statement_cost": 1.0}), AS_OF)
    row = claim(stage="patient", balance="40.00", submitted_date=None, statements_sent=1,
                last_statement_date=str(AS_OF - timedelta(days=10)))
    run = simulate(scenario, seed=1, state=state_of(row))
    own = simulate(scenario, seed=1)  # the same practice without the opening claim
    extra = run.daily["statement_costs_cents"] - own.daily["statement_costs_cents"]
    days = extra[extra != 0].index.tolist()
    assert days[0] == 20 and extra[20] == 100
    assert all((d - 20) % 30 == 0 for d in days)


def test_negative_cash_is_a_state_too(tmp_path):
    state = state_of(claim(), cash=-1234.56)
    assert state.cash_cents == -123456
    state.write(tmp_path / "s")
    assert read_state(tmp_path / "s").cash_cents == -123456
    run = simulate(starting(build(), AS_OF), seed=1, state=state)
    first = run.daily.iloc[0]
    assert first["cash_cents"] == -123456 + first["collections_cents"] - first["costs_cents"]


def test_blank_lines_and_bad_numbers_in_state_files(tmp_path):
    (tmp_path / "state.json").write_text('{"as_of": "2026-09-01"}')
    header = "claim,payer,provider,service_date,stage,charge,balance,submitted_date,denials\n"
    good = "A1,medicare,physician_1,2026-08-01,at_payer,100.00,100.00,2026-08-03,0\n"
    (tmp_path / "open_claims.csv").write_text(
        header + good + "\n" + good.replace("A1", "A2").replace(",0\n", ",nan\n"))
    with pytest.raises(StateError, match=r"row 4: column denials: expected a whole number"):
        read_state(tmp_path)
    (tmp_path / "open_claims.csv").write_text("")
    with pytest.raises(StateError, match=r"open_claims\.csv: empty"):
        read_state(tmp_path)


def test_denied_claims_past_their_appeal_window_are_written_off_at_once():
    scenario = starting(build(), AS_OF)
    window = {p.name: p.appeal_window_days for p in scenario.payers}["medicare_advantage"]
    denied = AS_OF - timedelta(days=window + 5)
    old = claim(payer="medicare_advantage", service_date=str(denied - timedelta(days=10)),
                stage="denied", denied_date=str(denied), denial_reason="50",
                submitted_date=None)
    fresh = claim(claim="A2", payer="medicare_advantage", stage="denied",
                  denied_date="2026-08-30", denial_reason="50", submitted_date=None)
    run = simulate(scenario, seed=1, state=state_of(old, fresh))
    writeoffs = run.ledger[run.ledger["kind"] == lg.DENIAL_WRITEOFF]
    assert writeoffs.loc[writeoffs["claim"] == -1, "day"].tolist() == [0]
    assert (writeoffs.loc[writeoffs["claim"] == -2, "day"] > 0).all()


def test_patient_balances_continue_their_statement_cycle():
    scenario = starting(build(), AS_OF)
    statements = len(scenario.patient_collections.pay_probability_per_statement)
    rows = [claim(claim=f"P{i}", stage="patient", balance="40.00", submitted_date=None,
                  statements_sent=statements) for i in range(50)]
    run = simulate(scenario, seed=1, state=state_of(*rows))
    moved = run.ledger[(run.ledger["claim"] < 0)
                       & run.ledger["kind"].isin([lg.PATIENT_PAYMENT, lg.BAD_DEBT])]
    placed = run.claims[(run.claims["claim"] < 0)]
    # every statement already sent: each balance goes to the agency on day 1, and money moves
    # only once the agency recovers it or gives up (a day later at the earliest)
    assert placed["open_reason"].astype(str).isin(["at_collection_agency", ""]).all()
    assert len(moved) > 0 and moved["day"].min() >= 2


def test_booked_appointments_take_their_slots():
    scenario = starting(build(), AS_OF)
    booked = [{"provider": "physician_1", "date": "2026-09-02", "time": "08:00",
               "visit_type": "established", "payer": "medicaid", "booked_on": "2026-08-20"},
              {"provider": "physician_2", "date": "2026-09-03", "time": "13:00",
               "visit_type": "primary_care/new_patient", "payer": "medicare",
               "booked_on": "2026-08-01"}]
    run = simulate(scenario, seed=1, state=state_of(appointments=booked))
    imported = run.appointments[run.appointments["request_day"] < 0]
    assert imported["provider"].astype(str).tolist() == ["physician_1", "physician_2"]
    assert imported["payer"].astype(str).tolist() == ["medicaid", "medicare"]
    assert imported["time_minutes"].tolist() == [8 * 60, 13 * 60]
    assert imported["lead_days"].tolist() == [13, 33]
    others = run.appointments[(run.appointments["request_day"] >= 0)
                              & (run.appointments["provider"] == "physician_1")
                              & (run.appointments["day"] == 1)
                              & (run.appointments["time_minutes"] == 8 * 60)]
    overbook = scenario.scheduling.overbook_per_session
    assert len(others) <= overbook


@pytest.mark.parametrize(("fields", "message"), [
    ({"stage": "lost"}, "row 2: column stage: expected one of"),
    ({"service_date": "2026-13-01"}, "row 2: column service_date: expected a date"),
    ({"balance": "300.00"}, "row 2: column balance: expected 0 < balance <= charge"),
    ({"charge": "12.345"}, "row 2: column charge: expected an amount in dollars"),
    ({"submitted_date": None}, "row 2: column submitted_date: expected a value"),
    ({"submitted_date": "2026-09-05"}, "column submitted_date: expected a date from"),
])
def test_bad_claim_rows_are_named(fields, message):
    with pytest.raises(StateError, match=message):
        state_of(claim(**fields))


def test_unknown_names_are_reported_when_the_run_starts():
    scenario = starting(build(), AS_OF)
    with pytest.raises(StateError, match=r"row 2: column payer: expected one of .*'aetna'"):
        simulate(scenario, state=state_of(claim(payer="aetna")))
    bad_time = [{"provider": "physician_1", "date": "2026-09-02", "time": "08:07",
                 "visit_type": "established", "payer": "medicaid", "booked_on": "2026-08-20"}]
    with pytest.raises(StateError, match=r"column time: expected a slot .*08:00"):
        simulate(scenario, state=state_of(appointments=bad_time))


def test_the_run_must_start_on_the_state_date():
    with pytest.raises(StateError, match=r"set calendar\.start to 2026-09-01"):
        simulate(build(), state=state_of(claim()))


def test_state_folder_errors_name_the_file(tmp_path):
    with pytest.raises(StateError, match=r"state\.json: missing"):
        read_state(tmp_path)
    (tmp_path / "state.json").write_text('{"as_of": "2026-09-01", "cahs": 3}')
    with pytest.raises(StateError, match=r"unknown keys \['cahs'\]"):
        read_state(tmp_path)
    (tmp_path / "state.json").write_text('{"as_of": "2026-09-01"}')
    (tmp_path / "open_claims.csv").write_text("claim,payer\nA,medicare\n")
    with pytest.raises(StateError, match=r"open_claims\.csv: missing columns"):
        read_state(tmp_path)


STAGES = st.sampled_from(["unbilled", "coded", "at_payer", "denied", "appeal", "patient",
                          "agency"])


@st.composite
def open_claims(draw: st.DrawFn) -> list[dict[str, object]]:
    rows = []
    for i in range(draw(st.integers(1, 25))):
        stage = draw(STAGES)
        age = draw(st.integers(1, 400))
        service = AS_OF - timedelta(days=age)
        charge = draw(st.integers(1, 200_000))
        balance = draw(st.integers(1, charge))
        since = draw(st.integers(0, age - 1))
        payer = draw(st.sampled_from(["medicare", "medicaid", "commercial_b", "self_pay"]))
        if payer == "self_pay" and stage in ("at_payer", "denied", "appeal"):
            stage = "patient"
        rows.append({
            "claim": f"H{i}", "payer": payer, "provider": draw(st.sampled_from(
                ["physician_1", "physician_2"])),
            "service_date": str(service), "stage": stage, "charge": charge / 100,
            "balance": balance / 100,
            "submitted_date": str(service + timedelta(days=since)) if stage == "at_payer"
            else None,
            "denied_date": str(service + timedelta(days=since))
            if stage in ("denied", "appeal") else None,
            "denial_reason": draw(st.sampled_from(["16", "50", "197", "B7"]))
            if stage in ("denied", "appeal") else "",
            "statements_sent": draw(st.integers(0, 8)),
            "denials": draw(st.integers(0, 3)),
        })
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=open_claims(), seed=st.integers(0, 2**16))
def test_any_opening_book_balances_at_every_moment(rows, seed):
    scenario = starting(build({"calendar.horizon_days": 120}), AS_OF)
    state = state_of(*rows)
    run = simulate(scenario, seed=seed, state=state)
    assert lg.balance_violations(run.ledger).empty
    opening = run.ledger[run.ledger["claim"] < 0]
    totals = lg.claim_totals(opening)
    assert int(totals[lg.OPENING].sum()) == state.ar_cents
    assert (totals["open_balance"] >= 0).all()
    assert np.array_equal(np.sort(totals.index.to_numpy()),
                          np.arange(-len(rows), 0))


def test_a_continued_run_keeps_each_claims_secondary(continued):
    """Opening claims keep their secondary: a dual-eligible's Medicare claim (Medicaid second,
    which cannot bill the patient) puts nothing on the patient, before or after its primary."""
    opening = continued.claims[continued.claims["claim"] < 0]
    duals = opening.loc[opening["secondary_payer"] == "medicaid", "claim"]
    assert len(duals) > 5
    rows = continued.ledger[continued.ledger["claim"].isin(duals)]
    assert not rows["kind"].astype(str).isin(
        ["transfer_to_patient", "patient_payment", "bad_debt"]).any()
    assert (rows["kind"].astype(str) == "transfer_to_secondary").any() or (
        rows["payer"].astype(str) == "medicaid").any()


def test_a_claim_already_at_its_secondary_is_decided_not_written_off_for_filing():
    """A warm start's claim its secondary received before the run is past the secondary's
    120-day filing limit now, but it was sent in time: the secondary decides it (no CO-29)."""
    state = state_of(claim(payer="medicare", stage="secondary", secondary_payer="commercial_a",
                           service_date="2026-01-05", charge="250.00", balance="40.00",
                           primary_paid="120.00"))
    run = simulate(starting(build({"billing.posting_exception_rate": 0.0}), AS_OF,
                            **{"calendar.horizon_days": 60}), seed=1, state=state)
    rows = run.ledger[run.ledger["claim"] < 0]
    secondary = rows[rows["payer"].astype(str) == "commercial_a"]
    assert set(secondary["kind"].astype(str)) >= {"payer_payment"}
    assert not (rows["carc_reason"].astype(str) == "29").any()
