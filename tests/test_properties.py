"""Invariants over random valid practices (hypothesis): money balances exactly, always."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practicesim import simulate
from practicesim.ledger import balance_violations, claim_totals
from practicesim.metrics import ar_aging
from tests.conftest import build

rate = st.floats(0.0, 1.0)
small_rate = st.floats(0.0, 0.5)


@st.composite
def practices(draw: st.DrawFn) -> tuple[dict[str, object], int]:
    """A small random practice: staff, demand, payer terms and billing policies all drawn, with
    sometimes a dated change of payer terms and billing staff (fee cuts included), line-level
    denials, pended claims, secondary coverage (shares and each secondary's rules, denials and
    filing limits), deductible plans (accumulators across 1 January), the desk's policy
    (estimate deposits, refunds, self-pay terms) and patient collections (small balances, cards
    on file, payment plans) drawn too."""
    updates = {
        "calendar.horizon_days": draw(st.integers(20, 90)),
        "calendar.warmup_days": draw(st.integers(0, 40)),
        "providers[physician].count": draw(st.integers(1, 3)),
        "demand[primary_care].requests_per_day": draw(st.floats(2, 70)),
        "demand[primary_care].dispersion": draw(st.floats(0, 0.5)),
        "no_shows.base_rate": draw(small_rate),
        "no_shows.late_cancel_rate": draw(st.floats(0, 0.2)),
        "scheduling.early_cancel_rate": draw(st.floats(0, 0.3)),
        "scheduling.min_lead_days": draw(st.integers(0, 3)),
        "scheduling.overbook_per_session": draw(st.integers(0, 2)),
        "scheduling.uncredentialed_policy": draw(
            st.sampled_from(["do_not_book", "hold_claims", "bill_anyway",
                             "supervising_physician", "refer_out"])),
        "payers[commercial_a].supervised_billing_share": draw(st.floats(0, 1)),
        "staff.coders.count": draw(st.integers(0, 2)),
        "staff.billers.count": draw(st.integers(0, 2)),
        "staff.front_desk.count": draw(st.integers(0, 2)),
        "billing.missed_charge_rate": draw(st.floats(0, 0.1)),
        "billing.claim_error_rate": draw(small_rate),
        "billing.scrubber_catch_rate": draw(rate),
        "billing.clearinghouse_rejection_rate": draw(st.floats(0, 0.2)),
        "billing.queue_priority": draw(
            st.sampled_from(["fifo", "oldest_first", "largest_first", "deadline_first"])),
        "billing.appeal_success_rate": draw(rate),
        "billing.follow_up_days": draw(st.integers(1, 60)),
        "billing.work_minutes": draw(st.fixed_dictionaries({
            kind: st.sampled_from([0, 5, 30]) for kind in (
                "charge_edit", "posting_exception", "secondary_claim", "status_check",
                "patient_call", "underpayment", "records_request")})),
        "billing.posting_exception_rate": draw(rate),
        "billing.underpayment_review": {"detection_rate": draw(rate), "success_rate": draw(rate),
                                        "decision_days": draw(st.sampled_from([1, 30, 200]))},
        "providers[physician].npp": draw(st.booleans()),
        "service_lines[primary_care].visit_types[established].telehealth": draw(
            st.none() | st.fixed_dictionaries({
                "share": rate, "no_show_odds_ratio": st.sampled_from([0.5, 1.0, 2.0]),
                "add_ons": st.none() | st.just({"G2211": 0.3})})),
        "billing.denial_actions": draw(st.dictionaries(
            st.sampled_from(["4", "16", "22", "27", "50", "96", "97", "197"]),
            st.fixed_dictionaries({
                "action": st.sampled_from(["correct", "appeal", "other_coverage",
                                           "bill_patient", "write_off"]),
                "success_rate": st.none() | rate, "patient_share": rate}), max_size=4)),
        "billing.line_level_reasons": draw(st.lists(
            st.sampled_from(["4", "11", "16", "22", "96", "97", "B7"]), max_size=5)),
        "billing.further_appeals": draw(st.lists(st.fixed_dictionaries({
            "name": st.just("level"), "pursued": rate, "window_days": st.integers(1, 200),
            "success_rate": rate, "decision_days": st.sampled_from([1, 20, 90])}),
            max_size=2)),
        "billing.patient_calls_per_statement": draw(st.sampled_from([0, 0.3, 2])),
        "patient_collections.desk_collection_rate": draw(rate),
        "patient_collections.pay_probability_per_statement": draw(
            st.lists(rate, min_size=1, max_size=4)),
        "patient_collections.agency_recovery_rate": draw(rate),
        "patient_collections.statement_cycle_days": draw(st.integers(5, 40)),
        "patient_collections.point_of_service": draw(st.sampled_from(["copay", "estimate"])),
        "patient_collections.estimate_collection_rate": draw(rate),
        "patient_collections.self_pay_desk_rate": draw(st.none() | rate),
        "patient_collections.self_pay_pay_probability_per_statement": draw(
            st.none() | st.lists(rate, min_size=1, max_size=4)),
        "patient_collections.small_balance_writeoff": draw(st.sampled_from([0, 10, 60])),
        "patient_collections.card_on_file": draw(st.none() | st.fixed_dictionaries({
            "share": rate, "decline_rate": rate, "charge_days": st.integers(0, 5)})),
        "patient_collections.payment_plans": draw(st.none() | st.fixed_dictionaries({
            "share": rate, "min_balance": st.sampled_from([0, 50, 200]),
            "months": st.integers(2, 12), "default_rate": small_rate})),
    }
    for payer in ("medicare", "medicaid", "commercial_a", "commercial_b", "medicare_advantage"):
        updates[f"payers[{payer}].denial.rate"] = draw(small_rate)
        updates[f"payers[{payer}].denial.resubmission_denial_rate"] = draw(small_rate)
        updates[f"payers[{payer}].timely_filing_days"] = draw(st.integers(10, 365))
        updates[f"payers[{payer}].appeal_window_days"] = draw(st.integers(5, 120))
        updates[f"payers[{payer}].no_response_rate"] = draw(small_rate)
        updates[f"payers[{payer}].allowed_pct_of_medicare"] = draw(st.floats(0.3, 3.0))
        updates[f"payers[{payer}].npp_pct"] = draw(st.floats(0.5, 1.0))
        updates[f"payers[{payer}].telehealth_pct"] = draw(st.sampled_from([0.5, 0.73, 1.0]))
        updates[f"payers[{payer}].telehealth_covered"] = draw(st.booleans())
        updates[f"payers[{payer}].preventive_cost_sharing"] = draw(st.booleans())
        updates[f"payers[{payer}].non_covered"] = draw(st.lists(
            st.sampled_from(["99395", "99396", "G0439", "90471", "99213"]), max_size=3))
        updates[f"payers[{payer}].underpayment"] = {"rate": draw(rate), "short": draw(rate)}
        updates[f"payers[{payer}].pend"] = {
            "rate": draw(rate), "records_share": draw(rate),
            "days": draw(st.sampled_from([1, 30, 200])),
            "records_deadline_days": draw(st.integers(1, 90))}
        updates[f"payers[{payer}].cost_sharing"] = {
            "copay": draw(st.sampled_from([0, 10, 25, 60, 500])),
            "coinsurance": draw(rate),
            "deductible_probability": draw(rate),
            "deductible_plan": draw(st.none() | st.fixed_dictionaries({
                "share": rate, "deductible": st.sampled_from([0, 40, 283, 2433, 20000]),
                "copay": st.sampled_from([0, 15, 500]), "coinsurance": rate,
                "care_elsewhere": st.sampled_from(
                    [0, {"dist": "lognormal", "median": 800, "p90": 7300}])})),
        }
    updates["payers[self_pay].self_pay_discount"] = draw(rate)
    updates["payers[medicare].secondary"] = {
        "medigap": draw(st.floats(0, 0.5)), "commercial_a": draw(st.floats(0, 0.3)),
        "medicaid": draw(st.floats(0, 0.2))}
    updates["payers[commercial_b].secondary"] = {"commercial_a": draw(small_rate)}
    for payer in ("medigap", "medicaid", "commercial_a"):
        updates[f"payers[{payer}].as_secondary"] = {
            "crossover": draw(st.booleans()),
            "pays": {"copay": draw(rate), "deductible": draw(rate), "coinsurance": draw(rate)},
            "up_to_own_allowed": draw(st.booleans()), "bills_patient": draw(st.booleans()),
            "denial_rate": draw(rate)}
    updates["payers[medigap].timely_filing_days"] = draw(st.integers(20, 365))
    if draw(st.booleans()):
        updates["providers[physician].credentialing"] = {
            "commercial_a": {"effective": "2027-01-20"},
            "medicare": {"effective": "2026-12-20", "lapses": "2027-02-10"},
        }
    if draw(st.booleans()):
        updates["outsourcing"] = {
            "start": f"2027-01-{draw(st.integers(1, 28)):02d}",
            "scope": draw(st.lists(st.sampled_from(["coding", "denials", "posting",
                                                    "patient_calls"]),
                                   min_size=1, max_size=4, unique=True)),
            "fee_base": draw(st.sampled_from(["collections", "recovered_denials"])),
            "transition_days": draw(st.integers(0, 30)),
            "claims_coded_per_day": draw(st.none() | st.floats(1, 50)),
            "denials_worked_per_day": draw(st.none() | st.floats(0.5, 20))}
    if draw(st.booleans()):
        payer = draw(st.sampled_from(["medicare", "commercial_a", "medicaid"]))
        updates["changes"] = [{
            "date": f"2027-01-{draw(st.integers(1, 28)):02d}",
            "set": {
                f"payers[{payer}].allowed_pct_of_medicare": draw(st.floats(0.05, 3.0)),
                f"payers[{payer}].cost_sharing.copay": draw(st.sampled_from([0, 15, 90])),
                f"payers[{payer}].denial.rate": draw(small_rate),
                f"payers[{payer}].npp_pct": draw(st.floats(0.5, 1.0)),
                f"payers[{payer}].non_covered": draw(st.lists(
                    st.sampled_from(["99395", "99396", "90471", "99214"]), max_size=2)),
                "staff.billers.count": draw(st.integers(0, 3)),
                "billing.queue_priority": draw(st.sampled_from(["fifo", "largest_first"])),
            },
        }]
    return updates, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(practices())
def test_money_balances_exactly_for_every_claim_at_every_moment(case):
    updates, seed = case
    scenario = build(updates)
    run = simulate(scenario, seed=seed)
    ledger = run.ledger
    assert balance_violations(ledger).empty, "a claim went negative or was posted before charge"
    assert (ledger["amount_cents"] >= 0).all()

    totals = claim_totals(ledger)
    claims = run.claims.set_index("claim")
    # charges = payer payments + patient payments + contractual + write-offs + open balance
    identity = (totals["payer_payment"] + totals["patient_payment"]
                + totals["contractual_adjustment"] + totals["denial_writeoff"]
                + totals["bad_debt"] + totals["open_balance"])
    assert (identity == totals["charge"]).all()
    assert (totals["open_balance"] >= 0).all()
    assert (claims["open_balance_cents"].reindex(totals.index) == totals["open_balance"]).all()
    assert (claims["patient_balance_cents"] <= claims["open_balance_cents"]).all()

    assert set(claims["status"].astype(str)) <= {"paid", "written_off", "open"}
    open_claims = claims[claims["status"] == "open"]
    assert (open_claims["open_reason"].astype(str) != "").all(), "open claim with no reason"

    # a secondary settles exactly what the primary sent on; one that cannot bill the patient
    # leaves nothing to the patient
    kind, payer = ledger["kind"].astype(str), ledger["payer"].astype(str)
    secondary = claims["secondary_payer"].astype(object).where(claims["secondary_payer"].notna())
    own = payer.to_numpy() == ledger["claim"].map(secondary).to_numpy()
    sent = ledger[kind == "transfer_to_secondary"].groupby("claim")["amount_cents"].sum()
    decided = ledger[own & (kind != "transfer_to_secondary") & (kind != "denial")]
    settled = decided.groupby("claim")["amount_cents"].sum()
    assert (settled <= sent.reindex(settled.index, fill_value=0)).all()
    closed = claims.index[(claims["open_reason"].astype(str) != "awaiting_secondary")]
    done = sent.index.intersection(closed)
    assert (settled.reindex(done, fill_value=0) == sent[done]).all()
    no_billing = {p.name for p in scenario.payers if not p.as_secondary.bills_patient}
    assert not (own & (kind == "transfer_to_patient") & payer.isin(no_billing)).any()
    assert round(ar_aging(ledger, run.calendar.n_days - 1).to_numpy().sum() * 100) == (
        totals["open_balance"].sum())

    daily = run.daily
    payments = ledger.loc[ledger["kind"].isin(["payer_payment", "patient_payment"]),
                          "amount_cents"].sum()
    assert daily["collections_cents"].sum() == (payments + daily["desk_cash_unposted_cents"].sum()
                                                + daily["desk_deposits_held_cents"].sum())
    start = round(scenario.starting_cash * 100)
    assert (daily["cash_cents"] == start + daily["net_cash_flow_cents"].cumsum()).all()
    assert daily["ar_cents"].iloc[-1] == totals["open_balance"].sum()

    # the accrual view: revenue earned - deductions = payments on the run's claims + their
    # open balances - the contractual allowances still set aside on open claims + unbilled
    allowance = claims["charge_cents"] - claims["expected_cents"].clip(upper=claims["charge_cents"])
    adjusted = totals["contractual_adjustment"] + totals["denial_writeoff"] + totals["bad_debt"]
    set_aside = (allowance - adjusted.reindex(claims.index, fill_value=0)).clip(lower=0)
    set_aside = set_aside[claims["open_balance_cents"] > 0].sum()
    unbilled = daily["unbilled_revenue_cents"].sum()
    assert unbilled >= 0
    assert daily["revenue_earned_cents"].sum() == (
        claims["expected_cents"].clip(upper=claims["charge_cents"]).sum()
        + _released(claims, allowance, adjusted) + unbilled)
    assert (daily["revenue_earned_cents"].sum() - daily["revenue_deductions_cents"].sum()
            == payments + totals["open_balance"].sum() - set_aside + unbilled)
    assert (daily["net_income_cents"] == daily["revenue_earned_cents"]
            - daily["revenue_deductions_cents"] - daily["accrued_costs_cents"]).all()


def _released(claims, allowance, adjusted) -> int:
    """Allowance left on closed claims (paid more than expected): earned when they close."""
    left = (allowance - adjusted.reindex(claims.index, fill_value=0)).clip(lower=0)
    return int(left[claims["open_balance_cents"] == 0].sum())
