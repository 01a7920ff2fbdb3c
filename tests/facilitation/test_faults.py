"""Faults of the live layer, with a few dozen simulated phones (tests/wsclient.Phone does what
static/js/live.js does) against real daphne processes.

Every test here uses a PostgreSQL and a Redis that this module starts itself on free loopback
ports, with a schema made by `manage.py migrate`; never the machine's shared 5432/6379 and
never pytest's test database, so they run the same in the embedded and the scaled CI run.
The data of each test is made by a process of its own (faults_data.py).

The invariant checked after each fault: every contribution a phone saw acknowledged with
ok:true is in the database exactly once (no text is stored twice, acknowledged or not), every
phone's outbox empties, and every connected phone shows what a fresh snapshot shows.

Bounded: every wait has a deadline, every phone and server is stopped at the end; loopback
only. PUENTE_FAULTS_SILENCE (default 60 s, at least 45 s: the phone's heartbeat is the
live.js one, a ping every 10 s and 25 s of silence, so it notices within 35-45 s) sets how
long the proxy of the silent-connection test stops forwarding.
"""

import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.servers import ROOT, Postgres, free_port, start_daphne, start_redis, stop
from tests.wsclient import (
    AsyncWebSocket,
    Laptop,
    Phone,
    Proxy,
    WebSocket,
    fresh_snapshot,
)

pytestmark = pytest.mark.faults

PHONES = 24
BURST = 2  # contributions per phone in a burst (a person may send 6 a minute)
SILENCE = float(os.environ.get("PUENTE_FAULTS_SILENCE", "60"))


# --- the stack: PostgreSQL, Redis and daphne processes of these tests' own ------------------


class Stack:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="puente-faults-"))
        for old in settings.VAR_DIR.glob("faults-*.log"):
            old.unlink()
        self.pg = Postgres(free_port())
        self.pg.start()
        self.redis_port = free_port()
        self.redis: subprocess.Popen | None = None
        self.logs: list = []
        self.start_redis()
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        self.env.update(
            DATABASE_URL=self.pg.url,
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            SECRET_KEY=secrets.token_urlsafe(40),
            PUENTE_VAR_DIR=str(self.dir),
            DJANGO_SETTINGS_MODULE="config.settings",
            LOG_LEVEL="WARNING",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=120,
        )

    def _log(self, name: str) -> tuple:
        path = settings.VAR_DIR / f"faults-{name}.log"
        self.logs.append(path.open("a"))
        return self.logs[-1], path

    def start_redis(self) -> None:
        log, path = self._log("redis")
        self.redis = start_redis(self.redis_port, log, path)

    def restart_redis(self) -> None:
        assert self.redis is not None
        stop(self.redis)
        self.start_redis()

    def daphne(self, name: str, port: int) -> subprocess.Popen:
        log, path = self._log(f"daphne-{name}")
        return start_daphne(port, self.env, log, path)

    def live(self, tag: str, phones: int) -> dict:
        """A live session on its area round with `phones` joined participants."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.facilitation.faults_data", tag, str(phones)],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def query(self, sql: str, params: tuple) -> list[tuple]:
        with psycopg.connect(
            host="127.0.0.1", port=self.pg.port, user="postgres", dbname="postgres"
        ) as conn:
            return conn.execute(sql, params).fetchall()

    def stored(self, live_id: int) -> Counter:
        """Contribution texts in the database, with how often each is stored."""
        rows = self.query(
            "SELECT text, count(*) FROM facilitation_contribution WHERE live_id = %s GROUP BY text",
            (live_id,),
        )
        return Counter(dict(rows))

    def seq(self, live_id: int) -> int:
        return self.query("SELECT seq FROM facilitation_livesession WHERE id = %s", (live_id,))[0][
            0
        ]

    def close(self) -> None:
        if self.redis is not None:
            stop(self.redis)
        self.pg.destroy()
        for log in self.logs:
            log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    made = Stack()
    try:
        yield made
    finally:
        made.close()


class Servers:
    """The daphne processes of one test; all stopped at its end."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, port: int) -> subprocess.Popen:
        process = self.stack.daphne(name, port)
        self.processes.append(process)
        return process


