"""The organisation's face in real browsers (issue 14): a manager on a laptop (1366×768) sets
the name the room sees, tries an SVG and is told why, uploads the logo and sees its preview;
the projector (1920×1080) shows the logo and the name on the join screen without covering
the code or the QR code; the run sheet (on screen and printed) and the acta open with them."""

from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import log_in, unexpected, watch_errors
from tests.browser.test_live_journey import _ready_live
from tests.conftest import PASSWORD
from tests.workshops.test_face import SVG

LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
SMALL_PROJECTOR = {"width": 1366, "height": 768}
SHOWN_NAME = "Aceros del Valle S.A.S."
LONG_NAME = (
    "Aceros y Laminados del Valle del Cauca y del Eje Cafetero Sociedad por Acciones Simplificada"
)
LONG_ADDRESS = "https://conversaciones.acerosdelvalle.com.co/unirse/"


def _logo_file(folder) -> str:
    """A wide logo with a transparent background, as a designer would export it."""
    image = Image.new("RGBA", (960, 320), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 40, 250, 280), radius=40, fill=(176, 58, 46, 255))
    draw.polygon([(60, 230), (130, 90), (200, 230)], fill=(255, 255, 255, 255))
    draw.rectangle((290, 110, 930, 150), fill=(20, 33, 61, 255))
    draw.rectangle((290, 180, 760, 210), fill=(176, 58, 46, 255))
    path = folder / "logo-aceros.png"
    image.save(path, format="PNG")
    return str(path)


def _axe(page: Page, name: str) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def _loaded(image: Locator) -> None:
    """The logo is on screen and its bytes arrived (a broken image has no natural width)."""
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "the logo did not load"


