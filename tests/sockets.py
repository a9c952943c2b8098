"""What the demo socket's tests send: the headers of a page of this site, and a
reader's socket to a running site with the runs it asks for.
"""

import asyncio
import json

import websockets

# An origin the site allows (ALLOWED_HOSTS in tests), and its host.
HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


def reader(site: str, source: str = "127.0.0.1"):
    """A reader's demo socket on the running site at ``site`` (http://host:port).

    ``source`` is the reader's own address: on Linux every 127.x.y.z is this
    machine, so each test can have readers of distinct addresses.
    """
    return websockets.connect(
        site.replace("http://", "ws://", 1) + "/ws/demos/", origin=site, local_addr=(source, 0)
    )


async def next_message(socket, within: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), within))


async def start(socket, run_id: str, seconds: float) -> list[dict]:
    """Ask for a one-task run of the sleep demo; its messages until it runs (or is refused)."""
    frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": "async"}
    await socket.send(json.dumps({**frame, "params": {"tasks": 1, "seconds": seconds}}))
    return await until(socket, run_id, {"task_started", "error"})


async def until(socket, run_id: str, kinds: set[str]) -> list[dict]:
    """The messages about ``run_id`` up to the first of one of ``kinds``."""
    events = []
    while True:
        event = await next_message(socket)
        if event.get("id") == run_id:
            events.append(event)
            if event["type"] in kinds:
                return events


async def run(socket, run_id: str, seconds: float) -> list[dict]:
    """A whole run; every message about it, to the last."""
    events = await start(socket, run_id, seconds)
    if events[-1]["type"] == "error":
        return events
    return events + await until(socket, run_id, {"finished", "error"})


def outcome(events: list[dict]) -> str:
    """How a run ended: its status (ok, failed, cancelled), or the code it was refused with."""
    last = events[-1]
    return last.get("status") or last.get("code") or f"no end yet: {last}"


async def own_program(site: str, code: str, run_id: str = "own") -> list[dict]:
    """A reader's own program run on the site at ``site`` (on its sandbox runner):
    every message about it, to the last."""
    async with reader(site) as socket:
        frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": "async", "code": code}
        await socket.send(json.dumps(frame))
        return await until(socket, run_id, {"finished", "error"})
