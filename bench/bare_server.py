"""The bare limit: a plain `websockets` server doing what the live layer does, minus Django.

Phones connect to any path but /control and get a snapshot frame {"seq","html"}. The bench's
control socket (/control) sends {"cmd":"broadcast","html":...}: the server bumps its sequence
and broadcasts {"seq","html"} to every phone. A phone's "contribute" or "dot" message is
acknowledged ({"ack":key,"ok":true}) and, like the application, followed by a broadcast to
every phone; "ping" gets {"pong"}. Nothing is stored.

    python bench/bare_server.py PORT [--compression]
"""

import asyncio
import json
import resource
import signal
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve

phones: set[ServerConnection] = set()
state: dict[str, object] = {"seq": 0, "html": "<p>bare</p>"}


def frame(**payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"))


def bump_and_broadcast() -> None:
    state["seq"] = int(state["seq"]) + 1  # type: ignore[call-overload]
    broadcast(phones, frame(seq=state["seq"], html=state["html"]))


async def handler(ws: ServerConnection) -> None:
    assert ws.request is not None
    if ws.request.path == "/control":
        async for message in ws:
            command = json.loads(message)
            if command.get("cmd") == "broadcast":
                state["html"] = command["html"]
                bump_and_broadcast()
        return
    phones.add(ws)
    try:
        await ws.send(frame(seq=state["seq"], html=state["html"]))
        async for message in ws:
            data = json.loads(message)
            kind = data.get("type")
            if kind == "ping":
                await ws.send(frame(pong=data.get("t")))
            elif kind in {"contribute", "dot"}:
                await ws.send(frame(ack=data.get("key"), ok=True))
                bump_and_broadcast()
    finally:
        phones.discard(ws)


async def main() -> None:
    port = int(sys.argv[1])
    compression = "deflate" if "--compression" in sys.argv else None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 65536), hard), hard))
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with serve(
        handler, "127.0.0.1", port, compression=compression, max_size=2**20, ping_interval=None
    ):
        await stop


if __name__ == "__main__":
    asyncio.run(main())
