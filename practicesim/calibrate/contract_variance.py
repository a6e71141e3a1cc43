"""Underpayments from 835 remittances against the practice's contract table: the contract-
variance review a biller does, fitted per payer into the simulator's ``payers[].underpayment``.

The contract table (``read_contracts``, a CSV) gives per payer and procedure code the allowed
amount per unit (dollars) the contract promises. An 835 service line (SVC, loop 2110) of a claim
the payer processed as primary (CLP02 1 or 19) is **paid** when none of its adjustments is a
denial (a non-PR group with a CARC outside ``CONTRACTUAL_REASONS``); its

- **allowed** amount = line charge (SVC02) - its pricing adjustments (non-PR groups, CARCs in
  ``CONTRACTUAL_REASONS`` other than 253, sequestration, which cuts the payment, not the
  allowed amount);
- **contracted** amount = units x the table's rate, rounded to the cent, at most the charge;
- **shortfall** = contracted - allowed when that exceeds ``TOLERANCE_CENTS`` (payers round per
  line), else 0: the line is **underpaid**.

Per payer, over its primary claims with at least one paid line of a code in its table:

- ``underpaid_line_share`` = underpaid lines / paid lines with a contract rate;
- ``underpayment.rate`` = claims with an underpaid line / claims (the simulator's share of
  claims paid below contract), Wilson 95% interval;
- ``underpayment.short`` = mean over the underpaid claims of shortfall / (claim payment CLP04
  + shortfall), the share of what the contract owed that the payer withheld (the patient's
  share taken as billed), with a normal 95% interval of the mean;
- ``underpaid_dollar_share`` = shortfalls / (payments + shortfalls) over all those claims: the
  ``underpayment_rate`` KPI's definition.

Lines priced under a modifier that changes the fee (a nurse practitioner's 85%, a reduced
service) look underpaid unless the table lists them: the table's ``code`` may carry the
modifiers as the 835 does (``99213:SA``). Privacy: a payer with fewer than ``MIN_PATIENTS``
patients in these claims is not fitted and is listed as suppressed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from practicesim.calibrate.errors import DataError
from practicesim.calibrate.mapping import read_mapped_csv
from practicesim.calibrate.payers import MIN_PATIENTS, SMALL_CELL, Z95, wilson
from practicesim.calibrate.remittance_ledger import CONTRACTUAL_REASONS
from practicesim.calibrate.secondaries import AS_PRIMARY

TOLERANCE_CENTS = 1
"""A line allowed at most this many cents below its contract is paid as contracted (rounding)."""
SEQUESTRATION = "253"
"""CARC 253: Medicare's sequestration cut of the payment (2%), not of the allowed amount."""
CONTRACT_COLUMNS = ("payer", "code", "allowed")


@dataclass
class UnderpaymentFits:
    """``table``: one row per payer fitted with ``claims``, ``patients``, ``paid_lines``,
    ``underpaid_lines``, ``underpaid_line_share``, ``rate`` (low/high), ``short``
    (low/high), ``underpaid_dollar_share``. ``lines``: every paid line with a contract rate,
    its allowed, contracted and shortfall cents (aggregates leave the module; this table is for
    tests and the report's counts). ``suppressed``: payers left out (payer, cell, patients)."""

    table: pd.DataFrame
    lines: pd.DataFrame = field(repr=False)
    suppressed: list[tuple[str, str, str]] = field(default_factory=list)


