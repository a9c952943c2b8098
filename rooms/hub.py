"""A process's one subscription to a room, shared by every follower socket in it.

A room's group holds one channel per process, not one per follower: a batch
of items is then one message for the process, checked for gaps once
(rooms.state.Cursor), encoded once and written to each local follower's
socket directly. Missed items are asked of the teacher's socket for the whole
process, and the items of the current numbering are kept, so a follower who
joins later on this process is caught up at once.
"""

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from channels.db import aclose_old_connections
from channels.layers import get_channel_layer
from django.conf import settings

from live.channel_layer import LAYER_ERRORS
from rooms import codes, selectors, services
from rooms.state import Cursor, Item

logger = logging.getLogger(__name__)

_encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode

# What a hub needs of a follower's socket: send a frame (text or dict), and
# hear that the room ended (after the room_closed frame).
Send = Callable[[Any], None]


def followers_group(room_id: int) -> str:
    return f"room-{int(room_id)}"


def teacher_group(room_id: int) -> str:
    return f"room-{int(room_id)}-teacher"


class RoomHub:
    def __init__(self, room_id: int, code: str, round_no: int, asking: bool) -> None:
        self.room_id = room_id
        self.shown = codes.shown(code)
        self.layer = get_channel_layer()
        self.followers: dict[object, tuple[Send, Callable[[], None]]] = {}
        self.cursor = Cursor()
        self.items: list[Item] = []  # the current numbering, as passed on
        self.round, self.asking = round_no, asking
        self.channel = ""
        self.heard_at = asyncio.get_running_loop().time()
        self.tasks: list[asyncio.Task[None]] = []
        self.resync: asyncio.Task[None] | None = None
        self.ended = False
        self.loop = asyncio.get_running_loop()

    # Followers --------------------------------------------------------------
    def add(self, key: object, send: Send, ended: Callable[[], None]) -> None:
        self.followers[key] = (send, ended)
        if self.items:
            send({"type": "room", "code": self.shown, "items": list(self.items)})

    def remove(self, key: object) -> asyncio.Future[None] | None:
        """Drop a follower; the last one stops the hub: its leaving the group, to await."""
        self.followers.pop(key, None)
        return None if self.followers else self.stop()

    # Life -------------------------------------------------------------------
    async def start(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(followers_group(self.room_id), self.channel)
        self.tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._watch())]
        self._ask_replay()  # everything the teacher's socket published, from its item 1

    def stop(self) -> asyncio.Future[None] | None:
        _hubs.pop(self.room_id, None)
        for task in [*self.tasks, self.resync]:
            if task is not None:
                task.cancel()
        if not self.channel:
            return None
        leaving = asyncio.ensure_future(self._leave_group())
        _leaving.add(leaving)
        leaving.add_done_callback(_leaving.discard)
        return leaving

    async def _leave_group(self) -> None:
        try:
            await self.layer.group_discard(followers_group(self.room_id), self.channel)
        except LAYER_ERRORS:
            logger.debug("could not leave a room group", exc_info=True)

    def _end(self, reason: str) -> None:
        if self.ended:
            return
        self.ended = True
        frame = _encode({"type": "room_closed", "code": self.shown, "reason": reason})
        followers = list(self.followers.values())
        self.followers.clear()
        self.stop()
        for send, ended in followers:
            ended()
            send(frame)

    # Messages ---------------------------------------------------------------
    async def _receive(self) -> None:
        while True:
            message = await self.layer.receive(self.channel)
            self.heard_at = asyncio.get_running_loop().time()
            try:
                self._handle(message)
            except Exception:  # one bad message must not end the room for the process
                logger.exception("a room message could not be handled")

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "room.items":
            fresh, gap = self.cursor.take(message["epoch"], message["items"])
            self._pass_on(fresh)
            if gap and message["items"] and message["items"][-1]["kind"] == "closed":
                # Nothing missed matters once the room is over, and nobody is left to ask.
                self._end(message["items"][-1]["reason"])
            elif gap:
                self._ask_replay()
        elif kind == "room.tick":
            if self.cursor.behind(message["epoch"], message["seq"]):
                self._ask_replay()
        elif kind == "room.replayed":
            if "items" in message:
                fresh, gap = self.cursor.take(message["epoch"], message["items"])
                self._pass_on(fresh)
            elif self.cursor.reset(message["epoch"], message["seq"]):
                self._pass_on([{"seq": message["seq"], "kind": "state", **message["state"]}])
                gap = False
            else:
                return  # a snapshot of a numbering left behind
            if not gap and self.resync is not None:
                self.resync.cancel()
                self.resync = None

    def _pass_on(self, items: list[Item]) -> None:
        if not items:
            return
        if items[0]["seq"] == 1 or items[0]["kind"] == "state":
            self.items = []  # a new numbering
        self.items += items
        del self.items[: -settings.ROOM_LOG_ITEMS]
        for item in items:  # what a guess needs to know
            if item["kind"] == "state":
                self.round, self.asking = item["round"], item["asking"]
            elif item["kind"] == "asking":
                self.round, self.asking = item["round"], True
            elif item["kind"] == "answered":
                self.asking = False
        frame = _encode({"type": "room", "code": self.shown, "items": items})
        for send, _ in list(self.followers.values()):
            send(frame)
        if items[-1]["kind"] == "closed":
            self._end(items[-1]["reason"])

    # Missed items -----------------------------------------------------------
    def _ask_replay(self) -> None:
        """Ask the teacher's socket for what this process lacks, again until it comes."""
        if self.resync is None or self.resync.done():
            self.resync = asyncio.create_task(self._resync())

    async def _resync(self) -> None:
        while True:
            try:
                await self.layer.group_send(
                    teacher_group(self.room_id),
                    {"type": "room.replay", "epoch": self.cursor.epoch,
                     "after": self.cursor.seq, "reply_to": self.channel},
                )  # fmt: skip
            except LAYER_ERRORS:
                logger.debug("could not ask for missed room items", exc_info=True)
            await asyncio.sleep(settings.ROOM_RESYNC_SECONDS)

    async def _watch(self) -> None:
        """End a room whose teacher's socket went quiet once it is closed or idle."""
        quiet = 3 * settings.ROOM_TICK_SECONDS
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(quiet)
            if loop.time() - self.heard_at < quiet:
                continue
            await aclose_old_connections()
            status = await selectors.room_status_now(room_id=self.room_id)
            if status == "open":
                if self.resync is not None and not self.resync.done():
                    # Nobody answers: the teacher's page is away; stop asking until it is back.
                    self.resync.cancel()
                continue
            if status == "expired":
                await services.room_close(room_id=self.room_id, reason="idle")
            self._end("idle" if status == "expired" else "closed")
            return


_hubs: dict[int, RoomHub] = {}
_leaving: set[asyncio.Future[None]] = set()  # kept until done, so none is collected early


async def hub_for(room_id: int, code: str, round_no: int, asking: bool) -> RoomHub:
    """This process's hub of the room, started on first use."""
    hub = _hubs.get(room_id)
    if hub is not None and not hub.ended and hub.loop is asyncio.get_running_loop():
        return hub
    hub = _hubs[room_id] = RoomHub(room_id, code, round_no, asking)
    try:
        await hub.start()
    except BaseException:
        hub.stop()
        raise
    return hub
