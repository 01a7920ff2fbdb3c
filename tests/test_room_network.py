"""The room at its real network (issue 13): what `make run` prints reaches a phone on another
host. The test makes that host itself: a network namespace joined to this one by a veth pair
(Debian's iproute2; `make browser` installs it), with no other route, so the phone's traffic
stays between the two ends of the pair. The server is the one `make run` starts
(`manage.py serve_room`, embedded mode, listening on every address) on a fresh database; the
phone stand-in (tests/room_phone.py) opens the printed address, types the code, joins and
follows the facilitator's next block live."""

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import segno

from tests.servers import free_port, stop

ROOT = Path(__file__).resolve().parents[1]
SETUP = """
import datetime
from facilitation import services
from workshops.models import Workshop
from workshops.services import (
    member_create, organisation_create, workshop_create, workshop_set_status,
)
organisation = organisation_create(name="Aceros del Valle")
lili = member_create(
    organisation=organisation, username="lili", password="una-clave-larga-42",
    first_name="Lili", last_name="Restrepo", is_facilitator=True, is_manager=False,
)
workshop = workshop_create(
    organisation=organisation, facilitator=lili.user, title="Sincronizar áreas",
    purpose="Perdimos un pedido", date=datetime.date(2026, 12, 7),
    start_time=datetime.time(8, 0), invited={a: 4 for a in organisation.areas.all()},
    template="tres-horas",
)
workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
live = services.live_start(workshop=workshop)
blocks = list(workshop.blocks.order_by("position", "id"))
print("SETUP", live.pk, live.display_code, blocks[1].pk, blocks[1].title, sep="|")
"""


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=check)


@pytest.fixture
def phone_host():
    """A second host: namespace + veth pair, addresses on a /30, nothing else routed."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.fail("this test needs root and Debian's iproute2 (`make browser` installs it)")
    pid = os.getpid()
    namespace, laptop_end, phone_end = f"puente-{pid}", f"ptl{pid % 10**9}", f"ptp{pid % 10**9}"
    subnet = (pid >> 6) & 0xFF, (pid & 0x3F) << 2
    laptop_ip = f"10.231.{subnet[0]}.{subnet[1] + 1}"
    phone_ip = f"10.231.{subnet[0]}.{subnet[1] + 2}"
    _run("ip", "netns", "del", namespace, check=False)
    _run("ip", "link", "del", laptop_end, check=False)
    try:
        _run("ip", "netns", "add", namespace)
        _run("ip", "link", "add", laptop_end, "type", "veth", "peer", "name", phone_end)
        _run("ip", "link", "set", phone_end, "netns", namespace)
        _run("ip", "addr", "add", f"{laptop_ip}/30", "dev", laptop_end)
        _run("ip", "link", "set", laptop_end, "up")
        inside = ("ip", "netns", "exec", namespace)
        _run(*inside, "ip", "addr", "add", f"{phone_ip}/30", "dev", phone_end)
        _run(*inside, "ip", "link", "set", phone_end, "up")
        _run(*inside, "ip", "link", "set", "lo", "up")
        yield {"namespace": namespace, "laptop_ip": laptop_ip, "phone_ip": phone_ip}
    finally:
        _run("ip", "netns", "del", namespace, check=False)  # takes both ends of the pair
        _run("ip", "link", "del", laptop_end, check=False)
    assert namespace not in _run("ip", "netns", "list").stdout


def _embedded_env(var_dir: str, **extra: str) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "SITE_URL", "ROOM_ADDRESS", "BIND_HOST"}
    env = {k: v for k, v in os.environ.items() if k not in drop | {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(PUENTE_VAR_DIR=var_dir, SQLITE_PATH=str(Path(var_dir) / "room.sqlite3"), **extra)
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`make run`'s last step; returns the process and everything it printed before daphne."""
    out = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve_room"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while "Ctrl+C" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"serve_room did not start: {log.read_text()}")
        time.sleep(0.1)
    return process, log.read_text()


