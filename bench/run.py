"""`make bench`: the live layer measured against a bare `websockets` server.

    python bench/run.py [--mode both|embedded|scaled] [--n N] [--soak 30m]

embedded: SQLite file in var/bench/, in-memory channel layer, one daphne (N=100 by default).
scaled:   PostgreSQL database puente_bench on 127.0.0.1:5432 (user postgres, created and
          dropped here), a throwaway Redis, two daphne processes behind nginx (N=500).

Every server is a child of this process on a loopback port, stopped at the end; every phase
is bounded in time. Results: printed, docs/bench/<mode>.json, and a run entry appended to
docs/performance.md. A benchmark, not a test: it fails only when it cannot measure.
"""

import argparse
import asyncio
import gzip
import importlib.metadata
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess  # noqa: S404 - the bench starts its servers
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from phones import AppPhone, Facilitator, HttpClient, Response, SeqBook, Waiter, WsPhone  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
DOCS = ROOT / "docs"
PY = sys.executable
JOIN_CONCURRENCY = 50
ACTIONS = ("next", "previous", "timer-adjust", "reveal")
ROUNDS = 3
# Scaled mode's daphne processes behind nginx (make bench PROCESSES=n). Four on this 2-core
# machine were slower than two in every figure (2026-11-30): the work is CPU-bound.
SCALED_PROCESSES = 2
ACTIONS_PER_ROUND = 15  # 45 actions per server in all (at least 40)
ACTION_TIMEOUT = 30.0
INTAKE_TIMEOUT = 180.0
INTAKE_BUDGET = 150.0  # no further intake round once the app's rounds took this long
MODE_DEADLINE = 40 * 60.0
PG_DB = "puente_bench"
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
CLK_TCK = os.sysconf("SC_CLK_TCK")
DEFAULT_N = {"embedded": 100, "scaled": 500}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(process: subprocess.Popen[bytes], port: int, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start on port {port}") from None
            time.sleep(0.1)


class Children:
    """Every process the bench starts; all stopped at the end, by pid."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log_file = (VAR / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        self.processes.append((name, process, log_file))
        return process

    def stop_all(self) -> None:
        for _name, process, _log in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for _name, process, log_file in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            log_file.close()
        self.processes.clear()


def run_checked(args: list[str], env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(  # noqa: S603
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def proc_children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_kb(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)
    return total / CLK_TCK


# --- statistics ----------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def figure(app: float | None, bare: float | None, unit: str) -> dict[str, Any]:
    ratio = round(app / bare, 2) if app is not None and bare else None
    return {"app": app, "bare": bare, "ratio": ratio, "unit": unit}


def marginal(before: int | None, after: int, count: int) -> float | None:
    return round((after - before) / count, 1) if before is not None and count > 0 else None


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 3) if present else None


# --- the servers under test ----------------------------------------------------------------


class Stack:
    """The application as production runs it, plus the bare server."""

    def __init__(self, mode: str, children: Children) -> None:
        self.mode = mode
        self.children = children
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        self.env.update(
            SECRET_KEY="bench-only-secret-key-" + "x" * 40,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            PUENTE_VAR_DIR=str(VAR),
            LOG_LEVEL="WARNING",
            DEBUG="0",
        )
        self.daphne_pids: list[int] = []
        self.extra_pids: list[int] = []  # nginx, redis: reported beside daphne
        self.base = ""
        self.bare_port = 0
        self.bare_pid = 0
        self.sqlite_path = VAR / "embedded.sqlite3"

    def prepare(self) -> None:
        if self.mode == "embedded":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
            self.env["SQLITE_PATH"] = str(self.sqlite_path)
        else:
            redis_port = free_port()
            redis = self.children.start(
                "redis",
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
                + ["--appendonly", "no", "--daemonize", "no", "--maxclients", "10000"],
                self.env,
            )
            wait_port(redis, redis_port, "redis-server")
            self.extra_pids.append(redis.pid)
            pg = {**self.env, "PGCONNECT_TIMEOUT": "10"}
            run_checked(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", PG_DB], pg)
            run_checked(["createdb", "-h", "127.0.0.1", "-U", "postgres", PG_DB], pg)
            static_root = VAR / "static"
            shutil.rmtree(static_root, ignore_errors=True)
            self.env.update(
                DATABASE_URL=PG_URL,
                REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
                SERVE_STATIC="0",
                STATIC_ROOT=str(static_root),
                DB_POOL_SIZE="8",
            )
            run_checked([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], self.env)
        log("migrating the bench database")
        run_checked([PY, "manage.py", "migrate", "--noinput", "-v", "0"], self.env)

    def setup_data(self) -> dict[str, Any]:
        out = run_checked([PY, "bench/djtool.py", "setup"], self.env)
        return json.loads(out.strip().splitlines()[-1])

    def counts(self, live_id: int) -> dict[str, int]:
        out = run_checked([PY, "bench/djtool.py", "counts", str(live_id)], self.env)
        return json.loads(out.strip().splitlines()[-1])

    def start_app(self) -> None:
        processes = 1 if self.mode == "embedded" else SCALED_PROCESSES
        ports = []
        for i in range(processes):
            port = free_port()
            args = [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            if self.mode == "scaled":
                args.append("--proxy-headers")
            process = self.children.start(
                f"daphne-{self.mode}-{i}", [*args, "config.asgi:application"], self.env
            )
            wait_port(process, port, "daphne")
            self.daphne_pids.append(process.pid)
            ports.append(port)
        if self.mode == "embedded":
            self.base = f"http://127.0.0.1:{ports[0]}"
            return
        nginx_port = free_port()
        prefix = VAR / "nginx"
        shutil.rmtree(prefix, ignore_errors=True)
        prefix.mkdir(parents=True)
        conf_path = prefix / "nginx.conf"
        # The production renderer (docs/deploy.md), so the benchmark runs the deployed config.
        run_checked(
            ["sh", "deploy/render-nginx.sh", "-p", str(prefix), "-l", str(nginx_port)]
            + ["-s", self.env["STATIC_ROOT"], "-o", str(conf_path)]
            + [str(p) for p in ports],
            self.env,
        )
        nginx = self.children.start(
            "nginx",
            ["nginx", "-p", str(prefix), "-c", str(conf_path), "-g", "daemon off;"],
            self.env,
        )
        wait_port(nginx, nginx_port, "nginx")
        self.extra_pids += [nginx.pid, *proc_children(nginx.pid)]
        self.base = f"http://127.0.0.1:{nginx_port}"

    def start_bare(self, compression: bool) -> None:
        self.bare_port = free_port()
        args = [PY, "bench/bare_server.py", str(self.bare_port)]
        if compression:
            args.append("--compression")
        process = self.children.start(f"bare-{self.mode}", args, self.env)
        wait_port(process, self.bare_port, "bare server")
        self.bare_pid = process.pid

    @property
    def ws_base(self) -> str:
        return self.base.replace("http://", "ws://")


# --- phases --------------------------------------------------------------------------------


async def settle(
    phones: Sequence[WsPhone], book: SeqBook, quiet: float = 1.0, limit: float = 120
) -> int:
    """Wait until every phone holds the same newest sequence number and nothing arrived for
    `quiet` seconds (or nothing arrived for 5 s: a lost frame will not come)."""
    deadline = time.perf_counter() + limit
    while True:
        target = max(p.max_seq for p in phones)
        idle = time.perf_counter() - book.last_frame_at
        if all(p.max_seq == target for p in phones) and idle > quiet:
            return target
        if idle > 5 or time.perf_counter() > deadline:
            return target
        await asyncio.sleep(0.1)


class Ledger:
    """Frames per phone over one phase. The application coalesces changes that come close
    together into one whole frame with the newest number, so a number nobody received was
    folded into a later frame, not lost. Lost: a number that some phone of the audience
    received and this phone did not, or a phone that did not end on the last number;
    duplicated: a number received twice; stale: older than one already shown. Numbers
    folded are reported as `coalesced_numbers` (always 0 for the bare server)."""

    def __init__(self, phones: Sequence[WsPhone], start: int) -> None:
        self.phones = phones
        self.start = start
        self.frames = {p.index: p.frames for p in phones}
        self.stale = {p.index: p.stale for p in phones}

    def close(self, end: int) -> dict[str, int]:
        numbers = range(self.start + 1, end + 1)
        sent = {n for n in numbers if any(p.seen[n] for p in self.phones)}
        missing = duplicated = stale = behind = 0
        for p in self.phones:
            missing += sum(1 for n in sent if p.seen[n] == 0)
            duplicated += sum(p.seen[n] - 1 for n in numbers if p.seen[n] > 1)
            stale += p.stale - self.stale[p.index]
            behind += 1 if end in sent and p.max_seq < end else 0
        return {
            "broadcasts": len(sent),
            "phones": len(self.phones),
            "missing_numbers": missing,
            "duplicated_numbers": duplicated,
            "frames_short": missing,
            "phones_not_on_last": behind,
            "coalesced_numbers": len(numbers) - len(sent),
            "stale_frames": stale,
        }


async def broadcast_round(
    phones: Sequence[WsPhone],
    book: SeqBook,
    trigger: Callable[[int], Awaitable[None]],
    start_seq: int,
    pids: Sequence[int],
    firsts: list[float],
) -> tuple[list[float | None], float, int]:
    """ACTIONS_PER_ROUND broadcasts, one at a time; each waits for the last phone (and notes
    when the first phone got it in `firsts`: the server's own delay, before the fan-out)."""
    latencies: list[float | None] = []
    seq = start_seq
    cpu_before = cpu_seconds(pids)
    for i in range(ACTIONS_PER_ROUND):
        waiter = Waiter(remaining=len(phones), after=seq)
        book.waiter = waiter
        started = time.perf_counter()
        await trigger(i)
        try:
            await asyncio.wait_for(waiter.event.wait(), ACTION_TIMEOUT)
            latencies.append(waiter.last - started)
            firsts.append(waiter.first - started)
        except TimeoutError:
            latencies.append(None)
        book.waiter = None
        seq = max(p.max_seq for p in phones)
        await asyncio.sleep(0.02)
    seq = await settle(phones, book, quiet=0.3)
    cpu = cpu_seconds(pids) - cpu_before
    return latencies, cpu, seq


async def intake_burst(
    phones: Sequence[WsPhone],
    book: SeqBook,
    payload: Callable[[WsPhone, str], dict[str, object]],
    tag: str,
) -> dict[str, Any]:
    """Every phone sends one message at once; acknowledgements timed per key."""
    book.acks.clear()
    book.ack_errors.clear()
    book.ack_event.clear()
    book.acks_expected = len(phones)
    sent: dict[str, float] = {}

    async def one(phone: WsPhone) -> None:
        key = f"{tag}-{phone.index}"
        sent[key] = time.perf_counter()
        await phone.send(payload(phone, key))

    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in phones))
    try:
        await asyncio.wait_for(book.ack_event.wait(), INTAKE_TIMEOUT)
    except TimeoutError:
        pass
    acks = dict(book.acks)
    latencies = [acks[k] - sent[k] for k in acks if k in sent]
    span = (max(acks.values()) - started) if acks else None
    return {
        "sent": len(sent),
        "acked": len(acks),
        "refused": len(book.ack_errors),
        "refusals": sorted(set(book.ack_errors.values()))[:3],
        "rate_per_s": round(len(acks) / span, 1) if span else None,
        "ack_p50_ms": ms(pct(latencies, 0.5)),
        "ack_p99_ms": ms(pct(latencies, 0.99)),
        "acked_keys": sorted(acks),
    }


