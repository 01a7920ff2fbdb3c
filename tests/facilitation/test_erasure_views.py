"""Erasing a person's data on request, through the pages: who may, what the confirmation
says, what a bad request changes (nothing), and what the acta and its exports say after."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from facilitation import retention
from facilitation.models import Contribution, LiveSession, Participant
from tests.facilitation.test_retention import ANA_CARD, LABEL, close, other_session, play

pytestmark = pytest.mark.django_db


@pytest.fixture
def played(live, people, areas, facilitator) -> dict:
    return play(live, people, areas, facilitator)


def erase_url(participant: Participant) -> str:
    return reverse("participant_erase", args=[participant.live_id, participant.pk])


def people_url(live: LiveSession) -> str:
    return reverse("session_people", args=[live.pk])


def report_url(live: LiveSession) -> str:
    return reverse("workshop_report", args=[live.workshop_id])


def test_facilitator_and_manager_see_who_took_part_and_can_erase(
    played, people, facilitator_client, manager_client
):
    live = played["live"]
    for client in (facilitator_client, manager_client):
        page = client.get(people_url(live))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Ana" in html and "Dora" in html
        assert erase_url(people["compras"]) in html
        assert "Borrar datos de esta persona" in html
    # Only the facilitator is sent back to the control room.
    room_link = f'href="{reverse("control_room", args=[live.pk])}"'
    assert room_link in facilitator_client.get(people_url(live)).content.decode()
    assert room_link not in manager_client.get(people_url(live)).content.decode()


def test_another_organisation_gets_404_and_nothing_changes(
    played, people, outsider_client, facilitator_client, other_organisation, outsider
):
    ana = people["compras"]
    assert outsider_client.get(people_url(played["live"])).status_code == 404
    assert outsider_client.get(erase_url(ana)).status_code == 404
    assert outsider_client.post(erase_url(ana), {"requested": "on"}).status_code == 404
    # Their session, through our pages: 404 too.
    theirs = other_session(
        other_organisation,
        outsider,
        {a.slug: a for a in other_organisation.areas.all()},
        "Sesión de otra empresa",
    )
    elena = Participant.objects.get(live=theirs)
    assert facilitator_client.get(people_url(theirs)).status_code == 404
    assert facilitator_client.post(erase_url(elena), {"requested": "on"}).status_code == 404
    # A person of another session named under ours: 404.
    mixed = reverse("participant_erase", args=[played["live"].pk, elena.pk])
    assert facilitator_client.post(mixed, {"requested": "on"}).status_code == 404
    assert Participant.objects.get(pk=ana.pk).name == "Ana"
    assert Participant.objects.get(pk=elena.pk).name == "Elena"


def test_signed_out_visitors_are_sent_to_sign_in(played, people):
    response = Client().post(erase_url(people["compras"]), {"requested": "on"})
    assert response.status_code == 302 and "/entrar/" in response["Location"]
    assert Participant.objects.get(pk=people["compras"].pk).erased_at is None


def test_the_confirmation_says_what_is_erased_what_is_not_and_what_is_kept(
    played, people, facilitator_client
):
    page = facilitator_client.get(erase_url(people["compras"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "¿Borrar los datos de Ana?" in html
    assert "El texto de 1 aporte que firmó." in html
    # Reasons and words are listed, never counted: a count would say who objected unsigned.
    assert "Las razones que haya dado al responder los acuerdos, si dio alguna." in html
    assert "La palabra que haya escrito junto a su emoción, si escribió alguna." in html
    assert "1 acuerdo." not in html
    assert "se guardaron sin su nombre" in html  # anonymous texts cannot be found
    assert "Es responsable de 1 acuerdo" in html
    assert reverse("agreement_detail", args=[played["agreement"].pk]) in html
    assert "Sigue conectada a la sesión" in html  # the session is still open
    assert 'name="csrfmiddlewaretoken"' in html


def test_without_the_confirmation_nothing_is_erased(played, people, facilitator_client):
    response = facilitator_client.post(erase_url(people["compras"]), {})
    assert response.status_code == 400
    assert "Marca la casilla para confirmar" in response.content.decode()
    ana = Participant.objects.get(pk=people["compras"].pk)
    assert ana.name == "Ana" and ana.erased_at is None and ana.removed_at is None
    assert Contribution.objects.get(pk=played["cards"]["a1"].pk).text == ANA_CARD


def test_a_post_without_the_csrf_token_is_refused(played, people, facilitator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator.user)
    response = client.post(erase_url(people["compras"]), {"requested": "on"})
    assert response.status_code == 403
    assert Participant.objects.get(pk=people["compras"].pk).erased_at is None


def test_a_manager_erases_a_person_and_every_page_shows_the_label(
    played, people, manager_client, facilitator_client
):
    live = played["live"]
    ana = people["compras"]
    response = manager_client.post(erase_url(ana), {"requested": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == people_url(live)
    html = response.content.decode()
    assert f"ahora aparece como «{LABEL}»" in html
    assert "También quedó retirada de la sesión." in html
    assert "Datos borrados el" in html
    ana.refresh_from_db()
    assert ana.name == LABEL and ana.erased_at is not None
    # The control room lists the label, never the name.
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert LABEL in room and "Ana <small>" not in room
    # The acta: her card is «(texto borrado)», the figures stay, the note says why.
    acta = manager_client.get(report_url(live)).content.decode()
    assert ANA_CARD not in acta
    assert "(texto borrado)" in acta
    assert "Los datos de 1 persona se borraron porque lo pidió" in acta
    # Asking again changes nothing and says so.
    again = manager_client.post(erase_url(ana), {"requested": "on"}, follow=True)
    assert "ya estaban borrados" in again.content.decode()
    page = manager_client.get(erase_url(ana)).content.decode()
    assert (
        "Los datos de esta persona ya se borraron" in page
        and "<form" not in page.split('id="participant-erase"')[1].split("</section>")[0]
    )


def test_the_control_room_offers_erasure_for_each_person(played, people, facilitator_client):
    room = facilitator_client.get(reverse("control_room", args=[played["live"].pk]))
    html = room.content.decode()
    for person in people.values():
        assert erase_url(person) in html
    assert people_url(played["live"]) in html


def test_after_the_retention_period_the_acta_and_its_exports_say_so(
    played, organisation, manager_client
):
    live = close(played["live"], days_ago=200)
    # 20:00 UTC on 4 March is already 5 March in Tokyo: the date is the organisation's.
    organisation.time_zone = "Asia/Tokyo"
    organisation.save(update_fields=["time_zone"])
    retention.erase_expired(now=datetime.datetime(2027, 3, 4, 20, 0, tzinfo=datetime.UTC))
    note = (
        "Los nombres y textos de esta sesión se borraron el 5 de marzo de 2027 "
        "(periodo de conservación de 180 días)."
    )

    acta = manager_client.get(report_url(live)).content.decode()
    assert note in acta
    assert "Se conservan los acuerdos, sus responsables y todas las cifras." in acta
    assert ANA_CARD not in acta and "Hablar en primera persona" not in acta
    assert acta.count("(texto borrado)") >= 3  # cards, a theme's name, the ground rule
    assert "<li></li>" not in acta and "<q></q>" not in acta
    # The agreement and its owners stay.
    assert "Compartir el pipeline de Ventas con Compras cada lunes" in acta
    assert "Diego Ruiz" in acta

    raw = manager_client.get(reverse("workshop_report_csv", args=[live.workshop_id]))
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert rows[-1] == ["Se conservan los acuerdos, sus responsables y todas las cifras."]
    assert rows[-2] == [note] and rows[-3] == []

    book = load_workbook(
        io.BytesIO(
            manager_client.get(reverse("workshop_report_xlsx", args=[live.workshop_id])).content
        )
    )
    wall = list(book["Todos los aportes"].iter_rows(values_only=True))
    assert any(row[3] == "(texto borrado)" for row in wall[1:] if row and row[0])
    assert not any(ANA_CARD in str(cell) for row in wall for cell in row)
    for sheet in book.worksheets:
        assert note in [row[0] for row in sheet.iter_rows(values_only=True)]


def test_the_people_page_says_when_the_period_will_erase_the_session(
    played, manager_client, organisation
):
    live = close(played["live"], days_ago=0)
    due = timezone.localdate(live.closed_at + datetime.timedelta(days=180), organisation.zone)
    html = manager_client.get(people_url(live)).content.decode()
    assert "se borrarán automáticamente el" in html and str(due.year) in html
    retention.erase_expired(now=live.closed_at + datetime.timedelta(days=181))
    html = manager_client.get(people_url(live)).content.decode()
    assert "se borraron el" in html
    assert "Borrar datos de esta persona" not in html  # nobody left to erase
