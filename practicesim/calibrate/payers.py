"""Per-payer revenue-cycle parameters fitted to a ledger (``read_transactions``, or a simulated
run's ledger): payment lag, denials, allowed amounts, patient responsibility and payer mix.

From the ledger each claim's path is read: its charge, first submission, first decision (the
first payer payment or denial: a remittance), the reason of a first denial, its contractual
adjustments and its transfers to the patient by reason (PR-1 deductible, PR-2 coinsurance,
PR-3 copay). Then per payer:

- **lag** from submission to the first remittance (the simulator's ``lag_days``), fitted as a
  lognormal by maximum likelihood with censoring: a claim whose remittance posts ``T`` days
  after submission had ``ceil(lag) = T`` (interval-censored on ``(T - 1, T]``); a claim still
  open and waiting at the data's end is right-censored at its wait so far (not dropped; a claim
  closed without any remittance, e.g. written off for timely filing, tells nothing of the lag
  and is left out); when at least 20 remittances, and 5% of them, post on the same, earliest
  day, that day is the payer's floor (Medicare's 14 days) and those claims are left-censored
  there (the lag was at most the floor). The
  Kaplan-Meier curve (statsmodels) is kept beside it. Without submission rows the lag counts
  from the charge entry. The same fit from the date of service
  (``service_to_remittance_median_days``) is reported beside it;
- **initial denial rate**: denied first remittances / first remittances, with a Wilson 95%
  interval, and the CARC mix of those denials;
- **allowed share of charges**: (charges - non-covered charges (PR-49) - contractual
  adjustments) / (charges - non-covered charges) over adjudicated claims;
- **cost sharing**: mean PR-3 copay and mean PR-2 coinsurance as a share of (allowed - copay)
  over the adjudicated claims with some patient responsibility and no deductible (a preventive
  visit has none, whatever the plan; a preventive add-on line lowers a claim's share a little,
  as the ledger does not say which lines a claim has), share of all adjudicated claims with a
  PR-1 deductible; and the same
  split by plan (for a scenario with a ``deductible_plan``): a patient is on a deductible plan
  when one of its adjudicated claims has a PR-1 deductible, or PR-2 coinsurance without a
  copay; ``plan_share`` is the share on one of the payer's patients with some patient
  responsibility, and copay and coinsurance
  are fitted apart over the claims of patients on a plan (``plan_*``) and of the others
  (``other_*``; those never have a deductible, so their deductible probability is 0 by
  construction, not a fit). The deductible itself and care elsewhere are not identified by one
  practice's claims (most of a deductible is met elsewhere);
- **rework outcome**: the share of initially denied claims later paid;
- **share** of the practice's claims.

Privacy: a payer seen for fewer than ``MIN_PATIENTS`` (11) patients is not fitted (only its
share of claims is kept, so the calibrated scenario leaves it out and spreads its share over
the others), and a denial reason seen for fewer than 11 patients is left out of the mix; both
are listed in ``PayerFits.suppressed`` with their count given only as "fewer than 11".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.duration.survfunc import SurvfuncRight

from practicesim import ledger as lg
from practicesim.calibrate.remittance_ledger import CONTRACTUAL_REASONS
from practicesim.contracts import NON_COVERED_REASON

MIN_PATIENTS = 11
"""Cells built from fewer patients are merged or suppressed (HIPAA-style small-cell rule)."""
SMALL_CELL = "fewer than 11"
"""What a suppressed cell's patient count is reported as (never the count itself)."""
Z95 = 1.959964
FLOOR_MIN_CLAIMS = 20
"""Remittances on the earliest day needed (besides 5% of all) to call that day a floor."""


@dataclass
class LagFit:
    """A lognormal lag (days) with its 95% intervals, fitted with censoring."""

    median: float
    median_low: float
    median_high: float
    p90: float
    sigma: float
    floor: int
    n_decided: int
    n_censored: int
    curve: pd.DataFrame = field(repr=False)
    """Kaplan-Meier: ``days`` and ``share_decided`` (1 - survival)."""

    def cdf(self, days: np.ndarray) -> np.ndarray:
        """Fitted share decided within ``days`` (the floor applied)."""
        days = np.asarray(days, dtype=float)
        fitted = stats.lognorm.cdf(np.ceil(days), self.sigma, scale=self.median)
        return np.where(days < self.floor, 0.0, fitted)


