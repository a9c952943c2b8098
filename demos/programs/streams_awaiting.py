import asyncio
import time
from functools import partial

CLIENTS = 3
DELAY = 0.25  # seconds the server works on each line
LINES = 2  # lines each client sends


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """One connection, in a task of its own: answer each line in upper case."""
    answered = 0
    try:
        async for line in reader:  # one line at a time, until the client closes
            await asyncio.sleep(delay)  # the work waits without blocking: other connections go on
            writer.write(line.upper())
            await writer.drain()
            answered += 1
        print(f"server: a client left (lines answered: {answered})")
    finally:
        writer.close()
        await writer.wait_closed()


async def client(number: int, port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for line in range(1, LINES + 1):
            writer.write(f"client {number}, line {line}\n".encode())
            await writer.drain()
            reply = await reader.readline()
            print(f"client {number} got {reply.decode().strip()!r}")
    finally:
        writer.close()
        await writer.wait_closed()


async def main(clients: int = CLIENTS, delay: float = DELAY) -> None:
    # Port 0: the system picks a free port; the socket says which.
    server = await asyncio.start_server(partial(handle, delay=delay), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:  # on the way out: close, then wait for every connection to end
        start = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for number in range(clients):
                group.create_task(client(number, port))
        print(f"{clients} clients served in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
