"""Where the weather demo's programs ask: the site's settings, set on each program.

A weather program reads the service's address and its timeout from two module
constants (``WEATHER_API_URL``, ``TIMEOUT``), whose defaults come from the
environment. The site tells this module what its settings say (``configure``)
and it sets them on every weather program the site runs, private copies of a
traced run included (``configure_program``); it knows nothing of Django.
"""

import weakref
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class WeatherService:
    url: str
    timeout: float


_service: WeatherService | None = None
# Every program module configured so far; private copies leave with their run.
_programs: "weakref.WeakSet[ModuleType]" = weakref.WeakSet()


def configure(*, url: str, timeout: float) -> None:
    """Where the weather demo asks, and how long it waits for each answer."""
    global _service
    _service = WeatherService(url=url, timeout=timeout)
    for program in list(_programs):
        configure_program(program)


def configure_program(program: ModuleType) -> None:
    """Set the configured service on ``program`` if it asks the weather service."""
    if not hasattr(program, "WEATHER_API_URL"):
        return
    _programs.add(program)
    if _service is not None:
        program.WEATHER_API_URL = _service.url
        program.TIMEOUT = _service.timeout
