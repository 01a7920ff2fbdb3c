"""Small websocket and HTTP clients for tests that talk to real daphne processes.

- `WebSocket`: a minimal blocking RFC 6455 client (one phone or laptop socket);
- `Laptop`: the facilitator's browser over plain HTTP with its session cookie and CSRF;
- `AsyncWebSocket` and `Phone`: an asyncio client and a simulated phone that does what
  static/js/live.js does: an outbox of unacknowledged messages resent after every reconnect,
  reconnect with backoff after any close except a deliberate 4xxx, a heartbeat ping every
  10 s and a connection silent for more than 25 s treated as dead, sequence gaps answered with
  a snapshot request;
- `Proxy`: a TCP proxy that can stop forwarding without closing (a dead venue Wi-Fi).
Loopback only.
"""

import asyncio
import base64
import contextlib
import json
import os
import random
import socket
import struct
import time
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from urllib.parse import urlencode

WAIT = 10  # seconds: the blocking client's waits are bounded by this


def _mask_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


def _handshake(port: int, path: str, cookie: str, origin: str | None = None) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin or f'http://127.0.0.1:{port}'}\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    ).encode()


class WebSocket:
    """A minimal blocking RFC 6455 client: enough to hold a phone's or a laptop's socket."""

    def __init__(
        self, port: int, path: str, cookie: str, *, rcvbuf: int = 0, origin: str | None = None
    ) -> None:
        """`rcvbuf` shrinks the kernel's receive buffer (a phone that never reads); `origin`
        replaces the page's own origin (a page of another site or port)."""
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(WAIT)
        self.sock.connect(("127.0.0.1", port))
        self.buffer = b""
        self.sock.sendall(_handshake(port, path, cookie, origin))
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
        self.sock.sendall(_mask_frame(opcode, payload))

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


class Laptop:
    """The facilitator's browser against one process, over plain HTTP with CSRF."""

    def __init__(self, port: int, sessionid: str) -> None:
        self.sessionid = sessionid
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


# --- asyncio -------------------------------------------------------------------------------


class Closed(Exception):
    """The socket closed: `code` is the server's close code, 1006 without a close frame."""

    def __init__(self, code: int) -> None:
        super().__init__(f"websocket closed with {code}")
        self.code = code


class AsyncWebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(
        cls, port: int, path: str, cookie: str, *, timeout: float = 10, rcvbuf: int = 0
    ) -> "AsyncWebSocket":
        """Open and upgrade; `rcvbuf` shrinks the kernel's receive buffer (a slow phone)."""
        sock = socket.socket()
        sock.setblocking(False)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        writer = None
        try:
            loop = asyncio.get_running_loop()
            await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), timeout)
            reader, writer = await asyncio.open_connection(sock=sock)
            writer.write(_handshake(port, path, cookie))
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        except BaseException:
            if writer is not None:
                writer.transport.abort()
            else:
                sock.close()
            raise
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            writer.transport.abort()
            raise ConnectionRefusedError(f"websocket handshake refused: {head[:200]!r}")
        return cls(reader, writer)

    async def send_json(self, data: dict) -> None:
        self.writer.write(_mask_frame(0x1, json.dumps(data).encode()))
        await self.writer.drain()

    async def recv(self) -> str:
        """The next text message; pings answered; a close or EOF raises Closed."""
        message = b""
        try:
            while True:
                first, second = await self.reader.readexactly(2)
                opcode, length = first & 0x0F, second & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", await self.reader.readexactly(2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
                payload = await self.reader.readexactly(length)
                if opcode == 0x8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    self.abort()
                    raise Closed(code)
                if opcode == 0x9:
                    self.writer.write(_mask_frame(0xA, payload))
                    continue
                if opcode in (0x0, 0x1):
                    message += payload
                    if first & 0x80:
                        return message.decode()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            raise Closed(1006) from None

    async def receive_json(self) -> dict:
        return json.loads(await self.recv())

    def abort(self) -> None:
        self.writer.transport.abort()

    async def close(self) -> None:
        """A close frame, then FIN (what was written before still goes out)."""
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.write(_mask_frame(0x8, struct.pack("!H", 1000)))
            self.writer.close()


