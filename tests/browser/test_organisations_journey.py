"""Several organisations, in a real browser (issue 14's journey): a fresh installation is set
up from the home page on a laptop (1366×768); its first manager invites a facilitator and a
manager from the members page, copying each link the page shows (this server's mail is
Django's console backend: nothing is delivered, so the inviter sees the link, and the log
holds the whole mail). The facilitator accepts on a phone (390×844), the manager on a laptop;
both land logged in. A second organisation, made through the services, invites the same
facilitator: logged in, she confirms, and now works in two organisations. The header names
the active one and switches between them; each shows its own sessions only; a link to a
session of the other switches, and says so. Someone who is not a member of an organisation
meets a Spanish 404 at its session's address. Last, the invited manager forgets his password
and takes the reset link from the mail."""

import datetime
import quopri
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LAPTOP as _LAPTOP_OPTIONS
from tests.browser.conftest import PHONE, _page, allow_console_error
from tests.browser.test_first_run_journey import console_mail_server, no_sideways_scroll
from workshops.models import Membership, Organisation, Workshop
from workshops.services import member_create, organisation_create, workshop_create

LAPTOP = _LAPTOP_OPTIONS | {"viewport": {"width": 1366, "height": 768}}
DORA_PASSWORD = "clave-de-la-esquina-2026"
NORA_PASSWORD = "puente-de-madera-2026"
TOMAS_PASSWORD = "bodega-del-fondo-2026"
TOMAS_NEW_PASSWORD = "otra-clave-mas-larga-2027"
ROSA_PASSWORD = "telar-de-la-abuela-2026"
FIRST = "Ferretería La Esquina"
SECOND = "Cooperativa Textil del Sur"


@pytest.fixture
def mail_server(transactional_db: None, library) -> Iterator[tuple[str, Path]]:
    """This server delivers nothing (so the inviter is shown the link) and logs every mail."""
    yield from console_mail_server("organisations-server.log")


def _mails(log_path: Path) -> str:
    return quopri.decodestring(log_path.read_bytes()).decode("utf-8", "replace")


def _links_in_mail(log_path: Path, pattern: str) -> list[str]:
    return re.findall(pattern, _mails(log_path))


def _invite(page: Page, base_url: str, log_path: Path, email: str, *, manager: bool) -> str:
    """On the members page: invite `email`, check the link the page shows is the mailed
    one, and return it."""
    page.get_by_role("navigation").get_by_role("link", name="Personas").click()
    form = page.locator("#invite-form")
    form.get_by_label("Correo electrónico").fill(email)
    if manager:
        form.get_by_role("checkbox", name="Facilitador/a").uncheck()
        form.get_by_role("checkbox", name="Gerente").check()
    form.get_by_role("button", name="Enviar la invitación").click()
    expect(page.get_by_role("heading", name="La invitación está lista")).to_be_visible()
    expect(page.locator("#invitation-sent")).to_contain_text(
        "Puente no está configurado para enviar correos"
    )
    expect(page.locator("#invitation-sent")).to_contain_text(email)
    link = page.get_by_label("Enlace de la invitación").input_value()
    assert re.fullmatch(re.escape(base_url) + r"/invitacion/[\w-]{40,}/", link), link
    mailed = _links_in_mail(log_path, re.escape(base_url) + r"/invitacion/[\w-]+/")
    assert mailed and mailed[-1] == link, "the page's link is not the one in the mail"
    return link


def _switch_to(page: Page, organisation: str) -> None:
    """With the header's switcher: the chosen organisation's home."""
    page.locator(".org-switch summary").click()
    page.locator(".org-switch-menu").get_by_role("button", name=organisation).click()
    expect(page.locator(".messages")).to_contain_text(f"Ahora estás trabajando en {organisation}.")
    expect(page.locator("#active-organisation")).to_contain_text(organisation)


def _sessions(page: Page) -> list[str]:
    page.get_by_role("navigation").get_by_role("link", name="Sesiones").click()
    expect(page.get_by_role("heading", name="Sesiones", level=1)).to_be_visible()
    return page.locator("#workshop-results .session-title").all_inner_texts()