def read_contracts(path: str | Path) -> pd.DataFrame:
    """The contract table: a CSV with columns ``payer`` (as the 835s name it, N1*PR: the
    calibrated scenario's name of the payer), ``code`` (CPT/HCPCS, optionally with its
    ``:``-joined modifiers) and ``allowed`` (dollars per unit, >= 0). Errors name the file,
    row and column."""
    path = Path(path)
    raw = read_mapped_csv(path, CONTRACT_COLUMNS, "a contract table CSV (payer, code, allowed)")
    for column in ("payer", "code"):
        empty = raw[column].isna() | (raw[column].astype(str).str.strip() == "")
        if empty.any():
            raise DataError(path, f"row {empty.idxmax()}, column {column!r}",
                            f"a {column}", "an empty cell")
    allowed = pd.to_numeric(raw["allowed"], errors="coerce")
    bad = allowed.isna() | (allowed < 0)
    if bad.any():
        row = bad.idxmax()
        raise DataError(path, f"row {row}, column 'allowed'",
                        "dollars per unit, a number >= 0", raw.loc[row, "allowed"])
    table = pd.DataFrame({"payer": raw["payer"].str.strip(), "code": raw["code"].str.strip(),
                          "allowed": allowed})
    twice = table.duplicated(["payer", "code"], keep="first")
    if twice.any():
        row = twice.idxmax()
        raise DataError(path, f"row {row}", "one rate per payer and code",
                        f"{table.loc[row, 'payer']} {table.loc[row, 'code']} again")
    return table.reset_index(drop=True)


def fit_underpayments(service_lines: pd.DataFrame, adjustments: pd.DataFrame,
                      claims: pd.DataFrame, contracts: pd.DataFrame) -> UnderpaymentFits:
    """The underpayment figures of each payer (module docstring) from the ``Remittances``
    tables and a ``read_contracts`` table.

    >>> fits = fit_underpayments(r.service_lines, r.adjustments, r.claims,  # doctest: +SKIP
    ...                          read_contracts("contracts.csv"))
    """
    lines = _paid_lines(service_lines, adjustments, claims)
    lines = _contracted(lines, contracts)
    rows, suppressed = [], []
    for payer, group in lines.groupby("payer_name", sort=True):
        patients = group["patient"].nunique()
        if patients < MIN_PATIENTS:
            suppressed.append((payer, "underpayments", SMALL_CELL))
            continue
        rows.append(_payer_row(payer, group, claims))
    columns = ["payer", "claims", "patients", "paid_lines", "underpaid_lines",
               "underpaid_line_share", "rate", "rate_low", "rate_high", "short", "short_low",
               "short_high", "underpaid_dollar_share"]
    return UnderpaymentFits(pd.DataFrame(rows, columns=columns).set_index("payer"), lines,
                            suppressed)


def _paid_lines(service_lines: pd.DataFrame, adjustments: pd.DataFrame,
                claims: pd.DataFrame) -> pd.DataFrame:
    """The paid lines of primary claims with their allowed cents and the claim's payer,
    patient and payment."""
    head = claims.set_index("claim_row")[["payer_name", "patient", "status", "paid_cents"]]
    lines = service_lines.join(head.rename(columns={"paid_cents": "claim_paid_cents"}),
                               on="claim_row")
    lines = lines[lines["status"].isin(AS_PRIMARY)]
    at_line = adjustments[(adjustments["line"] >= 0) & (adjustments["group"] != "PR")]
    denying = at_line[~at_line["reason"].isin(list(CONTRACTUAL_REASONS))]
    denied = pd.MultiIndex.from_frame(denying[["claim_row", "line"]])
    keys = pd.MultiIndex.from_frame(lines[["claim_row", "line"]])
    lines = lines[~keys.isin(denied)]
    pricing = at_line[at_line["reason"].isin(list(CONTRACTUAL_REASONS - {SEQUESTRATION}))]
    priced = pricing.groupby(["claim_row", "line"])["amount_cents"].sum()
    lines = lines.join(priced.rename("pricing_cents"), on=["claim_row", "line"])
    lines["allowed_cents"] = lines["charge_cents"] - lines["pricing_cents"].fillna(0).astype(
        "int64")
    return lines.drop(columns="pricing_cents")


