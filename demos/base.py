"""What a demo declares: its parameters and its two variants."""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import Any

from demos.params import Param


class Where(StrEnum):
    """Where a variant's entry point runs."""

    # A coroutine on the server's event loop, as a task the consumer owns.
    LOOP = "loop"
    # A plain function on the bounded demo thread pool, never on the loop.
    THREAD = "thread"
    # A coroutine on a private event loop in a pool thread: for demos that block
    # their loop on purpose, which must never be the server's own.
    PRIVATE_LOOP = "private_loop"


@dataclass(frozen=True)
class Variant:
    label: str
    # The entry point, ``main`` of a whole program (demos.programs): the file
    # it is written in is what the reader sees, and runs as it is.
    main: Callable[..., Any]
    where: Where
    # One sentence on why a run of this variant takes as long as it does,
    # shown beside the measured time and the reader's guess.
    why: str = ""
    # False for a program whose own code runs outside its loop's thread (in
    # threads of its own or other processes): the tracer watches the code of a
    # private copy of the module, whose lines in another thread each cost a
    # callback and whose functions cannot be pickled for another process.
    tracing: bool = True
    # The first lines the program prints with the demo's defaults, in order, for
    # a program whose order never varies: the reader may predict it before a run
    # (tests/test_predictions.py holds each to a real run).
    first_lines: tuple[str, ...] = ()
    # True for a program that changes what belongs to the whole process (the
    # warnings settings, which warnings.catch_warnings swaps for everyone): the
    # site runs such programs one at a time, so that two cannot undo each other's.
    alone: bool = False

    @property
    def traceable(self) -> bool:
        """Whether a run may be traced: an asyncio program has an event loop to trace."""
        return self.where is not Where.THREAD and self.tracing

    @property
    def program(self) -> ModuleType:
        return sys.modules[self.main.__module__]


@dataclass(frozen=True)
class Demo:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    sync: Variant
    async_: Variant

    def variant(self, mode: str) -> Variant:
        return self.sync if mode == "sync" else self.async_
