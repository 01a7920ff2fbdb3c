"""The printable form for someone without a phone (issue 13): drawn from the session's own
agenda, with the notice to accept, name and area, each block's questions and lines, the
check-in's emotions, the dots and the consent; never a link, the join code or the
facilitator's notes; only the organisation's facilitators open it. And the paper page speaks
to the staff member when the notice changed while they were reading it to the person."""

import re

import pytest
from django.urls import reverse

from facilitation import paper
from facilitation.models import Emotion, Participant
from tests.facilitation.test_paper_views import add_data
from workshops.models import BlockQuestion

STAFF_NOTICE_CHANGED = (
    "El aviso de privacidad cambió mientras agregabas a esta persona. Léele o entrégale la "
    "versión nueva y, si está de acuerdo, marca otra vez la casilla."
)


def form_url(live) -> str:
    return reverse("paper_form", args=[live.pk])


# --- what the form is made of ------------------------------------------------------------------


def test_the_sections_follow_the_agenda_and_skip_blocks_that_ask_nothing(live):
    sections = paper.paper_form_sections(live)
    asks = [(section.block.kind.slug, section.asks) for section in sections]
    assert asks == [
        ("diagnosis", "diagnosis"),
        ("checkin", "emotion"),
        ("principles", "principles"),
        ("area_round", "cards"),
        ("cafe_round", "cards"),
        ("unsaid", "cards"),
        ("bridge", "cards"),
        ("discovery", "cards"),
        ("dream", "cards"),
        ("codesign", "cards"),
        ("agreements", "consent"),
        ("checkout", "emotion"),
    ]
    by_slug = {section.block.kind.slug: section for section in sections}
    assert by_slug["unsaid"].anonymous and not by_slug["area_round"].anonymous
    assert list(by_slug["unsaid"].dots) == [1, 2, 3]
    assert list(by_slug["area_round"].dots) == []
    assert by_slug["checkout"].checkout and not by_slug["checkin"].checkout


def test_the_sections_read_the_blocks_as_they_are_now(live):
    block = live.workshop.blocks.get(kind__slug="area_round")
    BlockQuestion.objects.filter(block=block).update(text="¿Qué le pedirías a Compras?")
    block.anonymous = True
    block.dots = 2
    block.save(update_fields=["anonymous", "dots"])
    section = next(s for s in paper.paper_form_sections(live) if s.block.pk == block.pk)
    assert section.questions == ["¿Qué le pedirías a Compras?"]
    assert section.anonymous and list(section.dots) == [1, 2]


# --- the page ------------------------------------------------------------------------------------


def test_the_form_prints_the_agenda_the_notice_and_the_emotions(facilitator_client, live):
    response = facilitator_client.get(form_url(live))
    assert response.status_code == 200
    text = response.content.decode()
    workshop = live.workshop
    assert workshop.title in text
    assert "Formato para participar en papel" in text
    assert "Lo que se queda en la sala" in text
    assert "Ley 1581" in text  # the organisation's notice, in full
    assert f"versión {workshop.organisation.privacy_notice_version}" in text
    assert "Leí el aviso de privacidad (o me lo leyeron)" in text
    assert "Tu nombre o un alias" in text
    for invited in workshop.invited.select_related("area"):
        assert invited.area.name in text
    for _value, label in Emotion.choices:
        assert str(label) in text
    for block in workshop.blocks.filter(allows_contributions=True):
        assert f'id="form-block-{block.pk}"' in text
        for question in block.questions.all():
            assert question.text in text
    assert "Sin importar quiénes somos" in text  # the first assumption
    assert "Escucha generosa y enfocada" in text  # a principle
    assert "Votación: tienes 3 puntos" in text
    assert "¿puedo sostener este acuerdo?" in text
    assert "Firmo mi objeción" in text
    assert text.count('class="write-line"') > 30


