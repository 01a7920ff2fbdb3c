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


def test_organisation_pages_fit_a_320px_phone(
    library, organisation, other_organisation, facilitator, manager, phone, screens
):
    """Issue 14's pages at 320 px: the header naming the organisation with its switcher open,
    the chooser, the members page with the invitation form, the organisation page with the
    logo, an invitation's page for a new account, and the paper form's screen view."""
    from workshops import invitations
    from workshops.models import Membership

    Membership.objects.create(user=manager.user, organisation=other_organisation, is_manager=True)
    live = _ready_live(organisation, facilitator)
    _invitation, token = invitations.invite(
        organisation=organisation,
        email="nora.benitez.de.la.esquina@ferreteria-la-esquina.com.co",
        is_facilitator=True,
        is_manager=False,
        invited_by=manager.user,
    )
    phone.set_viewport_size(NARROW)
    widths = {}

    def look(name: str) -> None:
        widths[name] = phone.evaluate("document.documentElement.scrollWidth")
        screens.shot(phone, name)

    phone.goto(f"/invitacion/{token}/")
    look("invitation-accept")
    phone.goto("/entrar/")
    phone.get_by_label("Usuario").fill("milena")
    phone.get_by_label("Contraseña").fill(PASSWORD)
    phone.get_by_role("button", name="Entrar").click()
    phone.wait_for_url("**/organizaciones/**")
    look("chooser")
    phone.get_by_role("button", name="Aceros del Valle").click()
    phone.get_by_text("Cambiar de organización").click()
    screens.shot(phone, "switcher-open", full_page=False)
    widths["switcher-open"] = phone.evaluate("document.documentElement.scrollWidth")
    phone.goto("/organizacion/personas/")
    look("members")
    phone.goto("/organizacion/")
    look("organisation")
    phone.goto("/")
    phone.context.clear_cookies()
    log_in(phone, "lili", PASSWORD)
    phone.goto(f"/en-vivo/{live.pk}/papel/formato/")
    look("paper-form")
    assert all(width <= NARROW["width"] for width in widths.values()), widths
