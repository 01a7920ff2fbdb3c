"""The preparation checklist and the run sheet, through HTTP as a facilitator uses them."""

import datetime
import re

import pytest
from django.urls import reverse

from workshops import method
from workshops.agenda import DEFAULT_CHECKLIST
from workshops.models import ChecklistItem, InvitedArea, Workshop
from workshops.services import workshop_create

TEMPLATE = method.templates()["tres-horas"]
NOTE = "Ojo: Ventas llega tarde; empezar con Logística."


@pytest.fixture
def workshop(library, organisation, facilitator) -> Workshop:
    areas = list(organisation.areas.all())
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="El pedido perdido de Ferretería Sur",
        purpose="Un cliente grande perdió un pedido entre Ventas y Logística.",
        date=datetime.date(2026, 3, 12),
        start_time=datetime.time(8, 0),
        place="Sala Cóndor, piso 3",
        invited={areas[0]: 6, areas[1]: 4},
        template="tres-horas",
    )
    block = workshop.blocks.get(position=2)
    block.facilitator_notes = NOTE
    block.save(update_fields=["facilitator_notes"])
    return workshop


@pytest.fixture
def their_workshop(library, other_organisation, outsider) -> Workshop:
    return workshop_create(
        organisation=other_organisation,
        facilitator=outsider.user,
        title="Sesión de Textiles",
        date=datetime.date(2026, 3, 12),
        start_time=datetime.time(9, 0),
        template="tres-horas",
    )


def checklist_url(workshop: Workshop) -> str:
    return reverse("workshop_checklist", args=[workshop.pk])


def item_url(item: ChecklistItem) -> str:
    return reverse("workshop_checklist_item", args=[item.workshop_id, item.pk])


def add_url(workshop: Workshop) -> str:
    return reverse("workshop_checklist_add", args=[workshop.pk])


# --- Checklist -----------------------------------------------------------------------------


def test_checklist_lists_the_default_items_and_progress(facilitator_client, workshop):
    response = facilitator_client.get(checklist_url(workshop))
    html = response.content.decode()
    assert response.status_code == 200
    for text in DEFAULT_CHECKLIST:
        assert text in html
    assert f"0 de {len(DEFAULT_CHECKLIST)} listas" in html
    assert f'<progress id="checklist-progress" value="0" max="{len(DEFAULT_CHECKLIST)}"' in html


