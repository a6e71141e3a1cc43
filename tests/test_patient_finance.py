"""Patient finance: deductible plans (accumulators per patient and calendar year), the desk's
estimate and its refunds, financial assistance.

Hand calculations, exact to the cent, on short runs across 1 January in which every Medicare
claim is paid (no denials, no errors, no posting lag) and every Medicare patient is on a
deductible plan ($100 a year, so that a patient's second visit of a year often meets it)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from practicesim import simulate
from practicesim.calendar import PracticeCalendar
from practicesim.deductibles import Deductibles
from practicesim.scenario import DeductiblePlan
from tests.conftest import build

DEDUCTIBLE = 10_000
COINSURANCE = 0.2
CLEAN = {
    "calendar.horizon_days": 45, "calendar.warmup_days": 40,
    "billing.claim_error_rate": 0.0, "billing.clearinghouse_rejection_rate": 0.0,
    "billing.missed_charge_rate": 0.0, "billing.posting_lag_days": 0.0,
    "payers[medicare].denial.rate": 0.0, "payers[medicare].secondary": {},
    "payers[medicare].cost_sharing": {
        "coinsurance": COINSURANCE,
        "deductible_plan": {"share": 1.0, "deductible": DEDUCTIBLE / 100,
                            "coinsurance": COINSURANCE}},
    "scheduling.uncredentialed_policy": "bill_anyway",
    # every line cost-shared: a claim's deductible and coinsurance apply to all it is allowed
    **{f"fee_schedule.{code}.preventive": False for code in ("99395", "99396", "G0439",
                                                              "90471")},
}
ONLY_MEDICARE = {f"payers[{name}].share": 0.0 for name in (
    "medicare_advantage", "commercial_a", "commercial_b", "medicaid", "self_pay")}


def _medicare(run) -> pd.DataFrame:
    """Medicare's paid claims in the order the payer adjudicated them (the order of their
    remittance rows), with their year of service and PR-1 and PR-2 cents; claims rebilled to
    Medicare after another payer's eligibility denial are left out (their codes were chosen for
    the first payer)."""
    ledger = run.ledger[run.ledger["payer"] == "medicare"]
    remitted = ledger[ledger["kind"].isin(["contractual_adjustment", "transfer_to_patient",
                                           "payer_payment"])].drop_duplicates("claim")
    claims = run.claims.set_index("claim").loc[remitted["claim"]].reset_index()
    claims = claims[claims["payer"] == "medicare"].reset_index(drop=True)  # not rebilled ones
    pr = ledger[ledger["kind"] == "transfer_to_patient"]
    for reason in ("1", "2", "3"):
        part = pr[pr["carc_reason"] == reason].groupby("claim")["amount_cents"].sum()
        claims[f"pr{reason}"] = claims["claim"].map(part).fillna(0).astype(int)
    claims["year"] = run.calendar.dates(claims["service_day"]).dt.year.to_numpy()
    return claims


def test_the_deductible_absorbs_each_year_s_first_visits_and_resets_on_1_january():
    """In the payer's order, each claim's PR-1 is what is left of the patient's $100 for its
    year of service (min(allowed, 100 - earlier PR-1 of that patient and year)), and PR-2 is
    20% of the rest: a patient who met the deductible in December owes it again in January."""
    run = simulate(build(CLEAN), seed=3)
    claims = _medicare(run)
    assert set(claims["year"]) == {2026, 2027}
    used: dict[tuple[int, int], int] = {}
    for row in claims.itertuples():
        allowed = int(row.medicare_allowed_cents)
        key = (int(row.patient), int(row.year))
        deductible = min(allowed, DEDUCTIBLE - used.get(key, 0))
        used[key] = used.get(key, 0) + deductible
        assert (row.pr1, row.pr2, row.pr3) == (
            deductible, round((allowed - deductible) * COINSURANCE), 0), row.claim
    met_in_2026 = {p for (p, y), cents in used.items() if y == 2026 and cents == DEDUCTIBLE}
    again = [p for (p, y), cents in used.items() if y == 2027 and p in met_in_2026 and cents]
    assert again, "a patient who met the 2026 deductible owes the 2027 one"


def test_care_elsewhere_is_spent_evenly_through_the_year():
    """What is left of a $283 deductible with $730 a year of care elsewhere: all of it on 1
    January; 283 - 730 x 100/365 = $83 on 11 April 2026 (100 days into the year); nothing on
    2 July 2026 (730 x 182/365 = $364 > $283); the practice's own claims count in their year
    of service only."""
    cal = PracticeCalendar(build({**CLEAN, "calendar.warmup_days": 400}))
    plan = DeductiblePlan(share=1.0, deductible=283, care_elsewhere=730)
    book = Deductibles(cal)
    assert book.remaining(plan, 0, cal.day(dt.date(2027, 1, 1)), 0.5) == 28_300
    assert book.remaining(plan, 0, cal.day(dt.date(2026, 4, 11)), 0.5) == 8_300
    assert book.remaining(plan, 0, cal.day(dt.date(2026, 7, 2)), 0.5) == 0
    book.apply(0, cal.day(dt.date(2026, 12, 30)), 5_000)
    assert book.remaining(plan, 0, cal.day(dt.date(2026, 12, 31)), 0.5) == 0
    assert book.remaining(plan, 1, cal.day(dt.date(2026, 12, 31)), 0.5) == 0
    assert book.remaining(plan, 0, cal.day(dt.date(2027, 1, 1)), 0.5) == 28_300


def test_the_desk_estimate_is_applied_at_the_remittance_and_the_excess_refunded():
    """Point-of-service estimates, every patient (all on Medicare) paying: the deposit of a
    visit is what is left of the deductible as adjudicated before the visit day, then 20% of
    the rest. The deductible left only shrinks between the visit and the remittance, so the
    deposit covers the claim's patient responsibility, which it pays at the remittance (the
    claim closes), and the excess comes back as a refund: the run's refunds are the sum over
    paid claims of deposit - PR, to the cent."""
    run = simulate(build({**CLEAN, **ONLY_MEDICARE,
                          "patient_collections.point_of_service": "estimate",
                          "patient_collections.desk_collection_rate": 1.0,
                          "patient_collections.estimate_collection_rate": 1.0}), seed=3)
    claims = _medicare(run)
    used: dict[tuple[int, int], list[tuple[int, int]]] = {}
    refunds = 0
    for row in claims.itertuples():
        key = (int(row.patient), int(row.year))
        before = sum(cents for day, cents in used.get(key, []) if day < row.service_day)
        allowed = int(row.medicare_allowed_cents)
        estimated = min(allowed, DEDUCTIBLE - before)
        deposit = estimated + round((allowed - estimated) * COINSURANCE)
        owed = row.pr1 + row.pr2
        assert deposit >= owed, "the deductible left only shrinks between visit and remittance"
        refunds += deposit - owed
        assert (row.patient_paid_cents, row.open_balance_cents) == (owed, 0), row.claim
        used.setdefault(key, []).append((int(row.first_adjudication_day), int(row.pr1)))
    assert refunds > 0, "two visits before the first remittance: the second's estimate is high"
    held = run.daily["desk_deposits_held_cents"].sum()
    assert run.daily["refunds_cents"].sum() == refunds
    assert held > 0, "visits of the last days are not adjudicated yet"


def test_a_patient_with_secondary_coverage_is_asked_only_the_copay():
    """With Medigap for everyone, the desk's estimate takes no deposit: no refunds, no
    deposits held."""
    run = simulate(build({**CLEAN, "payers[medicare].secondary": {"medigap": 1.0},
                          "patient_collections.point_of_service": "estimate",
                          "patient_collections.estimate_collection_rate": 1.0, **ONLY_MEDICARE}),
                   seed=3)
    assert run.daily["refunds_cents"].sum() == 0
    assert run.daily["desk_deposits_held_cents"].sum() == 0
    assert (run.ledger["kind"] == "transfer_to_secondary").any()


def test_financial_assistance_is_charity_care_not_bad_debt():
    """Half the self-pay patients qualify for a 60% sliding-fee discount: their claims carry a
    contractual adjustment of round(charge x 0.6) with reason ``charity`` (instead of the 45%
    self-pay discount) and owe the rest; a patient keeps its standing on every visit; the KPI
    ``charity_care`` is the sum of those adjustments."""
    run = simulate(build({**CLEAN, "payers[self_pay].share": 0.3,
                          "payers[self_pay].financial_assistance": {"share": 0.5,
                                                                    "discount": 0.6}}), seed=3)
    ledger, claims = run.ledger, run.claims
    own = claims[claims["payer"] == "self_pay"].set_index("claim")
    adjustments = ledger[(ledger["kind"] == "contractual_adjustment")
                         & ledger["claim"].isin(own.index)].set_index("claim")
    charity = adjustments["carc_reason"] == "charity"
    assisted = own.loc[charity[charity].index]
    others = own.loc[charity[~charity].index]
    assert len(assisted) > 20 and len(others) > 20
    assert (adjustments.loc[assisted.index, "amount_cents"]
            == (assisted["charge_cents"] * 0.6).round().astype(int)).all()
    assert (adjustments.loc[others.index, "amount_cents"]
            == (others["charge_cents"] * 0.45).round().astype(int)).all()
    assert not set(assisted["patient"]) & set(others["patient"])
    start = run.calendar.warmup
    reported = adjustments[charity & (adjustments["day"] >= start)]
    assert run.kpis()["charity_care"] == reported["amount_cents"].sum() / 100


PATIENTS = {**CLEAN, "patient_collections.desk_collection_rate": 0.0,
            "patient_collections.self_pay_desk_rate": 0.0,
            "patient_collections.self_pay_pay_probability_per_statement": None,
            "patient_collections.small_balance_writeoff": 0.0,
            "patient_collections.card_on_file": None,
            "patient_collections.statement_cycle_days": 30}


def _arising(run) -> pd.DataFrame:
    """Per claim with a patient balance: the day it arose (its last transfer to the patient)
    and its amount, with the claim's patient payments and bad debt."""
    ledger = run.ledger
    moved = ledger[ledger["kind"] == "transfer_to_patient"].groupby("claim").agg(
        day=("day", "max"), owed=("amount_cents", "sum"))
    return moved


