"""What every section of a scenario is built from: the frozen model base (unknown keys are
errors) and the kinds of values its fields hold: distributions (``Dist``), fractions, dollars
(``Money``) and shares that sum to 1."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from practicesim.distributions import DistModel, as_dist

Dist = Annotated[DistModel, BeforeValidator(as_dist)]
Fraction = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]
Money = Annotated[float, Field(ge=0)]
"""Dollars in the file; the engine converts to integer cents."""


class Section(BaseModel):
    """The base of every section of a scenario: frozen, unknown keys are errors, no NaN or
    infinity, defaults validated."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, validate_default=True,
        allow_inf_nan=False,
    )


def check_shares(value: dict[str, float]) -> dict[str, float]:
    """Shares over codes must be >= 0 and sum to 1."""
    total = sum(value.values())
    if abs(total - 1.0) > 1e-6 or any(p < 0 for p in value.values()):
        raise ValueError(f"shares must be >= 0 and sum to 1, got sum {total:g}")
    return value
