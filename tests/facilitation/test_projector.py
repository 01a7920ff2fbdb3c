"""The projector's own screens per block: arrivals per area while the door is open, the
principles slide, the vote's progress (counts, never who), and the fullscreen button."""

import pytest

from facilitation import services
from facilitation.broadcast import render_audience
from facilitation.selectors import live_state
from tests.facilitation.conftest import goto

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_opening_shows_how_many_joined_per_area_while_the_door_is_open(live, people):
    goto(live, "opening")
    screen = render_audience(live, "projector")
    assert 'id="screen-arrivals"' in screen
    for area in ("Compras", "Ventas", "Logística"):
        assert f"<strong>1</strong><small>/4</small> {area}" in screen
    services.live_set_door(live=live, open=False)
    assert 'id="screen-arrivals"' not in render_audience(live, "projector")


def test_the_principles_block_has_a_slide_of_the_ten_principles(live, people):
    goto(live, "principles")
    state = live_state(live, audience="projector")
    assert len(state.principles) == 10
    assert 'id="screen-principles"' in render_audience(live, "projector")
    # Phones show the principles in their own form; a pushed principle takes the screen.
    assert live_state(live, audience="participants").principles == []
    from workshops.models import Principle

    services.principle_push(live=live, principle=Principle.objects.first())
    assert live_state(live, audience="projector").principles == []


def test_the_vote_shows_its_progress_as_counts(live, people):
    goto(live, "unsaid")
    block = live.workshop.blocks.get(kind__slug="unsaid")
    services.contributions_set_open(live=live, open=True)
    card, _ = services.contribution_submit(
        participant=people["ventas"], key="c", text="Idea", block_id=block.pk
    )
    services.contributions_reveal(live=live, block=block)
    services.voting_set_open(live=live, open=True)
    services.dot_place(participant=people["compras"], key="d1", contribution_id=card.pk)
    services.dot_place(participant=people["compras"], key="d2", contribution_id=card.pk)
    for person in people.values():
        services.participant_seen(participant=person)
    progress = live_state(live, audience="projector").voting
    assert (progress.voters, progress.present, progress.dots_used) == (1, 3, 2)
    assert progress.dots_total == 3 * block.dots
    screen = render_audience(live, "projector")
    assert "1 de 3 personas votó" in screen and f"2 de {3 * block.dots} puntos" in screen
    # Phones and the control room do not get it; nor does the projector after the vote.
    assert live_state(live, audience="participants").voting is None
    services.voting_set_open(live=live, open=False)
    assert live_state(live, audience="projector").voting is None


def test_the_projector_page_has_a_fullscreen_button(facilitator_client, live):
    page = facilitator_client.get(f"/en-vivo/{live.pk}/proyector/").content.decode()
    assert "data-fullscreen" in page and "Pantalla completa" in page