@dataclass
class PayerFits:
    """Fitted parameters per payer: ``table`` has one row per (payer, parameter) with
    ``value``, ``low``, ``high`` (95%), ``n`` (claims) and ``patients``; ``lags`` the fitted
    lags; ``reasons`` the CARC mix of initial denials per payer; ``suppressed`` the cells left
    out for having fewer than 11 patients."""

    table: pd.DataFrame
    lags: dict[str, LagFit]
    reasons: dict[str, dict[str, float]]
    suppressed: pd.DataFrame
    claims: pd.DataFrame = field(repr=False)

    def value(self, payer: str, parameter: str) -> float:
        return float(self.table.loc[(payer, parameter), "value"])


def claim_paths(ledger: pd.DataFrame) -> pd.DataFrame:
    """One row per claim with a charge, in the order of the charges in the ledger (never in
    pseudonym order, which changes with the process's key): payer, patient, service and charge
    days, first
    submission (``submitted_day``: the one the first decision answers, the last sent before it,
    as a claim the payer never answered is sent again), first remittance and whether it was a
    denial, its reason, charge, contractual
    adjustments, payer payments and transfers to the patient by reason. ``paid_day``: the first
    remittance that adjudicated the claim (a payer payment, a contractual adjustment or a
    transfer to the patient: a claim whose allowed amount all goes to the deductible is paid
    nothing, yet adjudicated)."""
    kind = ledger["kind"].astype(str)

    def first_day(mask: pd.Series) -> pd.Series:
        return ledger.loc[mask].groupby("claim")["day"].min()

    def total(mask: pd.Series) -> pd.Series:
        return ledger.loc[mask].groupby("claim")["amount_cents"].sum()

    charges = ledger.loc[kind == "charge"]
    out = pd.DataFrame({
        "payer": charges.groupby("claim")["payer"].first().astype(str),
        "patient": charges.groupby("claim")["patient"].first(),
        "service_day": charges.groupby("claim")["service_day"].first(),
        "charge_day": charges.groupby("claim")["day"].min(),
        "charge_cents": charges.groupby("claim")["amount_cents"].sum(),
    })
    # a line corrected after a line denial is sent after the first decision: not its
    sent = ledger.loc[kind == "submission", ["claim", "day"]]
    lined = ledger.loc[kind == "line_denial"].groupby("claim")["day"].min()
    sent = sent[~(sent["day"] >= sent["claim"].map(lined))]
    # the primary payer's remittances: rows in its name, and the patient responsibility it sent
    # on to a secondary (whose own payment, write-off and PR rows are left out here)
    primary = ledger["claim"].map(out["payer"]).astype(str)
    onward = kind == "transfer_to_secondary"
    own = (ledger["payer"].astype(str) == primary) | onward
    kind = kind.where(own, "")
    remitted = kind.isin(["payer_payment", "contractual_adjustment", "transfer_to_patient",
                          "transfer_to_secondary"])
    # a line denied on a paid claim is a denial of its first decision too, with its reason
    denials = ledger.loc[kind.isin(["denial", "line_denial"])]
    first_denial = denials.groupby("claim")[["day", "carc_reason"]].first()
    out["paid_day"] = first_day(remitted)
    out["denied_day"] = first_denial["day"]
    out["denial_reason"] = first_denial["carc_reason"].astype(str)
    decided = pd.concat([out["paid_day"], out["denied_day"]], axis=1).min(axis=1)
    out["decided_day"] = decided
    # the submission the first decision answers: the last one sent before it (a claim the
    # payer never answered was sent again), or the last one of a claim still waiting
    before = sent["claim"].map(decided)
    out["submitted_day"] = sent[before.isna() | (sent["day"] <= before)].groupby(
        "claim")["day"].max()
    out["first_denied"] = out["denied_day"].notna() & ~(out["paid_day"] < out["denied_day"])
    out["contractual_cents"] = total(kind == "contractual_adjustment")
    out["payer_paid_cents"] = total(kind == "payer_payment")
    pr = ledger.loc[kind.isin(["transfer_to_patient", "transfer_to_secondary"])]
    for reason in ("1", "2", "3", NON_COVERED_REASON):
        out[f"pr{reason}_cents"] = pr.loc[pr["carc_reason"].astype(str) == reason].groupby(
            "claim")["amount_cents"].sum()
    signed = pd.Series(lg.signed_cents(ledger), index=ledger.index)
    out["open_cents"] = signed.groupby(ledger["claim"]).sum()
    money = [c for c in out.columns if c.endswith("_cents")]
    out[money] = out[money].fillna(0).astype("int64")
    return out.reindex(pd.unique(charges["claim"]))


