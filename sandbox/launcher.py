"""Run one reader's program in a fresh bubblewrap sandbox and stream what it does.

Each run is a new process tree under ``bwrap`` with its own user, PID,
network, IPC, UTS and cgroup namespaces: uid 65534 inside, no network but a
loopback of its own, a read-only view of only what Python needs (the system's
``/usr``, the interpreter, the libraries programs may import and the site's
``demos`` package that reports a run), a private ``/tmp``, no project folder,
no database, no secret, an environment of four variables. Limits are set on
the process before ``bwrap`` starts and hold for everything inside
(``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``), with the
wall clock and the output watched from here.

When the runner is root it gives each sandbox slot an unprivileged uid of its
own outside too (``uid_base + slot``): the process limit counts per user, and
a sandbox that escaped its namespaces would still be nobody. Root's own paths
(a Python under ``/root``) are made visible to that uid by binding them,
read-only, in a private mount namespace made for each launch.

The weather simulator is reached through a Unix socket the runner serves
(``WeatherBridge``, one socket per sandbox slot), bound into the sandbox;
``sandbox.inside`` relays the site's usual address on the sandbox's loopback
to it. The bridge counts each run's requests in flight (``WeatherCount``),
outside the sandbox, for the exercises that grade them.

Nothing that comes out of the sandbox is trusted: events are checked field
by field (``checked_event``), output is counted and cut off, and whatever the
program does the launch ends within the wall clock.
"""

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import json
import logging
import os
import resource
import shutil
import signal
import site
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sandbox.checks import checked_event
from sandbox.limits import Limits

logger = logging.getLogger(__name__)

Event = dict[str, Any]

# Where things are inside the sandbox.
INSIDE_SITE = "/opt/site"
INSIDE_LIBRARIES = "/opt/site-packages"
INSIDE_WEATHER = "/run/weather.sock"
NOBODY = 65534
NICENESS = 10  # the site's own processes come first when the CPU is short


class SandboxUnavailable(Exception):
    """This machine cannot run sandboxes (no bwrap, say); the message says why."""


@dataclass(slots=True)
class Outcome:
    status: str  # "ok" | "failed" | "cancelled"
    elapsed: float
    summary: str
    reason: str = ""
    error: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    trace: list[dict[str, Any]] | None = None
    # The run's weather requests, counted outside the sandbox (WeatherCount.figures),
    # or None when the runner has no simulator.
    weather: dict[str, Any] | None = None
    # Why the launcher stopped the program ("wall", "output", "cancelled"...), or None.
    stopped: str | None = None


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


