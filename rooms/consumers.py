"""The demo socket with rooms: the teacher's side and the followers' side.

One socket does both jobs of a page (live.consumers.DemoConsumer runs the
demos); this subclass adds the room frames (rooms.protocol). A teacher's
socket publishes every event of its own runs, and the teacher's actions, to
the room's group as numbered items (rooms.state.RoomLog), batched: whatever
piles up while one group message is on its way goes in the next. Each
process subscribes once to a room for all its followers' sockets
(rooms.hub.RoomHub): it passes the items on in order (rooms.state.Cursor);
at a gap, or when the teacher's tick names an item it lacks, it asks the
teacher's socket for the missing ones, through the teacher's group, and asks
again until they come. channels-redis may drop a message to a full queue:
nothing is lost for that.

Groups: ``room-<id>`` (one channel per process with followers) and
``room-<id>-teacher`` (the teacher's socket: guesses and requests for missed
items), made from the room's id.
"""

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from channels.db import aclose_old_connections
from channels.exceptions import ChannelFull
from django.conf import settings

from demos.reporting import Event
from lessons import selectors as lesson_selectors
from live.channel_layer import LAYER_ERRORS
from live.consumers import DemoConsumer
from live.protocol import ProtocolError
from rooms import codes, runtime, selectors, services
from rooms.hub import RoomHub, followers_group, hub_for, teacher_group
from rooms.models import Room
from rooms.protocol import MAX_GUESSES_PER_ROUND, RoomRequest, parse_room_frame
from rooms.state import RoomLog, histogram

logger = logging.getLogger(__name__)


@dataclass
class Teaching:
    room_id: int
    code: str
    log: RoomLog
    section: str = ""
    round: int = 0
    asking: bool = False
    question: str = ""
    # A round's measured time comes from the first run to finish after the call.
    measured: float | None = None
    guesses: dict[str, float] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    publisher: asyncio.Task[None] | None = None
    ticker: asyncio.Task[None] | None = None
    runs: set[str] = field(default_factory=set)  # ids of runs started while teaching


@dataclass
class Following:
    hub: RoomHub
    code: str
    teacher: str
    guess_round: int = 0  # the round of the guesses counted
    guesses: int = 0


