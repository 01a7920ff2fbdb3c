"""Principles as the group's commitment: answered on the phone in the principles block (or on
arrival after it), a commitment or a reservation with an optional note, stored without the
person; the staff see counts and the notes, never who."""

import json

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from facilitation import services
from facilitation.models import CommitmentAnswer, GroundRule, LiveSession, Participant
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
    assert Participant.objects.get(pk=joined["ventas"].pk).principles_answered
    row = CommitmentAnswer.objects.filter(pk=answer.pk).values()[0]
    # No author, no area and no time: nothing to pair with the person's row.
    assert set(row) == {"id", "live_id", "choice", "note", "key_digest"}
    assert row["key_digest"] != "k1" and "k1" not in json.dumps(row, default=str)


def test_one_answer_per_person_and_a_resent_key_is_the_same_answer(live, joined):
    goto(live, "principles")
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
    goto(live, "principles")
    with pytest.raises(services.LiveError, match=message):
        services.commitment_answer(participant=joined["ventas"], key="k", choice=choice, note=note)
    assert not CommitmentAnswer.objects.exists()
    assert Participant.objects.get(pk=joined["ventas"].pk).principles_answered is False


def test_a_commitment_keeps_no_note(live, joined):
    goto(live, "principles")
    answer, _ = services.commitment_answer(
        participant=joined["ventas"], key="k", choice="commit", note="algo"
    )
    assert answer.note == ""


def test_the_staff_see_only_how_many_answered_until_the_facilitator_shows_the_split(live, joined):
    live = goto(live, "principles")
    services.commitment_answer(participant=joined["compras"], key="a", choice="commit")
    services.commitment_answer(
        participant=joined["ventas"], key="b", choice="reserve", note="No sé si se cumplirá"
    )
    services.commitment_answer(
        participant=joined["logistica"], key="c", choice="reserve", note="Antes quiero ver hechos"
    )
    room = live_state(live, audience="facilitator").commitments
    assert (room.answered, room.pending, room.revealed, room.notes) == (3, 0, False, [])
    live = services.results_reveal(live=live)
    room = live_state(live, audience="facilitator").commitments
    assert (room.committed, room.reserved, room.revealed) == (1, 2, True)
    # Sorted by their text, never in the order they arrived.
    assert room.notes == ["Antes quiero ver hechos", "No sé si se cumplirá"]
    assert live_state(live, audience="projector").commitments.notes == []
    assert live_state(live, audience="participants").commitments is None


def test_answering_changes_nothing_on_the_persons_row_but_a_flag(live, joined):
    goto(live, "principles")
    before = Participant.objects.filter(pk=joined["ventas"].pk).values()[0]
    services.commitment_answer(participant=joined["ventas"], key="k", choice="reserve", note="x")
    after = Participant.objects.filter(pk=joined["ventas"].pk).values()[0]
    assert {k for k in after if after[k] != before[k]} == {"principles_answered"}


def test_the_principles_cannot_be_answered_before_their_block(live, joined):
    goto(live, "opening")
    with pytest.raises(services.LiveError, match="en su bloque"):
        services.commitment_answer(participant=joined["ventas"], key="k", choice="commit")
    assert not CommitmentAnswer.objects.exists()
    goto(live, "dream")  # after the block: a late arrival answers on arrival
    _, created = services.commitment_answer(participant=joined["ventas"], key="k", choice="commit")
    assert created


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
    url = reverse("control_room", args=[live.pk])
    before = facilitator_client.get(url).content.decode()
    section = before.split('id="commitments"', 1)[1].split("</section>", 1)[0]
    assert "<strong>1</strong> respondió" in section and "Necesito ver hechos" not in section
    assert reverse("control_action", args=[live.pk, "reveal"]) in section
    facilitator_client.post(reverse("control_action", args=[live.pk, "reveal"]))
    page = facilitator_client.get(url).content.decode()
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


# --- acuerdos de convivencia -----------------------------------------------------------------


def test_a_ground_rule_is_proposed_in_the_principles_block_without_its_author(live, joined):
    goto(live, "principles")
    rule, created = services.ground_rule_propose(
        participant=joined["ventas"], key="r1", text="  Lo que se dice aquí se queda aquí "
    )
    again, again_created = services.ground_rule_propose(
        participant=joined["ventas"], key="r1", text="otra cosa"
    )
    assert created and not again_created and again == rule
    assert rule.text == "Lo que se dice aquí se queda aquí"
    row = GroundRule.objects.filter(pk=rule.pk).values()[0]
    assert set(row) == {"id", "live_id", "text", "key_digest", "kept", "created_at"}


@pytest.mark.parametrize(
    ("slug", "text", "message"),
    [
        ("dream", "Celulares en silencio", "bloque de supuestos y principios"),
        ("principles", "   ", "Escribe tu propuesta"),
        ("principles", "x" * 201, "200"),
    ],
)
def test_a_bad_ground_rule_is_refused_and_changes_nothing(live, joined, slug, text, message):
    goto(live, slug)
    with pytest.raises(services.LiveError, match=message):
        services.ground_rule_propose(participant=joined["ventas"], key="r", text=text)
    assert not GroundRule.objects.exists()


