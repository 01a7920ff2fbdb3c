"""Trust in real browsers: a manager writes the organisation's privacy contact and what stays
in the room (laptop, 1366×768); a phone (390×844) reads the privacy notice and the statement,
tries to join without accepting and is told why, accepts and joins; in the principles block
the statement is on the phone and on the projector (1920×1080) beside the principles; the
acta opens with it. Nothing runs off a phone's screen sideways or off the wall."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from facilitation.models import Participant
from tests.browser.conftest import PHONE, log_in, unexpected, watch_errors
from tests.browser.test_live_journey import _no_sideways_scroll, _ready_live, _top
from tests.conftest import PASSWORD
from workshops.method import PRINCIPLES_KIND

LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
CONTACT = "protecciondedatos@acerosdelvalle.co"
STATEMENT = (
    "Lo que se dice en esta sala se queda en esta sala. El acta de Aceros del Valle solo "
    "lleva los acuerdos, sus responsables y las cifras del grupo; la leen la gerencia y "
    "quien facilita. Nadie puede saber quién escribió un aporte anónimo."
)


def _axe(page: Page, name: str) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def _nothing_spills(page: Page, selector: str) -> None:
    """Long words (an email address) wrap inside their box instead of running out of it."""
    spilled = page.evaluate(
        "s => [...document.querySelectorAll(s)].filter(e => e.scrollWidth > e.clientWidth)"
        ".map(e => e.id || e.className)",
        selector,
    )
    assert not spilled, f"text runs out of {spilled}"


def _goto_principles(room: Page, live) -> None:
    """The facilitator jumps to the principles block from the control room's timeline."""
    title = live.workshop.blocks.get(kind__slug=PRINCIPLES_KIND).title
    room.locator("#timeline li").filter(has_text=title).get_by_role("button", name="Ir").click()
    expect(room.locator(".room-current h1")).to_have_text(title)


