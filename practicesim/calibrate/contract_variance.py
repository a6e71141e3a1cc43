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

Lines priced under a modifier or for a provider whose fee differs (a reduced service; a nurse
practitioner billing under their own NPI, whom Medicare pays 85%) look underpaid unless the
table lists them: the table's ``code`` may carry the modifiers as the 835 does (``99213:52``),
and a row with a ``rendering_npi`` applies to the lines of claims that provider rendered (the
835's NM1*82, loop 2100, read into the claims' ``rendering_npi``). A contract table naming a
payer the remittances do not is an error (a name spelled otherwise would be dropped unseen).
Privacy: a payer with fewer than ``MIN_PATIENTS`` patients in these claims is not fitted and is
listed as suppressed.
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
    ``:``-joined modifiers), ``allowed`` (dollars per unit, >= 0) and optionally
    ``rendering_npi`` (the rate of lines a provider renders, as the 835's NM1*82 names them:
    a nurse practitioner's 85% of a Medicare fee; empty for the payer's rate). Errors name the
    file, row and column."""
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
    npi = raw["rendering_npi"] if "rendering_npi" in raw else pd.Series("", index=raw.index)
    table = pd.DataFrame({"payer": raw["payer"].str.strip(), "code": raw["code"].str.strip(),
                          "allowed": allowed,
                          "rendering_npi": npi.fillna("").astype(str).str.strip()})
    twice = table.duplicated(["payer", "rendering_npi", "code"], keep="first")
    if twice.any():
        row = twice.idxmax()
        raise DataError(path, f"row {row}", "one rate per payer, rendering provider and code",
                        f"{table.loc[row, 'payer']} {table.loc[row, 'code']} again")
    return table.reset_index(drop=True)


def fit_underpayments(service_lines: pd.DataFrame, adjustments: pd.DataFrame,
                      claims: pd.DataFrame, contracts: pd.DataFrame) -> UnderpaymentFits:
    """The underpayment figures of each payer (module docstring) from the ``Remittances``
    tables and a ``read_contracts`` table.

    >>> fits = fit_underpayments(r.service_lines, r.adjustments, r.claims,  # doctest: +SKIP
    ...                          read_contracts("contracts.csv"))
    """
    unknown = sorted(set(contracts["payer"]) - set(claims["payer_name"]))
    if unknown:
        raise ValueError(f"the contract table names payers the remittances do not: {unknown} "
                         f"(the 835s' payers, N1*PR: {sorted(set(claims['payer_name']))})")
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
    """The paid lines of each claim's first CLP as primary (a later one, a reworked line's or
    a corrected claim's, is not the payer's pricing of the claim) with their allowed cents and
    the claim's payer, patient, payment and rendering provider."""
    primary = claims[claims["status"].isin(AS_PRIMARY)].sort_values(
        ["payment_date", "claim_row"], kind="stable")
    first = primary.drop_duplicates(["claim", "payer_name"])
    head = first.set_index("claim_row")[["payer_name", "patient", "paid_cents",
                                         "rendering_npi"]]
    lines = service_lines.join(head.rename(columns={"paid_cents": "claim_paid_cents"}),
                               on="claim_row", how="inner")
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
    """The lines with a contract rate, with ``contracted_cents`` and ``shortfall_cents``: the
    rate of the line's payer, rendering provider (``rendering_npi``, when the table has rows
    for it) and code with its modifiers, else without them, else the payer's rate for the
    code. A line short by at most half a cent a unit (at least ``TOLERANCE_CENTS``) is
    paid as contracted: rates are per unit, payers round the line."""
    table = contracts.assign(rendering_npi=contracts.get("rendering_npi", "")).fillna(
        {"rendering_npi": ""})
    rates = {(p, n, c): a for p, n, c, a in table[["payer", "rendering_npi", "code",
                                                   "allowed"]].itertuples(index=False)}
    with_modifiers = lines["procedure"].where(
        lines["modifiers"] == "", lines["procedure"] + ":" + lines["modifiers"].str.replace(
            ",", ":"))
    rate = [_rate(rates, p, n, m, c) for p, n, m, c in zip(
        lines["payer_name"], lines["rendering_npi"], with_modifiers, lines["procedure"],
        strict=True)]
    lines = lines.assign(rate=pd.array(rate, dtype="Float64"))
    lines = lines[lines["rate"].notna()].copy()
    units = lines["units"].to_numpy(float)
    contracted = np.round(units * lines["rate"].to_numpy(float) * 100)
    lines["contracted_cents"] = np.minimum(contracted.astype("int64"), lines["charge_cents"])
    gap = lines["contracted_cents"] - lines["allowed_cents"]
    tolerance = np.maximum(TOLERANCE_CENTS, np.ceil(units / 2))
    lines["shortfall_cents"] = gap.where(gap > tolerance, 0)
    return lines.drop(columns="rate")


def _rate(rates: dict[tuple[str, str, str], float], payer: str, npi: str, modified: str,
          code: str) -> float | None:
    """The contract rate of a line (``_contracted``), None if the table has none."""
    for key in ((payer, npi, modified), (payer, npi, code), (payer, "", modified),
                (payer, "", code)):
        if key in rates and (key[1] == "" or npi):
            return rates[key]
    return None


def _payer_row(payer: str, lines: pd.DataFrame, claims: pd.DataFrame) -> tuple:
    """One payer's row of ``UnderpaymentFits.table``."""
    by_claim = lines.groupby("claim_row").agg(
        shortfall=("shortfall_cents", "sum"), paid=("claim_paid_cents", "first"))
    # a claim the contract owed nothing on (all to the deductible) cannot be underpaid
    by_claim = by_claim[by_claim["paid"] + by_claim["shortfall"] > 0]
    underpaid = by_claim[by_claim["shortfall"] > 0]
    rate = len(underpaid) / len(by_claim) if len(by_claim) else float("nan")
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
