"""Code that holds the loop: in a task's step, in a callback, in I/O; or a thread."""

import asyncio
import socket
import time


async def main(block: float = 0.05) -> None:
    await asyncio.sleep(0)
    time.sleep(block)  # marker: main blocks
    await asyncio.sleep(0)


async def in_a_callback(block: float = 0.05) -> None:
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def hold() -> None:
        time.sleep(block)  # marker: callback blocks
        done.set_result(None)

    loop.call_soon(hold)
    await done


def wait_in_thread(block: float) -> None:
    time.sleep(block)  # marker: thread sleeps


async def in_a_thread(block: float = 0.05) -> None:
    await asyncio.to_thread(wait_in_thread, block)  # marker: main waits for its thread


async def spinning(lines: int) -> None:
    total = 0
    for number in range(lines):
        total += number
    await asyncio.sleep(0)


def busy_in_thread(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.001)  # marker: thread ticks


async def blocked_beside_a_thread(block: float = 0.05) -> None:
    thread = asyncio.create_task(asyncio.to_thread(busy_in_thread, block * 2))
    await asyncio.sleep(0.005)
    time.sleep(block)  # marker: main blocks beside a thread
    await thread


async def in_an_io_callback(block: float = 0.05) -> None:
    loop = asyncio.get_running_loop()
    readable, writable = socket.socketpair()
    done = loop.create_future()

    def read() -> None:
        readable.recv(1)
        time.sleep(block)  # marker: reader blocks
        loop.remove_reader(readable)
        done.set_result(None)

    loop.add_reader(readable, read)
    writable.send(b"x")
    await done
    readable.close()
    writable.close()
