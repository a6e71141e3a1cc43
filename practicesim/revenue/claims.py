"""Claims and the accounts they are posted to.

A ``Claim`` is one visit's bill. ``Accounts`` posts every transaction both to the ledger and to
the claim's running balances, and refuses any posting that would make a balance negative, so the
ledger identity (charge = payments + adjustments + write-offs + open balance) holds exactly, in
integer cents, at every moment of a run.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicesim import ledger as lg
from practicesim.contracts import NON_COVERED_REASON
from practicesim.encounter import Encounter, Line
from practicesim.ledger import Interned
from practicesim.scenario.billing import MAX_INSTALMENTS, MAX_LEVELS

# Where an open claim is; the reason an unresolved claim is still open at the end of a run.
CODING = "awaiting_coding"
SUBMISSION = "awaiting_submission"
HELD = "held_for_credentialing"
AT_PAYER = "awaiting_payer"
AT_SECONDARY = "awaiting_secondary"
DENIED = "in_denial_queue"
APPEAL = "in_appeal"
PATIENT = "patient_balance"
AGENCY = "at_collection_agency"
CLOSED = "closed"

TIMELY_FILING = "29"
"""CARC 29: the time limit for filing has expired (a claim, or its correction, sent late)."""


# A claim's own uniform draws (``Claim.u``), keyed by its visit's identity (``Streams.keyed``,
# purpose "claim") when its charge is entered: what happens to one claim, or how visits before
# it were booked, does not shift the random numbers of any other (common random numbers by claim).
U_ERROR, U_CATCH, U_REJECT, U_DENY, U_REASON, U_DEDUCTIBLE, U_AGENCY, U_AGENCY_DAYS = range(8)
U_RESUBMITTED = 8
"""Resubmission k (0, 1) uses ``u[U_RESUBMITTED + 3k + j]``: j = 0 denied again?, 1 payer lag,
2 posting lag."""
U_APPEALS = 14
"""Appeal k (0, 1) uses ``u[U_APPEALS + 2k]`` (won?) and ``u[U_APPEALS + 2k + 1]`` (days)."""
U_STATEMENTS = 18
"""Statement i uses ``u[U_STATEMENTS + 2i]`` (pays?) and ``u[U_STATEMENTS + 2i + 1]`` (when)."""
MAX_STATEMENTS = 6
U_FIRST_LAG = U_STATEMENTS + 2 * MAX_STATEMENTS
"""The payer's lag to its first decision, then (``U_FIRST_POSTING``) that remittance's posting
lag, the coding minutes (``U_CODING``) and the days to fix a scrubber edit and a clearinghouse
rejection (``U_SCRUB_FIX``, ``U_REJECTION_FIX``)."""
U_FIRST_POSTING, U_CODING, U_SCRUB_FIX, U_REJECTION_FIX = range(U_FIRST_LAG + 1, U_FIRST_LAG + 5)
U_REWORK = U_FIRST_LAG + 5
"""Denial k (0, 1, 2) takes ``u[U_REWORK + k]`` for its rework minutes."""
U_SECONDARY_SEND, U_SECONDARY_LAG, U_SECONDARY_POSTING = range(U_REWORK + 3, U_REWORK + 6)
"""Days until the practice sends the secondary claim, the secondary's lag and its posting lag."""
U_CARD, U_CARD_DECLINE, U_PLAN = range(U_REWORK + 6, U_REWORK + 9)
"""The patient balance is charged to a card on file?, the charge is declined?, and it goes on
a payment plan?"""
U_INSTALMENTS = U_REWORK + 9
"""Instalment k of a payment plan uses ``u[U_INSTALMENTS + k]`` (the patient defaults?)."""
U_NO_RESPONSE = U_INSTALMENTS + MAX_INSTALMENTS
"""Submission k (1, 2, 3, 4 and later) uses ``u[U_NO_RESPONSE + min(k - 1, 3)]``: the payer
never answers it?"""
U_POSTING_EXCEPTION = U_NO_RESPONSE + 4
"""The primary's paid remittance (``u[U_POSTING_EXCEPTION]``) and the secondary's (the next)
are posted by hand?"""
U_OTHER_COVERAGE = U_POSTING_EXCEPTION + 2
"""An eligibility denial: the right payer is found?, which payer, else the patient is billed?"""
U_LEVELS = U_OTHER_COVERAGE + 3
"""Further appeal level k (0, 1) uses ``u[U_LEVELS + 4k + j]``: j = 0 pursued?, 1 won?, 2 days
to its decision, 3 biller minutes."""
U_UNDERPAID, U_UNDERPAYMENT_FOUND, U_UNDERPAYMENT_WON, U_UNDERPAYMENT_DAYS = range(
    U_LEVELS + 4 * MAX_LEVELS, U_LEVELS + 4 * MAX_LEVELS + 4)
