"""Where the phones in the room reach this server (issue 13).

On a facilitator's laptop (the embedded mode) daphne listens on every address (`make run`,
`HOST=0.0.0.0`), and the address phones should use is one of the laptop's own network
addresses: never the loopback one the facilitator's browser may use (`127.0.0.1` in a QR
code sends every phone to itself). A hosted deployment names its address with `PUBLIC_URL`
(or the older `SITE_URL`) and none of this guessing happens.

The settings read the laptop's addresses once, at start-up, to allow them (ALLOWED_HOSTS,
CSRF origins); `public_base_url` builds every join address, QR code and emailed link from
them; `room_status` tells the control room what to warn about.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import ifaddr
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.conf import LazySettings
    from django.http import HttpRequest

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
# Interfaces that other machines in the room cannot reach: containers, virtual machines,
# VPN tunnels. Their addresses are listed last and never chosen while another exists.
VIRTUAL_PREFIXES = (
    "docker",
    "podman",
    "cni",
    "lxcbr",
    "lxdbr",
    "vethernet",
    "br-",
    "veth",
    "virbr",
    "vmnet",
    "vboxnet",
    "tun",
    "tap",
    "utun",
    "wg",
    "zt",
    "tailscale",
    "awdl",
    "llw",
)
# The session key where the facilitator's choice among several addresses is kept (the
# projector opened from the same browser shares it).
SESSION_KEY = "room_address"


@dataclass(frozen=True)
class Address:
    ip: str
    interface: str
    virtual: bool


# A venue's Wi-Fi or a phone's hotspot hands out private addresses (RFC 1918).
LAN_NETWORKS = tuple(
    ipaddress.IPv4Network(net) for net in ("192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12")
)


def _rank(address: Address) -> tuple[int, int]:
    ip = ipaddress.IPv4Address(address.ip)
    return (1 if address.virtual else 0, 0 if any(ip in net for net in LAN_NETWORKS) else 1)


def laptop_addresses() -> list[Address]:
    """This machine's IPv4 addresses that another device could reach, best first."""
    found: dict[str, Address] = {}
    for adapter in ifaddr.get_adapters():
        name = str(adapter.nice_name or adapter.name)
        virtual = name.lower().startswith(VIRTUAL_PREFIXES)
        for entry in adapter.ips:
            if not isinstance(entry.ip, str):
                continue  # IPv6: phones on a room's Wi-Fi use IPv4
            ip = ipaddress.IPv4Address(entry.ip)
            if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
                continue
            found.setdefault(entry.ip, Address(entry.ip, name, virtual))
    return sorted(found.values(), key=_rank)


def is_loopback_host(host: str) -> bool:
    hostname = host.lower()
    if hostname.startswith("["):
        hostname = hostname[1 : hostname.find("]")] if "]" in hostname else hostname
    elif hostname.count(":") == 1:
        hostname = hostname.split(":", 1)[0]
    if hostname in LOOPBACK_NAMES or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def parse_public_url(raw: str, *, name: str = "PUBLIC_URL") -> str:
    """An absolute http(s) address without a query, or an error that stops the start-up."""
    if not raw:
        return ""
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name}={raw!r} no es una dirección válida: escribe una dirección completa que "
            "empiece con http:// o https://, por ejemplo https://puente.miempresa.com "
            f"({name} must be an absolute http(s) URL)."
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} tiene un puerto que no es un número ({name} has a bad port)."
        ) from None
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def choose_address(addresses: list[Address], wanted: str) -> str:
    """ROOM_ADDRESS when set (it must be one of this laptop's), else the best one, else "".
    A container's or VPN's address alone is never chosen by itself: phones cannot reach it,
    and "" makes the control room and `make run` say so."""
    ips = [address.ip for address in addresses]
    if wanted:
        if wanted not in ips:
            listed = ", ".join(ips) or "ninguna (solo 127.0.0.1)"
            raise ImproperlyConfigured(
                f"ROOM_ADDRESS={wanted!r} no es una dirección de este computador. Sus "
                f"direcciones son: {listed} (ROOM_ADDRESS must be one of this machine's)."
            )
        return wanted
    real = [address.ip for address in addresses if not address.virtual]
    return real[0] if real else ""


def is_embedded(database_url: str, redis_url: str) -> bool:
    """Whether this is the laptop's embedded mode: one daphne process on SQLite with the
    in-memory channel layer. A DATABASE_URL naming a SQLite file (sqlite:///…) is still the
    laptop, only with its database elsewhere; a REDIS_URL means several processes behind
    one address (the scaled mode), where the machine's own addresses are not the room's."""
    if redis_url:
        return False
    return not database_url or urlsplit(database_url).scheme == "sqlite"


def room_origins(ips: list[str], port: int) -> list[str]:
    suffix = "" if port == 80 else f":{port}"
    return [f"http://{ip}{suffix}" for ip in ips]


@dataclass(frozen=True)
class RoomStatus:
    base_url: str  # where phones are sent: join address, QR codes, emailed links
    hosted: bool  # PUBLIC_URL names it; nothing to warn about
    reachable: bool  # not a loopback address
    private: bool  # the server listens on loopback only (HOST=127.0.0.1)
    chosen: str  # the laptop address in use, "" when none
    addresses: list[Address]  # the laptop's reachable addresses (several: a choice)


def _settings() -> LazySettings:
    from django.conf import settings

    return settings


def _chosen(request: HttpRequest) -> str:
    settings = _settings()
    ips = [address.ip for address in settings.ROOM_ADDRESSES]
    picked = request.session.get(SESSION_KEY, "") if hasattr(request, "session") else ""
    if picked in ips:
        return picked
    host = request.get_host()
    hostname = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if hostname in ips:
        return hostname
    return settings.ROOM_ADDRESS


def room_status(request: HttpRequest) -> RoomStatus:
    settings = _settings()
    if settings.PUBLIC_URL:
        return RoomStatus(settings.PUBLIC_URL, True, True, False, "", [])
    host = request.get_host()
    addresses = list(settings.ROOM_ADDRESSES)
    chosen = _chosen(request)
    if chosen:
        # The port the browser used (its Host header), which is daphne's; a malformed one
        # (Django's host check lets «:99999» through) falls back to the server's own.
        try:
            port = urlsplit(f"//{host}").port or request.get_port()
        except ValueError:
            port = request.get_port()
        suffix = "" if str(port) == "80" else f":{port}"
        base_url = f"http://{chosen}{suffix}"
    else:
        # The browser's own address: a name the laptop answers to, or loopback (warned).
        base_url = f"{request.scheme}://{host}"
    return RoomStatus(
        base_url=base_url,
        hosted=False,
        reachable=not is_loopback_host(urlsplit(base_url).netloc),
        private=is_loopback_host(settings.BIND_HOST),
        chosen=chosen,
        addresses=addresses,
    )


def public_base_url(request: HttpRequest) -> str:
    return room_status(request).base_url


def public_url(request: HttpRequest, path: str) -> str:
    return public_base_url(request) + path
