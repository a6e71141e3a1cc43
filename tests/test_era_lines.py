"""A remittance's amounts split over the claim's service lines (practicesim.calibrate.era_lines):
hand-calculated splits of a paid claim, and, over random claims, every line balanced and the
lines summing to the claim (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from practicesim.calibrate.era_lines import (
    CONTRACTUAL,
    COPAY,
    PAID,
    paid_claim_lines,
    proportional,
    split,
)
from practicesim.encounter import Line
from practicesim.scenario import load_scenario
from tests.conftest import BASELINE

SCENARIO = load_scenario(BASELINE)
COMMERCIAL = next(p for p in SCENARIO.payers if p.name == "commercial_a")
MEDICARE = next(p for p in SCENARIO.payers if p.name == "medicare")


def test_proportional_gives_floors_then_the_largest_remainders():
    assert proportional(10, [1, 1, 1]) == [4, 3, 3]
    assert proportional(7, [10, 0, 4]) == [5, 0, 2]
    assert proportional(0, [5, 5]) == [0, 0]
    assert proportional(14, [10, 0, 4]) == [10, 0, 4]


def test_a_paid_claim_puts_each_amount_on_its_line():
    """99213 $150 (allowed $100) with a 36415 add-on $20 (allowed $8): CO-45 $50 and $12,
    the $30 copay on the main line, coinsurance $15.60 split 100:8 over what is left of them
    ($70 and $8), the rest paid."""
    lines = (Line("99213", 1, 15_000, 10_000, False), Line("36415", 1, 2_000, 800, False))
    payer = COMMERCIAL.model_copy(update={"fee_table": {"99213": 100.0, "36415": 8.0}})
    columns = [(CONTRACTUAL, 6_200), (COPAY, 3_000), (("PR", "2"), 1_560),
               (PAID, 15_000 + 2_000 - 6_200 - 3_000 - 1_560)]
    main, add_on = paid_claim_lines(lines, columns, payer, npp=False)
    assert main == {CONTRACTUAL: 5_000, COPAY: 3_000, ("PR", "2"): 1_400, PAID: 5_600}
    assert add_on == {CONTRACTUAL: 1_200, ("PR", "2"): 160, PAID: 640}


def test_an_underpayment_and_a_held_line_go_where_they_belong():
    """The add-on denied CO-97 (its charge held) and $10 more withheld than the contract's
    CO-45: the held line gets its charge as CO-97 and nothing else; the underpayment falls on
    the main line, the only one with room."""
    lines = (Line("99213", 1, 15_000, 10_000, False), Line("36415", 1, 2_000, 800, False))
    payer = COMMERCIAL.model_copy(update={"fee_table": {"99213": 100.0, "36415": 8.0}})
    columns = [(("CO", "97"), 2_000), (CONTRACTUAL, 5_000 + 1_000), (COPAY, 3_000),
               (PAID, 15_000 - 6_000 - 3_000)]
    main, add_on = paid_claim_lines(lines, columns, payer, npp=False, denied_line=1,
                                    denial=("CO", "97"))
    assert add_on == {("CO", "97"): 2_000, PAID: 0}
    assert main == {CONTRACTUAL: 6_000, COPAY: 3_000, PAID: 6_000}


def test_a_non_covered_preventive_line_is_the_patients():
    """Medicare does not cover 99396: its whole charge PR-49 on its line; the covered line
    keeps its CO-45 at Medicare's fee."""
    exam = SCENARIO.fee_schedule["99396"]
    lines = (Line("99396", 1, round(exam.charge * 100), round(exam.medicare_allowed * 100), True),
             Line("36415", 1, 2_000, 300, False))
    columns = [(("PR", "49"), lines[0].charge_cents), (CONTRACTUAL, 1_700), (("PR", "2"), 60),
               (PAID, 240)]
    exam_line, lab = paid_claim_lines(lines, columns, MEDICARE, npp=False)
    assert exam_line == {("PR", "49"): lines[0].charge_cents, PAID: 0}
    assert lab == {CONTRACTUAL: 1_700, ("PR", "2"): 60, PAID: 240}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 50_000), min_size=1, max_size=5), st.data())
def test_every_split_balances_each_line_and_the_claim(charges, data):
    total = sum(charges)
    keys = [("CO", "45"), ("PR", "1"), ("PR", "2"), ("PR", "3"), ("OA", "23"), ("CO", "16")]
    cuts = sorted(data.draw(st.lists(st.integers(0, total), min_size=len(keys),
                                     max_size=len(keys))))
    amounts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=False)]
    columns = [*zip(keys, amounts[:-1], strict=True), (PAID, amounts[-1])]
    expected = {keys[0]: [data.draw(st.integers(0, c)) for c in charges]}
    eligible = {keys[1]: [data.draw(st.booleans()) for _ in charges]}
    out = split(charges, columns, expected, eligible)
    for charge, line in zip(charges, out, strict=True):
        assert sum(line.values()) == charge and min(line.values()) >= 0
    for key, cents in columns:
        assert sum(line.get(key, 0) for line in out) == cents


def test_a_deductible_stays_on_the_cost_shared_line_when_the_payer_underpays():
    """99214 $200 (allowed $120, all to the deductible) and the preventive 90471 $30 (allowed
    $20, no cost sharing): a $5 underpayment comes out of what the payer owed, the preventive
    line's $20, never out of the deductible."""
    lines = (Line("99214", 1, 20_000, 12_000, False), Line("90471", 1, 3_000, 2_000, True))
    payer = COMMERCIAL.model_copy(update={"fee_table": {"99214": 120.0, "90471": 20.0}})
    columns = [(CONTRACTUAL, 8_000 + 1_000 + 500), (("PR", "1"), 12_000), (PAID, 1_500)]
    visit, vaccine = paid_claim_lines(lines, columns, payer, npp=False)
    assert visit == {CONTRACTUAL: 8_000, ("PR", "1"): 12_000, PAID: 0}
    assert vaccine == {CONTRACTUAL: 1_500, PAID: 1_500}


def test_the_copay_goes_to_the_first_line_not_denied():
    lines = (Line("99213", 1, 15_000, 10_000, False), Line("99212", 1, 9_000, 6_000, False))
    payer = COMMERCIAL.model_copy(update={"fee_table": {"99213": 100.0, "99212": 60.0}})
    columns = [(("CO", "97"), 15_000), (CONTRACTUAL, 3_000), (COPAY, 3_000), (PAID, 3_000)]
    held, paid = paid_claim_lines(lines, columns, payer, npp=False, denied_line=0,
                                  denial=("CO", "97"))
    assert held == {("CO", "97"): 15_000, PAID: 0}
    assert paid == {CONTRACTUAL: 3_000, COPAY: 3_000, PAID: 3_000}
