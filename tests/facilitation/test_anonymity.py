"""Anonymity that holds: an anonymous contribution sent through the real websocket cannot be
traced to its author in any page, websocket frame, database row or log line."""

import asyncio
import json
import logging

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from facilitation import services
from facilitation.models import Contribution
from tests.facilitation.conftest import goto, phone_client
from tests.facilitation.test_consumers import communicator

pytestmark = pytest.mark.django_db(transaction=True)

AUTHOR = "Zacarías Quintero"
ANONYMOUS_TEXT = "Nadie se atreve a decir que los pedidos urgentes se inventan"
SIGNED_TEXT = "Necesitamos fechas de entrega reales"
KEYS = ("zq-nonce.1", "zq-nonce.2")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def element_around(page: str, text: str, tag: str = "li") -> str:
    """The innermost <tag> element of `page` that contains `text`."""
    at = page.index(text)
    start = page.rindex(f"<{tag}", 0, at)
    end = page.index(f"</{tag}>", at) + len(f"</{tag}>")
    return page[start:end]


async def drain(comm, frames: list[str], settle: float = 1.0) -> None:
    """Collect every text frame until the socket has been quiet for `settle` seconds."""
    while not await comm.receive_nothing(timeout=settle):
        output = await comm.receive_output()
        if output["type"] == "websocket.send":
            frames.append(output.get("text") or "")