class WeatherCount:
    """One run's weather requests, counted outside its sandbox, where its code cannot reach.

    A request is in flight from when its first bytes reach the bridge until the
    first bytes of the simulator's answer come back (the simulator waits out a
    city's latency before it answers, so this is the time the request waits).
    Counting is per connection: a client that sends its next request on a kept
    connection after reading an answer counts it again; one that pipelines
    several requests at once on one connection counts them as one.
    """

    __slots__ = ("in_flight", "peak", "peak_at", "requests")

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.peak_at: float | None = None  # time.perf_counter() of the first peak
        self.requests = 0

    def asked(self) -> None:
        self.requests += 1
        self.in_flight += 1
        if self.in_flight > self.peak:
            self.peak = self.in_flight
            self.peak_at = time.perf_counter()

    def answered(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def figures(self, origin: float | None) -> dict[str, Any]:
        """The counts for a run's outcome, the peak's moment on the run's clock."""
        at = None
        if self.peak_at is not None and origin is not None:
            at = round(max(0.0, self.peak_at - origin), 4)
        return {"peak": self.peak, "peak_at": at, "requests": self.requests}


class WeatherBridge:
    """Unix sockets that relay each connection to the weather simulator's TCP address.

    Each sandbox slot has a socket of its own, made when the slot first needs
    it, so that the requests of the run in a slot are counted apart from every
    other run's (``WeatherCount``).

    Each connection costs the runner two descriptors and the simulator one
    connection, and a program's 64 processes may open 256 each: past
    ``MAX_CONNECTIONS`` open at once in a slot, a new one is closed at once.
    """

    MAX_CONNECTIONS = 64

    def __init__(self, url: str, folder: Path) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.folder = folder
        self._servers: dict[int, asyncio.AbstractServer] = {}
        # The count of the run now in each slot; None between runs.
        self._counts: dict[int, WeatherCount | None] = {}
        self._open: dict[int, int] = {}  # connections being relayed, per slot

    def path(self, slot: int) -> Path:
        return self.folder / f"weather-{slot}.sock"

    async def start(self) -> None:
        await self.open(0)

    async def open(self, slot: int) -> Path:
        """The slot's socket, listening."""
        if slot not in self._servers:
            path = self.path(slot)
            self._servers[slot] = await asyncio.start_unix_server(
                functools.partial(self._relay, slot), path=str(path)
            )
            # The sandbox's uid is not ours: it must be able to connect.
            os.chmod(path, 0o666)
        return self.path(slot)

    def begin(self, slot: int) -> WeatherCount:
        """A fresh count for the run starting in ``slot``."""
        count = self._counts[slot] = WeatherCount()
        return count

    def end(self, slot: int) -> None:
        self._counts[slot] = None

    async def close(self) -> None:
        for server in self._servers.values():
            server.close()
        for server in self._servers.values():
            await server.wait_closed()

    async def _relay(
        self, slot: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self._open.get(slot, 0) >= self.MAX_CONNECTIONS:
            writer.close()
            return
        self._open[slot] = self._open.get(slot, 0) + 1
        try:
            await self._relay_open(slot, reader, writer)
        finally:
            self._open[slot] -= 1

    async def _relay_open(
        self, slot: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # The count of the run that made the connection, kept for its life.
        count = self._counts.get(slot)
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), 5
            )
        except (OSError, TimeoutError):
            writer.close()
            return
        waiting = False  # a request of this connection is in flight

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, up: bool) -> None:
            nonlocal waiting
            try:
                while data := await source.read(65536):
                    if count is not None and up != waiting:
                        waiting = up
                        if up:
                            count.asked()
                        else:
                            count.answered()
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                with contextlib.suppress(OSError):
                    sink.close()

        try:
            await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        finally:
            if waiting and count is not None:
                count.answered()  # closed before an answer came: no longer in flight


