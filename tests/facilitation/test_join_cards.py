"""Printable join cards for the tables: the facilitator prints a sheet of identical cards with
the session's code, a QR code of the participants' link and the address to type it at, all
built from the laptop's network address; nothing private ever goes on them."""

import pytest
from django.test import override_settings
from django.urls import reverse

from config.room import Address
from facilitation import services
from facilitation.views import _qr_svg
from tests.agreements import conftest as agreement_fixtures

pytestmark = pytest.mark.django_db

agreement = agreement_fixtures.agreement
people = agreement_fixtures.people
areas = agreement_fixtures.areas

ON_THE_ROOM_WIFI = override_settings(
    ROOM_ADDRESSES=[Address("192.168.1.20", "wlan0", False)],
    ROOM_ADDRESS="192.168.1.20",
    PUBLIC_URL="",
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def cards_of(page: str) -> str:
    """The printed part of the page: the list of cards."""
    return page.split('<ol class="join-cards"', 1)[1].split("</ol>", 1)[0]


def get_cards(client, live, query: str = "", **extra) -> str:
    response = client.get(reverse("join_cards", args=[live.pk]) + query, **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_the_facilitator_gets_a_sheet_of_identical_cards(facilitator_client, live):
    cards = cards_of(get_cards(facilitator_client, live))
    assert cards.count('class="join-card"') == 8
    for part in (
        live.display_code,
        "<svg",
        "/unirse/",
        "Sincronizar áreas",
        "Aceros del Valle",
        "Escanea el código QR con tu celular",
    ):
        assert cards.count(part) == 8, part


@ON_THE_ROOM_WIFI
def test_the_cards_send_phones_to_the_laptops_network_address(facilitator_client, live):
    page = get_cards(facilitator_client, live, SERVER_PORT="8000")
    cards = cards_of(page)
    assert cards.count("http://192.168.1.20:8000/unirse/") == 8
    # The QR code is the participants' link on the same address.
    qr = _qr_svg(f"http://192.168.1.20:8000{reverse('participant_live', args=[live.qr_token])}")
    assert cards.count(qr) == 8
    assert "127.0.0.1" not in page and "testserver" not in cards and "localhost" not in page
    assert 'id="join-cards-unreachable"' not in page


def test_cards_for_a_loopback_address_warn_before_printing(facilitator_client, live):
    page = get_cards(facilitator_client, live, HTTP_HOST="127.0.0.1:8000")
    assert 'id="join-cards-unreachable"' in page
    assert "solo funciona en este computador" in page


def test_the_cards_carry_no_facilitators_or_owners_link(facilitator_client, agreement):
    live = agreement.live
    page = get_cards(facilitator_client, live)
    cards = cards_of(page)
    assert reverse("control_room", args=[live.pk]) not in cards
    assert "/en-vivo/" not in cards
    assert reverse("projector", args=[live.pk]) not in page
    for owner in agreement.owners.all():
        assert owner.token not in page
    assert "/acuerdo/" not in page


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("?n=1", 1),
        ("?n=3", 3),
        ("?n=60", 60),
        ("?n=0", 8),
        ("?n=61", 8),
        ("?n=-4", 8),
        ("?n=muchas", 8),
        ("?n=", 8),
        ("?n=2.5", 8),
        ("?n=99999999999999999999999", 8),
    ],
)
def test_the_number_of_cards_stays_within_a_room(facilitator_client, live, query, count):
    page = get_cards(facilitator_client, live, query)
    assert cards_of(page).count('class="join-card"') == count
    assert f'value="{count}"' in page  # the form shows what is printed


def test_a_closed_session_has_no_cards_to_print(facilitator_client, live):
    services.live_close(live=live)
    page = get_cards(facilitator_client, live)
    assert "Esta sesión ya terminó" in page
    assert 'class="join-card"' not in page and "<svg" not in page
    assert live.display_code not in page


def test_another_organisation_and_a_manager_get_404(outsider_client, manager_client, live):
    url = reverse("join_cards", args=[live.pk])
    assert outsider_client.get(url).status_code == 404
    assert manager_client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, live):
    response = client.get(reverse("join_cards", args=[live.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_cards_page_is_not_stored(facilitator_client, live):
    response = facilitator_client.get(reverse("join_cards", args=[live.pk]))
    assert "no-store" in response.headers["Cache-Control"]


def test_the_control_room_links_to_the_cards_while_the_session_is_open(facilitator_client, live):
    room_url = reverse("control_room", args=[live.pk])
    cards_url = reverse("join_cards", args=[live.pk])
    assert cards_url in facilitator_client.get(room_url).content.decode()
    services.live_close(live=live)
    assert cards_url not in facilitator_client.get(room_url).content.decode()


def test_the_cards_speak_english_when_asked(facilitator_client, live):
    facilitator_client.cookies["django_language"] = "en"
    page = get_cards(facilitator_client, live, HTTP_HOST="127.0.0.1:8000")
    for text in (
        "Cards for the tables",
        "Scan the QR code with your phone, or open this address and type the code:",
        "How many cards",
        "8 fit on a sheet of Letter or A4 paper. Up to 60 cards.",
        "Careful: these cards carry the address http://127.0.0.1:8000",
    ):
        assert text in page, text
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert "Test the connection" in room and "QR code of the test page" in room
    assert "scan this code, or open this address:" in room