@pytest.fixture
def servers(stack) -> Iterator[Servers]:
    made = Servers(stack)
    try:
        yield made
    finally:
        for process in made.processes:
            stop(process)


@pytest.fixture
def phones_stopped() -> Iterator[list[Phone]]:
    """Every phone a test makes goes here and is stopped at its end."""
    made: list[Phone] = []
    yield made
    for phone in made:
        phone.stopped = True
        if phone.ws is not None:
            phone.ws.abort()


# --- helpers ---------------------------------------------------------------------------------


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait until `predicate()` holds; the seconds it took. Fails after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def make_phones(data: dict, ports: list[int], keep: list[Phone]) -> list[Phone]:
    path = f"/ws/en-vivo/{data['token']}/"
    phones = [
        Phone(f"p{i}", ports[i % len(ports)], path, person["cookie"])
        for i, person in enumerate(data["participants"])
    ]
    keep.extend(phones)
    for phone in phones:
        phone.start()
    return phones


async def stop_phones(phones: list[Phone]) -> None:
    await asyncio.gather(*(phone.stop() for phone in phones))


async def burst(phones: list[Phone], block: int, tag: str, count: int = BURST) -> None:
    """Each phone writes `count` contributions, 0.1-0.5 s apart."""

    async def one(phone: Phone) -> None:
        for j in range(count):
            phone.contribute(f"{tag} {phone.name} aporte {len(phone.texts) + 1}.{j}", block)
            await asyncio.sleep(random.uniform(0.1, 0.5))

    await asyncio.gather(*(one(phone) for phone in phones))


async def all_online(phones: list[Phone], timeout: float) -> float:
    return await until(
        lambda: all(p.online.is_set() for p in phones), timeout, "every phone online"
    )


async def drained(phones: list[Phone], timeout: float) -> float:
    return await until(
        lambda: all(not p.outbox for p in phones), timeout, "every outbox acknowledged"
    )


def assert_stored_once(stack: Stack, live_id: int, phones: list[Phone]) -> int:
    stored = stack.stored(live_id)
    doubled = {text: n for text, n in stored.items() if n != 1}
    assert not doubled, f"stored more than once: {doubled}"
    acked = [p.texts[key] for p in phones for key in p.ok_keys]
    missing = [text for text in acked if stored[text] != 1]
    assert not missing, f"acknowledged with ok:true but not in the database: {missing}"
    refused = {p.name: p.errors for p in phones if any(not ok for ok in p.acks.values())}
    assert not refused, f"refused (ok:false): {refused}"
    written = [text for p in phones for text in p.texts.values()]
    assert sorted(written) == sorted(acked), "a written contribution was never acknowledged"
    return len(acked)


async def assert_converged(
    phones: list[Phone], port: int, data: dict, timeout: float = 20
) -> float:
    """Every phone's last #stage/#wall equals a fresh snapshot's (polled until `timeout`)."""
    path = f"/ws/en-vivo/{data['token']}/"
    cookie = data["participants"][0]["cookie"]
    start = time.monotonic()
    while True:
        await all_online(phones, timeout)
        seq, html = await fresh_snapshot(port, path, cookie)
        stale = [p.name for p in phones if p.stage != html]
        if not stale:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            seqs = {p.name: p.seq for p in phones if p.name in stale}
            raise AssertionError(f"screens differ from a fresh snapshot (seq {seq}): {seqs}")
        await asyncio.sleep(0.5)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# --- (a) the server process killed mid-burst -------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