def _contracted(lines: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """The lines whose payer and code (with modifiers if the table lists them so, else without)
    have a contract rate, with ``contracted_cents`` and ``shortfall_cents``."""
    rates = {(p, c): a for p, c, a in contracts[list(CONTRACT_COLUMNS)].itertuples(index=False)}
    with_modifiers = lines["procedure"].where(
        lines["modifiers"] == "", lines["procedure"] + ":" + lines["modifiers"].str.replace(
            ",", ":"))
    rate = [rates.get((p, m), rates.get((p, c))) for p, m, c in zip(
        lines["payer_name"], with_modifiers, lines["procedure"], strict=True)]
    lines = lines.assign(rate=pd.array(rate, dtype="Float64"))
    lines = lines[lines["rate"].notna()].copy()
    contracted = np.round(lines["units"].to_numpy(float) * lines["rate"].to_numpy(float) * 100)
    lines["contracted_cents"] = np.minimum(contracted.astype("int64"), lines["charge_cents"])
    gap = lines["contracted_cents"] - lines["allowed_cents"]
    lines["shortfall_cents"] = gap.where(gap > TOLERANCE_CENTS, 0)
    return lines.drop(columns="rate")


def _payer_row(payer: str, lines: pd.DataFrame, claims: pd.DataFrame) -> tuple:
    """One payer's row of ``UnderpaymentFits.table``."""
    by_claim = lines.groupby("claim_row").agg(
        shortfall=("shortfall_cents", "sum"), paid=("claim_paid_cents", "first"))
    underpaid = by_claim[by_claim["shortfall"] > 0]
    rate = len(underpaid) / len(by_claim)
    shares = underpaid["shortfall"] / (underpaid["paid"] + underpaid["shortfall"])
    short = float(shares.mean()) if len(shares) else float("nan")
    half = (Z95 * float(shares.std(ddof=1)) / math.sqrt(len(shares)) if len(shares) > 1
            else float("nan"))
    owed = (by_claim["paid"] + by_claim["shortfall"]).sum()
    return (payer, len(by_claim), lines["patient"].nunique(), len(lines),
            int((lines["shortfall_cents"] > 0).sum()),
            float((lines["shortfall_cents"] > 0).mean()), rate, *wilson(len(underpaid),
                                                                        len(by_claim)),
            short, max(short - half, 0.0), min(short + half, 1.0),
            float(by_claim["shortfall"].sum() / owed) if owed else float("nan"))


def underpayments_into(data: dict, fits: UnderpaymentFits, contracts: pd.DataFrame,
                       rows: dict) -> None:
    """Each payer of the scenario ``data`` that ``fits`` fitted gets its ``underpayment``
    (``rate``; ``short`` when some claim was underpaid) with (value, low, high, n, source) rows
    in ``rows``; and every payer its contract rates as its ``fee_table`` for the codes of the
    scenario's fee schedule (codes with modifiers are left out), so that the allowed amounts
    the ledger's fit lowered by the underpayments (``allowed_pct_of_medicare``) do not count
    them twice for those codes."""
    schedule = set(data.get("fee_schedule", {}))
    for payer in data.get("payers", []):
        name = payer["name"]
        rates = contracts[(contracts["payer"] == name) & contracts["code"].isin(schedule)]
        if len(rates):
            payer["fee_table"] = {**payer.get("fee_table", {}),
                                  **dict(zip(rates["code"], rates["allowed"].astype(float),
                                             strict=True))}
            rows[f"payers[{name}].fee_table"] = (np.nan, np.nan, np.nan, len(rates),
                                                 "contract table")
        if name not in fits.table.index:
            continue
        fit = fits.table.loc[name]
        source = "remittances against the contract table (835 service lines, CLP02 = 1)"
        terms = dict(payer.get("underpayment") or {})
        terms["rate"] = float(fit["rate"])
        rows[f"payers[{name}].underpayment.rate"] = (
            float(fit["rate"]), float(fit["rate_low"]), float(fit["rate_high"]),
            int(fit["claims"]), source)
        if fit["underpaid_lines"]:
            terms["short"] = float(fit["short"])
            rows[f"payers[{name}].underpayment.short"] = (
                float(fit["short"]), float(fit["short_low"]), float(fit["short_high"]),
                round(fit["rate"] * fit["claims"]), source)
        payer["underpayment"] = terms
