"""Which dated changes can apply mid-run: a ``changes:`` entry may alter rates, counts and
policies, not what the engine fixes when a run starts (``structural_change``)."""

from __future__ import annotations

from practicesim.scenario.root import Scenario

_WORKFORCE_TERMS = ("turnover_per_year", "vacancy_days", "ramp_up_days", "ramp_up_productivity",
                    "ramp_up_error_factor")
"""Staff terms the workforce timeline is drawn from when a run starts."""


def structural_change(before: Scenario, after: Scenario) -> str:
    """Why a dated change cannot apply mid-run ("" if it can). Staff counts and hours, payer
    terms (allowed amounts, denial rates, cost sharing, filing limits), demand rates, no-show
    parameters, billing rates and policies, collection rules and costs may change; what the
    engine fixes when a run starts (the practice's structure and the distributions behind its
    random draws) may not, so that no change is accepted and then silently ignored."""
    for key in ("providers", "payers", "service_lines", "demand"):
        old = [(x.name, getattr(x, "count", 1)) for x in getattr(before, key)]
        new = [(x.name, getattr(x, "count", 1)) for x in getattr(after, key)]
        if old != new:
            hint = " (give a provider a start_date or end_date instead)" if (
                key == "providers") else " (use a separate scenario file instead)"
            return f"{key} cannot be added, removed or re-counted by a dated change{hint}"
    billing = ("charge_lag_days", "posting_lag_days", "coding_minutes_per_claim",
               "scrub_fix_days", "rejection_fix_days", "rework_minutes_per_denial",
               "appeal_decision_days")
    fixed = {
        "providers": lambda s: s.providers,
        "service lines and visit types": lambda s: s.service_lines,
        "payers' kind, share and lag_days": lambda s: [
            (p.kind, p.share, p.lag_days) for p in s.payers],
        f"billing.{{{', '.join(billing)}}}": lambda s: [getattr(s.billing, k) for k in billing],
        "patient_collections.agency_days": lambda s: s.patient_collections.agency_days,
        "flow": lambda s: s.flow,
        "calendar": lambda s: s.calendar,
        "starting_cash": lambda s: s.starting_cash,
        "costs.one_time": lambda s: s.costs.one_time,
        "line_of_credit": lambda s: s.line_of_credit,
        "no_shows.model": lambda s: s.no_shows.model,
        "outsourcing.{start, scope, transition_days, transition_productivity}": lambda s: (
            s.outsourcing.start, s.outsourcing.scope, s.outsourcing.transition_days,
            s.outsourcing.transition_productivity),
        "scheduling.{overbook_per_session, overbook_no_show_rate, booking_horizon_days, "
        "panel_size}": lambda s: (
            s.scheduling.overbook_per_session, s.scheduling.overbook_no_show_rate,
            s.scheduling.booking_horizon_days, s.scheduling.panel_size),
        f"staff.<role>.{{{', '.join(_WORKFORCE_TERMS)}}}": lambda s: [
            tuple(getattr(getattr(s.staff, role), k) for k in _WORKFORCE_TERMS)
            for role in type(s.staff).model_fields],
    }
    for what, part in fixed.items():
        if part(before) != part(after):
            return (f"{what} cannot change mid-run: they are fixed when a run starts "
                    "(use a separate scenario file instead)")
    return ""
