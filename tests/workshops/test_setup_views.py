"""The setup page: open on a fresh install (the demo aside), closed for good after."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from workshops.models import Organisation
from workshops.people import DEMO_ORG, setup_is_open, setup_key
from workshops.services import organisation_create

PASSWORD = "una-clave-larga-2026"
FORM = {
    "name": "Ferretería La Esquina",
    "time_zone": "America/Bogota",
    "areas": "Compras, Ventas\nLogística",
    "first_name": "Dora",
    "last_name": "Gómez",
    "username": "dora",
    "email": "dora@laesquina.co",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
    "is_facilitator": "on",
    "is_manager": "on",
}


def test_home_sends_an_anonymous_visitor_to_the_setup_while_open(client: Client, db):
    organisation_create(name=DEMO_ORG)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/configurar/"
    page = client.get("/configurar/")
    assert page.status_code == 200
    assert "Configura Puente para tu organización" in page.text
    assert "Compras, Ventas, Logística" in page.text  # the default areas
    assert 'value="America/Bogota" selected' in page.text


def test_login_page_links_to_the_setup_only_while_open(client: Client, db):
    assert 'href="/configurar/"' in client.get("/entrar/").text
    organisation_create(name="Aceros del Valle")
    assert 'href="/configurar/"' not in client.get("/entrar/").text
    assert 'href="/cuenta/recuperar/"' in client.get("/entrar/").text


def test_setup_logs_in_and_lands_home(client: Client, db):
    response = client.post("/configurar/", FORM, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Hola, Dora" in response.text
    assert "Ferretería La Esquina quedó creada" in response.text
    organisation = Organisation.objects.get(name="Ferretería La Esquina")
    assert [a.name for a in organisation.areas.all()] == ["Compras", "Ventas", "Logística"]
    assert response.context["user"].username == "dora"


def test_setup_is_gone_once_done(client: Client, db):
    client.post("/configurar/", FORM)
    anonymous = Client()
    assert anonymous.get("/configurar/").status_code == 404
    assert anonymous.post("/configurar/", FORM | {"username": "otra"}).status_code == 404
    assert anonymous.get("/")["Location"].startswith("/entrar/")
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password": "12345678", "password_confirm": "12345678"}, "contraseña"),
        ({"password_confirm": "otra-clave-2026"}, "Las dos contraseñas no coinciden."),
        ({"email": "dora-arroba-esquina"}, "correo electrónico válido"),
        ({"areas": " , \n"}, "Escribe al menos un área."),
        ({"is_manager": ""}, "La primera cuenta debe ser gerente"),
        ({"time_zone": "Marte/Olympus"}, "Elige una zona horaria de la lista."),
    ],
)
def test_bad_input_says_why_in_spanish_and_creates_nothing(client: Client, db, change, message):
    data = {k: v for k, v in (FORM | change).items() if v != ""}
    response = client.post("/configurar/", data)
    assert response.status_code == 200
    assert message in response.text
    assert Organisation.objects.count() == 0
    assert not get_user_model().objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_common_password_gets_djangos_spanish_message(client: Client, db):
    data = FORM | {"password": "password123", "password_confirm": "password123"}
    response = client.post("/configurar/", data)
    assert "Esta contraseña es demasiado común." in response.text


def test_another_device_needs_the_printed_key(db):
    """On a laptop serving the room, a phone on the venue's Wi-Fi cannot claim the install;
    behind nginx (a forwarding header) neither can anyone without the key."""
    for client in (
        Client(REMOTE_ADDR="192.168.1.40"),
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"),
    ):
        page = client.get("/configurar/")
        assert page.status_code == 403
        assert "el enlace que <code>make run</code> mostró" in page.text
        assert client.post("/configurar/", FORM).status_code == 403
        assert client.get("/configurar/?clave=wrong").status_code == 403
        assert client.get(f"/configurar/?clave={setup_key()}").status_code == 200
        assert client.get("/configurar/").status_code == 200  # the key is kept in the session
    phone = Client(REMOTE_ADDR="192.168.1.41")
    response = phone.post(f"/configurar/?clave={setup_key()}", FORM, follow=True)
    assert response.status_code == 200
    assert not setup_is_open()
