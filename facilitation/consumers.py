"""Websockets of the live session: participants' phones, the facilitator's control room and
the projector.

Guarantees (../shared/REALTIME.md): a full snapshot on every connect; every message is
authorised afresh (services re-read the participant and the session); bad input gets an error
frame and the socket stays open; no exception escapes (it would close with 1011); only a
deliberate end closes, with a 4xxx code the client does not reconnect after.
"""

import asyncio
import json
import logging
import math
from typing import Any, ClassVar

from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.utils import translation
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from agreements.services import consent_submit, owner_link_seen
from facilitation import broadcast, fanout, services
from facilitation.access import (
    facilitator_live_for_user,
    participant_for_session,
)
from facilitation.fanout import in_thread
from facilitation.models import LiveSession, Participant

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 4096
CLOSE_NOT_ALLOWED = 4001
# "Try again": the database or Redis failed for a moment. Not 4xxx, so the phone reconnects
# with backoff and resends what it has not seen acknowledged (autobahn allows only 1000 and
# 3000-4999 for a server's close).
CLOSE_RETRY = 3503
# A newer socket of the same person took this one's place (a second tab): 4xxx, so this tab
# does not reconnect and take it back.
CLOSE_ELSEWHERE = 4009
# A heartbeat that finds the screen behind waits this long for the coalesced broadcast.
CATCH_UP_GRACE = 2.0
RETRYABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError, OSError)
# Ids travel as numbers or as the digits of an HTML attribute; a database id fits in 63 bits.
MAX_ID = 2**63 - 1


class BadFrame(Exception):
    """A frame whose fields have the wrong type: answered «Mensaje no válido», never stored."""


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON a phone sends")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999
        raise ValueError("a number out of range")
    return number


def parse_frame(text: str) -> dict[str, Any]:
    """A frame as a dict of JSON values with no NaN or Infinity and only strings UTF-8 can
    hold (a lone surrogate, written as an escape, would fail deep in the database driver);
    anything else raises BadFrame."""
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        json.dumps(data, ensure_ascii=False).encode()
    except (ValueError, RecursionError, UnicodeEncodeError):
        raise BadFrame from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise BadFrame
    return data


def _key_of(data: object, text: str) -> str | None:
    """The key of a refused frame, read leniently (NaN and Infinity allowed) when it did not
    parse strictly; None when there is no string key UTF-8 can hold."""
    if not isinstance(data, dict):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
    key = data.get("key") if isinstance(data, dict) else None
    if not isinstance(key, str) or not key:
        return None
    try:
        key.encode()
    except UnicodeEncodeError:
        return None
    return key[:100]


