"""Payers' contracts: what a payer allows for a claim's lines, and which part of it the patient
shares.

A claim's lines are codes of the fee schedule with their units (``Line``). A payer allows for a
line (cents, rounded per line):

- nothing if the code is in its ``non_covered`` list: the patient owes the line's charge
  (PR-49: Medicare does not cover routine physicals 99381-99397);
- else its ``fee_table`` dollars for the code per unit if listed, else the code's Medicare
  allowed amount x ``allowed_pct_of_medicare``; times ``npp_pct`` when the claim's provider is
  a nurse practitioner or physician assistant billing under their own NPI (``providers[].npp``;
  Medicare 85%); times ``telehealth_pct`` for a video visit with the patient at home
  (``visit_types[].telehealth``; 1 under payment parity); at most the line's charge.

Copay, deductible and coinsurance apply to the allowed amount of the lines that are not
preventive (``fee_schedule[code].preventive``), unless the payer's plans charge cost sharing on
preventive care (``preventive_cost_sharing``: grandfathered plans); the copay is due only when
the visit's main line (its first) is cost-shared. A claim whose lines are not known (a warm
start's) is one cost-shared line with its charge and Medicare allowed amount.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from practicesim.encounter import Line
from practicesim.finance import cents
from practicesim.scenario import Payer, Scenario

NON_COVERED_REASON = "49"
"""CARC 49: a non-covered routine or preventive exam (group PR)."""


class Allowed(NamedTuple):
    """What a payer's contract makes of a claim (cents)."""

    allowed: int
    """Allowed for the covered lines."""
    cost_shared: int
    """The part of ``allowed`` subject to copay, deductible and coinsurance."""
    copay_due: bool
    """The visit's main line is cost-shared (a copay is due)."""
    non_covered: int
    """Charges of the lines the payer does not cover: the patient's (PR-49)."""


def line_of(scenario: Scenario, code: str, units: int, coded: str = "") -> Line:
    """The line billing ``units`` of ``code`` at the scenario's fee schedule (``coded``: the
    code it stands in for)."""
    fee = scenario.fee_schedule[code]
    return Line(code, units, units * cents(fee.charge),
                units * cents(fee.medicare_in(scenario.locality)), fee.preventive, coded)


def rebilled_lines(scenario: Scenario, payer: Payer, lines: tuple[Line, ...]
                   ) -> tuple[Line, ...]:
    """A claim's lines as billed to another ``payer`` (an eligibility denial's right payer):
    each coded code with that payer's substitute, if any, at the line's charge (a corrected
    claim changes codes, not the amount charged)."""
    out = []
    for line in lines:
        coded = line.coded or line.code
        code = payer.substitutes.get(coded, coded)
        if code == line.code:
            out.append(line)
            continue
        fee = scenario.fee_schedule[code]
        out.append(Line(code, line.units, line.charge_cents,
                        line.units * cents(fee.medicare_in(scenario.locality)), fee.preventive,
                        coded if code != coded else ""))
    return tuple(out)


_MEMO_PAYERS = 64
"""Payer objects ``allowed`` keeps results for (a run uses a handful; a sweep's runs each their
own, so the memo is emptied when it holds more)."""
_memo: dict[int, tuple[Payer, dict[tuple[bool, bool, tuple[Line, ...]], Allowed]]] = {}
"""``id(payer)`` -> (the payer, its results by (npp, video, lines)): a claim's allowed amount is
asked for at the desk and again at the remittance."""


def allowed(payer: Payer, npp: bool, lines: tuple[Line, ...], charge_cents: int,
            medicare_cents: int, skip: Collection[str] = (), video: bool = False) -> Allowed:
    """The payer's allowed amount for a claim's ``lines`` (see the module's rules); ``npp``: its
    provider bills as a nurse practitioner or physician assistant; ``video``: a video visit
    (place of service 10); lines of the codes in
    ``skip`` are left out (a secondary's allowed amount for the lines its primary covered).
    Without lines: one cost-shared line of ``charge_cents`` with ``medicare_cents``.

    With lines and nothing to skip the result depends on the payer, ``npp``, ``video`` and the
    lines alone, and is remembered per payer object (scenarios are frozen, so a payer's terms never
    change under the same object)."""
    if skip or not lines:
        return _allowed(payer, npp, lines, charge_cents, medicare_cents, skip, video)
    entry = _memo.get(id(payer))
    if entry is None or entry[0] is not payer:
        if len(_memo) >= _MEMO_PAYERS:
            _memo.clear()
        entry = _memo[id(payer)] = (payer, {})
    results = entry[1]
    key = (npp, video, lines)
    result = results.get(key)
    if result is None:
        result = results[key] = _allowed(payer, npp, lines, charge_cents, medicare_cents, skip,
                                         video)
    return result


def _allowed(payer: Payer, npp: bool, lines: tuple[Line, ...], charge_cents: int,
             medicare_cents: int, skip: Collection[str], video: bool = False) -> Allowed:
    """``allowed`` computed line by line."""
    share = (payer.npp_pct if npp else 1.0) * (payer.telehealth_pct if video else 1.0)
    factor = payer.allowed_pct_of_medicare * share
    if not lines:
        amount = min(charge_cents, round(medicare_cents * factor))
        return Allowed(amount, amount, True, 0)
    total = shared = non_covered = 0
    copay_due = False
    for k, line in enumerate(lines):
        if line.code in skip:
            continue
        if line.code in payer.non_covered:
            non_covered += line.charge_cents
            continue
        table = payer.fee_table.get(line.code)
        if table is None:
            amount = round(line.medicare_cents * factor)
        else:
            amount = round(line.units * cents(table) * share)
        amount = min(line.charge_cents, amount)
        total += amount
        if payer.preventive_cost_sharing or not line.preventive:
            shared += amount
            copay_due = copay_due or k == 0
    return Allowed(total, shared, copay_due, non_covered)
