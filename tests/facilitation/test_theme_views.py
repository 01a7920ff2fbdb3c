"""The grouping board over HTTP: its page and fragment, each action, refusals in Spanish,
and 404 for what is not this organisation's or this session's."""

import pytest

from facilitation import services, themes
from facilitation.models import Contribution, Theme, ThemeSuggestion
from tests.facilitation.conftest import goto
from tests.facilitation.test_themes import TEXTS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def board(live, people):
    goto(live, "unsaid")
    block = live.workshop.blocks.get(kind__slug="unsaid")
    services.contributions_set_open(live=live, open=True)
    writers = list(people.values())
    items = [
        services.contribution_submit(
            participant=writers[n % 3], key=f"k{n}", text=text, block_id=block.pk
        )[0]
        for n, text in enumerate(TEXTS)
    ]
    # The anonymous block reveals first: the facilitator shows the cards, as in the room.
    services.contributions_reveal(live=live, block=block)
    return block, items, f"/en-vivo/{live.pk}/temas/{block.pk}/"


def post(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_the_board_lists_the_cards_and_the_room_links_to_it(facilitator_client, live, board):
    block, items, url = board
    page = facilitator_client.get(url).content.decode()
    assert "Agrupar los aportes en temas" in page
    assert all(f'id="card-{item.pk}"' in page for item in items)
    assert 'id="hide-dialog"' in page
    room = facilitator_client.get(f"/en-vivo/{live.pk}/").content.decode()
    assert url in room
    fragment = facilitator_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="board"')


def test_create_add_rename_take_out_and_dissolve_over_http(facilitator_client, live, board):
    block, items, url = board
    response = post(
        facilitator_client,
        url + "create/",
        {"cards": [items[0].pk, items[1].pk], "name": "Fechas de entrega"},
    )
    assert response.status_code == 200 and "Fechas de entrega" in response.content.decode()
    theme = Theme.objects.get()
    post(facilitator_client, url + "add/", {"theme": theme.pk, "cards": [items[2].pk]})
    assert theme.cards.count() == 3
    post(facilitator_client, url + "rename/", {"theme": theme.pk, "name": "Fechas y avisos"})
    theme.refresh_from_db()
    assert theme.name == "Fechas y avisos"
    post(facilitator_client, url + "ungroup-card/", {"card": items[2].pk})
    assert theme.cards.count() == 2
    post(facilitator_client, url + "merge/", {"card": items[3].pk, "onto": items[0].pk})
    assert theme.cards.count() == 3
    post(facilitator_client, url + "dissolve/", {"theme": theme.pk})
    assert not Theme.objects.exists()


def test_suggest_accept_edited_and_reject_over_http(facilitator_client, live, board):
    block, items, url = board
    page = post(facilitator_client, url + "suggest/", {}).content.decode()
    assert "Aceptar como tema" in page
    dates = next(s for s in ThemeSuggestion.objects.all() if items[0].pk in s.card_ids)
    other = next(s for s in ThemeSuggestion.objects.all() if s.pk != dates.pk)
    post(
        facilitator_client,
        url + "accept/",
        {"suggestion": dates.pk, "cards": [items[0].pk, items[1].pk], "name": "Promesas"},
    )
    assert Theme.objects.get().name == "Promesas"
    post(facilitator_client, url + "reject/", {"suggestion": other.pk})
    assert ThemeSuggestion.objects.get(pk=other.pk).status == "rejected"


def test_bad_input_gets_a_spanish_message_and_changes_nothing(facilitator_client, live, board):
    block, items, url = board
    for data in (
        {"cards": [items[0].pk], "name": "Solo uno"},
        {"cards": [items[0].pk, items[1].pk], "name": ""},
        {"cards": ["abc"], "name": "X"},
        {"cards": [items[0].pk, items[1].pk], "name": "x" * 500},
    ):
        response = post(facilitator_client, url + "create/", data)
        assert response.status_code == 200
        assert 'class="message message-error"' in response.content.decode()
    assert not Theme.objects.exists()
    # Without htmx the refusal comes back as a message on the board's page.
    response = facilitator_client.post(url + "create/", {"cards": [items[0].pk], "name": "X"})
    assert response.status_code == 302
    assert "Elige al menos dos aportes" in facilitator_client.get(response.url).content.decode()


def test_hide_with_a_typed_reason_and_unhide_on_the_board(facilitator_client, live, board):
    block, items, url = board
    themes.theme_create(live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="A")
    post(
        facilitator_client,
        url + "hide/",
        {"contribution": items[1].pk, "reason": "", "other_reason": "Nombra a alguien"},
    )
    items[1].refresh_from_db()
    assert items[1].hidden and items[1].hidden_reason == "Nombra a alguien"
    post(facilitator_client, url + "unhide/", {"contribution": items[1].pk})
    items[1].refresh_from_db()
    assert not items[1].hidden and items[1].theme is not None


def test_what_is_not_this_sessions_answers_404(
    facilitator_client, outsider_client, manager_client, live, board, people
):
    block, items, url = board
    for client in (outsider_client, manager_client):
        assert client.get(url).status_code == 404
        assert post(client, url + "create/", {"cards": [items[0].pk]}).status_code == 404
    # A block of the session that is not a wall, an unknown action, a theme or card of
    # nobody: 404.
    not_a_wall = live.workshop.blocks.filter(allows_contributions=False).first()
    assert facilitator_client.get(f"/en-vivo/{live.pk}/temas/{not_a_wall.pk}/").status_code == 404
    assert post(facilitator_client, url + "explode/", {}).status_code == 404
    nobody = {"theme": 999999, "name": "X"}
    assert post(facilitator_client, url + "rename/", nobody).status_code == 404
    assert post(facilitator_client, url + "merge/", {"card": "x", "onto": "y"}).status_code == 404
    assert facilitator_client.get(url + "create/").status_code == 405
    assert not Theme.objects.exists()
    assert Contribution.objects.filter(theme__isnull=False).count() == 0


def test_look_alike_digits_and_other_blocks_answer_404_never_500(
    facilitator_client, live, board, people
):
    block, items, url = board
    assert post(facilitator_client, url + "rename/", {"theme": "²", "name": "X"}).status_code == 404
    response = post(facilitator_client, url + "create/", {"cards": ["²", "³"], "name": "X"})
    assert response.status_code == 200 and "Valor no válido" in response.content.decode()
    # A theme and a card of another block of the same session, through this board.
    goto(live, "area_round")
    other_block = live.workshop.blocks.get(kind__slug="area_round")
    services.contributions_set_open(live=live, open=True)
    a, _ = services.contribution_submit(
        participant=people["ventas"], key="o1", text="Uno", block_id=other_block.pk
    )
    b, _ = services.contribution_submit(
        participant=people["compras"], key="o2", text="Dos", block_id=other_block.pk
    )
    services.contributions_set_open(live=live, open=False)
    foreign = themes.theme_create(live=live, block=other_block, card_ids=[a.pk, b.pk], name="B")
    assert (
        post(facilitator_client, url + "rename/", {"theme": foreign.pk, "name": "X"}).status_code
        == 404
    )
    assert post(facilitator_client, url + "ungroup-card/", {"card": a.pk}).status_code == 404
    assert (
        post(facilitator_client, url + "hide/", {"contribution": a.pk, "reason": "x"}).status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.name == "B" and foreign.cards.count() == 2


def test_a_closed_session_sends_the_board_to_the_control_room(facilitator_client, live, board):
    block, items, url = board
    services.live_close(live=live)
    response = facilitator_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/en-vivo/{live.pk}/"
    assert facilitator_client.get(url).status_code == 302


def test_a_voted_theme_becomes_an_agreement_with_its_cards_as_sources(
    facilitator_client, live, board, people
):
    from agreements.models import Agreement

    block, items, url = board
    theme = themes.theme_create(
        live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="Fechas imposibles"
    )
    services.voting_set_open(live=live, open=True)
    services.dot_place(participant=people["ventas"], key="d1", theme_id=theme.pk)
    services.voting_set_open(live=live, open=False)
    page = facilitator_client.get(f"/en-vivo/{live.pk}/acuerdos/nuevo/").content.decode()
    assert f"?tema={theme.pk}" in page and "Fechas imposibles" in page
    page = facilitator_client.get(f"/en-vivo/{live.pk}/acuerdos/nuevo/?tema={theme.pk}")
    assert "Desde el tema" in page.content.decode()
    goto(live, "agreements")
    areas = list(live.workshop.organisation.areas.all())
    data = {
        "theme": theme.pk,
        "text": "Ventas confirma fechas con Logística",
        "problem": "Fechas imposibles",
        "due_date": (live.workshop.date.replace(day=28)).isoformat(),
        "areas": [a.pk for a in areas],
        "owners-TOTAL_FORMS": str(len(areas)),
        "owners-INITIAL_FORMS": "0",
        "owners-MIN_NUM_FORMS": "0",
        "owners-MAX_NUM_FORMS": "1000",
    }
    for n, area in enumerate(areas):
        data[f"owners-{n}-name"] = f"Responsable {area.name}"
        data[f"owners-{n}-area"] = area.pk
    response = facilitator_client.post(f"/en-vivo/{live.pk}/acuerdos/nuevo/", data)
    errors = [line for line in response.content.decode().splitlines() if "error" in line]
    assert response.status_code == 302, errors
    agreement = Agreement.objects.get()
    assert {c.pk for c in agreement.sources.all()} == {items[0].pk, items[1].pk}