def test_a_small_balance_is_written_off_the_day_it_arises():
    """Balances of at most $20 (Medicare Advantage's $15 copays among them) are bad debt
    (reason ``small_balance``) on the day they arise, with no statement; every larger one is
    billed."""
    run = simulate(build({**PATIENTS, "patient_collections.small_balance_writeoff": 20.0}),
                   seed=3)
    moved = _arising(run)
    ledger = run.ledger
    small = ledger[(ledger["kind"] == "bad_debt") & (ledger["carc_reason"] == "small_balance")]
    assert len(small) > 20
    assert (small["amount_cents"] <= 2000).all()
    assert (small["day"].to_numpy() == moved.loc[small["claim"], "day"].to_numpy()).all()
    assert (small["amount_cents"].to_numpy() == moved.loc[small["claim"], "owed"].to_numpy()).all()
    billed = moved[(moved["owed"] > 2000) & (moved["day"] < run.calendar.n_days - 1)]
    assert not billed.index.isin(small["claim"]).any()


def test_a_card_on_file_pays_the_balance_after_its_charge_days_unless_declined():
    """Every balance has a card on file, charged 2 days after the balance arises: never
    declined, each balance is paid that day in full and no statement goes out; always
    declined, the path is the statements' (statement costs as without cards)."""
    card = {"share": 1.0, "decline_rate": 0.0, "charge_days": 2}
    insured = {**PATIENTS, "payers[self_pay].share": 0.0}
    run = simulate(build({**insured, "patient_collections.card_on_file": card}), seed=3)
    moved = _arising(run)
    paid = run.ledger[run.ledger["kind"] == "patient_payment"].set_index("claim")
    due = moved[moved["day"] + 2 < run.calendar.n_days]
    assert len(due) > 50
    assert (paid.loc[due.index, "day"].to_numpy() == due["day"].to_numpy() + 2).all()
    assert (paid.loc[due.index, "amount_cents"].to_numpy() == due["owed"].to_numpy()).all()
    assert run.daily["statement_costs_cents"].sum() == 0
    declined = simulate(build({**insured, "patient_collections.card_on_file":
                               {**card, "decline_rate": 1.0}}), seed=3)
    plain = simulate(build(insured), seed=3)
    assert declined.daily["statement_costs_cents"].sum() == (
        plain.daily["statement_costs_cents"].sum())
    assert declined.ledger["amount_cents"].sum() == plain.ledger["amount_cents"].sum()


