"""The live session over HTTP: going live, the control room and its actions, the projector,
and joining from a phone."""

import datetime
import html

import pytest
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from facilitation import services
from facilitation.models import LiveSession, ModerationLog, Participant
from tests.facilitation.conftest import goto, phone_client
from workshops.models import Principle, Workshop
from workshops.services import workshop_create, workshop_set_status

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# The join form's privacy notice, accepted (its first version).
ACCEPTED = {"privacy_accepted": "on", "privacy_version": 1}
WRONG_CODE = "Ese código no corresponde a una sesión abierta."
THROTTLED = "Demasiados intentos con códigos equivocados desde esta red."
MARKUP = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas are created with passwords; nobody here logs in with one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def new_workshop(organisation, facilitator, *, title: str, ready: bool) -> Workshop:
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title=title,
        purpose="Probar",
        date=datetime.date(2026, 12, 2),
        start_time=datetime.time(8, 0),
        invited={a: 2 for a in organisation.areas.all()},
        template="tres-horas",
    )
    if ready:
        workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    return workshop


def fresh(live) -> LiveSession:
    return LiveSession.objects.get(pk=live.pk)


def act(client, live, action, data=None, **headers):
    return client.post(
        reverse("control_action", args=[live.pk, action]), data or {}, **HTMX, **headers
    )


def block_of(live, slug):
    return live.workshop.blocks.filter(kind__slug=slug).first()


# --- going live ------------------------------------------------------------------------------


def test_starting_a_ready_session_opens_the_control_room(facilitator_client, ready_workshop):
    response = facilitator_client.post(f"/sesiones/{ready_workshop.pk}/en-vivo/")
    live = LiveSession.objects.get(workshop=ready_workshop)
    assert response.status_code == 302
    assert response["Location"] == reverse("control_room", args=[live.pk])
    # Pressing it again lands in the same room.
    again = facilitator_client.post(f"/sesiones/{ready_workshop.pk}/en-vivo/")
    assert again["Location"] == response["Location"]


def test_starting_a_draft_is_refused_in_spanish(facilitator_client, organisation, facilitator):
    draft = new_workshop(organisation, facilitator, title="Borrador", ready=False)
    response = facilitator_client.post(f"/sesiones/{draft.pk}/en-vivo/", follow=True)
    assert "Marca la sesión como lista antes de empezar en vivo." in response.content.decode()
    assert not LiveSession.objects.filter(workshop=draft).exists()


def test_starting_needs_a_post(facilitator_client, ready_workshop):
    assert facilitator_client.get(f"/sesiones/{ready_workshop.pk}/en-vivo/").status_code == 405
    assert not LiveSession.objects.exists()


def test_others_cannot_start_a_session(outsider_client, manager_client, ready_workshop):
    for client in (outsider_client, manager_client):
        assert client.post(f"/sesiones/{ready_workshop.pk}/en-vivo/").status_code == 404
    assert not LiveSession.objects.exists()


# --- who sees the control room and the projector ---------------------------------------------


@pytest.mark.parametrize("page", ["control_room", "projector"])
def test_the_facilitator_sees_the_room_and_the_projector(facilitator_client, live, page):
    response = facilitator_client.get(reverse(page, args=[live.pk]))
    assert response.status_code == 200
    assert live.display_code in response.content.decode()


def test_the_projector_shows_code_and_qr(facilitator_client, live):
    body = facilitator_client.get(reverse("projector", args=[live.pk])).content.decode()
    assert "<svg" in body
    assert 'id="screen"' in body
    assert "/unirse/" in body


@pytest.mark.parametrize("page", ["control_room", "projector", "owner_cards", "agreement_new"])
def test_staff_screens_add_their_stylesheet_after_the_shared_one(facilitator_client, live, page):
    body = facilitator_client.get(reverse(page, args=[live.pk])).content.decode()
    assert body.index(static("css/live.css")) < body.index(static("css/staff.css"))


def test_a_phone_loads_the_shared_stylesheet_only(live, people):
    body = phone_client(people["ventas"]).get(f"/p/{live.qr_token}/").content.decode()
    assert static("css/live.css") in body
    assert static("css/staff.css") not in body


