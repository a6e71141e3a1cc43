"""What a practice's ledger says of its scenario: its payers and their terms, and the charge
lag (``practicesim.calibrate.calibration`` describes each fit)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd

from practicesim.calibrate.payers import MIN_PATIENTS, PayerFits, fit_payers
from practicesim.calibrate.secondaries import SecondaryFits
from practicesim.scenario import Scenario

_KIND_WORDS = (("advantage", "medicare_advantage"), ("medigap", "medigap"),
               ("supplement", "medigap"), ("medicare", "medicare"),
               ("medicaid", "medicaid"), ("self", "self_pay"), ("no_insurance", "self_pay"),
               ("uninsured", "self_pay"), ("cash", "self_pay"))


def fit_ledger(ledger: pd.DataFrame, base: Scenario, data: dict, rows: dict,
               figures: dict) -> PayerFits:
    """The payers found in the ledger (kind from its ``payer_kinds`` or guessed from the name),
    each with its share, lag and floor, denial rate net of the base scenario's scrubber misses,
    CARC mix, allowed amounts and cost sharing, and the charge lag, written into ``data``;
    each fitted key's (value, low, high, n, source) into ``rows``; figures' data into
    ``figures``."""
    kinds = dict(ledger.attrs.get("payer_kinds", {}))
    names = sorted(ledger["payer"].astype(str).unique().tolist())
    kinds = {name: kinds.get(name) or _guess_kind(name) for name in names}
    fits = fit_payers(ledger, {n for n, k in kinds.items() if k == "self_pay"})
    template = {p.kind: p.model_dump(mode="json", by_alias=True) for p in base.payers}
    error_share = base.billing.claim_error_rate * (1 - base.billing.scrubber_catch_rate)
    ratio = _charge_to_medicare(base)
    seats = [(p.get("count", 1), bool(p.get("npp"))) for p in data["providers"]]
    npp_share = sum(n for n, npp in seats if npp) / max(sum(n for n, _ in seats), 1)
    payers = []
    for name in names:
        whole = fits.suppressed[fits.suppressed["cell"] == "all parameters"]
        if (name, "share") not in fits.table.index or name in set(whole["payer"]):
            continue
        kind = kinds[name]
        payer = copy.deepcopy(template.get(kind) or template.get("commercial") or
                              next(iter(template.values())))
        payer.update(name=name, kind=kind, share=fits.value(name, "share"))
        rows[f"payers[{name}].share"] = _row(fits, name, "share")
        if kind != "self_pay" and (name, "lag_median_days") in fits.table.index:
            _payer_terms(payer, name, fits, error_share, ratio / (
                1 - npp_share * (1 - payer.get("npp_pct", 1.0))), rows)
        payers.append(payer)
    if payers:
        _secondaries_from_base(payers, base)
        data["payers"] = payers
        for provider in data["providers"]:
            provider["credentialing"] = {k: v for k, v in provider["credentialing"].items()
                                         if k in {p["name"] for p in payers}}
        data["billing"]["posting_lag_days"] = 0.0
        rows["billing.posting_lag_days"] = (0.0, np.nan, np.nan, np.nan,
                                            "transactions (posting is inside the fitted lag)")
    _charge_lag(fits, data, rows)
    figures["lags"] = fits.lags
    parameters = fits.table.index.get_level_values("parameter")
    if "initial_denial_rate" in set(parameters):
        figures["denials"] = fits.table.xs("initial_denial_rate", level="parameter")
    return fits


def _payer_terms(payer: dict, name: str, fits: PayerFits, error_share: float, ratio: float,
                 rows: dict) -> None:
    lag = fits.lags[name]
    payer["lag_days"] = {"dist": "lognormal", "median": lag.median, "p90": lag.p90}
    payer["floor_days"] = lag.floor
    payer["pend"] = {**payer.get("pend", {}), "rate": 0.0}
    rows[f"payers[{name}].pend.rate"] = (0.0, np.nan, np.nan, np.nan,
                                         "transactions (pended claims' delays are inside the "
                                         "fitted lag)")
    rows[f"payers[{name}].lag_days.median"] = _row(fits, name, "lag_median_days")
    rows[f"payers[{name}].lag_days.p90"] = _row(fits, name, "lag_p90_days")
    rows[f"payers[{name}].floor_days"] = _row(fits, name, "floor_days")
    observed = fits.value(name, "initial_denial_rate")
    payer["denial"]["rate"] = max(0.0, (observed - error_share) / (1 - error_share))
    value, low, high, n, _ = _row(fits, name, "initial_denial_rate")
    net = [max(0.0, (x - error_share) / (1 - error_share)) for x in (value, low, high)]
    rows[f"payers[{name}].denial.rate"] = (*net, n, "transactions (net of scrubber misses)")
    if fits.reasons.get(name):
        payer["denial"]["reasons"] = _normalised(fits.reasons[name])
    if (name, "allowed_share_of_charge") not in fits.table.index:
        return
    allowed = fits.value(name, "allowed_share_of_charge") * ratio
    payer["allowed_pct_of_medicare"] = allowed
    value, low, high, n, _ = _row(fits, name, "allowed_share_of_charge")
    rows[f"payers[{name}].allowed_pct_of_medicare"] = (
        allowed, low * ratio, high * ratio, n,
        "transactions (x base charge/Medicare ratio, / the providers' npp_pct blend)")
    sharing = payer["cost_sharing"]
    plan = sharing.get("deductible_plan")
    # with a deductible plan, the flat terms are those of the patients not on it; a patient with
    # a deductible counts as on the plan, so their deductible probability is not identified
    fitted = ("copay", "coinsurance") if plan else ("copay", "deductible_probability",
                                                    "coinsurance")
    _fit_terms(sharing, f"payers[{name}].cost_sharing", "other_" if plan else "", fitted,
               name, fits, rows)
    if plan:
        plan["share"] = min(1.0, max(0.0, fits.value(name, "plan_share")))
        rows[f"payers[{name}].cost_sharing.deductible_plan.share"] = _row(fits, name,
                                                                          "plan_share")
        _fit_terms(plan, f"payers[{name}].cost_sharing.deductible_plan", "plan_",
                   ("copay", "coinsurance"), name, fits, rows)


def _fit_terms(terms: dict, key: str, prefix: str, names: tuple[str, ...], payer: str,
               fits: PayerFits, rows: dict) -> None:
    """Set each of ``names`` (``copay``, ``deductible_probability``, ``coinsurance``) in
    ``terms`` to its fit ``<prefix><name>`` (the copay's in dollars), unless the fit saw no
    claims (then the base scenario's value stays). A deductible plan's deductible and care
    elsewhere always stay the base's: one practice's claims do not identify them."""
    for name in names:
        parameter = f"{prefix}{name}_dollars" if name == "copay" else f"{prefix}{name}"
        row = _row(fits, payer, parameter)
        if row[3] == 0:
            continue
        terms[name] = row[0] if name == "copay" else min(1.0, max(0.0, row[0]))
        rows[f"{key}.{name}"] = row


def _charge_lag(fits: PayerFits, data: dict, rows: dict) -> None:
    """Charge entry lag: days from service to charge, as a gamma with the observed mean
    (less half a day: the engine enters charges ``ceil(lag)`` days after the visit) and cv."""
    lag = (fits.claims["charge_day"] - fits.claims["service_day"]).astype(float)
    lag = lag[lag >= 0]
    if fits.claims.loc[lag.index, "patient"].nunique() < MIN_PATIENTS or len(lag) < 2:
        return
    mean = max(float(lag.mean()) - 0.5, 0.0)
    if mean <= 0.05:
        data["billing"]["charge_lag_days"] = 0.0
    else:
        cv = float(lag.std(ddof=1) / lag.mean())
        data["billing"]["charge_lag_days"] = {"dist": "gamma", "mean": mean, "cv": max(cv, 0.01)}
    sem = float(lag.std(ddof=1) / math.sqrt(len(lag)))
    rows["billing.charge_lag_days.mean"] = (mean, mean - 1.96 * sem, mean + 1.96 * sem,
                                            len(lag), "transactions")


def _row(fits: PayerFits, payer: str, parameter: str) -> tuple:
    r = fits.table.loc[(payer, parameter)]
    return (float(r["value"]), float(r["low"]), float(r["high"]), int(r["n"]), "transactions")


def _secondaries_from_base(payers: list[dict], base: Scenario) -> None:
    """Secondary coverage a ledger does not show (835s do: ``secondaries_from_remittances``):
    each fitted payer keeps the base payer's of the same name (``secondary``, ``as_secondary``;
    else its kind's template's), the base's payers that are only ever secondary (share 0, e.g.
    Medigap) are kept when a fitted payer names them, and shares naming a payer the calibrated
    scenario lacks are dropped."""
    by_name = {p.name: p.model_dump(mode="json", by_alias=True) for p in base.payers}
    for payer in payers:
        same = by_name.get(payer["name"])
        if same is not None:
            payer["secondary"], payer["as_secondary"] = same["secondary"], same["as_secondary"]
    names = {p["name"] for p in payers}
    named = {k for p in payers for k in p.get("secondary", {})}
    payers += [copy.deepcopy(p) for name, p in by_name.items()
               if name in named - names and p["share"] == 0]
    kept = {p["name"] for p in payers}
    for payer in payers:
        payer["secondary"] = {k: v for k, v in payer.get("secondary", {}).items()
                              if k in kept and k != payer["name"]}


def secondaries_from_remittances(data: dict, fits: SecondaryFits, base: Scenario,
                                 rows: dict) -> None:
    """Each fitted payer seen with enough patients who owed cost sharing (``fits.patients``)
    gets its secondary shares from the 835s (``calibrate.secondaries``) in place of the base's,
    none where none were fitted, scaled down to sum to 1 if above; a secondary the calibrated
    scenario lacks is added with share 0 (the base's payer of that name, else its kind's
    template, the kind guessed from the name); a secondary whose claims the primaries mostly
    forwarded (CLP02 = 19) gets ``as_secondary.crossover``."""
    payers = {p["name"]: p for p in data["payers"]}
    by_name = {p.name: p.model_dump(mode="json", by_alias=True) for p in base.payers}
    template = {p.kind: p.model_dump(mode="json", by_alias=True) for p in base.payers}
    table = fits.table[fits.table.index.get_level_values("primary").isin(list(payers))]
    for other in sorted(set(table.index.get_level_values("secondary")) - set(payers)):
        kind = by_name[other]["kind"] if other in by_name else _guess_kind(other)
        added = copy.deepcopy(by_name.get(other) or template.get(kind)
                              or template.get("commercial") or next(iter(template.values())))
        added.update(name=other, kind=kind, share=0.0, secondary={})
        data["payers"].append(added)
        payers[other] = added
        rows[f"payers[{other}].share"] = (0.0, np.nan, np.nan, np.nan,
                                          "remittances (not fitted as a primary payer: it "
                                          "decides as a secondary)")
    for primary in sorted(set(fits.patients) & set(payers)):
        shares = table.xs(primary, level="primary") if primary in table.index.get_level_values(
            "primary") else table.iloc[0:0].droplevel("primary")
        scale = max(1.0, float(shares["share"].sum()))
        payers[primary]["secondary"] = {s: float(r.share / scale) for s, r in shares.iterrows()}
        for other, r in shares.iterrows():
            rows[f"payers[{primary}].secondary[{other}]"] = (
                r.share / scale, r.low / scale, r.high / scale, r.patients,
                "remittances (patients of the primary who owed cost sharing whose claims this "
                "payer decided as secondary, CLP02 = 2)")
    for other, group in table.groupby(level="secondary"):
        forwarded = float((group["forwarded"] * group["claims"]).sum() / group["claims"].sum())
        payers[other].setdefault("as_secondary", {})["crossover"] = forwarded > 0.5
        rows[f"payers[{other}].as_secondary.crossover"] = (
            float(forwarded > 0.5), np.nan, np.nan, int(group["claims"].sum()),
            f"remittances ({forwarded:.0%} of its secondary claims forwarded by the primary, "
            "CLP02 = 19)")


def _normalised(mix: dict[str, float]) -> dict[str, float]:
    total = sum(mix.values())
    shares = {k: round(v / total, 6) for k, v in mix.items()}
    first = next(iter(shares))
    shares[first] = round(1.0 - sum(v for k, v in shares.items() if k != first), 6)
    return shares


def _guess_kind(name: str) -> str:
    lowered = name.lower().replace(" ", "_")
    for word, kind in _KIND_WORDS:
        if word in lowered:
            return kind
    return "commercial"


def _charge_to_medicare(base: Scenario) -> float:
    """Mean charge / Medicare allowed (in the base scenario's locality) over the base fee
    schedule (turns an allowed share of charges into a share of Medicare's allowed amount)."""
    ratios = [e.charge / e.medicare_in(base.locality) for e in base.fee_schedule.values()
              if e.medicare_allowed > 0]
    return float(np.mean(ratios))
