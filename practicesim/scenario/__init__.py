"""A practice and its policies as validated, immutable data: the scenario file format.

A scenario is a YAML file validated by the pydantic models of this package. Money is written in
dollars (converted to integer cents where it is added), durations in minutes, lags and windows in
days, rates as fractions. Unknown keys are errors. A file may ``extends:`` another (path relative
to itself) and override any part: mappings merge key by key, lists of named items (providers,
payers, service lines, demand) merge by ``name`` (an item with ``remove: true`` drops the named
item), other lists and values replace.

Dated changes (``changes:``) say what changes on a date, as dotted key paths::

    changes:
      - date: 2027-03-01
        note: hire a second biller
        set: {staff.billers.count: 2}

List items are addressed by index or by name: ``payers[commercial_a].denial.rate``.

Modules, each importing only those listed before it: ``errors`` (``ScenarioError`` and its
messages), ``base`` (the frozen model base and value types), ``paths`` (dotted key paths), the
sections ``calendar``, ``payers``, ``people``, ``services``, ``demand`` and ``billing``, ``root``
(the ``Scenario`` itself), ``changes`` (what a dated change may alter) and ``loading`` (files,
``extends:`` and validation). Everything public is imported here: import from
``practicesim.scenario``.
"""

from practicesim.scenario.base import Dist, Fraction, Money, NonNegative
from practicesim.scenario.billing import (
    AppealLevel,
    Billing,
    Costs,
    DenialAction,
    DenialRule,
    FrontOffice,
    LineOfCredit,
    OneTimeCost,
    Outsourcing,
    PatientCollections,
    Phones,
)
from practicesim.scenario.calendar import WEEKDAYS, Calendar, Weekday, clock_minutes
from practicesim.scenario.demand import Demand, NoShows, Ramp, Scheduling
from practicesim.scenario.errors import ScenarioError
from practicesim.scenario.loading import load_raw, load_scenario, validate
from practicesim.scenario.paths import get_path, parse_path, set_path
from practicesim.scenario.payers import (
    CostSharing,
    DeductiblePlan,
    Denials,
    Enrollment,
    FinancialAssistance,
    Payer,
    PriorAuthorization,
)
from practicesim.scenario.people import Provider, Session, Staff, StaffRole, VisitFlow
from practicesim.scenario.root import Change, Scenario
from practicesim.scenario.services import FeeScheduleEntry, ServiceLine, Telehealth, VisitType

__all__ = [
    "WEEKDAYS",
    "AppealLevel",
    "Billing",
    "Calendar",
    "Change",
    "CostSharing",
    "Costs",
    "DeductiblePlan",
    "Demand",
    "DenialAction",
    "DenialRule",
    "Denials",
    "Dist",
    "Enrollment",
    "FeeScheduleEntry",
    "FinancialAssistance",
    "Fraction",
    "FrontOffice",
    "LineOfCredit",
    "Money",
    "NoShows",
    "NonNegative",
    "OneTimeCost",
    "Outsourcing",
    "PatientCollections",
    "Payer",
    "Phones",
    "PriorAuthorization",
    "Provider",
    "Ramp",
    "Scenario",
    "ScenarioError",
    "Scheduling",
    "ServiceLine",
    "Session",
    "Staff",
    "StaffRole",
    "Telehealth",
    "VisitFlow",
    "VisitType",
    "Weekday",
    "clock_minutes",
    "get_path",
    "load_raw",
    "load_scenario",
    "parse_path",
    "set_path",
    "validate",
]
