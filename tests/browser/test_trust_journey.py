"""Small groups and unsigned objections in real browsers (issue 12). A room of nine: Compras
4, Ventas 3, Logística 2 (two real phones, the rest seated by the services). Iris
(Logística) objects without signing, Hugo (Ventas) signs his objection: the control room
(1366×768) shows Iris's reason as «Sin firma», with no name and no area, and Hugo's with
his name under «Otras áreas» (Logística alone would be two people); the projector
(1920×1080) shows the reasons and no one; the acta never shows Logística apart and says
why."""

import datetime

from playwright.sync_api import Dialog, Page, expect

from agreements import services as agreement_services
from agreements.models import Consent
from agreements.services import OwnerInput
from facilitation import services
from tests.browser.conftest import log_in, unexpected, watch_errors
from tests.browser.test_agreements_in_session import _answer
from tests.browser.test_live_journey import (
    _join,
    _no_sideways_scroll,
    _off_the_event_loop,
    _ready_live,
)
from tests.conftest import PASSWORD

LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
IRIS = "No tenemos con qué medir las fechas en bodega"
HUGO = "Sin un transportista fijo no podemos cumplir"


def test_unsigned_objections_and_a_small_area_merged(
    library, organisation, facilitator, manager, laptop: Page, phones, screens
):
    live = _ready_live(organisation, facilitator)
    areas = {area.slug: area for area in organisation.areas.all()}
    made = {}

    def seat_the_room() -> None:
        for slug, names in (
            ("compras", ["Ana", "Abel", "Alba", "Aldo"]),
            ("ventas", ["Beto", "Bea"]),
            ("logistica", ["Caro"]),
        ):
            for name in names:
                joined = services.participant_join(live=live, name=name, area=areas[slug])
                services.participant_commit(participant=joined)
        agreements_block = live.workshop.blocks.get(kind__slug="agreements")
        services.live_goto_block(live=live, block=agreements_block)
        made["draft"] = agreement_services.agreement_draft(
            live=live,
            text="Confirmar con Logística cada fecha antes de prometerla al cliente",
            due_date=datetime.date(2027, 1, 15),
            areas=[areas["ventas"], areas["logistica"]],
            owners=[OwnerInput(name="Ana", area=areas["compras"], email="")],
        )

    _off_the_event_loop(seat_the_room)
    draft = made["draft"]

    room = laptop
    room.set_viewport_size(LAPTOP)
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    room.on("dialog", accept)
    log_in(room, "lili", PASSWORD)
    room.goto(f"/en-vivo/{live.pk}/")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    screen = room.context.new_page()
    screen_errors = watch_errors(screen)
    screen.set_viewport_size(PROJECTOR)
    screen.goto(f"/en-vivo/{live.pk}/proyector/")
    expect(screen.locator("#conn")).to_have_attribute("data-state", "online")

    hugo, iris = phones(2)
    for page, name, area in ((hugo, "Hugo", "Ventas"), (iris, "Iris", "Logística")):
        _join(page, code=None, token=live.qr_token, name=name, area=area)
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")

    card = room.locator("#agreements .agreement-card").filter(has_text="Confirmar con Logística")
    card.get_by_role("button", name="Consultar a la sala").click()
    expect(card).to_contain_text("En consulta")

    # --- Iris objects without signing; Hugo signs -------------------------------------------
    form = iris.locator("#consent-form")
    expect(form).to_be_visible()
    expect(form).to_contain_text("Tu objeción se muestra sin tu nombre")
    expect(form.get_by_label("Firmar mi objeción")).not_to_be_checked()
    _no_sideways_scroll(iris)
    form.get_by_label("Si objetas, cuéntanos por qué").fill(IRIS)
    form.get_by_label("Firmar mi objeción").scroll_into_view_if_needed()
    screens.shot(iris, "01-phone-objection-unsigned", full_page=False)
    _answer(iris, "Objeción", reason=IRIS)
    hugo.locator("#consent-form").get_by_label("Firmar mi objeción").check()
    _answer(hugo, "Objeción", reason=HUGO)
    expect(card).to_contain_text("2 respuestas a esta versión")

    objections = card.locator(".objections")
    expect(objections).to_contain_text(f"Sin firma: {IRIS}")
    expect(objections).to_contain_text(f"Hugo · Otras áreas: {HUGO}")
    expect(objections).not_to_contain_text("Iris")
    expect(card.locator(".consent-table")).not_to_contain_text("Logística")
    expect(card.locator(".small-groups-note")).to_contain_text("menos de 3 personas")
    card.scroll_into_view_if_needed()
    screens.shot(room, "02-room-objections", full_page=False)

    shown = screen.locator("#screen-objections")
    expect(shown).to_contain_text(IRIS)
    expect(shown).to_contain_text(HUGO)
    expect(shown).not_to_contain_text("Hugo")
    expect(shown).not_to_contain_text("Otras áreas")
    box = shown.bounding_box()
    assert box["y"] + box["height"] <= PROJECTOR["height"], "the objections run off the wall"
    screens.shot(screen, "03-projector-objections", full_page=False)

    signed = dict(
        Consent.objects.filter(agreement=draft).values_list("participant__name", "signed")
    )
    assert signed == {"Iris": False, "Hugo": True}

    # --- the acta: Logística never apart ----------------------------------------------------
    office = room.context.browser.new_context(
        base_url=room.url.split("/en-vivo")[0], locale="es-CO"
    ).new_page()
    office.set_viewport_size(LAPTOP)
    log_in(office, "milena", PASSWORD)
    office.goto(f"/sesiones/{live.workshop_id}/acta/")
    agreements = office.locator("#agreements")
    expect(agreements.locator(".consent-table")).to_contain_text("Otras áreas")
    expect(agreements.locator(".consent-table")).not_to_contain_text("Logística")
    expect(agreements.locator(".small-groups-note")).to_contain_text(
        "ningún grupo de menos de 3 personas se muestra por separado"
    )
    expect(office.locator("#emotions thead").first).not_to_contain_text("Logística")
    agreements.scroll_into_view_if_needed()
    screens.shot(office, "04-acta-small-area-merged", full_page=False)
    assert office.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]

    assert not dialogs
    assert unexpected(screen, screen_errors) == []
    office.context.close()
