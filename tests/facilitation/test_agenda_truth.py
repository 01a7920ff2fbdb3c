"""The control room's agenda tells the truth: past blocks as they ran (or that they were
skipped), the current one since it began, and how far the session runs from its plan."""

import datetime

import pytest
from django.utils import timezone

from facilitation import services
from facilitation.broadcast import render_audience
from facilitation.models import BlockRun
from facilitation.selectors import live_state, timeline
from workshops.models import Workshop

pytestmark = pytest.mark.django_db


def test_every_block_the_agenda_goes_to_is_recorded_with_its_times(live):
    blocks = list(live.workshop.blocks.order_by("position"))
    assert [(r.block_id, r.ended_at) for r in BlockRun.objects.filter(live=live)] == [
        (blocks[0].pk, None)
    ]
    services.live_goto_block(live=live, block=blocks[2])
    services.live_goto_block(live=live, block=blocks[0])  # back again: a second run
    services.live_close(live=live)
    runs = list(BlockRun.objects.filter(live=live))
    assert [r.block_id for r in runs] == [blocks[0].pk, blocks[2].pk, blocks[0].pk]
    assert all(r.ended_at is not None and r.ended_at >= r.started_at for r in runs)


def test_past_blocks_show_how_long_they_ran_and_skipped_ones_say_so(live):
    blocks = list(live.workshop.blocks.order_by("position"))
    services.live_goto_block(live=live, block=blocks[2])
    now = timezone.now()
    BlockRun.objects.filter(live=live, block=blocks[0]).update(
        started_at=now - datetime.timedelta(minutes=20),
        ended_at=now - datetime.timedelta(minutes=7),
    )
    BlockRun.objects.filter(live=live, block=blocks[2]).update(
        started_at=now - datetime.timedelta(minutes=7)
    )
    live.refresh_from_db()
    agenda = timeline(live, blocks[2], remaining=blocks[2].minutes * 60, now=now)
    assert agenda[0].is_past and agenda[0].ran_minutes == 13
    assert agenda[0].starts_at == now - datetime.timedelta(minutes=20)
    assert agenda[1].is_past and agenda[1].skipped and agenda[1].ran_minutes is None
    assert agenda[2].is_current and agenda[2].starts_at == now - datetime.timedelta(minutes=7)
    room = render_audience(live, "facilitator")
    assert "duró 13 min" in room and "no se hizo" in room


@pytest.mark.parametrize(
    ("planned", "minutes", "word"), [("08:00", 30, "atrasados"), ("09:00", -30, "adelantados")]
)
def test_the_room_says_how_far_the_session_runs_from_its_plan(
    live, monkeypatch, planned, minutes, word
):
    """Went live at 8:30, ten minutes into the first block at 8:40: against a plan that
    began at 8:00 the session is 30 min late; against one at 9:00, 30 min early."""
    zone = live.workshop.organisation.zone
    day = datetime.date(2026, 12, 1)
    hour, minute = map(int, planned.split(":"))
    Workshop.objects.filter(pk=live.workshop_id).update(
        date=day, start_time=datetime.time(hour, minute)
    )
    started = datetime.datetime(2026, 12, 1, 8, 30, tzinfo=zone)
    now = started + datetime.timedelta(minutes=10)
    type(live).objects.filter(pk=live.pk).update(started_at=started, timer_elapsed_seconds=600)
    BlockRun.objects.filter(live=live).update(started_at=started)
    live.refresh_from_db()
    monkeypatch.setattr(timezone, "now", lambda: now)
    state = live_state(live, audience="facilitator")
    assert state.drift.minutes == minutes
    assert (state.drift.late, state.drift.early) == (minutes > 0, minutes < 0)
    assert state.timeline[0].starts_at == started
    assert f"Vamos 30 min {word}" in render_audience(live, "facilitator")


def test_a_session_run_on_another_day_is_measured_from_when_it_went_live(live):
    """Rescheduled without editing the plan: the plan's clock starts when it went live."""
    Workshop.objects.filter(pk=live.workshop_id).update(date=datetime.date(2020, 1, 1))
    live.refresh_from_db()
    state = live_state(live, audience="facilitator")
    assert abs(state.drift.minutes) <= 1


def test_the_room_lists_its_keyboard_shortcuts(facilitator_client, live):
    page = facilitator_client.get(f"/en-vivo/{live.pk}/").content.decode()
    assert "Atajos de teclado" in page
    for key in ("ArrowRight", "ArrowLeft", " "):
        assert f'data-shortcut="{key}"' in page