"""The primary pays it below its contract?, the practice's review finds it?, the appeal is
won?, and the days to the payer's decision."""
U_PEND, U_PEND_DAYS, U_RECORDS = range(U_UNDERPAYMENT_DAYS + 1, U_UNDERPAYMENT_DAYS + 4)
"""The payer pends the first submission for manual review?, its days, and it asks for the
medical records?"""
U_LINE, U_LINE_WON, U_LINE_DAYS, U_LINE_POSTING = range(U_RECORDS + 1, U_RECORDS + 5)
"""Which add-on line a line-level denial hits, then its rework: the corrected line is paid or
the line's appeal won?, the days to the payer's decision and (a correction) its posting lag."""
CLAIM_DRAWS = U_LINE_POSTING + 1


@dataclass(slots=True)
class Claim:
    """One visit's claim. Money in integer cents; days are simulation days."""

    id: int
    patient: int
    payer: int
    provider: int
    visit: int
    service_day: int
    charge_cents: int
    medicare_allowed_cents: int
    copay_collected_cents: int = 0
    charge_day: int = -1
    has_error: bool = False
    scrubber_caught: bool = False
    rejected: bool = False
    vendor_coded: bool = False
    """Coded and sent by an outsourced vendor (``revenue/vendor.py``)."""
    vendor_reworked: bool = False
    """A denial or an underpayment of it was worked by an outsourced vendor."""
    authorization_missing: bool = False
    """The payer required a prior authorization the claim lacks (denied CO-197)."""
    incident_to: bool = False
    """An NPP's visit billed under a supervising physician's NPI (``Provider.incident_to_share``):
    paid the physician rate, without ``npp_pct``."""
    supervisor: int = -1
    """The supervising physician (seat) it is billed under while its provider was not enrolled
    with its primary payer (``Encounter.supervisor``): that payer treats it as her claim;
    -1: none."""
    telehealth: bool = False
    """A video visit (``Encounter.telehealth``): priced with its payer's ``telehealth_pct``."""
    expected_cents: int = -1
    """Net revenue expected on the day of service (``Encounter.expected_cents``; -1 for a claim
    from before the run, whose revenue was earned before it)."""
    pended: bool = False
    """The payer pended it for manual review (``payers[].pend``)."""
    secondary_sent_day: int = -1
    """The day the secondary last received it (-1: never, or before a warm start)."""
    secondary_denials: int = 0
    """Denials by its secondary (``as_secondary.denial_rate``; a second one is not drawn)."""
    records_requested: bool = False
    """The payer asked for its medical records before deciding."""
    correction_error_factor: float = 1.0
    """Multiplies the chance its last correction is denied again (a new biller's errors)."""
    first_attempt_day: int = -1
    """The day the claim left coding for the scrubber and clearinghouse (its first attempt)."""
    first_submission_day: int = -1
    """The day it first went out past the clearinghouse (to the payer, or denied CO-29)."""
    submissions: int = 0
    denials: int = 0
    initial_denial_reason: str = ""
    first_adjudication_day: int = -1
    resolved_day: int = -1
    stage: str = CODING
    balance: int = 0
    patient_balance: int = 0
    """Part of ``balance`` owed by the patient (after transfer to patient responsibility)."""
    paid_by_payer: int = 0
    paid_by_patient: int = 0
    written_off: int = 0
    appeals: int = 0
    first_lag: float = 0.0
    """Days from first submission to the payer's decision, drawn at charge entry."""
    first_posting_lag: float = 0.0
    """Days from that decision's remittance to its posting, drawn at charge entry."""
    u: Sequence[float] | None = None
    """The claim's own uniform draws (a compact ``array('d')``), indexed by ``U_*``."""
    verified: bool = False
    """The patient's coverage was verified before the visit (front-office eligibility check)."""
    key: int = 0
    """Its visit's identity (keys ``u``)."""
    secondary: int = -1
    """The patient's secondary payer (index), -1 for none (``payer`` stays the primary)."""
    coverage_u: float = 1.0
    """The patient's uniform that picks its secondary from the primary's shares (1: none)."""
    secondary_parts: tuple[int, int, int] = (0, 0, 0)
    """Copay, deductible and coinsurance (cents) the primary left to the secondary."""
    prior_paid_cents: int = 0
    """What the primary paid before the run (a warm start's claim awaiting its secondary)."""
    plan_u: float = 1.0
    """The patient's uniform for its payer's deductible plan (1: on none)."""
    elsewhere_u: float = 0.5
    """The patient's uniform for its care elsewhere in the year of service."""
    deposit_cents: int = 0
    """The desk's deposit (estimated patient responsibility beyond the copay) not yet applied
    to the claim or refunded."""
    assisted: bool = False
    """The (self-pay) patient qualifies for the practice's financial assistance."""
    rebilled: bool = False
    """Billed to another payer after an eligibility denial (``payer`` is that payer now)."""
    charged_payer: int = -1
    """The payer it was first billed to, once ``rebilled``."""
    lines: tuple[Line, ...] = ()
    """Its codes, main code first (none known for a warm start's claim)."""
    contracted_cents: int = 0
    """What the primary owed under its contract when it paid the claim (0: not paid)."""
    underpaid_cents: int = 0
    """What the primary withheld of that (an underpayment)."""
    underpayment_open: int = 0
    """The part of ``balance`` that is an underpayment found and not yet resolved (owed by
    the payer, not the patient)."""
    underpayment_recovered_cents: int = 0
    denied_line: int = -1
    """The index in ``lines`` of the line its primary denied on a first decision that paid the
    others (-1: none; ``revenue/lines.py``)."""
    line_denial_reason: str = ""
    """That line's CARC."""
    line_open: int = 0
    """The part of ``balance`` that is that line's charge, owed by the payer while the line is
    corrected or appealed (0 once decided, or if the line went to the patient)."""

    @property
    def open_stage(self) -> str:
        """Where it waits: its stage, but a denied line still worked once the patient's part
        is settled (paid, or given up by the agency: the line is in the billers' hands)."""
        if self.stage in (PATIENT, AGENCY) and not self.patient_balance and self.line_open:
            return DENIED
        return self.stage

    @property
    def held(self) -> int:
        """The part of ``balance`` owed by the primary after its remittance: an underpayment
        found and a denied line still being worked (cents)."""
        return self.underpayment_open + self.line_open

    @property
    def primary(self) -> int:
        """The payer of its charge (the primary the visit was billed to)."""
        return self.charged_payer if self.rebilled else self.payer

    @classmethod
    def of(cls, encounter: Encounter) -> Claim:
        """The claim of a completed visit (its id is the visit's number)."""
        e = encounter
        return cls(id=e.visit, patient=e.patient, payer=e.payer, provider=e.provider,
                   visit=e.visit, service_day=e.service_day, charge_cents=e.charge_cents,
                   medicare_allowed_cents=e.medicare_allowed_cents,
                   copay_collected_cents=e.copay_collected_cents,
                   authorization_missing=e.authorization_missing, verified=e.verified,
                   key=e.key, coverage_u=e.coverage_u, plan_u=e.plan_u, elsewhere_u=e.elsewhere_u,
                   deposit_cents=e.deposit_cents, assisted=e.assisted, lines=e.lines,
                   incident_to=e.incident_to, supervisor=e.supervisor,
                   telehealth=e.telehealth, expected_cents=e.expected_cents)


