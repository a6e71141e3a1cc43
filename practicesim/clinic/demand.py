"""Demand: appointment requests and walk-ins, and the patients who make them.

On a clinic day a service line receives ``N ~ Poisson(requests_per_day x weekday factor x month
factor x ramp share x G)`` requests, ``G ~ Gamma(mean 1, cv = dispersion)`` (day-to-day
over-dispersion; 1 when ``dispersion`` is below 1e-6; ramp share: the logistic share of the full
rate of a new line's ``ramp``, else 1). Each request is a new patient with ``new_patient_share``
(a new patient id, payer drawn from the payer mix) or an established patient drawn uniformly from
the panel; its visit type is drawn by ``share`` among the line's new or established types.
Walk-ins arrive as a Poisson process by clock hour (times the ramp share) and are established
patients. Established patients and walk-ins are drawn from the practice's patients
(``PatientPanel.practice``); a patient who left the practice for good (``LEFT``) makes no more
requests. A new provider with a ``panel_ramp`` also receives requests of her own
(``PanelRamp``): new patients who join her panel at once, or patients drawn uniformly from her
own patients.

Every draw is keyed (``Streams.keyed``): a day's count by the line and day (``G`` and ``N`` by
inverse CDF, so a higher rate gives at least as many requests on the same uniforms), and each
request's new/established, visit type, patient and tolerance by the request's identity (line, day,
sequence). What cannot be kept across scenarios is which established patient a uniform picks when
the panels differ in size (``u x panel size``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from practicesim.context import Context
from practicesim.distributions import Gamma, poisson_quantile
from practicesim.scenario import Provider, Scenario
from practicesim.streams import Streams, identities, identity


@dataclass(slots=True)
class Requests:
    """One day's appointment requests (parallel lists)."""

    line: list[int] = field(default_factory=list)
    visit_type: list[int] = field(default_factory=list)
    patient: list[int] = field(default_factory=list)
    payer: list[int] = field(default_factory=list)
    tolerance: list[float] = field(default_factory=list)
    """Longest lead time (days) the patient accepts."""
    key: list[int] = field(default_factory=list)
    """The request's identity (service line, day, sequence in that line's day): keys the
    random draws of the request, its appointment and its visit (``streams.identity``)."""

    def append(self, line: int, visit_type: int, patient: int, payer: int, tolerance: float,
               key: int) -> None:
        """One more request."""
        self.line.append(line)
        self.visit_type.append(visit_type)
        self.patient.append(patient)
        self.payer.append(payer)
        self.tolerance.append(tolerance)
        self.key.append(key)


class PatientPanel:
    """The practice's patients, their payers and their coverage uniforms (patient id = index).

    ``coverage[i]``: patient i's uniform for its secondary payer (``payers[].secondary``),
    keyed by what created the patient (its place in the opening panel, the request that brought
    it, the booked appointment of a warm start), so that a patient keeps its secondary in every
    scenario, whatever order patients are numbered in."""

    def __init__(self, scenario: Scenario, size: int, rng: np.random.Generator,
                 streams: Streams, weights: list[float] | None = None) -> None:
        self.shares = _payer_shares(scenario)
        self.cumulative: list[float] = np.cumsum(self.shares).tolist()
        """The payers' cumulative shares, in order."""
        self.payer: list[int] = rng.choice(len(self.shares), size=size, p=self.shares).tolist()
        keys = identities("panel", (), np.arange(size))
        self.coverage: list[float] = streams.keyed("coverage", keys, 1)[:, 0].tolist()
        self.key: list[int] = keys.tolist()
        """Each patient's identity (what created it): keys its own draws (its deductible plan,
        its care elsewhere: ``practicesim.deductibles``)."""
        weights = weights or []
        self.owner: list[int] = _owners(streams.keyed("owner", keys, 1)[:, 0], weights)
        """Each patient's own provider (seat index; ``UNATTACHED`` until a provider first sees
        a patient; ``LEFT`` for one who left the practice with a departed provider)."""
        self.practice: list[int] = list(range(size))
        """The patients the practice's demand draws its established patients and walk-ins
        from: all but those a new provider's own demand brought (``PanelRamp``), so that adding
        her leaves the practice's draws as they were (common random numbers)."""

    def add(self, u: float, u_coverage: float, key: int, owner: int = -1,
            practice: bool = True) -> int:
        """A new patient whose payer is drawn from the mix with uniform ``u``."""
        payer = bisect.bisect_right(self.cumulative, u)
        return self.add_with(min(payer, len(self.shares) - 1), u_coverage, key, owner, practice)

    def add_with(self, payer: int, u_coverage: float, key: int, owner: int = -1,
                 practice: bool = True) -> int:
        """A new patient of ``payer``, created by identity ``key``, on ``owner``'s panel
        (``UNATTACHED``: none yet); ``practice``: drawn by the practice's demand (False for
        a new provider's own patients)."""
        self.payer.append(payer)
        self.coverage.append(u_coverage)
        self.key.append(key)
        self.owner.append(UNATTACHED)
        patient = len(self.payer) - 1
        if practice:
            self.practice.append(patient)
        if owner >= 0:
            self.attach(patient, owner)
        return patient

    def attach(self, patient: int, provider: int) -> None:
        """Put ``patient`` on ``provider``'s panel."""
        self.owner[patient] = provider

    def panel_sizes(self, providers: int) -> list[int]:
        """Per provider (``providers`` of them): the patients now on her panel."""
        counts = [0] * providers
        for owner in self.owner:
            if owner >= 0:
                counts[owner] += 1
        return counts

    def __len__(self) -> int:
        return len(self.payer)


