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
            head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
            writer.write(head.encode() + b"Connection: close\r\n\r\n")
            for n in range(1, parts + 1):
                part = await make_part(n, seconds)
                print(f"server: part {n} ready at {loop.time() - start:.2f} s, sent at once")
                writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")  # one chunk
                await writer.drain()
            writer.write(b"0\r\n\r\n")  # an empty chunk ends the body
            await writer.drain()
        finally:
            writer.close()

    def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.create_task(respond(reader, writer)))  # a task per connection

    server = await asyncio.start_server(connected, "127.0.0.1", 0)  # port 0: any free port
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /report HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        first = True
        while size := int(await reader.readline(), 16):  # each chunk: its size in hex, a line
            part = (await reader.readexactly(size + 2))[:-2]  # then the data and CRLF
            if first:
                print(f"client: first byte of the body after {loop.time() - start:.2f} s")
                first = False
            print(f"client: read {part.decode().rstrip()!r} at {loop.time() - start:.2f} s")
        await reader.readexactly(2)  # the CRLF after the last, empty chunk
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
