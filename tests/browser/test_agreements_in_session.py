"""Agreements in a live session, in real browsers: the facilitator drafts an agreement in the
control room and asks for consent; three phones answer (one objects with a reason); the
facilitator rewords it, all three agree, it is recorded and the session closed. The owner's
phone showed what they own; every phone ends on the thank-you page with the agreement."""

import datetime
import re

from playwright.sync_api import Dialog, Page, expect

from agreements.models import Agreement, Consent, Owner
from facilitation import services
from tests.browser.conftest import log_in, watch_errors
from tests.browser.test_live_journey import PROJECTOR, _join, _no_sideways_scroll, _top
from tests.conftest import PASSWORD
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status


def _ready_live(organisation, facilitator):
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Compras, Ventas y Logística: acuerdos",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={area: 4 for area in organisation.areas.all()},
        template="tres-horas",
    )
    workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    return services.live_start(workshop=workshop)


def _answer(page: Page, choice: str, reason: str = "") -> None:
    form = page.locator("#consent-form")
    expect(form).to_be_visible()
    if reason:
        form.get_by_label("Si objetas, cuéntanos por qué").fill(reason)
    form.get_by_role("button", name=choice, exact=True).click()
    expect(page.locator("#consent-done")).to_contain_text(f"Ya respondiste: {choice}")
    expect(form).to_be_hidden()


