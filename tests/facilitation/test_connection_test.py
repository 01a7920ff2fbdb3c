"""Probar conexión: a public page a phone opens to check that it reaches the facilitator's
laptop (the page arriving is the answer; a small script measures the round trip against an
echo that is never cached), and the control room's link and QR code to it."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from config.room import Address
from facilitation import services
from facilitation.views import _qr_svg

pytestmark = pytest.mark.django_db

ON_THE_ROOM_WIFI = override_settings(
    ROOM_ADDRESSES=[Address("192.168.1.20", "wlan0", False)],
    ROOM_ADDRESS="192.168.1.20",
    PUBLIC_URL="",
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_a_phone_without_an_account_sees_that_it_arrived(client, settings):
    settings.ALLOWED_HOSTS = ["192.168.1.20"]  # the laptop's address, as make run allows it
    response = client.get(reverse("connection_test"), HTTP_HOST="192.168.1.20:8000")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tu celular se conectó al computador de la sesión." in page
    assert "192.168.1.20:8000" in page  # the address it reached
    assert f'data-echo="{reverse("connection_echo")}"' in page
    assert page.count("<script") == 1 and "js/connection-test" in page  # a light page
    assert 'href="/unirse/"' in page
    # Opening it leaves nothing behind: no session row for every phone that tests.
    assert "sessionid" not in response.cookies


def test_the_page_speaks_english_when_asked(client):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("connection_test")).content.decode()
    assert "Your phone reached the computer running the session." in page
    assert "same Wi-Fi network" in page


def test_the_echo_answers_empty_and_is_never_cached(client):
    response = client.get(reverse("connection_echo"))
    assert response.status_code == 204
    assert response.content == b""
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert "no-store" in directives
    assert client.post(reverse("connection_echo")).status_code == 405


@ON_THE_ROOM_WIFI
def test_the_control_room_shows_the_tests_address_and_qr_on_the_network(facilitator_client, live):
    test_url = "http://192.168.1.20:8000" + reverse("connection_test")
    room = facilitator_client.get(reverse("control_room", args=[live.pk]), SERVER_PORT="8000")
    page = room.content.decode()
    assert 'id="connection-check"' in page and f'href="{test_url}"' in page
    assert reverse("connection_test_qr") in page
    qr = facilitator_client.get(reverse("connection_test_qr"), SERVER_PORT="8000")
    assert qr.status_code == 200 and qr.headers["Content-Type"] == "image/svg+xml"
    assert qr.content.decode() == _qr_svg(test_url)


def test_a_closed_session_offers_no_connection_test(facilitator_client, live):
    services.live_close(live=live)
    page = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert 'id="connection-check"' not in page


def test_the_qr_image_is_for_facilitators_only(manager_client):
    assert Client().get(reverse("connection_test_qr")).status_code == 302
    assert manager_client.get(reverse("connection_test_qr")).status_code == 404