async def test_server_killed_mid_burst_and_restarted(stack, servers, phones_stopped, sig):
    tag = f"kill-{sig.name}"
    data = await asyncio.to_thread(stack.live, tag, PHONES)
    port = free_port()
    process = await asyncio.to_thread(servers.start, "a", port)
    phones = make_phones(data, [port], phones_stopped)
    await all_online(phones, 20)

    sending = asyncio.create_task(burst(phones, data["block"], tag))
    # Mid-burst: once a quarter of it is acknowledged, with the rest written or in flight.
    total = len(phones) * BURST
    await until(lambda: sum(len(p.acks) for p in phones) >= total // 4, 30, "first acks")
    process.send_signal(sig)
    killed = time.monotonic()
    acked_before = sum(len(p.ok_keys) for p in phones)
    try:
        await asyncio.to_thread(process.wait, 15)
        hung = ""
    except subprocess.TimeoutExpired:
        # Seen mid-burst: daphne does not exit on TERM while writes and their broadcasts are
        # queued; a supervisor then kills it, and so do we (the phones must not care).
        process.kill()
        await asyncio.to_thread(process.wait, 10)
        hung = " (daphne ignored TERM for 15 s and was then killed)"
    await asyncio.sleep(1)
    await asyncio.to_thread(servers.start, "a", port)
    back = time.monotonic()
    await sending

    await all_online(phones, 35)
    # A phone may get in between the port opening and `back` being taken: count that as 0.
    reconnect = [max(0.0, min(t for t in p.opens if t >= killed) - back) for p in phones]
    assert max(reconnect) <= 30, f"reconnected after {max(reconnect):.1f} s"
    assert all(len(p.opens) >= 2 for p in phones)
    assert acked_before < total
    await drained(phones, 30)
    acked = assert_stored_once(stack, data["live"], phones)
    settle = await assert_converged(phones, port, data)
    print(
        f"{sig.name}: {acked_before} of {acked} acknowledged before the kill; reconnect after"
        f" return max {max(reconnect):.1f} s, median {statistics.median(reconnect):.1f} s;"
        f" converged {settle:.1f} s{hung}"
    )
    await stop_phones(phones)


# --- (b) Redis restarts under two daphne processes -------------------------------------------


async def test_redis_restart_under_two_processes(stack, servers, phones_stopped):
    tag = "redis"
    data = await asyncio.to_thread(stack.live, tag, PHONES)
    ports = [free_port(), free_port()]
    for name, port in zip("ab", ports, strict=True):
        await asyncio.to_thread(servers.start, name, port)
    phones = make_phones(data, ports, phones_stopped)
    await all_online(phones, 20)
    await burst(phones, data["block"], tag, count=1)
    await drained(phones, 20)
    await assert_converged(phones, ports[0], data)

    opens_before = {p.name: len(p.opens) for p in phones}
    await asyncio.to_thread(stack.restart_redis)
    restarted = time.monotonic()
    await asyncio.sleep(1)
    await all_online(phones, 30)
    dropped = sum(len(p.opens) > opens_before[p.name] for p in phones)

    # A facilitator action at once (through B) reaches every phone on both processes.
    laptop = Laptop(ports[1], data["facilitator"])
    await asyncio.to_thread(laptop.get, f"/en-vivo/{data['live']}/")
    await asyncio.to_thread(laptop.post, f"/en-vivo/{data['live']}/timer-adjust/", {"minutes": "5"})
    target = stack.seq(data["live"])
    first = await until(
        lambda: all((p.seq or 0) >= target for p in phones), 25, "first action after restart"
    )
    # After one heartbeat every consumer is in its groups again: the broadcast itself arrives.
    await asyncio.sleep(max(0, restarted + Phone.HEARTBEAT + 1 - time.monotonic()))
    await asyncio.to_thread(
        laptop.post, f"/en-vivo/{data['live']}/timer-adjust/", {"minutes": "-5"}
    )
    target = stack.seq(data["live"])
    second = await until(
        lambda: all(target in p.seq_seen for p in phones), 5, "the broadcast of a later action"
    )
    await burst(phones, data["block"], tag, count=1)
    await drained(phones, 20)
    assert_stored_once(stack, data["live"], phones)
    settle = await assert_converged(phones, ports[0], data)
    print(
        f"Redis restart: {dropped} of {len(phones)} sockets were closed and reconnected; first"
        f" action reached all in {first:.1f} s, a later broadcast in {second:.2f} s;"
        f" converged {settle:.1f} s"
    )
    await stop_phones(phones)


# --- (c) PostgreSQL restarts mid-burst -------------------------------------------------------


async def test_postgres_restart_mid_burst(stack, servers, phones_stopped):
    tag = "postgres"
    data = await asyncio.to_thread(stack.live, tag, PHONES)
    port = free_port()
    process = await asyncio.to_thread(servers.start, "a", port)
    phones = make_phones(data, [port], phones_stopped)
    await all_online(phones, 20)

    # Four writes a phone (five with the one after recovery: under the six a minute), so the
    # burst still runs when the stop takes effect on a loaded machine (CI once saw two
    # writes a phone finish before it).
    sending = asyncio.create_task(burst(phones, data["block"], tag, count=4))
    await asyncio.sleep(0.3)
    await asyncio.to_thread(stack.pg.stop, "fast")
    await asyncio.sleep(3)
    await asyncio.to_thread(stack.pg.start)
    await sending
    await drained(phones, 45)
    assert process.poll() is None, "daphne died"
    retries = sum(code == 3503 for p in phones for _, code in p.closes)
    assert retries > 0, "no write met the database restart"
    assert_stored_once(stack, data["live"], phones)

    # Recovered without a restart: new writes are acknowledged at once.
    started = time.monotonic()
    await burst(phones, data["block"], tag + "-after", count=1)
    await drained(phones, 15)
    after = time.monotonic() - started
    assert process.poll() is None
    acked = assert_stored_once(stack, data["live"], phones)
    settle = await assert_converged(phones, port, data)
    print(
        f"PostgreSQL restart: {retries} retry closes (3503); {acked} stored once;"
        f" a burst after recovery acknowledged in {after:.1f} s; converged {settle:.1f} s"
    )
    await stop_phones(phones)


# --- (d) a connection that goes silent without closing --------------------------------------


async def test_silent_connection_is_noticed_and_nothing_doubles(stack, servers, phones_stopped):
    tag = "silent"
    data = await asyncio.to_thread(stack.live, tag, 8)
    port = free_port()
    await asyncio.to_thread(servers.start, "a", port)
    proxy = Proxy(port)
    await proxy.start()
    try:
        phones = make_phones(data, [port], phones_stopped)
        victim = phones[0]
        victim.port = proxy.port  # this phone reaches daphne only through the proxy
        await all_online(phones, 20)
        await asyncio.sleep(random.uniform(0, Phone.HEARTBEAT))

        proxy.pause()
        paused = time.monotonic()
        victim.contribute(f"{tag} durante el silencio 1", data["block"])
        victim.contribute(f"{tag} durante el silencio 2", data["block"])
        noticed = await until(lambda: victim.silences > 0, SILENCE - 1, "silence noticed")
        victim.contribute(f"{tag} ya sin conexión", data["block"])
        await asyncio.sleep(max(0, paused + SILENCE - time.monotonic()))
        proxy.resume()
        resumed = time.monotonic()
        await drained(phones, 30)
        back = victim.opens[-1] - resumed
        await asyncio.sleep(2)  # what the old connection held reaches daphne too
        assert_stored_once(stack, data["live"], phones)
        assert len(victim.acks) == 3
        settle = await assert_converged(phones, port, data)
        print(
            f"silent {SILENCE:.0f} s: noticed after {noticed:.1f} s; reconnected"
            f" {back:.1f} s after forwarding resumed; converged {settle:.1f} s"
        )
        await stop_phones(phones)
    finally:
        await proxy.close()


# --- (e) the same submission five times at once ---------------------------------------------


async def test_same_submission_five_times_at_once_is_one_row(stack, servers):
    tag = "five"
    data = await asyncio.to_thread(stack.live, tag, 4)
    ports = [free_port(), free_port()]
    for name, port in zip("ab", ports, strict=True):
        await asyncio.to_thread(servers.start, name, port)
    path = f"/ws/en-vivo/{data['token']}/"

    async def five(person: dict, n: int) -> list[dict]:
        sockets = [
            await AsyncWebSocket.connect(ports[i % 2], path, person["cookie"]) for i in range(5)
        ]
        try:
            for ws in sockets:  # each socket's snapshot first
                async with asyncio.timeout(10):
                    while "seq" not in await ws.receive_json():
                        pass
            message = {
                "type": "contribute",
                "key": f"five-{n}",
                "text": f"{tag} una sola vez {n}",
                "block": data["block"],
            }
            await asyncio.gather(*(ws.send_json(message) for ws in sockets))

            async def ack(ws: AsyncWebSocket) -> dict:
                async with asyncio.timeout(10):
                    while True:
                        frame = await ws.receive_json()
                        if frame.get("ack") == message["key"]:
                            return frame

            return await asyncio.gather(*(ack(ws) for ws in sockets))
        finally:
            for ws in sockets:
                await ws.close()

    acks = await asyncio.gather(*(five(p, n) for n, p in enumerate(data["participants"])))
    stored = stack.stored(data["live"])
    for n, person_acks in enumerate(acks):
        assert [a["ok"] for a in person_acks] == [True] * 5, person_acks
        assert stored[f"{tag} una sola vez {n}"] == 1
    assert sum(stored.values()) == len(acks)


# --- (f) one phone that never reads ----------------------------------------------------------


async def test_a_phone_that_never_reads(stack, servers, phones_stopped):
    tag = "slow"
    data = await asyncio.to_thread(stack.live, tag, 21)
    port = free_port()
    process = await asyncio.to_thread(servers.start, "a", port)
    slow_person, others = data["participants"][0], {**data}
    others["participants"] = data["participants"][1:]
    phones = make_phones(others, [port], phones_stopped)
    await all_online(phones, 20)
    laptop = Laptop(port, data["facilitator"])
    await asyncio.to_thread(laptop.get, f"/en-vivo/{data['live']}/")
    action = f"/en-vivo/{data['live']}/timer-adjust/"
    direction = [1]

    async def broadcasts(n: int) -> list[float]:
        """n facilitator actions one after another; the last phone's latency of each."""
        latencies = []
        for _ in range(n):
            target = max(p.seq or 0 for p in phones) + 1
            direction[0] = -direction[0]
            started = time.monotonic()
            await asyncio.to_thread(laptop.post, action, {"minutes": str(direction[0])})
            await until(lambda t=target: all(t in p.seq_seen for p in phones), 10, "broadcast")
            latencies.append(max(p.seq_seen[target] for p in phones) - started)
        return latencies

    await broadcasts(5)  # warm-up
    baseline = await broadcasts(20)
    rss_before = rss_kb(process.pid)
    slow = await asyncio.to_thread(
        WebSocket, port, f"/ws/en-vivo/{data['token']}/", slow_person["cookie"], rcvbuf=4096
    )
    try:
        with_slow = await broadcasts(100)
        rss_after = rss_kb(process.pid)
    finally:
        slow.sock.close()
    baseline += await broadcasts(20)
    ratio = statistics.median(with_slow) / statistics.median(baseline)
    print(
        f"slow phone: RSS +{(rss_after - rss_before) / 1024:.1f} MB over 100 broadcasts;"
        f" last-phone latency median {statistics.median(with_slow) * 1000:.1f} ms against"
        f" {statistics.median(baseline) * 1000:.1f} ms without it (ratio {ratio:.2f})"
    )
    assert rss_after - rss_before < 50 * 1024
    # The slow reader must not hold the others back. The 1.2x figure is a number for
    # the benchmark (DEVELOPERS.md: numbers are measured by `make bench`, never by a timed
    # test); on this shared 2-core machine the median ratio was 1.00-1.27 across runs, and
    # 2.13 once while a benchmark ran beside the suite, so the test only guards against a
    # real stall, which shows as many times the baseline (each broadcast waits up to 10 s).
    assert ratio <= 3.0
    await assert_converged(phones, port, others)
    await stop_phones(phones)
