"""A clinic day: the patients who come, their flow through the clinic, and the visits' bills.

Kept appointments arrive at their slot time plus a punctuality draw; walk-ins at their own
times. ``flow.run_day`` gives every stage's times; each completed visit gets its codes (one main
code drawn from the visit type's mix, each add-on with its probability), priced from the fee
schedule (per unit, times the visit type's ``units``), and its copay asked at the desk (collected
with ``desk_collection_rate``: cash on the day of the visit, posted to the claim when its charge
is entered). Its supplies are paid that day; a visit its payer had to authorize goes out without
a valid authorization with the authorization's ``missing_rate``. The visit then goes to charge
capture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from practicesim.clinic import flow
from practicesim.clinic.appointments import KEPT, Scheduler, visit_type_labels
from practicesim.clinic.demand import DemandModel, PatientPanel
from practicesim.clinic.scheduling import AppointmentBook
from practicesim.context import Context
from practicesim.encounter import Encounter
from practicesim.finance import cents
from practicesim.results import frame_from_rows
from practicesim.scenario import Scenario


@dataclass(slots=True)
class Pricing:
    """Per visit type: cumulative code shares and each code's (charge, Medicare) cents."""

    codes: list[list[list[tuple[float, int, int]]]]
    add_ons: list[list[list[tuple[float, int, int]]]]

    @classmethod
    def of(cls, scenario: Scenario) -> Pricing:
        fees = scenario.fee_schedule

        def priced(code: str, units: int) -> tuple[int, int]:
            return (units * cents(fees[code].charge), units * cents(fees[code].medicare_allowed))

        codes, add_ons = [], []
        for line in scenario.service_lines:
            line_codes, line_adds = [], []
            for vt in line.visit_types:
                acc, cumulative = 0.0, []
                for code, share in vt.codes.items():
                    acc += share
                    cumulative.append((acc, *priced(code, vt.units.get(code, 1))))
                line_codes.append(cumulative)
                line_adds.append([(p, *priced(code, vt.units.get(code, 1)))
                                  for code, p in vt.add_ons.items()])
            codes.append(line_codes)
            add_ons.append(line_adds)
        return cls(codes, add_ons)


def _main_code(cumulative: list[tuple[float, int, int]], u: float) -> tuple[int, int]:
    """(charge, Medicare allowed) cents of the code whose cumulative share first exceeds u."""
    for edge, fee, allowed in cumulative:
        if u < edge:
            return fee, allowed
    return cumulative[-1][1], cumulative[-1][2]


class Visit(NamedTuple):
    """A completed visit: times in minutes after midnight, waits in minutes."""

    day: int
    appointment: int
    """-1 for a walk-in."""
    patient: int
    payer: int
    provider: int
    line: int
    visit_type: int
    arrival_minutes: float
    provider_start_minutes: float
    provider_end_minutes: float
    departure_minutes: float
    wait_for_provider_minutes: float
    total_wait_minutes: float


