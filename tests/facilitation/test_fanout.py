"""The process-local fan-out and the coalesced broadcasts (facilitation.fanout).

What the live layer promises does not change (every screen ends on what a fresh load shows,
stale frames are ignored); what changes is the cost: one layer message per process per
broadcast, and one render per burst instead of one per change.
"""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db.models import F
from django.test import Client

from facilitation import broadcast, consumers, fanout, services
from facilitation.fanout import hub
from facilitation.models import LiveSession
from tests.facilitation.test_consumers import communicator, connect_phone, receive_json

pytestmark = pytest.mark.django_db(transaction=True)


async def frames_until_quiet(comm, quiet: float = 0.6) -> list[dict]:
    frames = []
    # receive_nothing waits without cancelling the application (a timed-out receive would)
    while not await comm.receive_nothing(timeout=quiet):
        frames.append(json.loads(await comm.receive_from()))
    return frames


async def members_of(group: str) -> list[str]:
    """The channels in a layer group, for the in-memory layer and channels_redis alike."""
    layer = get_channel_layer()
    if hasattr(layer, "groups"):
        return list(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return [c.decode() for c in await connection.zrange(layer._group_key(group), 0, -1)]


async def forget(group: str) -> None:
    """What a Redis restart does to a group (in-memory layer: drop it the same way)."""
    layer = get_channel_layer()
    if hasattr(layer, "groups"):
        layer.groups.pop(group, None)
        return
    await layer.connection(layer.consistent_hash(group)).delete(layer._group_key(group))


async def seq_of(live) -> int:
    return await database_sync_to_async(broadcast.current_seq)(live.pk)


async def test_phones_of_one_process_share_one_layer_membership(live, people):
    phones = [await connect_phone(p) for p in people.values()]
    group = broadcast.group_name(live.pk, "participants")
    # Three sockets, one member of the layer's group: the hub's channel.
    assert await members_of(group) == [hub.channel]
    assert len(hub.members[group]) == 3
    for comm, _, _ in phones:
        await comm.disconnect()
    assert group not in hub.members
    assert await members_of(group) == []


async def test_a_lone_change_reaches_every_phone_once(live, people):
    phones = [await connect_phone(p) for p in people.values()]
    await database_sync_to_async(services.timer_adjust)(live=live, minutes=2)
    seq = await seq_of(live)
    for comm, _, _ in phones:
        frames = await frames_until_quiet(comm)
        stages = [f for f in frames if 'id="stage"' in f.get("html", "")]
        assert [f["seq"] for f in stages] == [seq]
        await comm.disconnect()


async def test_a_burst_is_coalesced_and_ends_on_the_newest_state(live, people):
    comm, stage, _ = await connect_phone(people["compras"])
    before = stage["seq"]

    def burst() -> None:
        for _ in range(30):
            services.timer_adjust(live=live, minutes=1)

    await database_sync_to_async(burst)()
    seq = await seq_of(live)
    assert seq == before + 30
    frames = [f for f in await frames_until_quiet(comm) if "seq" in f]
    numbers = [f["seq"] for f in frames]
    # Far fewer frames than changes, never the same number twice, the last one the newest.
    assert len(numbers) < 30
    assert len(set(numbers)) == len(numbers)
    assert numbers[-1] == seq
    fresh = await database_sync_to_async(broadcast.snapshot_frames)(live, "participants", None)
    assert frames[-1]["html"] == json.loads(fresh[0])["html"]
    await comm.disconnect()


async def test_a_state_already_sent_by_another_process_is_not_sent_again(live, people):
    comm, _, _ = await connect_phone(people["ventas"])
    live_id = live.pk
    await database_sync_to_async(
        lambda: LiveSession.objects.filter(pk=live_id).update(seq=F("seq") + 1000)
    )()

    def flush() -> list:
        return [broadcast.live_message(live_id, a) for a in broadcast.AUDIENCES]

    first = await database_sync_to_async(flush)()
    again = await database_sync_to_async(flush)()
    assert [found[0] for found in first] == [
        broadcast.group_name(live_id, a) for a in broadcast.AUDIENCES
    ]
    assert again == [None, None, None]  # claimed by the first: another process skips it
    await comm.disconnect()


async def test_the_hub_joins_its_groups_again_after_the_layer_forgot_them(live, people):
    comm, stage, _ = await connect_phone(people["logistica"])
    group = broadcast.group_name(live.pk, "participants")
    await forget(group)
    assert await members_of(group) == []
    await hub._join_all()  # every REJOIN_EVERY seconds
    assert await members_of(group) == [hub.channel]
    await database_sync_to_async(services.timer_adjust)(live=live, minutes=1)
    frames = [f for f in await frames_until_quiet(comm) if "seq" in f]
    assert frames and frames[-1]["seq"] == await seq_of(live)
    await comm.disconnect()


async def test_a_lost_broadcast_is_made_good_by_the_heartbeat(live, people, monkeypatch):
    monkeypatch.setattr(consumers, "CATCH_UP_GRACE", 0.2)
    comm, stage, _ = await connect_phone(people["compras"])
    # A change whose broadcast never arrives (the layer delivers at most once).
    monkeypatch.setattr(hub, "changed", lambda live_id, audiences, **_: True)
    await database_sync_to_async(services.timer_adjust)(live=live, minutes=3)
    assert await frames_until_quiet(comm, quiet=0.4) == []
    await comm.send_json_to({"type": "ping", "t": 7})
    assert await receive_json(comm) == {"pong": 7}
    snapshot = await receive_json(comm)
    assert snapshot["seq"] == await seq_of(live)
    await comm.disconnect()


async def test_a_heartbeat_does_not_resend_what_is_on_its_way(live, people, monkeypatch):
    monkeypatch.setattr(consumers, "CATCH_UP_GRACE", 0.3)
    comm, _, _ = await connect_phone(people["ventas"])
    held: list[int] = []
    monkeypatch.setattr(
        hub, "changed", lambda live_id, audiences, **_: held.append(live_id) or True
    )
    await database_sync_to_async(services.timer_adjust)(live=live, minutes=1)
    await comm.send_json_to({"type": "ping", "t": 1})
    assert await receive_json(comm) == {"pong": 1}
    # The coalesced broadcast arrives within the grace: no snapshot on top of it.
    monkeypatch.undo()
    monkeypatch.setattr(consumers, "CATCH_UP_GRACE", 0.3)
    hub.changed(held[0], broadcast.AUDIENCES)
    frames = [f for f in await frames_until_quiet(comm, quiet=0.8) if "seq" in f]
    assert len(frames) == 1
    await comm.disconnect()


async def test_one_broken_socket_does_not_stop_the_others(live, people):
    phones = [await connect_phone(p) for p in (people["compras"], people["ventas"])]
    group = broadcast.group_name(live.pk, "participants")

    class Broken:
        async def live_frame(self, event: dict) -> None:
            raise ConnectionError("gone")

    broken = Broken()
    hub.members[group].add(broken)
    await database_sync_to_async(services.timer_adjust)(live=live, minutes=1)
    seq = await seq_of(live)
    for comm, _, _ in phones:
        frames = [f for f in await frames_until_quiet(comm) if "seq" in f]
        assert frames[-1]["seq"] == seq
        await comm.disconnect()


async def test_the_facilitator_and_projector_get_their_own_render(live, people, facilitator):
    client = Client()
    await database_sync_to_async(client.force_login)(facilitator.user)
    screens = {"room": f"/ws/sala/{live.pk}/", "screen": f"/ws/proyector/{live.pk}/"}
    comms = {}
    for fragment, path in screens.items():
        comms[fragment] = communicator(path, client)
        connected, _ = await comms[fragment].connect()
        assert connected
        assert f'id="{fragment}"' in (await receive_json(comms[fragment]))["html"]
    await database_sync_to_async(services.timer_adjust)(live=live, minutes=1)
    seq = await seq_of(live)
    for fragment, comm in comms.items():
        frames = [f for f in await frames_until_quiet(comm) if "seq" in f]
        assert frames[-1]["seq"] == seq
        assert f'id="{fragment}"' in frames[-1]["html"]
        await comm.disconnect()


async def test_a_join_reaches_the_control_room_and_not_the_phones(
    live, people, areas, facilitator, monkeypatch
):
    monkeypatch.setattr(consumers, "CATCH_UP_GRACE", 0.2)
    phone, _, _ = await connect_phone(people["compras"])
    client = Client()
    await database_sync_to_async(client.force_login)(facilitator.user)
    room = communicator(f"/ws/sala/{live.pk}/", client)
    assert (await room.connect())[0]
    await receive_json(room)
    await database_sync_to_async(services.participant_join)(
        live=live, name="Dora", area=areas["ventas"]
    )
    seq = await seq_of(live)
    frames = [f for f in await frames_until_quiet(room) if "seq" in f]
    assert frames[-1]["seq"] == seq and "Dora" in frames[-1]["html"]
    assert await frames_until_quiet(phone) == []
    # The phone is up to date: its heartbeat gets a pong and no snapshot.
    await phone.send_json_to({"type": "ping", "t": 3})
    assert await receive_json(phone) == {"pong": 3}
    assert await frames_until_quiet(phone, quiet=0.5) == []
    # A change the phones show reaches them with the newest number.
    await database_sync_to_async(services.timer_adjust)(live=live, minutes=1)
    frames = [f for f in await frames_until_quiet(phone) if "seq" in f]
    assert [f["seq"] for f in frames] == [await seq_of(live)]
    await phone.disconnect()
    await room.disconnect()


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The audiences broadcast.render_parts renders, in order."""
    rendered: list[str] = []
    real = broadcast.render_parts

    def counting(live, audience, fresh=False):
        rendered.append(audience)
        return real(live, audience, fresh)

    monkeypatch.setattr(broadcast, "render_parts", counting)
    return rendered


def test_a_snapshot_reuses_the_last_render_while_nothing_it_shows_changed(
    live, people, areas, renders
):
    services.timer_start(live=live)  # its broadcast renders every audience (no loop here)
    renders.clear()
    first = json.loads(broadcast.audience_frame(live, "participants"))
    assert first["seq"] == LiveSession.objects.get(pk=live.pk).seq and first["age"] >= 0
    # A join changes only the staff's screens: the next phone gets the same render, with its
    # age so that the running timer starts from the right second.
    services.participant_join(live=live, name="Dora", area=areas["ventas"])
    again = json.loads(broadcast.audience_frame(live, "participants"))
    assert renders == ["facilitator", "projector"]  # the join's broadcast
    assert again["html"] == first["html"] and again["seq"] == first["seq"]
    assert again["age"] >= first["age"]
    # The control room shows the join: rendered afresh, at the newest number.
    room = json.loads(broadcast.audience_frame(live, "facilitator"))
    assert "Dora" in room["html"] and room["seq"] == LiveSession.objects.get(pk=live.pk).seq
    # A change the phones show: its broadcast rendered the new view, and that is reused.
    services.timer_adjust(live=live, minutes=2)
    renders.clear()
    fresh = json.loads(broadcast.audience_frame(live, "participants"))
    assert renders == [] and fresh["seq"] > first["seq"] and fresh["html"] != first["html"]
    # Changed behind the process's back (another process's change is seen by its number):
    # rendered afresh.
    LiveSession.objects.filter(pk=live.pk).update(seq=F("seq") + 1, participants_seq=F("seq") + 1)
    newest = json.loads(broadcast.audience_frame(live, "participants"))
    assert renders == ["participants"] and "age" not in newest
    assert newest["seq"] == LiveSession.objects.get(pk=live.pk).seq


async def test_the_control_room_is_rendered_after_the_phones_got_their_frame(
    live, people, facilitator, monkeypatch
):
    """A render holds the GIL: the control room's waits until this process has handed the
    phones' frame to its sockets, so the phones' fan-out does not share the CPU with it."""
    events: list[str] = []
    real_render, real_deliver = broadcast.live_message, hub.deliver

    def render(live_id, audience):
        events.append(f"render {audience}")
        return real_render(live_id, audience)

    async def deliver(message):
        await asyncio.sleep(0.1)  # a fan-out to many sockets takes a while
        await real_deliver(message)
        events.append(f"delivered {message.get('group', '').rsplit('-', 1)[-1]}")

    phone, _, _ = await connect_phone(people["ventas"])
    client = Client()
    await database_sync_to_async(client.force_login)(facilitator.user)
    room = communicator(f"/ws/sala/{live.pk}/", client)
    assert (await room.connect())[0]
    await receive_json(room)
    monkeypatch.setattr(broadcast, "live_message", render)
    monkeypatch.setattr(hub, "deliver", deliver)
    await database_sync_to_async(services.timer_adjust)(live=live, minutes=1)
    await frames_until_quiet(room)
    assert events[:3] == ["render participants", "delivered participants", "render facilitator"]
    await phone.disconnect()
    await room.disconnect()


def test_the_control_rooms_snapshot_is_always_rendered_afresh(live, people, renders):
    """The control room shows presence, which changes with time alone (its 30 s snapshot
    keeps it current): no reuse for the staff's screens."""
    for _ in range(2):
        broadcast.audience_frame(live, "facilitator")
        broadcast.audience_frame(live, "projector")
    assert renders == ["facilitator", "projector", "facilitator", "projector"]


async def test_the_layer_takes_a_burst_of_heartbeats_from_hundreds_of_phones():
    """Every heartbeat joins the phone's own group again. 400 at once (a room reconnecting
    after a Wi-Fi blip) must not exhaust the Redis connection pool (redis-py 8 caps it at 100
    and raises), or a broadcast sent in the middle of the burst fails with them."""
    layer = get_channel_layer()
    channels = [await layer.new_channel() for _ in range(400)]
    groups = [f"burst-{i}" for i in range(400)]
    joins = [layer.group_add(g, c) for g, c in zip(groups, channels, strict=True)]
    await asyncio.gather(*joins[:200], layer.group_send("burst-0", {"type": "x"}), *joins[200:])
    assert await members_of("burst-399") == [channels[399]]
    await asyncio.gather(
        *(layer.group_discard(g, c) for g, c in zip(groups, channels, strict=True))
    )


async def test_after_a_lost_connection_the_hub_joins_its_groups_before_receiving_again(
    monkeypatch,
):
    """A Redis restart breaks the hub's receive and forgets the groups. The hub joins them
    all again, retrying while Redis is still down, before it receives again: otherwise it
    would listen on a channel no group sends to until the next REJOIN_EVERY tick (CI once
    missed a broadcast that way)."""
    calls: list[str] = []

    class Layer:
        receives = adds = 0

        async def receive(self, channel: str) -> dict:
            self.receives += 1
            calls.append("receive")
            if self.receives == 1:
                raise ConnectionError("Redis restarted")
            await asyncio.sleep(3600)
            return {}

        async def group_add(self, group: str, channel: str) -> None:
            self.adds += 1
            calls.append("join")
            if self.adds <= 2:
                raise ConnectionError("Redis is still starting")

    class Socket:
        pass

    layer = Layer()
    monkeypatch.setattr(fanout, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(fanout, "RETRY_AFTER", 0.01)
    local = fanout.Hub()
    local.bind()
    local.channel = "specific.hub"
    socket = Socket()
    local.members["live-1-participants"].add(socket)
    listening = asyncio.ensure_future(local._listen())
    await asyncio.sleep(0.3)
    listening.cancel()
    assert calls == ["receive", "join", "join", "join", "receive"]


@pytest.fixture
def flushes(monkeypatch) -> list[tuple[float, set[str]]]:
    """When the hub flushed, and which audiences (nothing rendered)."""
    done: list[tuple[float, set[str]]] = []

    async def flush_once(live_id, audiences):
        done.append((asyncio.get_running_loop().time(), set(audiences)))
        await asyncio.sleep(0.01)

    monkeypatch.setattr(hub, "_flush_once", flush_once)
    return done


async def test_a_burst_only_the_staff_see_is_flushed_at_most_every_staff_window(flushes):
    """500 votes before the reveal change only the control room and projector: their heavy
    renders go out at most every STAFF_WINDOW, not every WINDOW."""
    hub.bind()
    loop = asyncio.get_running_loop()
    end = loop.time() + 1.2
    while loop.time() < end:
        hub.changed(1, broadcast.STAFF_AUDIENCES)
        await asyncio.sleep(0.02)
    while 1 in hub.flushers:
        await asyncio.sleep(0.05)
    times = [t for t, _ in flushes]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert 3 <= len(times) <= 4
    assert min(gaps) >= fanout.STAFF_WINDOW - 0.02


async def test_a_change_the_phones_show_is_not_held_back_by_a_staff_burst(flushes):
    hub.bind()
    hub.changed(2, broadcast.STAFF_AUDIENCES)
    await asyncio.sleep(0.005)
    hub.changed(2, broadcast.STAFF_AUDIENCES)  # a burst: the next flush waits a window
    await asyncio.sleep(0.03)
    hub.changed(2, broadcast.AUDIENCES)
    while 2 in hub.flushers:
        await asyncio.sleep(0.02)
    (first, _), (second, audiences) = flushes
    assert "participants" in audiences
    assert second - first < fanout.WINDOW + 0.1


async def test_a_vote_is_acknowledged_without_waiting_for_its_voters_frame(
    live, people, monkeypatch
):
    """The voter's own frame (#me, dots left) is rendered on the hub after the vote is
    stored: the acknowledgement does not wait for it, and the frame follows."""
    import threading

    from tests.facilitation.conftest import goto

    def open_wall():
        goto(live, "unsaid")
        block = live.workshop.blocks.get(kind__slug="unsaid")
        item, _ = services.contribution_submit(
            participant=people["compras"], key="w", text="Idea", block_id=block.pk
        )
        services.contributions_reveal(live=live, block=block)
        services.voting_set_open(live=live, open=True)
        return item

    item = await database_sync_to_async(open_wall)()
    comm, _, _ = await connect_phone(people["ventas"])
    await frames_until_quiet(comm)
    release = threading.Event()
    real = broadcast.render_me

    def slow_render_me(participant, **options):
        release.wait(5)
        return real(participant, **options)

    monkeypatch.setattr(broadcast, "render_me", slow_render_me)
    await comm.send_json_to({"type": "dot", "action": "add", "key": "v1", "contribution": item.pk})
    assert await receive_json(comm, timeout=2) == {"ack": "v1", "ok": True}
    release.set()
    frames = await frames_until_quiet(comm)
    assert any('id="me"' in f.get("html", "") for f in frames)
    await comm.disconnect()


async def test_a_click_after_a_quiet_flush_goes_out_at_once(flushes):
    """Two facilitator clicks a moment apart (the second after the first was sent): the
    second is not held for a window (the embedded benchmark's p50 tripled when it was)."""
    hub.bind()
    loop = asyncio.get_running_loop()
    hub.changed(3, broadcast.AUDIENCES)
    await asyncio.sleep(0.04)  # the first flush (0.01 s) is done, nothing pending
    clicked = loop.time()
    hub.changed(3, broadcast.AUDIENCES)
    while len(flushes) < 2:
        await asyncio.sleep(0.002)
    assert flushes[1][0] - clicked < 0.03


async def test_a_click_during_a_staff_render_reaches_the_phones_before_it_ends(monkeypatch):
    """The control room of a full room takes 60 ms or more to render: a facilitator's click
    that arrives meanwhile is rendered for the phones beside it, not after it (and not after
    the projector's render either)."""
    import threading

    staff_render = threading.Event()
    release = threading.Event()
    rendered: list[str] = []

    def live_message(live_id, audience):
        rendered.append(audience)
        if audience == "facilitator" and len(rendered) == 2:
            staff_render.set()
            release.wait(5)
        return None

    monkeypatch.setattr(broadcast, "live_message", live_message)
    hub.bind()
    hub.changed(4, broadcast.AUDIENCES)
    assert await asyncio.to_thread(staff_render.wait, 5)
    await asyncio.sleep(fanout.WINDOW)  # not a burst: the last phones' render is a window old
    hub.changed(4, broadcast.AUDIENCES)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2
    while rendered.count("participants") < 2 and loop.time() < deadline:
        await asyncio.sleep(0.01)
    assert rendered == ["participants", "facilitator", "participants"]
    release.set()
    while 4 in hub.flushers:
        await asyncio.sleep(0.02)
    # The staff's screens still get the second click, after the first one's renders.
    assert rendered[3:] == ["projector", "facilitator", "projector"]