def text_field(data: dict[str, Any], name: str, limit: int | None = None) -> str:
    """A text field: a string or absent; a list, a number or an object is refused (a list
    used to be stored as its Python spelling)."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadFrame
    return value[:limit] if limit else value


def flag_field(data: dict[str, Any], name: str) -> bool:
    """A yes/no: true, false or absent (false); anything else is refused."""
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise BadFrame
    return value


def id_field(data: dict[str, Any], name: str) -> int:
    """A whole number: an int, or the digits of an HTML attribute (what FormData sends); 0
    when absent or empty, which the services refuse in words of their own. A fraction (an
    intensity of 3.7 used to be stored as 3), a boolean or anything else is refused."""
    value = data.get(name)
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    raise BadFrame


class LiveConsumer(AsyncWebsocketConsumer):
    audience = ""
    live: LiveSession | None = None
    participant: Participant | None = None
    groups_joined: list[str]
    seq_sent: int | None = None
    closing = False
    # The socket is gone or closing: sending on it is a normal event, not an error.
    socket_closed = False
    catching_up: asyncio.Future[None] | None = None
    # Each person's open sockets in this process, oldest first (see register()).
    sockets_of: ClassVar[dict[tuple[str, int], list["LiveConsumer"]]] = {}

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Layer events only forward pre-rendered text: skip the per-message thread hop that
        # AsyncConsumer.dispatch makes to close old DB connections (database_sync_to_async
        # does that itself around every query this consumer makes).
        if message["type"].startswith("live."):
            handler = getattr(self, message["type"].replace(".", "_"))
            await handler(message)
            return
        await super().dispatch(message)

    async def connect(self) -> None:
        self.groups_joined = []
        await self.accept()
        try:
            allowed = await self.authorise()
            if allowed:
                # The audience's group through this process's hub (one layer message per
                # process per broadcast); personal groups on this socket's own channel.
                await fanout.hub.join(self.audience_group(), self)
                for group in self.personal_groups():
                    await self.channel_layer.group_add(group, self.channel_name)
                    self.groups_joined.append(group)
                await self.register()
                await self.send_snapshot()
        except Exception:
            # The database or Redis is down: not a refusal (4001 would end the phone for
            # good), a close the client retries after.
            logger.warning("live connect failed; the client will retry", exc_info=True)
            await self.close(code=CLOSE_RETRY)
            return
        if not allowed:
            await self.close(code=CLOSE_NOT_ALLOWED)

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """A frame goes unless the socket is closed or closing: a broadcast that meets a phone
        just removed, or a room just ended, used to log a traceback per socket
        ("Disconnected: Attempt to send on a closed protocol")."""
        if self.socket_closed:
            return
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except Disconnected:
            self.socket_closed = True
        if close:
            self.socket_closed = True

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if self.socket_closed:
            return
        self.socket_closed = True
        try:
            await super().close(code=code, reason=reason)
        except Disconnected:
            pass

    def person(self) -> tuple[str, int]:
        raise NotImplementedError

    def max_sockets(self) -> int:
        raise NotImplementedError

    async def register(self) -> None:
        """Counted among its person's sockets; beyond the cap (one phone's cookie opened 300)
        the oldest is closed. Closing the oldest, not refusing the newest: a phone back on
        the Wi-Fi opens a new socket before the server notices its old one is dead."""
        sockets = LiveConsumer.sockets_of.setdefault(self.person(), [])
        sockets.append(self)
        while len(sockets) > self.max_sockets():
            oldest = sockets.pop(0)
            oldest.closing = True
            await oldest.close(code=CLOSE_ELSEWHERE)

    def unregister(self) -> None:
        if self.live is None:
            return
        try:
            person = self.person()
        except (AssertionError, AttributeError):
            return
        sockets = LiveConsumer.sockets_of.get(person, [])
        if self in sockets:
            sockets.remove(self)
        if not sockets:
            LiveConsumer.sockets_of.pop(person, None)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        self.socket_closed = True
        self.unregister()
        if self.catching_up is not None:
            self.catching_up.cancel()
        if self.live is not None:
            try:
                await fanout.hub.leave(self.audience_group(), self)
            except Exception:  # the layer is down; group_expiry cleans up
                logger.warning("hub leave failed for %s", self.audience_group())
        for group in getattr(self, "groups_joined", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is down; group_expiry cleans up
                logger.warning("group_discard failed for %s", group)

    async def authorise(self) -> bool:
        raise NotImplementedError

    def audience_group(self) -> str:
        assert self.live is not None
        return broadcast.group_name(self.live.pk, self.audience)

    def personal_groups(self) -> list[str]:
        return []

    async def send_snapshot(self) -> None:
        frames = await in_thread(self.snapshot)()
        for text in frames:
            await self.send(text_data=text)
        self.seq_sent = json.loads(frames[0]).get("seq")

    def snapshot(self) -> list[str]:
        """The snapshot's frames; runs in a worker thread (in_thread), all of it in one hop."""
        return broadcast.snapshot_frames(self.live, self.audience, self.participant)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        data: object = None
        try:
            if bytes_data is not None or text_data is None:
                await self.send_error(_("Mensaje no válido."))
                return
            if len(text_data.encode()) > MAX_FRAME_BYTES:
                await self.send_error(_("El mensaje es demasiado largo."))
                return
            try:
                data = parse_frame(text_data)
                with translation.override(self.language()):
                    await self.handle(data)
            except BadFrame:
                # The refusal names the message's key when it has a usable one, so a phone
                # drops it from its outbox instead of resending it after every reconnect.
                await self.send_error(_("Mensaje no válido."), _key_of(data, text_data))
                return
        except Exception as error:
            if isinstance(error, RETRYABLE) and isinstance(data, dict) and data.get("key"):
                # A write that failed for a moment is not acknowledged; the client resends
                # what is unacknowledged only after reconnecting, so close with a retry code.
                logger.warning("live write failed, asking the client to retry: %r", error)
                await self.close(code=CLOSE_RETRY)
                return
            if isinstance(error, RETRYABLE):
                # A heartbeat's catch-up or a snapshot request met the database or Redis
                # down: nothing the participant did or can fix; the next heartbeat tries
                # again (an error here showed "No pudimos procesar eso" on every phone).
                logger.warning("live heartbeat failed; the next one retries: %r", error)
                return
            # Never let an exception close the socket (1011 would leave a phone offline).
            logger.exception("live message failed")
            await self.send_error(_("No pudimos procesar eso. Inténtalo de nuevo."))

    def language(self) -> str:
        return self.scope.get("session", {}).get("_language") or "es"

    async def handle(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "ping":
            sent_at = data.get("t")  # echoed: only a number (a phone's clock)
            if not isinstance(sent_at, (int, float)) or isinstance(sent_at, bool):
                sent_at = None
            await self.send(text_data=broadcast.frame(pong=sent_at))
            await self.heartbeat()
            if self.closing:  # the heartbeat found the socket no longer allowed
                return
            await self.catch_up()
        elif kind == "snapshot":
            await self.send_snapshot()
        else:
            await self.send_error(_("Mensaje no válido."))

    async def heartbeat(self) -> None:
        return None

    async def catch_up(self) -> None:
        """On every heartbeat: join the personal groups again (a restarted Redis forgot them
        while this socket stayed open; the hub does the same for the audience's group) and
        send a snapshot if a broadcast never arrived (the layer delivers at most once), so a
        screen converges within one heartbeat. A change may simply be on its way (broadcasts
        are coalesced): the snapshot goes only if it is still missing CATCH_UP_GRACE later,
        so a busy room's heartbeats do not turn into a render each."""
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        assert self.live is not None
        seq = await in_thread(broadcast.current_seq)(self.live.pk, self.audience)
        if self.seq_sent is not None and seq is not None and seq > self.seq_sent:
            if self.catching_up is None or self.catching_up.done():
                self.catching_up = asyncio.ensure_future(self.snapshot_if_behind(seq))

    async def snapshot_if_behind(self, seq: int) -> None:
        try:
            await asyncio.sleep(CATCH_UP_GRACE)
            if not self.closing and self.seq_sent is not None and self.seq_sent < seq:
                await self.send_snapshot()
        except Exception:  # the next heartbeat tries again
            logger.warning("catch-up snapshot failed", exc_info=True)

    async def send_error(self, message: str, key: str | None = None) -> None:
        if key:
            await self.send(text_data=broadcast.frame(ack=key, ok=False, error=message))
        else:
            await self.send(text_data=broadcast.frame(error=message))

    async def live_frame(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])
        seq = event.get("seq")
        if seq is not None and (self.seq_sent is None or seq > self.seq_sent):
            self.seq_sent = seq

    async def live_end(self, event: dict[str, Any]) -> None:
        if self.closing:
            return
        self.closing = True
        await self.send(text_data=broadcast.frame(end=event["code"]))
        await self.close(code=event["code"])


