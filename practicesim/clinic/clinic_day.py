"""A clinic day: the patients who come, their flow through the clinic, and the visits' bills.

Kept appointments arrive at their slot time plus a punctuality draw; walk-ins at their own
times. Every draw of a visit (its punctuality and stage times, codes, desk collection, missing
authorization) comes from its own uniforms, keyed by its request's identity (``Encounter.u``),
so the same visit draws the same numbers in any scenario however the others were booked.
``flow.run_day`` gives every stage's times; each completed visit gets its codes (one main
code drawn from the visit type's mix, each add-on with its probability), priced from the fee
schedule (per unit, times the visit type's ``units``), and its copay asked at the desk (collected
with ``desk_collection_rate``: cash on the day of the visit, posted to the claim when its charge
is entered). Its supplies are paid that day; a visit its payer had to authorize goes out without
a valid authorization with the authorization's ``missing_rate``. The visit then goes to charge
capture.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from practicesim.clinic import flow
from practicesim.clinic.appointments import KEPT, Scheduler, columns_of, visit_type_labels
from practicesim.clinic.demand import DemandModel, PatientPanel
from practicesim.clinic.phones import phone_lines
from practicesim.clinic.scheduling import AppointmentBook
from practicesim.context import Context
from practicesim.contracts import Allowed, allowed, line_of
from practicesim.deductibles import Deductibles, is_on_plan, patient_uniforms
from practicesim.distributions import as_dist
from practicesim.encounter import (
    V_AUTHORIZATION,
    V_CHECK_IN,
    V_CHECKOUT,
    V_CODES,
    V_DESK,
    V_PROVIDER,
    V_PUNCTUALITY,
    V_ROOMING,
    Encounter,
    Line,
    visit_draws,
)
from practicesim.finance import cents
from practicesim.scenario import Payer, Scenario, VisitType
from practicesim.seats import on_staff


@dataclass(slots=True)
class Pricing:
    """Per visit type: cumulative code shares and each code's line; per payer, the lines it
    has billed in place of others (``payers[].substitutes``); and the desk's terms, all of one
    scenario."""

    codes: list[list[list[tuple[float, Line]]]]
    add_ons: list[list[list[AddOn]]]
    video_add_ons: list[list[list[AddOn]]]
    """Per visit type: the add-ons of its video visits (``telehealth.add_ons``, default its
    own)."""
    substitutes: list[dict[Line, Line]]
    supply_cents: list[list[int]]
    """Per visit type: its supplies, paid on the day of the visit (cents)."""
    secondary_share: list[float]
    """Per payer: the share of its patients with secondary coverage."""
    estimate: bool
    """The desk asks for a deposit on the estimated responsibility (``point_of_service``)."""
    deposit_rate: float
    """The share of visits whose deposit is paid (no more than pay their copay)."""

    @property
    def max_add_ons(self) -> int:
        """The most add-on codes any visit type has."""
        return max((column + 1 for table in (self.add_ons, self.video_add_ons)
                    for line in table for adds in line for column, _, _ in adds), default=0)

    @classmethod
    def of(cls, scenario: Scenario) -> Pricing:
        codes, add_ons, video_add_ons, billed = [], [], [], set()
        for line in scenario.service_lines:
            line_codes, line_adds, line_video = [], [], []
            for vt in line.visit_types:
                acc, cumulative = 0.0, []
                for code, share in vt.codes.items():
                    acc += share
                    cumulative.append((acc, line_of(scenario, code, vt.units.get(code, 1))))
                line_codes.append(cumulative)
                line_adds.append(_add_ons(scenario, vt, vt.add_ons))
                video = vt.telehealth.add_ons if vt.telehealth is not None else None
                line_video.append(line_adds[-1] if video is None else
                                  _add_ons(scenario, vt, video))
                billed.update(item[1] for item in cumulative)
                billed.update(item[2] for item in line_adds[-1] + line_video[-1])
            codes.append(line_codes)
            add_ons.append(line_adds)
            video_add_ons.append(line_video)
        substitutes = [{item: line_of(scenario, payer.substitutes[item.code], item.units,
                                      item.code)
                        for item in billed if item.code in payer.substitutes}
                       for payer in scenario.payers]
        rules = scenario.patient_collections
        return cls(codes, add_ons, video_add_ons, substitutes,
                   [[cents(vt.supply_cost) for vt in line.visit_types]
                    for line in scenario.service_lines],
                   [sum(payer.secondary.values()) for payer in scenario.payers],
                   rules.point_of_service == "estimate",
                   min(rules.estimate_collection_rate, rules.desk_collection_rate))


AddOn = tuple[int, float, Line]
"""An add-on code of a visit type: the column of its uniform after ``V_CODES + 1``, its
probability, and its line."""


def _add_ons(scenario: Scenario, vt: VisitType, chosen: dict[str, float]) -> list[AddOn]:
    """The add-ons ``chosen`` with the visit type's units, each drawn with the uniform of its
    place among the visit type's own add-ons (so a video visit's add-on draws the number the
    same visit's office add-on would), codes not among them after those."""
    order = list(vt.add_ons)
    extra = [code for code in chosen if code not in vt.add_ons]
    return [(order.index(code) if code in vt.add_ons else len(order) + extra.index(code), p,
             line_of(scenario, code, vt.units.get(code, 1))) for code, p in chosen.items()]


