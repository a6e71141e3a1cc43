"""Provider enrollment with payers: who may bill whom for which dates of service. Scheduling and
the clinic read it (which patients a provider may see), and so do claims (which are held or
denied).

A provider enrolled with a payer from ``effective`` (and, after a missed re-credentialing, until
``lapses``, then again from ``renewed``) may bill that payer for services in ``[effective, lapses)``
and ``[renewed, ...)``: a coverage window is a tuple of such intervals. Medicare also pays for
services up to 30 days before the effective date (42 CFR 424.520(d), 424.521(a)); a payer's
``enrollment_effective`` rule says whether it pays from the approval, back-dates to the
application, or follows Medicare's rule; an enrollment's own ``covers_from`` overrides it. An
enrollment given as ``applied`` plus ``processing_days`` (or the payer's ``enrollment_days``)
takes effect ``ceil(processing_days)`` days after the application, the
processing time drawn once per run from the stream ``("credentialing", provider, payer)``; for
Medicare, billing privileges then date from the later of the application and the provider's start
(30 days earlier with the retroactive rule), and the approval only releases held claims.
"""

from __future__ import annotations

import math
from datetime import date as date_type
from datetime import timedelta

from practicesim.calendar import PracticeCalendar
from practicesim.scenario import Dist, Enrollment, Provider, Scenario
from practicesim.streams import Streams

MEDICARE_RETROACTIVE_DAYS = 30
Window = tuple[tuple[int, int], ...]
"""Service days a payer pays a provider for: ``[first, end)`` intervals in day order."""


class Coverage:
    """Enrollment in simulation days, per (provider seat, payer): the day it takes effect and
    the window of service days the payer pays for."""

    def __init__(self, scenario: Scenario, seats: list[Provider], calendar: PracticeCalendar,
                 streams: Streams | None = None):
        big = 10**9
        self.windows: list[list[Window]] = []
        self.effective: list[list[int]] = []
        for provider in seats:
            row, effective_row = [], []
            for payer in scenario.payers:
                enrollment = provider.credentialing.get(payer.name)
                first, end, effective = -big, big, -big
                if enrollment is not None:
                    takes_effect = effective_date(enrollment, provider.name, payer.name, streams,
                                                  payer.enrollment_days)
                    if takes_effect is not None:
                        effective = first = calendar.day(takes_effect)
                        rule = payer.enrollment_effective or (
                            "medicare" if payer.kind == "medicare" else "approval")
                        if rule != "approval":
                            first = calendar.day(_billing_start(enrollment, provider,
                                                                takes_effect))
                        if rule == "medicare":
                            first -= MEDICARE_RETROACTIVE_DAYS
                    if enrollment.covers_from is not None:
                        first = calendar.day(enrollment.covers_from)
                    if enrollment.lapses is not None:
                        end = calendar.day(enrollment.lapses)
                window: Window = ((first, end),)
                if enrollment is not None and enrollment.renewed is not None:
                    window = ((first, end), (calendar.day(enrollment.renewed), big))
                row.append(window)
                effective_row.append(effective)
            self.windows.append(row)
            self.effective.append(effective_row)
        self.unrestricted = [
            [p for p, row in enumerate(self.windows) if row[j] == ((-big, big),)]
            for j in range(len(scenario.payers))
        ]

    def covers(self, provider: int, payer: int, day: int) -> bool:
        """True if the payer pays this provider for a service on ``day``."""
        return covered(self.windows[provider][payer], day)

    def effective_day(self, provider: int, payer: int) -> int:
        """The day the enrollment takes effect (claims held for it go out then)."""
        return self.effective[provider][payer]

    def window(self, provider: int, payer: int) -> Window:
        """The ``[first, end)`` intervals of service days the payer pays this provider for."""
        return self.windows[provider][payer]


def covered(window: Window, day: int) -> bool:
    """True if ``day`` falls in one of the window's ``[first, end)`` intervals."""
    return any(first <= day < end for first, end in window)


def effective_date(enrollment: Enrollment, provider: str, payer: str,
                   streams: Streams | None, default_days: Dist | None = None) -> date_type | None:
    """When the enrollment takes effect: its ``effective`` date, or ``applied`` plus the
    processing time (its own ``processing_days``, else the payer's ``default_days``) drawn
    from the stream ``("credentialing", provider, payer)``."""
    processing = enrollment.processing_days or default_days
    if enrollment.applied is None or processing is None:
        return enrollment.effective
    if streams is None:
        raise ValueError(f"{provider}/{payer}: a drawn enrollment date needs random streams")
    days = processing.sample(streams.get("credentialing", provider, payer), 1)
    return enrollment.applied + timedelta(days=max(0, math.ceil(float(days[0]))))


def _billing_start(enrollment: Enrollment, provider: Provider, approved: date_type) -> date_type:
    """The first date of service a back-dating payer pays for (before Medicare's 30
    retroactive days): Medicare's effective date of billing privileges (42 CFR 424.520(d)), the
    later of the filing date of the application later approved and the date the provider began
    furnishing services; a payer that back-dates to the application the same. With a known
    ``effective`` date, that date; with ``applied``, the later of ``applied`` and the
    provider's ``start_date`` (the approval, ``approved``, only lets the claims go out: claims
    held under ``hold_claims`` wait for it)."""
    if enrollment.applied is None:
        return approved
    return max(enrollment.applied, provider.start_date or enrollment.applied)
