"""A simulated run's payer remittances written as X12 835 files (5010 X221A1), the format
``practicesim.calibrate.remittance.read_835`` reads, so that a round trip (simulate, export,
calibrate, compare) is possible. Self-pay has no 835.

One CLP (claim payment) per payer decision in the run's ledger:

- a **paid** remittance (the ledger's ``contractual_adjustment`` CO-45, ``transfer_to_patient``
  PR-1/2/3 and ``payer_payment`` of one claim on one day): CLP02 = 1 (processed as primary),
  CLP03 the claim's charge, CLP04 the payment, CLP05 the patient responsibility (sum of PR),
  and CAS segments with the CO-45 and PR amounts. A payment of 0 (all to the deductible) is
  still CLP02 = 1. PR amounts the primary sends on to the patient's secondary
  (``transfer_to_secondary``) are PR on the primary's CLP, as on a real 835; when it forwards
  the claim itself (the secondary's ``as_secondary.crossover``), CLP02 = 19 (processed as
  primary, forwarded to additional payer).
- a **secondary's** remittance (its ``payer_payment``, CO-23 and PR rows): CLP02 = 2 (processed
  as secondary; a secondary's denial too, paying nothing, with CO-reason for what it held),
  CLP09 = 1 (an original claim; 7 when the secondary decided on it before), CLP03 the claim's
  charge, and an OA-23
  adjustment for what the primary settled (the charge less the PR it sent on), so that CLP03 -
  CLP04 = the sum of the CAS is checked as for any CLP.
- a **denial** (the ledger's ``denial`` event): CLP02 = 4 (denied), CLP04 = 0, CLP05 = 0 and
  one CAS with the denial's group and CARC (CO-16, CO-197, CO-29, ...) for the whole charge,
  as payers deny a whole claim. What the practice then does (write the balance off, correct,
  appeal) is its own posting, not the payer's, and is not in the 835.
- a **line denied** on a paid claim (``line_denial``, group CO): a CAS CO-<reason> of the
  line's charge on its service line of the paid CLP; a line billed to the patient (group PR) is
  in the CLP's CO-45 and PR-<reason> rows already. The line paid after its correction or
  appeal is a later CLP (CLP09 = 7) whose CLP03 and only service line are the line's charge.
- a claim **paid after a correction or a won appeal** is a second CLP with the same CLP01 in a
  later 835, with CLP09 = 7 (replacement of a prior claim) when the payer decided on the claim
  before (a claim sent again after no answer, or rebilled to another payer, is an original).
  It is not a reversal (CLP02 = 22) of the denial: the denial paid nothing, and ``read_835``
  leaves a reversal and its original out of the ledger. So read back, a denied-then-paid claim
  is two ledger claims (``Remittances.claims.claim`` links them): the denial, written off in
  full, and the payment; the payer totals, the first decisions and the CARCs are the run's.

Each CLP carries: CLP01 the simulation's claim id (``SIM<claim>``), CLP06 the filing indicator of
the payer's kind (MB Medicare, MC Medicaid, 12 commercial (PPO; the 835 code list has no CI), 16
HMO Medicare risk for Medicare Advantage), CLP07 a synthetic payer claim number (``P<claim>R<n>``,
the claim's n-th remittance), CLP08 11 (office; 10 for a video visit), CLP09 1 (original) or 7
(replacement); NM1*QC with the placeholder last name ``PATIENT`` and the synthetic member id
``M<patient>`` (no names); NM1*82 the rendering provider with the placeholder name ``PROVIDER`` and
a synthetic, well-formed NPI (``provider_npi``; for an NPP's claim billed incident-to, the first
physician's); DTM*232/233 the date of service; DTM*050 the date the payer received the submission
the CLP answers (the latest ``submission`` event on or before it: the first submission for a first
remittance, the corrected claim's for a later one; for a secondary's CLP the day the secondary last
received the claim; omitted when not known, as for a claim submitted before the run). Then one
service line (SVC, loop 2110) per line of the claim: SVC01 ``HC:<code>``, SVC02 its charge, SVC03
its payment, SVC05 its units when not 1, and its CAS, each line balanced (the TR3 requires the loop
on every professional claim payment, with every adjustment of a line at the line: X12 RFI 2348);
how a CLP's amounts are split over its lines: ``practicesim.calibrate.era_lines``. A claim whose
lines the run does not know (a warm start's) has its CAS at the claim level and no SVC.

Envelope, per transaction (one check, ST..SE): BPR (I, the total paid, C, CHK, the payment
date in BPR16; H and NON when it pays nothing), TRN*1 (trace number: payer number and date),
DTM*405 (production date = payment date), N1*PR (the payer's name in the run, N3/N4, PER*BL,
REF*2U payer id ``SIMPAYER<nn>``), N1*PE (the payee: scenario name, NPI 1234567893, the CMS
example NPI), LX*1, the CLPs, SE. Files hold one interchange (ISA, one GS, IEA) and are written
atomically. Amounts are dollars with two decimals, converted exactly from integer cents.

``checks`` chooses the files, never the dates: ``"daily"`` writes one file per payer per
payment date (one transaction); ``"weekly"`` one file per payer per week, Monday to Sunday,
with one transaction per payment date in it (a payer's weekly batch of checks, as a
clearinghouse delivers them). Either way every payment date (BPR16) is the ledger's day of the
remittance, so the lags read back are the run's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from practicesim import ledger as lg
from practicesim.calibrate.era_lines import PAID, Key, paid_claim_lines, split
from practicesim.contracts import rebilled_lines
from practicesim.encounter import Line
from practicesim.files import atomic_path
from practicesim.results import Run
from practicesim.seats import provider_seats
from practicesim.streams import Streams

Checks = Literal["daily", "weekly"]
CHECKS: tuple[str, ...] = ("daily", "weekly")

FILING_INDICATORS = {"medicare": "MB", "medicaid": "MC", "commercial": "12",
                     "medicare_advantage": "16", "medigap": "15"}
"""CLP06 claim filing indicator by payer kind: MB Medicare Part B, MC Medicaid, 16 health
maintenance organization Medicare risk (Medicare Advantage), 12 preferred provider organization
for commercial plans: the 835's code list (X221A1) has no CI (commercial insurance, an 837
SBR09 code); 15 indemnity insurance for Medigap (a supplement paying set shares of Medicare's
cost sharing)."""
PROCESSED_AS_PRIMARY = "1"
PROCESSED_AS_SECONDARY = "2"
FORWARDED = "19"
"""CLP02 of a primary's decision it forwarded to the secondary (Medicare's crossover): processed
as primary, forwarded to additional payer(s)."""
PRIOR_PAYER = ("OA", "23")
"""The CAS of a secondary's CLP for what the primary already settled (its payment and
adjustments): CARC 23, "the impact of prior payer(s) adjudication"."""
DENIED = "4"
ORIGINAL, REPLACEMENT = "1", "7"
"""CLP09 claim frequency: the first submission, or a corrected claim replacing it."""
OFFICE, HOME = "11", "10"
"""CLP08: place of service 11, office; 10, telehealth in the patient's home (a video visit)."""
PAYEE_NPI = "1234567893"
"""The example NPI of CMS's check-digit documentation (valid Luhn check digit), synthetic."""
ELEMENT, COMPONENT, REPETITION, SEGMENT = "*", ":", "^", "~"
_RESERVED = re.compile(r"[*:^~]|[^\x20-\x7e]")
"""The delimiters written, and anything but printable ASCII."""
_REMITTED = (lg.CONTRACTUAL, lg.TRANSFER, lg.PAYER_PAYMENT, lg.TRANSFER_SECONDARY)


