"""Two real daphne processes share one live session through channels-redis.

The processes use the pytest test database (the SQLite file in embedded CI, the PostgreSQL
test database in scaled CI) and a Redis this test starts on a free port, never a shared one.
A phone connected to process A sees what the facilitator does through process B, and the
facilitator's control room on B sees what the phone sends through A. Never skipped: a missing
redis-server is a failure.
"""

import base64
import html
import json
import os
import socket
import struct
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from facilitation import services
from facilitation.access import SESSION_KEY
from tests.servers import free_port, server_env, start_daphne, start_redis, stop

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10  # seconds: every wait in this test is bounded by this


class WebSocket:
    """A minimal blocking RFC 6455 client: enough to hold a phone's or a laptop's socket."""

    def __init__(self, port: int, path: str, cookie: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\n"
            f"Cookie: {cookie}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        deadline = time.monotonic() + WAIT
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv(deadline)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        assert b" 101 " in status, f"websocket handshake refused: {head!r}"

    def _recv(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no websocket data in time")
        self.sock.settimeout(remaining)
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the TCP connection")
        return data

    def _read(self, n: int, deadline: float) -> bytes:
        while len(self.buffer) < n:
            self.buffer += self._recv(deadline)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_json(self, data: dict) -> None:
        self._send_frame(0x1, json.dumps(data).encode())

    def receive_json(self, deadline: float) -> dict:
        """The next text message; pings answered; a close raises."""
        message = b""
        while True:
            first, second = self._read(2, deadline)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2, deadline))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8, deadline))
            payload = self._read(length, deadline)
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ConnectionError(f"websocket closed by the server with {code}")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:
                    return json.loads(message)

    def wait_for(self, predicate: Callable[[dict], bool], what: str) -> tuple[dict, float]:
        """The first message matching `predicate`, and the seconds waited for it."""
        start = time.monotonic()
        deadline = start + WAIT
        seen = []
        while True:
            try:
                message = self.receive_json(deadline)
            except TimeoutError:
                raise AssertionError(f"{what} did not arrive within {WAIT} s; got {seen}") from None
            if predicate(message):
                return message, time.monotonic() - start
            seen.append(message)

    def close(self) -> None:
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


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


class Laptop:
    """The facilitator's browser against one process, over plain HTTP with CSRF."""

    def __init__(self, port: int, user) -> None:
        client = Client()
        client.force_login(user)
        self.sessionid = client.cookies["sessionid"].value
        self.base = f"http://127.0.0.1:{port}"
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _request(self, path: str, data: bytes | None = None, headers=None) -> str:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        request.add_header("Cookie", self.cookie)
        with self.opener.open(request, timeout=WAIT) as response:
            assert response.status == 200, response.status
            return response.read().decode()

    @property
    def cookie(self) -> str:
        cookies = {"sessionid": self.sessionid}
        cookies.update({c.name: c.value for c in self.jar if c.name == "csrftoken"})
        return "; ".join(f"{k}={v}" for k, v in cookies.items())

    def get(self, path: str) -> str:
        return self._request(path)

    def post(self, path: str, fields: dict | None = None) -> str:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        return self._request(
            path,
            data=urlencode(fields or {}).encode(),
            headers={
                "X-CSRFToken": token,
                "Referer": self.base + "/",
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
            },
        )


def test_a_session_is_shared_by_two_daphne_processes(servers, ready_workshop, areas, facilitator):
    live = services.live_start(workshop=ready_workshop)
    participant = services.participant_join(live=live, name="Ana", area=areas["compras"])
    participant = services.participant_commit(participant=participant)
    blocks = list(live.workshop.blocks.order_by("position", "id"))
    assert live.current_block_id == blocks[0].pk
    following = blocks[1]
    area_round = live.workshop.blocks.get(kind__slug="area_round")
    assert not area_round.anonymous

    laptop = Laptop(servers.b, facilitator.user)
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