def fit_payers(ledger: pd.DataFrame, self_pay: set[str] | None = None) -> PayerFits:
    """Fit every payer's parameters (see the module docstring). ``self_pay``: payer names
    that are self-pay (no claims to a payer; only their share is fitted)."""
    claims = claim_paths(ledger)
    end_day = int(ledger["day"].max())
    self_pay = self_pay or set()
    rows, lags, reasons, suppressed = [], {}, {}, []
    total = len(claims)
    for payer, group in claims.groupby("payer"):
        patients = group["patient"].nunique()
        share = len(group) / total
        rows.append((payer, "share", share, *wilson(len(group), total), len(group), patients))
        if patients < MIN_PATIENTS:
            suppressed.append((payer, "all parameters", SMALL_CELL))
            continue
        if payer in self_pay:
            continue
        lag = fit_lag(group, end_day)
        lags[payer] = lag
        rows.append((payer, "lag_median_days", lag.median, lag.median_low, lag.median_high,
                     lag.n_decided + lag.n_censored, patients))
        rows.append((payer, "lag_p90_days", lag.p90, np.nan, np.nan, lag.n_decided, patients))
        rows.append((payer, "floor_days", lag.floor, np.nan, np.nan, lag.n_decided, patients))
        from_service = fit_lag(group, end_day, since="service")
        rows.append((payer, "service_to_remittance_median_days", from_service.median,
                     from_service.median_low, from_service.median_high,
                     from_service.n_decided + from_service.n_censored, patients))
        rows.extend(_denials(payer, group, reasons, suppressed))
        rows.extend(_money(payer, group))
    table = pd.DataFrame(rows, columns=["payer", "parameter", "value", "low", "high", "n",
                                        "patients"]).set_index(["payer", "parameter"])
    return PayerFits(table=table, lags=lags, reasons=reasons,
                     suppressed=pd.DataFrame(suppressed, columns=["payer", "cell", "patients"]),
                     claims=claims)


def fit_lag(claims: pd.DataFrame, end_day: int, since: str = "submission") -> LagFit:
    """The censored lognormal lag of these claims (module docstring), counted from their first
    submission (``since="submission"``, the charge entry when there is none) or from the date
    of service (``since="service"``)."""
    start = (claims["service_day"].astype(float) if since == "service"
             else claims["submitted_day"].fillna(claims["charge_day"]))
    decided = claims["decided_day"].notna()
    waited = np.where(decided, claims["decided_day"] - start, end_day - start).astype(float)
    closed = ~decided & (claims["open_cents"] == 0)
    keep = (waited >= 0) & ~closed.to_numpy()
    t, event = waited[keep], decided.to_numpy()[keep]
    observed = t[event]
    floor = 0
    if observed.size:
        low = observed.min()
        at_low = int(np.sum(observed == low))
        if low > 1 and at_low >= FLOOR_MIN_CLAIMS and at_low >= 0.05 * observed.size:
            floor = int(low)
    mu, sigma, se_mu = _lognormal_mle(t, event, floor)
    km = SurvfuncRight(t, event.astype(int))
    curve = pd.DataFrame({"days": km.surv_times, "share_decided": 1 - km.surv_prob})
    return LagFit(median=math.exp(mu), median_low=math.exp(mu - Z95 * se_mu),
                  median_high=math.exp(mu + Z95 * se_mu),
                  p90=math.exp(mu + stats.norm.ppf(0.9) * sigma), sigma=sigma, floor=floor,
                  n_decided=int(event.sum()), n_censored=int((~event).sum()), curve=curve)


