"""A small closed-loop HTTP/1.1 load generator on raw asyncio sockets.

Each connection is kept alive and sends its next GET as soon as the previous
answer is complete, so the rate measured is what the server can sustain at
that concurrency. Parsing is the minimum (status line, Content-Length or
chunked body): a heavier client would take the CPU the server needs on a
2-core machine and blur the comparison.
"""

import asyncio
import time
from dataclasses import dataclass, field

MAX_HEADER_BYTES = 64 * 1024
FETCH_SECONDS = 60


class HttpError(Exception):
    pass


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(HttpError(f"connection lost: {exc}"))
        if not self._closed.done():
            self._closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None or self._waiter.done():
            return
        try:
            parsed = _parse(self._buffer)
        except HttpError as exc:
            self._waiter.set_exception(exc)
            return
        if parsed is not None:
            status, body, used = parsed
            del self._buffer[:used]
            self._waiter.set_result((status, body))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self._waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _parse(buffer: bytearray) -> tuple[int, bytes, int] | None:
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEADER_BYTES:
            raise HttpError("response headers too long")
        return None
    head = bytes(buffer[:end]).split(b"\r\n")
    try:
        status = int(head[0].split(b" ", 2)[1])
    except (IndexError, ValueError):
        raise HttpError(f"bad status line {head[0][:80]!r}") from None
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    start = end + 4
    if b"content-length" in headers:
        stop = start + int(headers[b"content-length"])
        if len(buffer) < stop:
            return None
        return status, bytes(buffer[start:stop]), stop
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = bytearray()
        at = start
        while True:
            line_end = buffer.find(b"\r\n", at)
            if line_end < 0:
                return None
            size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
            if len(buffer) < line_end + 2 + size + 2:
                return None
            body += buffer[line_end + 2 : line_end + 2 + size]
            at = line_end + 2 + size + 2
            if size == 0:
                return status, bytes(body), at
    if status in (204, 304) or 100 <= status < 200:
        return status, b"", start
    raise HttpError("a response without Content-Length or chunked body")


def build_request(host: str, port: int, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class LoadResult:
    path: str
    connections: int
    duration: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def answered(self, status: int, expect: int, latency: float | None) -> None:
        """Count an answer; its latency counts only if it is the status expected."""
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status != expect:
            self.errors += 1
        elif latency is not None:
            self.latencies.append(latency)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.duration if self.duration else 0.0


async def _open(host: str, port: int, source: str | None = None) -> _Connection:
    loop = asyncio.get_running_loop()
    local = (source, 0) if source else None
    _, protocol = await asyncio.wait_for(
        loop.create_connection(_Connection, host, port, local_addr=local), timeout=10
    )
    return protocol


async def fetch(
    host: str, port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One GET on a fresh connection, answered within ``FETCH_SECONDS``: checks, warm-up."""
    connection = await _open(host, port)
    try:
        return await asyncio.wait_for(
            connection.request(build_request(host, port, path, headers)), FETCH_SECONDS
        )
    finally:
        connection.close()


async def hammer(
    host: str,
    port: int,
    path: str,
    *,
    connections: int,
    duration: float,
    headers: dict[str, str] | None = None,
    expect: int = 200,
    request_timeout: float = 30,
    source: str | None = None,
) -> LoadResult:
    """Keep ``connections`` busy with GETs of ``path`` for ``duration`` seconds.

    Only answers that arrive within the window count; latency is from writing
    the request to the last byte of its answer. ``source``: the local address
    to send from (any of 127/8 is this machine), so a proxy sees another client.
    """
    raw = build_request(host, port, path, headers)
    opened = await asyncio.gather(*(_open(host, port, source) for _ in range(connections)))
    result = LoadResult(path=path, connections=connections, duration=duration)
    started = time.perf_counter()
    until = started + duration

    async def worker(connection: _Connection) -> None:
        while time.perf_counter() < until:
            sent = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(connection.request(raw), request_timeout)
            except (HttpError, TimeoutError, OSError):
                result.errors += 1
                return
            done = time.perf_counter()
            result.answered(status, expect, done - sent if done <= until else None)

    try:
        await asyncio.gather(*(worker(connection) for connection in opened))
    finally:
        for connection in opened:
            connection.close()
    return result


async def paced(
    host: str,
    port: int,
    path: str,
    *,
    rate: float,
    duration: float,
    connections: int = 4,
    expect: int = 200,
    request_timeout: float = 30,
) -> LoadResult:
    """GETs of ``path`` at a steady ``rate`` per second, like readers arriving, not a flood.

    Request i is due at ``i / rate`` seconds and goes out on connection
    ``i % connections``; its latency counts from when it was due, so a
    request held up behind a slow one is charged for the wait too.
    """
    raw = build_request(host, port, path)
    opened = await asyncio.gather(*(_open(host, port) for _ in range(connections)))
    locks = [asyncio.Lock() for _ in opened]
    result = LoadResult(path=path, connections=connections, duration=duration)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def one(index: int, due: float) -> None:
        slot = index % connections
        async with locks[slot]:
            try:
                status, _ = await asyncio.wait_for(opened[slot].request(raw), request_timeout)
            except (HttpError, TimeoutError, OSError):
                result.errors += 1
                return
        result.answered(status, expect, loop.time() - due)

    pending = []
    try:
        for index in range(int(rate * duration)):
            due = started + index / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            pending.append(asyncio.ensure_future(one(index, due)))
        await asyncio.gather(*pending)
    finally:
        for connection in opened:
            connection.close()
    return result
