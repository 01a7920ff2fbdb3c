"""Before the room arrives: the facilitator prints join cards for the tables from the control
room on a 1366x768 laptop (A4 and Letter, eight cards a sheet, none split across pages), and
a phone opens the connection test and sees how long the laptop takes to answer, or plainly
that it does not."""

import re
import subprocess
from contextlib import contextmanager

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import _page, allow_console_error, log_in
from tests.browser.test_live_journey import _ready_live
from tests.browser.test_runsheet_print import _pdf_pages, _poppler
from tests.conftest import PASSWORD

LAPTOP_1366 = {"viewport": {"width": 1366, "height": 768}}
PHONE_390 = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# PDF page sizes in points (1/72 in).
PAPER_POINTS = {"A4": (595, 842), "Letter": (612, 792)}


def _pdf_text(pdf: str, page: int) -> str:
    text = subprocess.run(
        [_poppler("pdftotext"), "-f", str(page), "-l", str(page), "-raw", pdf, "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(text.split())


def test_the_facilitator_prints_join_cards_from_the_control_room(
    browser: Browser,
    live_server_url: str,
    transactional_db,
    library,
    organisation,
    facilitator,
    screens,
):
    live = _ready_live(organisation, facilitator)
    with contextmanager(_page)(browser, live_server_url, LAPTOP_1366) as page:
        log_in(page, "lili", PASSWORD)
        page.goto(f"/en-vivo/{live.pk}/")

        screens.shot(page, "00-control-room", full_page=False)
        # The connection test, one click away: its address and a QR code that loads.
        page.locator("#connection-check > summary").click()
        check = page.locator("#connection-check")
        expect(check.get_by_role("link")).to_have_text(f"{live_server_url}/probar/")
        qr = check.get_by_role("img", name="Código QR de la página de prueba")
        expect(qr).to_be_visible()
        page.wait_for_function(
            "() => document.querySelector('.connection-check-qr').naturalWidth > 0"
        )
        screens.shot(page, "01-control-room-connection-test", full_page=False)

        page.get_by_role("link", name="Tarjetas para las mesas").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Tarjetas para las mesas")
        cards = page.locator(".join-card")
        expect(cards).to_have_count(8)
        first = cards.first
        expect(first).to_contain_text(live.display_code)
        expect(first).to_contain_text(live.workshop.title)
        expect(first).to_contain_text(organisation.name)
        expect(first.locator(".join-card-url")).to_have_text(f"{live_server_url}/unirse/")
        # The browser serves 127.0.0.1 here, and the page says phones would not get there.
        expect(page.locator("#join-cards-unreachable")).to_be_visible()
        expect(page.get_by_role("button", name="Imprimir")).to_be_visible()
        _assert_nothing_overflows(page)
        screens.shot(page, "02-cards-screen", full_page=False)

        page.emulate_media(media="print")
        expect(page.get_by_role("button", name="Imprimir")).to_be_hidden()
        expect(page.locator(".site-header")).to_be_hidden()
        screens.shot(page, "03-cards-print-media")
        page.emulate_media(media="screen")

        # A different count through the page's own form.
        page.get_by_label("Cuántas tarjetas").fill("20")
        page.get_by_role("button", name="Actualizar").click()
        expect(cards).to_have_count(20)

        for paper, (count, sheets) in (("A4", (8, 1)), ("Letter", (8, 1)), ("A4", (20, 3))):
            page.goto(f"/en-vivo/{live.pk}/tarjetas/?n={count}")
            expect(cards).to_have_count(count)
            page.emulate_media(media="print")  # what page.pdf prints unless told otherwise
            pdf = str(screens.folder / f"cards-{count}-{paper}.pdf")
            page.pdf(path=pdf, format=paper, print_background=True)
            pages, size = _pdf_pages(pdf)
            expected = PAPER_POINTS[paper]
            assert all(abs(a - b) <= 2 for a, b in zip(size, expected, strict=True)), size
            # Eight to a sheet, and no card split across two.
            assert pages == sheets, f"{count} cards on {paper} printed on {pages} pages"
            for number in range(1, pages + 1):
                text = _pdf_text(pdf, number)
                on_this_sheet = min(8, count - 8 * (number - 1))
                assert text.count(live.display_code) == on_this_sheet, (paper, number)
                assert text.count("/unirse/") == on_this_sheet
                assert "/en-vivo/" not in text and "Imprimir" not in text
                assert "Ojo" not in text  # the screen's warning is not printed
            subprocess.run(
                [_poppler("pdftoppm"), "-png", "-r", "70", pdf]
                + [str(screens.folder / f"04-cards-{count}-{paper}")],
                check=True,
            )


def _assert_nothing_overflows(page: Page) -> None:
    """No card's text runs out of its card, and the page does not scroll sideways."""
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.join-card p, .join-card h2')]
            .filter((el) => el.scrollWidth > el.clientWidth + 1)
            .map((el) => el.className)"""
    )
    assert clipped == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_phone_measures_its_connection_to_the_laptop(
    browser: Browser, live_server_url: str, transactional_db, screens
):
    with contextmanager(_page)(browser, live_server_url, PHONE_390) as phone:
        phone.goto("/probar/")
        expect(
            phone.get_by_text("Tu celular se conectó al computador de la sesión.")
        ).to_be_visible()
        result = phone.locator("#connection-result")
        expect(result).to_have_text(
            re.compile(r"^Tiempo de respuesta: \d+ ms \(mediana de 5 pruebas\)\.$")
        )
        expect(phone.locator("#connection-measure")).to_have_attribute("data-state", "good")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screens.shot(phone, "01-phone-measured")

        # The laptop stops answering: the phone says so in plain words.
        allow_console_error(phone, r"ERR_FAILED|Failed to load resource")
        phone.route("**/probar/eco/", lambda route: route.abort())
        phone.get_by_role("button", name="Medir de nuevo").click()
        expect(result).to_have_text(
            "No hay conexión con el computador de quien facilita: "
            "revisa que estés en la misma red Wi-Fi."
        )
        expect(phone.locator("#connection-measure")).to_have_attribute("data-state", "failed")
        expect(
            phone.get_by_text("Tu celular se conectó al computador de la sesión.")
        ).to_be_hidden()
        screens.shot(phone, "02-phone-not-reached")


def test_without_javascript_the_page_alone_says_the_phone_arrived(
    browser: Browser, live_server_url: str, transactional_db, screens
):
    options = {**PHONE_390, "java_script_enabled": False}
    with contextmanager(_page)(browser, live_server_url, options) as phone:
        phone.goto("/probar/")
        expect(
            phone.get_by_text("Tu celular se conectó al computador de la sesión.")
        ).to_be_visible()
        expect(phone.locator("#connection-measure")).to_be_hidden()
        screens.shot(phone, "01-phone-without-javascript")