def test_a_phone_accepts_the_notice_and_the_room_and_acta_say_what_stays_in_it(
    library,
    organisation,
    facilitator,
    manager,
    laptop: Page,
    phone: Page,
    browser: Browser,
    live_server_url: str,
    screens,
):
    live = _ready_live(organisation, facilitator)

    # --- the manager writes the contact and the statement ---------------------------------
    office = laptop
    office.set_viewport_size(LAPTOP)
    log_in(office, "milena", PASSWORD)
    office.get_by_role("navigation").get_by_role("link", name="Privacidad").click()
    expect(
        office.get_by_role("heading", name="Confidencialidad y datos personales")
    ).to_be_visible()
    expect(office.locator("#notice-version")).to_have_text("versión 1")
    expect(office.locator("#default-notice")).to_contain_text("Aceros del Valle es responsable")
    screens.shot(office, "01-settings-defaults")
    office.get_by_label("Tamaño mínimo de un grupo").fill("1")
    office.get_by_role("button", name="Guardar").click()
    expect(office.get_by_text("Escribe un número entero entre 2 y 20.")).to_be_visible()
    office.get_by_label("Tamaño mínimo de un grupo").fill("3")
    office.get_by_label("Declaración de confidencialidad").fill(STATEMENT)
    office.get_by_label("Contacto para datos personales").fill(CONTACT)
    office.get_by_role("button", name="Guardar").click()
    expect(office.get_by_role("status")).to_contain_text("aceptarán la versión 2")
    expect(office.locator("#notice-version")).to_have_text("versión 2")
    _axe(office, "settings")
    screens.shot(office, "02-settings-saved")

    # --- a phone reads, forgets to accept, accepts, joins ---------------------------------
    phone.goto(f"/p/{live.qr_token}/")
    expect(phone.locator("#privacy-notice")).to_contain_text(CONTACT)
    expect(phone.locator("#privacy-notice")).to_contain_text("180 días")
    expect(phone.locator("#confidentiality-join")).to_contain_text("El acta de Aceros del Valle")
    acceptance = phone.get_by_label("Leí el aviso de privacidad")
    expect(acceptance).not_to_be_checked()
    _no_sideways_scroll(phone)
    _nothing_spills(phone, "#join-trust, #join-trust *")
    _axe(phone, "join form")
    screens.shot(phone, "03-phone-join-notice")
    phone.get_by_label("Tu nombre o un alias").fill("Dora")
    phone.get_by_label("Ventas").check()
    phone.get_by_role("button", name="Entrar a la sesión").click()
    expect(
        phone.get_by_text("Para entrar necesitas aceptar el aviso de privacidad")
    ).to_be_visible()
    expect(phone.get_by_label("Tu nombre o un alias")).to_have_value("Dora")
    assert not Participant.objects.filter(live=live).exists()
    _no_sideways_scroll(phone)
    screens.shot(phone, "04-phone-join-refused")
    phone.get_by_label("Leí el aviso de privacidad").check()
    phone.get_by_role("button", name="Entrar a la sesión").click()
    expect(phone.locator("#conn")).to_have_attribute("data-state", "online")
    dora = Participant.objects.get(live=live)
    assert dora.privacy_version == 2 and dora.privacy_accepted_at is not None

    # --- the principles block: phone and projector -----------------------------------------
    staff = browser.new_context(base_url=live_server_url, locale="es-CO")
    staff.set_default_timeout(10_000)
    screen = staff.new_page()
    screen_errors = watch_errors(screen)
    screen.set_viewport_size(PROJECTOR)
    log_in(screen, "lili", PASSWORD)
    screen.goto(f"/en-vivo/{live.pk}/proyector/")
    room = staff.new_page()
    room_errors = watch_errors(room)
    room.set_viewport_size(LAPTOP)
    room.goto(f"/en-vivo/{live.pk}/")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    _goto_principles(room, live)
    expect(phone.locator("#commitment .principle")).to_have_count(10)
    expect(phone.locator("#confidentiality-phone")).to_be_visible()
    expect(phone.locator("#confidentiality-phone")).to_contain_text("El acta de Aceros del Valle")
    _no_sideways_scroll(phone)
    phone.locator("#confidentiality-phone").scroll_into_view_if_needed()
    screens.shot(phone, "05-phone-principles-statement", full_page=False)
    screens.shot(_top(phone), "05-phone-principles-full")

    expect(screen.locator("#screen-principles li")).to_have_count(10)
    expect(screen.locator("#confidentiality-screen")).to_contain_text("El acta de Aceros del Valle")
    box = screen.locator("#confidentiality-screen").bounding_box()
    assert box["y"] + box["height"] <= PROJECTOR["height"], "the statement runs off the wall"
    assert screen.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]
    screens.shot(screen, "06-projector-principles", full_page=False)
    _axe(screen, "projector principles")

    # --- the acta opens with it ------------------------------------------------------------
    office.goto(f"/sesiones/{live.workshop_id}/acta/")
    statement = office.locator("#confidentiality-report")
    expect(statement).to_contain_text("El acta de Aceros del Valle")
    attendance = office.locator("#attendance").bounding_box()
    assert statement.bounding_box()["y"] < attendance["y"]
    screens.shot(office, "07-acta-top", full_page=False)
    office.emulate_media(media="print")
    expect(statement).to_be_visible()
    screens.shot(office, "08-acta-print", full_page=False)
    office.emulate_media(media="screen")

    # --- back to the default statement: longer, and still whole on the wall -----------------
    office.goto("/organizacion/privacidad/")
    office.get_by_label("Declaración de confidencialidad").fill("")
    office.get_by_role("button", name="Guardar").click()
    expect(office.get_by_role("status")).to_contain_text("guardados")
    screen.reload()
    # After a reload the socket's snapshot re-renders the stage: wait for it, then measure
    # in one step inside the page (a box taken between two renders can be missing).
    expect(screen.locator("#conn")).to_have_attribute("data-state", "online")
    expect(screen.locator("#confidentiality-screen")).to_contain_text(
        "no se graba ni se transcribe"
    )
    bottom = screen.locator("#confidentiality-screen").evaluate(
        "e => e.getBoundingClientRect().bottom"
    )
    assert bottom <= PROJECTOR["height"], "the default statement runs off"
    screens.shot(screen, "06b-projector-default-statement", full_page=False)

    # --- a manager on a phone can edit the settings too ------------------------------------
    pocket = browser.new_context(base_url=live_server_url, locale="es-CO", **PHONE)
    small = pocket.new_page()
    small_errors = watch_errors(small)
    log_in(small, "milena", PASSWORD)
    small.goto("/organizacion/privacidad/")
    expect(small.get_by_label("Texto del aviso de privacidad")).to_be_visible()
    _no_sideways_scroll(small)
    _nothing_spills(small, ".default-text, .default-text *")
    screens.shot(small, "09-settings-on-a-phone")
    small.locator("#default-notice").scroll_into_view_if_needed()
    screens.shot(small, "10-settings-on-a-phone-notice", full_page=False)
    pocket.close()
    staff.close()
    assert not unexpected(screen, screen_errors), screen_errors
    assert not unexpected(room, room_errors), room_errors
    assert not unexpected(small, small_errors), small_errors
