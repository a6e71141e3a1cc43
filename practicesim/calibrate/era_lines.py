"""The service lines (SVC, loop 2110) of a simulated remittance: a CLP's payment and adjustments
split over the claim's lines, each line balanced (SVC02 - the line's CAS = SVC03) and the lines
summing to the CLP to the cent.

The TR3 requires the SVC loop on every professional claim payment, with all the adjustments of a
line in its own CAS (X12 RFI 2348, "835 Claim Payment Adjustments"). The simulator prices lines
as its contracts do (``practicesim/contracts.py``), so a paid CLP's amounts are put back on the
lines they came from:

- a line denied on the paid claim (``line_denial``, group CO: held for rework): its charge as
  CO-<reason>; billed to the patient (group PR): CO-45 of its charge less its allowed amount and
  PR-<reason> of its allowed amount;
- a line the payer does not cover: PR-49 of its charge;
- CO-45 of each other line: its charge less its contract's allowed amount;
- the copay (PR-3) on the visit's main line (the first not denied); deductible (PR-1) and
  coinsurance (PR-2) over the cost-shared lines (not preventive) in proportion to what is left
  of them;
- more CO-45 than the contracts' (an underpayment, withheld from what the payer owed) over the
  lines in proportion to what is left of them;
- the payment: what is left of each line.

Any other CLP (a denial, a secondary's, a replacement) is split in proportion to the lines'
charges, group by group, the payment last. A proportional split gives each line the floor of its
share and the cents left over to the largest remainders, never more than is left of the line, so
every line stays balanced and non-negative; an expected split that does not fit what the CLP
holds (a claim re-priced after a rebilling) falls back to the proportional one.
"""

from __future__ import annotations

from collections.abc import Sequence

from practicesim.contracts import NON_COVERED_REASON, allowed
from practicesim.encounter import Line
from practicesim.scenario import Payer

Key = tuple[str, str]
"""A CAS (group, reason), or ``PAID``."""
PAID: Key = ("", "paid")
COPAY: Key = ("PR", "3")
COST_SHARING: tuple[Key, ...] = (("PR", "1"), ("PR", "2"))
CONTRACTUAL: Key = ("CO", "45")
NON_COVERED: Key = ("PR", NON_COVERED_REASON)


def split(charges: Sequence[int], columns: Sequence[tuple[Key, int]],
          expected: dict[Key, list[int]] | None = None,
          eligible: dict[Key, list[bool]] | None = None) -> list[dict[Key, int]]:
    """Per line, its cents of each column (``PAID`` last, taking what is left of each line).

    ``charges``: the lines' charges (cents); ``columns``: (key, total cents) in the order to
    split them, their totals summing to the charges' sum (a key may come twice: its second
    part is split in proportion). ``expected``: per key, the cents each line should get (used
    for its first part, when it fits what is left of each line; a total above the expected
    sum is spread in proportion to what is then left); ``eligible``: per key, the lines that may
    get it (ignored when they have less left than its total)."""
    expected = expected or {}
    eligible = eligible or {}
    left = list(charges)
    out: list[dict[Key, int]] = [{} for _ in charges]
    seen: set[Key] = set()
    for key, total in columns:
        if key == PAID:
            continue
        shares = _expected(left, total, None if key in seen else expected.get(key))
        seen.add(key)
        if shares is None:
            mask = eligible.get(key)
            room = [x if mask is None or mask[i] else 0 for i, x in enumerate(left)]
            if sum(room) < total:
                room = left
            shares = proportional(total, room)
        for i, cents in enumerate(shares):
            if cents:
                out[i][key] = out[i].get(key, 0) + cents
                left[i] -= cents
    paid = dict(columns).get(PAID, 0)
    if sum(left) != paid:
        raise ValueError(f"the columns {list(columns)} do not sum to the charges {charges}")
    for i, cents in enumerate(left):
        out[i][PAID] = cents
    return out


