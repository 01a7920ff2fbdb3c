"""Two real daphne processes share one live session through channels-redis.

The processes use the pytest test database (the SQLite file in embedded CI, the PostgreSQL
test database in scaled CI) and a Redis this test starts on a free port, never a shared one.
A phone connected to process A sees what the facilitator does through process B, and the
facilitator's control room on B sees what the phone sends through A. Never skipped: a missing
redis-server is a failure.
"""

import html
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from facilitation import services
from facilitation.access import SESSION_KEY
from tests.servers import free_port, server_env, start_daphne, start_redis, stop
from tests.wsclient import Laptop, WebSocket

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Servers:
    a: int
    b: int


@pytest.fixture
def servers(transactional_db) -> Iterator[Servers]:
    """Redis on a free port of its own, and two daphne processes (A, B) sharing it."""
    processes = []
    logs = []
    try:
        redis_port = free_port()
        redis_log_path = settings.VAR_DIR / "two-processes-redis.log"
        logs.append(redis_log_path.open("w"))
        processes.append(start_redis(redis_port, logs[-1], redis_log_path))
        env = server_env(REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
        ports = []
        for name in ("a", "b"):
            port = free_port()
            log_path = settings.VAR_DIR / f"two-processes-daphne-{name}.log"
            logs.append(log_path.open("w"))
            processes.append(start_daphne(port, env, logs[-1], log_path))
            ports.append(port)
        yield Servers(a=ports[0], b=ports[1])
    finally:
        for process in reversed(processes):
            stop(process)
        for log in logs:
            log.close()


def phone_cookie(participant) -> str:
    session = SessionStore()
    session[SESSION_KEY.format(live_id=participant.live_id)] = participant.pk
    session.save()
    return f"sessionid={session.session_key}"


def login_sessionid(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_a_session_is_shared_by_two_daphne_processes(servers, ready_workshop, areas, facilitator):
    live = services.live_start(workshop=ready_workshop)
    participant = services.participant_join(live=live, name="Ana", area=areas["compras"])
    participant = services.participant_commit(participant=participant)
    blocks = list(live.workshop.blocks.order_by("position", "id"))
    assert live.current_block_id == blocks[0].pk
    following = blocks[1]
    area_round = live.workshop.blocks.get(kind__slug="area_round")
    assert not area_round.anonymous

    laptop = Laptop(servers.b, login_sessionid(facilitator.user))
    room_page = laptop.get(f"/en-vivo/{live.pk}/")
    assert html.escape(blocks[0].title) in room_page

    phone = WebSocket(servers.a, f"/ws/en-vivo/{live.qr_token}/", phone_cookie(participant))
    room = WebSocket(servers.b, f"/ws/sala/{live.pk}/", laptop.cookie)
    try:
        # Snapshots on connect (sent after the sockets joined their groups).
        stage, _ = phone.wait_for(lambda m: 'id="stage"' in m.get("html", ""), "phone snapshot")
        assert html.escape(blocks[0].title) in stage["html"]
        room.wait_for(lambda m: 'id="room"' in m.get("html", ""), "room snapshot")

        # The facilitator acts on B; the phone on A sees the next block.
        started = time.monotonic()
        laptop.post(f"/en-vivo/{live.pk}/next/")
        title = html.escape(following.title)
        pushed, _ = phone.wait_for(
            lambda m: title in m.get("html", "") and 'id="stage"' in m["html"], "next block on A"
        )
        next_seconds = time.monotonic() - started
        assert pushed["seq"] > stage["seq"]

        laptop.post(f"/en-vivo/{live.pk}/goto/", {"block": area_round.pk})
        phone.wait_for(
            lambda m: (
                html.escape(area_round.title) in m.get("html", "")
                and 'data-contrib-open="1"' in m["html"]
            ),
            "area round on A",
        )

        # The phone contributes through A; the control room on B sees it.
        text = "Compras se entera tarde de los cambios de pedido"
        started = time.monotonic()
        phone.send_json(
            {"type": "contribute", "key": "two.1", "text": text, "block": area_round.pk}
        )
        phone.wait_for(lambda m: m.get("ack") == "two.1", "ack on A")
        wall, _ = room.wait_for(
            lambda m: html.escape(text) in m.get("html", ""), "contribution on B"
        )
        contribution_seconds = time.monotonic() - started
        assert 'id="room"' in wall["html"]
        assert html.escape(participant.name) in wall["html"]
        print(f"B→A next block {next_seconds:.3f} s; A→B contribution {contribution_seconds:.3f} s")
    finally:
        phone.close()
        room.close()