def _lognormal_mle(t: np.ndarray, event: np.ndarray, floor: int) -> tuple[float, float, float]:
    """(mu, sigma, standard error of mu) of a lognormal lag, by maximum likelihood: decided at
    whole day T means lag in (T - 1, T] (a same-day remittance, T = 0, counts as within a
    day); at the floor, lag <= floor; waiting at T means lag > T."""
    at_floor = event & (t <= floor) if floor > 0 else np.zeros_like(event)
    interval = event & ~at_floor
    upper = np.maximum(t[interval], 1.0)
    lower = np.maximum(t[interval] - 1, 1e-9)
    floor_n = int(at_floor.sum())
    censored = np.maximum(t[~event], 1e-9)

    def nll(theta: np.ndarray) -> float:
        mu, log_sigma = theta
        sigma = math.exp(log_sigma)
        z = lambda x: (np.log(x) - mu) / sigma  # noqa: E731
        p = stats.norm.cdf(z(upper)) - np.where(t[interval] > 1, stats.norm.cdf(z(lower)), 0)
        ll = np.log(np.maximum(p, 1e-300)).sum()
        if floor_n:
            ll += floor_n * stats.norm.logcdf((math.log(floor) - mu) / sigma)
        ll += stats.norm.logsf(z(censored)).sum()
        return -ll

    guess = np.log(np.maximum(t[event], 1)) if event.any() else np.log(np.maximum(t, 1))
    start = np.array([guess.mean(), math.log(max(guess.std(), 0.1))])
    fit = optimize.minimize(nll, start, method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})
    mu, log_sigma = fit.x
    return float(mu), float(math.exp(log_sigma)), _standard_error(nll, fit.x)


def _standard_error(nll, theta: np.ndarray, h: float = 1e-4) -> float:
    """The standard error of ``theta[0]`` from the inverse of the negative log-likelihood's
    Hessian at its minimum (central differences): with sigma estimated too, not held fixed
    (with most lags at the floor, mu and sigma are strongly correlated)."""
    center = nll(theta)
    hessian = np.empty((2, 2))
    for i in range(2):
        e = np.eye(2)[i] * h
        hessian[i, i] = (nll(theta + e) - 2 * center + nll(theta - e)) / h ** 2
    e0, e1 = np.eye(2)[0] * h, np.eye(2)[1] * h
    hessian[0, 1] = hessian[1, 0] = (nll(theta + e0 + e1) - nll(theta + e0 - e1)
                                     - nll(theta - e0 + e1) + nll(theta - e0 - e1)) / (4 * h * h)
    try:
        variance = np.linalg.inv(hessian)[0, 0]
    except np.linalg.LinAlgError:
        return float("nan")
    return math.sqrt(variance) if variance > 0 else float("nan")


def _denials(payer: str, group: pd.DataFrame, reasons: dict[str, dict[str, float]],
             suppressed: list) -> list[tuple]:
    decided = group[group["decided_day"].notna()]
    patients = decided["patient"].nunique()
    denied = decided[decided["first_denied"]]
    rows = [(payer, "initial_denial_rate", len(denied) / max(len(decided), 1),
             *wilson(len(denied), len(decided)), len(decided), patients)]
    by_reason = denied.groupby("denial_reason")["patient"].agg(["size", "nunique"])
    small = by_reason[by_reason["nunique"] < MIN_PATIENTS]
    suppressed.extend((payer, f"denial reason {r}", SMALL_CELL) for r in small.index)
    kept = by_reason[by_reason["nunique"] >= MIN_PATIENTS]["size"]
    if kept.sum():
        reasons[payer] = (kept / kept.sum()).round(4).to_dict()
    later_paid = (denied["payer_paid_cents"] > 0).sum()
    rows.append((payer, "denied_later_paid", later_paid / max(len(denied), 1),
                 *wilson(later_paid, len(denied)), len(denied), denied["patient"].nunique()))
    return rows


def _money(payer: str, group: pd.DataFrame) -> list[tuple]:
    paid = group[group["paid_day"].notna()]
    patients = paid["patient"].nunique()
    if paid.empty:
        return []
    covered = paid["charge_cents"] - paid["pr49_cents"]
    allowed = covered - paid["contractual_cents"]
    ratio = allowed.sum() / covered.sum() if covered.sum() else float("nan")
    per_claim = allowed / covered.where(covered > 0)
    se = per_claim.std(ddof=1) / math.sqrt(len(paid)) if len(paid) > 1 else float("nan")
    rows = [(payer, "allowed_share_of_charge", ratio, ratio - Z95 * se, ratio + Z95 * se,
             len(paid), patients)]
    rows.extend(_sharing(payer, paid, allowed, ""))
    marks = (paid["pr1_cents"] > 0) | ((paid["pr2_cents"] > 0) & (paid["pr3_cents"] == 0))
    on_plan = paid["patient"].isin(paid.loc[marks, "patient"])
    planned = int(paid.loc[on_plan, "patient"].nunique())
    shown = int(_cost_shared(paid)["patient"].nunique())
    rows.append((payer, "plan_share", planned / max(shown, 1), *wilson(planned, shown), len(paid),
                 shown))
    for prefix, chosen in (("plan_", on_plan), ("other_", ~on_plan)):
        rows.extend(_sharing(payer, paid[chosen], allowed[chosen], prefix))
    return rows


