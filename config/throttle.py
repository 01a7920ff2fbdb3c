"""Counting failures per key in the cache, to slow down guessing (logins, join codes).

The cache is shared by every server process in scaled mode (Redis), and local to the one
process in embedded mode, which is then the only one.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Throttle:
    scope: str
    max_failures: int
    window_seconds: int

    def _key(self, ident: str) -> str:
        return f"throttle:{self.scope}:{ident}"

    def is_blocked(self, ident: str) -> bool:
        return int(cache.get(self._key(ident), 0)) >= self.max_failures

    def fail(self, ident: str) -> None:
        key = self._key(ident)
        # add() starts the window only once; incr() keeps its original expiry.
        if not cache.add(key, 1, self.window_seconds):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, self.window_seconds)

    def reset(self, ident: str) -> None:
        cache.delete(self._key(ident))


def client_address(request: HttpRequest) -> str:
    """The peer address as the server saw it (a proxy in front must set REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
