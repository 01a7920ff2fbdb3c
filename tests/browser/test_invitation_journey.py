"""An invitation in a real browser: a manager on a laptop (1366×768) invites a facilitator
from the members page; this Puente sends no mail (the laptop's console mailer), so the page
shows the link and the manager copies it. A new browser, on a phone (390×844), opens it,
chooses a name and a password and lands home, logged in, in the organisation; the spent
link then says so. The new facilitator finds their own page to invite facilitators."""

import re
from contextlib import contextmanager

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LAPTOP as _LAPTOP_OPTIONS
from tests.browser.conftest import PHONE, _page, allow_console_error, log_in
from tests.conftest import PASSWORD
from workshops.models import Invitation, Membership

LAPTOP = _LAPTOP_OPTIONS | {"viewport": {"width": 1366, "height": 768}}
NEW_PASSWORD = "puente-de-madera-2026"


def _no_sideways_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px)"


def test_a_manager_invites_a_facilitator_who_accepts_on_a_phone(
    browser: Browser,
    live_server_url: str,
    transactional_db: None,
    library,
    organisation,
    manager,
    screens,
) -> None:
    with contextmanager(_page)(browser, live_server_url, LAPTOP) as laptop:
        log_in(laptop, "milena", PASSWORD)
        laptop.get_by_role("navigation").get_by_role("link", name="Personas").click()
        form = laptop.locator("#invite-form")
        expect(form).to_be_visible()

        # A bad address first: said on the field, nothing made.
        form.get_by_label("Correo electrónico").fill("nora-sin-arroba")
        form.get_by_role("button", name="Enviar la invitación").click()
        expect(laptop.locator(".field-error").first).to_contain_text("correo electrónico válido")
        assert not Invitation.objects.exists()
        screens.shot(laptop, "01-invite-refused")

        form = laptop.locator("#invite-form")
        form.get_by_label("Correo electrónico").fill("nora@aceros.co")
        expect(form.get_by_role("checkbox", name="Facilitador/a")).to_be_checked()
        expect(form.get_by_role("checkbox", name="Gerente")).not_to_be_checked()
        form.get_by_role("button", name="Enviar la invitación").click()

        expect(laptop.get_by_role("heading", name="La invitación está lista")).to_be_visible()
        expect(laptop.locator("#invitation-sent")).to_contain_text(
            "Puente no está configurado para enviar correos"
        )
        link = laptop.get_by_label("Enlace de la invitación").input_value()
        assert re.fullmatch(re.escape(live_server_url) + r"/invitacion/[\w-]{40,}/", link), link
        copy = laptop.get_by_role("button", name="Copiar")
        expect(copy).to_be_visible()
        copy.click()
        expect(laptop.get_by_text("Enlace copiado.")).to_be_visible()
        screens.shot(laptop, "02-link-shown")
        _no_sideways_scroll(laptop, 1366)

        laptop.get_by_role("link", name="Listo").click()
        pending = laptop.locator("#pending-invitations .invitation")
        expect(pending).to_have_count(1)
        expect(pending).to_contain_text("nora@aceros.co")
        expect(pending).not_to_contain_text(link.rsplit("/", 2)[-2])
        laptop.locator("#invitations").scroll_into_view_if_needed()
        screens.shot(laptop, "03-members-with-invitation")
        _no_sideways_scroll(laptop, 1366)

    # Someone else's phone, a browser that never saw Puente.
    with contextmanager(_page)(browser, live_server_url, PHONE) as phone:
        phone.goto(link)
        expect(phone.get_by_role("heading", name="Te invitaron a Aceros del Valle")).to_be_visible()
        expect(phone.locator("#invitation-accept")).to_contain_text("facilitador/a")
        screens.shot(phone, "04-accept-phone")
        _no_sideways_scroll(phone, 390)

        phone.get_by_label("Tu nombre").fill("Nora")
        phone.get_by_label("Tu apellido").fill("Peña")
        phone.get_by_label("Contraseña", exact=True).fill(NEW_PASSWORD)
        phone.get_by_label("Repite la contraseña").fill("otra-clave-distinta-1")
        phone.get_by_role("button", name="Crear mi cuenta y entrar").click()
        expect(phone.locator(".field-error")).to_contain_text("no coinciden")
        assert not Membership.objects.filter(user__username="nora@aceros.co").exists()
        screens.shot(phone, "05-accept-refused-phone")
        _no_sideways_scroll(phone, 390)

        phone.get_by_label("Contraseña", exact=True).fill(NEW_PASSWORD)
        phone.get_by_label("Repite la contraseña").fill(NEW_PASSWORD)
        phone.get_by_role("button", name="Crear mi cuenta y entrar").click()
        expect(phone.get_by_role("heading", name="Hola, Nora")).to_be_visible()
        expect(phone.locator(".messages")).to_contain_text(
            "Te damos la bienvenida a Aceros del Valle"
        )
        screens.shot(phone, "06-home-phone")
        membership = Membership.objects.get(user__username="nora@aceros.co")
        assert membership.organisation == organisation and membership.is_facilitator
        assert not membership.is_manager

        # Her own page to invite facilitators, from home.
        phone.get_by_role("link", name="Invitar a un/a facilitador/a").click()
        expect(phone.get_by_role("heading", name="Invitaciones", exact=True)).to_be_visible()
        expect(phone.get_by_role("checkbox", name="Gerente")).to_have_count(0)
        screens.shot(phone, "07-facilitator-invitations-phone")
        _no_sideways_scroll(phone, 390)

        # The link is spent: "gone" (410), which the browser reports.
        allow_console_error(phone, r"\b410\b")
        phone.goto(link)
        expect(phone.get_by_role("heading", name="Esta invitación ya se usó")).to_be_visible()

    with contextmanager(_page)(browser, live_server_url, PHONE) as stranger:
        allow_console_error(stranger, r"\b410\b")
        stranger.goto(link)
        expect(stranger.get_by_role("heading", name="Esta invitación ya se usó")).to_be_visible()
        screens.shot(stranger, "08-used-link-phone")
        _no_sideways_scroll(stranger, 390)
