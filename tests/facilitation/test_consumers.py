"""The websocket layer: snapshots, acknowledgements, idempotency, bad input, authorisation."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from facilitation import services
from facilitation.models import Contribution
from tests.facilitation.conftest import goto, phone_client

pytestmark = pytest.mark.django_db(transaction=True)


def communicator(path: str, client=None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if client is not None:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def receive_json(comm, timeout=3):
    return json.loads(await comm.receive_from(timeout=timeout))


async def connect_phone(participant):
    client = await database_sync_to_async(phone_client)(participant)
    live = await database_sync_to_async(lambda: participant.live)()
    comm = communicator(f"/ws/en-vivo/{live.qr_token}/", client)
    connected, _ = await comm.connect()
    assert connected
    stage = await receive_json(comm)
    me = await receive_json(comm)
    return comm, stage, me


async def test_phone_gets_a_snapshot_on_connect(people):
    comm, stage, me = await connect_phone(people["ventas"])
    assert 'id="stage"' in stage["html"]
    assert "seq" in stage
    assert 'id="me"' in me["html"]
    await comm.disconnect()


async def test_contribution_is_acknowledged_broadcast_and_stored_once(live, people):
    await database_sync_to_async(goto)(live, "area_round")
    comm, stage, _ = await connect_phone(people["ventas"])
    block_id = await database_sync_to_async(
        lambda: live.workshop.blocks.get(kind__slug="area_round").pk
    )()
    message = {
        "type": "contribute",
        "key": "nonce.1",
        "text": "<b>Logística</b> nunca avisa",
        "block": block_id,
    }
    await comm.send_json_to(message)
    frames = [await receive_json(comm), await receive_json(comm)]
    acks = [f for f in frames if "ack" in f]
    assert acks == [{"ack": "nonce.1", "ok": True}]
    pushed = next(f for f in frames if "html" in f)
    assert "&lt;b&gt;Logística&lt;/b&gt; nunca avisa" in pushed["html"]
    assert "<b>Logística</b>" not in pushed["html"]
    # The same key again (a resend after reconnecting): acknowledged, not stored twice.
    await comm.send_json_to(message)
    assert await receive_json(comm) == {"ack": "nonce.1", "ok": True}
    count = await database_sync_to_async(Contribution.objects.filter(live=live).count)()
    assert count == 1
    await comm.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        json.dumps({"type": "unknown"}),
        "x" * 10000,
        json.dumps({"type": "contribute", "key": "k", "text": "hola", "block": "abc"}),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(people, frame):
    comm, _, _ = await connect_phone(people["compras"])
    await comm.send_to(text_data=frame)
    reply = await receive_json(comm)
    assert reply.get("error")
    await comm.send_to(bytes_data=b"\x00\x01binary")
    assert (await receive_json(comm)).get("error")
    await comm.send_json_to({"type": "ping", "t": 1})
    assert await receive_json(comm) == {"pong": 1}
    await comm.disconnect()


async def test_a_stranger_without_a_participant_session_is_turned_away(live):
    comm = communicator(f"/ws/en-vivo/{live.qr_token}/")
    connected, _ = await comm.connect()
    assert connected
    closed = await comm.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4001}


async def test_removed_participant_is_told_and_closed_deliberately(live, people, facilitator):
    comm, _, _ = await connect_phone(people["logistica"])
    await database_sync_to_async(services.participant_remove)(
        live=live, participant=people["logistica"], actor=facilitator.user
    )
    frames = []
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4003
            break
        frames.append(json.loads(output["text"]))
    assert {"end": 4003} in frames


async def test_facilitator_socket_needs_a_facilitator_of_the_organisation(live, outsider):
    comm = communicator(f"/ws/sala/{live.pk}/")
    await comm.connect()
    assert (await comm.receive_output(timeout=3))["code"] == 4001


async def test_a_heartbeat_that_meets_redis_down_shows_nothing_and_keeps_the_socket(
    people, monkeypatch
):
    """The catch-up of a heartbeat failing for a moment (Redis restarting) is not the
    participant's doing: no error on the phone, the socket stays, the next heartbeat works."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from facilitation.consumers import ParticipantConsumer

    comm, _, _ = await connect_phone(people["logistica"])
    original = ParticipantConsumer.catch_up
    failing = True

    async def catch_up(self):
        if failing:
            raise RedisConnectionError("Connection closed by server.")
        await original(self)

    monkeypatch.setattr(ParticipantConsumer, "catch_up", catch_up)
    await comm.send_json_to({"type": "ping", "t": 1})
    assert await receive_json(comm) == {"pong": 1}
    assert await comm.receive_nothing(timeout=0.3)
    failing = False
    await comm.send_json_to({"type": "ping", "t": 2})
    assert await receive_json(comm) == {"pong": 2}
    await comm.disconnect()


