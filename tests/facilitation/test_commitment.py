"""Principles as the group's commitment: answered on the phone in the principles block (or on
arrival after it), a commitment or a reservation with an optional note, stored without the
person; the staff see counts and the notes, never who."""

import json

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from facilitation import services
from facilitation.models import CommitmentAnswer, LiveSession, Participant
from facilitation.selectors import live_state
from tests.facilitation.conftest import goto
from tests.facilitation.test_consumers import connect_phone, receive_json


@pytest.fixture
def joined(live, areas):
    """Three people who joined and have not answered the principles yet."""
    return {
        slug: services.participant_join(live=live, name=name, area=areas[slug])
        for slug, name in (("compras", "Ana"), ("ventas", "Beto"), ("logistica", "Caro"))
    }


def test_a_reservation_and_its_note_are_stored_without_the_person(live, joined):
    goto(live, "principles")
    answer, created = services.commitment_answer(
        participant=joined["ventas"], key="k1", choice="reserve", note="  Me cuesta confiar. "
    )
    assert created and answer.note == "Me cuesta confiar."
    assert Participant.objects.get(pk=joined["ventas"].pk).committed_at is not None
    row = CommitmentAnswer.objects.filter(pk=answer.pk).values()[0]
    assert set(row) == {"id", "live_id", "choice", "note", "key_digest", "created_at"}
    assert row["key_digest"] != "k1" and "k1" not in json.dumps(row, default=str)


def test_one_answer_per_person_and_a_resent_key_is_the_same_answer(live, joined):
    first, created = services.commitment_answer(
        participant=joined["compras"], key="k1", choice="commit"
    )
    again, again_created = services.commitment_answer(
        participant=joined["compras"], key="k1", choice="commit"
    )
    other, other_created = services.commitment_answer(
        participant=joined["compras"], key="k2", choice="reserve", note="Cambié de idea"
    )
    assert created and not again_created and again == first
    assert other is None and not other_created
    assert CommitmentAnswer.objects.count() == 1


@pytest.mark.parametrize(
    ("choice", "note", "message"),
    [("maybe", "", "Elige «Me comprometo» o «Tengo una reserva»"), ("reserve", "x" * 301, "300")],
)
def test_a_bad_answer_is_refused_and_changes_nothing(live, joined, choice, note, message):
    with pytest.raises(services.LiveError, match=message):
        services.commitment_answer(participant=joined["ventas"], key="k", choice=choice, note=note)
    assert not CommitmentAnswer.objects.exists()
    assert Participant.objects.get(pk=joined["ventas"].pk).committed_at is None


def test_a_commitment_keeps_no_note(live, joined):
    answer, _ = services.commitment_answer(
        participant=joined["ventas"], key="k", choice="commit", note="algo"
    )
    assert answer.note == ""


def test_the_staff_see_counts_and_notes_and_phones_see_neither(live, joined):
    live = goto(live, "principles")
    services.commitment_answer(participant=joined["compras"], key="a", choice="commit")
    services.commitment_answer(
        participant=joined["ventas"], key="b", choice="reserve", note="No sé si se cumplirá"
    )
    room = live_state(live, audience="facilitator")
    assert (room.commitments.committed, room.commitments.reserved, room.commitments.pending) == (
        1,
        1,
        1,
    )
    assert room.commitments.notes == ["No sé si se cumplirá"]
    assert live_state(live, audience="projector").commitments.notes == []
    assert live_state(live, audience="participants").commitments is None


def test_the_phones_know_when_the_principles_are_now_or_behind_them(live):
    assert live_state(goto(live, "opening"), audience="participants").principles_moment == ""
    assert (
        live_state(goto(live, "principles"), audience="participants").principles_moment == "current"
    )
    assert live_state(goto(live, "dream"), audience="participants").principles_moment == "past"


def test_the_control_room_shows_counts_and_notes_but_not_who(facilitator_client, live, joined):
    goto(live, "principles")
    services.commitment_answer(
        participant=joined["ventas"], key="b", choice="reserve", note="Necesito ver hechos"
    )
    page = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    section = page.split('id="commitments"', 1)[1].split("</section>", 1)[0]
    assert "Necesito ver hechos" in section
    assert "Beto" not in section
    assert "<strong>1</strong> reserva" in section
    assert "<strong>2</strong> sin responder" in section


@pytest.mark.django_db(transaction=True)
async def test_a_phone_answers_over_its_socket_and_bad_input_keeps_it_open(live, joined):
    await database_sync_to_async(goto)(live, "principles")
    comm, _, me = await connect_phone(joined["logistica"])
    assert 'data-committed="0"' in me["html"]
    await comm.send_json_to({"type": "commitment", "key": "c.1", "choice": "nope"})
    refused = await receive_json(comm)
    assert refused["ok"] is False and "Elige" in refused["error"]
    await comm.send_json_to(
        {"type": "commitment", "key": "c.2", "choice": "reserve", "note": "Con dudas"}
    )
    frames = [await receive_json(comm) for _ in range(2)]
    assert {"ack": "c.2", "ok": True} in frames
    assert any('data-committed="1"' in f.get("html", "") for f in frames)
    note = await database_sync_to_async(lambda: CommitmentAnswer.objects.get().note)()
    assert note == "Con dudas"
    await comm.send_json_to({"type": "ping", "t": 3})
    assert await receive_json(comm) == {"pong": 3}
    await comm.disconnect()


def test_an_outsider_cannot_see_another_organisations_commitments(outsider_client, live):
    assert outsider_client.get(reverse("control_room", args=[live.pk])).status_code == 404
    assert LiveSession.objects.filter(pk=live.pk).exists()
