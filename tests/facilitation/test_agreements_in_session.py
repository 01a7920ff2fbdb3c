"""Agreements in the live session: drafted in the control room (from a most-voted
contribution or written), consented on phones over the websocket, reworded, recorded, shown to
their owners, and listed on the thank-you page after closing. Plus the review of earlier
sessions' open agreements."""

import datetime
import json

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from agreements import services as agreement_services
from agreements.models import Agreement, Consent
from agreements.services import OwnerInput
from facilitation import services
from facilitation.selectors import live_state, open_agreements
from tests.facilitation.conftest import goto, phone_client
from tests.facilitation.test_consumers import communicator, connect_phone, receive_json
from workshops.models import ActivityKind, Workshop
from workshops.services import workshop_create, workshop_set_status


def draft(live, areas, people, **extra) -> Agreement:
    fields = {
        "text": "Reunión diaria de 15 minutos entre las tres áreas",
        "problem": "Ventas promete fechas que Compras no conoce",
        "indicator": "Cero pedidos sin fecha confirmada",
        "due_date": live.workshop.date + datetime.timedelta(days=30),
        "areas": [areas["compras"], areas["ventas"]],
        "owners": [OwnerInput(name="", area=areas["compras"], participant=people["compras"])],
    }
    fields.update(extra)
    return agreement_services.agreement_draft(live=live, **fields)


def in_consent(live, areas, people) -> Agreement:
    return agreement_services.agreement_ask_consent(agreement=draft(live, areas, people))


def form_data(areas, people, **extra) -> dict:
    data = {
        "text": "Confirmar fechas con Logística antes de prometerlas",
        "problem": "Prometemos sin preguntar",
        "areas": [areas["ventas"].pk, areas["logistica"].pk],
        "due_date": "2026-12-20",
        "indicator": "Ningún pedido prometido sin confirmar",
        "principle": "",
        "owners-TOTAL_FORMS": "3",
        "owners-INITIAL_FORMS": "0",
        "owners-MIN_NUM_FORMS": "0",
        "owners-MAX_NUM_FORMS": "8",
        "owners-0-participant": people["ventas"].pk,
        "owners-0-name": "",
        "owners-0-area": "",
        "owners-0-email": "",
        "owners-1-participant": "",
        "owners-1-name": "Diego Ruiz",
        "owners-1-area": areas["logistica"].pk,
        "owners-1-email": "diego@example.com",
    }
    data.update(extra)
    return data


# --- the control room ----------------------------------------------------------------------


def test_the_draft_page_offers_the_most_voted_contributions_with_their_votes(
    facilitator_client, live, people
):
    block = goto(live, "dream").current_block
    services.voting_set_open(live=live, open=True)
    popular = services.contribution_submit(
        participant=people["ventas"], key="k1", text="Confirmar fechas antes", block_id=block.pk
    )[0]
    services.contribution_submit(
        participant=people["compras"], key="k2", text="Sin votos", block_id=block.pk
    )
    services.dot_place(participant=people["compras"], key="d1", contribution_id=popular.pk)
    services.dot_place(participant=people["logistica"], key="d2", contribution_id=popular.pk)
    page = facilitator_client.get(reverse("agreement_new", args=[live.pk])).content.decode()
    assert "Confirmar fechas antes" in page and "2 puntos" in page
    assert "Sin votos" not in page
    chosen = facilitator_client.get(
        reverse("agreement_new", args=[live.pk]), {"desde": popular.pk}
    ).content.decode()
    # The problem is prefilled from the contribution's text.
    assert '<textarea name="problem"' in chosen
    assert "Confirmar fechas antes</textarea>" in chosen


