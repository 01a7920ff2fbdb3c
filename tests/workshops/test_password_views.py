"""Password change and reset by email: Django's views in Spanish, throttled like the login."""

import re

import pytest
from django.test import Client, override_settings

from tests.conftest import PASSWORD

NEW_PASSWORD = "otra-clave-segura-2027"


@pytest.fixture
def with_email(manager):
    manager.user.email = "milena@aceros.co"
    manager.user.save(update_fields=["email"])
    return manager


def _reset_link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/cuenta/recuperar/[^\s]+/)", body)[1]


def _without_tokens(html: str) -> str:
    """The page as a reader sees it: a CSP nonce and a CSRF token differ on every answer."""
    return re.sub(r'(nonce|value|X-CSRFToken)(=|": )"[^"]*"', r"\1", html)


def test_reset_mails_a_link_that_sets_a_new_password(client: Client, with_email, mailoutbox):
    response = client.post("/cuenta/recuperar/", {"email": "MILENA@aceros.co"}, follow=True)
    assert "Revisa tu correo" in response.text
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["milena@aceros.co"]
    assert mail.subject == "Crea una contraseña nueva para Puente"
    assert "Tu usuario es: milena" in mail.body
    link = _reset_link(mail.body)
    form = client.get(link, follow=True)
    assert "Crea tu contraseña nueva" in form.text
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Tu contraseña quedó guardada" in done.text
    with_email.user.refresh_from_db()
    assert with_email.user.check_password(NEW_PASSWORD)
    # The link served once.
    assert "Este enlace ya no sirve" in client.get(link, follow=True).text


@override_settings(PUBLIC_URL="https://puente.aceros.co")
def test_reset_link_uses_the_public_address(client: Client, with_email, mailoutbox):
    client.post("/cuenta/recuperar/", {"email": "milena@aceros.co"})
    assert "https://puente.aceros.co/cuenta/recuperar/" in mailoutbox[0].body


def test_reset_answers_the_same_for_an_unknown_email(client: Client, with_email, mailoutbox):
    known = client.post("/cuenta/recuperar/", {"email": "milena@aceros.co"}, follow=True)
    unknown = client.post("/cuenta/recuperar/", {"email": "nadie@aceros.co"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [("/cuenta/recuperar/enviado/", 302)]
    assert _without_tokens(known.text) == _without_tokens(unknown.text)
    assert len(mailoutbox) == 1


def test_a_deactivated_member_gets_no_reset_mail(client: Client, with_email, mailoutbox):
    with_email.user.is_active = False
    with_email.user.save(update_fields=["is_active"])
    response = client.post("/cuenta/recuperar/", {"email": "milena@aceros.co"})
    assert response["Location"] == "/cuenta/recuperar/enviado/"
    assert mailoutbox == []


@override_settings(LOGIN_MAX_FAILURES=3)
def test_reset_is_throttled_per_email_with_the_logins_message(with_email, mailoutbox):
    for n in range(3):
        # A new address each time: the email's own budget still runs out.
        Client(REMOTE_ADDR=f"10.0.0.{n}").post("/cuenta/recuperar/", {"email": "milena@aceros.co"})
    assert len(mailoutbox) == 3
    response = Client(REMOTE_ADDR="10.0.0.9").post(
        "/cuenta/recuperar/", {"email": "milena@aceros.co"}
    )
    assert response.status_code == 200
    assert "Demasiados intentos fallidos" in response.text
    assert len(mailoutbox) == 3


@override_settings(LOGIN_MAX_FAILURES=3)
def test_reset_is_throttled_per_address_whatever_the_email(client: Client, with_email, mailoutbox):
    for n in range(3):
        client.post("/cuenta/recuperar/", {"email": f"nadie{n}@aceros.co"})
    response = client.post("/cuenta/recuperar/", {"email": "milena@aceros.co"})
    assert "Demasiados intentos fallidos" in response.text
    assert mailoutbox == []


def test_password_change_needs_a_login(client: Client, db):
    assert client.get("/cuenta/clave/")["Location"].startswith("/entrar/")


def test_header_links_to_the_password_change(facilitator_client: Client):
    assert 'href="/cuenta/clave/"' in facilitator_client.get("/").text


def test_password_change_keeps_the_session(facilitator_client: Client, facilitator):
    response = facilitator_client.post(
        "/cuenta/clave/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Tu contraseña quedó guardada" in response.text
    facilitator.user.refresh_from_db()
    assert facilitator.user.check_password(NEW_PASSWORD)
    assert facilitator_client.get("/").status_code == 200


def test_password_change_refuses_a_weak_password_in_spanish(facilitator_client, facilitator):
    response = facilitator_client.post(
        "/cuenta/clave/",
        {"old_password": PASSWORD, "new_password1": "123456789", "new_password2": "123456789"},
    )
    assert response.status_code == 200
    assert "Esta contraseña es completamente numérica." in response.text
    facilitator.user.refresh_from_db()
    assert facilitator.user.check_password(PASSWORD)


@override_settings(LOGIN_MAX_FAILURES=3)
def test_wrong_current_passwords_are_throttled_like_the_login(facilitator_client, facilitator):
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for _ in range(3):
        facilitator_client.post("/cuenta/clave/", data | {"old_password": "no-es-esta"})
    response = facilitator_client.post("/cuenta/clave/", data | {"old_password": PASSWORD})
    assert "Demasiados intentos fallidos" in response.text
    facilitator.user.refresh_from_db()
    assert facilitator.user.check_password(PASSWORD)