@dataclass
class ClaimPayment:
    """One CLP: a payer's decision on one claim, posted on ``day`` (amounts in cents)."""

    claim: int
    patient: int
    payer: str
    day: int
    """Simulation day of the remittance: the payment date (BPR16)."""
    service_day: int
    received_day: int
    """Simulation day of the submission it answers (DTM*050); -1 if not in the run."""
    submission: int
    """Which submission of the claim it answers (1 = the first; 0 = before the run)."""
    remittance: int
    """The claim's n-th remittance (1, 2, ...)."""
    denied: bool
    charge_cents: int
    replaces: bool = False
    """The payer decided on this claim before (a corrected claim or an appeal: CLP09 7); a claim
    sent again after no answer, or rebilled to another payer, is an original to it (1)."""
    secondary: bool = False
    """The payer decided as the patient's secondary (CLP02 = 2)."""
    forwarded: bool = False
    """A primary's decision the payer forwarded to the patient's secondary (crossover)."""
    paid_cents: int = 0
    adjustments: dict[tuple[str, str], int] = field(default_factory=dict)
    """(CAS group, CARC) -> cents, in the order the ledger posted them."""
    rendering_npi: str = ""
    """The NPI of the provider who rendered the claim (NM1*82; ``provider_npi``)."""
    place: str = OFFICE
    """CLP08: the claim's place of service."""
    lines: list[tuple[Line, dict[Key, int]]] = field(default_factory=list)
    """Its service lines, each with its CAS (and ``PAID``) cents (``era_lines``); empty for a
    claim whose lines are not known (a warm start's): its CAS are then at the claim level."""

    @property
    def patient_responsibility_cents(self) -> int:
        """CLP05: the sum of the PR adjustments."""
        return sum(c for (group, _), c in self.adjustments.items() if group == "PR")