def _log_in(page: Page, username: str, password: str) -> None:
    page.goto("/entrar/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()


def test_two_organisations_invitations_switching_and_reset(
    browser: Browser, mail_server, screens
) -> None:
    base_url, log_path = mail_server

    def open_page(stack: ExitStack, options: dict) -> Page:
        return stack.enter_context(contextmanager(_page)(browser, base_url, options))

    with ExitStack() as stack:
        # 1. A fresh installation: the home page leads to the setup.
        dora = open_page(stack, LAPTOP)
        dora.goto("/")
        expect(dora).to_have_url(re.compile(r"/configurar/$"))
        dora.get_by_label("Nombre de la organización").fill(FIRST)
        dora.get_by_label("Tu nombre").fill("Dora")
        dora.get_by_label("Tu apellido").fill("Gómez")
        dora.get_by_label("Usuario").fill("dora")
        dora.get_by_label("Correo electrónico").fill("dora@laesquina.co")
        dora.get_by_label("Contraseña", exact=True).fill(DORA_PASSWORD)
        dora.get_by_label("Repite la contraseña").fill(DORA_PASSWORD)
        screens.shot(dora, "01-setup-laptop")
        dora.get_by_role("button", name="Crear la organización y entrar").click()
        expect(dora.get_by_role("heading", name="Hola, Dora")).to_be_visible()
        expect(dora.locator("#active-organisation")).to_contain_text(FIRST)
        # One organisation: nothing to switch to.
        expect(dora.locator(".org-switch")).to_have_count(0)
        screens.shot(dora, "02-home-first-manager", full_page=False)
        first = Organisation.objects.get()

        # 2. She invites a facilitator and a manager; each link is on the page.
        nora_link = _invite(dora, base_url, log_path, "nora@laesquina.co", manager=False)
        screens.shot(dora, "03-facilitator-link")
        dora.get_by_role("link", name="Listo").click()
        tomas_link = _invite(dora, base_url, log_path, "tomas@laesquina.co", manager=True)
        screens.shot(dora, "04-manager-link")
        no_sideways_scroll(dora, 1366)
        dora.get_by_role("link", name="Listo").click()
        expect(dora.locator("#pending-invitations .invitation")).to_have_count(2)
        dora.locator("#invitations").scroll_into_view_if_needed()
        screens.shot(dora, "05-two-pending")

        # 3. Each accepts in a browser of their own: Nora on a phone, Tomás on a laptop.
        nora = open_page(stack, PHONE)
        nora.goto(nora_link)
        expect(nora.get_by_role("heading", name=f"Te invitaron a {FIRST}")).to_be_visible()
        nora.get_by_label("Tu nombre").fill("Nora")
        nora.get_by_label("Tu apellido").fill("Peña")
        nora.get_by_label("Contraseña", exact=True).fill(NORA_PASSWORD)
        nora.get_by_label("Repite la contraseña").fill(NORA_PASSWORD)
        screens.shot(nora, "06-nora-accepts-phone")
        nora.get_by_role("button", name="Crear mi cuenta y entrar").click()
        expect(nora.get_by_role("heading", name="Hola, Nora")).to_be_visible()
        expect(nora.locator(".messages")).to_contain_text(f"Te damos la bienvenida a {FIRST}")
        expect(nora.locator("#active-organisation")).to_contain_text(FIRST)
        screens.shot(nora, "07-nora-home-phone")
        no_sideways_scroll(nora, 390)

        tomas = open_page(stack, LAPTOP)
        tomas.goto(tomas_link)
        expect(tomas.locator("#invitation-accept")).to_contain_text("gerente")
        tomas.get_by_label("Tu nombre").fill("Tomás")
        tomas.get_by_label("Tu apellido").fill("Ríos")
        tomas.get_by_label("Contraseña", exact=True).fill(TOMAS_PASSWORD)
        tomas.get_by_label("Repite la contraseña").fill(TOMAS_PASSWORD)
        tomas.get_by_role("button", name="Crear mi cuenta y entrar").click()
        expect(tomas.get_by_role("heading", name="Hola, Tomás")).to_be_visible()
        expect(tomas.get_by_role("navigation").get_by_role("link", name="Personas")).to_be_visible()
        screens.shot(tomas, "08-tomas-home", full_page=False)
        roles = {
            m.user.username: (m.is_facilitator, m.is_manager)
            for m in Membership.objects.filter(organisation=first).select_related("user")
        }
        assert roles == {
            "dora": (True, True),
            "nora@laesquina.co": (True, False),
            "tomas@laesquina.co": (False, True),
        }

        # 4. A second organisation invites Nora, by the same address.
        second = organisation_create(name=SECOND)
        member_create(
            organisation=second,
            username="rosa",
            password=ROSA_PASSWORD,
            first_name="Rosa",
            email="rosa@textilsur.co",
            is_facilitator=True,
            is_manager=True,
        )
        rosa = open_page(stack, LAPTOP)
        _log_in(rosa, "rosa", ROSA_PASSWORD)
        expect(rosa.get_by_role("heading", name="Hola, Rosa")).to_be_visible()
        second_link = _invite(rosa, base_url, log_path, "nora@laesquina.co", manager=False)
        rosa.get_by_role("link", name="Listo").click()

        # Nora, still logged in on her phone, confirms with her account.
        nora.goto(second_link)
        expect(nora.get_by_role("heading", name=f"Te invitaron a {SECOND}")).to_be_visible()
        expect(nora.get_by_label("Tu nombre")).to_have_count(0)
        screens.shot(nora, "09-nora-confirms-phone")
        nora.get_by_role("button", name="Aceptar la invitación").click()
        expect(nora.get_by_role("heading", name="Hola, Nora")).to_be_visible()
        expect(nora.locator(".messages")).to_contain_text(f"Te damos la bienvenida a {SECOND}")
        expect(nora.locator("#active-organisation")).to_contain_text(SECOND)
        assert Membership.objects.filter(user__username="nora@laesquina.co").count() == 2
        screens.shot(nora, "10-nora-two-organisations-phone", full_page=False)
        nora.locator(".org-switch summary").click()
        expect(nora.locator(".org-switch-menu").get_by_role("button", name=FIRST)).to_be_visible()
        screens.shot(nora, "11-switcher-open-phone", full_page=False)
        no_sideways_scroll(nora, 390)
        nora.locator(".org-switch summary").click()  # closed again

        # A session in each: the second's made on the phone, the first's by the services.
        assert _sessions(nora) == []
        nora.get_by_role("link", name="Nueva sesión").click()
        nora.get_by_label("Título").fill("Telas que llegan tarde")
        nora.get_by_label("Fecha").fill("2026-04-14")
        nora.get_by_label("Hora de inicio").fill("09:00")
        for area, people in (("Compras", "5"), ("Ventas", "6")):
            nora.get_by_label(area, exact=True).check()
            nora.get_by_label(f"Personas esperadas de {area}").fill(people)
        nora.get_by_label("Desde cero, con la agenda vacía").check()
        nora.get_by_role("button", name="Crear sesión").click()
        expect(nora).to_have_url(re.compile(r"/sesiones/\d+/$"))
        second_session = Workshop.objects.get(title="Telas que llegan tarde")
        assert second_session.organisation == second
        nora_user = second_session.facilitator
        first_session = workshop_create(
            organisation=first,
            facilitator=nora_user,
            title="Pedidos de tornillería",
            date=datetime.date(2026, 4, 21),
            start_time=datetime.time(8, 0),
        )

        # Each organisation shows its own sessions only.
        assert _sessions(nora) == ["Telas que llegan tarde"]
        screens.shot(nora, "12-sessions-second-phone", full_page=False)
        _switch_to(nora, FIRST)
        screens.shot(nora, "13-switched-to-first-phone", full_page=False)
        assert _sessions(nora) == ["Pedidos de tornillería"]
        screens.shot(nora, "14-sessions-first-phone", full_page=False)
        _switch_to(nora, SECOND)
        assert _sessions(nora) == ["Telas que llegan tarde"]

        # The first's session, opened while the second is active: it switches, and says so.
        nora.goto(first_session.get_absolute_url())
        expect(nora.locator("#organisation-switched")).to_contain_text(
            f"Este enlace es de {FIRST}: ahora estás trabajando en esa organización "
            f"(antes estabas en {SECOND})."
        )
        expect(nora.get_by_role("heading", name="Pedidos de tornillería")).to_be_visible()
        expect(nora.locator("#active-organisation")).to_contain_text(FIRST)
        screens.shot(nora, "15-switched-by-link-phone", full_page=False)
        no_sideways_scroll(nora, 390)
        assert _sessions(nora) == ["Pedidos de tornillería"]  # and it stays there
        nora.goto("/organizaciones/")
        active = nora.locator(".org-choice").filter(has_text="activa ahora")
        expect(active).to_have_count(1)
        expect(active).to_contain_text(FIRST)
        screens.shot(nora, "16-chooser-phone")
        no_sideways_scroll(nora, 390)

        # On a laptop, Nora logs in and chooses where to work; the header's switcher.
        nora_laptop = open_page(stack, LAPTOP)
        _log_in(nora_laptop, "nora@laesquina.co", NORA_PASSWORD)
        expect(nora_laptop).to_have_url(re.compile(r"/organizaciones/"))
        expect(nora_laptop.locator(".org-choice")).to_have_count(2)
        screens.shot(nora_laptop, "17-chooser-laptop")
        no_sideways_scroll(nora_laptop, 1366)
        nora_laptop.get_by_role("button", name=SECOND).click()
        expect(nora_laptop.get_by_role("heading", name="Hola, Nora")).to_be_visible()
        expect(nora_laptop.locator("#active-organisation")).to_contain_text(SECOND)
        nora_laptop.locator(".org-switch summary").click()
        expect(nora_laptop.locator(".org-switch-menu")).to_be_visible()
        screens.shot(nora_laptop, "18-switcher-open-laptop", full_page=False)
        no_sideways_scroll(nora_laptop, 1366)
        nora_laptop.locator(".org-switch summary").click()

        # 5. Not a member: the other organisation's session is not found, in Spanish.
        allow_console_error(dora, r"\b404\b")
        response = dora.goto(second_session.get_absolute_url())
        assert response is not None and response.status == 404
        expect(dora.get_by_role("heading", name="No encontramos esta página")).to_be_visible()
        expect(dora.locator("html")).to_have_attribute("lang", "es")
        expect(dora.locator("#active-organisation")).to_contain_text(FIRST)
        expect(dora.locator("body")).not_to_contain_text("Telas que llegan tarde")
        screens.shot(dora, "19-not-a-member-404", full_page=False)
        allow_console_error(rosa, r"\b404\b")
        response = rosa.goto(first_session.get_absolute_url())
        assert response is not None and response.status == 404
        expect(rosa.get_by_role("heading", name="No encontramos esta página")).to_be_visible()
        expect(rosa.locator("body")).not_to_contain_text("Pedidos de tornillería")

        # 6. Tomás forgets his password: the link from the mail sets a new one.
        tomas.get_by_role("button", name="Salir").click()
        expect(tomas).to_have_url(re.compile(r"/entrar/$"))
        tomas.get_by_role("link", name="¿Olvidaste tu contraseña?").click()
        expect(tomas).to_have_url(re.compile(r"/cuenta/recuperar/$"))
        tomas.get_by_label("Correo electrónico").fill("tomas@laesquina.co")
        tomas.get_by_role("button", name="Enviarme el enlace").click()
        expect(tomas.get_by_role("heading", name="Revisa tu correo")).to_be_visible()
        screens.shot(tomas, "20-reset-sent")
        links = _links_in_mail(log_path, re.escape(base_url) + r"/cuenta/recuperar/[\w-]+/[\w-]+/")
        assert len(links) == 1, links
        tomas.goto(links[0])
        expect(tomas.get_by_role("heading", name="Crea tu contraseña nueva")).to_be_visible()
        tomas.get_by_label("Contraseña nueva", exact=True).fill(TOMAS_NEW_PASSWORD)
        tomas.get_by_label("Contraseña nueva (confirmación)").fill(TOMAS_NEW_PASSWORD)
        screens.shot(tomas, "21-reset-confirm")
        tomas.get_by_role("button", name="Guardar la contraseña").click()
        expect(tomas.get_by_role("heading", name="Tu contraseña quedó guardada")).to_be_visible()
        # The old password no longer opens the account; the new one does.
        _log_in(tomas, "tomas@laesquina.co", TOMAS_PASSWORD)
        expect(tomas.locator(".form-errors, .field-error").first).to_be_visible()
        _log_in(tomas, "tomas@laesquina.co", TOMAS_NEW_PASSWORD)
        expect(tomas.get_by_role("heading", name="Hola, Tomás")).to_be_visible()
        expect(tomas.locator("#active-organisation")).to_contain_text(FIRST)
        screens.shot(tomas, "22-tomas-back-in", full_page=False)