async def test_an_emotion_with_one_word_is_stored_and_a_sentence_is_refused_on_an_open_socket(
    live, people
):
    from facilitation.models import EmotionCheck

    await database_sync_to_async(goto)(live, "checkin")
    comm, _, _ = await connect_phone(people["ventas"])
    emotion = {"type": "emotion", "moment": "checkin", "emotion": "miedo", "intensity": 4}
    await comm.send_json_to({**emotion, "key": "e.1", "word": "muy muy cansada"})
    reply = await receive_json(comm)
    assert reply["ok"] is False and "una sola palabra" in reply["error"]
    assert not await database_sync_to_async(EmotionCheck.objects.exists)()
    await comm.send_json_to({**emotion, "key": "e.2", "word": "expectante"})
    frames = [await receive_json(comm) for _ in range(2)]
    assert {"ack": "e.2", "ok": True} in frames
    check = await database_sync_to_async(EmotionCheck.objects.get)()
    assert (check.emotion, check.word) == ("miedo", "expectante")
    await comm.send_json_to({"type": "ping", "t": 2})
    assert await receive_json(comm) == {"pong": 2}
    await comm.disconnect()


async def test_ending_the_session_tells_every_control_room_and_projector(live, facilitator):
    from django.test import Client

    def logged_in() -> Client:
        client = Client()
        client.force_login(facilitator.user)
        return client

    client = await database_sync_to_async(logged_in)()
    sockets = []
    for path in (f"/ws/sala/{live.pk}/", f"/ws/proyector/{live.pk}/"):
        comm = communicator(path, client)
        connected, _ = await comm.connect()
        assert connected
        sockets.append(comm)
    for comm in sockets:  # the snapshot each screen gets on connecting
        assert "html" in await receive_json(comm)
    await database_sync_to_async(services.live_close)(live=live)
    for comm in sockets:
        frames = [await receive_json(comm, timeout=5)]
        while "end" not in frames[-1]:
            frames.append(await receive_json(comm, timeout=5))
        assert 4000 <= frames[-1]["end"] < 5000  # a deliberate end: no reconnecting
        await comm.disconnect()


WRONG_TYPES = [
    '{"type": ["ping"]}',
    '{"type": {"a": 1}, "key": "w.0"}',
    '{"type": "emotion", "key": "w.1", "moment": "checkin", "emotion": "miedo", '
    '"intensity": Infinity}',
    '{"type": "emotion", "key": "w.2", "moment": "checkin", "emotion": "miedo", '
    '"intensity": 1e999}',
    '{"type": "emotion", "key": "w.3", "moment": "checkin", "emotion": "miedo", "intensity": 3.7}',
    '{"type": "emotion", "key": "w.4", "moment": "checkin", "emotion": "miedo", "intensity": NaN}',
    '{"type": "emotion", "key": "w.5", "moment": ["checkin"], "emotion": "miedo", "intensity": 4}',
    '{"type": "emotion", "key": "w.6", "moment": "checkin", "emotion": "miedo", "intensity": true}',
    '{"type": "emotion", "key": "w.7\\ud800", "moment": "checkin", "emotion": "miedo", '
    '"intensity": 4}',
    '{"type": "emotion", "key": "w.8", "moment": "checkin", "emotion": "miedo", '
    '"intensity": 4, "word": "hola\\udfff"}',
    '{"type": "contribute", "key": "w.9", "text": ["a", "b"], "block": 1}',
    '{"type": "contribute", "key": "w.10", "text": "hola", "block": 99999999999999999999999}',
    '{"type": "contribute", "key": "w.11", "text": "hola", "block": Infinity}',
    '{"type": "contribute", "key": "w.12", "text": "hola", "block": {"id": 1}}',
    '{"type": "dot", "key": "w.13", "target": ["c1"]}',
    '{"type": "consent", "key": "w.14", "agreement": 1.5, "version": 1, "choice": "si"}',
    '{"type": "diagnosis", "key": "w.15", "answers": [1, 2]}',
    '{"type": "ping", "t": Infinity}',
]