def _box(locator: Locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def _inside(box: dict, size: dict) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def _apart(a: dict, b: dict) -> bool:
    return (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_a_manager_gives_the_room_its_company_face(
    library,
    organisation,
    facilitator,
    manager,
    laptop: Page,
    browser: Browser,
    live_server_url: str,
    screens,
    tmp_path,
):
    live = _ready_live(organisation, facilitator)
    svg = tmp_path / "logo.svg"
    svg.write_bytes(SVG)

    # --- the manager, on a laptop -------------------------------------------------------------
    office = laptop
    office.set_viewport_size(LAPTOP)
    log_in(office, "milena", PASSWORD)
    office.get_by_role("navigation").get_by_role("link", name="Organización").click()
    logo_card = office.locator("#logo")
    expect(logo_card).to_contain_text("Todavía no hay logo")
    expect(logo_card.locator(".org-face-name")).to_have_text("Aceros del Valle")
    screens.shot(office, "01-organisation-without-logo")

    office.get_by_label("Nombre para mostrar").fill(SHOWN_NAME)
    office.get_by_role("button", name="Guardar").click()
    expect(office.get_by_role("status")).to_contain_text("Datos de la organización guardados")
    expect(logo_card.locator(".org-face-name")).to_have_text(SHOWN_NAME)

    # An SVG is refused, and says why.
    office.get_by_label("Archivo del logo").set_input_files(str(svg))
    office.get_by_role("button", name="Subir el logo").click()
    expect(office.locator("#logo .field-error")).to_contain_text("No aceptamos logos en SVG")
    expect(office.locator("#logo img")).to_have_count(0)
    office.locator("#logo").scroll_into_view_if_needed()
    screens.shot(office, "02-svg-refused", full_page=False)

    office.get_by_label("Archivo del logo").set_input_files(_logo_file(tmp_path))
    office.get_by_role("button", name="Subir el logo").click()
    expect(office.get_by_role("status")).to_contain_text("Logo guardado")
    preview = office.locator("#logo img.org-face-logo")
    _loaded(preview)
    expect(preview).to_have_attribute("alt", SHOWN_NAME)
    expect(office.get_by_role("button", name="Quitar el logo")).to_be_visible()
    assert office.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    _axe(office, "organisation page")
    office.locator("#logo").scroll_into_view_if_needed()
    screens.shot(office, "03-logo-uploaded", full_page=False)
    screens.shot(office, "03b-organisation-page")

    # --- the projector, while the room joins ---------------------------------------------------
    staff = browser.new_context(base_url=live_server_url, locale="es-CO")
    staff.set_default_timeout(10_000)
    screen = staff.new_page()
    screen_errors = watch_errors(screen)
    screen.set_viewport_size(PROJECTOR)
    log_in(screen, "lili", PASSWORD)
    screen.goto(f"/en-vivo/{live.pk}/proyector/")
    expect(screen.locator("#conn")).to_have_attribute("data-state", "online")
    panel = screen.locator(".join-panel")
    expect(panel).to_be_visible()
    face = panel.locator("#organisation-face")
    _loaded(face.locator("img"))
    expect(face.locator(".org-face-name")).to_have_text(SHOWN_NAME)
    qr, code = panel.locator(".qr svg"), panel.locator(".code-huge")
    expect(code).to_have_text(live.display_code)
    for part in (qr, code, face):
        assert _inside(_box(part), PROJECTOR), "a part of the join screen runs off the wall"
    assert _apart(_box(face), _box(qr)) and _apart(_box(face), _box(code))
    logo_height = _box(face.locator("img"))["height"]
    assert 100 <= logo_height <= _box(qr)["height"] / 2, "the logo is unreadable or too big"
    assert screen.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]
    screen.wait_for_timeout(300)
    screens.shot(screen, "04-projector-join-screen", full_page=False)
    _axe(screen, "projector join screen")

    # A long name and a long address (a company's own domain) on a smaller projector: the
    # code and the QR code keep their room, the name wraps, nothing runs off the wall.
    organisation.display_name = LONG_NAME
    organisation.save(update_fields=["display_name"])
    for size in (PROJECTOR, SMALL_PROJECTOR):
        screen.set_viewport_size(size)
        screen.reload()
        expect(screen.locator("#conn")).to_have_attribute("data-state", "online")
        panel.locator(".join-url").evaluate(f"e => e.textContent = {LONG_ADDRESS!r}")
        screen.wait_for_timeout(300)
        for part in (qr, code, face, panel.locator(".join-url")):
            assert _inside(_box(part), size), f"a part of the join screen runs off at {size}"
        assert _apart(_box(face), _box(qr)) and _apart(_box(face), _box(code))
        assert _apart(_box(face), _box(panel.locator(".join-url")))
        assert screen.evaluate("document.documentElement.scrollWidth") <= size["width"]
        screens.shot(screen, f"04b-projector-long-name-{size['width']}", full_page=False)
    organisation.display_name = SHOWN_NAME
    organisation.save(update_fields=["display_name"])

    # --- the run sheet, on screen and on paper -------------------------------------------------
    screen.set_viewport_size(LAPTOP)
    screen.goto(f"/sesiones/{live.workshop_id}/hoja-de-ruta/")
    head = screen.locator(".sheet-head")
    _loaded(head.locator("img.org-face-logo"))
    expect(head.locator(".org-face-name")).to_have_text(SHOWN_NAME)
    screens.shot(screen, "05-run-sheet", full_page=False)
    screen.emulate_media(media="print")
    _loaded(head.locator("img.org-face-logo"))
    screens.shot(screen, "06-run-sheet-print", full_page=False)
    screen.emulate_media(media="screen")

    # --- the acta ------------------------------------------------------------------------------
    office.goto(f"/sesiones/{live.workshop_id}/acta/")
    report_head = office.locator(".report-head")
    _loaded(report_head.locator("img.org-face-logo"))
    expect(report_head.locator(".org-face-name")).to_have_text(SHOWN_NAME)
    assert _box(report_head.locator("#organisation-face"))["y"] < _box(office.locator("h1"))["y"]
    screens.shot(office, "07-acta", full_page=False)
    office.emulate_media(media="print")
    _loaded(report_head.locator("img.org-face-logo"))
    screens.shot(office, "08-acta-print", full_page=False)
    office.emulate_media(media="screen")

    staff.close()
    assert not unexpected(screen, screen_errors), screen_errors
