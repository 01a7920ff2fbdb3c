"""Writes of the session builder: what it refuses, copies, and how it keeps the order."""

import datetime
import threading

import pytest
from django.db import connection

from workshops.models import (
    ActivityKind,
    Block,
    BlockQuestion,
    Principle,
    Question,
    Workshop,
)
from workshops.services import (
    AgendaError,
    block_add,
    block_duplicate,
    block_move,
    block_question_add,
    block_question_write,
    block_set_minutes,
    block_update,
    blocks_reorder,
    question_create,
    workshop_create,
    workshop_duplicate,
    workshop_set_status,
)


def make_workshop(organisation, facilitator, **kwargs):
    return workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Sesión",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={a: 5 for a in organisation.areas.all()},
        **kwargs,
    )


@pytest.fixture
def workshop(library, organisation, facilitator):
    return make_workshop(organisation, facilitator, template="tres-horas")


def order(workshop) -> list[int]:
    return list(workshop.blocks.order_by("position").values_list("id", flat=True))


def positions(workshop) -> list[int]:
    return list(workshop.blocks.order_by("position").values_list("position", flat=True))


def test_new_session_has_the_default_checklist(workshop):
    assert workshop.checklist.count() == 7
    assert workshop.checklist.filter(text__icontains="sillas y mesas").exists()


def test_zero_or_negative_duration_is_refused(workshop):
    block = workshop.blocks.first()
    with pytest.raises(AgendaError, match="al menos 1 minuto"):
        block_set_minutes(block=block, minutes=0)
    block.refresh_from_db()
    assert block.minutes == 10


def test_total_over_eight_hours_is_refused(workshop):
    block = workshop.blocks.first()
    with pytest.raises(AgendaError, match="8 horas"):
        block_set_minutes(block=block, minutes=320)
    block.refresh_from_db()
    assert block.minutes == 10


def test_block_without_title_is_refused(workshop):
    block = workshop.blocks.first()
    with pytest.raises(AgendaError, match="título"):
        block_update(block=block, title="  ", minutes=10, grouping="plenary")


def test_unsaid_block_stays_anonymous_whatever_the_form_says(workshop):
    block = workshop.blocks.get(kind__slug="unsaid")
    block_update(
        block=block,
        title=block.title,
        minutes=20,
        grouping="plenary",
        anonymous=False,
        allows_contributions=True,
    )
    block.refresh_from_db()
    assert block.anonymous


def test_question_of_another_organisation_is_refused(workshop, other_organisation, outsider):
    theirs = question_create(
        organisation=other_organisation,
        created_by=outsider.user,
        text="¿Pregunta privada de la otra organización?",
        phase=ActivityKind.objects.get(slug="cafe_round"),
        area_slugs=[],
        principles=[],
    )
    block = workshop.blocks.get(kind__slug="unsaid")
    with pytest.raises(AgendaError):
        block_question_add(block=block, question=theirs)
    assert not BlockQuestion.objects.filter(question=theirs).exists()


def test_written_question_can_be_saved_in_the_organisations_bank(workshop, facilitator):
    block = workshop.blocks.get(kind__slug="dream")
    bq = block_question_write(
        block=block,
        text="¿Qué haríamos con un día sin urgencias?",
        save_to_bank=True,
        created_by=facilitator.user,
    )
    assert bq.question.organisation == workshop.organisation
    assert bq.question.phase.slug == "dream"
    only_here = block_question_write(block=block, text="¿Y qué más imaginan para el cliente?")
    assert only_here.question is None
    assert not Question.objects.filter(text=only_here.text).exists()


def test_duplicate_copies_agenda_questions_and_areas_as_a_draft(workshop, facilitator):
    workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    workshop.checklist.update(done=True)
    copy = workshop_duplicate(workshop=workshop, facilitator=facilitator.user)
    assert copy.status == Workshop.Status.DRAFT
    assert copy.title.endswith("(copia)")
    assert [b.title for b in copy.blocks.all()] == [b.title for b in workshop.blocks.all()]
    assert BlockQuestion.objects.filter(block__workshop=copy).count() == (
        BlockQuestion.objects.filter(block__workshop=workshop).count()
    )
    assert copy.invited.count() == 3
    assert not copy.checklist.filter(done=True).exists()


def test_live_session_agenda_cannot_change(workshop):
    Workshop.objects.filter(pk=workshop.pk).update(status=Workshop.Status.LIVE)
    with pytest.raises(AgendaError, match="en vivo"):
        block_add(workshop=workshop, kind=ActivityKind.objects.get(slug="dream"))
    with pytest.raises(AgendaError):
        workshop_set_status(workshop=Workshop.objects.get(pk=workshop.pk), status="draft")


def test_duplicate_block_lands_right_after_the_original(workshop):
    cafe = workshop.blocks.filter(kind__slug="cafe_round").first()
    copy = block_duplicate(block=cafe)
    ids = order(workshop)
    assert ids.index(copy.pk) == ids.index(cafe.pk) + 1
    assert positions(workshop) == list(range(1, len(ids) + 1))
    assert copy.questions.count() == cafe.questions.count()


def test_move_up_and_down_swap_neighbours(workshop):
    ids = order(workshop)
    block_move(block=Block.objects.get(pk=ids[2]), delta=-1)
    assert order(workshop)[:3] == [ids[0], ids[2], ids[1]]
    block_move(block=Block.objects.get(pk=ids[0]), delta=-1)  # already first: no change
    assert order(workshop)[0] == ids[0]


def test_stale_reorder_from_another_tab_is_refused(workshop):
    workshop.refresh_from_db()
    seen_version = workshop.agenda_version  # both tabs drew the agenda at this version
    ids = order(workshop)
    tab_a = [ids[1], ids[0], *ids[2:]]
    tab_b = [*ids[:-2], ids[-1], ids[-2]]
    blocks_reorder(workshop=workshop, block_ids=tab_a, version=seen_version)
    with pytest.raises(AgendaError, match="otra pestaña"):
        blocks_reorder(
            workshop=Workshop.objects.get(pk=workshop.pk), block_ids=tab_b, version=seen_version
        )
    assert order(workshop) == tab_a


def test_reorder_with_foreign_or_missing_ids_is_refused(workshop, organisation, facilitator):
    other = make_workshop(organisation, facilitator, template="tres-horas")
    workshop.refresh_from_db()
    ids = order(workshop)
    with pytest.raises(AgendaError):
        blocks_reorder(
            workshop=workshop,
            block_ids=[*ids[:-1], order(other)[0]],
            version=workshop.agenda_version,
        )
    assert order(workshop) == ids


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_one_agenda_keep_a_clean_order(library, organisation, facilitator):
    """Two tabs hammering the same agenda at once: positions stay 1..n, no block is lost."""
    workshop = make_workshop(organisation, facilitator, template="tres-horas")
    ids = order(workshop)
    errors: list[BaseException] = []

    def tab(delta: int, block_id: int) -> None:
        try:
            for _ in range(8):
                block_move(block=Block.objects.get(pk=block_id), delta=delta)
                block_duplicate(block=Block.objects.get(pk=block_id))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=tab, args=(1, ids[1])),
        threading.Thread(target=tab, args=(-1, ids[5])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    final = positions(workshop)
    assert final == list(range(1, len(final) + 1))
    assert len(final) == len(ids) + 16
    assert Principle.objects.exists()  # the library survived the threads' connections