def test_a_self_pay_balance_is_billed_by_statement_even_with_every_card_on_file():
    """Cards are charged for what an insurer's remittance leaves: a self-pay visit's balance
    (after the desk) goes to statements as without cards."""
    card = {"share": 1.0, "decline_rate": 0.0, "charge_days": 2}
    self_pay = {**PATIENTS, "payers[self_pay].share": 0.3}
    carded = simulate(build({**self_pay, "patient_collections.card_on_file": card}), seed=3)
    plain = simulate(build(self_pay), seed=3)

    def self_pay_rows(run):
        claims = run.claims[run.claims["payer"] == "self_pay"]["claim"]
        rows = run.ledger[run.ledger["claim"].isin(claims)]
        return rows[["day", "kind", "amount_cents"]].reset_index(drop=True)

    assert len(self_pay_rows(plain)) > 100
    pd.testing.assert_frame_equal(self_pay_rows(carded), self_pay_rows(plain))


def test_a_payment_plan_pays_equal_instalments_monthly_or_goes_to_the_agency_at_a_default():
    """No one pays a statement; every balance goes on a 3-month plan after the first statement
    (sent the day after the balance arose): instalments on days +31, +61 and +91, the balance
    split evenly with the odd cents in the first. With default_rate 1 every plan defaults at its
    first instalment, and the balance is placed with the agency that day."""
    plan = {"share": 1.0, "min_balance": 0.0, "months": 3, "default_rate": 0.0}
    base = {**PATIENTS, "calendar.horizon_days": 150,
            "patient_collections.pay_probability_per_statement": [0.0, 0.0],
            "patient_collections.payment_plans": plan}
    run = simulate(build(base), seed=3)
    moved = _arising(run)
    paid = run.ledger[run.ledger["kind"] == "patient_payment"]
    done = moved[moved["day"] + 91 < run.calendar.n_days - 1]
    assert len(done) > 10
    for claim, row in done.iterrows():
        rows = paid[paid["claim"] == claim]
        owed, day = int(row["owed"]), int(row["day"])
        shares = [owed // 3 + owed % 3, owed // 3, owed // 3]
        expected = [(day + 31 + 30 * k, cents) for k, cents in enumerate(shares) if cents]
        assert list(zip(rows["day"], rows["amount_cents"], strict=True)) == expected, claim
    defaulted = simulate(build({**base, "patient_collections.payment_plans":
                                {**plan, "default_rate": 1.0},
                                "patient_collections.agency_recovery_rate": 1.0,
                                "patient_collections.agency_days": 5}), seed=3)
    recovered = defaulted.ledger[defaulted.ledger["kind"] == "patient_payment"]
    moved = _arising(defaulted)
    first = recovered.drop_duplicates("claim").set_index("claim")
    assert len(first) > 10
    assert (first["day"].to_numpy() == moved.loc[first.index, "day"].to_numpy() + 31 + 5).all()
    assert (first["amount_cents"].to_numpy() == moved.loc[first.index, "owed"].to_numpy()).all()


def test_a_deposit_on_a_claim_written_off_is_refunded():
    """Every Medicare claim is denied and, with no biller, written off when its appeal window
    closes: each deposit (no claim is ever paid, so the whole $100 is left at every visit:
    min(allowed, 100) + 20% of the rest) comes back as a refund, to the cent."""
    run = simulate(build({**CLEAN, **ONLY_MEDICARE,
                          "payers[medicare].denial.rate": 1.0,
                          "billing.line_level_reasons": [],  # whole claims denied
                          "payers[medicare].appeal_window_days": 5,
                          "staff.billers.count": 0,
                          "patient_collections.point_of_service": "estimate",
                          "patient_collections.desk_collection_rate": 1.0,
                          "patient_collections.estimate_collection_rate": 1.0}), seed=3)
    claims = run.claims
    written = claims[claims["written_off_cents"] == claims["charge_cents"]]
    assert len(written) > 20
    allowed = written["medicare_allowed_cents"]
    deductible = allowed.clip(upper=DEDUCTIBLE)
    deposits = deductible + ((allowed - deductible) * COINSURANCE).round().astype(int)
    assert run.daily["refunds_cents"].sum() == deposits.sum()
    assert (claims.loc[claims["open_balance_cents"] > 0, "deposit_held_cents"] > 0).any()
    assert (claims.loc[claims["open_balance_cents"] == 0, "deposit_held_cents"] == 0).all()
