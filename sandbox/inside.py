"""What runs inside a sandbox: one reader's program, run as ``python main.py`` would,
reported the way the site reports its own demos.

The launcher (``sandbox.launcher``) starts this file with the site's Python
under bubblewrap and writes one JSON request on its standard input::

    {"code": "...", "mode": "async", "trace": false, "max_records": 5000,
     "weather": {"port": 8001, "socket": "/run/weather.sock"}}

Events go out as JSON lines on file descriptor 3 (never the program's own
standard output, which the launcher reads as plain text): ``started`` (the
run's clock origin on ``time.perf_counter``, the same clock outside, as the
sandbox has no time namespace), then the usual ``task_started``, ``output``,
``task_finished`` and ``trace`` events, then ``syntax_error`` or
``exception`` when the program did not run or raised, and ``exit``.

Nothing here is a defence: the program runs in this very process and may
undo any of it. The launcher trusts none of what comes out of it.
"""

import contextlib
import fcntl
import json
import os
import socket
import sys
import threading
import traceback
import types

# The launcher puts the site's ``demos`` package and the libraries programs may
# import (aiohttp, requests) on these paths; ``-I`` gave Python none of its own.
sys.path[:0] = sys.argv[1:]

import asyncio  # noqa: E402
import linecache  # noqa: E402

from demos import reporting  # noqa: E402
from demos.reporting import RunReporter, TaskFactory, task_identity  # noqa: E402

FILENAME = "main.py"
EVENTS_FD = 3
SEND_TRACE_EVERY = 0.05
TRACE_BATCH = 500


class Events:
    """Writes events as JSON lines on a descriptor of its own, from any thread."""

    def __init__(self, fd: int) -> None:
        # Moved out of the way of the program's own descriptors (3 is the first
        # a program's open() gets), unless it is out of the way already.
        self._fd = fd
        if fd < 100:
            self._fd = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
            os.close(fd)
        self._lock = threading.Lock()

    def send(self, event: dict) -> None:
        line = (json.dumps(event, separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view) :]


class InsideReporter(RunReporter):
    """A reporter whose events leave the process at once, from whichever thread."""

    def __init__(self, events: Events) -> None:
        super().__init__(None, events.send)  # type: ignore[arg-type]  # no loop to hand to

    def emit(self, event: dict) -> None:
        self._emit(event)


class RootlessFactory:
    """A task factory that reports every task of the program but the first of its loop.

    The first task a loop makes runs ``main`` (``asyncio.run(main())``): the
    site's own demos run main outside any task of theirs, so their timeline's
    lanes are the tasks main makes, and so are a reader's.
    """

    __slots__ = ("first", "inner")

    def __init__(self, inner: TaskFactory) -> None:
        self.inner = inner
        self.first = True

    def __call__(self, loop: asyncio.AbstractEventLoop, coro, **kwargs):
        if self.first:
            self.first = False
            return asyncio.Task(coro, loop=loop, **kwargs)
        return self.inner(loop, coro, **kwargs)


def forward_weather(port: int, path: str) -> None:
    """Serve the weather simulator on this sandbox's own loopback, from a process of its own.

    The sandbox has no network but its loopback; the launcher binds a Unix
    socket that reaches the simulator. A reader's program asks at the same
    address the demos use, on 127.0.0.1, and this process relays each
    connection to that socket.
    """
    listener = socket.create_server(("127.0.0.1", port))
    if os.fork():
        listener.close()
        return
    try:
        _relay_forever(listener, path)
    finally:
        os._exit(0)


def _relay_forever(listener: socket.socket, path: str) -> None:
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    peers: dict[socket.socket, socket.socket] = {}
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            if sock is listener:
                client, _ = listener.accept()
                upstream = socket.socket(socket.AF_UNIX)
                try:
                    upstream.connect(path)
                except OSError:
                    client.close()
                    upstream.close()
                    continue
                peers[client], peers[upstream] = upstream, client
                selector.register(client, selectors.EVENT_READ)
                selector.register(upstream, selectors.EVENT_READ)
                continue
            other = peers[sock]
            try:
                data = sock.recv(65536)
                if data:
                    other.sendall(data)
                    continue
            except OSError:
                pass
            for end in (sock, other):
                selector.unregister(end)
                peers.pop(end, None)
                end.close()


def error_of(exc: BaseException, frames_to_skip: int) -> dict:
    """The exception as the reader's Python would show it, without this file's frames."""
    tb = exc.__traceback__
    for _ in range(frames_to_skip):
        if tb is not None:
            tb = tb.tb_next
    line = None
    walk = tb
    while walk is not None:
        if walk.tb_frame.f_code.co_filename == FILENAME:
            line = walk.tb_lineno
        walk = walk.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return {"type": type(exc).__name__, "message": str(exc)[:1000], "line": line,
            "traceback": text[-8000:]}  # fmt: skip


