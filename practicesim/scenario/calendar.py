"""When the practice runs: the ``calendar`` section, weekdays and times of day."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import Field

from practicesim.scenario.base import Section


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @property
    def index(self) -> int:
        """Monday = 0, as ``date.weekday()``."""
        return list(Weekday).index(self)


WEEKDAYS = [Weekday.mon, Weekday.tue, Weekday.wed, Weekday.thu, Weekday.fri]
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def clock_minutes(text: str) -> int:
    """``"08:30"`` -> 510 minutes after midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class Calendar(Section):
    """When the practice runs. The simulation starts ``warmup_days`` before ``start`` so that
    A/R and queues are filled when reporting begins; KPIs cover ``[start, start + horizon_days)``.
    """

    start: date
    horizon_days: int = Field(gt=0, le=3660)
    warmup_days: int = Field(default=0, ge=0, le=1830)
    clinic_days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    holidays: list[date] = Field(default_factory=list)