class CpuShare:
    """A cgroup (v1 cpu controller) every sandbox of this runner joins, with a small weight.

    Niceness alone does not keep the site first: with the scheduler's
    autogroups, each session is weighed as a whole, and every sandbox starts
    sessions of its own (bwrap's ``--new-session``, or the program's
    ``setsid()``), each as heavy as the site's. A cgroup takes them out of
    autogrouping and weighs them all together, and nothing inside can leave
    it. Made only where a runner as root finds the v1 controller (a host
    under systemd sets ``CPUWeight=`` on the runner's unit instead).
    """

    ROOT = Path("/sys/fs/cgroup/cpu")
    SHARES = 64  # against 1,024 for each of the site's own processes and sessions

    def __init__(self) -> None:
        self.path: Path | None = None
        if os.geteuid() != 0 or not (self.ROOT / "cpu.shares").exists():
            return
        path = self.ROOT / _own_cgroup("cpu").lstrip("/") / f"asyncio-sandboxes-{os.getpid()}"
        try:
            path.mkdir()
            (path / "cpu.shares").write_text(str(self.SHARES))
        except OSError:
            logger.info("sandboxes share the CPU by niceness only: no cpu cgroup for them")
            return
        self.path = path

    def join_path(self) -> bytes | None:
        return None if self.path is None else str(self.path / "cgroup.procs").encode()

    def close(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.rmdir()


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path for a v1 ``controller`` ("/" when none is named)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return path
    return "/"


class Launcher:
    """Starts sandboxes for one runner process: paths, the weather bridge, the limits."""

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        weather_url: str = "",
        uid_base: int = 60000,
    ) -> None:
        bwrap = bwrap_path()
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
        self.bwrap = bwrap
        self.limits = limits or Limits()
        self.weather_url = weather_url
        self.uid_base = uid_base
        self.as_root = os.geteuid() == 0
        self.python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
        self.prefix = os.path.realpath(sys.base_prefix)
        if not self.python.startswith(self.prefix + os.sep):
            raise SandboxUnavailable(f"the interpreter {self.python} is not under {self.prefix}")
        self.libraries = [p for p in site.getsitepackages() if os.path.isdir(p)]
        self.demos = str(Path(__file__).resolve().parent.parent / "demos")
        self.inside = str(Path(__file__).resolve().parent / "inside.py")
        self.folder = Path(tempfile.mkdtemp(prefix="sandbox-"))
        os.chmod(self.folder, 0o755)
        self._write_etc()
        self.bridge = WeatherBridge(weather_url, self.folder) if weather_url else None
        self.cpu_share = CpuShare()
        # Binds that root makes in each launch's private mount namespace,
        # source -> mount point in self.folder; bwrap then binds the mount point.
        self._staged: list[tuple[str, str]] = []
        if self.as_root:
            self._libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            for name, source in self._sources():
                target = self.folder / "stage" / name
                if os.path.isdir(source):
                    target.mkdir(parents=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.touch()
                self._staged.append((source, str(target)))
            os.chmod(self.folder / "stage", 0o755)

    async def start(self) -> None:
        if self.bridge is not None:
            await self.bridge.start()

    async def close(self) -> None:
        if self.bridge is not None:
            await self.bridge.close()
        self.cpu_share.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # The sandbox's file system ---------------------------------------------------
    def _sources(self) -> list[tuple[str, str]]:
        named = [("python", self.prefix), ("demos", self.demos), ("inside.py", self.inside)]
        named += [(f"libraries{i}", path) for i, path in enumerate(self.libraries)]
        return named

    def _write_etc(self) -> None:
        etc = self.folder / "etc"
        etc.mkdir()
        (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost\n")
        (etc / "passwd").write_text(f"nobody:x:{NOBODY}:{NOBODY}:nobody:/tmp:/usr/sbin/nologin\n")
        (etc / "group").write_text(f"nogroup:x:{NOBODY}:\n")
        for path in etc.iterdir():
            path.chmod(0o644)
        etc.chmod(0o755)

    def _source(self, name: str, path: str) -> str:
        """Where bwrap finds ``path``: its staged mount point when root staged it."""
        for source, target in self._staged:
            if source == path:
                return target
        return path

    def command(self, *, weather: bool, slot: int = 0) -> list[str]:
        limits = self.limits
        args = [
            self.bwrap,
            "--unshare-all", "--unshare-user", "--disable-userns",
            "--die-with-parent", "--new-session",
            "--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin",
            "--ro-bind", self._source("python", self.prefix), self.prefix,
            "--ro-bind", self._source("demos", self.demos), f"{INSIDE_SITE}/demos",
            "--ro-bind", self._source("inside.py", self.inside), f"{INSIDE_SITE}/inside.py",
            "--ro-bind", str(self.folder / "etc" / "hosts"), "/etc/hosts",
            "--ro-bind", str(self.folder / "etc" / "passwd"), "/etc/passwd",
            "--ro-bind", str(self.folder / "etc" / "group"), "/etc/group",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
            "--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm",
            "--chdir", "/tmp",
            "--clearenv",
            "--setenv", "HOME", "/tmp", "--setenv", "PATH", "/usr/bin:/bin",
            "--setenv", "LANG", "C.UTF-8",
        ]  # fmt: skip
        inside_paths = []
        for i, path in enumerate(self.libraries):
            inside = f"{INSIDE_LIBRARIES}/{i}"
            args += ["--ro-bind", self._source(f"libraries{i}", path), inside]
            inside_paths.append(inside)
        if weather and self.bridge is not None:
            args += ["--ro-bind", str(self.bridge.path(slot)), INSIDE_WEATHER]
            args += ["--setenv", "WEATHER_API_URL", self.inside_weather_url()]
        # -I: no environment variables, no user site, no script folder on the
        # path; -B: nothing to write; -u: what it prints leaves at once.
        args += [self.python, "-I", "-B", "-u", f"{INSIDE_SITE}/inside.py", INSIDE_SITE]
        return args + inside_paths

    def inside_weather_url(self) -> str:
        """The site's weather address, on the sandbox's own loopback."""
        parts = urlsplit(self.weather_url)
        port = parts.port or 80
        path = parts.path or "/"
        return f"http://127.0.0.1:{port}{path}"

    def _preexec(self, slot: int) -> Callable[[], None]:
        limits = self.limits
        staged = self._staged
        libc = getattr(self, "_libc", None)
        uid = self.uid_base + slot
        cpu_share = self.cpu_share.join_path()

        def prepare() -> None:  # in the child, between fork and exec: no locks, no logging
            os.setsid()
            if cpu_share is not None:
                group = os.open(cpu_share, os.O_WRONLY)
                try:
                    os.write(group, b"0")  # this process, and all it will start
                finally:
                    os.close(group)
            if staged and libc is not None:
                os.unshare(os.CLONE_NEWNS)
                ms_rec, ms_private, ms_bind, ms_rdonly, ms_remount = 16384, 1 << 18, 4096, 1, 32
                if libc.mount(None, b"/", None, ms_rec | ms_private, None) != 0:
                    os._exit(125)
                for source, target in staged:
                    if libc.mount(source.encode(), target.encode(), None, ms_bind | ms_rec, None):
                        os._exit(125)
                    flags = ms_bind | ms_remount | ms_rdonly
                    if libc.mount(None, target.encode(), None, flags, None) != 0:
                        os._exit(125)
            os.setpriority(os.PRIO_PROCESS, 0, NICENESS)
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
            if self.as_root:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            # Last: counted against the uid now in force.
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))

        return prepare

    # Running ---------------------------------------------------------------------
    async def run(
        self,
        code: str,
        *,
        mode: str,
        trace: bool,
        send: Callable[[Event], None],
        slot: int = 0,
        weather: bool = True,
        stop: asyncio.Event | None = None,
    ) -> Outcome:
        """Run ``code``; ``send`` gets each event as it happens; return how it ended.

        Setting ``stop`` kills the sandbox at once and the run ends cancelled
        (the reader's ``cancel``); whatever the program does, this returns
        within the wall clock. Cancelling the awaiting task kills it too.
        """
        run = _Run(self, send, trace)
        return await run.execute(code, mode=mode, trace=trace, slot=slot, weather=weather,
                                 stop=stop or asyncio.Event())  # fmt: skip


