"""Someone without a smartphone takes part on paper. On the laptop (1366×768) the facilitator
adds Don Jairo of Logística from the control room, after reading him the privacy notice; the
control room counts him present and marks him «en papel». A co-facilitator, logged in on a
phone (390×844), picks him on the paper page and, as the agenda moves, enters his check-in,
an anonymous card and his objection to an agreement. The projector and the control room show
each entry as they show a phone's; the anonymous card names nobody and carries no paper
mark, on screen and in the database."""

import datetime

from playwright.sync_api import Page, expect

from agreements import services as agreement_services
from agreements.models import Consent
from agreements.services import OwnerInput
from facilitation.models import Contribution, EmotionCheck, LiveSession, Participant
from tests.browser.conftest import log_in, watch_errors
from tests.browser.test_live_journey import (
    PROJECTOR,
    _no_sideways_scroll,
    _off_the_event_loop,
    _ready_live,
    _top,
)
from tests.conftest import PASSWORD
from workshops.services import member_create

LAPTOP = {"width": 1366, "height": 768}
# The panel asks every 5 s whether the session moved on.
POLL_MS = 15_000
CARD = "Nos da miedo decirle que no a Ventas cuando promete fechas"
OBJECTION = "Logística no tiene quién vaya a esa reunión a las 7"


def _fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways at {width}px ({scroll}px)"


