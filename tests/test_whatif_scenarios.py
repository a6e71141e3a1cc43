"""The what-if scenario files under scenarios/: each states its question and validates; the
credentialing pair isolates lateness."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from practicesim import Scenario, load_scenario, simulate
from practicesim.practice import Practice
from practicesim.scenario import load_raw, set_path, validate
from tests.conftest import ROOT, SAME_PAYER, SMALL

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_each_scenario_states_its_question_and_validates(path):
    first = path.read_text().splitlines()[0]
    if path.name != "baseline.yaml":
        assert first.startswith("# Question:"), f"{path.name} should open with its question"
    assert load_scenario(path).name == path.stem


def test_late_credentialing_shifts_every_approval_by_the_application_delay():
    """Same processing-time draws in both files (common random numbers), so each payer's
    approval comes exactly as much later as the application went in."""
    on_time = load_scenario(ROOT / "scenarios" / "hire_provider.yaml")
    late = load_scenario(ROOT / "scenarios" / "late_credentialing.yaml")
    delay = (date(2027, 1, 1) - date(2026, 9, 1)).days
    for replication in range(3):
        a, b = Practice(on_time, 1, replication), Practice(late, 1, replication)
        seat = [s.name for s in a.ctx.seats].index("new_physician")
        for payer, terms in enumerate(on_time.payers):
            if terms.kind in ("self_pay", "medigap"):  # Medigap follows Medicare: no enrollment
                continue
            shift = (b.ctx.coverage.effective_day(seat, payer)
                     - a.ctx.coverage.effective_day(seat, payer))
            assert shift == delay, terms.name


def simple_practice(credentialing: dict) -> Scenario:
    """Three physicians with full schedules, one established visit type billed 99213, every
    patient keeping the appointment (and waiting to be seen), commercial_a paying the whole
    allowed amount with no denials, billers' work other than denials done at once: a practice
    whose lost revenue can be worked out by hand. The third physician, ``new_physician``,
    starts on the first reported day with ``credentialing``."""
    raw = copy.deepcopy(load_raw(SMALL))
    raw["providers"].append({"name": "new_physician", "start_date": "2027-01-01",
                             "sessions": [{"start": "08:00", "end": "12:00"},
                                          {"start": "13:00", "end": "17:00"}],
                             "credentialing": credentialing})
    raw["service_lines"] = [{"name": "primary_care", "visit_types": [
        {"name": "new_patient", "new_patient": True, "codes": {"99213": 1.0},
         "provider_minutes": 12},
        {"name": "established", "codes": {"99213": 1.0}, "provider_minutes": 12}]}]
    for key, value in {
        "demand[primary_care].requests_per_day": 120,
        "demand[primary_care].new_patient_share": 0.0,
        "demand[primary_care].walk_ins_per_hour": {},
        "scheduling.uncredentialed_policy": "bill_anyway",
        "scheduling.early_cancel_rate": 0.0,
        "scheduling.patient_tolerance_days": 1000, "flow.walk_out_minutes": None,
        "no_shows.base_rate": 0.0, "no_shows.late_cancel_rate": 0.0,
        "billing.missed_charge_rate": 0.0, "billing.claim_error_rate": 0.0,
        "billing.posting_exception_rate": 0.0, "billing.work_minutes": {}, **SAME_PAYER,
        "payers[commercial_a].denial.rate": 0.0,
        "payers[commercial_a].underpayment.rate": 0.0,
        "payers[commercial_a].cost_sharing": {"copay": 0, "coinsurance": 0.0,
                                              "deductible_probability": 0.0},
    }.items():
        set_path(raw, key, value)
    return validate(raw, "simple practice")


def test_lost_revenue_of_late_credentialing_matches_a_hand_calculation():
    """Billing anyway while commercial_a's enrollment is 60 days late: every claim of the new
    physician's commercial_a patients in those 60 days is denied B7 and written off. By hand:
    lost payments = visits per day x commercial_a's share of patients x allowed amount x clinic
    days late = 24 x 0.25 x (Medicare allowed for 99213 x 1.30) x clinic days. The simulated
    difference (same replications, so the same visits) falls within three binomial standard
    deviations of it."""
    late_days = 60
    on_time = simple_practice({})
    late = simple_practice({"commercial_a": {"effective": str(date(2027, 3, 2))}})
    a, b = simulate(on_time, seed=3), simulate(late, seed=3)
    cal = a.calendar
    start = cal.day(date(2027, 1, 1))
    clinic_days = int(cal.is_clinic_day[start:start + late_days].sum())
    payer = {p.name: p for p in on_time.payers}["commercial_a"]
    allowed = round(on_time.fee_schedule["99213"].medicare_allowed * 100
                    * payer.allowed_pct_of_medicare) / 100
    share = payer.share / sum(p.share for p in on_time.payers)
    slots = 24
    by_hand = slots * share * allowed * clinic_days
    # commercial_a's payments as the primary (as a Medicare patient's secondary it also pays
    # nothing to a provider not enrolled with it, which is not what is counted here)
    paid = [run.ledger.loc[(run.ledger["kind"] == "payer_payment")
                           & (run.ledger["payer"] == "commercial_a")
                           & (run.ledger["claim"].map(run.claims.set_index("claim")["payer"])
                              == "commercial_a"), "amount_cents"].sum() / 100
            for run in (a, b)]
    lost = paid[0] - paid[1]
    visits = slots * clinic_days
    tolerance = 3 * allowed * (visits * share * (1 - share)) ** 0.5
    assert lost == pytest.approx(by_hand, abs=tolerance)
    written_off = b.ledger[(b.ledger["kind"] == "denial_writeoff")
                           & (b.ledger["carc_reason"] == "B7")]
    assert len(written_off) * allowed == pytest.approx(lost, abs=0.01), (
        "each denied claim loses exactly its allowed amount")
    charge = on_time.fee_schedule["99213"].charge
    assert written_off["amount_cents"].sum() / 100 == pytest.approx(len(written_off) * charge)


@pytest.mark.parametrize("policy", ["bill_anyway", "do_not_book"])
def test_a_lapsed_enrollment_stops_billing_until_renewed(policy):
    """commercial_a's enrollment of the new physician lapses on 2027-02-01 and is renewed on
    2027-03-15 (not retroactively). Billing anyway, every claim for a service in the gap is
    denied B7 and none outside it is; not booking, the physician sees no commercial_a patient in
    the gap but does before and after it."""
    lapsed = simple_practice({"commercial_a": {"lapses": "2027-02-01", "renewed": "2027-03-15"}})
    lapsed = lapsed.with_changes({"scheduling.uncredentialed_policy": policy,
                                  "calendar.horizon_days": 120})
    run = simulate(lapsed, seed=2)
    cal = run.calendar
    gap = (cal.day(date(2027, 2, 1)), cal.day(date(2027, 3, 15)))
    if policy == "bill_anyway":
        claims = run.claims[(run.claims["provider"] == "new_physician")
                            & (run.claims["payer"] == "commercial_a")
                            & (run.claims["first_adjudication_day"] >= 0)]
        in_gap = claims["service_day"].between(gap[0], gap[1] - 1)
        assert in_gap.sum() > 50 and (~in_gap).sum() > 50
        assert (claims.loc[in_gap, "initial_denial_reason"] == "B7").all()
        assert (claims.loc[~in_gap, "initial_denial_reason"] != "B7").all()
        assert (claims.loc[in_gap, "status"] == "written_off").all()
        return
    seen = run.appointments[(run.appointments["provider"] == "new_physician")
                            & (run.appointments["payer"] == "commercial_a")
                            & (run.appointments["status"] == "completed")]["day"]
    assert not seen.between(gap[0], gap[1] - 1).any()
    assert (seen < gap[0]).sum() > 50 and (seen >= gap[1]).sum() > 50


def test_renewal_needs_a_lapse_before_it():
    with pytest.raises(ValueError, match="renewed"):
        simple_practice({"commercial_a": {"renewed": "2027-03-15"}})


def test_overbooking_by_expected_no_shows_adds_the_hand_calculated_visits():
    """Three physicians with two 12-slot sessions a day and far more requests than slots: an
    overbooking rate of 0.1 adds round(12 x 0.1) = 1 appointment a session, exactly 6 more
    appointments due each clinic day (the book is full either way). With a 10% no-show chance
    (no lead-time effect), completed visits rise by 0.9 x those, within three standard
    deviations of the difference of the two runs' binomial no-show counts."""
    plain = simple_practice({}).with_changes({"no_shows.base_rate": 0.1,
                                              "calendar.horizon_days": 90})
    overbooked = plain.with_changes({"scheduling.overbook_no_show_rate": 0.1})
    a, b = simulate(plain, seed=8), simulate(overbooked, seed=8)
    reported = a.daily["reporting"] & a.daily["clinic_day"]
    due = {name: run.daily.loc[reported, ["appointments_completed", "appointments_no_show"]]
           .to_numpy().sum() for name, run in (("plain", a), ("overbooked", b))}
    assert due["overbooked"] - due["plain"] == 6 * int(reported.sum())
    extra = (b.daily.loc[reported, "visits_completed"].sum()
             - a.daily.loc[reported, "visits_completed"].sum())
    sd = (0.9 * 0.1 * (due["plain"] + due["overbooked"])) ** 0.5
    assert extra == pytest.approx(0.9 * (due["overbooked"] - due["plain"]), abs=3 * sd)