def claim_payments(run: Run) -> list[ClaimPayment]:
    """Every payer decision of the run's ledger as a CLP, in ledger order (module docstring):
    self-pay left out. Raises ``ValueError`` if a paid remittance does not balance (CLP03 -
    CLP04 = sum of CAS), which would be a bug of the simulator."""
    insured = {p.name for p in run.scenario.payers if p.kind != "self_pay"}
    charges = dict(zip(run.claims["claim"].tolist(), run.claims["charge_cents"].tolist(),
                       strict=True))
    primary = dict(zip(run.claims["claim"].tolist(), run.claims["payer"].astype(str).tolist(),
                       strict=True))
    secondary_of = dict(zip(run.claims["claim"].tolist(),
                            run.claims["secondary_payer"].astype(str).tolist(), strict=True))
    secondary_sent = dict(zip(run.claims["claim"].tolist(),
                              run.claims["secondary_sent_day"].tolist(), strict=True))
    ledger = run.ledger
    kind = ledger["kind"].astype(str)
    # what each claim's secondary was left to decide on: the PR its primary sent on, or the
    # opening balance of a warm start's claim awaiting its secondary
    sent_on = ledger[kind == lg.TRANSFER_SECONDARY].groupby("claim")["amount_cents"].sum()
    opened = ledger[kind == lg.OPENING].groupby("claim")["amount_cents"].sum()
    held = {**opened.to_dict(), **sent_on.to_dict()}
    line_held: dict[tuple[int, str], tuple[int, int]] = {}
    """(claim, payer) -> (day, cents) of a line it denied, group CO (its later payment, if
    any, is a CLP of the line's charge)."""
    crossover = {p.name for p in run.scenario.payers if p.as_secondary.crossover}
    # rows without a CAS group on an insured claim are the practice's own postings (a patient
    # billed at self-pay terms after an eligibility denial, an underpayment it closed), not a
    # payer's decision
    own = (kind.isin([lg.CONTRACTUAL, lg.TRANSFER]) & (ledger["carc_group"].astype(str) == "")
           | (ledger["carc_reason"].astype(str) == lg.UNDERPAYMENT))
    keep = (kind.isin([*_REMITTED, lg.DENIAL, lg.SUBMISSION, lg.LINE_DENIAL]) & ~own
            & ledger["payer"].astype(str).isin(insured)).to_numpy()
    rows = ledger[keep]
    submissions: dict[int, list[int]] = defaultdict(list)
    remittances: dict[int, int] = defaultdict(int)
    decisions: dict[tuple[int, str], int] = defaultdict(int)
    paid: dict[tuple[int, int, str], ClaimPayment] = {}
    forwarded: dict[tuple[int, int], bool] = {}
    out: list[ClaimPayment] = []

    def start(claim: int, day: int, patient: int, payer: str, service_day: int,
              denied: bool) -> ClaimPayment:
        sent = submissions.get(claim, [])
        remittances[claim] += 1
        decisions[(claim, payer)] += 1
        line = line_held.get((claim, payer))
        charge = line[1] if line is not None and day > line[0] else charges[claim]
        payment = ClaimPayment(claim=claim, patient=patient, payer=payer, day=day,
                               service_day=service_day, received_day=sent[-1] if sent else -1,
                               submission=len(sent), remittance=remittances[claim],
                               denied=denied, charge_cents=charge,
                               replaces=decisions[(claim, payer)] > 1)
        out.append(payment)
        return payment

    for claim, day, patient, payer, service_day, k, cents, group, reason in zip(
            rows["claim"].tolist(), rows["day"].tolist(), rows["patient"].tolist(),
            rows["payer"].astype(str).tolist(), rows["service_day"].tolist(),
            kind[keep].tolist(), rows["amount_cents"].tolist(),
            rows["carc_group"].astype(str).tolist(), rows["carc_reason"].astype(str).tolist(),
            strict=True):
        if k == lg.SUBMISSION:
            submissions[claim].append(day)
        elif k == lg.LINE_DENIAL and group == "PR":
            continue  # a line billed to the patient: its CO-45 and PR rows follow
        elif k == lg.LINE_DENIAL:
            line_held[(claim, payer)] = (day, cents)
            payment = paid[(claim, day, payer)] = start(claim, day, patient, payer,
                                                        service_day, denied=False)
            payment.adjustments[(group, reason)] = cents
        elif k == lg.DENIAL and payer == secondary_of[claim] and claim in held:
            # a secondary's denial: processed as secondary, paying nothing of what it held
            denial = start(claim, day, patient, payer, service_day, denied=False)
            denial.secondary, denial.submission = True, 1
            denial.received_day = _received(secondary_sent[claim], day)
            if held[claim] > denial.charge_cents:
                raise ValueError(f"claim {claim}: its secondary held more than the charge")
            denial.adjustments[PRIOR_PAYER] = denial.charge_cents - held[claim]
            denial.adjustments[(group or "CO", reason)] = held[claim]
        elif k == lg.DENIAL:
            denial = start(claim, day, patient, payer, service_day, denied=True)
            denial.adjustments[(group or "CO", reason)] = denial.charge_cents
        else:
            if k == lg.TRANSFER_SECONDARY:  # the primary's PR, owed by the secondary named
                payer = primary[claim]
                forwarded[(claim, day)] = secondary_of[claim] in crossover
            payment = paid.get((claim, day, payer))
            if payment is None:
                payment = paid[(claim, day, payer)] = start(claim, day, patient, payer,
                                                            service_day, denied=False)
                if payer == secondary_of[claim]:  # a secondary claim is an original claim
                    payment.secondary, payment.submission = True, 1
                    payment.received_day = _received(secondary_sent[claim], day)
            if k == lg.PAYER_PAYMENT:
                payment.paid_cents += cents
            elif cents:
                key = (group, reason)
                payment.adjustments[key] = payment.adjustments.get(key, 0) + cents
    underpaid = dict(zip(run.claims["claim"].tolist(), run.claims["underpaid_cents"].tolist(),
                         strict=True))
    for (claim, day, _), payment in paid.items():
        payment.forwarded = not payment.secondary and forwarded.get((claim, day), False)
        gap = payment.charge_cents - payment.paid_cents - sum(payment.adjustments.values())
        if not payment.secondary and gap and gap == underpaid[claim]:
            # an underpayment the practice found stays open in its ledger; the payer's 835 had
            # it in its contractual adjustment
            payment.adjustments[("CO", "45")] = payment.adjustments.get(("CO", "45"), 0) + gap
        if payment.secondary:
            prior = payment.charge_cents - held.get(claim, 0)
            if prior < 0:
                raise ValueError(f"claim {claim}: its secondary held more than the charge")
            payment.adjustments[PRIOR_PAYER] = prior
        if payment.charge_cents - payment.paid_cents != sum(payment.adjustments.values()):
            raise ValueError(f"claim {payment.claim}: its remittance on day {payment.day} does "
                             f"not balance (charge {payment.charge_cents} - paid "
                             f"{payment.paid_cents} != adjustments {payment.adjustments})")
    _service_lines(run, out)
    return out