def _cost_shared(paid: pd.DataFrame) -> pd.DataFrame:
    """The claims with some patient responsibility (PR-1, 2 or 3), or all of ``paid`` if none
    has any: a claim without any (a preventive visit, covered without cost sharing) says
    nothing about the patient's cost-sharing terms."""
    some = (paid["pr1_cents"] + paid["pr2_cents"] + paid["pr3_cents"]) > 0
    return paid[some] if some.any() else paid


def _sharing(payer: str, paid: pd.DataFrame, allowed: pd.Series, prefix: str) -> list[tuple]:
    """Mean copay (dollars) and mean coinsurance of the rest (claims without a deductible) over
    the adjudicated claims ``paid`` that carry some patient responsibility (``_cost_shared``: a
    preventive visit carries none, whatever the plan), and the share of all of ``paid`` with a
    deductible (none: 0, with n 0). A claim with a preventive add-on line shows a lower
    coinsurance share (that line is allowed without it; the ledger does not show lines)."""
    shared = _cost_shared(paid)
    patients = paid["patient"].nunique()
    copays = shared["pr3_cents"] / 100
    deductible = int((paid["pr1_cents"] > 0).sum())
    rest = (allowed[shared.index] - shared["pr3_cents"])[shared["pr1_cents"] == 0]
    coinsurance = (shared.loc[rest.index, "pr2_cents"] / rest.where(rest > 0)).dropna()
    return [
        (payer, f"{prefix}copay_dollars", float(copays.mean()) if len(shared) else 0.0, np.nan,
         np.nan, len(copays), patients),
        (payer, f"{prefix}deductible_probability", deductible / max(len(paid), 1),
         *wilson(deductible, len(paid)), len(paid), patients),
        (payer, f"{prefix}coinsurance", float(coinsurance.mean()) if len(coinsurance) else 0.0,
         np.nan, np.nan, len(coinsurance), patients)]


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a proportion k / n."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (centre - half, centre + half)


def allowed_by_code(service_lines: pd.DataFrame, adjustments: pd.DataFrame,
                    claims: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple]]:
    """Allowed-to-charge ratio per payer and procedure code from 835 service lines: allowed =
    line charge - the line's contractual adjustments (pricing CARCs,
    ``remittance_ledger.CONTRACTUAL_REASONS``, any group but PR); ratio = allowed / charge over the
    code's lines, in claims not denied (CLP02 1-3). Codes seen for fewer than 11 patients are
    left out and returned as suppressed cells."""
    head = claims.set_index("claim_row")[["payer_name", "patient", "status"]]
    lines = service_lines.join(head, on="claim_row")
    lines = lines[lines["status"].isin(["1", "2", "3"])]
    pricing = adjustments[(adjustments["line"] >= 0) & (adjustments["group"] != "PR")
                          & adjustments["reason"].isin(list(CONTRACTUAL_REASONS))]
    contractual = pricing.groupby(["claim_row", "line"])["amount_cents"].sum()
    lines = lines.join(contractual.rename("contractual_cents"), on=["claim_row", "line"])
    lines["contractual_cents"] = lines["contractual_cents"].fillna(0)
    grouped = lines.groupby(["payer_name", "procedure"])
    table = pd.DataFrame({
        "lines": grouped.size(),
        "patients": grouped["patient"].nunique(),
        "charge_dollars": grouped["charge_cents"].sum() / 100,
        "allowed_dollars": (grouped["charge_cents"].sum()
                            - grouped["contractual_cents"].sum()) / 100,
    })
    table["allowed_to_charge"] = table["allowed_dollars"] / table["charge_dollars"]
    small = table["patients"] < MIN_PATIENTS
    suppressed = [(payer, f"allowed ratio of code {code}", SMALL_CELL)
                  for payer, code in table.index[small]]
    return table.loc[~small].drop(columns="patients"), suppressed