def _wait_for(host: str, port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"daphne did not listen on {host}:{port}: {log.read_text()}")
            time.sleep(0.1)


def _facilitator_goes_to(port: int, live_id: int, block_id: int) -> None:
    """The facilitator's laptop, on loopback as its browser would be."""
    base = f"http://127.0.0.1:{port}"
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token() -> str:
        return next(c.value for c in jar if c.name == "csrftoken")

    opener.open(f"{base}/entrar/", timeout=20).read()
    fields = {"csrfmiddlewaretoken": token(), "username": "lili", "password": "una-clave-larga-42"}
    opener.open(f"{base}/entrar/", urlencode(fields).encode(), timeout=20).read()
    room = opener.open(f"{base}/en-vivo/{live_id}/", timeout=20).read().decode()
    assert "Sala de control" in room
    fields = {"csrfmiddlewaretoken": token(), "block": str(block_id)}
    opener.open(f"{base}/en-vivo/{live_id}/goto/", urlencode(fields).encode(), timeout=20).read()


def test_a_phone_on_another_host_joins_with_what_make_run_prints(phone_host):
    namespace, laptop_ip = phone_host["namespace"], phone_host["laptop_ip"]
    inside = ["ip", "netns", "exec", namespace]
    routes = _run(*inside, "ip", "-4", "route").stdout
    assert "default" not in routes and routes.count("\n") == 1, routes  # only the pair's /30

    with tempfile.TemporaryDirectory() as var_dir:
        port = free_port()
        env = _embedded_env(var_dir, BIND_HOST="0.0.0.0", PORT=str(port))
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "load_library")
        setup = _manage(env, "shell", "-c", SETUP)
        _, live_id, code, block_id, title = next(
            line for line in setup.splitlines() if line.startswith("SETUP|")
        ).split("|")

        log = Path(var_dir) / "serve_room.log"
        process, printed = _serve(env, log)
        try:
            join_url = re.search(r"Los participantes entran en:\s+(\S+)", printed).group(1)
            if urlsplit(join_url).hostname != laptop_ip:
                # This machine has another LAN address, ranked first: the facilitator picks
                # the room's network, as the printed note says.
                assert "varias direcciones" in printed, printed
                stop(process)
                env["ROOM_ADDRESS"] = laptop_ip
                process, printed = _serve(env, log)
                join_url = re.search(r"Los participantes entran en:\s+(\S+)", printed).group(1)
            assert join_url == f"http://{laptop_ip}:{port}/unirse/"
            drawn = io.StringIO()
            segno.make(join_url, error="m").terminal(out=drawn, compact=True)
            assert drawn.getvalue() in printed  # the terminal's QR code is that address
            _wait_for(laptop_ip, port, process, log)

            # The loopback address the facilitator's browser uses is not reachable from there.
            unreachable = _run(
                *inside,
                sys.executable,
                "-c",
                f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)",
                check=False,
            )
            assert unreachable.returncode != 0

            phone = subprocess.Popen(
                [
                    *inside,
                    sys.executable,
                    str(ROOT / "tests" / "room_phone.py"),
                    join_url,
                    code,
                    title,
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            steps = []
            try:
                for line in phone.stdout:
                    steps.append(json.loads(line))
                    if steps[-1]["step"] == "socket":
                        _facilitator_goes_to(port, int(live_id), int(block_id))
                    if steps[-1]["step"] in {"live", "timeout"}:
                        break
                phone.wait(timeout=30)
            finally:
                if phone.poll() is None:
                    phone.kill()
            assert phone.returncode == 0, f"{steps}\n{phone.stderr.read()}\n{log.read_text()}"
            pages = [step for step in steps if step["step"] == "http"]
            assert all(urlsplit(step["url"]).hostname == laptop_ip for step in pages)
            assert pages[-1]["url"].startswith(f"http://{laptop_ip}:{port}/p/")
            assert steps[-1] == {"step": "live", "saw": title}
        finally:
            stop(process)
        assert "Traceback" not in log.read_text()