def test_three_phones_consent_reword_record_and_close(
    library, organisation, facilitator, laptop: Page, phones, screens
):
    live = _ready_live(organisation, facilitator)
    room = laptop
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

    ana, beto, caro = phones(3)
    for page, name, area in (
        (ana, "Ana", "Compras"),
        (beto, "Beto", "Ventas"),
        (caro, "Caro", "Logística"),
    ):
        _join(page, code=None, token=live.qr_token, name=name, area=area)
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(page.locator("#agreement-now")).to_be_hidden()
        expect(page.locator("#consent-form")).to_be_hidden()

    # --- the agreements block: the facilitator drafts an agreement -------------------------
    agreements_block = live.workshop.blocks.get(kind__slug="agreements")
    room.locator(".timeline-item").filter(has_text=agreements_block.title).get_by_role(
        "button", name="Ir"
    ).click()
    expect(ana.locator("#stage h1")).to_have_text(agreements_block.title)
    room.locator("#agreements").get_by_role("link", name="Nuevo acuerdo").click()
    room.get_by_label("Qué se hará").fill("Reunión diaria de 15 minutos entre Compras y Ventas")
    room.get_by_label("Problema que resuelve").fill("Ventas promete fechas que Compras no conoce")
    room.get_by_label("Compras", exact=True).check()
    room.get_by_label("Ventas", exact=True).check()
    room.locator("#id_owners-0-participant").select_option(label="Ana · Compras")
    room.locator("#id_owners-1-name").fill("Diego Ruiz")
    room.locator("#id_owners-1-area").select_option(label="Ventas")
    room.get_by_label("Fecha de entrega").fill("2026-12-20")
    room.get_by_label("Indicador de éxito").fill("Cero pedidos sin fecha confirmada en enero")
    screens.shot(room, "01-room-draft-form")
    room.get_by_role("button", name="Crear borrador").click()
    card = room.locator("#agreements .agreement-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Borrador")
    card.get_by_role("button", name="Consultar a la sala").click()
    expect(card).to_contain_text("En consulta")

    # --- version 1: Ana agrees, Beto objects with a reason, Caro agrees --------------------
    for page in (ana, beto, caro):
        expect(page.locator("#agreement-now")).to_contain_text("Reunión diaria de 15 minutos")
        expect(page.locator("#agreement-now")).to_contain_text("versión 1")
        expect(page.locator("#agreement-now")).to_contain_text("Ana (Compras)")
        _no_sideways_scroll(page)
    expect(screen.locator("#screen-agreement")).to_contain_text("Reunión diaria de 15 minutos")
    screens.shot(_top(beto), "02-phone-consent-v1")
    # An objection without a reason is refused on the phone itself.
    beto.locator("#consent-form").get_by_role("button", name="Objeción", exact=True).click()
    expect(beto.locator("#notice")).to_contain_text("motivo de tu objeción")
    # The notice never covers the field the phone asks to fill.
    notice = beto.locator("#notice").bounding_box()
    field = beto.locator("#consent-reason").bounding_box()
    assert (
        notice["y"] + notice["height"] <= field["y"] or field["y"] + field["height"] <= notice["y"]
    ), "the notice covers the objection's textarea"
    _answer(ana, "De acuerdo")
    _answer(beto, "Objeción", reason="Falta Logística: sin ella las fechas no sirven")
    _answer(caro, "De acuerdo")
    expect(card).to_contain_text("3 respuestas a esta versión")
    expect(card.locator(".objections")).to_contain_text("Falta Logística")
    screens.shot(_top(ana), "03-phone-answered")
    screens.shot(room, "03-room-consent-v1")
    screens.shot(screen, "03-projector-consent", full_page=False)

    # --- the facilitator rewords it: version 2, asked again -------------------------------
    card.get_by_role("link", name="Reformular").click()
    expect(room.get_by_label("Qué se hará")).to_have_value(
        "Reunión diaria de 15 minutos entre Compras y Ventas"
    )
    room.get_by_label("Qué se hará").fill(
        "Reunión diaria de 15 minutos entre Compras, Ventas y Logística"
    )
    room.get_by_label("Logística", exact=True).check()
    room.locator("#id_owners-2-participant").select_option(label="Caro · Logística")
    screens.shot(room, "04-room-reword-form")
    room.get_by_role("button", name="Guardar nueva versión").click()
    expect(card).to_contain_text("versión 2")
    expect(card).to_contain_text("0 respuestas a esta versión")
    expect(card.locator(".earlier")).to_contain_text("v1")
    for page in (ana, beto, caro):
        expect(page.locator("#agreement-now")).to_contain_text("versión 2")
        # What changed since version 1, word by word.
        changes = page.locator("#agreement-changes")
        expect(changes).to_contain_text("Qué cambió desde la versión 1")
        expect(changes.locator("ins").filter(has_text="Logística")).to_have_count(1)
        if page is beto:
            changes.scroll_into_view_if_needed()
            screens.shot(beto, "04-phone-consent-v2-changes", full_page=False)
        expect(page.locator("#consent-form")).to_be_visible()
        expect(page.locator("#consent-reason")).to_have_value("")
        _answer(page, "De acuerdo")
    expect(card).to_contain_text("3 respuestas a esta versión")
    expect(card.locator(".objections")).to_have_count(0)
    assert Consent.objects.filter(version=2, choice="agree").count() == 3
    assert Consent.objects.filter(version=1).count() == 3

    # --- recorded as agreed: the owners' phones show what they own ------------------------
    card.get_by_role("button", name="Registrar como acordado").click()
    expect(card).to_contain_text("Acordado")
    for owner in (ana, caro):
        expect(owner.locator(".my-agreements")).to_contain_text("Eres responsable de:")
        expect(owner.locator(".my-agreements")).to_contain_text("Compras, Ventas y Logística")
    expect(beto.locator(".my-agreements")).to_have_count(0)
    # Each owner present gets their private link on the phone, whole, with how to keep it;
    # the control room sees it arrive. Diego (no email, no phone) gets a printed card.
    for owner in (ana, caro):
        link = owner.locator(".my-agreements [data-owner-link]")
        expect(link).to_have_text(re.compile(r"^http://127\.0\.0\.1:\d+/acuerdo/"))
        expect(owner.locator(".my-agreements")).to_contain_text("Guarda tu enlace ahora")
    ana_owner = Owner.objects.get(participant__name="Ana")
    diego = Owner.objects.get(name="Diego Ruiz")
    expect(room.locator(f"#delivery-{ana_owner.pk}")).to_contain_text("enlace visto en su celular")
    expect(room.locator(f"#delivery-{diego.pk}")).to_contain_text("sin enlace")
    room.get_by_role("link", name="Imprimir 1 tarjeta de enlace").click()
    expect(room.locator(".owner-card")).to_have_count(1)
    expect(room.locator(".owner-card")).to_contain_text("Diego Ruiz")
    screens.shot(room, "05-owner-card")
    room.get_by_role("button", name="Ya imprimí la tarjeta").click()
    expect(room.locator(f"#delivery-{diego.pk}")).to_contain_text("tarjeta impresa")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    for page in (ana, beto, caro):
        expect(page.locator("#agreement-now")).to_be_hidden()
        expect(page.locator("#consent-form")).to_be_hidden()
    expect(screen.locator("#screen-agreed")).to_contain_text("Compras, Ventas y Logística")
    screens.shot(_top(ana), "05-phone-owner")
    screens.shot(screen, "05-projector-agreed", full_page=False)
    agreement = Agreement.objects.get(live=live)
    assert agreement.outcome == Agreement.Outcome.AGREED and agreement.version == 2

    # --- closing: a reminder of the missing check-out, then the thank-you page ------------
    expect(room.locator("#checkout-reminder")).to_be_visible()
    screens.shot(room, "06-room-before-closing")
    room.get_by_role("button", name="Finalizar la sesión").click()
    for page in (ana, beto, caro):
        expect(page.get_by_role("heading", name="¡Gracias por conversar!")).to_be_visible()
        expect(page.locator(".ended-agreements")).to_contain_text(
            "Reunión diaria de 15 minutos entre Compras, Ventas y Logística"
        )
        _no_sideways_scroll(page)
    screens.shot(ana, "07-phone-thank-you")
    # The control room turns into the session's summary; the projector shows the closing.
    expect(room.locator("#room-ended")).to_be_visible()
    expect(room.get_by_role("link", name="Ver el acta")).to_be_visible()
    expect(room.get_by_role("button", name="Finalizar la sesión")).to_have_count(0)
    expect(room.locator("#conn")).to_have_count(0)
    expect(screen.locator("#screen-closing")).to_contain_text("¡Gracias por conversar!")
    expect(screen.locator("#screen-closing")).to_contain_text(
        "Reunión diaria de 15 minutos entre Compras, Ventas y Logística"
    )
    screens.shot(room, "07-room-ended", full_page=False)
    screens.shot(screen, "07-projector-closing", full_page=False)
    assert dialogs == ["¿Finalizar la sesión para todos? Nadie podrá enviar nada más."]
    assert screen_errors == [], f"projector console errors: {screen_errors}"
