"""What a sandboxed run may use, and what the reader is told when it uses more."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MiB = 1024 * 1024
KiB = 1024


@dataclass(frozen=True, slots=True)
class Limits:
    cpu_seconds: int = 5
    memory_bytes: int = 512 * MiB  # address space of each process
    processes: int = 64  # processes and threads, together
    file_bytes: int = 1 * MiB  # the largest file it may write
    tmp_bytes: int = 16 * MiB  # all it may write, in its private /tmp
    output_bytes: int = 64 * KiB  # what it prints, standard error included
    wall_seconds: float = 15.0
    trace_records: int = 5000
    code_bytes: int = 32 * KiB

    def stopped_for(self, what: str) -> str:
        """The message a reader reads when the run was stopped for ``what``."""
        match what:
            case "cpu":
                return f"Stopped: used more than {self.cpu_seconds} s of CPU."
            case "memory":
                return f"Stopped: used more than {self.memory_bytes // MiB} MiB of memory."
            case "processes":
                return f"Stopped: started more than {self.processes} processes and threads."
            case "output":
                return f"Stopped: printed more than {self.output_bytes // KiB} KiB."
            case "wall":
                return f"Stopped: ran longer than {self.wall_seconds:g} s."
            case "files":
                return f"Stopped: wrote a file larger than {self.file_bytes // MiB} MiB."
            case "events":
                return "Stopped: it wrote more to the site's event channel than any program should."
        return f"Stopped: {what}."


def limits_from(read_int: Callable[..., Any], read_float: Callable[..., Any]) -> Limits:
    """Limits from the environment, read by the caller's own readers: the site's
    settings and a runner read the same variables, with the same bounds."""
    return Limits(
        cpu_seconds=read_int("SANDBOX_CPU_SECONDS", 5, minimum=1, maximum=600),
        memory_bytes=read_int("SANDBOX_MEMORY_MB", 512, minimum=64, maximum=65_536) * MiB,
        processes=read_int("SANDBOX_PROCESSES", 64, minimum=4, maximum=4096),
        file_bytes=read_int("SANDBOX_FILE_KB", 1024, minimum=1, maximum=1_048_576) * KiB,
        output_bytes=read_int("SANDBOX_OUTPUT_KB", 64, minimum=1, maximum=65_536) * KiB,
        wall_seconds=read_float("SANDBOX_WALL_SECONDS", 15.0, minimum=1.0, maximum=3600.0),
    )
