"""The tables of ``Remittances`` (practicesim.calibrate.remittance): each table's columns and
their dtypes (amounts int64 cents, dates datetime64, NaT when absent), shared by the 835 reader
(practicesim.calibrate.x12_835) that fills them and the ledger built from them."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

_STR = "str"
_DATE = "datetime64[ns]"
PAYMENTS = {"file": _STR, "transaction": _STR, "payer_name": _STR, "payer_id": _STR,
            "check_number": _STR, "payment_date": _DATE, "paid_cents": "int64",
            "handling": _STR, "method": _STR, "plb_cents": "int64"}
CLAIMS = {"file": _STR, "claim_row": "int64", "check_number": _STR, "claim": "int64",
          "status": _STR, "charge_cents": "int64", "paid_cents": "int64",
          "patient_responsibility_cents": "int64", "filing_indicator": _STR,
          "payer_claim": "int64", "patient": "int64", "service_date": _DATE,
          "received_date": _DATE, "payment_date": _DATE, "payer_name": _STR,
          "rendering_npi": _STR}
SERVICE_LINES = {"file": _STR, "claim_row": "int64", "claim": "int64", "line": "int64",
                 "qualifier": _STR, "procedure": _STR, "modifiers": _STR,
                 "charge_cents": "int64", "paid_cents": "int64", "units": "float64",
                 "service_date": _DATE}
ADJUSTMENTS = {"file": _STR, "claim_row": "int64", "claim": "int64", "line": "int64",
               "group": _STR, "reason": _STR, "amount_cents": "int64", "quantity": "float64"}
PROVIDER_ADJUSTMENTS = {"file": _STR, "check_number": _STR, "fiscal_period_date": _DATE,
                        "reason": _STR, "reference": "int64", "amount_cents": "int64"}
UNRECONCILED = {"file": _STR, "segment": "int64", "check": _STR, "check_number": _STR,
                "claim_row": "int64", "claim": "int64", "expected_cents": "int64",
                "found_cents": "int64", "rule": _STR}
NOTES = {"file": _STR, "segment": "int64", "note": _STR}
SKIPPED = {"file": _STR, "reason": _STR}
EXCLUSIONS = {"claim_row": "int64", "file": _STR, "claim": "int64", "reason": _STR}
TABLES = {"payments": PAYMENTS, "claims": CLAIMS, "service_lines": SERVICE_LINES,
          "adjustments": ADJUSTMENTS, "provider_adjustments": PROVIDER_ADJUSTMENTS,
          "unreconciled": UNRECONCILED, "notes": NOTES}


def table_frame(rows: list[dict], schema: Mapping[str, str]) -> pd.DataFrame:
    """A DataFrame of ``rows`` with exactly the columns and dtypes of ``schema``."""
    return pd.DataFrame(rows, columns=list(schema)).astype(dict(schema))
