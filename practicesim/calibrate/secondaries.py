"""Secondary coverage from 835 remittances: which payers decide after each primary payer, for
what share of its patients, and whether the primary forwards the claim to them (crossover).

A secondary's CLP (CLP02 = 2, processed as secondary, or 20, and forwarded to a tertiary)
carries the practice's claim number (CLP01), so it is linked to the primary's CLP of the same
claim (CLP02 = 1, or 19 when the primary forwarded it to the secondary). Per primary payer P and
secondary payer S:

- **share** = patients of P who owed cost sharing on one of P's remittances (PR-1 deductible,
  PR-2 coinsurance or PR-3 copay; CLP05 > 0 when the files have no CAS) and whose claims S
  decided as secondary / all those patients, over P's decisions paid at least
  ``SETTLING_DAYS`` before the files' last payment date: a patient with secondary coverage
  shows it only when the primary leaves cost sharing to pay, so the others tell nothing and
  are left out. Wilson 95% interval. It is the simulator's ``payers[P].secondary[S]``, drawn
  per patient. Slightly low when the desk collects a copay in full and nothing else is left
  (no secondary claim then), or when a secondary takes longer than ``SETTLING_DAYS``;
- **forwarded** = S's secondary claims whose primary CLP has CLP02 = 19 / all of S's secondary
  claims: above one half, S receives claims by crossover (``payers[S].as_secondary.crossover``).

Privacy: a (P, S) pair seen for fewer than ``MIN_PATIENTS`` patients is not fitted; it is listed
in ``SecondaryFits.suppressed`` with its count given only as "fewer than 11".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from practicesim.calibrate.payers import MIN_PATIENTS, wilson

AS_PRIMARY = frozenset({"1", "19"})
"""CLP02 of a primary's decision: processed as primary (19: and forwarded to the secondary)."""
FORWARDED = "19"
AS_SECONDARY = frozenset({"2", "20"})
"""CLP02 of a secondary's decision (20: and forwarded to a tertiary)."""
COST_SHARING = frozenset({"1", "2", "3"})
"""PR reasons a secondary may pay: deductible, coinsurance, copay (not PR-49, non-covered)."""
SETTLING_DAYS = 60
"""Primary decisions in the files' last this many days are left out: their secondaries' may
come after the files end."""


@dataclass
class SecondaryFits:
    """``table``: one row per (primary, secondary) pair fitted, indexed by both names, with
    ``share``, ``low``, ``high`` (Wilson 95%), ``patients`` (the primary's patients who owed
    cost sharing), ``claims`` (the secondary's claims) and ``forwarded`` (their share forwarded
    by the primary). ``patients``: each primary seen with at least ``MIN_PATIENTS`` such
    patients, and how many (its fitted shares, none included, replace a base's).
    ``suppressed``: pairs seen for fewer than ``MIN_PATIENTS`` patients (payer, cell,
    patients)."""

    table: pd.DataFrame
    patients: dict[str, int] = field(default_factory=dict)
    suppressed: list[tuple[str, str, str]] = field(default_factory=list)

    def of(self, primary: str) -> dict[str, float]:
        """The fitted secondary shares of ``primary`` (secondary name -> share)."""
        if primary not in self.table.index.get_level_values("primary"):
            return {}
        return self.table.xs(primary, level="primary")["share"].to_dict()


def fit_secondaries(claims: pd.DataFrame, adjustments: pd.DataFrame | None = None,
                    payer_name: Callable[[str], str] = str) -> SecondaryFits:
    """The secondary shares of each primary payer in the ``Remittances.claims`` table, the
    cost sharing read from its ``adjustments`` (else CLP05); payer names through
    ``payer_name``, as the remittances' ledger names them."""
    claims = claims.assign(payer=claims["payer_name"].map(payer_name))
    primary = claims[claims["status"].isin(AS_PRIMARY)].sort_values(
        ["payment_date", "claim_row"], kind="stable")
    # a primary's decision near the files' end may have its secondary's after it
    primary = primary[primary["payment_date"]
                      <= claims["payment_date"].max() - pd.Timedelta(days=SETTLING_DAYS)]
    first = primary.drop_duplicates("claim").set_index("claim")
    forwarded_claims = set(primary.loc[primary["status"] == FORWARDED, "claim"])
    if adjustments is None:
        owing = primary[primary["patient_responsibility_cents"] > 0]
    else:
        shared = adjustments[(adjustments["group"] == "PR")
                             & adjustments["reason"].isin(COST_SHARING)]
        owing = primary[primary["claim_row"].isin(shared["claim_row"])]
    patients = owing.groupby("payer")["patient"].apply(set)
    secondary = claims[claims["status"].isin(AS_SECONDARY) & claims["claim"].isin(first.index)]
    secondary = secondary.assign(primary=secondary["claim"].map(first["payer"]),
                                 primary_patient=secondary["claim"].map(first["patient"]))
    secondary = secondary[secondary["primary"] != secondary["payer"]]
    rows, suppressed = [], []
    for (name, other), group in secondary.groupby(["primary", "payer"], sort=True):
        owed = patients.get(name, set())
        covered = len(set(group["primary_patient"]) & owed)
        if covered < MIN_PATIENTS:
            suppressed.append((name, f"secondary {other}", f"fewer than {MIN_PATIENTS}"))
            continue
        low, high = wilson(covered, len(owed))
        rows.append({"primary": name, "secondary": other, "share": covered / len(owed),
                     "low": low, "high": high, "patients": len(owed),
                     "claims": group["claim"].nunique(),
                     "forwarded": float(group["claim"].isin(forwarded_claims).mean())})
    table = pd.DataFrame(rows, columns=["primary", "secondary", "share", "low", "high",
                                        "patients", "claims", "forwarded"])
    seen = {name: len(owed) for name, owed in patients.items() if len(owed) >= MIN_PATIENTS}
    return SecondaryFits(table.set_index(["primary", "secondary"]), seen, suppressed)