async def page_weight(stack: Stack, token: str, phone0: AppPhone) -> dict[str, Any]:
    """What a phone downloads on its first visit (gzip accepted), split HTML/CSS/JS, and on
    its second (its browser cache kept)."""
    probe = HttpClient(stack.base)
    code_page = await probe.request("GET", "/unirse/")
    pages: dict[str, Response] = {"join_code_page": code_page, **phone0.pages}
    assets: dict[str, Response] = {}
    for response in pages.values():
        for src in re.findall(
            r'<(?:link[^>]*href|script[^>]*src)="(/static/[^"]+)"', response.text
        ):
            if src not in assets:
                assets[src] = await probe.request("GET", src)

    def kind(path: str) -> str:
        return "css" if path.endswith(".css") else "js" if path.endswith(".js") else "other"

    def entry(response: Response) -> dict[str, Any]:
        return {
            "status": response.status,
            "transferred": len(response.raw_body),
            "encoding": response.header("content-encoding") or "identity",
            "raw": len(response.body),
            "gzip_if_compressed": len(gzip.compress(response.body, 6)),
        }

    page_entries = {name: entry(r) for name, r in pages.items()}
    asset_entries = {path: {**entry(r), "kind": kind(path)} for path, r in assets.items()}
    first_visit_pages = ("join_form", "live")
    split = {"html": 0, "css": 0, "js": 0, "other": 0}
    split_gzip = {"html": 0, "css": 0, "js": 0, "other": 0}
    for name in first_visit_pages:
        split["html"] += page_entries[name]["transferred"]
        split_gzip["html"] += min(
            page_entries[name]["transferred"], page_entries[name]["gzip_if_compressed"]
        )
    for item in asset_entries.values():
        split[item["kind"]] += item["transferred"]
        split_gzip[item["kind"]] += min(item["transferred"], item["gzip_if_compressed"])
    # The second visit: the phone opens its link again. Static files go by hashed names cached
    # for good (immutable): only the page comes over the network again, and any static file
    # sent without `immutable`.
    again = await phone0.http.request("GET", f"/p/{token}/")
    refetched = [r for r in assets.values() if "immutable" not in r.header("cache-control")]
    second = {
        "html": len(again.raw_body),
        "static": sum(len(r.raw_body) for r in refetched),
        "static_refetched": len(refetched),
    }
    return {
        "pages": page_entries,
        "assets": asset_entries,
        "first_visit_transferred": {**split, "total": sum(split.values())},
        "first_visit_if_all_gzipped": {**split_gzip, "total": sum(split_gzip.values())},
        "second_visit_transferred": {**second, "total": second["html"] + second["static"]},
    }