class Accounts:
    """Posts transactions to the ledger and keeps each claim's balances."""

    def __init__(self, payer_names: list[str]) -> None:
        self.book = lg.LedgerBook(payer_names)
        self.payer_names = payer_names
        self.claims: list[Claim] = []

    def open_claim(self, claim: Claim, day: int) -> None:
        """Post the claim's charge: its balance starts at the gross charge."""
        claim.charge_day = day
        claim.balance = claim.charge_cents
        self.claims.append(claim)
        self._post(day, claim, lg.CHARGE, claim.charge_cents)

    def open_balance(self, claim: Claim, day: int, cents: int) -> None:
        """Post the open balance of a claim from before the run (a warm start): its balance
        starts at ``cents``, posted as ``opening_balance`` rather than as a charge."""
        claim.charge_day = day
        claim.balance = cents
        self.claims.append(claim)
        self._post(day, claim, lg.OPENING, cents)

    def event(self, day: int, claim: Claim, kind: str, group: str = "", reason: str = "",
              payer: int | None = None) -> None:
        """A zero-amount event (submission, denial), in the name of ``payer`` (default: the
        payer the claim is billed to)."""
        self._post(day, claim, kind, 0, group, reason, payer)

    def line_denial(self, day: int, claim: Claim, cents: int, group: str, reason: str) -> None:
        """The payer denied a line of ``cents`` charge (``line_denial``: no balance change)."""
        self._post(day, claim, lg.LINE_DENIAL, cents, group, reason)

    def reduce(self, day: int, claim: Claim, kind: str, cents: int, group: str = "",
               reason: str = "") -> None:
        """A payment, adjustment or write-off of ``cents`` (> 0) off the claim's balance.

        Patient payments and bad debt come off the patient's part of the balance first.
        """
        if cents <= 0:
            return
        if cents > claim.balance:
            raise AssertionError(
                f"claim {claim.id}: {kind} of {cents} cents exceeds open balance {claim.balance}"
            )
        claim.balance -= cents
        self.book.post(day, claim.id, claim.service_day, claim.patient, claim.payer, kind,
                       cents, group, reason)
        if kind in (lg.PATIENT_PAYMENT, lg.BAD_DEBT):
            claim.patient_balance = max(0, claim.patient_balance - cents)
        if kind == lg.PAYER_PAYMENT:
            claim.paid_by_payer += cents
        elif kind == lg.PATIENT_PAYMENT:
            claim.paid_by_patient += cents
        elif kind in lg.WRITEOFFS:
            claim.written_off += cents
        if claim.balance == 0:
            claim.stage = CLOSED
            claim.resolved_day = day

    def remit(self, day: int, claim: Claim, contractual: int, copay: int, deductible: int,
              coinsurance: int, paid: int, to_secondary: bool = False,
              non_covered: int = 0) -> None:
        """Post a paid remittance in one go: contractual adjustment (CO-45), patient
        responsibility (PR-3 copay, PR-1 deductible, PR-2 coinsurance, PR-49 the charges of
        lines the payer does not cover) and the payer's payment, with one balance check for all
        of them (the most frequent event of a run). With ``to_secondary`` copay, deductible
        and coinsurance go to the claim's secondary payer (``secondary_parts``), but for the
        copay already paid at the desk, which stays the patient's, as do non-covered lines."""
        if contractual + paid > claim.balance:
            raise AssertionError(f"claim {claim.id}: remittance exceeds open balance")
        head = (day, claim.id, claim.service_day, claim.patient, claim.payer)
        if contractual:
            self.book.post(*head, lg.CONTRACTUAL, contractual, "CO", "45")
        if non_covered:
            self.book.post(*head, lg.TRANSFER, non_covered, "PR", NON_COVERED_REASON)
        if to_secondary:
            desk = min(copay, claim.copay_collected_cents)
            claim.secondary_parts = (copay - desk, deductible, coinsurance)
            self._post_responsibility(head, lg.TRANSFER, (desk, 0, 0))
            self._post_responsibility((*head[:4], claim.secondary), lg.TRANSFER_SECONDARY,
                                      claim.secondary_parts)
        else:
            self._post_responsibility(head, lg.TRANSFER, (copay, deductible, coinsurance))
        self._settle(head, claim, paid, contractual)
        claim.patient_balance = claim.balance - claim.held - (
            sum(claim.secondary_parts) if to_secondary else 0)

    def remit_secondary(self, day: int, claim: Claim, paid: int, adjusted: int,
                        to_patient: tuple[int, int, int], reason: str = "23") -> None:
        """Post the secondary payer's remittance (rows in the secondary's name): its payment,
        what it writes off (CO-23, the impact of the prior payer) and the copay, deductible and
        coinsurance it leaves to the patient (PR-3, PR-1, PR-2). ``adjusted`` is a contractual
        adjustment, not a write-off: the claim's ``written_off`` counts denials and bad debt."""
        owed = claim.balance - claim.patient_balance - claim.held
        if paid + adjusted + sum(to_patient) != owed:
            raise AssertionError(f"claim {claim.id}: the secondary's remittance does not settle "
                                 f"its open balance {claim.balance} (the patient's "
                                 f"{claim.patient_balance} and {claim.held} the primary still "
                                 "owes aside)")
        head = (day, claim.id, claim.service_day, claim.patient, claim.secondary)
        if adjusted:
            self.book.post(*head, lg.CONTRACTUAL, adjusted, "CO", reason)
        self._post_responsibility(head, lg.TRANSFER, to_patient)
        self._settle(head, claim, paid, adjusted)
        claim.patient_balance = claim.balance - claim.held

    def write_off_secondary(self, day: int, claim: Claim, reason: str) -> None:
        """Write off what the secondary owes (``denial_writeoff``, CO-``reason``, in the
        secondary's name): a secondary claim past its timely-filing limit."""
        owed = claim.balance - claim.patient_balance - claim.held
        head = (day, claim.id, claim.service_day, claim.patient, claim.secondary)
        if owed:
            self.book.post(*head, lg.DENIAL_WRITEOFF, owed, "CO", reason)
        claim.written_off += owed
        self._settle(head, claim, 0, owed)
        claim.patient_balance = claim.balance - claim.held

    def _post_responsibility(self, head: tuple[int, ...], kind: str,
                             parts: tuple[int, int, int]) -> None:
        """Copay, deductible and coinsurance (cents) as ``kind`` rows PR-3, PR-1, PR-2."""
        copay, deductible, coinsurance = parts
        if copay:
            self.book.post(*head, kind, copay, "PR", "3")
        if deductible:
            self.book.post(*head, kind, deductible, "PR", "1")
        if coinsurance:
            self.book.post(*head, kind, coinsurance, "PR", "2")

    def _settle(self, head: tuple[int, ...], claim: Claim, paid: int, adjusted: int) -> None:
        """Post a remittance's payment and take it and its adjustments off the balance."""
        if paid:
            self.book.post(*head, lg.PAYER_PAYMENT, paid)
        claim.balance -= paid + adjusted
        claim.paid_by_payer += paid
        if claim.balance == 0:
            claim.stage = CLOSED
            claim.resolved_day = head[0]

    def transfer_to_patient(self, day: int, claim: Claim, cents: int, reason: str) -> None:
        """Payer adjudicated ``cents`` to patient responsibility (PR-``reason``)."""
        if cents <= 0:
            return
        claim.patient_balance += cents
        self._post(day, claim, lg.TRANSFER, cents, "PR" if reason else "", reason)

    def _post(self, day: int, claim: Claim, kind: str, cents: int, group: str = "",
              reason: str = "", payer: int | None = None) -> None:
        self.book.post(day, claim.id, claim.service_day, claim.patient,
                       claim.payer if payer is None else payer, kind, cents, group, reason)

    def claims_frame(self, provider_names: list[str]) -> pd.DataFrame:
        """One row per claim: its path through the cycle and where it ended.

        ``status``: ``paid`` (closed with a payment), ``written_off`` (closed without one) or
        ``open``; ``open_reason``: the stage an open claim is waiting in; ``codes``: its codes,
        main code first, separated by spaces (empty for a warm start's claim).
        """
        claims = self.claims
        read = _claim_integers(claims)
        payers = self.payer_names
        columns = {
            "claim": read["id"], "patient": read["patient"],
            "payer": pd.Categorical.from_codes(read["primary"], categories=payers),
            "billed_payer": pd.Categorical.from_codes(read["payer"], categories=payers),
            "provider": pd.Categorical.from_codes(read["provider"], categories=provider_names),
            "supervising_provider": pd.Categorical.from_codes(read["supervisor"],
                                                              categories=provider_names),
            "supervised": read["supervisor"] >= 0,
            "secondary_payer": pd.Categorical.from_codes(read["secondary"], categories=payers),
            **{column: read[field] for column, field in _CLAIM_INTEGERS},
            **{flag: read[flag].astype(bool) for flag in _CLAIM_FLAGS},
        }
        reasons = Interned()
        for column in ("initial_denial_reason", "line_denial_reason"):
            columns[column] = pd.Categorical.from_codes(
                _interned_codes(claims, column, reasons), categories=list(reasons))
        is_open = read["balance"] > 0
        paid = (read["paid_by_payer"] + read["paid_by_patient"]) > 0
        columns["status"] = pd.Categorical.from_codes(
            np.where(is_open, 2, np.where(paid, 0, 1)), categories=["paid", "written_off", "open"])
        columns["open_reason"] = _open_reasons(claims, read["balance"])
        columns["clean"] = ~(columns["scrubber_caught"] | columns["rejected"])
        columns["codes"] = _billed_codes(claims)
        return pd.DataFrame(columns)

    def lines_frame(self) -> pd.DataFrame:
        """One row per line of each claim, as last billed: ``claim``, ``line`` (0 = the
        visit's main code), ``code``, ``units``, ``charge_cents``, ``medicare_cents`` (the
        Medicare allowed amount in the scenario's locality), ``preventive`` and ``coded`` (the
        code it was billed in place of, ``payers[].substitutes``; empty if none). A warm
        start's claims have no known lines, so no rows."""
        claims = self.claims
        billed = list(map(operator.attrgetter("lines"), claims))
        counts = np.fromiter(map(len, billed), dtype=np.int64, count=len(claims))
        flat = list(itertools.chain.from_iterable(billed))
        ids = np.fromiter(map(operator.attrgetter("id"), claims), dtype=np.int64,
                          count=len(claims))
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        return pd.DataFrame({
            "claim": np.repeat(ids, counts),
            "line": np.arange(len(flat), dtype=np.int64) - starts,
            **_line_columns(flat),
        })


