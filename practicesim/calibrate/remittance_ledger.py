"""The simulator's ledger from a set of 835s (``Remittances.ledger`` and
``Remittances.ledger_exclusions``, practicesim.calibrate.remittance): each claim's CAS
adjustments summed by group and reason and posted by kind (``ledger_kind``), reversals matched
with the payments they reverse, and the claims that cannot be posted left out with the reason.
Amounts are integer cents (docs/x12.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from practicesim import ledger as lg
from practicesim.calibrate.remittance_tables import EXCLUSIONS, table_frame

CONTRACTUAL_REASONS = frozenset({
    "23", "24", "42", "44", "45", "59", "89", "94", "102", "103", "104", "118", "131", "132",
    "137", "144", "161", "172", "186", "223", "232", "237", "245", "253", "A2", "A7", "B10",
    "B22",
})
"""CARCs that price the claim (fee schedule, contract, prior payer, capitation, discounts,
sequestration, multiple-procedure rules, withholds, bonuses): with group CO, OA, PI or CR they
post as ``contractual_adjustment``. Every other CO/OA/PI/CR reason is a denial (docs/x12.md)."""

REVERSAL = "22"
"""CLP02 status of a reversal of a previous payment (its amounts are the original's, negated)."""
PREDETERMINATION = "25"
"""CLP02 status of a predetermination: pricing only, no payment (left out of the ledger)."""
DENIED = "4"
"""CLP02 status of a denied claim."""
PRIOR_PAYER = "23"
"""CARC of a secondary's adjustment for what the prior payer settled."""


def ledger(claims: pd.DataFrame, adjustments: pd.DataFrame, origin: dt.date,
           payer_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``Remittances.ledger``: the ledger of ``claims`` and their ``adjustments`` (the
    ``Remittances`` tables)."""
    names = _payer_renamer(claims["payer_name"], payer_names)
    postings, _ = _plan(claims, adjustments)
    rows: list[dict] = []
    for claim in claims.itertuples(index=False):
        if claim.claim_row in postings:
            rows.extend(_ledger_rows(claim, postings[claim.claim_row], origin, names))
    frame = pd.DataFrame(rows, columns=[*lg.COLUMNS, "order"])
    frame = frame.sort_values(["day", "claim", "order"], kind="stable")
    return lg.ledger_frame({c: frame[c].to_numpy() for c in lg.COLUMNS})


def ledger_exclusions(claims: pd.DataFrame, adjustments: pd.DataFrame) -> pd.DataFrame:
    """``Remittances.ledger_exclusions``: the claims that ``ledger`` leaves out, with the
    reason (claim_row, file, claim, reason)."""
    _, reasons = _plan(claims, adjustments)
    rows = claims[claims["claim_row"].isin(list(reasons))]
    return table_frame([{"claim_row": r.claim_row, "file": r.file, "claim": r.claim,
                         "reason": reasons[r.claim_row]} for r in rows.itertuples(index=False)],
                       EXCLUSIONS)


def ledger_kind(group: str, reason: str) -> str:
    """The ledger kind of a CAS adjustment: PR -> ``transfer_to_patient``; CO, OA, PI, CR with
    a reason in ``CONTRACTUAL_REASONS`` -> ``contractual_adjustment``; any other ->
    ``denial_writeoff`` (posted with a ``denial`` event)."""
    if group == "PR":
        return lg.TRANSFER
    return lg.CONTRACTUAL if reason in CONTRACTUAL_REASONS else lg.DENIAL_WRITEOFF


Posting = tuple[str, int, str, str]
"""(ledger kind, cents >= 0, CARC group, CARC reason)."""


def _postings(claim: Any, net: list[tuple[str, str, int]]) -> list[Posting] | str:
    """The ledger postings of ``claim`` (a ``claims`` row, from ``itertuples``) after its
    ``charge`` and ``submission``: denial events first (``line_denial`` with the denied
    amount on a claim the payer otherwise adjudicated), then its adjustments (``net``: summed by
    group and reason, in order of first appearance; negatives netted) by kind, then the payer's
    payment; or why it cannot be posted."""
    by_kind: dict[str, list[list]] = {lg.CONTRACTUAL: [], lg.TRANSFER: [],
                                      lg.DENIAL_WRITEOFF: []}
    for group, reason, cents in net:
        by_kind[ledger_kind(group, reason)].append([int(cents), group, reason])
    for kind, entries in by_kind.items():
        if not _net_negatives(entries):
            return f"its {kind} adjustments sum to less than zero"
    paid = int(claim.paid_cents)
    reducing = paid + sum(c for k in (lg.CONTRACTUAL, lg.DENIAL_WRITEOFF)
                          for c, _, _ in by_kind[k])
    if reducing > claim.charge_cents:
        return "its payment and adjustments exceed its charge"
    # a claim the payer did not deny (CLP02 not 4) and otherwise adjudicated (paid, priced or
    # left to the patient; a secondary's OA-23, what the prior payer settled, is not its own
    # pricing) had lines denied: line denials with their amounts; else the claim was denied
    partly = str(claim.status) != DENIED and (paid > 0 or any(
        c > 0 for k in (lg.CONTRACTUAL, lg.TRANSFER) for c, _, r in by_kind[k]
        if r != PRIOR_PAYER))
    postings: list[Posting] = [(lg.LINE_DENIAL, c, g, r) if partly else (lg.DENIAL, 0, g, r)
                               for c, g, r in by_kind[lg.DENIAL_WRITEOFF]]
    for kind in (lg.CONTRACTUAL, lg.TRANSFER, lg.DENIAL_WRITEOFF):
        postings += [(kind, c, g, r) for c, g, r in by_kind[kind]]
    if paid:
        postings.append((lg.PAYER_PAYMENT, paid, "", ""))
    return postings


def _net_negatives(entries: list[list]) -> bool:
    """Net negative amounts (e.g. OA-94 -9.00) against the positive ones of the same kind,
    largest first, in place: a negative entry keeps its code with 0 cents. False when the
    positive ones do not cover them."""
    owed = -sum(e[0] for e in entries if e[0] < 0)
    for entry in entries:
        entry[0] = max(entry[0], 0)
    for entry in sorted(entries, key=lambda e: -e[0]):
        take = min(owed, entry[0])
        entry[0] -= take
        owed -= take
    return owed == 0


def _ledger_rows(c: Any, postings: list[Posting], origin: dt.date,
                 names: Callable[[str], str]) -> list[dict]:
    """The ledger rows of ``c`` (a ``claims`` row), with an ``order`` for sorting in a day."""
    paid_day = _day(c.payment_date, origin)
    received, service = c.received_date, c.service_date
    if not pd.isna(received):
        billed_day = min(paid_day, _day(received, origin))
    elif not pd.isna(service):
        billed_day = min(paid_day, _day(service, origin))
    else:
        billed_day = paid_day
    head = {"claim": c.claim_row, "patient": c.patient, "payer": names(c.payer_name),
            "service_day": billed_day if pd.isna(service) else _day(service, origin)}
    first = [(lg.CHARGE, int(c.charge_cents), "", ""), (lg.SUBMISSION, 0, "", "")]
    rows = [{**head, "day": billed_day, "kind": k, "amount_cents": cents, "carc_group": g,
             "carc_reason": r, "order": i} for i, (k, cents, g, r) in enumerate(first)]
    rows += [{**head, "day": paid_day, "kind": k, "amount_cents": cents, "carc_group": g,
              "carc_reason": r, "order": 2 + i} for i, (k, cents, g, r) in enumerate(postings)]
    return rows


def _day(date: pd.Timestamp, origin: dt.date) -> int:
    return int((pd.Timestamp(date).normalize() - pd.Timestamp(origin)).days)


def _payer_renamer(payers: pd.Series, mapping: Mapping[str, str] | None,
                   ) -> Callable[[str], str]:
    if mapping is None:
        return str
    missing = sorted(set(payers) - set(mapping))
    if missing:
        raise ValueError(f"payer_names does not name the payers {missing}")
    return lambda name: mapping[name]


def _plan(claims: pd.DataFrame, adjustments: pd.DataFrame,
          ) -> tuple[dict[int, list[Posting]], dict[int, str]]:
    """Per claim_row: its postings, or why the ledger leaves the claim out."""
    reasons = _reversal_reasons(claims)
    summed = adjustments.groupby(["claim_row", "group", "reason"], sort=False)[
        "amount_cents"].sum()
    by_claim: dict[int, list[tuple[str, str, int]]] = {}
    for (row, group, reason), cents in summed.items():
        by_claim.setdefault(int(row), []).append((group, reason, int(cents)))
    postings: dict[int, list[Posting]] = {}
    for claim in claims.itertuples(index=False):
        row = int(claim.claim_row)
        if row in reasons:
            continue
        if claim.status == PREDETERMINATION:
            reasons[row] = "predetermination (CLP02 = 25): pricing only, no payment"
            continue
        if claim.charge_cents < 0 or claim.paid_cents < 0:
            reasons[row] = "negative charge or payment outside a reversal"
            continue
        planned = _postings(claim, by_claim.get(row, []))
        if isinstance(planned, str):
            reasons[row] = planned
        else:
            postings[row] = planned
    return postings, reasons


def _reversal_reasons(claims: pd.DataFrame) -> dict[int, str]:
    """Reversals (CLP02 = 22) and the claims they reverse: the latest earlier claim of the same
    claim number and payer with the amounts negated; a reversal without one in the files read
    is left out too."""
    reasons: dict[int, str] = {}
    ordered = claims.sort_values(["payment_date", "claim_row"], kind="stable")
    for position, r in enumerate(ordered.itertuples(index=False)):
        if r.status != REVERSAL:
            continue
        earlier = ordered.iloc[:position]
        match = earlier[(earlier["claim"] == r.claim) & (earlier["payer_name"] == r.payer_name)
                        & (earlier["status"] != REVERSAL)
                        & (earlier["charge_cents"] == -r.charge_cents)
                        & (earlier["paid_cents"] == -r.paid_cents)
                        & ~earlier["claim_row"].isin(list(reasons))]
        if match.empty:
            reasons[r.claim_row] = "reversal (CLP02 = 22) of a claim not in the files read"
            continue
        original = int(match["claim_row"].iloc[-1])
        reasons[r.claim_row] = f"reversal (CLP02 = 22) of claim_row {original}"
        reasons[original] = f"reversed by claim_row {r.claim_row}"
    return reasons
