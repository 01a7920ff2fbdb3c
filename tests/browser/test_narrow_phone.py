"""This session's new pages on the narrowest phone we support (320 px): the connection test,
the join form, the paper page, the join cards' preview and the password form neither scroll
sideways nor run off the screen."""

from tests.browser.conftest import log_in
from tests.browser.test_live_journey import _ready_live
from tests.conftest import PASSWORD

NARROW = {"width": 320, "height": 640}


def test_new_pages_fit_a_320px_phone(library, organisation, facilitator, phone, screens):
    live = _ready_live(organisation, facilitator)
    phone.set_viewport_size(NARROW)
    widths = {}

    def look(name: str) -> None:
        widths[name] = phone.evaluate("document.documentElement.scrollWidth")
        screens.shot(phone, name)

    phone.goto("/probar/")
    look("probar")
    phone.goto(f"/p/{live.qr_token}/")
    look("join")
    log_in(phone, "lili", PASSWORD)
    phone.goto(f"/en-vivo/{live.pk}/papel/")
    phone.locator("#paper-add").evaluate("details => { details.open = true; }")
    look("paper")
    phone.goto(f"/en-vivo/{live.pk}/tarjetas/")
    phone.locator(".join-card").first.scroll_into_view_if_needed()
    screens.shot(phone, "cards-one-card", full_page=False)
    look("cards")
    phone.goto("/cuenta/clave/")
    look("password")
    assert all(width <= NARROW["width"] for width in widths.values()), widths