def test_ticking_an_item_marks_it_done_and_returns_the_partial(facilitator_client, workshop):
    item = workshop.checklist.first()
    response = facilitator_client.post(
        item_url(item), {"done": "1"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="checklist"')
    assert "<html" not in html
    assert f"1 de {len(DEFAULT_CHECKLIST)} listas" in html
    item.refresh_from_db()
    assert item.done is True


def test_unticking_an_item_marks_it_not_done(facilitator_client, workshop):
    item = workshop.checklist.first()
    item.done = True
    item.save(update_fields=["done"])
    # An unchecked box sends no "done" field at all.
    response = facilitator_client.post(item_url(item), {}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.done is False


def test_ticking_without_htmx_redirects_back_to_the_checklist(facilitator_client, workshop):
    item = workshop.checklist.first()
    response = facilitator_client.post(item_url(item), {"done": "1"})
    assert response.status_code == 302
    assert response["Location"] == checklist_url(workshop)
    item.refresh_from_db()
    assert item.done is True


def test_progress_counts_done_items(facilitator_client, workshop):
    for item in workshop.checklist.all()[:4]:
        facilitator_client.post(item_url(item), {"done": "1"}, headers={"HX-Request": "true"})
    html = facilitator_client.get(checklist_url(workshop)).content.decode()
    assert "4 de 7 listas" in html
    assert '<progress id="checklist-progress" value="4" max="7"' in html
    assert html.count("checklist-item is-done") == 4


def test_adding_an_item_saves_it_at_the_end(facilitator_client, workshop):
    response = facilitator_client.post(
        add_url(workshop),
        {"text": "  Llevar el contrato del cliente  "},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Llevar el contrato del cliente" in html
    assert "0 de 8 listas" in html
    last = workshop.checklist.last()
    assert last.text == "Llevar el contrato del cliente"
    assert last.done is False


def test_adding_without_htmx_redirects(facilitator_client, workshop):
    response = facilitator_client.post(add_url(workshop), {"text": "Imprimir la agenda"})
    assert response.status_code == 302
    assert workshop.checklist.filter(text="Imprimir la agenda").exists()


@pytest.mark.parametrize("text", ["", "   "])
def test_adding_an_empty_item_is_refused_in_spanish(facilitator_client, workshop, text):
    response = facilitator_client.post(
        add_url(workshop), {"text": text}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Escribe la tarea antes de agregarla." in html
    assert workshop.checklist.count() == len(DEFAULT_CHECKLIST)


def test_adding_a_too_long_item_is_refused(facilitator_client, workshop):
    response = facilitator_client.post(add_url(workshop), {"text": "x" * 201})
    assert "La tarea es demasiado larga" in response.content.decode()
    assert workshop.checklist.count() == len(DEFAULT_CHECKLIST)


# --- Run sheet -----------------------------------------------------------------------------


def _clock_times(html: str) -> list[str]:
    return re.findall(r'<span class="clock">([0-9:]+–[0-9:]+)</span>', html)


def test_run_sheet_shows_the_session_and_every_block_with_clock_times(facilitator_client, workshop):
    response = facilitator_client.get(reverse("workshop_runsheet", args=[workshop.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "El pedido perdido de Ferretería Sur" in html
    assert "Un cliente grande perdió un pedido" in html
    assert "Sala Cóndor, piso 3" in html
    assert "12 de marzo de 2026" in html
    assert "6 personas" in html and "4 personas" in html
    for invited in InvitedArea.objects.filter(workshop=workshop):
        assert invited.area.name in html
    for block in TEMPLATE.blocks:
        assert block.title in html
    assert "Mesas mixtas" in html
    assert "Apertura" in html
    # The bank's question copied into a block is printed.
    question = workshop.blocks.filter(questions__isnull=False).first().questions.first()
    assert question.text in html
    assert NOTE in html
    # The session starts at 08:00 in Bogotá: clock times follow block by block.
    times = _clock_times(html)
    assert len(times) == len(TEMPLATE.blocks)
    assert times[:3] == ["08:00–08:10", "08:10–08:15", "08:15–08:20"]
    total = TEMPLATE.minutes
    end = datetime.datetime(2026, 3, 12, 8, 0) + datetime.timedelta(minutes=total)
    assert times[-1].endswith(end.strftime("%H:%M"))


def test_run_sheet_times_follow_the_organisation_time_zone(
    facilitator_client, workshop, organisation
):
    # The same wall-clock start read in another zone would shift every time; it must not.
    organisation.time_zone = "Asia/Tokyo"
    organisation.save(update_fields=["time_zone"])
    html = facilitator_client.get(reverse("workshop_runsheet", args=[workshop.pk])).content.decode()
    assert _clock_times(html)[0] == "08:00–08:10"


def test_participant_version_has_no_facilitator_notes(facilitator_client, workshop):
    response = facilitator_client.get(reverse("workshop_runsheet_participants", args=[workshop.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert NOTE not in html
    assert "Notas y guion" not in html
    assert "Para profundizar" not in html and "Si la sala se tensa" not in html
    # The purpose is also the opening block's note: only the notes box must go.
    assert "Agenda para participantes" in html
    assert "Mesas mixtas: lo que hay detrás del «no le importa»" in html
    assert _clock_times(html)[0] == "08:00–08:10"


def test_run_sheet_has_no_site_navigation_and_loads_print_assets(facilitator_client, workshop):
    html = facilitator_client.get(reverse("workshop_runsheet", args=[workshop.pk])).content.decode()
    assert 'class="site-nav"' not in html
    assert re.search(r"/static/css/print\.[0-9a-f]{12}\.css", html)
    assert re.search(r"/static/js/print\.[0-9a-f]{12}\.js", html)
    assert "data-print" in html
    assert "style=" not in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    ("query", "sheet"),
    [
        ("", "page-a4.css"),
        ("?papel=a4", "page-a4.css"),
        ("?papel=carta", "page-letter.css"),
        ("?papel=tabloide", "page-a4.css"),
        ("?papel=", "page-a4.css"),
    ],
)
@pytest.mark.parametrize("name", ["workshop_runsheet", "workshop_runsheet_participants"])
def test_paper_parameter_picks_the_page_size(facilitator_client, workshop, name, query, sheet):
    response = facilitator_client.get(reverse(name, args=[workshop.pk]) + query)
    html = response.content.decode()
    assert response.status_code == 200
    stem = sheet.removesuffix(".css")
    assert re.search(rf"/static/css/{stem}\.[0-9a-f]{{12}}\.css", html)  # hashed (ServeStatic)
    other = "page-letter." if stem == "page-a4" else "page-a4."
    assert other not in html


# --- Who may see and change what -----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["workshop_checklist", "workshop_runsheet", "workshop_runsheet_participants"]
)
def test_outsider_gets_404_for_another_organisations_pages(outsider_client, workshop, name):
    assert outsider_client.get(reverse(name, args=[workshop.pk])).status_code == 404


@pytest.mark.parametrize(
    "name", ["workshop_checklist", "workshop_runsheet", "workshop_runsheet_participants"]
)
def test_manager_without_facilitator_role_gets_404(manager_client, workshop, name):
    assert manager_client.get(reverse(name, args=[workshop.pk])).status_code == 404


def test_outsider_cannot_tick_or_add_and_nothing_changes(outsider_client, workshop):
    item = workshop.checklist.first()
    assert outsider_client.post(item_url(item), {"done": "1"}).status_code == 404
    assert outsider_client.post(add_url(workshop), {"text": "Intruso"}).status_code == 404
    item.refresh_from_db()
    assert item.done is False
    assert workshop.checklist.count() == len(DEFAULT_CHECKLIST)


def test_manager_without_facilitator_role_cannot_tick(manager_client, workshop):
    item = workshop.checklist.first()
    assert manager_client.post(item_url(item), {"done": "1"}).status_code == 404
    item.refresh_from_db()
    assert item.done is False


def test_another_sessions_item_through_my_session_is_404(
    facilitator_client, workshop, their_workshop
):
    # My session in the URL, their item's id: tampered, refused, unchanged.
    their_item = their_workshop.checklist.first()
    url = reverse("workshop_checklist_item", args=[workshop.pk, their_item.pk])
    assert facilitator_client.post(url, {"done": "1"}).status_code == 404
    their_item.refresh_from_db()
    assert their_item.done is False


def test_their_session_in_my_urls_is_404(facilitator_client, their_workshop):
    item = their_workshop.checklist.first()
    assert facilitator_client.get(checklist_url(their_workshop)).status_code == 404
    assert facilitator_client.post(item_url(item), {"done": "1"}).status_code == 404
    assert facilitator_client.post(add_url(their_workshop), {"text": "Intruso"}).status_code == 404
    assert their_workshop.checklist.count() == len(DEFAULT_CHECKLIST)
    item.refresh_from_db()
    assert item.done is False


def test_toggling_and_running_sheets_only_accept_their_methods(facilitator_client, workshop):
    item = workshop.checklist.first()
    assert facilitator_client.get(item_url(item)).status_code == 405
    assert facilitator_client.get(add_url(workshop)).status_code == 405
    assert (
        facilitator_client.post(reverse("workshop_runsheet", args=[workshop.pk])).status_code == 405
    )


def test_anonymous_visitor_is_sent_to_login(client, workshop):
    response = client.get(reverse("workshop_runsheet", args=[workshop.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