class RoomDemoConsumer(DemoConsumer):
    teaching: Teaching | None = None
    following: Following | None = None

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        await self._stop_teaching()
        await self._stop_following()

    async def stop_for_restart(self, reason: str) -> None:
        # No disconnect may follow before the process exits: leave the room's
        # groups now. The room stays open; the pages resume or join it again.
        await self._stop_teaching()
        await self._stop_following()
        await super().stop_for_restart(reason)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            request = parse_room_frame(text_data)
        except ProtocolError as error:
            self.send_event(error.as_message())
            return
        if request is None:
            await super().receive(text_data, bytes_data)
            return
        try:
            await self._room_request(request)
        except ProtocolError as error:
            self.send_event(error.as_message())
        except LAYER_ERRORS:
            logger.warning("a room request failed: Redis is unreachable")
            self.send_event(
                ProtocolError(
                    "unavailable", "rooms are paused: the server cannot reach its shared state"
                ).as_message()
            )

    def send_event(self, event: Event | str) -> None:
        super().send_event(event)
        teaching = self.teaching
        # A str is a frame already encoded (a room's, for a follower): never a run's.
        if teaching is None or isinstance(event, str) or "id" not in event:
            return
        # Every event of a run started while teaching, whatever the run id.
        run_id = event["id"]
        if event.get("type") == "accepted":
            teaching.runs.add(run_id)
            self._touch()
        elif run_id not in teaching.runs:
            return
        self._publish({"kind": "run", "event": dict(event)})
        if event.get("type") in ("finished", "error"):
            teaching.runs.discard(run_id)
            if event.get("status") == "ok" and teaching.asking and teaching.round:
                self._measured(float(event.get("elapsed", 0.0)))

    async def _room_request(self, request: RoomRequest) -> None:
        handler = {
            "open": self._open,
            "join": self._join,
            "leave": self._leave,
            "section": self._section,
            "ask": self._ask,
            "unask": self._unask,
            "guess": self._guess,
            "close": self._close,
        }[request.action]
        # Every room frame may touch the database (live.connection_checks).
        await aclose_old_connections()
        await handler(request)

    # The teacher's side --------------------------------------------------------
    async def _open(self, request: RoomRequest) -> None:
        user = await self._staff_now()
        if user is None:
            raise ProtocolError("not_staff", "only staff can open a room")
        if not await lesson_selectors.lesson_is_visible(lesson_id=request.lesson, is_staff=True):
            raise ProtocolError("unknown_lesson", f"there is no lesson {request.lesson}")
        # An expired room is closed here, so opening never hands back one about to end.
        found = await selectors.teacher_room(teacher_id=user.pk, lesson_id=request.lesson)
        if request.resume:
            if found is None:
                self.send_event({"type": "room_none"})
                return
            room = found
        else:
            room, _ = await services.room_open(teacher_id=user.pk, lesson_id=request.lesson)
        await self._stop_following()
        if self.teaching is None or self.teaching.room_id != room.pk:
            await self._stop_teaching()
            await self._teach(room)
        shown = codes.shown(room.code)
        self.send_event(
            {"type": "room_opened", "code": shown, "url": f"/rooms/{shown}/",
             "section": room.section, "round": room.round, "asking": room.asking,
             "question": room.question}
        )  # fmt: skip
        if room.round:
            self._send_histogram()

    async def _teach(self, room: Room) -> None:
        teaching = Teaching(
            room_id=room.pk,
            code=room.code,
            log=RoomLog(epoch=secrets.token_hex(6), size=settings.ROOM_LOG_ITEMS),
            section=room.section,
            round=room.round,
            asking=room.asking,
            question=room.question,
        )
        if room.round:
            teaching.guesses = await services.round_guesses(room_id=room.pk, round_no=room.round)
        self.teaching = teaching
        # One teacher's page at a time: another tab or device that had the
        # room stops publishing (two numberings would only confuse followers).
        await self.channel_layer.group_send(
            teacher_group(room.pk), {"type": "room.taken", "by": self.channel_name}
        )
        await self.channel_layer.group_add(teacher_group(room.pk), self.channel_name)
        # A new numbering starts with the room as it is, so followers that join
        # or come back mid-way know where things stand.
        self._publish(
            {"kind": "state", "section": room.section, "round": room.round,
             "asking": room.asking, "question": room.question}
        )  # fmt: skip
        teaching.ticker = asyncio.create_task(self._tick(teaching))

    async def _stop_teaching(self) -> None:
        teaching, self.teaching = self.teaching, None
        if teaching is None:
            return
        if teaching.ticker is not None:
            teaching.ticker.cancel()
        if teaching.publisher is not None:
            await asyncio.wait([teaching.publisher])
        try:
            await self.channel_layer.group_discard(
                teacher_group(teaching.room_id), self.channel_name
            )
        except LAYER_ERRORS:
            logger.debug("could not leave a teacher group", exc_info=True)

    async def _staff_now(self):
        session = self.scope.get("session")
        return await selectors.staff_user_now(session_key=session and session.session_key)

    async def _teacher(self) -> Teaching:
        """The room this socket teaches, if its session is still staff's.

        Checked again at every action, not only at ``room_open``: a teacher
        demoted or logged out meanwhile loses the room on this socket at once.
        Two small reads (the session, the user; about 0.5 ms on SQLite) for
        an action a person clicks. The room stays open for a staff page to
        resume; left alone, it ends when idle.
        """
        if self.teaching is None:
            raise ProtocolError("not_teaching", "open a room first")
        if await self._staff_now() is None:
            await self._stop_teaching()
            raise ProtocolError("not_staff", "only staff can lead a room")
        return self.teaching

    async def _section(self, request: RoomRequest) -> None:
        teaching = await self._teacher()
        teaching.section = request.section
        await services.room_touch(room_id=teaching.room_id, section=request.section)
        self._publish({"kind": "section", "section": request.section})
        self.send_event({"type": "room_section", "section": request.section})

    async def _ask(self, request: RoomRequest) -> None:
        teaching = await self._teacher()
        teaching.round += 1
        teaching.asking, teaching.question = True, request.question
        teaching.guesses, teaching.measured = {}, None
        await services.room_touch(
            room_id=teaching.room_id, round=teaching.round, asking=True, question=request.question
        )
        self._publish({"kind": "asking", "round": teaching.round, "question": request.question})
        self._send_histogram()

    async def _unask(self, request: RoomRequest) -> None:
        teaching = await self._teacher()
        teaching.asking = False
        await services.room_touch(room_id=teaching.room_id, asking=False)
        self._publish({"kind": "answered", "round": teaching.round, "measured": None})
        self._send_histogram()

    def _measured(self, elapsed: float) -> None:
        teaching = self.teaching
        assert teaching is not None
        # The finished run's own elapsed, unrounded: pages write it with the same
        # formatter as the run's widget, so both show one figure (format.js).
        teaching.asking, teaching.measured = False, elapsed
        self._publish({"kind": "answered", "round": teaching.round, "measured": teaching.measured})
        self._send_histogram()
        self._track(asyncio.ensure_future(self._store_answered(teaching.room_id)))

    async def _store_answered(self, room_id: int) -> None:
        await services.room_touch(room_id=room_id, asking=False)

    async def _close(self, request: RoomRequest) -> None:
        teaching = await self._teacher()
        await services.room_close(room_id=teaching.room_id, reason="closed by the teacher")
        await self._end_room(teaching, "closed by the teacher")

    async def _end_room(self, teaching: Teaching, reason: str) -> None:
        if self.teaching is not teaching:
            return  # ended already
        self._publish({"kind": "closed", "reason": reason})
        await self._stop_teaching()
        self.send_event(
            {"type": "room_closed", "code": codes.shown(teaching.code), "reason": reason}
        )

    def _send_histogram(self) -> None:
        teaching = self.teaching
        if teaching is None:
            raise ProtocolError("not_teaching", "open a room first")
        self.send_event(
            {"type": "room_histogram", "round": teaching.round, "asking": teaching.asking,
             "question": teaching.question,
             "histogram": histogram(list(teaching.guesses.values()), measured=teaching.measured)}
        )  # fmt: skip

    def _touch(self) -> None:
        teaching = self.teaching
        if teaching is not None:
            self._track(asyncio.ensure_future(services.room_touch(room_id=teaching.room_id)))

    def _publish(self, item: dict[str, Any]) -> None:
        teaching = self.teaching
        assert teaching is not None
        teaching.pending.append(teaching.log.add(item))
        if teaching.publisher is None:
            teaching.publisher = asyncio.create_task(self._publish_pending(teaching))

    async def _publish_pending(self, teaching: Teaching) -> None:
        # One group message at a time, in order; what piles up meanwhile is the next batch.
        try:
            while teaching.pending:
                batch, teaching.pending = teaching.pending, []
                try:
                    await self.channel_layer.group_send(
                        followers_group(teaching.room_id),
                        {"type": "room.items", "epoch": teaching.log.epoch, "items": batch},
                    )
                except LAYER_ERRORS:  # followers ask for these again once Redis is back
                    logger.warning("could not publish to room %s", teaching.room_id)
        finally:
            teaching.publisher = None

    async def _tick(self, teaching: Teaching) -> None:
        """Say the latest item's number now and then, and end the room once it is idle."""
        while True:
            await asyncio.sleep(settings.ROOM_TICK_SECONDS)
            try:
                await aclose_old_connections()
                status = await selectors.room_status_now(room_id=teaching.room_id)
                if status != "open":
                    reason = "idle" if status == "expired" else "closed"
                    await services.room_close(room_id=teaching.room_id, reason=reason)
                    # Not awaited here: ending the room stops this very task.
                    self._track(asyncio.ensure_future(self._end_room(teaching, reason)))
                    return
                await self.channel_layer.group_send(
                    followers_group(teaching.room_id),
                    {"type": "room.tick", "epoch": teaching.log.epoch, "seq": teaching.log.seq},
                )
            except LAYER_ERRORS:
                logger.debug("could not tick room %s", teaching.room_id, exc_info=True)

    async def room_taken(self, message: dict[str, Any]) -> None:
        teaching = self.teaching
        if teaching is None or message["by"] == self.channel_name:
            return
        await self._stop_teaching()
        self.send_event({"type": "room_moved", "code": codes.shown(teaching.code)})

    async def room_guess(self, message: dict[str, Any]) -> None:
        teaching = self.teaching
        if teaching is None or message["round"] != teaching.round or not teaching.asking:
            return
        teaching.guesses[message["voter"]] = message["seconds"]
        self._send_histogram()

    async def room_replay(self, message: dict[str, Any]) -> None:
        """A follower missed items: send it what it lacks, or the room as it is now."""
        teaching = self.teaching
        if teaching is None:
            return
        log = teaching.log
        reply: dict[str, Any] = {"type": "room.replayed", "epoch": log.epoch}
        items = log.since(message["after"]) if message["epoch"] == log.epoch else None
        if items is None:
            items = log.since(0)  # the whole of this numbering, from its state item
        if items is not None:
            reply["items"] = items
        else:
            reply["seq"] = log.seq
            reply["state"] = {"section": teaching.section, "round": teaching.round,
                              "asking": teaching.asking, "question": teaching.question}  # fmt: skip
        try:
            await self.channel_layer.send(message["reply_to"], reply)
        except (*LAYER_ERRORS, ChannelFull):  # the follower asks again
            logger.debug("could not replay to a follower", exc_info=True)

    # The followers' side -------------------------------------------------------
    async def _join(self, request: RoomRequest) -> None:
        wait = await runtime.join_limiter().admit(f"join:{self.client_key}")
        if wait:
            raise ProtocolError(
                "rate_limited", f"too many room codes tried; try again in {max(1, round(wait))} s"
            )
        found = await selectors.room_by_code(code=request.code)
        shown = codes.shown(request.code)
        if found.status == "unknown":
            raise ProtocolError("unknown_room", f"there is no room {shown}; check the code")
        if found.status != "open":
            raise ProtocolError("room_closed", f"room {shown} has ended; ask for the new code")
        room = found.room
        assert room is not None
        if self.teaching is not None:
            raise ProtocolError("bad_message", "a teacher's page cannot follow a room")
        await self._stop_following()
        hub = await hub_for(room.pk, room.code, room.round, room.asking)
        self.following = Following(hub=hub, code=room.code, teacher=found.teacher)
        self.send_event(
            {"type": "room_joined", "code": shown, "teacher": found.teacher,
             "lesson_url": found.lesson_url, "section": room.section, "round": room.round,
             "asking": room.asking, "question": room.question}
        )  # fmt: skip
        # Caught up at once with what this process's followers were given so far.
        hub.add(self, self.send_event, self._room_ended)

    def _room_ended(self) -> None:
        self.following = None  # the hub sends room_closed next

    async def _leave(self, request: RoomRequest) -> None:
        if self.following is None:
            raise ProtocolError("not_following", "this page follows no room")
        code = self.following.code
        await self._stop_following()
        self.send_event({"type": "room_left", "code": codes.shown(code)})

    async def _stop_following(self) -> None:
        following, self.following = self.following, None
        if following is not None and (leaving := following.hub.remove(self)) is not None:
            await leaving

    async def _guess(self, request: RoomRequest) -> None:
        following = self.following
        if following is None:
            raise ProtocolError("not_following", "join a room to guess")
        hub = following.hub
        if not hub.asking:
            raise ProtocolError("not_asking", "the teacher is not asking for guesses now")
        round_no = hub.round
        if following.guess_round != round_no:
            following.guess_round, following.guesses = round_no, 0
        if following.guesses >= MAX_GUESSES_PER_ROUND:
            raise ProtocolError(
                "too_many_guesses",
                f"at most {MAX_GUESSES_PER_ROUND} guesses a round; your last one counts",
            )
        following.guesses += 1
        await services.guess_record(
            room_id=hub.room_id, round_no=round_no, voter=self.channel_name,
            seconds=request.seconds,
        )  # fmt: skip
        await self.channel_layer.group_send(
            teacher_group(hub.room_id),
            {"type": "room.guess", "round": round_no, "voter": self.channel_name,
             "seconds": request.seconds},
        )  # fmt: skip
        self.send_event({"type": "room_guessed", "round": round_no, "seconds": request.seconds})
