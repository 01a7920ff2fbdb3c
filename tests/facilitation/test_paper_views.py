"""The paper page through HTTP: a facilitator or a co-facilitator of the organisation adds
people on paper and enters what they answered; refusals say why in Spanish and change
nothing; another session's participant and another organisation's session answer 404."""

import pytest
from django.test import Client
from django.urls import reverse

from agreements.models import Consent
from facilitation import paper, services
from facilitation.models import (
    CommitmentAnswer,
    Contribution,
    Dot,
    EmotionCheck,
    GroundRule,
    Participant,
)
from tests.conftest import PASSWORD
from tests.facilitation.conftest import goto
from tests.facilitation.test_agreements_in_session import in_consent
from tests.facilitation.test_paper import block_of, other_live
from workshops.services import member_create

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def jairo(live, areas) -> Participant:
    return paper.paper_participant_add(
        live=live,
        name="Don Jairo",
        area=areas["logistica"],
        privacy_version=live.workshop.organisation.privacy_notice_version,
    )


@pytest.fixture
def cofacilitator_client(organisation) -> Client:
    """Another facilitator of the same organisation, on a second device."""
    membership = member_create(
        organisation=organisation,
        username="camilo",
        password=PASSWORD,
        first_name="Camilo",
        is_facilitator=True,
    )
    client = Client()
    client.force_login(membership.user)
    return client


def page_url(live) -> str:
    return reverse("paper_room", args=[live.pk])


def action_url(live, action: str) -> str:
    return reverse("paper_action", args=[live.pk, action])


def choose_url(live) -> str:
    return reverse("paper_choose", args=[live.pk])


def choose(client, live, person) -> None:
    response = client.post(choose_url(live), {"participant": person.pk})
    assert response.status_code == 302
    assert response.url == f"{page_url(live)}#paper-panel"


def add_data(live, areas, **extra) -> dict:
    data = {
        "name": "Doña Rosa",
        "area": areas["compras"].pk,
        "privacy_version": live.workshop.organisation.privacy_notice_version,
        "privacy_accepted": "on",
    }
    data.update(extra)
    return data


# --- who may use it -----------------------------------------------------------------------------


def test_the_control_room_links_to_the_paper_page(facilitator_client, live):
    response = facilitator_client.get(reverse("control_room", args=[live.pk]))
    assert page_url(live) in response.content.decode()