def provider_npi(seat: int) -> str:
    """A synthetic NPI for the run's ``seat``-th provider (``provider_seats`` order): 1 and the
    seat's number in eight digits, with the check digit CMS specifies (Luhn over the prefix
    80840 and the nine digits), so that it is well formed but no real provider's."""
    base = f"1{seat + 1:08d}"
    digits = [int(d) for d in "80840" + base]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if i % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return base + str((10 - total % 10) % 10)


def _received(sent: int, day: int) -> int:
    """The day a secondary received the claim it decided on ``day``: the day it was last sent
    to it (the claims table's ``secondary_sent_day``), unless that is not before ``day`` (sent
    again on or after this decision, a denial: the first sending's day is not kept; a
    secondary's lag is at least a day) or unknown (-1)."""
    return sent if 0 <= sent < day else -1


def _service_lines(run: Run, payments: list[ClaimPayment]) -> None:
    """Each CLP's service lines (``era_lines``), for the claims whose lines the run knows: a
    primary's paid CLP by its contract, any other in proportion to the lines' charges; the CLP
    of a denied line paid after its rework is that line alone. The run keeps a claim's lines as
    last billed: a CLP of the payer it was billed to before (an eligibility denial's first
    payer) has them as billed to that payer (``contracts.rebilled_lines``)."""
    table = run.lines
    lines: dict[int, list[Line]] = defaultdict(list)
    for claim, code, units, charge, medicare, preventive, coded in zip(
            table["claim"].tolist(), table["code"].astype(str).tolist(),
            table["units"].tolist(), table["charge_cents"].tolist(),
            table["medicare_cents"].tolist(), table["preventive"].tolist(),
            table["coded"].astype(str).tolist(), strict=True):
        lines[claim].append(Line(code, units, charge, medicare, preventive, coded))
    claims = run.claims.set_index("claim")
    denied_line = claims["denied_line"].to_dict()
    reason = claims["line_denial_reason"].astype(str).to_dict()
    seats = provider_seats(run.scenario, Streams(run.seed, run.replication))
    npp = {seat.name: seat.npp for seat in seats}
    supervised = claims["supervised"].astype(bool)
    incident_to = claims["incident_to"].astype(bool) | supervised
    provider = (claims["provider"].astype(str).map(npp).astype(bool) & ~incident_to).to_dict()
    payers = {p.name: p for p in run.scenario.payers}
    billed = claims["billed_payer"].astype(str).to_dict()
    npis = {seat.name: provider_npi(k) for k, seat in enumerate(seats)}
    supervising = next((provider_npi(k) for k, seat in enumerate(seats) if not seat.npp), "")
    rendering = claims["provider"].astype(str).map(npis).where(~incident_to, supervising)
    rendering = rendering.where(~supervised, claims["supervising_provider"].astype(str).map(
        npis)).to_dict()
    video = claims["telehealth"].astype(bool).to_dict()
    for p in payments:
        p.rendering_npi = rendering[p.claim]
        p.place = HOME if video[p.claim] else OFFICE
        known = lines.get(p.claim)
        if not known:
            continue
        columns = [*p.adjustments.items(), (PAID, p.paid_cents)]
        if p.charge_cents != sum(line.charge_cents for line in known):
            k = denied_line[p.claim]
            if 0 <= k < len(known) and known[k].charge_cents == p.charge_cents:
                p.lines = [(known[k], split([p.charge_cents], columns)[0])]
            continue
        if p.payer != billed[p.claim]:
            known = list(rebilled_lines(run.scenario, payers[p.payer], tuple(known)))
        if p.denied or p.secondary:
            shares = split([line.charge_cents for line in known], columns)
        else:
            held = next((key for key in p.adjustments if key[1] == reason[p.claim]), None)
            shares = paid_claim_lines(known, columns, payers[p.payer], provider[p.claim],
                                      denied_line[p.claim] if held else -1, held,
                                      video[p.claim])
        p.lines = list(zip(known, shares, strict=True))


