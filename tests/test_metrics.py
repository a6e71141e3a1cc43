"""KPI formulas on small hand-made ledgers whose answers are worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from practicesim import metrics
from practicesim.ledger import balance_violations, ledger_frame


def ledger(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (day, claim, service_day, payer, kind, cents, group, reason)."""
    cols = ("day", "claim", "service_day", "payer", "kind", "amount_cents", "carc_group",
            "carc_reason")
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    data["patient"] = [1] * len(rows)
    return ledger_frame(data)


# claim 1: charged 200 on day 0, submitted, paid 80 + 20 to patient, 100 contractual, day 20
# claim 2: charged 100 on day 10, submitted, denied day 30, still open
# claim 3: charged 300 on day 60, open
BOOK = ledger([
    (0, 1, 0, "medicare", "charge", 20000, "", ""),
    (1, 1, 0, "medicare", "submission", 0, "", ""),
    (20, 1, 0, "medicare", "contractual_adjustment", 10000, "CO", "45"),
    (20, 1, 0, "medicare", "transfer_to_patient", 2000, "PR", "2"),
    (20, 1, 0, "medicare", "payer_payment", 8000, "", ""),
    (10, 2, 10, "aetna", "charge", 10000, "", ""),
    (11, 2, 10, "aetna", "submission", 0, "", ""),
    (30, 2, 10, "aetna", "denial", 0, "CO", "16"),
    (60, 3, 60, "aetna", "charge", 30000, "", ""),
]).sort_values("day", kind="stable").reset_index(drop=True)


def test_days_in_ar_is_ending_ar_over_average_daily_charges():
    # day 89: A/R = 20 (patient) + 100 + 300 = 420; charges in days 0..89 = 600 -> 600/90 a day
    assert metrics.ending_ar(BOOK, 89) == pytest.approx(420.0)
    assert metrics.days_in_ar(BOOK, 89) == pytest.approx(420 / (600 / 90))


def test_days_in_ar_uses_the_history_there_is():
    # as of day 20 the ledger has 21 days: charges 200 -> 200/21 a day; A/R = 20 + 100 (claim 2)
    assert metrics.days_in_ar(BOOK, 20) == pytest.approx(120 / (300 / 21))


def test_aging_splits_patient_and_payer_by_days_since_service():
    aging = metrics.ar_aging(BOOK, 89)
    assert aging.loc["patient", ">120"] == 0
    assert aging.loc["patient", "61-90"] == pytest.approx(20.0)
    assert aging.loc["aetna", "61-90"] == pytest.approx(100.0)
    assert aging.loc["aetna", "0-30"] == pytest.approx(300.0)
    assert aging.to_numpy().sum() == pytest.approx(420.0)


def test_initial_denial_rate_by_count_and_dollars():
    assert metrics.initial_denial_rate(BOOK, 0, 90) == pytest.approx(0.5)
    assert metrics.initial_denial_rate(BOOK, 0, 90, dollars=True) == pytest.approx(100 / 300)


def test_collection_rates_on_matured_claims():
    # claims with service day in [0, 101 - 90) = claims 1 and 2; in [0, 10): claim 1 only
    assert metrics.net_collection_rate(BOOK, 0, 101) == pytest.approx(80 / (300 - 100))
    assert metrics.gross_collection_rate(BOOK, 0, 101) == pytest.approx(80 / 300)
    assert metrics.net_collection_rate(BOOK, 0, 100) == pytest.approx(80 / (200 - 100))
    assert math.isnan(metrics.net_collection_rate(BOOK, 50, 100))


def test_denial_writeoff_pct_over_net_revenue():
    book = pd.concat([BOOK, ledger([(40, 2, 10, "aetna", "denial_writeoff", 10000, "CO", "16")])],
                     ignore_index=True)
    assert metrics.denial_writeoff_pct(book, 0, 90) == pytest.approx(100 / (600 - 100))


def test_a_posting_larger_than_the_balance_is_a_violation():
    bad = pd.concat([BOOK, ledger([(70, 3, 60, "aetna", "payer_payment", 40000, "", "")])],
                    ignore_index=True)
    assert balance_violations(BOOK).empty
    assert list(balance_violations(bad)["claim"]) == [3]


def test_no_show_and_late_cancel_rates_exclude_early_cancellations():
    appts = pd.DataFrame({"day": [1, 1, 1, 1, 1], "status": [
        "completed", "completed", "no_show", "late_cancel", "cancelled"]})
    assert metrics.no_show_rate(appts, 0, 5) == pytest.approx(1 / 4)
    assert metrics.late_cancel_rate(appts, 0, 5) == pytest.approx(1 / 4)