def syntax_error_of(exc: SyntaxError | ValueError) -> dict:
    text = "".join(traceback.format_exception_only(type(exc), exc))
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "offset", None)
    message = getattr(exc, "msg", None) or str(exc)
    return {"type": type(exc).__name__, "message": str(message)[:1000], "line": line,
            "column": column, "traceback": text[-8000:]}  # fmt: skip


def top_level_functions(code: types.CodeType) -> list[types.CodeType]:
    return [const for const in code.co_consts if isinstance(const, types.CodeType)]


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    # The program has no standard input to read: it would wait for ever.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    events = Events(int(request.get("events_fd", EVENTS_FD)))
    weather = request.get("weather")
    if weather:
        forward_weather(int(weather["port"]), str(weather["socket"]))

    source = request["code"]
    try:
        code = compile(source, FILENAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:  # ValueError: a null byte
        events.send({"type": "syntax_error", "error": syntax_error_of(exc)})
        return 0
    lines = source.splitlines(keepends=True)
    linecache.cache[FILENAME] = (len(source), None, lines, FILENAME)

    program = types.ModuleType("__main__")
    program.__file__ = "/tmp/" + FILENAME
    program.__builtins__ = __builtins__  # type: ignore[attr-defined]
    program.print = reporting.print  # type: ignore[attr-defined]
    sys.modules["__main__"] = program
    sys.argv = [FILENAME]
    # A process the program starts with "spawn" or "forkserver" (a process
    # pool, say) imports the main module again from its file, as after
    # ``python main.py``: so the file is there, in the sandbox's own /tmp.
    with contextlib.suppress(OSError), open(program.__file__, "w", encoding="utf-8") as file:
        file.write(source)

    reporter = InsideReporter(events)
    reporter.program = vars(program)
    if request.get("mode") == "sync":
        functions = top_level_functions(code)
        reporter.sync_main = next((c for c in functions if c.co_name == "main"), None)
        reporting.watch_sync_code(functions)

    tracer = None
    if request.get("trace"):
        from demos.tracer import _CODE, Tracer

        program.__dict__[_CODE] = code
        tracer = Tracer(
            program,
            max_records=int(request.get("max_records", 5000)),
            identify=task_identity,
            task_factory=RootlessFactory(TaskFactory()),
        )
    loops = ProgramLoops(events, reporter, tracer)
    asyncio.set_event_loop_policy(loops)

    reporter.bind()
    origin = reporter.start()
    events.send({"type": "started", "origin": origin})
    status = 0
    try:
        exec(code, vars(program))
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException as exc:
        events.send({"type": "exception", "error": error_of(exc, frames_to_skip=1)})
        status = 1
    finally:
        elapsed = reporter.now()
        reporter.close_unstarted()
        if tracer is not None:
            loops.stop_sending()
            tracer.close()
            send_trace(events, tracer)
        sys.stdout.flush()
        sys.stderr.flush()
        events.send({"type": "exit", "elapsed": elapsed, "status": status})
    return status


def send_trace(events: Events, tracer) -> None:
    records = tracer.drain()
    for start in range(0, len(records), TRACE_BATCH):
        events.send({"type": "trace", "records": records[start : start + TRACE_BATCH]})


class ProgramLoops(asyncio.DefaultEventLoopPolicy):
    """Every loop the program makes reports its tasks; the first is traced when asked."""

    def __init__(self, events: Events, reporter: RunReporter, tracer) -> None:
        super().__init__()
        self._events = events
        self._reporter = reporter
        self._tracer = tracer
        self._sender: threading.Thread | None = None
        self._stop = threading.Event()

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        tracer, self._tracer = self._tracer, None
        if tracer is None:
            loop = super().new_event_loop()
            loop.set_task_factory(RootlessFactory(TaskFactory()))
            return loop
        loop = tracer.new_loop()
        tracer.begin(self._reporter.started_at)
        self._traced = tracer
        self._sender = threading.Thread(target=self._send_trace, daemon=True, name="trace")
        self._sender.start()
        return loop

    def _send_trace(self) -> None:
        while not self._stop.wait(SEND_TRACE_EVERY):
            send_trace(self._events, self._traced)

    def stop_sending(self) -> None:
        self._stop.set()
        if self._sender is not None:
            self._sender.join()


if __name__ == "__main__":
    # The program's own exit status, after its threads and atexit handlers,
    # exactly as Python would end it.
    sys.exit(main())