@pytest.mark.parametrize("frame", WRONG_TYPES)
async def test_wrong_types_are_refused_in_spanish_with_no_traceback_and_nothing_stored(
    live, people, frame, caplog
):
    """Issue 12, hole 4: lists, objects, fractions, Infinity, NaN and lone surrogates where a
    field wants a string or a whole number."""
    from facilitation.models import EmotionCheck

    await database_sync_to_async(goto)(live, "checkin")
    comm, _, _ = await connect_phone(people["ventas"])
    with caplog.at_level("WARNING"):
        await comm.send_to(text_data=frame)
        reply = await receive_json(comm)
        assert reply.get("error") == "Mensaje no válido."
        await comm.send_json_to({"type": "ping", "t": 3})
        assert await receive_json(comm) == {"pong": 3}
    assert [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}] == []
    assert not await database_sync_to_async(EmotionCheck.objects.exists)()
    assert not await database_sync_to_async(Contribution.objects.exists)()
    await comm.disconnect()


async def test_ids_as_attribute_digits_and_whole_numbers_still_work(live, people):
    await database_sync_to_async(goto)(live, "checkin")
    comm, _, _ = await connect_phone(people["ventas"])
    emotion = {"type": "emotion", "moment": "checkin", "emotion": "miedo", "key": "n.1"}
    await comm.send_json_to({**emotion, "intensity": "4"})
    frames = [await receive_json(comm) for _ in range(2)]
    assert {"ack": "n.1", "ok": True} in frames
    await comm.disconnect()


async def close_code(comm) -> int:
    """The code the server closed `comm` with (frames sent before the close are skipped)."""
    for _ in range(20):
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return output["code"]
    raise AssertionError("the socket was not closed")


async def test_a_persons_sockets_are_capped_and_the_oldest_is_closed(people, settings):
    """Issue 12, hole 3: one phone's cookie opened 300 sockets. Beyond the cap the oldest
    closes with 4009 (the newest is the tab the person just opened), the others stay."""
    settings.WS_MAX_SOCKETS_PER_PARTICIPANT = 3
    sockets = [(await connect_phone(people["ventas"]))[0] for _ in range(3)]
    fourth, _, _ = await connect_phone(people["ventas"])
    assert await close_code(sockets[0]) == 4009
    for comm in [*sockets[1:], fourth]:
        await comm.send_json_to({"type": "ping", "t": 5})
        assert await receive_json(comm) == {"pong": 5}
    # Another person's sockets are counted apart.
    other, _, _ = await connect_phone(people["compras"])
    await other.send_json_to({"type": "ping", "t": 6})
    assert await receive_json(other) == {"pong": 6}
    for comm in [*sockets[1:], fourth, other]:
        await comm.disconnect()
    # Closed sockets leave the count: three new ones open with no one closed.
    again = [(await connect_phone(people["ventas"]))[0] for _ in range(3)]
    for comm in again:
        assert await comm.receive_nothing(timeout=0.2)
        await comm.disconnect()


async def test_a_staff_users_sockets_are_capped(live, facilitator, settings):
    from django.test import Client

    settings.WS_MAX_SOCKETS_PER_USER = 2
    client = Client()
    await database_sync_to_async(client.force_login)(facilitator.user)
    sockets = []
    for path in (f"/ws/sala/{live.pk}/", f"/ws/proyector/{live.pk}/", f"/ws/sala/{live.pk}/"):
        comm = communicator(path, client)
        connected, _ = await comm.connect()
        assert connected
        await receive_json(comm)
        sockets.append(comm)
    assert await close_code(sockets[0]) == 4009
    for comm in sockets[1:]:
        await comm.disconnect()