def _expected(left: list[int], total: int, wanted: list[int] | None) -> list[int] | None:
    """``wanted`` capped by what is left of each line, plus any rest of ``total`` spread in
    proportion to what is then left; None when there is no ``wanted`` or it exceeds
    ``total``."""
    if wanted is None:
        return None
    capped = [min(w, x) for w, x in zip(wanted, left, strict=True)]
    rest = total - sum(capped)
    if rest < 0:
        return None
    room = [x - c for x, c in zip(left, capped, strict=True)]
    if sum(room) < rest:
        return None
    extra = proportional(rest, room)
    return [c + e for c, e in zip(capped, extra, strict=True)]


def proportional(total: int, room: Sequence[int]) -> list[int]:
    """``total`` cents over lines in proportion to ``room`` (each at most its room; ``total``
    <= the sum of ``room``): floors first, then a cent each to the largest remainders."""
    whole = sum(room)
    if total == 0 or whole == 0:
        return [0] * len(room)
    floors = [total * r // whole for r in room]
    order = sorted(range(len(room)), key=lambda i: (-(total * room[i] % whole), i))
    for i in order[:total - sum(floors)]:
        floors[i] += 1
    return floors


def paid_claim_lines(lines: Sequence[Line], columns: Sequence[tuple[Key, int]], payer: Payer,
                     npp: bool, denied_line: int = -1, denial: Key | None = None,
                     video: bool = False) -> list[dict[Key, int]]:
    """The split of a primary's paid CLP over the claim's ``lines`` (module docstring):
    ``payer``'s contract, ``npp`` its provider bills as an NPP; ``denied_line`` the index of a
    line denied on it with ``denial`` (group, reason); ``video``: a video visit (its payer's
    ``telehealth_pct``)."""
    contracts = [allowed(payer, npp, (line,), line.charge_cents, line.medicare_cents,
                         video=video) for line in lines]
    n = len(lines)
    contractual = [0] * n
    non_covered = [0] * n
    for i, (line, terms) in enumerate(zip(lines, contracts, strict=True)):
        if terms.non_covered:
            non_covered[i] = line.charge_cents
        elif i != denied_line or (denial is not None and denial[0] == "PR"):
            contractual[i] = line.charge_cents - terms.allowed
    totals = dict(columns)
    copay = [0] * n
    copay[next((i for i in range(n) if i != denied_line), 0)] = totals.get(COPAY, 0)
    expected = {CONTRACTUAL: contractual, NON_COVERED: non_covered, COPAY: copay}
    shared = [bool(t.cost_shared) and i != denied_line for i, t in enumerate(contracts)]
    eligible = {key: shared for key in COST_SHARING}
    if denial is not None and 0 <= denied_line < n:
        held = [0] * n
        held[denied_line] = (lines[denied_line].charge_cents if denial[0] == "CO"
                             else contracts[denied_line].allowed)
        expected[denial] = held
    # the contract's CO-45 first, the patient's shares, then what the payer withheld beyond
    # the contract (an underpayment: taken from what it owed, not from the patient's part)
    contract_part = min(totals.get(CONTRACTUAL, 0), sum(contractual))
    withheld = totals.get(CONTRACTUAL, 0) - contract_part
    first = [denial] if denial is not None else []
    ordered = [(key, totals[key]) for key in [*first, NON_COVERED] if key in totals]
    if CONTRACTUAL in totals:
        ordered.append((CONTRACTUAL, contract_part))
    ordered += [(key, totals[key]) for key in (COPAY, *COST_SHARING) if key in totals]
    if withheld:
        ordered.append((CONTRACTUAL, withheld))
    order = {*first, NON_COVERED, CONTRACTUAL, COPAY, *COST_SHARING}
    ordered += [(key, cents) for key, cents in columns if key not in order]
    return split([line.charge_cents for line in lines], ordered, expected, eligible)