@pytest.mark.parametrize("page", ["control_room", "projector"])
def test_outsiders_and_managers_get_404(outsider_client, manager_client, live, page):
    for client in (outsider_client, manager_client):
        assert client.get(reverse(page, args=[live.pk])).status_code == 404


@pytest.mark.parametrize("page", ["control_room", "projector"])
def test_anonymous_visitors_are_sent_to_login(client, live, page):
    response = client.get(reverse(page, args=[live.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_outsiders_cannot_act_in_the_room(outsider_client, manager_client, live):
    for client in (outsider_client, manager_client):
        assert act(client, live, "door-close").status_code == 404
    assert fresh(live).door_open


# --- control actions -------------------------------------------------------------------------


def test_next_and_previous_move_through_the_agenda(facilitator_client, live):
    blocks = list(live.workshop.blocks.order_by("position", "id"))
    response = act(facilitator_client, live, "next")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="room"')
    assert "<html" not in body
    assert fresh(live).current_block == blocks[1]
    act(facilitator_client, live, "previous")
    assert fresh(live).current_block == blocks[0]


def test_without_htmx_an_action_redirects_to_the_room(facilitator_client, live):
    response = facilitator_client.post(reverse("control_action", args=[live.pk, "next"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("control_room", args=[live.pk])


def test_with_the_room_socket_open_an_action_answers_204_and_still_acts(facilitator_client, live):
    first = fresh(live).current_block_id
    response = act(facilitator_client, live, "next", HTTP_X_PUENTE_LIVE="1")
    assert response.status_code == 204
    assert response.content == b""
    assert fresh(live).current_block_id != first
    # Without the socket (no header) the room comes back in the answer.
    response = act(facilitator_client, live, "previous")
    assert response.status_code == 200
    assert 'id="room"' in response.content.decode()
    assert fresh(live).current_block_id == first


def test_a_refusal_comes_back_as_html_even_with_the_room_socket_open(facilitator_client, live):
    response = act(
        facilitator_client, live, "timer-adjust", {"minutes": "x"}, HTTP_X_PUENTE_LIVE="1"
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_timer_start_pause_and_adjust(facilitator_client, live):
    act(facilitator_client, live, "timer-start")
    assert fresh(live).timer_running_since is not None
    act(facilitator_client, live, "timer-pause")
    assert fresh(live).timer_running_since is None
    response = act(facilitator_client, live, "timer-adjust", {"minutes": "5"})
    assert response.status_code == 200
    assert fresh(live).timer_adjust_seconds == 300
    act(facilitator_client, live, "timer-adjust", {"minutes": "-1"})
    assert fresh(live).timer_adjust_seconds == 240


def test_contributions_and_voting_open_close_and_reveal(facilitator_client, live):
    goto(live, "unsaid")
    act(facilitator_client, live, "contributions-close")
    assert not fresh(live).contributions_open
    act(facilitator_client, live, "contributions-open")
    assert fresh(live).contributions_open
    act(facilitator_client, live, "voting-open")
    assert fresh(live).voting_open
    act(facilitator_client, live, "voting-close")
    assert not fresh(live).voting_open
    act(facilitator_client, live, "voting-open")
    act(facilitator_client, live, "reveal")
    revealed = fresh(live)
    assert revealed.results_revealed and not revealed.voting_open


def test_the_door_closes_and_reopens(facilitator_client, live):
    act(facilitator_client, live, "door-close")
    assert not fresh(live).door_open
    act(facilitator_client, live, "door-open")
    assert fresh(live).door_open


def test_tables_are_assigned_with_the_chosen_size(facilitator_client, live, people):
    goto(live, "cafe_round")
    response = act(facilitator_client, live, "tables", {"size": "2"})
    assert response.status_code == 200
    assert fresh(live).table_round == 1
    seated = Participant.objects.filter(live=live, table_number__isnull=False).count()
    assert seated == 3
    assert 'id="tables"' in response.content.decode()


def test_goto_jumps_to_a_block(facilitator_client, live):
    dream = block_of(live, "dream")
    act(facilitator_client, live, "goto", {"block": dream.pk})
    assert fresh(live).current_block == dream


def test_a_principle_is_pushed_and_withdrawn(facilitator_client, live):
    principle = Principle.objects.order_by("position").first()
    act(facilitator_client, live, "push-principle", {"principle": principle.slug})
    assert fresh(live).pushed_principle == principle
    act(facilitator_client, live, "push-principle", {"principle": ""})
    assert fresh(live).pushed_principle is None


def test_hide_takes_a_listed_or_a_typed_reason_and_can_be_undone(facilitator_client, live, people):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    item, _ = services.contribution_submit(
        participant=people["ventas"], key="k", text="Feo", block_id=block.pk
    )
    other, _ = services.contribution_submit(
        participant=people["compras"], key="k2", text="Otro", block_id=block.pk
    )
    response = act(
        facilitator_client,
        live,
        "hide",
        {"contribution": item.pk, "reason": "Ofende o descalifica"},
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.hidden and item.hidden_reason == "Ofende o descalifica"
    # «Otro motivo»: the radio's value is empty and the typed reason counts.
    act(
        facilitator_client,
        live,
        "hide",
        {"contribution": other.pk, "reason": "", "other_reason": "Falta de respeto"},
    )
    other.refresh_from_db()
    assert other.hidden_reason == "Falta de respeto"
    # The room's wall offers to show it again; the native prompt is gone.
    page = facilitator_client.get(f"/en-vivo/{live.pk}/").content.decode()
    assert "hx-prompt" not in page and 'id="hide-dialog"' in page
    assert "Mostrar de nuevo" in page
    act(facilitator_client, live, "unhide", {"contribution": item.pk})
    item.refresh_from_db()
    assert not item.hidden and item.hidden_reason == ""
    assert [log.action for log in ModerationLog.objects.filter(live=live)] == [
        "hide",
        "hide",
        "unhide",
    ]


def test_remove_takes_a_participant_out(facilitator_client, live, people):
    act(facilitator_client, live, "remove", {"participant": people["ventas"].pk})
    assert Participant.objects.get(pk=people["ventas"].pk).removed_at is not None


def test_close_ends_the_session(facilitator_client, live, ready_workshop):
    act(facilitator_client, live, "close")
    assert fresh(live).closed_at is not None
    ready_workshop.refresh_from_db()
    assert ready_workshop.status == Workshop.Status.CLOSED
    # The room still opens, read-only.
    body = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert "control_action" not in body
    assert reverse("control_action", args=[live.pk, "next"]) not in body


# --- refused actions -------------------------------------------------------------------------


def snapshot(live):
    row = LiveSession.objects.values().get(pk=live.pk)
    row.pop("seq")
    return row


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("voting-open", {}, "Este bloque no tiene votación por puntos."),
        ("contributions-open", {}, "Este bloque no recibe aportes."),
        ("tables", {"size": "99"}, "Las mesas deben ser de 2 a 12 personas."),
        ("tables", {"size": "muchos"}, "Valor no válido."),
        ("timer-adjust", {"minutes": "500"}, "Ajusta el tiempo entre -60 y 60 minutos."),
        ("previous", {}, "No hay más bloques en esa dirección."),
        ("push-principle", {"principle": "no-existe"}, "Ese principio no existe."),
    ],
)
def test_a_refused_action_shows_why_and_changes_nothing(
    facilitator_client, live, action, data, message
):
    before = snapshot(live)
    response = act(facilitator_client, live, action, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert html.escape(message) in body
    assert snapshot(live) == before


def test_a_refused_action_without_htmx_shows_the_message_in_the_room(facilitator_client, live):
    response = facilitator_client.post(
        reverse("control_action", args=[live.pk, "voting-open"]), follow=True
    )
    assert "Este bloque no tiene votación por puntos." in response.content.decode()
    assert not fresh(live).voting_open


def test_hide_without_a_reason_is_refused(facilitator_client, live, people):
    goto(live, "area_round")
    item, _ = services.contribution_submit(
        participant=people["ventas"], key="k", text="Feo", block_id=block_of(live, "area_round").pk
    )
    response = act(facilitator_client, live, "hide", {"contribution": item.pk})
    assert "Escribe el motivo para ocultar el aporte." in response.content.decode()
    item.refresh_from_db()
    assert not item.hidden


def test_goto_a_block_of_another_session_is_404(
    facilitator_client, live, organisation, facilitator
):
    other = new_workshop(organisation, facilitator, title="Otra", ready=False)
    before = snapshot(live)
    response = act(facilitator_client, live, "goto", {"block": other.blocks.first().pk})
    assert response.status_code == 404
    assert snapshot(live) == before


def test_an_unknown_action_is_404(facilitator_client, live):
    assert act(facilitator_client, live, "explode").status_code == 404


def test_hide_or_remove_of_another_session_is_404(
    facilitator_client, live, people, organisation, facilitator
):
    other_live = services.live_start(
        workshop=new_workshop(organisation, facilitator, title="Otra", ready=True)
    )
    stranger = services.participant_join(
        live=other_live, name="Otra persona", area=organisation.areas.first()
    )
    goto(other_live, "area_round")
    item, _ = services.contribution_submit(
        participant=stranger, key="k", text="Ajeno", block_id=block_of(other_live, "area_round").pk
    )
    assert (
        act(
            facilitator_client, live, "hide", {"contribution": item.pk}, HTTP_HX_PROMPT="x"
        ).status_code
        == 404
    )
    assert act(facilitator_client, live, "remove", {"participant": stranger.pk}).status_code == 404
    item.refresh_from_db()
    stranger.refresh_from_db()
    assert not item.hidden and stranger.removed_at is None


def test_control_actions_need_a_post(facilitator_client, live):
    assert (
        facilitator_client.get(reverse("control_action", args=[live.pk, "next"])).status_code == 405
    )


# --- joining by code -------------------------------------------------------------------------


def test_a_valid_code_in_any_case_with_a_dash_leads_to_the_session(client, live):
    code = live.display_code.lower()
    assert "-" in code
    response = client.post(reverse("join"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == f"/p/{live.qr_token}/"


@pytest.mark.parametrize("code", ["ZZZZ-ZZZZ", "abc", "ABCD EFGH 23"])
def test_a_wrong_code_gets_one_clear_message(client, live, code):
    response = client.post(reverse("join"), {"code": code})
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()


def test_a_closed_session_code_gets_the_same_message(client, live):
    services.live_close(live=live)
    response = client.post(reverse("join"), {"code": live.join_code})
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()


def test_repeated_wrong_codes_from_one_address_are_slowed_down(live):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(30):
        assert WRONG_CODE in guesser.post(reverse("join"), {"code": "ZZZZ-ZZZZ"}).content.decode()
    blocked = guesser.post(reverse("join"), {"code": live.join_code})
    assert blocked.status_code == 200
    assert THROTTLED in blocked.content.decode()
    # Another address (another phone network) still gets in.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.post(reverse("join"), {"code": live.join_code})["Location"] == (
        f"/p/{live.qr_token}/"
    )


def test_a_room_behind_one_address_still_joins_with_its_code_after_a_prankster(live):
    first = Client(REMOTE_ADDR="192.0.2.50")
    assert first.post(reverse("join"), {"code": live.display_code}).status_code == 302
    prankster = Client(REMOTE_ADDR="192.0.2.50")
    for _ in range(30):
        prankster.post(reverse("join"), {"code": "ZZZZ-ZZZZ"})
    # The address is over its budget: wrong codes are refused without being looked up...
    refused = prankster.post(reverse("join"), {"code": "ZZZZ-ZZZY"})
    assert THROTTLED in refused.content.decode()
    # ...and the rest of the room still gets in with the right code, typed any way.
    for typed in (live.display_code, live.join_code.lower(), live.display_code):
        late = Client(REMOTE_ADDR="192.0.2.50")
        response = late.post(reverse("join"), {"code": typed})
        assert response.status_code == 302, response.content.decode()
        assert response["Location"] == f"/p/{live.qr_token}/"


def test_a_room_locked_out_before_anyone_joined_gets_in_once_one_phone_scans_the_qr(live):
    prankster = Client(REMOTE_ADDR="192.0.2.60")
    for _ in range(30):
        prankster.post(reverse("join"), {"code": "ZZZZ-ZZZZ"})
    first = Client(REMOTE_ADDR="192.0.2.60")
    assert THROTTLED in first.post(reverse("join"), {"code": live.display_code}).content.decode()
    # The refusal says what to do: the QR code on the screen.
    assert "escanea el código QR" in first.post(reverse("join"), {"code": "x"}).content.decode()
    scanner = Client(REMOTE_ADDR="192.0.2.60")
    assert scanner.get(f"/p/{live.qr_token}/").status_code == 200
    assert first.post(reverse("join"), {"code": live.display_code}).status_code == 302


def test_a_throttled_address_cannot_tell_a_live_code_from_a_wrong_one(
    live, organisation, facilitator, django_assert_num_queries
):
    """What keeps guessing slow: over the budget, a code nobody here has reached is neither
    looked up nor told apart, whether or not it is live."""
    other_live = services.live_start(
        workshop=new_workshop(organisation, facilitator, title="Otra", ready=True)
    )
    guesser = Client(REMOTE_ADDR="203.0.113.8")
    guesser.post(reverse("join"), {"code": live.display_code})  # a session it did reach
    for _ in range(30):
        guesser.post(reverse("join"), {"code": "ZZZZ-ZZZZ"})
    with django_assert_num_queries(0):
        live_code = guesser.post(reverse("join"), {"code": other_live.join_code})
        wrong_code = guesser.post(reverse("join"), {"code": "ZZZZ-ZZZY"})
    for response in (live_code, wrong_code):
        assert response.status_code == 200
        assert THROTTLED in response.content.decode()
        assert WRONG_CODE not in response.content.decode()
    assert guesser.post(reverse("join"), {"code": live.join_code}).status_code == 302


def test_a_whole_room_joining_from_one_address_is_not_slowed_down(live):
    venue = Client(REMOTE_ADDR="192.0.2.1")
    for _ in range(60):
        assert venue.post(reverse("join"), {"code": live.join_code}).status_code == 302


# --- the join form, the commitment and the live page -----------------------------------------


def test_joining_asks_a_name_and_an_area_only_and_lands_on_the_live_page(client, live, areas):
    page = client.get(f"/p/{live.qr_token}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="name"' in body
    assert body.count('type="radio"') == 3
    assert "Me comprometo" not in body

    response = client.post(
        f"/p/{live.qr_token}/", {"name": "Dora", "area": areas["ventas"].pk, **ACCEPTED}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/p/{live.qr_token}/"
    participant = Participant.objects.get(live=live)
    assert (participant.name, participant.area) == ("Dora", areas["ventas"])
    assert participant.principles_answered is False  # the principles come in their block

    live_page = client.get(f"/p/{live.qr_token}/")
    assert live_page.status_code == 200
    html_text = live_page.content.decode()
    assert 'id="stage"' in html_text
    assert "Dora" in html_text
    # The principles are on the page, for the principles block (or a late arrival).
    assert 'id="commitment-form"' in html_text and "Tengo una reserva" in html_text
    assert Principle.objects.get(slug="escucha").name in html_text
    # A reload brings the same person back.
    assert "Dora" in client.get(f"/p/{live.qr_token}/").content.decode()
    assert Participant.objects.filter(live=live).count() == 1


def test_the_join_form_refuses_an_area_that_is_not_invited(client, live, outsider):
    foreign = outsider.organisation.areas.first()
    response = client.post(f"/p/{live.qr_token}/", {"name": "Eva", "area": foreign.pk, **ACCEPTED})
    assert response.status_code == 200
    assert "Elige una de las áreas invitadas." in response.content.decode()
    assert not Participant.objects.exists()


def test_a_locked_door_is_explained(client, live, areas):
    services.live_set_door(live=live, open=False)
    response = client.post(
        f"/p/{live.qr_token}/", {"name": "Tarde", "area": areas["ventas"].pk, **ACCEPTED}
    )
    assert response.status_code == 200
    assert "La sesión ya no recibe más personas." in response.content.decode()
    assert not Participant.objects.exists()


def test_a_closed_session_link_thanks_people(live, people):
    services.live_close(live=live)
    for client in (Client(), phone_client(people["ventas"])):
        response = client.get(f"/p/{live.qr_token}/")
        assert response.status_code == 200
        assert "¡Gracias por conversar!" in response.content.decode()


def test_a_removed_participant_sees_the_removed_page(live, people, facilitator):
    phone = phone_client(people["ventas"])
    services.participant_remove(live=live, participant=people["ventas"], actor=facilitator.user)
    response = phone.get(f"/p/{live.qr_token}/")
    assert "Ya no estás en esta sesión" in response.content.decode()
    # And cannot simply join again from the same phone.
    again = phone.post(
        f"/p/{live.qr_token}/", {"name": "Beto 2", "area": people["ventas"].area_id, **ACCEPTED}
    )
    assert "Ya no estás en esta sesión" in again.content.decode()
    assert Participant.objects.filter(live=live).count() == 3


def test_an_unknown_link_is_404(client, live):
    assert client.get("/p/no-such-token/").status_code == 404


def test_a_participant_of_one_session_is_a_stranger_in_another(
    live, people, organisation, facilitator
):
    other = services.live_start(
        workshop=new_workshop(organisation, facilitator, title="Otra sesión", ready=True)
    )
    phone = phone_client(people["ventas"])
    response = phone.get(f"/p/{other.qr_token}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="name"' in body  # the join form
    assert "Beto" not in body


# --- markup stays text on every screen -------------------------------------------------------


def test_markup_in_names_and_contributions_renders_escaped(live, areas, facilitator_client):
    goto(live, "area_round")
    author = services.participant_join(live=live, name=f"Ana {MARKUP}", area=areas["compras"])
    services.participant_commit(participant=author)
    services.contribution_submit(
        participant=author,
        key="k",
        text=f"Aporte {MARKUP}",
        block_id=block_of(live, "area_round").pk,
    )
    reader = services.participant_join(live=live, name="Lector", area=areas["ventas"])
    services.participant_commit(participant=reader)
    pages = {
        "room": facilitator_client.get(reverse("control_room", args=[live.pk])),
        "projector": facilitator_client.get(reverse("projector", args=[live.pk])),
        "author phone": phone_client(author).get(f"/p/{live.qr_token}/"),
        "other phone": phone_client(reader).get(f"/p/{live.qr_token}/"),
    }
    escaped = html.escape(MARKUP)
    for name, response in pages.items():
        body = response.content.decode()
        assert response.status_code == 200, name
        assert f"Aporte {escaped}" in body, name
        assert "<img src=x" not in body, name
    for name in ("room", "projector", "author phone"):
        assert f"Ana {escaped}" in pages[name].content.decode(), name


# --- CSRF ------------------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused(live, areas, facilitator):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        f"/p/{live.qr_token}/", {"name": "Sin token", "area": areas["ventas"].pk, **ACCEPTED}
    )
    assert response.status_code == 403
    assert strict.post(reverse("join"), {"code": live.join_code}).status_code == 403
    assert not Participant.objects.exists()
    room = Client(enforce_csrf_checks=True)
    room.force_login(facilitator.user)
    assert room.post(reverse("control_action", args=[live.pk, "close"]), **HTMX).status_code == 403
    assert fresh(live).closed_at is None


def test_the_join_form_works_with_its_csrf_token(live, areas):
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(f"/p/{live.qr_token}/")
    token = page.context["csrf_token"]
    response = strict.post(
        f"/p/{live.qr_token}/",
        {
            "name": "Con token",
            "area": areas["ventas"].pk,
            "csrfmiddlewaretoken": str(token),
            **ACCEPTED,
        },
    )
    assert response.status_code == 302
    assert Participant.objects.filter(name="Con token").exists()


def test_the_door_button_follows_its_state_in_the_rooms_own_fragment(facilitator_client, live):
    closed = act(facilitator_client, live, "door-close").content.decode()
    assert reverse("control_action", args=[live.pk, "door-open"]) in closed
    assert reverse("control_action", args=[live.pk, "door-close"]) not in closed
    opened = act(facilitator_client, live, "door-open").content.decode()
    assert reverse("control_action", args=[live.pk, "door-close"]) in opened


def test_an_ended_session_opens_on_its_summary_and_the_projector_on_its_closing(
    facilitator_client, live
):
    act(facilitator_client, live, "close")
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    assert 'id="room-ended"' in room and "ws-connect" not in room
    assert reverse("workshop_report", args=[live.workshop_id]) in room
    screen = facilitator_client.get(reverse("projector", args=[live.pk])).content.decode()
    assert 'id="screen-closing"' in screen and "ws-connect" not in screen
