"""The control room, projector and owners' cards send phones to the laptop's network
address, whatever address the facilitator's browser used; the control room says when
phones cannot reach it and lets the facilitator choose among several (issue 13)."""

import pytest
from django.urls import reverse

from config.room import SESSION_KEY, Address
from facilitation.views import _qr_svg

pytestmark = pytest.mark.django_db

WIFI = Address("192.168.1.20", "wlan0", False)
CABLE = Address("10.0.0.7", "eth0", False)
ON_THE_LAPTOP = {"HTTP_HOST": "127.0.0.1:8000"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def laptop(settings):
    """A laptop on the venue's Wi-Fi and a cable, its browser on 127.0.0.1."""
    settings.PUBLIC_URL = ""
    settings.BIND_HOST = "0.0.0.0"
    settings.ROOM_ADDRESSES = [WIFI, CABLE]
    settings.ROOM_ADDRESS = WIFI.ip
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost", WIFI.ip, CABLE.ip]
    return settings


def test_the_projector_qr_and_address_point_to_the_laptop_not_loopback(
    laptop, facilitator_client, live
):
    body = facilitator_client.get(reverse("projector", args=[live.pk]), **ON_THE_LAPTOP)
    text = body.content.decode()
    phone_url = f"http://192.168.1.20:8000/p/{live.qr_token}/"
    assert str(_qr_svg(phone_url)) in text
    assert "http://192.168.1.20:8000/unirse/" in text
    assert "127.0.0.1" not in text


def test_the_control_room_lists_the_addresses_and_the_choice_moves_every_qr(
    laptop, facilitator_client, live
):
    room = reverse("control_room", args=[live.pk])
    text = facilitator_client.get(room, **ON_THE_LAPTOP).content.decode()
    assert 'id="room-address"' in text
    assert "Los celulares entran por 192.168.1.20" in text
    assert f'href="http://192.168.1.20:8000/p/{live.qr_token}/"' in text
    response = facilitator_client.post(
        reverse("room_address", args=[live.pk]), {"address": CABLE.ip}, **ON_THE_LAPTOP
    )
    assert response.status_code == 302
    assert facilitator_client.session[SESSION_KEY] == CABLE.ip
    after = facilitator_client.get(room, **ON_THE_LAPTOP).content.decode()
    assert "Listo: ahora los celulares entran por 10.0.0.7" in after
    assert f'href="http://10.0.0.7:8000/p/{live.qr_token}/"' in after
    projector = facilitator_client.get(reverse("projector", args=[live.pk]), **ON_THE_LAPTOP)
    assert str(_qr_svg(f"http://10.0.0.7:8000/p/{live.qr_token}/")) in projector.content.decode()


@pytest.mark.parametrize("address", ["8.8.8.8", "", "192.168.1.20; rm", "127.0.0.1"])
def test_an_address_not_of_this_laptop_is_refused_and_changes_nothing(
    laptop, facilitator_client, live, address
):
    response = facilitator_client.post(
        reverse("room_address", args=[live.pk]), {"address": address}, follow=True
    )
    assert response.status_code == 200
    assert "Esa dirección no es de este computador" in response.content.decode()
    assert SESSION_KEY not in facilitator_client.session


def test_others_cannot_choose_the_address(laptop, outsider_client, manager_client, live):
    for client in (outsider_client, manager_client):
        response = client.post(reverse("room_address", args=[live.pk]), {"address": WIFI.ip})
        assert response.status_code == 404
        assert SESSION_KEY not in client.session


def test_only_loopback_warns_in_plain_spanish(settings, facilitator_client, live):
    settings.PUBLIC_URL = ""
    settings.BIND_HOST = "0.0.0.0"
    settings.ROOM_ADDRESSES = []
    settings.ROOM_ADDRESS = ""
    text = facilitator_client.get(
        reverse("control_room", args=[live.pk]), **ON_THE_LAPTOP
    ).content.decode()
    assert "Los celulares no pueden abrir http://127.0.0.1:8000" in text
    assert "misma red Wi-Fi" in text and "hotspot" in text


def test_a_private_server_says_to_restart_without_host(settings, facilitator_client, live):
    settings.PUBLIC_URL = ""
    settings.BIND_HOST = "127.0.0.1"
    settings.ROOM_ADDRESSES = []
    settings.ROOM_ADDRESS = ""
    text = facilitator_client.get(
        reverse("control_room", args=[live.pk]), **ON_THE_LAPTOP
    ).content.decode()
    assert "Los celulares no pueden abrir" in text
    assert "sin <code>HOST=127.0.0.1</code>" in text


def test_a_hosted_deployment_uses_public_url_and_warns_nothing(settings, facilitator_client, live):
    settings.PUBLIC_URL = "https://puente.example.com"
    text = facilitator_client.get(
        reverse("control_room", args=[live.pk]), **ON_THE_LAPTOP
    ).content.decode()
    assert 'id="room-address"' not in text
    assert f'href="https://puente.example.com/p/{live.qr_token}/"' in text


def test_one_reachable_address_needs_no_panel(settings, facilitator_client, live):
    settings.PUBLIC_URL = ""
    settings.ROOM_ADDRESSES = [WIFI]
    settings.ROOM_ADDRESS = WIFI.ip
    settings.ALLOWED_HOSTS = ["127.0.0.1", WIFI.ip]
    text = facilitator_client.get(
        reverse("control_room", args=[live.pk]), **ON_THE_LAPTOP
    ).content.decode()
    assert 'id="room-address"' not in text
    assert f'href="http://192.168.1.20:8000/p/{live.qr_token}/"' in text
