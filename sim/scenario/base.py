"""What every scenario model shares: the frozen base with plain-scalar checks, field
documentation (meaning, unit, source) and the constrained number and date types."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from sim.world.dates import check_date

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]

Date = Annotated[str, AfterValidator(check_date)]
"""An ISO date string, checked by the one date parser (:mod:`sim.world.dates`)."""

PROVISIONAL = "assumption (hand-set, not calibrated)"
"""Source of behavioural values set by hand; calibrated ones are named in docs/ODD.md."""


def doc(meaning: str, unit: str, source: str = PROVISIONAL) -> dict:
    """Field metadata shown in docs/ODD.md: a parameter's meaning, unit and source."""
    return {"description": meaning, "json_schema_extra": {"unit": unit, "source": source}}


class Frozen(BaseModel):
    """Base: immutable, unknown keys are errors, numbers finite and never written as text.

    Pydantic would turn ``"5e-2"`` into 0.05, ``true`` into 1.0 and ``"yes"`` into True; here
    a number field takes only numbers (an integer where a float is expected is fine) and a
    yes/no field only ``true`` or ``false``. NaN and infinity are refused everywhere.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _plain_scalars(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        problems: list[InitErrorDetails] = []
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key not in data:
                continue
            kind, value = _scalar_kind(cls, name), data[key]
            if isinstance(kind, tuple) and isinstance(value, list | tuple):
                items = [((key, i), kind[0], item) for i, item in enumerate(value)]
            else:
                items = [((key,), kind, value)]
            for loc, want, item in items:
                problem = _scalar_problem(want, item)
                if problem:
                    error = PydanticCustomError("value_error", "{problem}", {"problem": problem})
                    problems.append(InitErrorDetails(type=error, loc=loc, input=item))
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return data


_KINDS: dict[tuple[type, str], Any] = {}


def _scalar_kind(model: type[BaseModel], name: str) -> Any:
    """``"number"``, ``"whole number"``, ``"bool"``, a 1-tuple of one for tuples, or None."""
    key = (model, name)
    if key not in _KINDS:
        _KINDS[key] = _kind_of(model.model_fields[name].annotation)
    return _KINDS[key]


def _kind_of(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        return _kind_of(get_args(annotation)[0])
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "whole number"
    if annotation is float:
        return "number"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is tuple and args:
        kinds = {_kind_of(a) for a in args if a is not Ellipsis}
        return (kinds.pop(),) if len(kinds) == 1 and None not in kinds else None
    if origin in (Union, UnionType):
        kinds = {_kind_of(a) for a in args if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 and None not in kinds else None
    return None


def _scalar_problem(kind: Any, value: Any) -> str | None:
    """Why ``value`` is refused for a field of ``kind`` (text or booleans as numbers, anything
    but true/false as a boolean), or None."""
    if kind in ("number", "whole number") and isinstance(value, str | bool):
        shown = str(value).lower() if isinstance(value, bool) else "text " + repr(value)[:60]
        return f"expected a {kind}, got {shown}"
    if kind == "bool" and not isinstance(value, bool):
        return f"expected true or false, got {repr(value)[:60]}"
    return None
