"""Where phones reach the laptop (config/room.py, issue 13): the address every join page,
QR code and email uses, what `make run` prints, and what stops the start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from config import room
from config.room import Address

ROOT = Path(__file__).resolve().parents[2]
WIFI = Address("192.168.1.20", "wlan0", False)
CABLE = Address("10.0.0.7", "eth0", False)
DOCKER = Address("172.17.0.1", "docker0", True)


def _embedded(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py as `make run` starts it on a laptop: no DATABASE_URL, no REDIS_URL."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "SITE_URL", "ROOM_ADDRESS", "BIND_HOST"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _request(host: str = "127.0.0.1:8000", session: dict | None = None):
    request = RequestFactory().get("/", HTTP_HOST=host)
    request.session = session if session is not None else {}
    return request


# --- the pieces -------------------------------------------------------------------------------


def test_public_url_must_be_an_absolute_http_address():
    assert room.parse_public_url("https://puente.example.com/") == "https://puente.example.com"
    assert room.parse_public_url("http://10.0.0.2:8000") == "http://10.0.0.2:8000"
    assert room.parse_public_url("") == ""
    for bad in ("puente.example.com", "ftp://x", "https://", "https://x/?a=1", "http://x:port"):
        with pytest.raises(ImproperlyConfigured, match="no es una dirección válida|puerto"):
            room.parse_public_url(bad)


def test_an_address_the_laptop_does_not_have_is_refused():
    assert room.choose_address([WIFI, CABLE], "") == "192.168.1.20"
    assert room.choose_address([WIFI, CABLE], "10.0.0.7") == "10.0.0.7"
    assert room.choose_address([], "") == ""
    # Only a container's bridge: nothing phones can reach, so nothing chosen (and a warning);
    # named explicitly, it is taken.
    assert room.choose_address([DOCKER], "") == ""
    assert room.choose_address([DOCKER], "172.17.0.1") == "172.17.0.1"
    with pytest.raises(ImproperlyConfigured, match="no es una dirección de este computador"):
        room.choose_address([WIFI], "10.9.9.9")


def test_the_laptop_lists_reachable_addresses_best_first(monkeypatch):
    class Ip:
        def __init__(self, ip):
            self.ip = ip

    class Adapter:
        def __init__(self, name, *ips):
            self.name = self.nice_name = name
            self.ips = [Ip(ip) for ip in ips]

    monkeypatch.setattr(
        room.ifaddr,
        "get_adapters",
        lambda: [
            Adapter("lo", "127.0.0.1", ("::1", 0, 0)),
            Adapter("docker0", "172.17.0.1"),
            Adapter("eth9", "203.0.113.5", "169.254.3.3"),
            Adapter("wlan0", "192.168.1.20", ("fe80::1", 0, 2)),
        ],
    )
    found = room.laptop_addresses()
    # A private Wi-Fi address first, a public one next, a container's bridge last; never
    # loopback, link-local or IPv6.
    assert [address.ip for address in found] == ["192.168.1.20", "203.0.113.5", "172.17.0.1"]
    assert found[-1].virtual


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost:8000", True),
        ("127.0.0.1", True),
        ("127.1.2.3:80", True),
        ("[::1]:8000", True),
        ("app.localhost", True),
        ("192.168.1.20:8000", False),
        ("puente.example.com", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert room.is_loopback_host(host) is loopback


# --- the address phones get, whatever the facilitator's browser used ------------------------


@override_settings(
    PUBLIC_URL="",
    ROOM_ADDRESSES=[WIFI, CABLE],
    ROOM_ADDRESS="192.168.1.20",
    ALLOWED_HOSTS=["localhost", "127.0.0.1", "192.168.1.20", "10.0.0.7"],
)
def test_a_browser_on_loopback_still_sends_phones_to_the_laptop_address():
    status = room.room_status(_request("127.0.0.1:8123"))
    assert status.base_url == "http://192.168.1.20:8123"
    assert status.reachable and not status.hosted
    # The facilitator's choice (kept in the browser's session) wins, if it is still ours.
    chosen = room.room_status(_request("localhost:8123", {room.SESSION_KEY: "10.0.0.7"}))
    assert chosen.base_url == "http://10.0.0.7:8123"
    stale = room.room_status(_request("localhost:8123", {room.SESSION_KEY: "10.1.1.1"}))
    assert stale.base_url == "http://192.168.1.20:8123"
    # A browser already on one of the laptop's addresses keeps it.
    assert room.public_base_url(_request("10.0.0.7:8123")) == "http://10.0.0.7:8123"


@override_settings(PUBLIC_URL="https://puente.example.com", ROOM_ADDRESSES=[WIFI])
def test_public_url_overrides_everything():
    status = room.room_status(_request("127.0.0.1:8000"))
    assert status.base_url == "https://puente.example.com" and status.hosted
    assert room.public_url(_request(), "/unirse/") == "https://puente.example.com/unirse/"


@override_settings(PUBLIC_URL="", ROOM_ADDRESSES=[], ROOM_ADDRESS="", BIND_HOST="0.0.0.0")
def test_only_loopback_is_not_reachable():
    status = room.room_status(_request("127.0.0.1:8000"))
    assert status.base_url == "http://127.0.0.1:8000"
    assert not status.reachable and not status.private


# --- start-up ---------------------------------------------------------------------------------


def test_make_run_allows_and_prints_the_laptop_address():
    printed = _embedded("serve_room", "--print-only", BIND_HOST="0.0.0.0", PORT="8123")
    assert printed.returncode == 0, printed.stderr
    first = room.laptop_addresses()
    if not first:
        pytest.fail("this machine has no network address besides loopback")
    assert f"Los participantes entran en:  http://{first[0].ip}:8123/unirse/" in printed.stdout
    assert "█" in printed.stdout  # the QR code, drawn in the terminal
    settings = _embedded(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS,"
        " s.SITE_URL)",
        BIND_HOST="0.0.0.0",
        PORT="8123",
    )
    assert f"'{first[0].ip}'" in settings.stdout
    assert f"'http://{first[0].ip}:8123'" in settings.stdout
    assert settings.stdout.strip().endswith(f"http://{first[0].ip}:8123")  # emails' links


def test_host_loopback_keeps_it_private_and_says_so():
    printed = _embedded("serve_room", "--print-only", BIND_HOST="127.0.0.1")
    assert printed.returncode == 0, printed.stderr
    assert "http://localhost:8000/unirse/" in printed.stdout
    assert "solo acepta conexiones desde este computador" in printed.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PUBLIC_URL": "puente.example.com"}, "PUBLIC_URL='puente.example.com' no es una"),
        ({"SITE_URL": "ftp://x"}, "no es una dirección válida"),
        (
            {"BIND_HOST": "0.0.0.0", "ROOM_ADDRESS": "198.51.100.77"},
            "ROOM_ADDRESS='198.51.100.77' no es una dirección de este computador",
        ),
    ],
)
def test_a_bad_address_stops_the_start_up_with_a_message(env, message):
    result = _embedded("serve_room", "--print-only", **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@override_settings(
    PUBLIC_URL="",
    ROOM_ADDRESSES=[WIFI],
    ROOM_ADDRESS="192.168.1.20",
    ALLOWED_HOSTS=["localhost"],
)
def test_a_malformed_port_in_the_host_falls_back_to_the_servers():
    request = RequestFactory().get("/", HTTP_HOST="localhost:99999", SERVER_PORT="8000")
    request.session = {}
    assert room.public_base_url(request) == "http://192.168.1.20:8000"


# --- which start-up is the laptop's ------------------------------------------------------------


@pytest.mark.parametrize(
    ("database_url", "redis_url", "embedded"),
    [
        ("", "", True),
        ("sqlite:////home/lili/puente.sqlite3", "", True),
        ("SQLite:///var/puente.sqlite3", "", True),
        ("postgresql://puente@db/puente", "", False),
        ("postgres://puente@db/puente", "redis://cache:6379/0", False),
        ("sqlite:////home/lili/puente.sqlite3", "redis://127.0.0.1:6379/0", False),
        ("", "redis://127.0.0.1:6379/0", False),
    ],
)
def test_a_sqlite_database_url_is_still_the_laptop(database_url, redis_url, embedded):
    assert room.is_embedded(database_url, redis_url) is embedded


def test_a_laptop_with_a_sqlite_database_url_still_finds_its_addresses(tmp_path):
    first = room.laptop_addresses()
    if not first:
        pytest.fail("this machine has no network address besides loopback")
    show = (
        "from django.conf import settings as s; "
        "print(s.ROOM_ADDRESS, s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS)"
    )
    sqlite = f"sqlite:///{tmp_path / 'puente.sqlite3'}"
    laptop = _embedded("shell", "-c", show, DATABASE_URL=sqlite, BIND_HOST="0.0.0.0", PORT="8123")
    assert laptop.returncode == 0, laptop.stderr
    assert laptop.stdout.strip().splitlines()[-1].startswith(f"{first[0].ip} ")
    assert f"'http://{first[0].ip}:8123'" in laptop.stdout
    # PUBLIC_URL (or SITE_URL) names the address: nothing is guessed.
    named = _embedded(
        "shell",
        "-c",
        show,
        DATABASE_URL=sqlite,
        BIND_HOST="0.0.0.0",
        SITE_URL="https://puente.example.com",
    )
    assert named.returncode == 0, named.stderr
    assert first[0].ip not in named.stdout
    # Redis means several processes behind one address: the machine's own are not the room's.
    scaled = _embedded(
        "shell",
        "-c",
        show,
        DATABASE_URL=sqlite,
        REDIS_URL="redis://127.0.0.1:6379/0",
        BIND_HOST="0.0.0.0",
    )
    assert scaled.returncode == 0, scaled.stderr
    assert first[0].ip not in scaled.stdout
