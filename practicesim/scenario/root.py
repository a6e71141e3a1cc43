"""The whole practice: the ``Scenario`` root model with its sections and the dated changes
(``changes:``) it carries; its ``hash``, ``with_changes`` and ``epochs``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from datetime import date
from typing import Any

from pydantic import Field, ValidationError, model_validator

from practicesim.scenario.base import Section
from practicesim.scenario.billing import (
    Billing,
    Costs,
    FrontOffice,
    LineOfCredit,
    Outsourcing,
    PatientCollections,
)
from practicesim.scenario.calendar import Calendar
from practicesim.scenario.demand import Demand, NoShows, Scheduling
from practicesim.scenario.errors import ScenarioError, explain
from practicesim.scenario.paths import set_path
from practicesim.scenario.payers import Payer
from practicesim.scenario.people import Provider, Staff, VisitFlow
from practicesim.scenario.services import FeeScheduleEntry, Locality, ServiceLine


class Change(Section):
    date: dt.date
    set: dict[str, Any] = Field(min_length=1)
    note: str = ""


class Scenario(Section):
    """A whole practice: immutable and picklable, so replications can run in other processes."""

    name: str
    description: str = ""
    calendar: Calendar
    providers: list[Provider] = Field(min_length=1)
    staff: Staff = Staff()
    flow: VisitFlow = VisitFlow()
    service_lines: list[ServiceLine] = Field(min_length=1)
    fee_schedule: dict[str, FeeScheduleEntry] = Field(min_length=1)
    locality: Locality = Locality()
    demand: list[Demand] = Field(min_length=1)
    scheduling: Scheduling = Scheduling()
    no_shows: NoShows = NoShows()
    payers: list[Payer] = Field(min_length=1)
    billing: Billing = Billing()
    patient_collections: PatientCollections = PatientCollections()
    costs: Costs = Costs()
    line_of_credit: LineOfCredit = LineOfCredit()
    front_office: FrontOffice = FrontOffice()
    outsourcing: Outsourcing = Outsourcing()
    starting_cash: float = 0.0
    changes: list[Change] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)
    """Where values come from: key path (``payers[medicaid].denial.rate``, or a part of the
    scenario such as ``payers[medicaid]``) -> text (``calibrated from data: ...``,
    ``contract signed 2026-10``). Reports print it beside the value; ``practicesim calibrate``
    fills it. Not part of ``hash`` (it does not change what is simulated). A scenario file's
    entries must name values of the file's scenario (``validate``); an empty text drops an
    entry inherited through ``extends`` (e.g. of a payer the child removes); an entry whose value
    a later change removes simply no longer applies."""

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        _unique("providers", [p.name for p in self.providers])
        _unique("payers", [p.name for p in self.payers])
        _unique("service_lines", [s.name for s in self.service_lines])
        payer_names = {p.name for p in self.payers}
        _check_secondaries(self.payers)
        payers = {p.name: p for p in self.payers}
        for i, provider in enumerate(self.providers):
            for payer, enrollment in provider.credentialing.items():
                if payer not in payer_names:
                    raise ValueError(
                        f"providers[{i}].credentialing: unknown payer {payer!r}, "
                        f"expected one of {sorted(payer_names)}"
                    )
                if (enrollment.applied is not None and enrollment.processing_days is None
                        and payers[payer].enrollment_days is None):
                    raise ValueError(
                        f"providers[{i}].credentialing.{payer}: applied needs processing_days, "
                        f"or the payer's enrollment_days, got neither")
        _check_contract_codes(self.payers, self.fee_schedule)
        _check_rvus(self.locality, self.fee_schedule)
        lines = {s.name for s in self.service_lines}
        for i, provider in enumerate(self.providers):
            line = provider.panel_ramp.service_line if provider.panel_ramp else None
            if line is not None and line not in lines:
                raise ValueError(
                    f"providers[{i}].panel_ramp.service_line: unknown service line {line!r}, "
                    f"expected one of {sorted(lines)}")
        for i, demand in enumerate(self.demand):
            if demand.service_line not in lines:
                raise ValueError(
                    f"demand[{i}].service_line: unknown service line {demand.service_line!r}, "
                    f"expected one of {sorted(lines)}"
                )
        for s, line in enumerate(self.service_lines):
            for v, visit_type in enumerate(line.visit_types):
                video = visit_type.telehealth
                for code in [*visit_type.codes, *visit_type.add_ons,
                             *((video.add_ons or {}) if video else {})]:
                    if code not in self.fee_schedule:
                        raise ValueError(
                            f"service_lines[{s}].visit_types[{v}]: code {code} is not in "
                            "fee_schedule"
                        )
                authorization = visit_type.prior_authorization
                for payer in authorization.payers if authorization else []:
                    if payer not in payer_names:
                        raise ValueError(
                            f"service_lines[{s}].visit_types[{v}].prior_authorization.payers: "
                            f"unknown payer {payer!r}, expected one of {sorted(payer_names)}")
        return self

    @property
    def hash(self) -> str:
        """SHA-256 of the scenario's canonical JSON (``sources`` left out): equal scenarios
        have equal hashes."""
        text = json.dumps(self.model_dump(mode="json", by_alias=True, exclude={"sources"}),
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def with_changes(self, updates: dict[str, Any]) -> Scenario:
        """A copy with dotted key paths set (``{"staff.billers.count": 3}``), re-validated."""
        data = self.model_dump(mode="json", by_alias=True)
        for path, value in updates.items():
            set_path(data, path, value)
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(explain(exc, data, None, Scenario)) from None

    def epochs(self) -> list[tuple[date, Scenario]]:
        """The scenario in force from each change date on: ``[(first simulated day, s0), (d1,
        s1), ...]``. Changes on the same date apply together, in file order."""
        first = self.calendar.start - dt.timedelta(days=self.calendar.warmup_days)
        base = self.model_copy(update={"changes": []})
        out: list[tuple[date, Scenario]] = [(first, base)]
        for change in sorted(self.changes, key=lambda c: c.date):
            current = out[-1][1].with_changes(change.set)
            if change.date == out[-1][0] and len(out) > 1:
                out[-1] = (change.date, current)
            else:
                out.append((change.date, current))
        return out


def _check_contract_codes(payers: list[Payer], fees: dict[str, FeeScheduleEntry]) -> None:
    """Every code a payer's fee table prices and every substitute it names is in the fee
    schedule (the practice must price what it bills; ``non_covered`` may list codes the
    practice never bills)."""
    for payer in payers:
        named = [("fee_table", c) for c in payer.fee_table]
        named += [("substitutes", c) for pair in payer.substitutes.items() for c in pair]
        for field, code in named:
            if code not in fees:
                raise ValueError(f"payers[{payer.name}].{field}: code {code} is not in "
                                 "fee_schedule")


def _check_rvus(locality: Locality, fees: dict[str, FeeScheduleEntry]) -> None:
    """Outside the national locality, every code Medicare pays for has its RVUs (to apply the
    locality's GPCIs to)."""
    if locality.national:
        return
    for code, fee in fees.items():
        if fee.rvu is None and fee.medicare_allowed > 0:
            raise ValueError(f"fee_schedule.{code}.rvu: expected the code's RVUs (work, pe, "
                             f"mp) to price it in locality {locality.name!r}, found none")


def _unique(key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise ValueError(f"{key}[{i}].name: duplicate name {name!r}")
        seen.add(name)


def _check_secondaries(payers: list[Payer]) -> None:
    """Secondary payers are other insured payers of the scenario, their shares sum to <= 1,
    and some payer has patients as their primary."""
    if not any(p.share > 0 for p in payers):
        raise ValueError("payers: every share is 0, expected at least one payer with patients")
    kinds = {p.name: p.kind for p in payers}
    for i, payer in enumerate(payers):
        for name in payer.secondary:
            if name not in kinds or name == payer.name or kinds[name] == "self_pay":
                raise ValueError(
                    f"payers[{i}].secondary: {name!r} cannot be {payer.name}'s secondary, "
                    f"expected another insured payer, one of "
                    f"{sorted(n for n, k in kinds.items() if k != 'self_pay' and n != payer.name)}")
        if payer.secondary and payer.kind == "self_pay":
            raise ValueError(f"payers[{i}].secondary: self-pay patients have no secondary "
                             f"coverage, got {payer.secondary}")
        total = sum(payer.secondary.values())
        if total > 1 + 1e-9:
            raise ValueError(f"payers[{i}].secondary: shares sum to {total:g}, expected at most 1 "
                             "(the rest have no secondary coverage)")