class Clinic:
    """Runs each clinic day and hands completed visits (``Encounter``) on to be billed."""

    def __init__(self, ctx: Context, book: AppointmentBook, scheduler: Scheduler,
                 demand: DemandModel, panel: PatientPanel,
                 to_charges: Callable[[int, Encounter], None]) -> None:
        self.ctx = ctx
        self.book = book
        self.scheduler = scheduler
        self.demand = demand
        self.panel = panel
        self.to_charges = to_charges
        self.visits: list[Visit] = []
        self.sessions: list[tuple[int, flow.SessionStats]] = []
        self.turned_away = [0] * ctx.n_days
        self.completed = [0] * ctx.n_days
        self._scenario: Scenario | None = None
        streams = ctx.streams
        scenario = ctx.scenario
        self.punctuality = streams.buffer("punctuality", dist=scenario.flow.punctuality_minutes)
        flow_times = scenario.flow
        self.check_in = streams.buffer("check_in_minutes", dist=flow_times.check_in_minutes,
                                       minimum=0.0)
        self.rooming = streams.buffer("rooming_minutes", dist=flow_times.rooming_minutes,
                                      minimum=0.0)
        self.checkout = streams.buffer("checkout_minutes", dist=flow_times.checkout_minutes,
                                       minimum=0.0)
        self.provider_minutes = [
            [streams.buffer("provider_minutes", line.name, vt.name, dist=vt.provider_minutes,
                            minimum=0.0)
             for vt in line.visit_types]
            for line in scenario.service_lines
        ]
        self.coding = streams.buffer("visit_codes")
        self.desk = streams.buffer("desk_collection")
        self.authorization = streams.buffer("prior_auth_missing")
        self.authorizations = scheduler.authorizations

    def _refresh(self) -> None:
        if self._scenario is not self.ctx.scenario:
            self._scenario = self.ctx.scenario
            self.pricing = Pricing.of(self._scenario)

    def on_day(self, day: int) -> None:
        """Run today's clinic (nothing on days without sessions)."""
        self._refresh()
        n_providers = self.book.n_providers
        sessions = [self.book.sessions(p, day) for p in range(n_providers)]
        if not any(sessions):
            return
        patients, who = self._arrivals(day)
        if not who:
            return
        opens = min(a for s in sessions for a, _ in s) - 30.0
        at_work = [self._at_work(role, day) for role in
                   ("front_desk", "medical_assistants", "checkout")]
        result = flow.run_day(patients, sessions, *at_work, opens)
        self.sessions.extend((day, s) for s in flow.session_stats(result, sessions))
        self._record(day, patients, result, who)

    def _at_work(self, role: str, day: int) -> int:
        """Servers of a flow stage today: the staff present, at least one when the role has
        positions (someone covers a stage whose staff are all absent); 0 skips the stage."""
        if getattr(self.ctx.scenario.staff, role).count == 0:
            return 0
        return max(1, self.ctx.workforce.present(role, day))

    def _arrivals(self, day: int) -> tuple[flow.DayPatients, list[tuple[int, int, int, int]]]:
        """Today's patients, and per patient (appointment or -1, patient, line, visit type)."""
        patients = flow.DayPatients()
        who: list[tuple[int, int, int, int]] = []
        table = self.scheduler.table
        for a in self.scheduler.by_day[day]:
            appt = table[a]
            if appt.status != KEPT:
                continue
            line, vtype = appt.line, appt.visit_type
            patients.add(appt.time + self.punctuality(), appt.provider,
                         float(appt.session_start), *self._durations(line, vtype))
            who.append((a, appt.patient, line, vtype))
        for minute, line, vtype, patient in self.demand.walk_ins(day):
            eligible = tuple(p for p in range(self.book.n_providers)
                             if self.ctx.coverage.covers(p, self.panel.payer[patient], day))
            patients.add(minute, flow.WALK_IN, 0.0, *self._durations(line, vtype), eligible)
            who.append((-1, patient, line, vtype))
        return patients, who

    def _durations(self, line: int, vtype: int) -> tuple[float, float, float, float]:
        return (self.check_in(), self.rooming(), self.provider_minutes[line][vtype](),
                self.checkout())

    def _record(self, day: int, patients: flow.DayPatients, result: flow.DayFlow,
                who: list[tuple[int, int, int, int]]) -> None:
        to_provider, total = result.waits(patients)
        visits = self.visits
        payers = self.panel.payer
        for i, (appointment, patient, line, vtype) in enumerate(who):
            provider = result.provider[i]
            if provider == flow.WALK_IN:
                self.turned_away[day] += 1
                continue
            payer = payers[patient]
            verified = appointment >= 0 and self.scheduler.table[appointment].verified
            encounter = self._bill(day, len(visits), patient, payer, provider, line, vtype,
                                   verified)
            visits.append(Visit(day, appointment, patient, payer, provider, line, vtype,
                                patients.arrival[i], result.provider_start[i],
                                result.provider_end[i], result.departure[i], to_provider[i],
                                total[i]))
            self.completed[day] += 1
            self.to_charges(day, encounter)

    def _bill(self, day: int, visit: int, patient: int, payer: int, provider: int, line: int,
              vtype: int, verified: bool) -> Encounter:
        """The visit's bill: codes drawn and priced, the desk's copay collected or not."""
        charge, medicare = _main_code(self.pricing.codes[line][vtype], self.coding())
        for probability, fee, allowed in self.pricing.add_ons[line][vtype]:
            if self.coding() < probability:
                charge += fee
                medicare += allowed
        terms = self.ctx.scenario.payers[payer]
        if terms.kind == "self_pay":
            due = charge - round(charge * terms.self_pay_discount)
        else:
            due = desk_copay_cents(
                terms.cost_sharing.copay,
                min(charge, round(medicare * terms.allowed_pct_of_medicare)))
        desk_rate = self.ctx.scenario.patient_collections.desk_collection_rate
        collected = due if self.desk() < desk_rate else 0
        if collected:
            self.ctx.finance.collected(day, collected)
        visit_type = self.ctx.scenario.service_lines[line].visit_types[vtype]
        if visit_type.supply_cost:
            self.ctx.finance.add(day, "supplies", cents(visit_type.supply_cost))
        missing = (self.authorizations.needed(line, vtype, payer) and self.authorization()
                   < self.authorizations.terms(line, vtype).missing_rate)
        return Encounter(visit=visit, patient=patient, payer=payer, provider=provider,
                         service_day=day, charge_cents=charge, medicare_allowed_cents=medicare,
                         copay_collected_cents=collected, authorization_missing=missing,
                         verified=verified)

    def frame(self, names: dict[str, list]) -> pd.DataFrame:
        """One row per completed visit; ``visit`` is also the id of its claim (a visit whose
        charge was missed has no claim)."""
        df = frame_from_rows(self.visits, Visit._fields)
        df.insert(0, "visit", np.arange(len(df)))
        df.insert(1, "walk_in", df["appointment"] < 0)
        df["payer"] = pd.Categorical.from_codes(df["payer"], categories=names["payer"])
        df["provider"] = pd.Categorical.from_codes(df["provider"], categories=names["provider"])
        df["visit_type"] = visit_type_labels(names["visit_type"], df.pop("line"),
                                             df["visit_type"])
        return df


def desk_copay_cents(copay_dollars: float, allowed_cents: int) -> int:
    """The copay the desk asks for: the plan's copay, never above the allowed amount."""
    return min(cents(copay_dollars), allowed_cents)
