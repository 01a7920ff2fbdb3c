"""A bound on what daphne queues for one websocket (issue 12, hole 3).

daphne hands every frame to Twisted, whose transport buffers without limit what the peer does
not read: a phone that stops reading (or a client that never does) made the server grow by
about 0.37 MB a second in a live room, until the ping timeout dropped it. An ASGI application
cannot see that buffer, so this wraps daphne's `serverSend`: a frame that would go onto a
socket with more than settings.WS_MAX_BUFFERED_BYTES (512 KiB) already waiting is not
queued, and the connection is dropped at once (its memory freed). A phone that is alive
reconnects by itself and gets a full snapshot, which is how it catches up after any loss
(shared/REALTIME.md); a socket that never reads is gone. The kernel's own send buffer
(hundreds of KiB) is filled before a byte waits here, so a phone merely slow on venue
Wi-Fi is far from the bound.

Installed from config/asgi.py, which daphne imports before serving; the wrapped method is
daphne's own (pinned in requirements.txt), so a change of daphne's internals shows at once in
tests/facilitation/test_socket_hygiene.py.
"""

import logging
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


def buffered_bytes(transport: Any) -> int:
    """What a Twisted transport holds, not yet written to the socket."""
    data = getattr(transport, "dataBuffer", b"")
    return len(data) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


def install() -> None:
    from daphne.ws_protocol import WebSocketProtocol

    if getattr(WebSocketProtocol.serverSend, "bounded", False):
        return
    original = WebSocketProtocol.serverSend
    limit = settings.WS_MAX_BUFFERED_BYTES

    def server_send(self: Any, content: Any, binary: bool = False) -> None:
        transport = getattr(self, "transport", None)
        if transport is not None and buffered_bytes(transport) > limit:
            if not getattr(self, "dropped_for_backlog", False):
                self.dropped_for_backlog = True
                logger.warning(
                    "websocket %s dropped: %d KiB waiting to be sent (the peer does not read)",
                    self.client_addr,
                    buffered_bytes(transport) // 1024,
                )
                transport.abortConnection()
            return
        original(self, content, binary)

    server_send.bounded = True  # type: ignore[attr-defined]
    WebSocketProtocol.serverSend = server_send
