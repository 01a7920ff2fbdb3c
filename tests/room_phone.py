"""A phone stand-in for tests/test_room_network.py, run inside a second network namespace:
it opens the join address `make run` printed, types the session's code, fills the join form,
opens the live socket and waits for the facilitator's next block. Standard library and the
`websockets` client only; prints one JSON line per step so the test can follow it.

usage: room_phone.py JOIN_URL CODE EXPECTED_BLOCK_TITLE
"""

import json
import re
import sys
import time
import urllib.request
from html import unescape
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urlsplit

from websockets.sync.client import connect

WAIT = 20


def say(**fields) -> None:
    print(json.dumps(fields), flush=True)


def main(join_url: str, code: str, expected: str) -> None:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(join_url))

    def fetch(url: str, fields: dict | None = None) -> tuple[str, str]:
        data = urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        started = time.monotonic()
        with opener.open(request, timeout=WAIT) as response:
            body = response.read().decode()
            say(
                step="http",
                url=response.url,
                status=response.status,
                ms=round((time.monotonic() - started) * 1000, 1),
            )
            return response.url, body

    def csrf(body: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)

    _, page = fetch(join_url)
    live_url, page = fetch(join_url, {"csrfmiddlewaretoken": csrf(page), "code": code})
    area = re.search(r'name="area" value="(\d+)"', page).group(1)
    version = re.search(r'name="privacy_version" value="(\d+)"', page).group(1)
    live_url, page = fetch(
        live_url,
        {
            "csrfmiddlewaretoken": csrf(page),
            "name": "Teléfono de la sala",
            "area": area,
            "privacy_version": version,
            "privacy_accepted": "on",
        },
    )
    socket_path = re.search(r'ws-connect="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    ws_url = origin.replace("http", "ws", 1) + socket_path
    with connect(
        ws_url, origin=origin, additional_headers={"Cookie": cookie}, open_timeout=WAIT
    ) as ws:
        first = ws.recv(timeout=WAIT)
        say(step="socket", url=ws_url, snapshot=len(first))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=WAIT))
            if expected in unescape(frame.get("html", "")):
                say(step="live", saw=expected)
                return
    say(step="timeout")
    sys.exit(1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
