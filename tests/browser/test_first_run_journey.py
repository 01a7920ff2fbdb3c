"""A fresh installation, in a real browser: the home page leads a laptop (1366×768) to the
setup; the new manager lands home, and on the members page makes a facilitator a manager;
logged out, they forget their password, take the reset link from the mail and log in with a
new one. The setup, login, reset and members pages fit a phone (390 px) too.

The server here is one of this test's own, with Django's console mail backend: it prints the
whole mail, link included, to its log (Puente's default console backend hides links)."""

import quopri
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LAPTOP as _LAPTOP_OPTIONS
from tests.browser.conftest import PHONE, ROOT, _page, log_in
from tests.servers import free_port, server_env, start_daphne, stop
from workshops.models import Organisation
from workshops.services import member_create

LAPTOP = _LAPTOP_OPTIONS | {"viewport": {"width": 1366, "height": 768}}
PASSWORD = "clave-de-la-esquina-2026"
NEW_PASSWORD = "otra-clave-mas-larga-2027"


def console_mail_server(log_name: str) -> Iterator[tuple[str, Path]]:
    """A server of the test's own, with Django's console mail backend: it delivers nothing
    and prints every mail, links included, to its log. Yields its address and log."""
    port = free_port()
    log_path = ROOT / "var" / log_name
    log = log_path.open("w")
    env = server_env(
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend", PYTHONUNBUFFERED="1"
    )
    process = start_daphne(port, env, log, log_path)
    yield f"http://127.0.0.1:{port}", log_path
    stop(process)
    log.close()


@pytest.fixture
def mail_server(transactional_db: None) -> Iterator[tuple[str, Path]]:
    yield from console_mail_server("first-run-server.log")


def no_sideways_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px)"


def _reset_link(log_path: Path, base_url: str) -> str:
    text = quopri.decodestring(log_path.read_bytes()).decode("utf-8", "replace")
    links = re.findall(re.escape(base_url) + r"/cuenta/recuperar/[\w-]+/[\w-]+/", text)
    assert links, f"no reset link in the server's log:\n{text[-2000:]}"
    return links[-1]


def test_first_run_setup_reset_and_members(browser: Browser, mail_server, screens) -> None:
    base_url, log_path = mail_server
    with (
        contextmanager(_page)(browser, base_url, LAPTOP) as laptop,
        contextmanager(_page)(browser, base_url, PHONE) as phone,
    ):
        # The phone sees the same setup page, without scrolling sideways.
        phone.goto("/")
        expect(phone).to_have_url(re.compile(r"/configurar/$"))
        screens.shot(phone, "01-setup-phone")
        no_sideways_scroll(phone, 390)

        laptop.goto("/")
        expect(laptop).to_have_url(re.compile(r"/configurar/$"))
        expect(laptop.get_by_label("Zona horaria")).to_have_value("America/Bogota")
        expect(laptop.get_by_label("Áreas")).to_have_value("Compras, Ventas, Logística")
        laptop.get_by_label("Nombre de la organización").fill("Ferretería La Esquina")
        laptop.get_by_label("Áreas").fill("Compras, Ventas\nBodega")
        laptop.get_by_label("Tu nombre").fill("Dora")
        laptop.get_by_label("Tu apellido").fill("Gómez")
        laptop.get_by_label("Usuario").fill("dora")
        laptop.get_by_label("Correo electrónico").fill("dora@laesquina.co")
        # A weak password first: Django's own Spanish message, nothing created.
        laptop.get_by_label("Contraseña", exact=True).fill("12345678")
        laptop.get_by_label("Repite la contraseña").fill("12345678")
        laptop.get_by_role("button", name="Crear la organización y entrar").click()
        expect(laptop.locator(".field-error").first).to_contain_text("contraseña")
        screens.shot(laptop, "02-setup-refused")
        assert not Organisation.objects.exists()
        laptop.get_by_label("Contraseña", exact=True).fill(PASSWORD)
        laptop.get_by_label("Repite la contraseña").fill(PASSWORD)
        screens.shot(laptop, "03-setup-laptop")
        laptop.get_by_role("button", name="Crear la organización y entrar").click()
        expect(laptop.get_by_role("heading", name="Hola, Dora")).to_be_visible()
        expect(laptop.locator(".messages")).to_contain_text("Ferretería La Esquina quedó creada")
        screens.shot(laptop, "04-home")
        organisation = Organisation.objects.get()
        assert [a.name for a in organisation.areas.all()] == ["Compras", "Ventas", "Bodega"]

        # The setup is closed now: the phone's visitor meets the login.
        phone.goto("/")
        expect(phone).to_have_url(re.compile(r"/entrar/"))
        expect(phone.get_by_role("link", name=re.compile("Configura Puente"))).to_have_count(0)

        # The members page: a facilitator becomes a manager too.
        member_create(
            organisation=organisation,
            username="lili",
            password=PASSWORD,
            first_name="Lili",
            email="lili@laesquina.co",
            is_facilitator=True,
        )
        laptop.get_by_role("navigation").get_by_role("link", name="Personas").click()
        lili = laptop.locator(".member").filter(has_text="lili@laesquina.co")
        lili.get_by_label("Gerente").check()
        lili.get_by_role("button", name="Guardar roles").click()
        expect(laptop.locator(".messages")).to_contain_text("Roles de Lili guardados.")
        lili = laptop.locator(".member").filter(has_text="lili@laesquina.co")
        expect(lili.get_by_label("Gerente")).to_be_checked()
        screens.shot(laptop, "05-members-laptop")
        no_sideways_scroll(laptop, 1366)

        # Dora forgets her password.
        laptop.get_by_role("button", name="Salir").click()
        expect(laptop).to_have_url(re.compile(r"/entrar/$"))
        laptop.get_by_role("link", name="¿Olvidaste tu contraseña?").click()
        laptop.get_by_label("Correo electrónico").fill("dora@laesquina.co")
        screens.shot(laptop, "06-reset-form")
        laptop.get_by_role("button", name="Enviarme el enlace").click()
        expect(laptop.get_by_role("heading", name="Revisa tu correo")).to_be_visible()
        screens.shot(laptop, "07-reset-sent")

        laptop.goto(_reset_link(log_path, base_url))
        expect(laptop.get_by_role("heading", name="Crea tu contraseña nueva")).to_be_visible()
        laptop.get_by_label("Contraseña nueva", exact=True).fill(NEW_PASSWORD)
        laptop.get_by_label("Contraseña nueva (confirmación)").fill(NEW_PASSWORD)
        screens.shot(laptop, "08-reset-confirm")
        laptop.get_by_role("button", name="Guardar la contraseña").click()
        expect(laptop.get_by_role("heading", name="Tu contraseña quedó guardada")).to_be_visible()
        laptop.get_by_role("link", name="Entrar").last.click()
        log_in(laptop, "dora", NEW_PASSWORD)
        expect(laptop.get_by_role("heading", name="Hola, Dora")).to_be_visible()

        # The phone: login and the members page fit 390 px.
        screens.shot(phone, "09-login-phone")
        no_sideways_scroll(phone, 390)
        log_in(phone, "lili", PASSWORD)
        phone.goto("/organizacion/personas/")
        expect(phone.locator(".member")).to_have_count(2)
        screens.shot(phone, "10-members-phone")
        no_sideways_scroll(phone, 390)
