"""Reveal on the facilitator's word: in a block that reveals first (by default the anonymous
ones), cards go to the facilitator's queue; the room sees only how many wait until the
facilitator shows them, one by one or all at once; a card can be hidden before it is ever
shown, and undoing that puts it back in the queue; the acta counts both, never the text."""

import pytest

from agreements.selectors import workshop_report
from facilitation import services
from facilitation.broadcast import render_audience
from facilitation.models import Contribution, ModerationLog
from facilitation.selectors import live_state
from facilitation.services import LiveError
from tests.facilitation.conftest import goto
from workshops.models import Block

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def queued(live, people):
    goto(live, "unsaid")
    block = live.workshop.blocks.get(kind__slug="unsaid")
    assert block.anonymous and block.reveal_first
    cards = [
        services.contribution_submit(
            participant=person, key=f"q{n}", text=f"Secreto {n}", block_id=block.pk
        )[0]
        for n, person in enumerate(people.values())
    ]
    return block, cards


def test_anonymous_blocks_reveal_first_and_named_ones_do_not(live):
    blocks = {b.kind.slug: b for b in live.workshop.blocks.select_related("kind")}
    assert blocks["unsaid"].reveal_first
    assert not blocks["area_round"].reveal_first


def test_queued_cards_reach_only_the_facilitator_until_shown(live, queued, people):
    block, cards = queued
    assert all(c.revealed_at is None for c in cards)
    for audience in ("participants", "projector"):
        state = live_state(live, audience=audience)
        assert state.entries == [] and state.queued_count == 3 and state.queue == []
        assert "Secreto" not in render_audience(live, audience)
    room = live_state(live, audience="facilitator")
    assert [c.pk for c in room.queue] == [c.pk for c in cards]
    assert "3 aportes llegaron" in render_audience(live, "participants")
    # No dot on a card the room has not seen.
    services.voting_set_open(live=live, open=True)
    with pytest.raises(LiveError):
        services.dot_place(participant=people["ventas"], key="d", contribution_id=cards[0].pk)
    services.voting_set_open(live=live, open=False)

    assert services.contributions_reveal(live=live, block=block, contribution=cards[1]) == 1
    phones = live_state(live, audience="participants")
    assert [e.card.pk for e in phones.entries] == [cards[1].pk] and phones.queued_count == 2
    with pytest.raises(LiveError, match="ya está a la vista"):
        services.contributions_reveal(live=live, block=block, contribution=cards[1])
    assert services.contributions_reveal(live=live, block=block) == 2
    assert live_state(live, audience="projector").queued_count == 0
    assert services.contributions_reveal(live=live, block=block) == 0


def test_a_card_hidden_before_it_was_shown_goes_back_to_the_queue(live, queued, facilitator):
    block, cards = queued
    services.contribution_hide(
        live=live,
        contribution=cards[0],
        reason="Señala o deja en evidencia a una persona",
        actor=facilitator.user,
    )
    services.contributions_reveal(live=live, block=block)
    cards[0].refresh_from_db()
    assert cards[0].hidden and cards[0].revealed_at is None  # «show all» skips hidden ones
    services.contribution_unhide(live=live, contribution=cards[0], actor=facilitator.user)
    room = live_state(live, audience="facilitator")
    assert [c.pk for c in room.queue] == [cards[0].pk]
    assert live_state(live, audience="participants").queued_count == 1

    services.live_close(live=live)
    report = workshop_report(workshop=live.workshop)
    (wall,) = report.walls
    assert wall.unshown == 1 and wall.hidden == 0 and len(wall.loose) == 2
    assert (report.hides, report.unhides) == (1, 1)
    assert ModerationLog.objects.filter(live=live).count() == 2


def test_a_block_can_be_set_to_show_cards_at_once(live, people):
    block = live.workshop.blocks.get(kind__slug="unsaid")
    Block.objects.filter(pk=block.pk).update(reveal_first=False)
    goto(live, "unsaid")
    card, _ = services.contribution_submit(
        participant=people["ventas"], key="x", text="Directo", block_id=block.pk
    )
    assert card.revealed_at is not None
    assert live_state(live, audience="participants").entries[0].card.pk == card.pk


def test_show_card_and_show_all_over_http(facilitator_client, outsider_client, live, queued):
    block, cards = queued
    url = f"/en-vivo/{live.pk}/"
    page = facilitator_client.get(url).content.decode()
    assert 'id="room-queue"' in page and "Mostrar los 3 aportes" in page
    response = facilitator_client.post(
        url + "show-card/", {"contribution": cards[0].pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert Contribution.objects.filter(revealed_at__isnull=True).count() == 2
    assert outsider_client.post(url + "show-all/").status_code == 404
    facilitator_client.post(url + "show-all/", HTTP_HX_REQUEST="true")
    assert not Contribution.objects.filter(revealed_at__isnull=True).exists()
    # Another session's card: 404, nothing changes.
    response = facilitator_client.post(url + "show-card/", {"contribution": 999999})
    assert response.status_code == 404
