"""An outsourced revenue-cycle vendor (the scenario's ``outsourcing`` section).

From ``start`` the vendor does the work in its ``scope``: ``coding`` (it codes entered charges
``submit_lag_days`` or more after their entry, at most ``claims_coded_per_day`` a business day,
with its own claim error and scrubber catch rates, and the payers deny its claims at
``denial_rate_factor`` times their rates) and/or ``denials`` (it works the denial queue, at most
``denials_worked_per_day`` a business day, with its own appeal success rate, and follows up
unanswered claims), ``posting`` (posting exceptions and secondary claims) and ``patient_calls``
(patients' calls about statements), these two without a limit. The practice's own
coders or billers then no longer do that work (they are still paid until a dated change removes
them). The vendor's capacity is ``transition_productivity`` of full on ``start``, rising linearly
to full over ``transition_days``: in a transition, work that comes faster than that waits.

The fee, ``fee_rate`` of the collections in ``fee_base``, is booked as a ``vendor_fees`` cost on
the day the money comes in; a ``setup_fee`` on ``start``.
"""

from __future__ import annotations

import math

from practicesim.calendar import PracticeCalendar
from practicesim.revenue.claims import Claim
from practicesim.scenario import Outsourcing, Scenario


class Vendor:
    """When the vendor works, how much it can do on a day, and the fee on a collection."""

    def __init__(self, scenario: Scenario, calendar: PracticeCalendar) -> None:
        terms = scenario.outsourcing
        self.start = math.inf if terms.start is None else calendar.day(terms.start)
        self.scope = frozenset(terms.scope)
        self.coding = "coding" in terms.scope
        self.denials = "denials" in terms.scope
        self.transition_days = terms.transition_days
        self.first_productivity = terms.transition_productivity
        self.is_business_day = calendar.is_clinic_day

    def codes(self, day: int) -> bool:
        """True if the vendor codes and sends the claims on ``day``."""
        return self.coding and day >= self.start

    def works_denials(self, day: int) -> bool:
        """True if the vendor works the denial queue on ``day``."""
        return self.denials and day >= self.start

    def does(self, scope: str, day: int) -> bool:
        """True if the vendor does the work of ``scope`` (``coding``, ``denials``, ``posting``,
        ``patient_calls``) on ``day``."""
        return scope in self.scope and day >= self.start

    def productivity(self, day: int) -> float:
        """Share of full capacity on ``day``: ``p0 + (1 - p0) * (day - start) / transition_days``,
        capped at 1 (``p0`` = ``transition_productivity``)."""
        if self.transition_days == 0:
            return 1.0
        p0 = self.first_productivity
        return min(1.0, p0 + (1 - p0) * (day - self.start) / self.transition_days)

    def capacity(self, day: int, per_day: float | None) -> float:
        """Items the vendor can finish on ``day`` (claims coded or denials worked): none on a
        day the practice is closed, else ``per_day`` times the productivity (None: no limit)."""
        if not self.is_business_day[day]:
            return 0.0
        if per_day is None:
            return math.inf
        return per_day * self.productivity(day)

    def fee_rate(self, day: int, terms: Outsourcing, claim: Claim | None = None) -> float:
        """The fee's share of a payment received on ``day``: of a payer's payment on ``claim``,
        or (``claim`` None) of a patient's statement payment."""
        if day < self.start:
            return 0.0
        if terms.fee_base == "collections":
            return terms.fee_rate
        return terms.fee_rate if claim is not None and claim.vendor_reworked else 0.0