def _claim_integers(claims: list[Claim]) -> dict[str, np.ndarray]:
    """The claims' integer and flag attributes (``_CLAIM_READ``), read in one pass, by name;
    and ``held`` and ``primary``, derived from theirs (calling the properties per claim costs
    more than reading every other attribute)."""
    shape = (len(claims), len(_CLAIM_READ))
    values = np.fromiter(
        itertools.chain.from_iterable(map(operator.attrgetter(*_CLAIM_READ), claims)),
        dtype=np.int64, count=shape[0] * shape[1]).reshape(shape)
    read = dict(zip(_CLAIM_READ, values.T, strict=True))
    read["held"] = read["underpayment_open"] + read["line_open"]
    read["primary"] = np.where(read["rebilled"] != 0, read["charged_payer"], read["payer"])
    return read


def _interned_codes(claims: list[Claim], attribute: str, interned: Interned) -> np.ndarray:
    """Each claim's string ``attribute`` as its number in ``interned`` (new ones added)."""
    return np.fromiter(map(interned.__getitem__, map(operator.attrgetter(attribute), claims)),
                       dtype=np.int64, count=len(claims))


def _open_reasons(claims: list[Claim], balance: np.ndarray) -> pd.Categorical:
    """Each open claim's ``open_stage`` (empty for a closed one), categories in order of first
    use after the empty one."""
    stages = Interned()
    codes = np.zeros(len(claims), dtype=np.int64)
    at = np.flatnonzero(balance)
    codes[at] = [stages[claims[i].open_stage] for i in at.tolist()]
    return pd.Categorical.from_codes(codes, categories=list(stages))


