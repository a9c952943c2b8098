import asyncio

PARTS = 4
SECONDS = 0.3  # how long the server takes to make each part


async def make_part(n: int, seconds: float) -> bytes:
    await asyncio.sleep(seconds)  # stands in for a query or a call to another service
    return f"part {n}\n".encode()


async def main(parts: int = PARTS, seconds: float = SECONDS) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    handlers: set[asyncio.Task] = set()

    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")  # the request's head; a GET has no body
            body = b""
            for n in range(1, parts + 1):
                body += await make_part(n, seconds)
                print(f"server: part {n} ready at {loop.time() - start:.2f} s, kept in memory")
            head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            writer.write(head.encode() + b"Connection: close\r\n\r\n" + body)
            await writer.drain()
            print(f"server: sent the whole body at {loop.time() - start:.2f} s")
        finally:
            writer.close()

    def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.create_task(respond(reader, writer)))  # a task per connection

    server = await asyncio.start_server(connected, "127.0.0.1", 0)  # port 0: any free port
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /report HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        body = b""
        while len(body) < length:
            data = await reader.read(65536)
            if not data:
                break
            if not body:
                print(f"client: first byte of the body after {loop.time() - start:.2f} s")
            body += data
        for line in body.decode().splitlines():
            print(f"client: read {line!r} at {loop.time() - start:.2f} s")
        print(f"client: whole body read at {loop.time() - start:.2f} s")
        writer.close()
        await writer.wait_closed()
    finally:
        for task in handlers:
            task.cancel()  # a handler still making parts, if the run was cancelled
        await asyncio.gather(*handlers, return_exceptions=True)
        server.close()
        await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