def _main_code(cumulative: list[tuple[float, Line]], u: float) -> Line:
    """The line of the code whose cumulative share first exceeds u."""
    for edge, item in cumulative:
        if u < edge:
            return item
    return cumulative[-1][1]


Arrival = tuple[int, int, int, int, int, bool]
"""A patient who comes today: (appointment or -1 for a walk-in, patient, service line, visit
type, identity, a video visit)."""


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
    telehealth: bool


class Clinic:
    """Runs each clinic day and hands completed visits (``Encounter``) on to be billed."""

    def __init__(self, ctx: Context, book: AppointmentBook, scheduler: Scheduler,
                 demand: DemandModel, panel: PatientPanel, deductibles: Deductibles,
                 to_charges: Callable[[int, list[Encounter]], None]) -> None:
        self.ctx = ctx
        self.deductibles = deductibles
        self.book = book
        self.scheduler = scheduler
        self.demand = demand
        self.panel = panel
        self.to_charges = to_charges
        self.visits: list[Visit] = []
        self.sessions: list[tuple[int, flow.SessionStats]] = []
        self.turned_away = [0] * ctx.n_days
        self.left_unseen = [0] * ctx.n_days
        """Per day: patients (booked or walk-in) who left before the provider saw them."""
        self.completed = [0] * ctx.n_days
        self._scenario: Scenario | None = None
        self.authorizations = scheduler.authorizations
        self.npp = [seat.npp for seat in ctx.seats]
        """Per provider: bills as a nurse practitioner or physician assistant."""
        self.incident_to_shares = [seat.incident_to_share for seat in ctx.seats]
        self.producers = frozenset(ctx.finance.producers)
        """Seats paid by production: their visits' work RVUs go to ``Finance.produced``."""

    def _refresh(self) -> None:
        if self._scenario is not self.ctx.scenario:
            self._scenario = self.ctx.scenario
            self.pricing = Pricing.of(self._scenario)
            self.width = visit_draws(self.pricing.max_add_ons)
            self.work_rvu = {code: fee.rvu.work for code, fee in
                             self._scenario.fee_schedule.items() if fee.rvu is not None}
            self.documents = any(t.documentation_minutes != _NO_NOTES
                                 for line in self._scenario.service_lines
                                 for t in line.visit_types)

    def on_day(self, day: int) -> None:
        """Run today's clinic (nothing on days without sessions)."""
        self._refresh()
        n_providers = self.book.n_providers
        sessions = [self.book.sessions(p, day) for p in range(n_providers)]
        if not any(sessions):
            return
        patients, who, draws = self._arrivals(day)
        if not who:
            return
        documentation = self._documentation(who)
        opens = min(a for s in sessions for a, _ in s) - 30.0
        at_work = [self._at_work(role, day) for role in
                   ("front_desk", "medical_assistants", "checkout")]
        result = flow.run_day(patients, sessions, *at_work, opens)
        self.sessions.extend((day, s) for s in flow.session_stats(result, sessions,
                                                                   documentation))
        self._pay_overtime(day, patients, result, sessions, at_work)
        self._record(day, patients, result, who, draws)

    def _pay_overtime(self, day: int, patients: flow.DayPatients, result: flow.DayFlow,
                      sessions: list[list[tuple[float, float]]], at_work: list[int]) -> None:
        """Overtime of the flow's staff (``costs.overtime_rate``): each present front-desk,
        rooming and checkout person stays until the stage's last patient is done; the minutes
        past the end of the day's last session are paid at the rate times the hourly wage
        (``annual_salary / (hours_per_day x 260)``), plus Social Security, Medicare and other
        payroll taxes (the wage base is not reached by these salaries). Walk-ins turned away
        for want of a provider in session are left out, and so is a patient at a stage where
        she has no work (a video visit at the desk, rooming and checkout)."""
        close = max(b for s in sessions for _, b in s)
        scenario = self.ctx.scenario
        costs = scenario.costs
        taxes = costs.payroll_taxes
        loading = 1.0 + taxes.social_security_rate + taxes.medicare_rate + taxes.other_rate
        dollars = 0.0
        served = [i for i, p in enumerate(result.provider) if p != flow.WALK_IN]
        for role, done, present, work in zip(
                ("front_desk", "medical_assistants", "checkout"),
                (result.check_in_end, result.rooming_end, result.departure), at_work,
                (patients.check_in, patients.rooming, patients.checkout), strict=True):
            minutes = max((done[i] for i in served if work[i] > 0), default=close) - close
            if minutes <= 0 or present == 0:
                continue
            staff = getattr(scenario.staff, role)
            hourly = staff.annual_salary / (staff.hours_per_day * 260)
            dollars += present * minutes / 60 * hourly * costs.overtime_rate * loading
        if dollars:
            self.ctx.finance.add(day, "staff_overtime", cents(dollars))

    def _at_work(self, role: str, day: int) -> int:
        """Servers of a flow stage today: the staff present (for the front desk, less those on
        the phones: ``phones.phone_lines``), at least one when the role has positions (someone
        covers a stage whose staff are all absent or on the phones); 0 skips the stage."""
        if getattr(self.ctx.scenario.staff, role).count == 0:
            return 0
        present = self.ctx.workforce.present(role, day)
        if role == "front_desk":
            present -= phone_lines(self.ctx, day)
        return max(1, present)

    def _arrivals(self, day: int) -> tuple[flow.DayPatients, list[Arrival], list[list[float]]]:
        """Today's patients; per patient its ``Arrival``; and per patient its own uniforms
        (``V_*``). A video visit's patient joins at her slot's time, or later by the punctuality
        draw (the provider starts it no earlier), and has no check-in, rooming or checkout
        minutes; one booked by video whose payer no longer pays for video (a dated change) is
        seen in the office."""
        table = self.scheduler.table
        kept = [a for a in self.scheduler.by_day[day] if table[a].status == KEPT]
        walk_ins = self.demand.walk_ins(day)
        payers, covered = self.panel.payer, [p.telehealth_covered
                                             for p in self.ctx.scenario.payers]
        who = [(a, table[a].patient, table[a].line, table[a].visit_type, table[a].key,
                table[a].telehealth and covered[payers[table[a].patient]]) for a in kept]
        who += [(-1, patient, line, vtype, key, False)
                for _, line, vtype, patient, key in walk_ins]
        block = self.ctx.streams.keyed("visit", [w[4] for w in who], self.width)
        punctuality, check_in, rooming, provider, checkout = self._times(block, who)
        patients = flow.DayPatients()
        patience = self._patience(who)
        for i, a in enumerate(kept):
            appt = table[a]
            late = punctuality[i] if not who[i][5] or punctuality[i] > 0.0 else 0.0
            patients.add(appt.time + late, appt.provider, float(appt.session_start),
                         check_in[i], rooming[i], provider[i], checkout[i], (),
                         float(appt.time), patience[i])
        for i, (minute, _, _, patient, _) in enumerate(walk_ins, start=len(kept)):
            eligible = tuple(p for p in range(self.book.n_providers)
                             if self.ctx.coverage.covers(p, self.panel.payer[patient], day))
            patients.add(minute, flow.WALK_IN, 0.0, check_in[i], rooming[i], provider[i],
                         checkout[i], eligible, minute, patience[i])
        return patients, who, block.tolist()

    def _documentation(self, who: list[Arrival]) -> list[float] | None:
        """Per arrival: the provider's documentation minutes for the visit (its visit type's
        ``documentation_minutes``), from its own keyed uniform (purpose ``"documentation"``);
        None when no visit type has any."""
        if not self.documents:
            return None
        lines = self.ctx.scenario.service_lines
        u = self.ctx.streams.keyed("documentation", [w[4] for w in who], 1)[:, 0]
        out = np.empty(len(who))
        kinds = np.fromiter((w[2] * 1024 + w[3] for w in who), dtype=np.int64, count=len(who))
        for kind in np.unique(kinds).tolist():
            at = kinds == kind
            dist = lines[kind // 1024].visit_types[kind % 1024].documentation_minutes
            out[at] = np.maximum(dist.quantiles(u[at]), 0.0)
        return out.tolist()

    def _patience(self, who: list[Arrival]) -> list[float]:
        """Per arrival: minutes it waits for the provider before leaving unseen
        (``flow.walk_out_minutes``; infinite when none), from its own keyed uniform (purpose
        ``"walk_out"``, so drawing it shifts no other draw)."""
        dist = self.ctx.scenario.flow.walk_out_minutes
        if dist is None:
            return [math.inf] * len(who)
        u = self.ctx.streams.keyed("walk_out", [w[4] for w in who], 1)[:, 0]
        return np.maximum(dist.quantiles(u), 0.0).tolist()

    def _times(self, u: np.ndarray, who: list[Arrival]
               ) -> list[list[float]]:
        """Per arrival, from its uniforms: punctuality, then check-in, rooming, provider and
        checkout minutes (never negative; 0 at the desk, rooming and checkout for a video
        visit, whose provider minutes are its ``telehealth.provider_minutes`` if given); one
        vectorised call per stage and visit type."""
        stages = self.ctx.scenario.flow
        video = np.fromiter((w[5] for w in who), dtype=bool, count=len(who))
        out = [stages.punctuality_minutes.quantiles(u[:, V_PUNCTUALITY])]
        for dist, column in ((stages.check_in_minutes, V_CHECK_IN),
                             (stages.rooming_minutes, V_ROOMING)):
            out.append(np.where(video, 0.0, np.maximum(dist.quantiles(u[:, column]), 0.0)))
        kinds = np.fromiter((w[2] * 1024 + w[3] + (1 << 20) * w[5] for w in who),
                            dtype=np.int64, count=len(who))
        provider = np.empty(len(who))
        lines = self.ctx.scenario.service_lines
        for kind in np.unique(kinds).tolist():
            at = kinds == kind
            vt = lines[(kind >> 10) & 1023].visit_types[kind & 1023]
            dist = vt.provider_minutes
            if kind >> 20 and vt.telehealth is not None and vt.telehealth.provider_minutes:
                dist = vt.telehealth.provider_minutes
            provider[at] = np.maximum(dist.quantiles(u[at, V_PROVIDER]), 0.0)
        out.append(provider)
        out.append(np.where(video, 0.0, np.maximum(
            stages.checkout_minutes.quantiles(u[:, V_CHECKOUT]), 0.0)))
        return [column.tolist() for column in out]

    def _record(self, day: int, patients: flow.DayPatients, result: flow.DayFlow,
                who: list[Arrival], draws: list[list[float]]) -> None:
        to_provider, total = result.waits(patients)
        visits = self.visits
        payers = self.panel.payer
        encounters = []
        own = self._patient_uniforms(day, [w[1] for w in who])
        incident_to = self._incident_to(who, result.provider)
        supervisors = self._supervised(day, who, result.provider)
        for i, (appointment, patient, line, vtype, key, video) in enumerate(who):
            provider = result.provider[i]
            if provider == flow.WALK_IN:
                self.turned_away[day] += 1
                continue
            if provider == flow.LEFT_UNSEEN:
                self.left_unseen[day] += 1
                if appointment >= 0:
                    self.scheduler.left_unseen(appointment)
                continue
            payer = payers[patient]
            verified = appointment >= 0 and self.scheduler.table[appointment].verified
            encounter = self._bill(day, len(visits), patient, payer, provider, line, vtype,
                                   verified, key, draws[i], own[i], incident_to[i],
                                   supervisors[i], video)
            visits.append(Visit(day, appointment, patient, payer, provider, line, vtype,
                                patients.arrival[i], result.provider_start[i],
                                result.provider_end[i], result.departure[i], to_provider[i],
                                total[i], video))
            self.completed[day] += 1
            encounters.append(encounter)
        self.to_charges(day, encounters)

    def _supervised(self, day: int, who: list[Arrival],
                    providers: list[int]) -> list[int]:
        """Per arrival, under ``uncredentialed_policy: supervising_physician``: the supervising
        physician (seat) its visit is billed under, else -1. A visit by a provider not enrolled
        with the patient's payer for today is, with the payer's ``supervised_billing_share``
        (its own keyed uniform, purpose ``"supervised"``), if a physician on staff today is
        enrolled with that payer (the first such seat)."""
        none = [-1] * len(who)
        scenario = self.ctx.scenario
        if scenario.scheduling.uncredentialed_policy != "supervising_physician":
            return none
        shares = [payer.supervised_billing_share for payer in scenario.payers]
        payers, coverage = self.panel.payer, self.ctx.coverage
        gap = [p >= 0 and shares[payers[w[1]]] > 0 and not coverage.covers(p, payers[w[1]], day)
               for w, p in zip(who, providers, strict=True)]
        if not any(gap):
            return none
        u = self.ctx.streams.keyed("supervised", [w[4] for w in who], 1)[:, 0].tolist()
        when = self.ctx.calendar.date(day)
        physicians = [q for q, seat in enumerate(self.ctx.seats)
                      if not seat.npp and on_staff(seat, when)]
        out = []
        for w, g, u_i in zip(who, gap, u, strict=True):
            payer = payers[w[1]]
            out.append(next((q for q in physicians if coverage.covers(q, payer, day)), -1)
                       if g and u_i < shares[payer] else -1)
        return out

    def _incident_to(self, who: list[Arrival],
                     providers: list[int]) -> list[bool]:
        """Per arrival: whether its visit is billed incident-to a supervising physician (an
        NPP's established patient, with her ``incident_to_share``), from its own keyed uniform
        (purpose ``"incident_to"``)."""
        shares = self.incident_to_shares
        if not any(shares):
            return [False] * len(who)
        u = self.ctx.streams.keyed("incident_to", [w[4] for w in who], 1)[:, 0].tolist()
        lines = self.ctx.scenario.service_lines
        return [p >= 0 and u_i < shares[p]
                and not lines[w[2]].visit_types[w[3]].new_patient
                for w, p, u_i in zip(who, providers, u, strict=True)]

    def _patient_uniforms(self, day: int, patients: list[int]
                          ) -> list[tuple[float, float, float]]:
        """Today's patients' uniforms for their deductible plan, their care elsewhere this year
        and their financial assistance (``deductibles.patient_uniforms``; keyed, so drawing them
        in a scenario without such terms shifts no other draw)."""
        keys = [self.panel.key[p] for p in patients]
        return list(zip(*patient_uniforms(self.ctx.streams, self.ctx.calendar.date(day).year,
                                          keys), strict=True))

    def _bill(self, day: int, visit: int, patient: int, payer: int, provider: int, line: int,
              vtype: int, verified: bool, key: int, u: list[float],
              own: tuple[float, float, float], incident_to: bool = False,
              supervisor: int = -1, video: bool = False) -> Encounter:
        """The visit's bill: codes drawn and priced, the desk's copay collected or not (``u``:
        the visit's uniforms; ``own``: the patient's deductible-plan, care-elsewhere and
        financial-assistance uniforms; ``incident_to``: an NPP's visit billed under a
        supervising physician, priced at the physician rate; ``video``: a video visit, with
        its own add-ons, priced at its payer's ``telehealth_pct``)."""
        pricing = self.pricing
        billed = [_main_code(pricing.codes[line][vtype], u[V_CODES])]
        add_ons = (pricing.video_add_ons if video else pricing.add_ons)[line][vtype]
        for column, probability, item in add_ons:
            if u[V_CODES + 1 + column] < probability:
                billed.append(item)
        substitutes = pricing.substitutes[payer]
        if substitutes:
            billed = [substitutes.get(item, item) for item in billed]
        lines = tuple(billed)
        if provider in self.producers:
            work = self.work_rvu
            self.ctx.finance.produced(provider, day, sum(work.get(item.code, 0.0) * item.units
                                                         for item in lines))
        charge = medicare = 0
        for item in lines:
            charge += item.charge_cents
            medicare += item.medicare_cents
        scenario = self.ctx.scenario
        terms = scenario.payers[payer]
        rules = scenario.patient_collections
        assistance = terms.financial_assistance
        assisted = assistance is not None and own[2] < assistance.share
        if terms.kind == "self_pay":
            discount = assistance.discount if assisted else terms.self_pay_discount
            due, deposit = charge - round(charge * discount), 0
            expected = due
            desk_rate = rules.desk_collection_rate if rules.self_pay_desk_rate is None else (
                rules.self_pay_desk_rate)
        else:
            contract = allowed(terms, self.npp[provider] and not (incident_to or supervisor >= 0),
                               lines, charge, medicare, video=video)
            due, deposit = self._desk_ask(day, patient, payer, terms, contract, own)
            expected = contract.allowed + contract.non_covered
            if supervisor < 0 and not self.ctx.coverage.covers(provider, payer, day):
                expected = 0  # its payer will deny it (CO-B7): no revenue to expect
            desk_rate = rules.desk_collection_rate
        desk = u[V_DESK]
        collected = due if desk < desk_rate else 0
        if deposit and desk >= pricing.deposit_rate:
            deposit = 0
        if collected + deposit:
            self.ctx.finance.collected(day, collected + deposit, provider=provider)
        supplies = 0 if video else pricing.supply_cents[line][vtype]
        if supplies:
            self.ctx.finance.add(day, "supplies", supplies)
        missing = (self.authorizations.needed(line, vtype, payer) and u[V_AUTHORIZATION]
                   < self.authorizations.terms(line, vtype).missing_rate)
        return Encounter(visit=visit, patient=patient, payer=payer, provider=provider,
                         service_day=day, charge_cents=charge, medicare_allowed_cents=medicare,
                         copay_collected_cents=collected, authorization_missing=missing,
                         verified=verified, key=key, u=u, coverage_u=self.panel.coverage[patient],
                         plan_u=own[0], elsewhere_u=own[1], deposit_cents=deposit,
                         assisted=assisted, lines=lines, incident_to=incident_to,
                         supervisor=supervisor, telehealth=video, expected_cents=expected)

    def _desk_ask(self, day: int, patient: int, payer: int, terms: Payer, contract: Allowed,
                  own: tuple[float, float, float]) -> tuple[int, int]:
        """What the desk asks an insured patient for (cents): the copay of the patient's plan
        (none on a preventive visit its plan covers without cost sharing), and under
        ``point_of_service: estimate`` a deposit for the rest of its estimated responsibility
        (the charges of the codes the payer does not cover; what is left of its deductible
        today, then coinsurance of the cost-shared part, unless the patient has secondary
        coverage, which pays that part). ``own``: the patient's uniforms, as for ``_bill``."""
        sharing = terms.cost_sharing
        plan = sharing.deductible_plan
        on_plan = is_on_plan(plan, own[0])
        rule = plan if on_plan else sharing
        copay = desk_copay_cents(rule.copay, contract.cost_shared) if contract.copay_due else 0
        if not self.pricing.estimate:
            return copay, 0
        if self.panel.coverage[patient] < self.pricing.secondary_share[payer]:
            return copay, contract.non_covered
        rest = contract.cost_shared - copay
        deductible = 0
        if on_plan:
            left = self.deductibles.remaining(plan, patient, day, own[1])
            deductible = rest if rest < left else left
        return copay, contract.non_covered + deductible + round(
            (rest - deductible) * rule.coinsurance)

    def frame(self, names: dict[str, list]) -> pd.DataFrame:
        """One row per completed visit; ``visit`` is also the id of its claim (a visit whose
        charge was missed has no claim)."""
        times = Visit._fields[7:-1]
        t = columns_of(self.visits, Visit._fields, dict.fromkeys(Visit._fields[:7], np.int64)
                       | dict.fromkeys(times, np.float64) | {"telehealth": bool})
        return pd.DataFrame({
            "visit": np.arange(len(self.visits)),
            "walk_in": t["appointment"] < 0,
            "day": t["day"],
            "appointment": t["appointment"],
            "patient": t["patient"],
            "payer": pd.Categorical.from_codes(t["payer"], categories=names["payer"]),
            "provider": pd.Categorical.from_codes(t["provider"], categories=names["provider"]),
            "visit_type": visit_type_labels(names["visit_type"], t["line"], t["visit_type"]),
            **{field: t[field] for field in times},
            "telehealth": t["telehealth"].astype(bool),
        })


_NO_NOTES = as_dist(0.0)


def desk_copay_cents(copay_dollars: float, allowed_cents: int) -> int:
    """The copay the desk asks for: the plan's copay, never above the allowed amount."""
    return min(cents(copay_dollars), allowed_cents)