def test_a_cofacilitator_of_the_organisation_uses_the_paper_page(
    cofacilitator_client, live, areas, jairo
):
    response = cofacilitator_client.get(page_url(live))
    assert response.status_code == 200
    assert "Don Jairo" in response.content.decode()
    goto(live, "area_round")
    response = cofacilitator_client.post(
        action_url(live, "contribute"),
        {
            "participant": jairo.pk,
            "key": "k1",
            "text": "Nos enteramos tarde",
            "block": block_of(live, "area_round").pk,
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "Aporte guardado." in response.content.decode()
    assert Contribution.objects.get().participant_id == jairo.pk


def test_another_organisations_session_is_not_found(outsider_client, live, areas, jairo):
    assert outsider_client.get(page_url(live)).status_code == 404
    assert (
        outsider_client.post(
            reverse("paper_add", args=[live.pk]), add_data(live, areas)
        ).status_code
        == 404
    )
    goto(live, "checkin")
    response = outsider_client.post(
        action_url(live, "emotion"),
        {"participant": jairo.pk, "moment": "checkin", "emotion": "calma", "intensity": "3"},
    )
    assert response.status_code == 404
    assert Participant.objects.count() == 1
    assert not EmotionCheck.objects.exists()


def test_a_manager_who_does_not_facilitate_cannot_enter_anything(manager_client, live):
    assert manager_client.get(page_url(live)).status_code == 404


def test_an_unknown_action_or_malformed_person_is_not_found(facilitator_client, live, jairo):
    assert (
        facilitator_client.post(
            action_url(live, "vote-twice"), {"participant": jairo.pk}
        ).status_code
        == 404
    )
    assert (
        facilitator_client.post(action_url(live, "emotion"), {"participant": "x1"}).status_code
        == 404
    )
    assert facilitator_client.post(choose_url(live), {"participant": "abc"}).status_code == 404


# --- adding a person ----------------------------------------------------------------------------


def test_adding_a_person_on_paper_opens_their_panel(facilitator_client, live, areas):
    response = facilitator_client.post(reverse("paper_add", args=[live.pk]), add_data(live, areas))
    rosa = Participant.objects.get()
    assert response.status_code == 302
    assert response.url == page_url(live)  # never the person in an address (access logs)
    assert rosa.on_paper and rosa.privacy_accepted_at is not None
    page = facilitator_client.get(response.url).content.decode()
    assert "Doña Rosa ya está en la sesión, en papel." in page
    assert 'id="paper-panel"' in page


def test_adding_without_the_privacy_notice_changes_nothing(facilitator_client, live, areas):
    data = add_data(live, areas)
    del data["privacy_accepted"]
    response = facilitator_client.post(reverse("paper_add", args=[live.pk]), data)
    assert response.status_code == 200
    assert "la persona necesita aceptar el aviso de privacidad" in response.content.decode()
    stale = add_data(live, areas, privacy_version=99)
    response = facilitator_client.post(reverse("paper_add", args=[live.pk]), stale)
    assert "El aviso de privacidad cambió" in response.content.decode()
    assert not Participant.objects.exists()


def test_adding_with_the_door_closed_says_so_and_changes_nothing(facilitator_client, live, areas):
    services.live_set_door(live=live, open=False)
    response = facilitator_client.post(reverse("paper_add", args=[live.pk]), add_data(live, areas))
    assert response.status_code == 200
    assert "El ingreso está cerrado" in response.content.decode()
    assert not Participant.objects.exists()


def test_an_area_not_invited_is_refused(facilitator_client, live, areas, organisation):
    uninvited = organisation.areas.create(name="Finanzas", slug="finanzas", position=9)
    response = facilitator_client.post(
        reverse("paper_add", args=[live.pk]), add_data(live, areas, area=uninvited.pk)
    )
    assert "Elige una de las áreas invitadas." in response.content.decode()
    assert not Participant.objects.exists()


# --- entries ------------------------------------------------------------------------------------


def test_a_refused_entry_says_why_in_spanish_and_changes_nothing(facilitator_client, live, jairo):
    goto(live, "area_round")
    services.contributions_set_open(live=live, open=False)
    response = facilitator_client.post(
        action_url(live, "contribute"),
        {
            "participant": jairo.pk,
            "key": "k1",
            "text": "Tarde",
            "block": block_of(live, "area_round").pk,
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "Los aportes están cerrados en este momento." in response.content.decode()
    assert not Contribution.objects.exists()
    # Without htmx: the message comes back on the page.
    response = facilitator_client.post(
        action_url(live, "emotion"),
        {"participant": jairo.pk, "moment": "checkin", "emotion": "nada", "intensity": "3"},
        follow=True,
    )
    assert "Elige una de las emociones de la lista." in response.content.decode()
    assert not EmotionCheck.objects.exists()


def test_another_sessions_participant_is_not_found(
    facilitator_client, live, organisation, facilitator, areas
):
    other = other_live(organisation, facilitator)
    stranger = paper.paper_participant_add(
        live=other,
        name="Otro",
        area=areas["ventas"],
        privacy_version=organisation.privacy_notice_version,
    )
    goto(live, "checkin")
    response = facilitator_client.post(
        action_url(live, "emotion"),
        {"participant": stranger.pk, "moment": "checkin", "emotion": "calma", "intensity": "3"},
        **HTMX,
    )
    assert response.status_code == 404
    chosen = facilitator_client.post(choose_url(live), {"participant": stranger.pk})
    assert chosen.status_code == 404
    assert not EmotionCheck.objects.exists()


def test_the_staff_cannot_answer_for_someone_with_a_phone(facilitator_client, live, people):
    ana = people["compras"]
    goto(live, "checkin")
    response = facilitator_client.post(
        action_url(live, "emotion"),
        {"participant": ana.pk, "moment": "checkin", "emotion": "calma", "intensity": "3"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "participa desde su celular" in response.content.decode()
    assert not EmotionCheck.objects.exists()
    choose(facilitator_client, live, ana)
    page = facilitator_client.get(page_url(live)).content.decode()
    assert "participa desde su celular" in page
    assert 'id="paper-emotion"' not in page


def test_check_in_anonymous_card_and_consent_through_http(
    facilitator_client, live, areas, people, jairo
):
    goto(live, "checkin")
    response = facilitator_client.post(
        action_url(live, "emotion"),
        {
            "participant": jairo.pk,
            "moment": "checkin",
            "emotion": "cansancio",
            "intensity": "4",
            "word": "madrugué",
        },
        **HTMX,
    )
    assert "Emoción registrada." in response.content.decode()
    assert EmotionCheck.objects.get(participant=jairo).word == "madrugué"

    goto(live, "unsaid")
    data = {
        "participant": jairo.pk,
        "key": "k-anon",
        "text": "Nos da miedo decir que no",
        "block": block_of(live, "unsaid").pk,
    }
    response = facilitator_client.post(action_url(live, "contribute"), data, **HTMX)
    assert "Aporte anónimo guardado, sin nombre." in response.content.decode()
    facilitator_client.post(action_url(live, "contribute"), data, **HTMX)  # a double submit
    card = Contribution.objects.get()
    assert (card.participant_id, card.area_id, card.on_paper) == (None, None, False)
    # The control room shows it as anonymous, with no paper mark.
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    queued = room.split(f'id="queue-{card.pk}"')[1].split("</li>")[0]
    assert "Anónimo" in queued and "en papel" not in queued and "Don Jairo" not in queued

    agreement = in_consent(live, areas, people)
    response = facilitator_client.post(
        action_url(live, "consent"),
        {
            "participant": jairo.pk,
            "agreement": agreement.pk,
            "version": agreement.version,
            "choice": "object",
            "reason": "Logística no tiene quién vaya",
        },
        **HTMX,
    )
    assert "Respuesta al acuerdo registrada." in response.content.decode()
    consent = Consent.objects.get(participant=jairo)
    assert (consent.choice, consent.signed) == ("object", False)


def test_signed_card_and_person_are_marked_on_paper_in_the_control_room(
    facilitator_client, live, jairo
):
    goto(live, "area_round")
    facilitator_client.post(
        action_url(live, "contribute"),
        {
            "participant": jairo.pk,
            "key": "k1",
            "text": "Nos enteramos tarde",
            "block": block_of(live, "area_round").pk,
        },
        **HTMX,
    )
    card = Contribution.objects.get()
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    wall_card = room.split(f'id="room-c-{card.pk}"')[1].split("</li>")[0]
    assert "Don Jairo" in wall_card and "en papel" in wall_card
    people = room.split('id="participants"')[1]
    assert "en papel" in people.split("Don Jairo")[1].split("</li>")[0]
    presence = room.split('id="presence"')[1].split("</section>")[0]
    assert "1 en papel" in presence


def test_the_panel_refresh_answers_204_until_the_session_moves(facilitator_client, live, jairo):
    choose(facilitator_client, live, jairo)
    url = page_url(live)
    first = facilitator_client.get(url, **HTMX)
    assert first.status_code == 200
    live.refresh_from_db()
    unchanged = facilitator_client.get(f"{url}?sello={live.seq}", **HTMX)
    assert unchanged.status_code == 204
    goto(live, "checkin")
    moved = facilitator_client.get(f"{url}?sello={live.seq}", **HTMX)
    assert moved.status_code == 200
    assert 'id="paper-emotion"' in moved.content.decode()


def test_principles_and_ground_rule_through_http(facilitator_client, live, jairo):
    goto(live, "principles")
    choose(facilitator_client, live, jairo)
    panel = facilitator_client.get(page_url(live), **HTMX)
    assert 'id="paper-principles"' in panel.content.decode()
    response = facilitator_client.post(
        action_url(live, "commitment"),
        {"participant": jairo.pk, "key": "c1", "choice": "reserve", "note": "Ya lo oí antes"},
        **HTMX,
    )
    page = response.content.decode()
    assert "Respuesta a los principios registrada, sin nombre." in page
    assert "Ya respondió los principios." in page
    response = facilitator_client.post(
        action_url(live, "ground-rule"),
        {"participant": jairo.pk, "key": "r1", "text": "Celulares en silencio"},
        **HTMX,
    )
    assert "Propuesta registrada, sin nombre." in response.content.decode()
    assert GroundRule.objects.get().text == "Celulares en silencio"
    assert CommitmentAnswer.objects.get().note == "Ya lo oí antes"


def test_dots_through_http(facilitator_client, live, people, jairo):
    goto(live, "unsaid")
    block = block_of(live, "unsaid")
    card, _ = services.contribution_submit(
        participant=people["ventas"], key="v1", text="Lo que no decimos", block_id=block.pk
    )
    services.contributions_reveal(live=live, block=block)
    services.voting_set_open(live=live, open=True)
    choose(facilitator_client, live, jairo)
    panel = facilitator_client.get(page_url(live), **HTMX)
    assert f'id="paper-c{card.pk}"' in panel.content.decode()
    data = {"participant": jairo.pk, "key": "d1", "target": f"c{card.pk}"}
    response = facilitator_client.post(action_url(live, "dot"), data, **HTMX)
    assert "Punto registrado." in response.content.decode()
    facilitator_client.post(action_url(live, "dot"), data, **HTMX)  # a double tap
    assert Dot.objects.filter(participant=jairo).count() == 1
    response = facilitator_client.post(
        action_url(live, "dot-remove"), {"participant": jairo.pk, "target": f"c{card.pk}"}, **HTMX
    )
    assert "Punto retirado." in response.content.decode()
    assert not Dot.objects.exists()
    response = facilitator_client.post(
        action_url(live, "dot"), {**data, "key": "d2", "target": "c999999"}, **HTMX
    )
    assert "Ese aporte no está en la votación." in response.content.decode()
    assert not Dot.objects.exists()


def test_no_address_ever_names_the_person_on_paper(facilitator_client, facilitator, live, jairo):
    """An access log writes addresses: «person 17's panel, then a card» would name the author
    of an anonymous card. The person is chosen with a POST and kept in the session."""
    goto(live, "unsaid")
    choose(facilitator_client, live, jairo)
    page = facilitator_client.get(page_url(live)).content.decode()
    assert "persona=" not in page
    assert f'hx-get="{page_url(live)}?sello=' in page
    data = {
        "participant": jairo.pk,
        "key": "k1",
        "text": "Nadie nos avisa",
        "block": block_of(live, "unsaid").pk,
    }
    response = facilitator_client.post(action_url(live, "contribute"), data)
    assert response.status_code == 302 and response.url == page_url(live)
    # Another browser (a co-facilitator) has chosen nobody yet.
    other = Client()
    other.force_login(facilitator.user)
    assert 'id="paper-panel"' not in other.get(page_url(live)).content.decode()
