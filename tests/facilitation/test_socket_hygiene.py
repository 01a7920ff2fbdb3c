"""The live sockets against a real daphne process (issue 12, holes 5 and 7): the Origin check
compares scheme, host and port, and closing a socket — a participant removed, a session
ended — is a normal event the server's log does not report as an error."""

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from facilitation import services
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
        process = start_daphne(port, server_env(), log, log_path)
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