def write_835(run: Run, folder: str | Path, checks: Checks = "weekly", *,
              start: dt.date | None = None, end: dt.date | None = None) -> list[Path]:
    """Write the run's payer remittances as X12 835 files (5010 X221A1) into ``folder``, each
    file atomically, and return their paths, sorted.

    ``checks``: ``"daily"`` (one file per payer and payment date) or ``"weekly"`` (one file
    per payer and Monday-to-Sunday week, one transaction per payment date). ``start``, ``end``:
    only payment dates in ``[start, end]`` (inclusive; default: the whole run). Files are named
    ``<payer>_<YYYY-MM-DD>.835`` or ``<payer>_<YYYY>-W<ww>.835`` (ISO week). The folder may
    hold other files, but no other ``.835`` file: ``read_835`` would read it with these.
    Formats and choices: the module docstring.
    """
    if checks not in CHECKS:
        raise ValueError(f"checks must be one of {', '.join(CHECKS)}, got {checks!r}")
    folder = Path(folder)
    calendar = run.calendar
    payers = [p for p in run.scenario.payers if p.kind != "self_pay"]
    for text in [p.name for p in payers] + [run.scenario.name]:
        if not text or _RESERVED.search(text):
            raise ValueError(f"{text!r} cannot be written in an X12 835 (empty, or holds one "
                             f"of the delimiters {ELEMENT}{COMPONENT}{REPETITION}{SEGMENT}, a "
                             "control or a non-ASCII character)")
    number = {p.name: i + 1 for i, p in enumerate(payers)}
    kinds = {p.name: p.kind for p in payers}
    slugs = _slugs([p.name for p in payers])
    files: dict[tuple[str, str], dict[dt.date, list[ClaimPayment]]] = defaultdict(
        lambda: defaultdict(list))
    for payment in claim_payments(run):
        date = calendar.date(payment.day)
        if (start is not None and date < start) or (end is not None and date > end):
            continue
        if checks == "daily":
            period = date.isoformat()
        else:
            year, week, _ = date.isocalendar()
            period = f"{year}-W{week:02d}"
        files[(payment.payer, period)][date].append(payment)
    targets = {folder / f"{slugs[payer]}_{period}.835": (payer, period)
               for payer, period in files}
    stray = sorted(p.name for p in folder.glob("*.835") if p not in targets)
    if stray:
        raise FileExistsError(f"{folder}: holds other 835 files ({', '.join(stray[:3])}"
                              f"{', ...' if len(stray) > 3 else ''}); write into an empty or "
                              "new folder")
    written = []
    for control, path in enumerate(sorted(targets), start=1):
        payer, _ = targets[path]
        text = _interchange(files[targets[path]], payer, number[payer], kinds[payer],
                            run.scenario.name, control, calendar.date)
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="ascii")
        written.append(path)
    return written