def _billed_codes(claims: list[Claim]) -> pd.Categorical:
    """Each claim's codes, main code first, separated by spaces; categories in order of first
    use after the empty one. Claims share few distinct tuples of lines: each is joined once."""
    billed = list(map(operator.attrgetter("lines"), claims))
    texts = Interned()
    number = {lines: texts[" ".join(line.code for line in lines)]
              for lines in dict.fromkeys(billed)}
    codes = np.fromiter(map(number.__getitem__, billed), dtype=np.int64, count=len(claims))
    return pd.Categorical.from_codes(codes, categories=list(texts))


def _line_columns(flat: list[Line]) -> dict[str, np.ndarray | pd.Categorical]:
    """The lines' fields as columns. Lines are mostly shared objects (the scenario's priced
    codes; a rebilled claim's are its own): each field is read once per distinct object and
    spread by index."""
    _, first, which = np.unique(np.fromiter(map(id, flat), dtype=np.int64, count=len(flat)),
                                return_index=True, return_inverse=True)
    distinct = [flat[i] for i in first.tolist()]

    def field(name: str, dtype: type) -> np.ndarray:
        return np.fromiter(map(operator.attrgetter(name), distinct), dtype=dtype,
                           count=len(distinct))[which]

    return {
        "code": lg.labels([line.code for line in distinct], which),
        "units": field("units", np.int64),
        "charge_cents": field("charge_cents", np.int64),
        "medicare_cents": field("medicare_cents", np.int64),
        "preventive": field("preventive", bool),
        "coded": lg.labels([line.coded for line in distinct], which),
    }


