"""The live sockets against a real daphne process (issue 12, holes 3, 5 and 7): the Origin
check compares scheme, host and port; closing a socket — a participant removed, a session
ended — is a normal event the server's log does not report as an error; a socket that never
reads is dropped before what waits for it grows without bound."""

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from facilitation import services
from facilitation.models import Contribution
from tests.facilitation.test_two_processes import login_sessionid, phone_cookie
from tests.servers import free_port, server_env, start_daphne, stop
from tests.wsclient import Laptop, WebSocket

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Server:
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture
def server(transactional_db) -> Iterator[Server]:
    port = free_port()
    log_path = settings.VAR_DIR / "socket-hygiene-daphne.log"
    with log_path.open("w") as log:
        # A small bound (the default is 512 KiB) so a few dozen broadcasts reach it.
        process = start_daphne(port, server_env(WS_MAX_BUFFERED_KIB="48"), log, log_path)
        try:
            yield Server(port, log_path)
        finally:
            stop(process)


def _joined(live, areas, name, area="compras"):
    participant = services.participant_join(live=live, name=name, area=areas[area])
    return services.participant_commit(participant=participant)


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another program on the same laptop
        "https://127.0.0.1:{port}",  # another scheme
        "http://localhost:{port}",  # another host name, even an allowed one
        "http://evil.example:{port}",
        "null",
    ],
)
def test_a_page_of_another_origin_cannot_open_the_room(
    server, ready_workshop, areas, facilitator, origin
):
    live = services.live_start(workshop=ready_workshop)
    ana = _joined(live, areas, "Ana")
    laptop = Laptop(server.port, login_sessionid(facilitator.user))
    for path, cookie in (
        (f"/ws/en-vivo/{live.qr_token}/", phone_cookie(ana)),
        (f"/ws/sala/{live.pk}/", laptop.cookie),
    ):
        with pytest.raises(AssertionError, match="handshake refused"):
            WebSocket(server.port, path, cookie, origin=origin.format(port=server.port))
    # The room's own origin still opens it.
    own = WebSocket(server.port, f"/ws/sala/{live.pk}/", laptop.cookie)
    own.wait_for(lambda m: 'id="room"' in m.get("html", ""), "room snapshot")
    own.close()


def test_removing_a_participant_and_ending_the_session_log_no_error(
    server, ready_workshop, areas, facilitator
):
    live = services.live_start(workshop=ready_workshop)
    people = [_joined(live, areas, name) for name in ("Ana", "Beto", "Caro", "Dani")]
    laptop = Laptop(server.port, login_sessionid(facilitator.user))
    laptop.get(f"/en-vivo/{live.pk}/")
    phones = [
        WebSocket(server.port, f"/ws/en-vivo/{live.qr_token}/", phone_cookie(person))
        for person in people
    ]
    room = WebSocket(server.port, f"/ws/sala/{live.pk}/", laptop.cookie)
    for phone in phones:
        phone.wait_for(lambda m: 'id="stage"' in m.get("html", ""), "phone snapshot")
    room.wait_for(lambda m: 'id="room"' in m.get("html", ""), "room snapshot")

    # Ana is removed while the room keeps changing (each change is a broadcast to her group).
    laptop.post(f"/en-vivo/{live.pk}/remove/", {"participant": people[0].pk})
    phones[0].wait_for(lambda m: "end" in m, "Ana's end frame")
    for _ in range(3):
        laptop.post(f"/en-vivo/{live.pk}/next/")
    title = html.escape(live.workshop.blocks.order_by("position", "id")[3].title)
    phones[1].wait_for(lambda m: title in m.get("html", ""), "the room moved on")

    # The session ends: every phone and the control room are closed by the server.
    laptop.post(f"/en-vivo/{live.pk}/close/")
    for phone in phones[1:]:
        phone.wait_for(lambda m: "end" in m, "end frame")
    for phone in phones:
        phone.close()
    room.close()
    laptop.get(f"/en-vivo/{live.pk}/")  # one more request: the log has caught up

    log = server.log()
    assert "Traceback" not in log and "Disconnected" not in log, log[-3000:]


def test_a_socket_that_never_reads_is_dropped_and_the_others_carry_on(
    server, ready_workshop, areas, facilitator
):
    live = services.live_start(workshop=ready_workshop)
    people = [_joined(live, areas, name) for name in ("Ana", "Beto", "Caro")]
    # A wall of 40 long cards makes every phone's frame about 20 KB, as in a busy room.
    area_round = live.workshop.blocks.get(kind__slug="area_round")
    services.live_goto_block(live=live, block=area_round)
    Contribution.objects.bulk_create(
        Contribution(
            live=live,
            block=area_round,
            participant=people[1],
            area=people[1].area,
            text=f"Tarjeta {n}: " + "los pedidos urgentes llegan sin aviso a bodega " * 9,
            key_digest=f"wall-{n}",
        )
        for n in range(40)
    )
    laptop = Laptop(server.port, login_sessionid(facilitator.user))
    laptop.get(f"/en-vivo/{live.pk}/")
    readers = [
        WebSocket(server.port, f"/ws/en-vivo/{live.qr_token}/", phone_cookie(person))
        for person in people[1:]
    ]
    # Ana's phone never reads: its kernel buffer is tiny and nothing drains it.
    stuck = WebSocket(
        server.port, f"/ws/en-vivo/{live.qr_token}/", phone_cookie(people[0]), rcvbuf=2048
    )
    for reader in readers:
        reader.wait_for(lambda m: 'id="stage"' in m.get("html", ""), "snapshot")
    stage_before = 0
    for n in range(80):
        laptop.post(f"/en-vivo/{live.pk}/timer-adjust/", {"minutes": "1" if n % 2 else "-1"})
        for reader in readers:  # the readers keep up
            frame, _ = reader.wait_for(lambda m, s=stage_before: m.get("seq", 0) > s, "broadcast")
        stage_before = frame["seq"]
        if "dropped:" in server.log():
            break
    log = server.log()
    assert log.count("dropped:") == 1, log[-2000:]
    assert "Traceback" not in log, log[-3000:]
    # The stuck socket is gone: what it finally reads ends with the connection closed.
    stuck.sock.settimeout(5)
    with pytest.raises((ConnectionError, OSError)):
        while stuck.sock.recv(65536):
            pass
        raise ConnectionError("closed")
    # The readers are still served.
    laptop.post(f"/en-vivo/{live.pk}/next/")
    for reader in readers:
        reader.wait_for(lambda m: m.get("seq", 0) > stage_before, "next block")
        reader.close()
