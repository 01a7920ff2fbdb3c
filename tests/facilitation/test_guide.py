"""The method in the control room: the current block's guide and steps, the escalation
protocol, breaks with their return time, and emotions with a single word."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from facilitation import services
from facilitation.models import EmotionCheck, LiveSession
from facilitation.selectors import block_guide, live_state
from tests.facilitation.conftest import goto
from workshops import method

HTMX = {"HTTP_HX_REQUEST": "true"}


def fresh(live) -> LiveSession:
    return LiveSession.objects.get(pk=live.pk)


def act(client, live, action, data=None):
    return client.post(reverse("control_action", args=[live.pk, action]), data or {}, **HTMX)


# --- services and selectors ------------------------------------------------------------------


def test_the_current_step_follows_the_time_gone_by_in_the_block(live):
    block = live.workshop.blocks.get(kind__slug="unsaid")
    starts = [0]
    for step in block.steps:
        starts.append(starts[-1] + step["minutes"] * 60)
    assert block_guide(block, elapsed=0).steps[0].is_current
    third = block_guide(block, elapsed=starts[2] + 1)
    assert [s.is_current for s in third.steps].index(True) == 2
    overdue = block_guide(block, elapsed=starts[-1] + 600)
    assert overdue.steps[-1].is_current
    assert sum(s.is_current for s in overdue.steps) == 1


def test_only_the_facilitator_gets_the_guide(live):
    live = goto(live, "unsaid")
    assert live_state(live, audience="facilitator").guide.kind == method.guides()["unsaid"]
    assert live_state(live, audience="participants").guide is None
    assert live_state(live, audience="projector").guide is None


def test_a_break_starts_its_clock_when_called_and_every_screen_knows_the_return_time(live):
    live = goto(live, "break")
    assert fresh(live).timer_running_since is not None
    for audience in ("participants", "projector", "facilitator"):
        state = live_state(live, audience=audience)
        expected = timezone.now() + datetime.timedelta(minutes=state.block.minutes)
        assert abs((state.returns_at - expected).total_seconds()) < 5, audience
    other = live_state(goto(live, "unsaid"), audience="participants")
    assert other.returns_at is None and fresh(live).timer_running_since is None


def test_calling_a_break_goes_to_the_next_break_and_a_second_tap_changes_nothing(live):
    live = goto(live, "checkin")
    services.live_call_break(live=live)
    first_break = live.workshop.blocks.filter(kind__slug="break").order_by("position").first()
    assert fresh(live).current_block == first_break
    started = fresh(live).timer_running_since
    services.live_call_break(live=fresh(live))
    assert fresh(live).current_block == first_break
    assert fresh(live).timer_running_since == started
    # From a later block, the next break is the one after it.
    goto(live, "dream")
    services.live_call_break(live=fresh(live))
    assert fresh(live).current_block.position > first_break.position
    assert fresh(live).current_block.kind.slug == "break"


def test_calling_a_break_when_none_is_left_is_refused_and_changes_nothing(live):
    live = goto(live, "checkout")
    with pytest.raises(services.LiveError, match="No quedan pausas"):
        services.live_call_break(live=live)
    assert fresh(live).current_block.kind.slug == "checkout"


def test_an_emotion_keeps_an_optional_single_word_shown_without_names(live, people):
    live = goto(live, "checkin")
    services.emotion_submit(
        participant=people["compras"],
        moment="checkin",
        emotion="miedo",
        intensity=4,
        word=" Tensa. ",
    )
    services.emotion_submit(
        participant=people["ventas"],
        moment="checkin",
        emotion="confianza",
        intensity=2,
        word="tensa",
    )
    services.emotion_submit(
        participant=people["logistica"], moment="checkin", emotion="escepticismo", intensity=3
    )
    assert EmotionCheck.objects.get(participant=people["compras"]).word == "Tensa"
    state = live_state(live, audience="projector")
    assert state.words["checkin"] == [("tensa", 2)]
    panel = state.emotion_panels[0]
    assert panel.moment == "checkin" and panel.total == 3
    assert {bar.label for bar in panel.bars} == {"Miedo", "Confianza", "Escepticismo"}


@pytest.mark.parametrize("word", ["muy cansada", "x" * 31])
def test_more_than_one_word_is_refused_and_changes_nothing(live, people, word):
    goto(live, "checkin")
    with pytest.raises(services.LiveError, match="una sola palabra"):
        services.emotion_submit(
            participant=people["compras"], moment="checkin", emotion="miedo", intensity=3, word=word
        )
    assert not EmotionCheck.objects.exists()


def test_check_in_and_check_out_are_shown_side_by_side_at_the_check_out(live, people):
    services.emotion_submit(
        participant=people["compras"], moment="checkin", emotion="desconfianza", intensity=4
    )
    live = goto(live, "checkout")
    services.emotion_submit(
        participant=people["compras"], moment="checkout", emotion="confianza", intensity=3
    )
    panels = live_state(live, audience="projector").emotion_panels
    assert [p.moment for p in panels] == ["checkin", "checkout"]
    assert panels[0].bars[0].label == "Desconfianza" and panels[1].bars[0].label == "Confianza"


# --- HTTP ------------------------------------------------------------------------------------


def test_the_control_room_shows_the_current_blocks_steps_script_and_probes(
    facilitator_client, live
):
    live = goto(live, "unsaid")
    page = html.unescape(
        facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    )
    block = live.workshop.blocks.get(kind__slug="unsaid")
    for step in block.steps:
        assert step["title"] in page
    assert 'aria-current="step"' in page
    guide = method.guides()["unsaid"]
    assert guide.probes[0] in page
    assert guide.open in page  # the script, prefilled in the block's notes
    # The escalation protocol is one tap away, with its actions.
    for case in method.escalation():
        assert case.situation in page
    assert reverse("control_action", args=[live.pk, "call-break"]) in page


def test_the_call_break_action_goes_to_the_next_break(facilitator_client, live):
    goto(live, "checkin")
    response = act(facilitator_client, live, "call-break")
    assert response.status_code == 200
    assert fresh(live).current_block.kind.slug == "break"
    assert "Regresamos a las" in response.content.decode()


def test_the_call_break_action_with_no_break_left_answers_in_spanish(facilitator_client, live):
    goto(live, "checkout")
    response = act(facilitator_client, live, "call-break")
    assert response.status_code == 200
    assert "No quedan pausas en la agenda" in html.unescape(response.content.decode())
    assert fresh(live).current_block.kind.slug == "checkout"


def test_the_call_break_action_is_not_for_another_organisation(outsider_client, live):
    assert act(outsider_client, live, "call-break").status_code == 404


def test_the_phone_shows_a_breaks_return_time(live, people):
    from tests.facilitation.conftest import phone_client

    goto(live, "break")
    page = phone_client(people["ventas"]).get(reverse("participant_live", args=[live.qr_token]))
    assert "Regresamos a las" in page.content.decode()


def test_a_breaks_return_time_reads_in_the_organisations_zone_whatever_renders_it(live):
    from django.template.loader import render_to_string
    from django.utils import timezone as tz

    organisation = live.workshop.organisation
    organisation.time_zone = "America/Mexico_City"
    organisation.save(update_fields=["time_zone"])
    live = goto(live, "break")
    state = live_state(LiveSession.objects.get(pk=live.pk), audience="participants")
    expected = tz.localtime(state.returns_at, organisation.zone).strftime("%H:%M")
    with tz.override("Asia/Tokyo"):  # a broadcast renders outside any request's zone
        stage = render_to_string("facilitation/_stage.html#stage", {"state": state})
        screen = render_to_string("facilitation/_screen.html", {"state": state})
    assert f"Regresamos a las {expected}" in stage
    assert f"Regresamos a las {expected}" in screen