class _Run:
    """One launch: its process, its pipes, its counts, and how it ended."""

    def __init__(self, launcher: Launcher, send: Callable[[Event], None], trace: bool) -> None:
        self.launcher = launcher
        self.limits = launcher.limits
        self.send = send
        self.origin: float | None = None
        self.output_bytes = 0
        self.event_bytes = 0
        self.stopped: str | None = None  # why we killed it
        self.error: dict[str, Any] | None = None
        self.syntax_error = False
        self.exit_elapsed: float | None = None
        self.exit_status: int | None = None
        self.tasks: dict[int, dict[str, Any]] = {}
        self.trace: list[dict[str, Any]] | None = [] if trace else None
        self.process: asyncio.subprocess.Process | None = None
        self.weather: WeatherCount | None = None

    def now(self) -> float:
        if self.origin is None:
            return 0.0
        return round(max(0.0, time.perf_counter() - self.origin), 4)

    async def execute(self, code: str, *, mode: str, trace: bool, slot: int, weather: bool,
                      stop: asyncio.Event) -> Outcome:  # fmt: skip
        launcher = self.launcher
        events_read, events_write = os.pipe()
        # pass_fds keeps the descriptor's number: the sandbox is told which it is.
        request: dict[str, Any] = {"code": code, "mode": mode, "trace": trace,
                                   "max_records": self.limits.trace_records,
                                   "events_fd": events_write}  # fmt: skip
        bridge = launcher.bridge if weather else None
        if bridge is not None:
            port = urlsplit(launcher.inside_weather_url()).port
            request["weather"] = {"port": port, "socket": INSIDE_WEATHER}
            await bridge.open(slot)
            self.weather = bridge.begin(slot)
        try:
            self.process = await asyncio.create_subprocess_exec(
                *launcher.command(weather=weather, slot=slot),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=(events_write,),
                # bwrap stays in the sandbox as its PID 1, and the program can read
                # its /proc entry: it must carry none of the runner's environment.
                env={},
                preexec_fn=launcher._preexec(slot),
                limit=self.limits.output_bytes + 1024,
            )
        except BaseException:
            os.close(events_read)
            if bridge is not None:
                bridge.end(slot)
            raise
        finally:
            os.close(events_write)
        process = self.process
        try:
            return await self._watch(process, request, events_read, stop)
        finally:
            if bridge is not None:
                bridge.end(slot)
            if process.returncode is None:
                _kill(process)
                with contextlib.suppress(ProcessLookupError):
                    await process.wait()

    async def _watch(
        self,
        process: asyncio.subprocess.Process,
        request: dict[str, Any],
        events_fd: int,
        stop: asyncio.Event,
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        events = asyncio.StreamReader(limit=1024 * 1024)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(events), os.fdopen(events_fd, "rb", 0)
        )
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdin.write(json.dumps(request).encode())
        process.stdin.close()
        readers = [
            asyncio.create_task(self._read_events(events)),
            asyncio.create_task(self._read_output(process.stdout, None)),
            asyncio.create_task(self._read_output(process.stderr, "stderr")),
        ]
        cancelled = False
        try:
            ended = asyncio.ensure_future(process.wait())
            stopping = asyncio.ensure_future(stop.wait())
            try:
                # The wall clock counts from the launch: bwrap and Python's start
                # take about a tenth of a second of the allowance.
                await asyncio.wait((ended, stopping), timeout=self.limits.wall_seconds + 0.5,
                                   return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            finally:
                stopping.cancel()
            if stop.is_set() and not ended.done():
                self._stop("cancelled", process)
            elif not ended.done():
                self._stop("wall", process)
            await ended
            # What it wrote before it ended is still in the pipes.
            await asyncio.wait(readers, timeout=1.0)
        except asyncio.CancelledError:
            cancelled = True
            _kill(process)
            raise
        finally:
            for reader in readers:
                reader.cancel()
            transport.close()
            if cancelled:
                with contextlib.suppress(ProcessLookupError):
                    await asyncio.shield(process.wait())
        return self._outcome(process.returncode)

    def _stop(self, why: str, process: asyncio.subprocess.Process) -> None:
        if self.stopped is None:
            self.stopped = why
        _kill(process)

    async def _read_events(self, stream: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):
                self._stop("events", self.process)  # type: ignore[arg-type]
                return
            if not line:
                return
            self.event_bytes += len(line)
            if self.event_bytes > 16 * self.limits.output_bytes + 4 * 1024 * 1024:
                self._stop("events", self.process)  # type: ignore[arg-type]
                return
            try:
                raw = json.loads(line)
            except (ValueError, RecursionError):  # nested deeper than the parser goes
                continue
            event = checked_event(raw, max_records=self.limits.trace_records)
            if event is not None:
                self._handle(event)

    def _handle(self, event: Event) -> None:
        kind = event["type"]
        match kind:
            case "started":
                # The program's clock: what it writes outside its events is timed from here.
                if self.origin is None:
                    self.origin = event["origin"]
                return
            case "syntax_error":
                self.syntax_error = True
                self.error = event["error"]
                return
            case "exception":
                self.error = event["error"]
                if self.error.get("type") == "MemoryError":
                    self.stopped = self.stopped or "memory"
                return
            case "exit":
                self.exit_elapsed = event["elapsed"]
                self.exit_status = event["status"]
                return
            case "trace":
                if self.trace is None:
                    return
                room = self.limits.trace_records + 1 - len(self.trace)
                records = event["records"][: max(0, room)]
                if not records:
                    return
                self.trace.extend(records)
                event["records"] = records
            # A task starts and finishes once: a program repeating one would flood the page.
            case "task_started":
                record = self.tasks.setdefault(event["task"], _task(event["task"]))
                if record["start"] is not None:
                    return
                record["start"] = event["t"]
            case "task_finished":
                record = self.tasks.setdefault(event["task"], _task(event["task"]))
                if record["end"] is not None:
                    return
                record.update(end=event["t"], ok=event["ok"])
                if "error" in event:
                    record["error"] = event["error"]
            case "output":
                if not self._count_output(len(event["text"].encode()) + 1):
                    return
                task = event["task"]
                if task is not None:
                    record = self.tasks.setdefault(task, _task(task))
                    if not record["output"]:
                        record["output"] = []
                    record["output"].append([event["t"], event["text"]])
        self.send(event)

    def _count_output(self, size: int) -> bool:
        self.output_bytes += size
        if self.output_bytes > self.limits.output_bytes:
            self._stop("output", self.process)  # type: ignore[arg-type]
            return False
        return True

    async def _read_output(self, stream: asyncio.StreamReader, kind: str | None) -> None:
        await self._read_lines(stream, kind)
        # Read to the end even once stopped: asyncio counts the process as ended
        # only when its pipes close, and a full, unread pipe never does.
        while await stream.read(65536):
            pass

    async def _read_lines(self, stream: asyncio.StreamReader, kind: str | None) -> None:
        while True:
            try:
                line = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):
                self._stop("output", self.process)  # type: ignore[arg-type]
                return
            if not line:
                return
            if not self._count_output(len(line)):
                return
            text = line.decode("utf-8", "replace").rstrip("\n")
            for piece in _pieces(text):
                event: Event = {"type": "output", "task": None, "text": piece, "t": self.now()}
                if kind:
                    event["stream"] = kind
                self.send(event)

    def _outcome(self, returncode: int | None) -> Outcome:
        outcome = self._ending(returncode)
        outcome.stopped = self.stopped
        if self.weather is not None:
            outcome.weather = self.weather.figures(self.origin)
        return outcome

    def _ending(self, returncode: int | None) -> Outcome:
        limits = self.limits
        # The program may forge its exit event: it cannot have run longer than we saw.
        elapsed = self.now()
        if self.exit_elapsed is not None:
            elapsed = min(self.exit_elapsed, elapsed)
        if self.stopped is None and returncode is not None and returncode > 128:
            signal_number = returncode - 128
            if signal_number == signal.SIGXCPU:
                self.stopped = "cpu"
            elif signal_number == signal.SIGXFSZ:
                self.stopped = "files"
            elif self.exit_status is None:
                self.stopped = f"killed by {_signal_name(signal_number)}"
        if self.stopped is None and self.error is not None:
            self.stopped = _limit_behind(self.error)
        tasks = sorted(self.tasks.values(), key=lambda record: record["task"])
        if self.syntax_error:
            error = self.error or {}
            line = error.get("line")
            where = f" at line {line}" if line else ""
            summary = f"{error.get('type', 'SyntaxError')}{where}: {error.get('message', '')}"
            return Outcome("failed", 0.0, summary, reason=summary, error=self.error,
                           trace=self.trace, tasks=tasks)  # fmt: skip
        if self.stopped == "cancelled":
            for record in tasks:
                if record["start"] is not None and record["end"] is None:
                    record.update(end=elapsed, ok=False, error="cancelled")
            return Outcome("cancelled", elapsed, f"Program cancelled after {elapsed:.2f} seconds.",
                           reason="cancelled by the reader", tasks=tasks,
                           trace=self.trace)  # fmt: skip
        if self.stopped is not None:
            reason = limits.stopped_for(self.stopped)
            for record in tasks:
                if record["start"] is not None and record["end"] is None:
                    record.update(end=elapsed, ok=False, error=reason)
            return Outcome("failed", elapsed, reason, reason=reason, error=self.error,
                           tasks=tasks, trace=self.trace)  # fmt: skip
        failed = (
            self.error is not None
            or (self.exit_status not in (None, 0))
            or (returncode not in (0, None) and self.exit_status is None)
            or any(record["ok"] is False for record in tasks)
        )
        summary = f"Program executed in {elapsed:.2f} seconds."
        reason = ""
        if self.error is not None:
            line = self.error.get("line")
            where = f" at line {line}" if line else ""
            reason = f"{self.error.get('type')}{where}: {self.error.get('message', '')}"[:300]
        elif self.exit_status not in (None, 0):
            reason = f"exited with status {self.exit_status}"
        elif self.exit_status is None and returncode not in (0, None):
            reason = "the program ended abruptly"
            logger.info("sandbox ended with %s and no exit event", returncode)
        return Outcome("failed" if failed else "ok", elapsed, summary, reason=reason,
                       error=self.error, tasks=tasks, trace=self.trace)  # fmt: skip


def _task(index: int) -> dict[str, Any]:
    return {"task": index, "start": None, "end": None, "ok": None, "output": ()}


def _pieces(text: str, size: int = 500) -> list[str]:
    if len(text) <= size:
        return [text]
    return [text[i : i + size] for i in range(0, len(text), size)]


def _limit_behind(error: dict[str, Any]) -> str | None:
    """The limit an exception of the program's says it hit, if any."""
    kind = error.get("type")
    message = str(error.get("message", ""))
    if kind == "MemoryError":
        return "memory"
    if kind in ("BlockingIOError", "RuntimeError") and (
        "Resource temporarily unavailable" in message or "can't start new thread" in message
    ):
        return "processes"
    if kind == "OSError" and "File too large" in message:
        return "files"
    return None


def _signal_name(number: int) -> str:
    try:
        return f"signal {number} ({signal.Signals(number).name})"
    except ValueError:
        return f"signal {number}"


def _kill(process: asyncio.subprocess.Process | None) -> None:
    """Kill the sandbox: bwrap's PID namespace takes every process in it along."""
    if process is None or process.returncode is not None:
        return
    # Not process.kill(): Popen polls first, and reaping the process there
    # leaves asyncio's child watcher without its exit status.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
