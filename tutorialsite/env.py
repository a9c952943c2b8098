"""Typed readers for settings that come from the environment.

Each helper fails loudly, naming the variable, when a value is malformed: a
typo in production should stop start-up, not silently fall back to a default.
"""

import os
import re

from django.core.exceptions import ImproperlyConfigured


class ImproperlyConfiguredEnv(ImproperlyConfigured):
    """A setting in the environment is missing or malformed."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(
        f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 1_000_000) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfiguredEnv(
            f"{name} must be between {minimum} and {maximum}, got {value}"
        )
    return value


def env_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be a number, got {raw!r}") from None
    if not minimum <= value <= maximum:  # also refuses NaN
        raise ImproperlyConfiguredEnv(
            f"{name} must be between {minimum} and {maximum}, got {raw!r}"
        )
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


_RATE = re.compile(r"\A\s*(\d+)\s*/\s*(s|m|h|d)\s*\Z")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str) -> tuple[int, int]:
    """Read a rate written like ``30/m``; return (count, period in seconds)."""
    raw = os.environ.get(name, default)
    match = _RATE.fullmatch(raw)
    if not match or int(match.group(1)) < 1:
        raise ImproperlyConfiguredEnv(
            f"{name} must look like 30/m (a positive count per s, m, h or d), got {raw!r}"
        )
    return int(match.group(1)), _PERIOD_SECONDS[match.group(2)]


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    raw = os.environ.get(name, default).strip()
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme.lower() not in schemes or not rest:
        raise ImproperlyConfiguredEnv(
            f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}, "
            f"got {raw!r}"
        )
    return raw