def _slugs(names: list[str]) -> dict[str, str]:
    """File-name parts for payer names: lower case letters, digits and ``-``, unique."""
    out: dict[str, str] = {}
    for i, name in enumerate(names, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "payer"
        while slug in out.values():
            slug = f"{slug}-{i}"
        out[name] = slug
    return out


def _interchange(days: dict[dt.date, list[ClaimPayment]], payer: str, payer_number: int,
                 payer_kind: str, practice: str, control: int,
                 date_of: Callable[[int], dt.date]) -> str:
    """One ISA..IEA interchange with one transaction per payment date (dates in order)."""
    created = max(days)
    sender, receiver = f"SIMPAYER{payer_number:02d}", "SIMPRACTICE"
    isa = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", f"{sender:<15}", "ZZ",
           f"{receiver:<15}", f"{created:%y%m%d}", "1200", REPETITION, "00501",
           f"{control:09d}", "0", "T", COMPONENT]
    segments = [isa, ["GS", "HP", sender, receiver, f"{created:%Y%m%d}", "1200", str(control),
                      "X", "005010X221A1"]]
    ordered = sorted(days)
    for n, date in enumerate(ordered, start=1):
        segments += _transaction(days[date], date, n, payer, payer_number, payer_kind, practice,
                                 date_of)
    segments += [["GE", str(len(ordered)), str(control)], ["IEA", "1", f"{control:09d}"]]
    return "".join(ELEMENT.join(s) + SEGMENT + "\n" for s in segments)