def test_anonymous_answers_go_on_a_sheet_without_name(facilitator_client, live):
    text = facilitator_client.get(form_url(live)).content.decode()
    unsaid = live.workshop.blocks.get(kind__slug="unsaid")
    block_part = text.split(f'id="form-block-{unsaid.pk}"')[1].split("</section>")[0]
    assert "«Hoja sin nombre»" in block_part
    assert 'class="write-line"' not in block_part.split('class="form-dots"')[0]
    sheet = text.split('id="form-unsigned"')[1].split("</section>")[0]
    assert "No escribas aquí tu nombre ni tu área" in sheet
    assert f'id="form-unsigned-{unsaid.pk}"' in sheet
    assert unsaid.questions.first().text in sheet
    assert "Tu nombre" not in sheet and "Tu área" not in sheet and "Firma" not in sheet
    signed = live.workshop.blocks.get(kind__slug="area_round")
    assert f'id="form-unsigned-{signed.pk}"' not in text


def test_a_session_without_anonymous_blocks_prints_no_unsigned_sheet(facilitator_client, live):
    live.workshop.blocks.update(anonymous=False)
    assert 'id="form-unsigned"' not in facilitator_client.get(form_url(live)).content.decode()


def test_the_form_carries_no_link_code_or_private_note(facilitator_client, live):
    block = live.workshop.blocks.get(kind__slug="unsaid")
    block.facilitator_notes = "Ojo con Ventas: nota privada"
    block.save(update_fields=["facilitator_notes"])
    text = facilitator_client.get(form_url(live)).content.decode()
    main = text.split('<main class="sheet paper-form"')[1]
    assert "href=" not in main
    assert live.join_code not in text and live.display_code not in text
    assert live.qr_token not in text
    assert "/p/" not in text and "/unirse/" not in text
    assert "nota privada" not in text
    assert not re.search(r"https?://", main)


def test_the_form_prints_on_letter_when_asked(facilitator_client, live):
    assert "page-a4" in facilitator_client.get(form_url(live)).content.decode()
    letter = facilitator_client.get(form_url(live), {"papel": "carta"}).content.decode()
    assert "page-letter" in letter and "page-a4" not in letter
    assert "page-a4" in facilitator_client.get(form_url(live), {"papel": "x"}).content.decode()


def test_the_paper_page_and_the_control_room_link_to_the_form(facilitator_client, live):
    for page in ("paper_room", "control_room"):
        text = facilitator_client.get(reverse(page, args=[live.pk])).content.decode()
        assert f'href="{form_url(live)}"' in text


def test_only_the_organisations_facilitators_open_the_form(
    outsider_client, manager_client, client, live
):
    assert outsider_client.get(form_url(live)).status_code == 404
    assert manager_client.get(form_url(live)).status_code == 404
    assert client.get(form_url(live)).status_code == 302  # to the login


def test_the_form_is_read_only(facilitator_client, live):
    assert facilitator_client.post(form_url(live)).status_code == 405


# --- the notice changed while it was being read to the person ---------------------------------


def test_a_changed_notice_is_explained_to_the_staff_member(facilitator_client, live, areas):
    stale = add_data(
        live, areas, privacy_version=live.workshop.organisation.privacy_notice_version + 1
    )
    text = facilitator_client.post(reverse("paper_add", args=[live.pk]), stale).content.decode()
    assert STAFF_NOTICE_CHANGED in text
    assert "mientras lo leías" not in text
    assert not Participant.objects.exists()


def test_the_paper_service_refuses_a_changed_notice_in_the_staffs_words(live, areas):
    organisation = live.workshop.organisation
    stale = organisation.privacy_notice_version
    organisation.privacy_notice_version = stale + 1
    organisation.save(update_fields=["privacy_notice_version"])
    with pytest.raises(paper.LiveError) as refused:
        paper.paper_participant_add(
            live=live, name="Don Jairo", area=areas["logistica"], privacy_version=stale
        )
    assert refused.value.messages == [STAFF_NOTICE_CHANGED]
    assert not Participant.objects.exists()


def test_a_phone_still_hears_it_in_its_own_words(client, live, areas):
    """The join form keeps speaking to the person holding the phone."""
    from facilitation.forms import JoinForm

    form = JoinForm(
        {
            "name": "Ana",
            "area": areas["compras"].pk,
            "privacy_version": 1,
            "privacy_accepted": "on",
        },
        areas=list(areas.values()),
        notice_version=2,
    )
    assert not form.is_valid()
    assert "El aviso de privacidad cambió mientras lo leías" in form.errors["privacy_accepted"][0]