async def run_mode(mode: str, n: int, soak: float, children: Children) -> dict[str, Any]:
    stack = Stack(mode, children)
    log(f"{mode}: preparing database")
    stack.prepare()
    info = stack.setup_data()
    stack.start_app()
    log(f"{mode}: app at {stack.base} (daphne pids {stack.daphne_pids})")
    live_id = int(info["live_id"])
    facilitator = Facilitator(stack.base, live_id)
    await facilitator.login(info["username"], info["password"])
    await facilitator.open_room()
    # Warm every process (first requests import templates, open DB connections).
    for _ in range(4 * len(stack.daphne_pids)):
        await HttpClient(stack.base).request("GET", f"/p/{info['qr_token']}/")

    # --- joining ---
    book = SeqBook()
    phones = [AppPhone(i, book, stack.base, stack.ws_base, info["qr_token"]) for i in range(n)]
    rss_before = rss_kb(stack.daphne_pids)
    semaphore = asyncio.Semaphore(JOIN_CONCURRENCY)

    joined_count = 0
    rss_mid: int | None = None

    async def join(phone: AppPhone) -> None:
        nonlocal joined_count, rss_mid
        async with semaphore:
            await phone.join("deflate", keep_pages=phone.index < JOIN_CONCURRENCY)
        joined_count += 1
        if joined_count == n // 2:
            # Memory per connection is read as the growth over the second half of the
            # joins: the first ones also grow the processes' thread and connection pools.
            rss_mid = rss_kb(stack.daphne_pids)

    log(f"{mode}: {n} phones joining, {JOIN_CONCURRENCY} at a time")
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(join(p) for p in phones), return_exceptions=True)
    join_wall = time.perf_counter() - started
    failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
    phones = [p for p, o in zip(phones, outcomes, strict=True) if not isinstance(o, BaseException)]
    if not phones:
        raise RuntimeError(f"no phone could join: {failures[:3]}")
    join_times = [p.join_seconds for p in phones]
    seq = await settle(phones, book, quiet=1.0)
    rss_after = rss_kb(stack.daphne_pids)
    extensions = (
        phones[0].ws.response.headers.get("Sec-WebSocket-Extensions", "")
        if phones[0].ws and phones[0].ws.response
        else ""
    )
    log(
        f"{mode}: joined {len(phones)}/{n} in {join_wall:.1f} s ({len(failures)} failed); "
        f"ws extensions: {extensions or 'none'}"
    )
    if failures:
        reasons: dict[str, int] = {}
        for failure in failures:
            reasons[failure[:120]] = reasons.get(failure[:120], 0) + 1
        log(f"{mode}: join failures: {reasons}")
    with_pages = next((p for p in phones if p.pages), None)
    if with_pages is None:
        raise RuntimeError("none of the first phones joined: no page weight")
    weight = await page_weight(stack, info["qr_token"], with_pages)

    # --- the bare server, same N, same compression as daphne negotiated ---
    compression = "permessage-deflate" in extensions
    stack.start_bare(compression)
    bare_book = SeqBook()
    bare_phones = [WsPhone(i, bare_book) for i in range(len(phones))]
    bare_rss_before = rss_kb([stack.bare_pid])
    bare_times: list[float] = []
    bare_rss_mid: int | None = None

    async def bare_join(phone: WsPhone) -> None:
        nonlocal bare_rss_mid
        async with semaphore:
            t0 = time.perf_counter()
            await phone.open(
                f"ws://127.0.0.1:{stack.bare_port}/ws/",
                stack.base,
                "",
                "deflate" if compression else None,
            )
            bare_times.append(time.perf_counter() - t0)
        if len(bare_times) == len(bare_phones) // 2:
            bare_rss_mid = rss_kb([stack.bare_pid])

    started = time.perf_counter()
    await asyncio.gather(*(bare_join(p) for p in bare_phones))
    bare_join_wall = time.perf_counter() - started
    await asyncio.sleep(0.5)
    bare_rss_after = rss_kb([stack.bare_pid])
    control = await connect(
        f"ws://127.0.0.1:{stack.bare_port}/control", compression=None, max_size=None
    )

    # --- broadcast latency and CPU, app and bare alternating ---
    payload_html = phones[0].last_html
    payload_bytes = len(
        json.dumps({"seq": seq, "html": payload_html}, separators=(",", ":")).encode()
    )
    bare_seq = 0
    app_lat: list[list[float | None]] = []
    app_first: list[float] = []
    bare_first: list[float] = []
    bare_lat: list[list[float | None]] = []
    app_cpu: list[float] = []
    bare_cpu: list[float] = []
    ledger = Ledger(phones, seq)
    bare_ledger = Ledger(bare_phones, bare_seq)
    action_index = 0

    async def app_trigger(_i: int) -> None:
        nonlocal action_index
        action = ACTIONS[action_index % len(ACTIONS)]
        fields = (
            {"minutes": "1" if (action_index // len(ACTIONS)) % 2 == 0 else "-1"}
            if action == "timer-adjust"
            else {}
        )
        action_index += 1
        await facilitator.action(action, **fields)

    async def bare_trigger(_i: int) -> None:
        await control.send(json.dumps({"cmd": "broadcast", "html": phones[0].last_html}))

    for r in range(ROUNDS):
        log(f"{mode}: broadcast round {r + 1}/{ROUNDS}: app")
        latencies, cpu, seq = await broadcast_round(
            phones, book, app_trigger, seq, stack.daphne_pids, app_first
        )
        app_lat.append(latencies)
        app_cpu.append(cpu)
        log(f"{mode}: broadcast round {r + 1}/{ROUNDS}: bare")
        latencies, cpu, bare_seq = await broadcast_round(
            bare_phones, bare_book, bare_trigger, bare_seq, [stack.bare_pid], bare_first
        )
        bare_lat.append(latencies)
        bare_cpu.append(cpu)
    broadcast_frames = ledger.close(seq)
    bare_broadcast_frames = bare_ledger.close(bare_seq)
    payload_bytes = max(
        payload_bytes,
        len(json.dumps({"seq": seq, "html": phones[0].last_html}, separators=(",", ":")).encode()),
    )

    # --- intake: everyone votes at once, then everyone contributes at once; app and bare ---
    await facilitator.action("goto", block=str(info["intake_block"]))
    await facilitator.action("voting-open")
    seq = await settle(phones, book, quiet=0.5)
    contribution_ids = info["contribution_ids"]
    block_id = info["intake_block"]
    counts_before = stack.counts(live_id)

    def vote(phone: WsPhone, key: str) -> dict[str, object]:
        cid = contribution_ids[phone.index % len(contribution_ids)]
        return {"type": "dot", "action": "add", "key": key, "contribution": cid}

    def contribute(phone: WsPhone, key: str) -> dict[str, object]:
        return {"type": "contribute", "key": key, "text": f"Aporte {key}", "block": block_id}

    intake: dict[str, list[dict[str, Any]]] = {
        "app_votes": [],
        "app_contributions": [],
        "bare_votes": [],
        "bare_contributions": [],
    }
    intake_cpu: dict[str, list[float]] = {"app": [], "bare": []}
    intake_ledger = Ledger(phones, seq)
    bare_intake_ledger = Ledger(bare_phones, bare_seq)
    rounds = min(ROUNDS, int(info["block_dots"]))
    intake_started = time.perf_counter()
    for r in range(rounds):
        if r > 0 and time.perf_counter() - intake_started > INTAKE_BUDGET:
            log(f"{mode}: intake stops after {r} round(s): over the time budget")
            break
        log(f"{mode}: intake round {r + 1}/{rounds}: app votes, contributions")
        cpu0 = cpu_seconds(stack.daphne_pids)
        intake["app_votes"].append(await intake_burst(phones, book, vote, f"v{r}"))
        seq = await settle(phones, book, quiet=0.5)
        intake["app_contributions"].append(await intake_burst(phones, book, contribute, f"c{r}"))
        seq = await settle(phones, book, quiet=0.5)
        intake_cpu["app"].append(cpu_seconds(stack.daphne_pids) - cpu0)
        log(f"{mode}: intake round {r + 1}/{rounds}: bare")
        cpu0 = cpu_seconds([stack.bare_pid])
        intake["bare_votes"].append(await intake_burst(bare_phones, bare_book, vote, f"v{r}"))
        bare_seq = await settle(bare_phones, bare_book, quiet=0.5)
        intake["bare_contributions"].append(
            await intake_burst(bare_phones, bare_book, contribute, f"c{r}")
        )
        bare_seq = await settle(bare_phones, bare_book, quiet=0.5)
        intake_cpu["bare"].append(cpu_seconds([stack.bare_pid]) - cpu0)
    seq = await settle(phones, book, quiet=2.0, limit=300)
    intake_frames = intake_ledger.close(seq)
    bare_intake_frames = bare_intake_ledger.close(bare_seq)
    counts_after = stack.counts(live_id)
    acked_votes = sum(b["acked"] for b in intake["app_votes"])
    acked_contributions = sum(b["acked"] for b in intake["app_contributions"])
    database = {
        "votes_acknowledged": acked_votes,
        "votes_stored": counts_after["dots"] - counts_before["dots"],
        "contributions_acknowledged": acked_contributions,
        "contributions_stored": counts_after["contributions"] - counts_before["contributions"],
        "final_seq_in_database": counts_after["seq"],
        "final_seq_on_phones": seq,
    }
    database["equal"] = (
        database["votes_acknowledged"] == database["votes_stored"]
        and database["contributions_acknowledged"] == database["contributions_stored"]
    )
    for bursts in intake.values():
        for burst in bursts:
            burst.pop("acked_keys")

    # --- soak ---
    soak_result: dict[str, Any] | None = None
    if soak > 0:
        soak_result = await run_soak(phones, book, facilitator, stack, soak, seq)
        seq = soak_result.pop("seq")

    await control.close()
    await facilitator.close_room()
    closing = [p.close() for p in [*phones, *bare_phones]]
    await asyncio.gather(*closing, return_exceptions=True)

    # --- figures ---
    def pooled(rounds_: list[list[float | None]]) -> list[float]:
        return [v for r in rounds_ for v in r if v is not None]

    app_all, bare_all = pooled(app_lat), pooled(bare_lat)
    recipients = len(phones)
    cpu_app = [c * 1000 / (ACTIONS_PER_ROUND * recipients) for c in app_cpu]
    cpu_bare = [c * 1000 / (ACTIONS_PER_ROUND * recipients) for c in bare_cpu]
    round_p95_ratio = [
        (pct([v for v in a if v is not None], 0.95) or 0)
        / (pct([v for v in b if v is not None], 0.95) or 1)
        for a, b in zip(app_lat, bare_lat, strict=True)
    ]
    lost_app = broadcast_frames["missing_numbers"] + sum(
        v is None for v in [x for r in app_lat for x in r]
    )
    figures = {
        "broadcast_first_phone_p50_ms": figure(
            ms(pct(app_first, 0.5)), ms(pct(bare_first, 0.5)), "ms"
        ),
        "broadcast_last_phone_p50_ms": figure(ms(pct(app_all, 0.5)), ms(pct(bare_all, 0.5)), "ms"),
        "broadcast_last_phone_p95_ms": figure(
            ms(pct(app_all, 0.95)), ms(pct(bare_all, 0.95)), "ms"
        ),
        "broadcast_last_phone_p99_ms": figure(
            ms(pct(app_all, 0.99)), ms(pct(bare_all, 0.99)), "ms"
        ),
        "broadcast_p95_ratio_median_of_rounds": {
            "app": None,
            "bare": None,
            "ratio": median(round_p95_ratio),
            "unit": "ratio",
        },
        "cpu_per_recipient_per_broadcast_ms": figure(median(cpu_app), median(cpu_bare), "ms"),
        "vote_rate_per_s": figure(
            median([b["rate_per_s"] for b in intake["app_votes"]]),
            median([b["rate_per_s"] for b in intake["bare_votes"]]),
            "1/s",
        ),
        "vote_ack_p99_ms": figure(
            median([b["ack_p99_ms"] for b in intake["app_votes"]]),
            median([b["ack_p99_ms"] for b in intake["bare_votes"]]),
            "ms",
        ),
        "contribution_rate_per_s": figure(
            median([b["rate_per_s"] for b in intake["app_contributions"]]),
            median([b["rate_per_s"] for b in intake["bare_contributions"]]),
            "1/s",
        ),
        "contribution_ack_p99_ms": figure(
            median([b["ack_p99_ms"] for b in intake["app_contributions"]]),
            median([b["ack_p99_ms"] for b in intake["bare_contributions"]]),
            "ms",
        ),
        "join_wall_s": figure(round(join_wall, 2), round(bare_join_wall, 2), "s"),
        "join_one_p95_ms": figure(ms(pct(join_times, 0.95)), ms(pct(bare_times, 0.95)), "ms"),
        # The growth per connection over the second half of the joins (see join()).
        "rss_per_connection_kb": figure(
            marginal(rss_mid, rss_after, len(phones) - n // 2),
            marginal(bare_rss_mid, bare_rss_after, len(bare_phones) - len(bare_phones) // 2),
            "KiB",
        ),
        # The growth from before the first join, divided by every connection: it includes
        # the pools the first joins open (threads, database connections).
        "rss_per_connection_with_warmup_kb": figure(
            round((rss_after - rss_before) / len(phones), 1),
            round((bare_rss_after - bare_rss_before) / len(bare_phones), 1),
            "KiB",
        ),
        "first_visit_gzip_kb": figure(
            round(weight["first_visit_transferred"]["total"] / 1024, 1), None, "KiB"
        ),
        "second_visit_gzip_kb": figure(
            round(weight["second_visit_transferred"]["total"] / 1024, 1), None, "KiB"
        ),
        "broadcast_frames_lost": figure(
            lost_app, bare_broadcast_frames["missing_numbers"], "frames"
        ),
        "broadcast_frames_duplicated": figure(
            broadcast_frames["duplicated_numbers"],
            bare_broadcast_frames["duplicated_numbers"],
            "frames",
        ),
        "intake_frames_lost": figure(
            intake_frames["frames_short"], bare_intake_frames["frames_short"], "frames"
        ),
        "intake_phones_not_on_last_frame": figure(
            intake_frames["phones_not_on_last"], bare_intake_frames["phones_not_on_last"], "phones"
        ),
        "intake_seq_numbers_coalesced": figure(
            intake_frames["coalesced_numbers"], bare_intake_frames["coalesced_numbers"], "numbers"
        ),
        "intake_seq_numbers_repeated": figure(
            intake_frames["duplicated_numbers"], bare_intake_frames["duplicated_numbers"], "frames"
        ),
    }
    if soak_result is not None:
        figures["soak_rss_growth_kb"] = figure(soak_result["growth_kb"], None, "KiB")
    return {
        "mode": mode,
        "n": n,
        "phones_joined": len(phones),
        "join_failures": failures[:5],
        "join_failure_count": len(failures),
        "payload_bytes": payload_bytes,
        "websocket_extensions": extensions or "none",
        "processes": {
            "daphne": len(stack.daphne_pids),
            "nginx": mode == "scaled",
            "redis": mode == "scaled",
        },
        "figures": figures,
        "details": {
            "broadcast_rounds_ms": {
                "app": [[ms(v) for v in r] for r in app_lat],
                "bare": [[ms(v) for v in r] for r in bare_lat],
            },
            "broadcast_cpu_s_per_round": {"app": app_cpu, "bare": bare_cpu},
            "broadcast_frames": {"app": broadcast_frames, "bare": bare_broadcast_frames},
            "intake_bursts": intake,
            "intake_cpu_s_per_round": intake_cpu,
            "intake_frames": {"app": intake_frames, "bare": bare_intake_frames},
            "database": database,
            "rss_kb": {
                "daphne_before": rss_before,
                "daphne_after": rss_after,
                "bare_before": bare_rss_before,
                "bare_after": bare_rss_after,
                "extra_processes_now": rss_kb(stack.extra_pids) if stack.extra_pids else 0,
            },
            "page_weight": weight,
            "soak": soak_result,
        },
    }


async def run_soak(
    phones: Sequence[AppPhone],
    book: SeqBook,
    facilitator: Facilitator,
    stack: Stack,
    seconds: float,
    seq: int,
) -> dict[str, Any]:
    """Keep everyone connected: a facilitator action and a ping from every phone every 30 s,
    daphne's RSS every minute."""
    log(f"soak for {seconds / 60:.0f} min")
    samples: list[tuple[float, int]] = []
    started = time.perf_counter()
    tick = 0
    ledger = Ledger(phones, seq)
    while time.perf_counter() - started < seconds:
        if tick % 2 == 0:
            samples.append((round(time.perf_counter() - started, 1), rss_kb(stack.daphne_pids)))
        await facilitator.action("timer-adjust", minutes="1" if tick % 2 == 0 else "-1")
        await asyncio.gather(
            *(p.send({"type": "ping", "t": tick}) for p in phones), return_exceptions=True
        )
        tick += 1
        await asyncio.sleep(30)
    seq = await settle(phones, book, quiet=1.0)
    samples.append((round(time.perf_counter() - started, 1), rss_kb(stack.daphne_pids)))
    base = samples[min(2, len(samples) - 1)][1]  # after the first minute's warm-up
    return {
        "seconds": seconds,
        "rss_samples_kb": samples,
        "growth_kb": samples[-1][1] - base,
        "frames": ledger.close(seq),
        "seq": seq,
    }


# --- reporting -----------------------------------------------------------------------------


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in (
        "Django",
        "channels",
        "daphne",
        "channels_redis",
        "websockets",
        "Twisted",
        "psycopg",
        "redis",
    ):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "absent"
    for name, args in (
        ("redis-server", ["redis-server", "--version"]),
        (
            "postgresql",
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"],
        ),
        ("nginx", ["nginx", "-v"]),
    ):
        try:
            out = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
            text = (out.stdout + out.stderr).strip()
            found[name] = text.splitlines()[0] if text else "?"
        except (OSError, subprocess.TimeoutExpired):
            found[name] = "absent"
    return found


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": model,
        "kernel": platform.release(),
    }


Check = Callable[[dict[str, Any]], tuple[Any, bool | None]]


def ratio_at_most(limit: float) -> Check:
    return lambda f: (f["ratio"], f["ratio"] is not None and f["ratio"] <= limit)


def app_at_most(limit: float) -> Check:
    return lambda f: (f["app"], f["app"] is not None and f["app"] <= limit)


def app_at_least(limit: float) -> Check:
    return lambda f: (f["app"], f["app"] is not None and f["app"] >= limit)


# Both modes: no frame lost or repeated, in the measured broadcasts and in the bursts.
FRAME_TARGETS: list[tuple[str, str, Check]] = [
    ("zero lost broadcast frames", "broadcast_frames_lost", app_at_most(0)),
    ("zero duplicated broadcast frames", "broadcast_frames_duplicated", app_at_most(0)),
    ("zero lost frames during intake", "intake_frames_lost", app_at_most(0)),
    ("zero duplicated frames during intake", "intake_seq_numbers_repeated", app_at_most(0)),
    ("every phone ends on the last frame", "intake_phones_not_on_last_frame", app_at_most(0)),
]

TARGETS: dict[str, list[tuple[str, str, Check]]] = {
    "scaled": [
        ("broadcast last-phone p95 ≤ 2× bare", "broadcast_last_phone_p95_ms", ratio_at_most(2)),
        (
            "CPU per recipient per broadcast ≤ 0.1 ms",
            "cpu_per_recipient_per_broadcast_ms",
            app_at_most(0.1),
        ),
        ("vote burst ≥ 1,000/s", "vote_rate_per_s", app_at_least(1000)),
        ("vote ack p99 ≤ 500 ms", "vote_ack_p99_ms", app_at_most(500)),
        ("N joined ≤ 5 s (50 at a time)", "join_wall_s", app_at_most(5)),
        ("one join p95 ≤ 300 ms", "join_one_p95_ms", app_at_most(300)),
        ("≤ 64 KiB server memory per connection", "rss_per_connection_kb", app_at_most(64)),
        # 60 KB = 60,000 bytes; the figure is in KiB
        ("first visit ≤ 60 KB gzipped", "first_visit_gzip_kb", app_at_most(60_000 / 1024)),
        *FRAME_TARGETS,
    ],
    "embedded": [
        ("broadcast last-phone p95 ≤ 3× bare", "broadcast_last_phone_p95_ms", ratio_at_most(3)),
        ("first visit ≤ 40 KiB gzipped", "first_visit_gzip_kb", app_at_most(40)),
        ("second visit ≤ 8 KiB gzipped", "second_visit_gzip_kb", app_at_most(8)),
        *FRAME_TARGETS,
    ],
}


def check_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for label, key, test in TARGETS[result["mode"]]:
        value, met = test(result["figures"][key])
        checks.append({"target": label, "figure": key, "value": value, "met": met})
    checks.append(
        {
            "target": "DB counts equal what was acknowledged",
            "figure": "database",
            "value": result["details"]["database"]["equal"],
            "met": result["details"]["database"]["equal"],
        }
    )
    return checks


def markdown_entry(result: dict[str, Any]) -> str:
    lines = [
        f"### {result['date']} — {result['mode']}, N={result['n']} "
        f"({result['phones_joined']} joined)",
        "",
        f"Machine: {result['machine']['nproc']} cores, {result['machine']['memory_gib']} GiB, "
        f"{result['machine']['cpu']}. Payload: {result['payload_bytes']} bytes per participant "
        f"frame; websocket extensions: {result['websocket_extensions']}. "
        f"Daphne processes: {result['processes']['daphne']}"
        + (
            " behind nginx, Redis layer, PostgreSQL."
            if result["mode"] == "scaled"
            else ", in-memory layer, SQLite."
        ),
        f"Load average (1/5/15 min) before and after: {result.get('loadavg_before_after')}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()) + ".",
        "",
        "| figure | app | bare | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for key, f in result["figures"].items():
        lines.append(f"| {key} | {f['app']} | {f['bare']} | {f['ratio']} |")
    lines += ["", "| target | value | met |", "| --- | --- | --- |"]
    for check in result["targets"]:
        lines.append(
            f"| {check['target']} | {check['value']} | {'yes' if check['met'] else 'NO'} |"
        )
    db = result["details"]["database"]
    lines += [
        "",
        f"Database after intake: {db['votes_stored']} votes stored / "
        f"{db['votes_acknowledged']} acknowledged, {db['contributions_stored']} contributions "
        f"stored / {db['contributions_acknowledged']} acknowledged.",
        "",
    ]
    return "\n".join(lines)


def record(result: dict[str, Any]) -> None:
    (DOCS / "bench").mkdir(parents=True, exist_ok=True)
    (DOCS / "bench" / f"{result['mode']}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    )
    perf = DOCS / "performance.md"
    if not perf.exists():
        perf.write_text(
            "# Performance of the live layer\n\n"
            "Runs are appended below by `make bench`.\n\n## Runs\n\n"
        )
    with perf.open("a") as handle:
        handle.write(markdown_entry(result) + "\n")


def print_summary(result: dict[str, Any]) -> None:
    print(f"\n=== {result['mode']} N={result['n']} payload {result['payload_bytes']} B ===")
    print(f"{'figure':42} {'app':>12} {'bare':>12} {'ratio':>8}")
    for key, f in result["figures"].items():
        print(f"{key:42} {f['app']!s:>12} {f['bare']!s:>12} {f['ratio']!s:>8}")
    for check in result["targets"]:
        print(f"  {'met ' if check['met'] else 'MISS'} {check['target']}: {check['value']}")
    print(f"  database: {result['details']['database']}")


def parse_duration(raw: str) -> float:
    raw = raw.strip().lower()
    if not raw or raw == "0":
        return 0.0
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", raw)
    if match is None:
        raise SystemExit(f"SOAK must look like 30m, 90s or 1h, not {raw!r}")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", default="both", choices=["both", "embedded", "scaled"])
    parser.add_argument("--n", default="", help="phones (default 100 embedded, 500 scaled)")
    parser.add_argument("--soak", default="0", help="keep everyone connected this long, e.g. 30m")
    parser.add_argument("--processes", default="", help="daphne processes in scaled mode")
    args = parser.parse_args()
    # Stopped from outside (Ctrl+C, kill): still stop daphne, nginx and the others.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    global SCALED_PROCESSES
    if args.processes:
        SCALED_PROCESSES = int(args.processes)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 65536), hard), hard))
    VAR.mkdir(parents=True, exist_ok=True)
    soak = parse_duration(args.soak)
    modes = ["embedded", "scaled"] if args.mode == "both" else [args.mode]
    found_versions, found_machine = versions(), machine()
    for mode in modes:
        n = int(args.n) if args.n else DEFAULT_N[mode]
        children = Children()
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        try:
            result = asyncio.run(
                asyncio.wait_for(run_mode(mode, n, soak, children), MODE_DEADLINE + soak)
            )
        finally:
            children.stop_all()
            if mode == "scaled":
                subprocess.run(  # noqa: S603
                    ["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", PG_DB],  # noqa: S607
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
        result = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "versions": found_versions,
            "machine": found_machine,
            "loadavg_before_after": [load_before, Path("/proc/loadavg").read_text().split()[:3]],
            **result,
        }
        result["targets"] = check_targets(result)
        record(result)
        print_summary(result)


if __name__ == "__main__":
    main()
