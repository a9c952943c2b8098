"""Declared demo parameters: type, bounds, default and label.

The same declarations validate a lesson's demo block, a reader's websocket
message and the widget's inputs (through the catalog), so the bounds live in
one place only.
"""

import math
import re
import reprlib
from dataclasses import dataclass
from typing import Any


class ParamError(ValueError):
    """A parameter value is missing, of the wrong type or out of bounds."""


def _shown(value: int | float) -> str:
    """The value as the reader sent it, cut short: a hostile one may be thousands of digits."""
    text = str(value) if not isinstance(value, int) or abs(value) < 10**40 else "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."


class _BriefRepr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        # reprlib would write out every digit (or fail past 4,300 of them).
        return _shown(x)


_BRIEF = _BriefRepr(maxlevel=1, maxstring=40, maxother=40, maxlist=4, maxtuple=4, maxdict=4)


def brief_repr(value: Any) -> str:
    """A value from outside, for a message: never str() of all of it, which for a nested
    list can be megabytes (a YAML alias bomb, gigabytes) before it is cut short."""
    return _BRIEF.repr(value)


@dataclass(frozen=True)
class IntParam:
    name: str
    label: str
    default: int
    minimum: int
    maximum: int

    def clean(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{self.name} must be a whole number from {self._bounds()}")
        if not self.minimum <= value <= self.maximum:
            raise ParamError(f"{self.name} must be from {self._bounds()}, got {_shown(value)}")
        return value

    def _bounds(self) -> str:
        return f"{self.minimum} to {self.maximum}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": "int",
            "label": self.label,
            "default": self.default,
            "min": self.minimum,
            "max": self.maximum,
            "step": 1,
        }


@dataclass(frozen=True)
class FloatParam:
    name: str
    label: str
    default: float
    minimum: float
    maximum: float
    step: float = 0.05

    def clean(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(f"{self.name} must be a number from {self._bounds()}")
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            number = math.inf
        if not math.isfinite(number) or not self.minimum <= number <= self.maximum:
            raise ParamError(f"{self.name} must be from {self._bounds()}, got {_shown(value)}")
        return number

    def _bounds(self) -> str:
        return f"{self.minimum:g} to {self.maximum:g}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": "float",
            "label": self.label,
            "default": self.default,
            "min": self.minimum,
            "max": self.maximum,
            "step": self.step,
        }


# \A and \Z, and fullmatch where it is used: "$" would also accept a trailing
# newline, which would go upstream as %0A and into stored runs.
CITY_PATTERN = re.compile(r"\A[A-Za-z0-9-]{1,40}\Z")


@dataclass(frozen=True)
class CityListParam:
    name: str
    label: str
    default: tuple[str, ...]
    min_items: int
    max_items: int

    def clean(self, value: Any) -> list[str]:
        if isinstance(value, str):
            # Lesson blocks may write "paris, lyon" as well as a YAML list.
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            raise ParamError(f"{self.name} must be a list of {self._bounds()} city names")
        if not self.min_items <= len(value) <= self.max_items:
            raise ParamError(f"{self.name} must hold {self._bounds()} city names, got {len(value)}")
        cities = []
        for item in value:
            if not isinstance(item, str) or not CITY_PATTERN.fullmatch(item):
                raise ParamError(
                    f"{self.name}: each city must be 1 to 40 letters, digits or hyphens, "
                    f"got {brief_repr(item)}"
                )
            cities.append(item.lower())
        return cities

    def _bounds(self) -> str:
        return f"{self.min_items} to {self.max_items}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": "cities",
            "label": self.label,
            "default": list(self.default),
            "min": self.min_items,
            "max": self.max_items,
        }


Param = IntParam | FloatParam | CityListParam


def clean_params(
    declared: tuple[Param, ...], given: Any, *, fill_defaults: bool = True
) -> dict[str, Any]:
    """Validate ``given`` against ``declared``; unknown names are an error."""
    if not isinstance(given, dict):
        raise ParamError("params must be an object")
    known = {param.name: param for param in declared}
    unknown = sorted(brief_repr(name) for name in given if name not in known)
    if unknown:
        raise ParamError(
            f"unknown parameter {unknown[0]}; this demo takes {', '.join(known) or 'none'}"
        )
    cleaned: dict[str, Any] = {}
    for param in declared:
        if param.name in given:
            cleaned[param.name] = param.clean(given[param.name])
        elif fill_defaults:
            default = param.default
            cleaned[param.name] = list(default) if isinstance(default, tuple) else default
    return cleaned