def _inside(page: Page, selector: str = "#paper-panel") -> None:
    """Nothing in the panel sticks out of it (a row of buttons too wide for a phone would)."""
    outside = page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return [...document.querySelectorAll(selector + ' *')]
                .filter((el) => el.getClientRects().length)
                .filter((el) => el.getBoundingClientRect().right > box.right + 0.5)
                .map((el) => el.outerHTML.slice(0, 80));
        }""",
        selector,
    )
    assert not outside, f"sticks out of {selector}: {outside}"


def _draft(live_id: int) -> None:
    live = LiveSession.objects.get(pk=live_id)
    areas = {area.slug: area for area in live.workshop.organisation.areas.all()}
    agreement_services.agreement_draft(
        live=live,
        text="Reunión diaria de 15 minutos entre Compras, Ventas y Logística",
        problem="Ventas promete fechas que Logística no conoce",
        indicator="Cero pedidos sin fecha confirmada",
        due_date=live.workshop.date + datetime.timedelta(days=30),
        areas=[areas["ventas"], areas["logistica"]],
        owners=[OwnerInput(name="Diego Ruiz", area=areas["ventas"])],
    )


def test_a_person_on_paper_from_the_laptop_and_a_cofacilitators_phone(
    library, organisation, facilitator, laptop: Page, phones, screens
):
    live = _ready_live(organisation, facilitator)
    member_create(
        organisation=organisation,
        username="camilo",
        password=PASSWORD,
        first_name="Camilo",
        is_facilitator=True,
    )

    # --- the facilitator's laptop: control room and projector -----------------------------
    room = laptop
    room.set_viewport_size(LAPTOP)
    log_in(room, "lili", PASSWORD)
    room.goto(f"/en-vivo/{live.pk}/")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    screen = room.context.new_page()
    screen_errors = watch_errors(screen)
    screen.set_viewport_size(PROJECTOR)
    screen.goto(f"/en-vivo/{live.pk}/proyector/")

    # --- the facilitator adds Don Jairo on paper -------------------------------------------
    room.get_by_role("link", name="Participantes en papel").click()
    expect(room.get_by_role("heading", name="Participantes en papel")).to_be_visible()
    add = room.locator("#paper-add")
    expect(add).to_have_attribute("open", "")  # nobody on paper yet: the form is open
    screens.shot(room, "01-laptop-paper-empty")
    add.get_by_role("button", name="Agregar en papel").click()
    # Nothing filled in: the page says what is missing and adds nobody.
    expect(add.locator(".field-error").first).to_be_visible()
    expect(add).to_contain_text("la persona necesita aceptar el aviso de privacidad")
    assert not Participant.objects.exists()
    add.get_by_label("Nombre o alias").fill("Don Jairo")
    add.get_by_label("Logística").check()
    add.get_by_text("Aviso de privacidad (léeselo o entrégaselo impreso)").click()
    expect(add.locator("#privacy-notice")).to_contain_text("Ley 1581")
    add.get_by_label("Le leí o le entregué el aviso de privacidad").check()
    add.get_by_role("button", name="Agregar en papel").click()
    expect(room.locator(".messages")).to_contain_text("Don Jairo ya está en la sesión, en papel.")
    panel = room.locator("#paper-panel")
    expect(panel.get_by_role("heading", name="Don Jairo")).to_be_visible()
    expect(panel).to_contain_text("En este bloque no hay nada que registrar")
    jairo = Participant.objects.get()
    assert jairo.on_paper
    assert jairo.privacy_version == organisation.privacy_notice_version
    assert jairo.privacy_accepted_at is not None
    _fits(room, LAPTOP["width"])
    screens.shot(_top(room), "02-laptop-paper-added")

    # The control room counts him present, by area, and marks him as on paper.
    room.get_by_role("link", name="Volver a la sala de control").click()
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    person = room.locator("#participants li").filter(has_text="Don Jairo")
    expect(person.locator(".tag-paper")).to_have_text("en papel")
    logistica = room.locator("#presence tr").filter(has_text="Logística")
    expect(logistica.locator("td").first).to_have_text("1 (1 en papel)")
    _fits(room, LAPTOP["width"])
    screens.shot(room, "03-laptop-room-with-paper-person")

    # --- the co-facilitator's phone: the paper page, Don Jairo chosen ----------------------
    (phone,) = phones(1)
    log_in(phone, "camilo", PASSWORD)
    phone.goto(f"/en-vivo/{live.pk}/papel/")
    expect(phone.locator("#paper-add")).not_to_have_attribute("open", "")
    phone.get_by_role("button", name="Don Jairo").click()
    expect(phone.locator("#paper-panel")).to_contain_text("Apertura: el propósito de hoy")
    _fits(phone, 390)
    screens.shot(phone, "04-phone-paper-opening", full_page=False)

    # --- check-in: the panel follows the agenda and asks for his emotion --------------------
    room.get_by_role("button", name="Siguiente").click()
    room.get_by_role("button", name="Siguiente").click()
    expect(room.locator(".room-current h1")).to_have_text("¿Cómo llego hoy?")
    emotion = phone.locator("#paper-emotion")
    expect(emotion).to_be_visible(timeout=POLL_MS)
    emotion.get_by_label("Cansancio").check()
    emotion.get_by_label("4", exact=True).check()
    emotion.get_by_label("Una palabra (opcional)").fill("madrugué")
    _fits(phone, 390)
    _inside(phone)
    screens.shot(phone, "05-phone-paper-checkin")
    emotion.locator(".paper-scale").scroll_into_view_if_needed()
    screens.shot(phone, "05-phone-paper-checkin-scale", full_page=False)
    emotion.get_by_role("button", name="Registrar emoción").click()
    expect(phone.locator("#paper-panel")).to_contain_text("Emoción registrada.")
    expect(phone.locator("#paper-panel")).to_contain_text("Registrada: Cansancio (4)")
    expect(screen.locator(".bars-large li").filter(has_text="Cansancio")).to_contain_text("1")
    expect(room.locator("#emotions .bar-label").filter(has_text="Cansancio")).to_have_text(
        "Cansancio · 1"
    )
    check = EmotionCheck.objects.get(participant=jairo)
    assert (check.moment, check.emotion, check.intensity, check.word) == (
        "checkin",
        "cansancio",
        4,
        "madrugué",
    )
    screens.shot(screen, "06-projector-checkin", full_page=False)

    # --- what has not been said: an anonymous card ------------------------------------------
    unsaid = live.workshop.blocks.get(kind__slug="unsaid")
    room.locator(".timeline-item").filter(has_text=unsaid.title).get_by_role(
        "button", name="Ir"
    ).click()
    compose = phone.locator("#paper-contribute")
    expect(compose).to_be_visible(timeout=POLL_MS)
    expect(compose.locator(".anon-note")).to_contain_text("sin nombre, sin área y sin marca")
    compose.get_by_label("Su aporte anónimo").fill(CARD)
    _inside(phone)
    screens.shot(phone, "07-phone-paper-anonymous-card", full_page=False)
    compose.get_by_role("button", name="Guardar aporte").click()
    expect(phone.locator("#paper-panel")).to_contain_text("Aporte anónimo guardado, sin nombre.")
    expect(phone.locator("#paper-panel")).not_to_contain_text(CARD)  # not listed as his
    card = Contribution.objects.get()
    assert (card.anonymous, card.participant_id, card.area_id, card.on_paper) == (
        True,
        None,
        None,
        False,
    )
    queued = room.locator("#room-queue .wall-item").filter(has_text=CARD)
    expect(queued.locator(".badge")).to_have_text("Anónimo")
    expect(queued).not_to_contain_text("en papel")
    expect(queued).not_to_contain_text("Don Jairo")
    room.locator("#room-queue").get_by_role("button", name="Mostrar el aporte").click()
    expect(screen.locator(".screen-wall")).to_contain_text(CARD)
    expect(room.locator("#room-wall .wall-item").filter(has_text=CARD)).not_to_contain_text(
        "en papel"
    )
    _fits(phone, 390)
    screens.shot(room, "08-laptop-room-anonymous-card")
    screens.shot(screen, "08-projector-anonymous-card", full_page=False)

    # --- agreements: his objection, unsigned ----------------------------------------------
    agreements = live.workshop.blocks.get(kind__slug="agreements")
    room.locator(".timeline-item").filter(has_text=agreements.title).get_by_role(
        "button", name="Ir"
    ).click()
    expect(room.locator(".room-current h1")).to_have_text(agreements.title)
    # A draft written beforehand (this test's process has no socket to the room: reload).
    _off_the_event_loop(_draft, live.pk)
    room.reload()
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    agreement_card = room.locator("#agreements .agreement-card")
    agreement_card.get_by_role("button", name="Consultar a la sala").click()
    expect(agreement_card).to_contain_text("En consulta")
    consent = phone.locator("#paper-consent")
    expect(consent).to_be_visible(timeout=POLL_MS)
    expect(consent).to_contain_text("Reunión diaria de 15 minutos")
    # An objection without its reason is refused, and nothing is stored.
    consent.get_by_role("button", name="Objeción", exact=True).click()
    expect(phone.locator("#paper-panel .message-error")).to_contain_text("motivo de tu objeción")
    assert not Consent.objects.exists()
    consent = phone.locator("#paper-consent")
    consent.get_by_label("Si objeta, el motivo (obligatorio)").fill(OBJECTION)
    _fits(phone, 390)
    _inside(phone)
    screens.shot(phone, "09-phone-paper-consent")
    consent.get_by_role("button", name="Objeción", exact=True).click()
    expect(phone.locator("#paper-panel")).to_contain_text("Respuesta al acuerdo registrada.")
    expect(phone.locator("#paper-consent")).to_contain_text("Ya respondió: Objeción")
    expect(agreement_card).to_contain_text("1 respuesta a esta versión")
    objection = agreement_card.locator(".objections li")
    expect(objection).to_contain_text(OBJECTION)
    expect(objection).to_contain_text("Sin firma")
    expect(objection).not_to_contain_text("Don Jairo")
    expect(screen.locator("#screen-objections")).to_contain_text(OBJECTION)
    expect(screen.locator("#consent-tally")).to_contain_text("1 Objeción")
    stored = Consent.objects.get()
    assert (stored.participant_id, stored.choice, stored.signed) == (jairo.pk, "object", False)
    screens.shot(_top(phone), "10-phone-paper-consent-done", full_page=False)
    screens.shot(room, "10-laptop-room-consent")
    screens.shot(screen, "10-projector-consent", full_page=False)

    # The laptop's paper page, at the end: his panel in the agreements block.
    room.goto(f"/en-vivo/{live.pk}/papel/")
    room.get_by_role("button", name="Don Jairo").click()
    expect(room.locator("#paper-consent")).to_contain_text("Ya respondió: Objeción")
    _fits(room, LAPTOP["width"])
    _inside(room)
    screens.shot(room, "11-laptop-paper-consent-done")
    _no_sideways_scroll(phone)
    assert not screen_errors, screen_errors