UNATTACHED, LEFT = -1, -2


def _owners(uniforms: np.ndarray, weights: list[float]) -> list[int]:
    """Each opening patient's provider: drawn by ``weights`` (UNATTACHED when none)."""
    total = sum(weights)
    if total <= 0:
        return [UNATTACHED] * len(uniforms)
    edges = np.cumsum(np.asarray(weights, dtype=float) / total)
    picks = np.searchsorted(edges, uniforms, side="right")
    return np.minimum(picks, len(weights) - 1).tolist()


def _payer_shares(scenario: Scenario) -> np.ndarray:
    shares = np.array([p.share for p in scenario.payers], dtype=float)
    return shares / shares.sum()


class DemandModel:
    """Draws each day's requests and walk-ins."""

    def __init__(self, ctx: Context, panel: PatientPanel) -> None:
        self.ctx = ctx
        self.panel = panel
        lines = {s.name: i for i, s in enumerate(ctx.scenario.service_lines)}
        self.line_of = [lines[d.service_line] for d in ctx.scenario.demand]
        calendar = ctx.calendar
        self.ramps = [
            (seat_index, seat, lines[seat.panel_ramp.service_line or
                                     ctx.scenario.service_lines[0].name],
             calendar.day(seat.start_date),
             calendar.day(seat.end_date) if seat.end_date else calendar.n_days)
            for seat_index, seat in enumerate(ctx.seats)
            if seat.panel_ramp is not None and seat.start_date is not None
        ]
        """(seat, provider, service line, first day, end day) of each provider with demand of
        her own (``Provider.panel_ramp``)."""
        self.brought: dict[int, list[int]] = {seat: [] for seat, *_ in self.ramps}
        """Per provider with a ramp: the patients her own demand brought (her own requests'
        established patients are drawn from them)."""

    def requests(self, day: int) -> Requests:
        out = Requests()
        calendar = self.ctx.calendar
        if not calendar.is_clinic_day[day]:
            return out
        scenario = self.ctx.scenario
        streams = self.ctx.streams
        weekday = _WEEKDAYS[calendar.weekday[day]]
        for demand, line in zip(scenario.demand, self.line_of, strict=True):
            mean = (demand.requests_per_day * demand.weekday_factors.get(weekday, 1.0)
                    * demand.month_factors.get(int(calendar.month[day]), 1.0))
            if demand.ramp is not None:
                mean *= demand.ramp.share(day - calendar.day(demand.ramp.start))
                if mean == 0.0:
                    continue
            u_gamma, u_count = streams.keyed(
                "demand_count", [identity(f"day/{demand.service_line}", day)], 2)[0].tolist()
            if demand.dispersion > 1e-6:
                mean *= Gamma(dist="gamma", mean=1.0, cv=demand.dispersion).quantile(u_gamma)
            n = poisson_quantile(u_count, mean)
            if n == 0:
                continue
            keys = identities(f"request/{demand.service_line}", (day,), np.arange(n))
            mix = streams.keyed("request_mix", keys, 5)
            practice, owner = self.panel.practice, self.panel.owner
            tolerance = scenario.scheduling.patient_tolerance_days.quantiles(mix[:, 3])
            types = _type_choices(scenario, line)
            for (u_new, u_type, u_patient, _, u_coverage), tol, key in zip(
                    mix.tolist(), tolerance.tolist(), keys.tolist(), strict=True):
                is_new = u_new < demand.new_patient_share or not practice
                patient = (self.panel.add(u_patient, u_coverage, key) if is_new
                           else practice[int(u_patient * len(practice))])
                if owner[patient] == LEFT:
                    continue
                out.append(line, _pick(types[is_new], u_type), patient,
                           self.panel.payer[patient], tol, key)
        for seat_index, seat, line, start, end in self.ramps:
            if start <= day < end:
                self._own_requests(out, day, seat_index, seat, line, day - start)
        return out

    def _own_requests(self, out: Requests, day: int, seat_index: int, seat: Provider,
                      line: int, days_in: int) -> None:
        """A new provider's own requests on ``day`` (``PanelRamp``), appended to ``out``."""
        ramp = seat.panel_ramp
        assert ramp is not None
        scenario, calendar, streams = self.ctx.scenario, self.ctx.calendar, self.ctx.streams
        demand = next((d for d in scenario.demand if d.service_line == scenario.service_lines[
            line].name), None)
        share = ramp.share(days_in)
        mean = ramp.requests_per_day * share
        new_share = 1.0
        if demand is not None:
            mean *= (demand.weekday_factors.get(_WEEKDAYS[calendar.weekday[day]], 1.0)
                     * demand.month_factors.get(int(calendar.month[day]), 1.0))
            new_share = demand.new_patient_share + (1 - demand.new_patient_share) * (1 - share)
        (u_count,) = streams.keyed("demand_count",
                                   [identity(f"provider_day/{seat.name}", day)], 1)[0].tolist()
        n = poisson_quantile(u_count, mean)
        if n == 0:
            return
        keys = identities(f"provider_request/{seat.name}", (day,), np.arange(n))
        mix = streams.keyed("request_mix", keys, 5)
        tolerance = scenario.scheduling.patient_tolerance_days.quantiles(mix[:, 3])
        types = _type_choices(scenario, line)
        members = self.brought[seat_index]
        for (u_new, u_type, u_patient, _, u_coverage), tol, key in zip(
                mix.tolist(), tolerance.tolist(), keys.tolist(), strict=True):
            is_new = u_new < new_share or not members
            if is_new:
                patient = self.panel.add(u_patient, u_coverage, key, owner=seat_index,
                                         practice=False)
                members.append(patient)
            else:
                patient = members[int(u_patient * len(members))]
            if self.panel.owner[patient] == LEFT:
                continue
            out.append(line, _pick(types[is_new], u_type), patient, self.panel.payer[patient],
                       tol, key)

    def walk_ins(self, day: int) -> list[tuple[float, int, int, int, int]]:
        """Today's walk-ins: (arrival minute, service line, visit type, patient, identity).

        Every draw is keyed by the line, day and clock hour (the count) and by the walk-in's
        rank in its hour (its minute and patient), so a day's walk-ins are the same in any two
        scenarios with the same rates, whatever else differs."""
        calendar = self.ctx.calendar
        if not calendar.is_clinic_day[day]:
            return []
        out = []
        streams = self.ctx.streams
        for demand, line in zip(self.ctx.scenario.demand, self.line_of, strict=True):
            if not demand.walk_ins_per_hour:
                continue
            share = 1.0 if demand.ramp is None else demand.ramp.share(
                day - calendar.day(demand.ramp.start))
            if share == 0.0:
                continue
            namespace = f"walk_in/{demand.service_line}"
            hours = sorted(demand.walk_ins_per_hour)
            u_counts = streams.keyed(
                "walk_in_count", [identity(namespace, day, hour) for hour in hours], 1)
            visit_type = _type_choices(self.ctx.scenario, line)[False][0][0]
            for hour, (u_count,) in zip(hours, u_counts.tolist(), strict=True):
                count = poisson_quantile(u_count, demand.walk_ins_per_hour[hour] * share)
                if count == 0:
                    continue
                keys = identities(namespace, (day, hour), np.arange(count))
                for (minute, u_patient), key in zip(
                        streams.keyed("walk_in", keys, 2).tolist(), keys.tolist(), strict=True):
                    practice = self.panel.practice
                    patient = practice[int(u_patient * len(practice))]
                    if self.panel.owner[patient] == LEFT:
                        continue
                    out.append((hour * 60 + minute * 60, line, visit_type, patient, key))
        out.sort()
        return out


_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _type_choices(scenario: Scenario, line: int) -> dict[bool, list[tuple[int, float]]]:
    """Per new/established: (visit type index, cumulative share) of the line's types."""
    types = scenario.service_lines[line].visit_types
    out: dict[bool, list[tuple[int, float]]] = {}
    for new in (False, True):
        chosen = [(i, t.share) for i, t in enumerate(types) if t.new_patient == new]
        chosen = chosen or [(i, t.share) for i, t in enumerate(types)]
        total = sum(s for _, s in chosen)
        cumulative, acc = [], 0.0
        for i, share in chosen:
            acc += share / total
            cumulative.append((i, acc))
        out[new] = cumulative
    return out


def _pick(cumulative: list[tuple[int, float]], u: float) -> int:
    for index, edge in cumulative:
        if u < edge:
            return index
    return cumulative[-1][0]
