"""What the site adds to a program from outside, so that the file itself stays plain.

The program's module gets a global ``print`` (``demos.reporting.print``) that
shadows the built-in one for that module alone, and the weather service the
site's settings name (``demos.http``); a sync program's calls from ``main``
are watched as tasks (``demos.reporting.watch_sync_program``). The loop a run
uses gets its task factory from the runner.
"""

from types import ModuleType

from demos import http, reporting


def instrument(program: ModuleType, *, sync: bool = False) -> ModuleType:
    """Instrument ``program`` (once: again costs little) and return it."""
    if program.__dict__.get("print") is not reporting.print:
        program.print = reporting.print  # type: ignore[attr-defined]
        http.configure_program(program)
    if sync:
        reporting.watch_sync_program(program)  # once for each function
    return program