async def receive_until(comm, frames: list[str], needle: str, timeout: float = 15) -> None:
    """Collect frames until one contains `needle` (a loaded machine may be slow), then drain."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not any(needle in text for text in frames):
        assert loop.time() < deadline, f"no frame with {needle!r}"
        if not await comm.receive_nothing(timeout=0.2):
            output = await comm.receive_output()
            if output["type"] == "websocket.send":
                frames.append(output.get("text") or "")
    await drain(comm, frames, settle=0.5)


def block_id(live, slug: str) -> int:
    return live.workshop.blocks.get(kind__slug=slug).pk


def join_author(live, areas):
    author = services.participant_join(live=live, name=AUTHOR, area=areas["compras"])
    return services.participant_commit(participant=author)


async def test_an_anonymous_contribution_cannot_be_traced_to_its_author(
    live, people, areas, facilitator, caplog
):
    caplog.set_level(logging.DEBUG)
    author = await database_sync_to_async(join_author)(live, areas)
    author_area = areas["compras"].name
    boss = Client()
    await database_sync_to_async(boss.force_login)(facilitator.user)

    async def phone(participant):
        client = await database_sync_to_async(phone_client)(participant)
        return communicator(f"/ws/en-vivo/{live.qr_token}/", client)

    comms = {
        "facilitator": communicator(f"/ws/sala/{live.pk}/", boss),
        "projector": communicator(f"/ws/proyector/{live.pk}/", boss),
        "author": await phone(author),
        "ana": await phone(people["compras"]),
        "beto": await phone(people["ventas"]),
    }
    frames: dict[str, list[str]] = {name: [] for name in comms}
    for comm in comms.values():
        connected, _ = await comm.connect()
        assert connected

    # A signed contribution in one block, the anonymous one in the unsaid block.
    await database_sync_to_async(goto)(live, "area_round")
    signed_block = await database_sync_to_async(block_id)(live, "area_round")
    await comms["author"].send_json_to(
        {"type": "contribute", "key": KEYS[0], "text": SIGNED_TEXT, "block": signed_block}
    )
    for name, comm in comms.items():
        await receive_until(comm, frames[name], SIGNED_TEXT)
    await database_sync_to_async(goto)(live, "unsaid")
    unsaid_block = await database_sync_to_async(block_id)(live, "unsaid")
    await comms["author"].send_json_to(
        {"type": "contribute", "key": KEYS[1], "text": ANONYMOUS_TEXT, "block": unsaid_block}
    )
    # The unsaid block reveals first: the facilitator's queue holds it until shown.
    await receive_until(comms["facilitator"], frames["facilitator"], ANONYMOUS_TEXT)

    def show_it() -> None:
        block = live.workshop.blocks.get(pk=unsaid_block)
        services.contributions_reveal(live=live, block=block)

    await database_sync_to_async(show_it)()
    for name, comm in comms.items():
        await receive_until(comm, frames[name], ANONYMOUS_TEXT)
    # The room votes and the results are revealed: one more rendering of the wall.
    await database_sync_to_async(services.voting_set_open)(live=live, open=True)
    anonymous = await database_sync_to_async(Contribution.objects.get)(text=ANONYMOUS_TEXT)
    await comms["ana"].send_json_to({"type": "dot", "key": "ana.1", "contribution": anonymous.pk})
    await database_sync_to_async(services.results_reveal)(live=live)
    for name, comm in comms.items():
        await drain(comm, frames[name])
        await comm.disconnect()

    assert json.dumps({"ack": KEYS[1], "ok": True}) in [
        json.dumps(json.loads(f)) for f in frames["author"]
    ]

    # Pages: the control room, the projector, other participants' phones.
    pages = {
        "room": await database_sync_to_async(boss.get)(reverse("control_room", args=[live.pk])),
        "projector": await database_sync_to_async(boss.get)(reverse("projector", args=[live.pk])),
    }
    for slug in ("compras", "ventas", "logistica"):
        client = await database_sync_to_async(phone_client)(people[slug])
        pages[f"phone {slug}"] = await database_sync_to_async(client.get)(f"/p/{live.qr_token}/")
    outputs: dict[str, str] = {}
    for name, response in pages.items():
        assert response.status_code == 200, name
        outputs[f"page {name}"] = response.content.decode()
    for name, received in frames.items():
        for n, text in enumerate(received):
            html = json.loads(text).get("html", "")
            if ANONYMOUS_TEXT in text:
                outputs[f"frame {name} #{n}"] = html or text

    # The anonymous text reached every screen...
    for name in ("page room", "page projector", "page phone ventas"):
        assert ANONYMOUS_TEXT in outputs[name], name
    for name in ("facilitator", "projector", "ana", "beto"):
        assert any(key.startswith(f"frame {name} ") for key in outputs), name
    # ...and the signed one carries its author, so the check below can tell them apart.
    await database_sync_to_async(goto)(live, "area_round")
    room_signed = await database_sync_to_async(boss.get)(reverse("control_room", args=[live.pk]))
    assert AUTHOR in element_around(room_signed.content.decode(), SIGNED_TEXT)

    author_id = str(author.pk)
    for name, output in outputs.items():
        assert ANONYMOUS_TEXT in output, name
        item = element_around(output, ANONYMOUS_TEXT)
        assert AUTHOR not in item, name
        assert "Zacar" not in item, name
        assert author_area not in item, name
        assert f'"participant": "{author_id}"' not in item, name
        for key in KEYS:
            assert key not in output, name

    # Frames with the anonymous text carry nothing that names the author.
    for name, received in frames.items():
        for text in received:
            if ANONYMOUS_TEXT in text:
                payload = json.loads(text)
                assert set(payload) <= {"seq", "html"}, name

    # The database row: no author, no area, no plain key, nothing that names them.
    row = await database_sync_to_async(
        lambda: Contribution.objects.filter(text=ANONYMOUS_TEXT).values().get()
    )()
    assert row["participant_id"] is None
    assert row["area_id"] is None
    assert row["anonymous"] is True
    values = " ".join(str(value) for value in row.values())
    assert AUTHOR not in values
    for key in KEYS:
        assert key not in values

    # Logs: no line holds the anonymous text together with who wrote it.
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        if ANONYMOUS_TEXT in line or KEYS[1] in line:
            assert AUTHOR not in line
            assert f"participant-{author_id}" not in line
            assert author_area not in line