def test_clean_claim_and_first_pass_resolution():
    claims = pd.DataFrame({
        "first_attempt_day": [1, 1, 1, 1, 1], "first_adjudication_day": [20, 20, 20, -1, 20],
        "submissions": [1, 2, 1, 1, 1], "clean": [True, False, True, True, True],
        "rejected": [False, True, False, False, False],
        "initial_denial_reason": ["", "", "16", "", ""],
        "line_denial_reason": ["", "", "", "", "97"],
    })
    assert metrics.clean_claim_rate(claims, 0, 30) == pytest.approx(4 / 5)
    # a claim paid but for a denied line is not resolved on its first pass
    assert metrics.first_pass_resolution_rate(claims, 0, 30) == pytest.approx(1 / 4)


def test_cost_to_collect_and_utilization():
    daily = pd.DataFrame({"day": [0, 1], "revenue_cycle_costs_cents": [500, 500],
                          "collections_cents": [10000, 10000]})
    assert metrics.cost_to_collect(daily, 0, 2) == pytest.approx(0.05)
    sessions = pd.DataFrame({"day": [0], "start_minutes": [480.0], "end_minutes": [720.0],
                             "busy_minutes": [180.0]})
    assert metrics.provider_utilization(sessions, 0, 1) == pytest.approx(0.75)


def test_kpis_have_the_required_names(small_run):
    required = {"days_in_ar", "clean_claim_rate", "initial_denial_rate",
                "first_pass_resolution_rate", "net_collection_rate", "gross_collection_rate",
                "denial_writeoff_pct", "cost_to_collect", "no_show_rate", "provider_utilization",
                "mean_lead_time_days", "mean_patient_wait_minutes", "visits_completed",
                "charges", "collections", "ending_ar", "ending_cash"}
    kpis = small_run.kpis()
    assert required <= set(kpis.index)
    assert kpis.notna().all(), kpis[kpis.isna()]


def test_ar_over_90_by_who_owes_it():
    # day 100: claim 1's 20 (patient) and claim 2's 100 (aetna) are 100 and 90 days old; claim
    # 3's 300 is 40 days old. Over 90 days: only claim 1's patient part.
    aging = metrics.ar_aging(BOOK, 100)
    assert metrics.ar_over_90_pct(aging) == pytest.approx(20 / 420)
    assert metrics.ar_over_90_pct(aging, "patient") == pytest.approx(1.0)
    assert metrics.ar_over_90_pct(aging, "insurance") == pytest.approx(0.0)
    # day 101: claim 2 is 91 days old too
    assert metrics.ar_over_90_pct(metrics.ar_aging(BOOK, 101), "insurance") == pytest.approx(
        100 / 400)


RECOVERY = ledger([
    (0, 1, 0, "aetna", "charge", 10000, "", ""),
    (1, 1, 0, "aetna", "submission", 0, "", ""),
    (20, 1, 0, "aetna", "denial", 0, "CO", "16"),
    (30, 1, 0, "aetna", "submission", 0, "", ""),
    (50, 1, 0, "aetna", "contractual_adjustment", 4000, "CO", "45"),
    (50, 1, 0, "aetna", "payer_payment", 6000, "", ""),
    (0, 2, 0, "aetna", "charge", 30000, "", ""),
    (1, 2, 0, "aetna", "submission", 0, "", ""),
    (20, 2, 0, "aetna", "denial", 0, "CO", "96"),
    (21, 2, 0, "aetna", "denial_writeoff", 30000, "CO", "96"),
    (0, 3, 0, "self", "charge", 20000, "", ""),
    (0, 3, 0, "self", "contractual_adjustment", 9000, "", ""),
    (0, 3, 0, "self", "transfer_to_patient", 11000, "", ""),
    (40, 3, 0, "self", "patient_payment", 3000, "", ""),
    (150, 3, 0, "self", "bad_debt", 8000, "", ""),
]).sort_values("day", kind="stable").reset_index(drop=True)


def test_denied_dollars_recovered_weighs_denied_claims_by_charge():
    # claims 1 (100, paid after a correction) and 2 (300, written off) first denied on day 20
    assert metrics.denied_dollars_recovered_pct(RECOVERY, 0, 200) == pytest.approx(100 / 400)
    assert math.isnan(metrics.denied_dollars_recovered_pct(RECOVERY, 0, 100)), "not matured"


def test_bad_debt_and_patient_collection_rates():
    # net revenue in days 0-200: 600 - 130 = 470; bad debt 80
    assert metrics.bad_debt_pct(RECOVERY, 0, 200) == pytest.approx(80 / 470)
    assert metrics.patient_collection_rate(RECOVERY, 0, 200) == pytest.approx(30 / 110)
    assert metrics.patient_collection_rate(RECOVERY, 0, 200, {"self"}) == pytest.approx(30 / 110)
    assert math.isnan(metrics.patient_collection_rate(RECOVERY, 0, 200, {"aetna"}))