def _transaction(payments: list[ClaimPayment], date: dt.date, n: int, payer: str,
                 payer_number: int, payer_kind: str, practice: str,
                 date_of: Callable[[int], dt.date]) -> list[list[str]]:
    """ST..SE of one check: BPR, TRN, payer and payee, then one CLP loop per payment."""
    total = sum(p.paid_cents for p in payments)
    handling, method = ("I", "CHK") if total else ("H", "NON")
    control = f"{n:04d}"
    payer_id = f"SIMPAYER{payer_number:02d}"
    body = [
        ["ST", "835", control],
        ["BPR", handling, _dollars(total), "C", method, *[""] * 11, f"{date:%Y%m%d}"],
        ["TRN", "1", f"{payer_number:02d}{date:%Y%m%d}", f"1{990000000 + payer_number:09d}"],
        ["DTM", "405", f"{date:%Y%m%d}"],
        ["N1", "PR", payer],
        ["N3", "1 PAYER WAY"],
        ["N4", "ANYTOWN", "NY", "10001"],
        ["REF", "2U", payer_id],
        ["PER", "BL", "EDI SUPPORT", "TE", "8005550100"],
        ["N1", "PE", practice, "XX", PAYEE_NPI],
        ["LX", "1"],
    ]
    indicator = FILING_INDICATORS[payer_kind]
    for p in sorted(payments, key=lambda p: (p.claim, p.remittance)):
        body += _claim(p, indicator, date_of)
    body.append(["SE", str(len(body) + 1), control])
    return body


def _claim(p: ClaimPayment, indicator: str,
           date_of: Callable[[int], dt.date]) -> Iterator[list[str]]:
    """CLP, its CAS (one per group, up to six reasons each), NM1*QC and the DTMs."""
    status = (DENIED if p.denied else PROCESSED_AS_SECONDARY if p.secondary
              else FORWARDED if p.forwarded else PROCESSED_AS_PRIMARY)
    frequency = REPLACEMENT if p.replaces else ORIGINAL
    yield ["CLP", f"SIM{p.claim}", status, _dollars(p.charge_cents), _dollars(p.paid_cents),
           _dollars(p.patient_responsibility_cents), indicator, f"P{p.claim}R{p.remittance}",
           p.place, frequency]
    if not p.lines:
        yield from _cas(p.adjustments)
    yield ["NM1", "QC", "1", "PATIENT", "", "", "", "", "MI", f"M{p.patient}"]
    if p.rendering_npi:
        yield ["NM1", "82", "1", "PROVIDER", "", "", "", "", "XX", p.rendering_npi]
    service = f"{date_of(p.service_day):%Y%m%d}"
    yield ["DTM", "232", service]
    yield ["DTM", "233", service]
    if p.received_day >= 0:
        yield ["DTM", "050", f"{date_of(p.received_day):%Y%m%d}"]
    for line, cents in p.lines:
        paid = cents.get(PAID, 0)
        svc = ["SVC", f"HC{COMPONENT}{line.code}", _dollars(line.charge_cents), _dollars(paid)]
        if line.units != 1:
            svc += ["", str(line.units)]
        yield svc
        yield from _cas({key: c for key, c in cents.items() if key != PAID})


def _cas(adjustments: dict[tuple[str, str], int]) -> Iterator[list[str]]:
    """CAS segments: one per group, up to six (reason, amount) each; zero amounts left out."""
    by_group: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (group, reason), cents in adjustments.items():
        if cents:
            by_group[group].append((reason, cents))
    for group, entries in by_group.items():
        for i in range(0, len(entries), 6):
            cas = ["CAS", group]
            for reason, cents in entries[i:i + 6]:
                cas += [reason, _dollars(cents), ""]
            yield cas[:-1]


def _dollars(cents: int) -> str:
    """Integer cents as an X12 decimal amount with two decimals (12345 -> "123.45")."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"
