"""Simulated phones and the facilitator: a minimal HTTP/1.1 client on asyncio streams (one
connection per request, cookies kept), the real join flow, and a websocket reader that checks
every frame's sequence number."""

import asyncio
import gzip
import json
import re
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import urlencode, urlsplit

from websockets.asyncio.client import ClientConnection, connect

HTTP_TIMEOUT = 60.0
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
AREA_RE = re.compile(r'<input[^>]*name="area"[^>]*value="([^"]+)"')
AREA_RE2 = re.compile(r'<input[^>]*value="([^"]+)"[^>]*name="area"')
# The privacy notice's version the join form shows; a person accepts it to join.
NOTICE_RE = re.compile(r'<input[^>]*name="privacy_version"[^>]*value="(\d+)"')
ASSET_RE = re.compile(
    r'<(?:link[^>]*rel="(?:stylesheet|icon)"[^>]*href|script[^>]*src)="([^"]+)"', re.IGNORECASE
)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    raw_body: bytes  # as transferred (compressed when Content-Encoding says so)

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return ""

    @property
    def body(self) -> bytes:
        if self.header("content-encoding").lower() == "gzip":
            return gzip.decompress(self.raw_body)
        if self.header("content-encoding").lower() == "deflate":
            return zlib.decompress(self.raw_body)
        return self.raw_body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        line, _, rest = data.partition(b"\r\n")
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)


class HttpClient:
    """Cookies and requests of one browser, against one base URL."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.base = base.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.hostport = f"{self.host}:{self.port}"
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        gzip_ok: bool = True,
    ) -> Response:
        return await asyncio.wait_for(
            self._request(method, path, form, headers or {}, gzip_ok), HTTP_TIMEOUT
        )

    async def _request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None,
        headers: dict[str, str],
        gzip_ok: bool,
    ) -> Response:
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.hostport}", "Connection: close"]
        lines.append("User-Agent: puente-bench")
        if gzip_ok:
            lines.append("Accept-Encoding: gzip")
        if self.cookies:
            lines.append(f"Cookie: {self.cookie_header()}")
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Origin: http://{self.hostport}")
            lines.append(f"Referer: {self.base}{path}")
        if method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            await writer.drain()
            data = await reader.read()
        finally:
            writer.close()
        head, _, payload = data.partition(b"\r\n\r\n")
        head_lines = head.decode("latin-1").split("\r\n")
        status = int(head_lines[0].split()[1])
        parsed = []
        for line in head_lines[1:]:
            key, _, value = line.partition(":")
            parsed.append((key.strip(), value.strip()))
        response = Response(status, parsed, payload)
        if response.header("transfer-encoding").lower() == "chunked":
            response.raw_body = _dechunk(payload)
        for key, value in parsed:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";")[0]
        return response


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    if match is None:
        raise RuntimeError("no csrf token in page")
    return match.group(1)


def assets_of(html: str) -> list[str]:
    return [unescape(src) for src in ASSET_RE.findall(html)]


@dataclass
class Waiter:
    """Receipt by every phone of the first frame numbered above `after` (the number of the
    frame before the action). Not an exact number: a change the phones do not show (a join,
    a vote before the reveal) takes a number too, and the application does not send it."""

    remaining: int
    after: int = -1
    event: asyncio.Event = field(default_factory=asyncio.Event)
    first: float = 0.0
    last: float = 0.0
    got: set[int] = field(default_factory=set)


@dataclass
class SeqBook:
    """Shared book of the phones of one server: who waits for which sequence number."""

    waiter: Waiter | None = None
    last_frame_at: float = 0.0
    acks: dict[str, float] = field(default_factory=dict)
    ack_errors: dict[str, str] = field(default_factory=dict)
    ack_event: asyncio.Event = field(default_factory=asyncio.Event)
    acks_expected: int = 0


class WsPhone:
    """A websocket that counts the frames it receives by sequence number."""

    def __init__(self, index: int, book: SeqBook) -> None:
        self.index = index
        self.book = book
        self.ws: ClientConnection | None = None
        self.snapshot_seq = -1
        self.max_seq = -1
        self.frames = 0  # frames with a seq after the snapshot
        self.seen: Counter[int] = Counter()
        self.stale = 0
        self.pre_snapshot = 0
        self.last_html = ""
        self.other = 0
        self.reader: asyncio.Task[None] | None = None
        self.closed_code: int | None = None

    async def open(self, url: str, origin: str, cookie: str, compression: str | None) -> None:
        headers = {"Cookie": cookie} if cookie else {}
        self.ws = await connect(
            url,
            origin=origin,  # type: ignore[arg-type]
            additional_headers=headers,
            compression=compression,
            max_size=2**22,
            ping_interval=None,
            open_timeout=60,
            close_timeout=2,
        )
        first = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
        if "seq" not in first:
            raise RuntimeError(f"first frame is not a snapshot: {str(first)[:200]}")
        self.snapshot_seq = self.max_seq = first["seq"]
        self.seen[first["seq"]] += 1
        self.last_html = first.get("html", "")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        book = self.book
        try:
            async for message in self.ws:
                now = time.perf_counter()
                data: dict[str, Any] = json.loads(message)
                seq = data.get("seq")
                if seq is not None:
                    book.last_frame_at = now
                    if seq <= self.snapshot_seq:
                        self.pre_snapshot += 1
                        continue
                    self.frames += 1
                    if seq < self.max_seq:
                        self.stale += 1
                    self.seen[seq] += 1
                    if seq > self.max_seq:
                        self.max_seq = seq
                        self.last_html = data.get("html", "")
                    waiter = book.waiter
                    if waiter is not None and seq > waiter.after and self.index not in waiter.got:
                        if not waiter.got:
                            waiter.first = now
                        waiter.got.add(self.index)
                        waiter.last = now
                        waiter.remaining -= 1
                        if waiter.remaining <= 0:
                            waiter.event.set()
                elif "ack" in data:
                    key = str(data["ack"])
                    if data.get("ok"):
                        book.acks[key] = now
                    else:
                        book.ack_errors[key] = str(data.get("error", ""))
                    if len(book.acks) + len(book.ack_errors) >= book.acks_expected:
                        book.ack_event.set()
                else:
                    self.other += 1
        except Exception:  # noqa: BLE001, S110 - a dropped phone is counted, not fatal
            pass
        finally:
            self.closed_code = self.ws.close_code

    async def send(self, payload: dict[str, object]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(payload, separators=(",", ":")))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


class AppPhone(WsPhone):
    """A participant's phone: joins over HTTP like a browser, then opens the live socket."""

    def __init__(self, index: int, book: SeqBook, base: str, ws_base: str, token: str) -> None:
        super().__init__(index, book)
        self.http = HttpClient(base)
        self.ws_base = ws_base
        self.token = token
        self.join_seconds = 0.0
        self.pages: dict[str, Response] = {}

    async def join(self, compression: str | None, keep_pages: bool = False) -> None:
        started = time.perf_counter()
        path = f"/p/{self.token}/"
        page = await self.http.request("GET", path)
        if page.status != 200:
            raise RuntimeError(f"join form: HTTP {page.status}")
        html = page.text
        csrf = csrf_from(html)
        areas = AREA_RE.findall(html) or AREA_RE2.findall(html)
        if not areas:
            raise RuntimeError("no area in join form")
        notice = NOTICE_RE.search(html)
        if notice is None:
            raise RuntimeError("no privacy notice version in join form")
        form = {
            "csrfmiddlewaretoken": csrf,
            "name": f"Persona {self.index}",
            "area": areas[self.index % len(areas)],
            # Each simulated person reads the notice and accepts it, as the form asks.
            "privacy_accepted": "on",
            "privacy_version": notice.group(1),
        }
        posted = await self.http.request("POST", path, form)
        if posted.status != 302:
            raise RuntimeError(f"join POST: HTTP {posted.status}: {posted.text[:300]}")
        live = await self.http.request("GET", path)
        if live.status != 200 or "ws-connect" not in live.text:
            raise RuntimeError(f"live page: HTTP {live.status}")
        if keep_pages:
            self.pages = {"join_form": page, "live": live}
        await self.open(
            f"{self.ws_base}/ws/en-vivo/{self.token}/",
            self.http.base,
            self.http.cookie_header(),
            compression,
        )
        self.join_seconds = time.perf_counter() - started