class Phone:
    """A participant's phone as static/js/live.js drives it (see the module docstring)."""

    HEARTBEAT = 10.0  # live.js HEARTBEAT_MS
    SILENT = 25.0  # live.js SILENT_MS

    def __init__(self, name: str, port: int, path: str, cookie: str) -> None:
        self.name = name
        self.port = port
        self.path = path
        self.cookie = cookie
        self.outbox: dict[str, dict] = {}  # key → message, until acknowledged
        self.texts: dict[str, str] = {}  # key → text of every contribution written
        self.acks: dict[str, bool] = {}  # key → ok of its first acknowledgement
        self.ack_counts: dict[str, int] = {}
        self.ack_times: list[float] = []
        self.errors: list[str] = []
        self.stage: str | None = None  # the last audience fragment shown (#stage, #wall)
        self.seq: int | None = None
        self.seq_seen: dict[int, float] = {}  # seq → when it first arrived
        self.opens: list[float] = []
        self.closes: list[tuple[float, int]] = []
        self.ended: int | None = None
        self.online = asyncio.Event()
        self.ws: AsyncWebSocket | None = None
        self.counter = 0
        self.nonce = f"{name}-{random.randrange(1 << 30):x}"
        self.task: asyncio.Task | None = None
        self.stopped = False
        self.silences = 0  # connections this phone declared dead by the heartbeat

    # the page's API
    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"phone {self.name}")

    async def stop(self) -> None:
        self.stopped = True
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    def contribute(self, text: str, block: int, key: str | None = None) -> str:
        """Write a contribution: into the outbox, and onto the socket if one is open."""
        if key is None:
            self.counter += 1
            key = f"{self.nonce}.{self.counter}"
        message = {"type": "contribute", "key": key, "text": text, "block": block}
        self.outbox[key] = message
        self.texts[key] = text
        if self.ws is not None:
            asyncio.create_task(self._send(self.ws, message))
        return key

    @property
    def ok_keys(self) -> set[str]:
        return {key for key, ok in self.acks.items() if ok}

    # the socket's life
    @staticmethod
    def delay(retry: int) -> float:
        base = min(1.0 * 2**retry, 8.0)  # htmx.config.wsReconnectDelay in live.js
        return base / 2 + random.random() * base / 2

    async def _send(self, ws: AsyncWebSocket, message: dict) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            await ws.send_json(message)

    async def _run(self) -> None:
        retry = 0
        while not self.stopped:
            try:
                ws = await AsyncWebSocket.connect(self.port, self.path, self.cookie)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                await asyncio.sleep(self.delay(retry))
                retry += 1
                continue
            code = await self._session(ws)
            if 4000 <= code < 5000:
                self.ended = code
                return
            retry = 0  # the extension counts retries from the last open
            await asyncio.sleep(self.delay(retry))
            retry += 1

    async def _session(self, ws: AsyncWebSocket) -> int:
        self.ws = ws
        self.seq = None
        self.last_seen = time.monotonic()
        beat = asyncio.create_task(self._beat(ws))
        self.opens.append(time.monotonic())
        self.online.set()
        for message in list(self.outbox.values()):  # flushOutbox on open
            await self._send(ws, message)
        code = 1006
        try:
            while True:
                text = await ws.recv()
                self.last_seen = time.monotonic()
                await self._frame(ws, text)
        except Closed as closed:
            code = closed.code
        finally:
            beat.cancel()
            self.ws = None
            self.online.clear()
            self.closes.append((time.monotonic(), code))
            ws.abort()
        return code

    async def _beat(self, ws: AsyncWebSocket) -> None:
        while True:
            await asyncio.sleep(self.HEARTBEAT)
            if time.monotonic() - self.last_seen > self.SILENT:
                # Silent without closing: close (as live.js does) and reconnect.
                self.silences += 1
                await ws.close()
                return
            await self._send(ws, {"type": "ping", "t": int(time.time() * 1000)})

    async def _frame(self, ws: AsyncWebSocket, text: str) -> None:
        frame = json.loads(text)
        if "pong" in frame:
            return
        if frame.get("ack"):
            key = frame["ack"]
            self.outbox.pop(key, None)
            self.acks.setdefault(key, bool(frame.get("ok")))
            self.ack_counts[key] = self.ack_counts.get(key, 0) + 1
            self.ack_times.append(time.monotonic())
            if not frame.get("ok"):
                self.errors.append(frame.get("error", ""))
            return
        if frame.get("error"):
            self.errors.append(frame["error"])
            return
        if frame.get("end"):
            self.ended = frame["end"]
            return
        if frame.get("html"):
            seq = frame.get("seq")
            if isinstance(seq, int):
                if self.seq is not None and seq < self.seq:
                    return  # stale: a newer one was shown
                # A number skipped is not a loss: frames are whole and coalesced.
                self.seq = seq
                self.seq_seen.setdefault(seq, time.monotonic())
                self.stage = frame["html"]


async def fresh_snapshot(port: int, path: str, cookie: str, timeout: float = 10) -> tuple[int, str]:
    """What a fresh page load shows: the (seq, html) of a new socket's first audience frame."""
    ws = await AsyncWebSocket.connect(port, path, cookie, timeout=timeout)
    try:
        async with asyncio.timeout(timeout):
            while True:
                frame = await ws.receive_json()
                if isinstance(frame.get("seq"), int) and frame.get("html"):
                    return frame["seq"], frame["html"]
    finally:
        await ws.close()


class Proxy:
    """A TCP proxy on a free loopback port to `target_port`. `pause()` stops forwarding in
    both directions for every connection, old and new, without closing anything; the bytes
    wait (in the kernel and here) and flow again on `resume()`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task] = set()
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def pause(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.flowing.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self.tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        await self.flowing.wait()
        for pump in pumps:
            pump.cancel()
        writer.transport.abort()
        up_writer.close()
        self.tasks.difference_update(pumps)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await self.flowing.wait()
                data = await reader.read(65536)
                await self.flowing.wait()  # read just before a pause: held until resume
                if not data:
                    with contextlib.suppress(OSError):
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