class ParticipantConsumer(LiveConsumer):
    audience = "participants"

    async def authorise(self) -> bool:
        token = self.scope["url_route"]["kwargs"]["token"]
        found = await in_thread(participant_for_session)(token, self.scope.get("session"))
        if found is None:
            return False
        self.live, self.participant = found
        return True

    def personal_groups(self) -> list[str]:
        assert self.participant is not None
        return [broadcast.participant_group(self.participant.pk)]

    def person(self) -> tuple[str, int]:
        assert self.participant is not None
        return ("participant", self.participant.pk)

    def max_sockets(self) -> int:
        return settings.WS_MAX_SOCKETS_PER_PARTICIPANT

    def snapshot(self) -> list[str]:
        # Connecting is a sign of life: presence counts the phone from now on. Written in the
        # snapshot's own thread hop: each hop is a new thread's database connection, and a
        # room joining makes a hundred of these at once.
        assert self.participant is not None
        services.participant_seen(participant=self.participant)
        return super().snapshot()

    async def heartbeat(self) -> None:
        assert self.participant is not None
        await in_thread(services.participant_seen)(participant=self.participant)

    async def handle(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind in {"ping", "snapshot"}:
            await super().handle(data)
            return
        key = text_field(data, "key", 100)
        try:
            if kind == "contribute":
                await in_thread(services.contribution_submit)(
                    participant=self.participant,
                    key=key,
                    text=text_field(data, "text"),
                    block_id=id_field(data, "block"),
                )
            elif kind == "dot":
                target = data.get("target") or data.get("contribution")
                if not isinstance(target, (str, int)) or isinstance(target, bool):
                    raise BadFrame
                card_id, theme_id = services.parse_target(target)
                if text_field(data, "action") == "remove":
                    await in_thread(services.dot_remove)(
                        participant=self.participant, contribution_id=card_id, theme_id=theme_id
                    )
                else:
                    await in_thread(services.dot_place)(
                        participant=self.participant,
                        key=key,
                        contribution_id=card_id,
                        theme_id=theme_id,
                    )
            elif kind == "emotion":
                await in_thread(services.emotion_submit)(
                    participant=self.participant,
                    moment=text_field(data, "moment"),
                    emotion=text_field(data, "emotion"),
                    intensity=id_field(data, "intensity"),
                    word=text_field(data, "word", 200),
                )
            elif kind == "commitment":
                await in_thread(services.commitment_answer)(
                    participant=self.participant,
                    key=key,
                    choice=text_field(data, "choice"),
                    note=text_field(data, "note", 2000),
                )
            elif kind == "diagnosis":
                answers = data.get("answers")
                if answers is not None and not isinstance(answers, dict):
                    raise BadFrame
                await in_thread(services.diagnosis_submit)(
                    participant=self.participant, key=key, answers=answers or {}
                )
            elif kind == "ground_rule":
                await in_thread(services.ground_rule_propose)(
                    participant=self.participant, key=key, text=text_field(data, "text")
                )
            elif kind == "link_seen":
                # Only this participant's own owner rows can be marked.
                await in_thread(owner_link_seen)(
                    participant=self.participant,
                    agreement_id=id_field(data, "agreement"),
                    token=text_field(data, "token", 200),
                )
            elif kind == "consent":
                # The participant is the socket's own: a message cannot name another one.
                await in_thread(consent_submit)(
                    participant=self.participant,
                    agreement_id=id_field(data, "agreement"),
                    version=id_field(data, "version"),
                    choice=text_field(data, "choice"),
                    reason=text_field(data, "reason"),
                    signed=flag_field(data, "signed"),
                )
            else:
                await self.send_error(_("Mensaje no válido."), key or None)
                return
        except ValidationError as error:
            await self.send_error(error.messages[0], key or None)
            terminal = {"removed": broadcast.CLOSE_REMOVED, "ended": broadcast.CLOSE_ENDED}
            if error.code in terminal:
                await self.send(text_data=broadcast.frame(end=terminal[error.code]))
                await self.close(code=terminal[error.code])
            return
        if key:
            await self.send(text_data=broadcast.frame(ack=key, ok=True))


class FacilitatorConsumer(LiveConsumer):
    audience = "facilitator"

    async def authorise(self) -> bool:
        live_id = self.scope["url_route"]["kwargs"]["live_id"]
        self.live = await in_thread(facilitator_live_for_user)(self.scope.get("user"), live_id)
        return self.live is not None

    def person(self) -> tuple[str, int]:
        return ("user", self.scope["user"].pk)

    def max_sockets(self) -> int:
        return settings.WS_MAX_SOCKETS_PER_USER

    async def heartbeat(self) -> None:
        """A facilitator deactivated (or removed from the organisation) while the control room
        is open loses it at the next heartbeat, not only at the next connect."""
        assert self.live is not None
        still = await in_thread(facilitator_live_for_user)(self.scope.get("user"), self.live.pk)
        if still is None:
            self.closing = True
            await self.close(code=CLOSE_NOT_ALLOWED)


class ProjectorConsumer(FacilitatorConsumer):
    audience = "projector"
