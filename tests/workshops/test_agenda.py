"""The agenda's clock times and the builder's guidance."""

import datetime

import pytest

from workshops import method
from workshops.agenda import format_minutes
from workshops.models import ActivityKind, Grouping
from workshops.selectors import workshop_agenda
from workshops.services import (
    block_add,
    block_remove,
    block_set_minutes,
    block_update,
    workshop_create,
)


@pytest.fixture
def template_workshop(library, organisation, facilitator):
    return workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Sincronizar áreas",
        purpose="Perdimos un pedido de 600 millones",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={a: 6 for a in organisation.areas.all()},
        template="tres-horas",
    )


def codes(workshop) -> set[str]:
    return {w.code for w in workshop_agenda(workshop=workshop).warnings}


def block_of(workshop, slug):
    return workshop.blocks.filter(kind__slug=slug).select_related("kind", "workshop").first()


def test_template_is_a_complete_three_hour_session_without_warnings(template_workshop):
    agenda = workshop_agenda(workshop=template_workshop)
    assert agenda.total == 180
    assert agenda.warnings == []
    template = method.templates()["tres-horas"]
    assert [s.block.kind.slug for s in agenda.scheduled] == [b.kind for b in template.blocks]
    unsaid = block_of(template_workshop, "unsaid")
    assert unsaid.anonymous and unsaid.allows_contributions
    assert block_of(template_workshop, "cafe_round").grouping == Grouping.MIXED_TABLES
    opening = block_of(template_workshop, "opening")
    assert opening.facilitator_notes.startswith("Propósito: Perdimos un pedido de 600 millones")
    assert "Para abrir:" in opening.facilitator_notes


def test_clock_times_follow_the_start_in_the_organisations_zone(template_workshop):
    agenda = workshop_agenda(workshop=template_workshop)
    first, second = agenda.scheduled[0], agenda.scheduled[1]
    assert first.starts_at.strftime("%H:%M %Z") == "08:00 -05"
    assert second.starts_at - first.starts_at == datetime.timedelta(minutes=first.block.minutes)
    assert agenda.ends_at == first.starts_at + datetime.timedelta(minutes=agenda.total)


def test_clock_times_are_recomputed_after_a_duration_change(template_workshop):
    before = workshop_agenda(workshop=template_workshop).scheduled[3].starts_at
    block_set_minutes(block=block_of(template_workshop, "opening"), minutes=25)
    after = workshop_agenda(workshop=template_workshop).scheduled[3].starts_at
    assert after - before == datetime.timedelta(minutes=15)


def test_short_agenda_warns(library, organisation, facilitator):
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Corta",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(9, 0),
    )
    block_add(workshop=workshop, kind=ActivityKind.objects.get(slug="opening"))
    found = codes(workshop)
    assert {"short", "no_agreements", "no_checkin", "few_areas"} <= found


def test_agreements_not_near_the_end_warns(template_workshop):
    block_add(workshop=template_workshop, kind=ActivityKind.objects.get(slug="dream"))
    assert "agreements_not_at_end" in codes(template_workshop)


def test_removing_the_break_warns_about_ninety_minutes(template_workshop):
    block_remove(block=template_workshop.blocks.filter(kind__slug="break").first())
    agenda = workshop_agenda(workshop=template_workshop)
    warning = next(w for w in agenda.warnings if w.code == "no_break")
    assert "95 minutos" in warning.message


def test_cafe_round_not_at_mixed_tables_warns(template_workshop):
    cafe = block_of(template_workshop, "cafe_round")
    block_update(block=cafe, title=cafe.title, minutes=cafe.minutes, grouping=Grouping.BY_AREA)
    assert "cafe_not_mixed" in codes(template_workshop)


def test_block_needing_a_question_without_one_warns(template_workshop):
    block = block_of(template_workshop, "discovery")
    block.questions.all().delete()
    assert "no_question" in codes(template_workshop)


def test_anonymous_block_before_principles_warns(template_workshop):
    opening = block_of(template_workshop, "opening")
    block_update(block=opening, title=opening.title, minutes=10, grouping="plenary", anonymous=True)
    assert "anonymous_before_principles" in codes(template_workshop)


def test_late_checkin_warns(template_workshop):
    block_set_minutes(block=block_of(template_workshop, "opening"), minutes=45)
    assert "no_checkin" in codes(template_workshop)


@pytest.mark.parametrize(
    ("minutes", "label"), [(45, "45 min"), (60, "1 h"), (235, "3 h 55 min"), (185, "3 h 05 min")]
)
def test_durations_read_as_hours_and_minutes(minutes, label):
    assert format_minutes(minutes) == label


def test_a_second_diagnosis_warns_that_people_answer_once(template_workshop):
    block_add(workshop=template_workshop, kind=ActivityKind.objects.get(slug="diagnosis"))
    assert "two_diagnoses" in codes(template_workshop)
