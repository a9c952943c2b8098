"""A small round-robin TCP proxy: one address in front of several local daphne processes.

For trying several processes on one machine (``manage.py serve --processes N``)
where nginx may not be installed; production uses nginx (deploy/nginx.conf).
It forwards bytes without reading them, so websocket upgrades pass untouched.
Each new connection goes to the next backend; one that refuses is skipped.
Daphne sees every reader as 127.0.0.1, since no header says who they are.

    python -m tutorialsite.proxy --listen 127.0.0.1:8000 --backend 127.0.0.1:8101 --backend ...
"""

import argparse
import asyncio
import contextlib
import itertools
import logging
import signal

logger = logging.getLogger("tutorialsite.proxy")

CONNECT_TIMEOUT = 3.0
CHUNK = 64 * 1024

Address = tuple[str, int]


class RoundRobinProxy:
    def __init__(self, backends: list[Address]) -> None:
        if not backends:
            raise ValueError("the proxy needs at least one backend")
        self.backends = backends
        self._turn = itertools.cycle(range(len(backends)))

    async def handle(self, client_reader, client_writer) -> None:
        upstream = await self._connect()
        if upstream is None:
            client_writer.close()
            return
        backend_reader, backend_writer = upstream

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(CHUNK):
                    writer.write(data)
                    await writer.drain()
                if writer.can_write_eof():
                    writer.write_eof()  # pass a half-close on; the other way may go on
            except OSError:
                # One side broke (a backend killed, a reader gone): end both ways.
                client_writer.close()
                backend_writer.close()

        try:
            await asyncio.gather(
                pipe(client_reader, backend_writer), pipe(backend_reader, client_writer)
            )
        finally:
            client_writer.close()
            backend_writer.close()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for _ in self.backends:
            host, port = self.backends[next(self._turn)]
            try:
                return await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as error:
                logger.warning("backend %s:%s refused (%s); trying the next", host, port, error)
        logger.error("no backend accepted the connection")
        return None


async def serve(listen: Address, backends: list[Address]) -> None:
    """Serve until SIGINT or SIGTERM."""
    proxy = RoundRobinProxy(backends)
    server = await asyncio.start_server(proxy.handle, *listen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    names = ", ".join(f"{host}:{port}" for host, port in backends)
    logger.info("proxy on %s:%s, round robin over %s", *listen, names)
    async with server:
        await stop.wait()


def parse_address(text: str) -> Address:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=parse_address, required=True, metavar="HOST:PORT")
    parser.add_argument(
        "--backend", type=parse_address, action="append", required=True, metavar="HOST:PORT"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.listen, args.backend))


if __name__ == "__main__":
    main()