class Facilitator:
    """A logged-in facilitator posting control-room actions like htmx does, with the control
    room's socket open as in the browser (live.js then sends X-Puente-Live and the server
    answers 204: the room arrives by the broadcast)."""

    def __init__(self, base: str, live_id: int) -> None:
        self.http = HttpClient(base)
        self.live_id = live_id
        self.csrf = ""
        self.room: ClientConnection | None = None
        self.room_reader: asyncio.Task[None] | None = None
        self.room_frames = 0

    async def open_room(self) -> None:
        self.room = await connect(
            self.http.base.replace("http://", "ws://") + f"/ws/sala/{self.live_id}/",
            origin=self.http.base,  # type: ignore[arg-type]
            additional_headers={"Cookie": self.http.cookie_header()},
            max_size=2**24,
            ping_interval=None,
            open_timeout=60,
            close_timeout=2,
        )

        async def drain() -> None:
            assert self.room is not None
            try:
                async for _ in self.room:
                    self.room_frames += 1
            except Exception:  # noqa: BLE001, S110 - closing at the end of the run
                pass

        self.room_reader = asyncio.create_task(drain())

    async def close_room(self) -> None:
        if self.room is not None:
            await self.room.close()
        if self.room_reader is not None:
            self.room_reader.cancel()

    async def login(self, username: str, password: str) -> None:
        page = await self.http.request("GET", "/entrar/")
        form = {
            "csrfmiddlewaretoken": csrf_from(page.text),
            "username": username,
            "password": password,
        }
        response = await self.http.request("POST", "/entrar/", form)
        if response.status != 302 or "sessionid" not in self.http.cookies:
            raise RuntimeError(f"login failed: HTTP {response.status}")
        room = await self.http.request("GET", f"/en-vivo/{self.live_id}/")
        if room.status != 200:
            raise RuntimeError(f"control room: HTTP {room.status}")
        self.csrf = csrf_from(room.text) if CSRF_RE.search(room.text) else ""
        if not self.csrf:
            self.csrf = self.http.cookies.get("csrftoken", "")

    async def action(self, action: str, **fields: str) -> Response:
        form = {"csrfmiddlewaretoken": self.csrf, **fields}
        response = await self.http.request(
            "POST",
            f"/en-vivo/{self.live_id}/{action}/",
            form,
            {"HX-Request": "true", "X-CSRFToken": self.csrf}
            | ({"X-Puente-Live": "1"} if self.room is not None else {}),
        )
        if response.status not in (200, 204):
            raise RuntimeError(f"action {action}: HTTP {response.status}: {response.text[:300]}")
        if 'class="error' in response.text or 'role="alert"' in response.text:
            pass  # the room shows refusals inline; the sequence check tells whether it ran
        return response