def test_drafting_from_a_contribution_links_it_and_shows_up_in_the_room(
    facilitator_client, live, people, areas
):
    block = goto(live, "dream").current_block
    source = services.contribution_submit(
        participant=people["ventas"], key="k1", text="Confirmar fechas", block_id=block.pk
    )[0]
    goto(live, "agreements")
    response = facilitator_client.post(
        reverse("agreement_new", args=[live.pk]), form_data(areas, people, source=source.pk)
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(live=live)
    assert list(agreement.sources.all()) == [source]
    assert agreement.outcome == Agreement.Outcome.DRAFT
    assert sorted(o.name for o in agreement.owners.all()) == ["Beto", "Diego Ruiz"]
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert "Confirmar fechas con Logística antes de prometerlas" in room
    assert "Consultar a la sala" in room


@pytest.mark.parametrize(
    ("due", "message"),
    [
        ("2026-11-30", "no puede ser anterior a la sesión"),
        ("2029-01-01", "demasiado lejos"),
    ],
)
def test_a_due_date_before_the_session_or_too_far_is_refused_in_spanish(
    facilitator_client, live, people, areas, due, message
):
    response = facilitator_client.post(
        reverse("agreement_new", args=[live.pk]), form_data(areas, people, due_date=due)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Agreement.objects.exists()


def test_an_agreement_needs_an_owner_and_the_room_warns_of_an_area_without_one(
    facilitator_client, live, people, areas
):
    no_owner = form_data(areas, people, **{"owners-0-participant": "", "owners-1-name": ""})
    no_owner["owners-1-area"] = ""
    no_owner["owners-1-email"] = ""
    response = facilitator_client.post(reverse("agreement_new", args=[live.pk]), no_owner)
    assert "al menos un responsable" in response.content.decode()
    goto(live, "agreements")
    draft(live, areas, people)  # Compras and Ventas involved, only Compras owns it
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert "Sin responsable:" in room and "Ventas" in room


def test_other_organisations_get_404_for_the_agreement_pages_and_actions(
    outsider_client, live, people, areas
):
    agreement = draft(live, areas, people)
    assert outsider_client.get(reverse("agreement_new", args=[live.pk])).status_code == 404
    assert (
        outsider_client.get(reverse("agreement_reword", args=[live.pk, agreement.pk])).status_code
        == 404
    )
    response = outsider_client.post(
        reverse("control_action", args=[live.pk, "agreement-consent"]),
        {"agreement": agreement.pk},
    )
    assert response.status_code == 404
    agreement.refresh_from_db()
    assert agreement.outcome == Agreement.Outcome.DRAFT


def test_asking_consent_rewording_and_recording_from_the_room(
    facilitator_client, live, people, areas, facilitator
):
    agreement = draft(live, areas, people)
    action = lambda name: reverse("control_action", args=[live.pk, name])  # noqa: E731
    facilitator_client.post(action("agreement-consent"), {"agreement": agreement.pk})
    agreement.refresh_from_db()
    assert agreement.outcome == Agreement.Outcome.CONSENT
    agreement_services.consent_submit(
        participant=people["ventas"],
        agreement_id=agreement.pk,
        version=1,
        choice="object",
        reason="Falta Logística",
    )
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert "Falta Logística" in room

    data = form_data(areas, people, text="Reunión diaria de 15 minutos con Logística incluida")
    data["owners-INITIAL_FORMS"] = "0"
    response = facilitator_client.post(
        reverse("agreement_reword", args=[live.pk, agreement.pk]), data
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.version == 2 and agreement.outcome == Agreement.Outcome.CONSENT
    assert list(agreement.versions.values_list("number", flat=True)) == [1, 2]
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert "Versiones anteriores" in room
    # The objection was to version 1: version 2's counts start at zero.
    assert "0 respuestas a esta versión" in room

    facilitator_client.post(action("agreement-agreed"), {"agreement": agreement.pk})
    agreement.refresh_from_db()
    assert agreement.outcome == Agreement.Outcome.AGREED
    again = facilitator_client.post(
        action("agreement-dropped"), {"agreement": agreement.pk}, HTTP_HX_REQUEST="true"
    )
    assert "ya se registró" in again.content.decode()


def test_the_room_reminds_of_the_check_out_before_closing(facilitator, live, people):
    goto(live, "agreements")
    assert live_state(live, audience="facilitator").checkout_missing
    goto(live, "checkout")
    services.emotion_submit(
        participant=people["ventas"], moment="checkout", emotion="calma", intensity=3
    )
    assert not live_state(live, audience="facilitator").checkout_missing


# --- phones --------------------------------------------------------------------------------

pytestmark_ws = pytest.mark.django_db(transaction=True)


@pytestmark_ws
async def test_consent_over_the_websocket_is_acknowledged_and_stored_once(live, people, areas):
    agreement = await database_sync_to_async(in_consent)(live, areas, people)
    comm, stage, me = await connect_phone(people["ventas"])
    assert f'data-agreement="{agreement.pk}"' in stage["html"]
    assert "Reunión diaria de 15 minutos" in stage["html"]
    message = {
        "type": "consent",
        "key": "n.1",
        "agreement": agreement.pk,
        "version": 1,
        "choice": "agree",
        # A forged participant id is ignored: the socket's own participant answers.
        "participant": people["compras"].pk,
    }
    await comm.send_json_to(message)
    frames = [await receive_json(comm) for _ in range(2)]
    assert {"ack": "n.1", "ok": True} in frames
    personal = next(f for f in frames if "html" in f and 'id="me"' in f["html"])
    assert f'data-consents="{agreement.pk}:1:agree"' in personal["html"]
    # The counts show on the staff's screens only: no new stage for the phones.
    assert await comm.receive_nothing(timeout=0.5)
    # A second answer (a double tap, a change of mind) keeps the first.
    await comm.send_json_to({**message, "key": "n.2", "choice": "abstain"})
    assert await receive_json(comm) == {"ack": "n.2", "ok": True}
    stored = await database_sync_to_async(
        lambda: list(Consent.objects.values_list("participant__name", "choice"))
    )()
    assert stored == [("Beto", "agree")]
    await comm.disconnect()


@pytestmark_ws
async def test_an_objection_needs_a_reason(live, people, areas):
    agreement = await database_sync_to_async(in_consent)(live, areas, people)
    comm, _, _ = await connect_phone(people["logistica"])
    await comm.send_json_to(
        {
            "type": "consent",
            "key": "n.1",
            "agreement": agreement.pk,
            "version": 1,
            "choice": "object",
            "reason": "  ",
        }
    )
    reply = await receive_json(comm)
    assert reply["ack"] == "n.1" and reply["ok"] is False
    assert "motivo" in reply["error"]
    assert not await database_sync_to_async(Consent.objects.exists)()
    await comm.disconnect()


@pytestmark_ws
async def test_a_participant_of_another_session_cannot_consent_to_this_one(
    live, people, areas, organisation, facilitator
):
    agreement = await database_sync_to_async(in_consent)(live, areas, people)

    def other_participant():
        workshop = workshop_create(
            organisation=organisation,
            facilitator=facilitator.user,
            title="Otra sesión",
            date=datetime.date(2026, 12, 2),
            start_time=datetime.time(8, 0),
            invited={a: 3 for a in organisation.areas.all()},
            template="tres-horas",
        )
        workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
        other = services.live_start(workshop=workshop)
        person = services.participant_join(live=other, name="Intrusa", area=areas["ventas"])
        return services.participant_commit(participant=person)

    intruder = await database_sync_to_async(other_participant)()
    comm, _, _ = await connect_phone(intruder)
    await comm.send_json_to(
        {
            "type": "consent",
            "key": "x.1",
            "agreement": agreement.pk,
            "version": 1,
            "choice": "agree",
        }
    )
    reply = await receive_json(comm)
    assert reply["ok"] is False
    assert not await database_sync_to_async(Consent.objects.exists)()
    await comm.disconnect()


@pytestmark_ws
async def test_a_reworded_agreement_asks_the_phone_again(live, people, areas):
    agreement = await database_sync_to_async(in_consent)(live, areas, people)
    comm, _, _ = await connect_phone(people["compras"])
    await comm.send_json_to(
        {
            "type": "consent",
            "key": "n.1",
            "agreement": agreement.pk,
            "version": 1,
            "choice": "object",
            "reason": "Falta Logística",
        }
    )
    for _ in range(2):  # the ack and the phone's own answer (counts: staff's screens only)
        await receive_json(comm)

    def reword():
        return agreement_services.agreement_reword(
            agreement=agreement,
            text="Reunión diaria de 15 minutos, con Logística",
            due_date=agreement.due_date,
            areas=[areas["compras"], areas["logistica"]],
            owners=[OwnerInput(name="", area=areas["compras"], participant=people["compras"])],
        )

    await database_sync_to_async(reword)()
    stage = await receive_json(comm)
    assert 'data-version="2"' in stage["html"] and "con Logística" in stage["html"]
    await comm.send_json_to(
        {
            "type": "consent",
            "key": "n.2",
            "agreement": agreement.pk,
            "version": 2,
            "choice": "agree",
        }
    )
    frames = [await receive_json(comm) for _ in range(2)]
    assert {"ack": "n.2", "ok": True} in frames
    answers = await database_sync_to_async(
        lambda: sorted(Consent.objects.values_list("version", "choice"))
    )()
    assert answers == [(1, "object"), (2, "agree")]
    await comm.disconnect()


@pytestmark_ws
async def test_owners_phone_shows_what_they_own_once_recorded(live, people, areas, facilitator):
    agreement = await database_sync_to_async(in_consent)(live, areas, people)
    owner, _, me = await connect_phone(people["compras"])
    other, _, other_me = await connect_phone(people["ventas"])
    assert "Eres responsable de" not in me["html"]
    await database_sync_to_async(agreement_services.agreement_record)(
        agreement=agreement, outcome="agreed", actor=facilitator.user
    )
    frames = [await receive_json(owner) for _ in range(2)]
    personal = next(f for f in frames if 'id="me"' in f["html"])
    assert "Eres responsable de:" in personal["html"]
    assert "Reunión diaria de 15 minutos" in personal["html"]
    stage = await receive_json(other)
    assert 'id="me"' not in stage["html"]
    assert await other.receive_nothing(timeout=0.3)
    await owner.disconnect()
    await other.disconnect()


@pytestmark_ws
async def test_closing_ends_the_phone_socket_and_the_page_thanks_with_the_agreements(
    live, people, areas, facilitator
):
    agreement = await database_sync_to_async(in_consent)(live, areas, people)
    await database_sync_to_async(agreement_services.agreement_record)(
        agreement=agreement, outcome="agreed", actor=facilitator.user
    )
    comm, _, _ = await connect_phone(people["ventas"])
    await database_sync_to_async(services.live_close)(live=live)
    frames = []
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4004
            break
        frames.append(json.loads(output["text"]))
    assert {"end": 4004} in frames

    def thank_you():
        client = phone_client(people["ventas"])
        return client.get(reverse("participant_live", args=[live.qr_token])).content.decode()

    page = await database_sync_to_async(thank_you)()
    assert "¡Gracias por conversar!" in page
    assert "Lo que acordamos" in page and "Reunión diaria de 15 minutos" in page
    # A closed session refuses the socket for good (no reconnect loop).
    client = await database_sync_to_async(phone_client)(people["ventas"])
    again = communicator(f"/ws/en-vivo/{live.qr_token}/", client)
    await again.connect()
    assert (await again.receive_output(timeout=3))["code"] == 4001


# --- closing the loop: open agreements of earlier sessions ----------------------------------


@pytest.fixture
def next_workshop(live, organisation, facilitator):
    return workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Segunda sesión",
        date=live.workshop.date + datetime.timedelta(days=45),
        start_time=datetime.time(8, 0),
        invited={a: 3 for a in organisation.areas.all()},
        template="tres-horas",
    )


def test_the_library_has_the_open_agreements_kind(library):
    kind = ActivityKind.objects.get(slug="open_agreements")
    assert kind.name == "Revisión de acuerdos abiertos"
    assert kind.default_minutes == 15 and kind.default_grouping == "plenary"


def test_the_builder_offers_the_open_agreements_review_at_the_start(
    facilitator_client, live, people, areas, facilitator, next_workshop
):
    builder = reverse("workshop_builder", args=[next_workshop.pk])
    assert "open-agreements-offer" not in facilitator_client.get(builder).content.decode()
    agreement = in_consent(live, areas, people)
    agreement_services.agreement_record(
        agreement=agreement, outcome="agreed", actor=facilitator.user
    )
    page = facilitator_client.get(builder).content.decode()
    assert "1 acuerdo abierto" in page
    facilitator_client.post(
        reverse("block_add", args=[next_workshop.pk]), {"kind": "open_agreements", "at": "start"}
    )
    first = next_workshop.blocks.order_by("position").first()
    assert first.kind.slug == "open_agreements" and first.position == 1
    assert list(next_workshop.blocks.values_list("position", flat=True).order_by("position")) == (
        list(range(1, next_workshop.blocks.count() + 1))
    )
    assert "open-agreements-offer" not in facilitator_client.get(builder).content.decode()


def test_the_live_review_block_shows_earlier_open_agreements(
    live, people, areas, facilitator, next_workshop
):
    agreed = in_consent(live, areas, people)
    agreement_services.agreement_record(agreement=agreed, outcome="agreed", actor=facilitator.user)
    done = draft(live, areas, people, text="Un acuerdo ya cumplido por todos")
    agreement_services.agreement_ask_consent(agreement=done)
    agreement_services.agreement_record(agreement=done, outcome="agreed", actor=facilitator.user)
    Agreement.objects.filter(pk=done.pk).update(status=Agreement.Status.DONE)
    assert [item.agreement for item in open_agreements(next_workshop)] == [agreed]

    from workshops.services import block_add

    block_add(
        workshop=next_workshop, kind=ActivityKind.objects.get(slug="open_agreements"), first=True
    )
    workshop_set_status(workshop=next_workshop, status=Workshop.Status.READY)
    second = services.live_start(workshop=next_workshop)
    for audience in ("participants", "facilitator", "projector"):
        state = live_state(second, audience=audience)
        assert [item.agreement for item in state.open_agreements] == [agreed]
    from facilitation.broadcast import render_audience

    for audience in ("participants", "facilitator", "projector"):
        html = render_audience(second, audience)
        assert "Acuerdos abiertos de sesiones anteriores" in html
        assert "Reunión diaria de 15 minutos" in html and "Ana (Compras)" in html


def test_the_projector_tallies_the_answers_and_the_room_confirms_over_an_objection(
    facilitator_client, live, people, areas
):
    import html as html_lib

    from facilitation.selectors import live_state

    agreement = in_consent(live, areas, people)
    for slug, choice, reason in (
        ("compras", "agree", ""),
        ("ventas", "object", "Falta Logística"),
        ("logistica", "agree", ""),
    ):
        agreement_services.consent_submit(
            participant=people[slug],
            agreement_id=agreement.pk,
            version=1,
            choice=choice,
            reason=reason,
        )
    state = live_state(live, audience="projector")
    assert state.consent_tally == [("De acuerdo", 2), ("Objeción", 1), ("Abstención", 0)]
    screen = facilitator_client.get(reverse("projector", args=[live.pk])).content.decode()
    assert 'id="consent-tally"' in screen
    room = html_lib.unescape(
        facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    )
    assert "Hay una objeción sin resolver: «Falta Logística»" in room