def test_ground_rules_share_the_contributions_rate_limit(live, joined):
    goto(live, "principles")
    for n in range(services.CONTRIBUTIONS_PER_MINUTE):
        services.ground_rule_propose(participant=joined["ventas"], key=f"r{n}", text=f"Regla {n}")
    with pytest.raises(services.LiveError, match="Vas muy rápido"):
        services.ground_rule_propose(participant=joined["ventas"], key="rx", text="Una más")
    assert GroundRule.objects.count() == services.CONTRIBUTIONS_PER_MINUTE


def test_kept_rules_reach_every_screen_for_the_rest_of_the_session(live, joined):
    live = goto(live, "principles")
    kept, _ = services.ground_rule_propose(
        participant=joined["ventas"], key="a", text="Puntualidad"
    )
    services.ground_rule_propose(participant=joined["compras"], key="b", text="Sin celulares")
    services.ground_rule_keep(live=live, rule=kept, kept=True)
    for audience in ("participants", "projector", "facilitator"):
        assert live_state(live, audience=audience).ground_rules == ["Puntualidad"]
    proposals = live_state(live, audience="facilitator").ground_rule_proposals
    assert [(r.text, r.kept) for r in proposals] == [
        ("Puntualidad", True),
        ("Sin celulares", False),
    ]
    assert live_state(live, audience="participants").ground_rule_proposals == []
    later = goto(live, "codesign")
    assert live_state(later, audience="participants").ground_rules == ["Puntualidad"]


def test_the_facilitator_keeps_and_drops_a_rule_and_another_sessions_rule_is_404(
    facilitator_client, live, joined, organisation, facilitator
):
    goto(live, "principles")
    rule, _ = services.ground_rule_propose(participant=joined["ventas"], key="a", text="Respeto")
    url = reverse("control_action", args=[live.pk, "rule-keep"])
    response = facilitator_client.post(url, {"rule": rule.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "En todas las pantallas" in response.content.decode()
    assert GroundRule.objects.get().kept
    drop = reverse("control_action", args=[live.pk, "rule-drop"])
    facilitator_client.post(drop, {"rule": rule.pk}, HTTP_HX_REQUEST="true")
    assert not GroundRule.objects.get().kept
    assert (
        facilitator_client.post(url, {"rule": "999999"}, HTTP_HX_REQUEST="true").status_code == 404
    )
    bad = facilitator_client.post(url, {"rule": "abc"}, HTTP_HX_REQUEST="true")
    assert "Valor no válido" in bad.content.decode()
    # A rule of another session of the same organisation is not this room's.
    other = services.live_start(workshop=_another_ready_workshop(organisation, facilitator))
    goto(other, "principles")
    theirs, _ = services.ground_rule_propose(
        participant=services.participant_join(
            live=other, name="Eva", area=organisation.areas.first()
        ),
        key="z",
        text="Otra sala",
    )
    assert (
        facilitator_client.post(url, {"rule": theirs.pk}, HTTP_HX_REQUEST="true").status_code == 404
    )
    assert not GroundRule.objects.get(pk=theirs.pk).kept


def _another_ready_workshop(organisation, facilitator):
    import datetime

    from workshops.models import Workshop
    from workshops.services import workshop_create, workshop_set_status

    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Otra sesión",
        date=datetime.date(2026, 12, 2),
        start_time=datetime.time(8, 0),
        invited={a: 2 for a in organisation.areas.all()},
        template="tres-horas",
    )
    return workshop_set_status(workshop=workshop, status=Workshop.Status.READY)


def test_a_phone_on_the_principles_block_has_the_proposal_form(live, joined):
    from tests.facilitation.conftest import phone_client

    goto(live, "principles")
    page = phone_client(joined["ventas"]).get(reverse("participant_live", args=[live.qr_token]))
    assert 'data-outbox="ground_rule"' in page.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_a_phone_proposes_a_rule_over_its_socket(live, joined):
    await database_sync_to_async(goto)(live, "principles")
    comm, _, _ = await connect_phone(joined["compras"])
    await comm.send_json_to({"type": "ground_rule", "key": "g.1", "text": "Hablar de hechos"})
    assert await receive_json(comm) == {"ack": "g.1", "ok": True}
    await comm.send_json_to({"type": "ground_rule", "key": "g.2", "text": ""})
    refused = await receive_json(comm)
    assert refused["ok"] is False and "Escribe tu propuesta" in refused["error"]
    texts = await database_sync_to_async(
        lambda: list(GroundRule.objects.values_list("text", flat=True))
    )()
    assert texts == ["Hablar de hechos"]
    await comm.disconnect()
