"""A participant asks for their data to be erased (Ley 1581 de 2012). At 1366×768, the
facilitator finds her in the control room, reads what erasing does and does not do, forgets
the confirmation once (nothing is erased), confirms, and sees the neutral label everywhere; the
acta shows her card as «(texto borrado)» and says why. Later the retention period erases the
whole session's names and texts, and the acta says when."""

import datetime
from concurrent.futures import ThreadPoolExecutor

from django.db import connections
from playwright.sync_api import Page, expect

from facilitation import retention
from facilitation import services as live_services
from facilitation.models import LiveSession, Participant
from tests.browser.conftest import allow_console_error, log_in
from tests.conftest import PASSWORD
from tests.facilitation.test_retention import ANA_CARD, LABEL, play
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status

SCREEN = {"width": 1366, "height": 768}


def _session(organisation, facilitator) -> dict:
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="El pedido perdido de Ferretería Sur",
        date=datetime.date.today(),
        start_time=datetime.time(8, 0),
        place="Sala Cóndor, piso 3",
        invited={area: 4 for area in organisation.areas.all()},
        template="tres-horas",
    )
    live = live_services.live_start(
        workshop=workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    )
    areas = {area.slug: area for area in organisation.areas.all()}
    people = {}
    for slug, name in (("compras", "Ana"), ("ventas", "Beto"), ("logistica", "Caro")):
        person = live_services.participant_join(live=live, name=name, area=areas[slug])
        people[slug] = live_services.participant_commit(participant=person)
    played = play(live, people, areas, facilitator)
    return {"live": played["live"], "ana": people["compras"]}


def _in_thread(function, *args):
    """Services broadcast with async_to_sync, and Playwright's loop runs in this thread."""

    def run():
        try:
            return function(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _close(live_id: int) -> None:
    live_services.live_close(live=LiveSession.objects.get(pk=live_id))


def _retention_passes(live_id: int) -> None:
    live = LiveSession.objects.get(pk=live_id)
    retention.erase_expired(now=live.closed_at + datetime.timedelta(days=181))


def test_a_facilitator_erases_one_person_and_the_acta_says_so(
    library, organisation, facilitator, laptop: Page, screens
):
    played = _in_thread(_session, organisation, facilitator)
    live, ana = played["live"], played["ana"]
    page = laptop
    page.set_viewport_size(SCREEN)
    log_in(page, "lili", PASSWORD)

    # The control room, live: every person has «Borrar datos».
    page.goto(f"/en-vivo/{live.pk}/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    people = page.locator("#participants")
    row = people.locator("li", has_text="Ana")
    expect(row.get_by_role("link", name="Borrar datos")).to_be_visible()
    row.get_by_role("link", name="Borrar datos").hover()  # scrolls the list into view
    screens.shot(page, "01-room-participants", full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]

    # The confirmation says what goes, what cannot be found and what stays.
    row.get_by_role("link", name="Borrar datos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("¿Borrar los datos de Ana?")
    expect(page.locator("#erase-what")).to_contain_text("El texto de 1 aporte que firmó.")
    expect(page.locator("#erase-anonymous")).to_contain_text("se guardaron sin su nombre")
    expect(page.locator("#erase-owned")).to_contain_text("Compartir el pipeline")
    expect(page.locator("#erase-retire")).to_contain_text("Sigue conectada a la sesión")
    screens.shot(page, "02-confirm", full_page=False)
    screens.shot(page, "02-confirm-full")

    # Forgetting the box changes nothing and says what to do (a 400, as an invalid form is).
    allow_console_error(page, r"^400 .*/borrar/$")
    allow_console_error(page, r"status of 400 \(Bad Request\)")
    page.get_by_role("button", name="Borrar sus datos").click()
    expect(page.get_by_role("alert")).to_contain_text("Marca la casilla para confirmar")
    assert Participant.objects.get(pk=ana.pk).name == "Ana"
    screens.shot(page, "03-confirm-missing", full_page=False)

    page.get_by_label("Esta persona pidió que se borren sus datos.").check()
    page.get_by_role("button", name="Borrar sus datos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personas y datos personales")
    expect(page.locator(".messages")).to_contain_text(f"ahora aparece como «{LABEL}»")
    expect(page.locator(f"#person-{ana.pk}")).to_contain_text(LABEL)
    expect(page.locator(f"#person-{ana.pk}")).to_contain_text("Datos borrados el")
    expect(page.locator("#people")).not_to_contain_text("Ana")
    screens.shot(page, "04-people-after", full_page=False)

    # Back in the control room: the label, never her name.
    page.get_by_role("link", name="Volver a la sala de control").click()
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(page.locator("#participants")).to_contain_text(LABEL)
    expect(page.locator("#participants")).to_contain_text("Datos borrados")
    expect(page.locator("#participants")).not_to_contain_text("Ana")
    # The room is swapped by its socket's frames: hover (retried), then a viewport shot.
    page.locator("#participants h2").hover()
    screens.shot(page, "05-room-after", full_page=False)

    # The session ends; the acta shows her card as erased and says why.
    _in_thread(_close, live.pk)
    page.goto(f"/sesiones/{live.workshop_id}/acta/")
    note = page.locator("#report-erased")
    expect(note).to_contain_text("Los datos de 1 persona se borraron porque lo pidió")
    expect(page.locator("#contributions")).to_contain_text("(texto borrado)")
    expect(page.locator("#report")).not_to_contain_text(ANA_CARD)
    expect(page.locator("#attendance")).to_contain_text("Personas y datos personales")
    screens.shot(page, "06-acta-one-erased", full_page=False)
    page.locator("#contributions").scroll_into_view_if_needed()
    screens.shot(page, "07-acta-wall-one-erased")
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]

    # The retention period passes: every name and text goes; agreements and figures stay.
    _in_thread(_retention_passes, live.pk)
    page.reload()
    expect(note).to_contain_text("Los nombres y textos de esta sesión se borraron el")
    expect(note).to_contain_text("(periodo de conservación de 180 días)")
    expect(note).to_contain_text("Se conservan los acuerdos, sus responsables y todas las cifras.")
    expect(page.locator("#agreements")).to_contain_text("Diego Ruiz")
    expect(page.locator("#report")).not_to_contain_text("Hablar en primera persona")
    screens.shot(page, "08-acta-retention", full_page=False)
    screens.shot(page, "09-acta-retention-full")