_CLAIM_INTEGERS = (
    ("visit", "visit"), ("service_day", "service_day"), ("charge_day", "charge_day"),
    ("charge_cents", "charge_cents"), ("medicare_allowed_cents", "medicare_allowed_cents"),
    ("first_attempt_day", "first_attempt_day"),
    ("first_submission_day", "first_submission_day"), ("submissions", "submissions"),
    ("denials", "denials"), ("first_adjudication_day", "first_adjudication_day"),
    ("resolved_day", "resolved_day"), ("open_balance_cents", "balance"),
    ("patient_balance_cents", "patient_balance"), ("payer_paid_cents", "paid_by_payer"),
    ("patient_paid_cents", "paid_by_patient"), ("written_off_cents", "written_off"),
    ("deposit_held_cents", "deposit_cents"), ("contracted_payment_cents", "contracted_cents"),
    ("underpaid_cents", "underpaid_cents"),
    ("underpayment_recovered_cents", "underpayment_recovered_cents"),
    ("denied_line", "denied_line"), ("line_open_cents", "line_open"), ("held_cents", "held"),
    ("secondary_sent_day", "secondary_sent_day"), ("expected_cents", "expected_cents"),
)
"""The claims table's integer columns after its names, in order, and the claim attribute
each shows (``held`` is derived)."""
_CLAIM_FLAGS = ("has_error", "scrubber_caught", "rejected", "vendor_coded", "vendor_reworked",
               "authorization_missing", "pended", "records_requested", "incident_to",
               "telehealth")
_CLAIM_READ = ("id", "patient", "payer", "charged_payer", "rebilled", "provider", "supervisor",
               "secondary",
               "underpayment_open",
               *(field for _, field in _CLAIM_INTEGERS if field != "held"), *_CLAIM_FLAGS)
"""The claim attributes ``claims_frame`` reads."""
