"""Sessions laid out from the method's templates, and the blocks' timed steps."""

import datetime

import pytest

from workshops import method
from workshops.models import ActivityKind, Block, Question
from workshops.selectors import question_search
from workshops.services import (
    AgendaError,
    area_rename,
    block_add,
    block_question_add,
    block_set_minutes,
    block_update,
    workshop_create,
)


def create(organisation, facilitator, template: str, areas=None, purpose: str = ""):
    areas = areas if areas is not None else list(organisation.areas.all())
    return workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Sincronizar áreas",
        purpose=purpose,
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={a: 5 for a in areas},
        template=template,
    )


@pytest.mark.parametrize("slug", ["tres-horas", "cuatro-horas"])
def test_a_template_lays_out_its_blocks_with_the_questions_it_names(
    library, organisation, facilitator, slug
):
    workshop = create(organisation, facilitator, slug)
    template = method.templates()[slug]
    blocks = list(workshop.blocks.select_related("kind").prefetch_related("questions"))
    assert [(b.kind.slug, b.title, b.minutes) for b in blocks] == [
        (t.kind, t.title, t.minutes) for t in template.blocks
    ]
    for block, planned in zip(blocks, template.blocks, strict=True):
        keys = [bq.question.key for bq in block.questions.all()]
        assert keys == list(planned.questions), block.title
        assert sum(step["minutes"] for step in block.steps) == block.minutes, block.title
        assert block.instructions == planned.instructions


def test_a_blocks_steps_come_from_the_template_when_it_writes_them(
    library, organisation, facilitator
):
    workshop = create(organisation, facilitator, "cuatro-horas")
    unsaid = workshop.blocks.get(kind__slug="unsaid")
    planned = next(b for b in method.templates()["cuatro-horas"].blocks if b.kind == "unsaid")
    assert unsaid.steps == [step.as_dict() for step in planned.steps]
    assert unsaid.anonymous


def test_the_opening_notes_carry_the_purpose_and_the_script(library, organisation, facilitator):
    workshop = create(organisation, facilitator, "tres-horas", purpose="Perdimos un pedido")
    notes = workshop.blocks.get(kind__slug="opening").facilitator_notes
    assert notes.startswith("Propósito: Perdimos un pedido")
    assert method.guides()["opening"].open in notes


def test_an_added_block_brings_its_kinds_steps_and_script(library, organisation, facilitator):
    workshop = create(organisation, facilitator, "", areas=[])
    kind = ActivityKind.objects.get(slug="unsaid")
    block = block_add(workshop=workshop, kind=kind)
    guide = method.guides()["unsaid"]
    assert block.steps == [step.as_dict() for step in guide.steps]
    assert block.minutes == guide.minutes == kind.default_minutes
    assert guide.close in block.facilitator_notes


def test_changing_a_blocks_duration_scales_its_steps_and_is_never_refused(
    library, organisation, facilitator
):
    workshop = create(organisation, facilitator, "tres-horas")
    block = workshop.blocks.get(kind__slug="unsaid")
    block_set_minutes(block=block, minutes=45)
    block.refresh_from_db()
    assert sum(step["minutes"] for step in block.steps) == 45
    block_set_minutes(block=block, minutes=2)
    block.refresh_from_db()
    assert sum(step["minutes"] for step in block.steps) == 2


def test_the_edit_panel_scales_untouched_steps_and_keeps_edited_ones(
    library, organisation, facilitator
):
    workshop = create(organisation, facilitator, "tres-horas")
    block = workshop.blocks.get(kind__slug="dream")
    fields = {"title": block.title, "grouping": block.grouping}
    block_update(block=block, minutes=20, steps=list(block.steps), **fields)
    block.refresh_from_db()
    assert sum(step["minutes"] for step in block.steps) == 20
    mine = [{"title": "Portada de revista", "minutes": 12}, {"title": "Galería", "minutes": 8}]
    block_update(block=block, minutes=20, steps=mine, **fields)
    block.refresh_from_db()
    assert block.steps == mine


def test_steps_that_do_not_add_up_to_the_duration_are_refused_and_change_nothing(
    library, organisation, facilitator
):
    workshop = create(organisation, facilitator, "tres-horas")
    block = workshop.blocks.get(kind__slug="dream")
    before = list(block.steps)
    with pytest.raises(AgendaError, match="Los pasos suman 7 min y el bloque dura 10 min"):
        block_update(
            block=block,
            title="Otro título",
            minutes=10,
            grouping=block.grouping,
            steps=[{"title": "Soñar", "minutes": 7}],
        )
    block.refresh_from_db()
    assert block.steps == before and block.title != "Otro título"


def test_a_question_for_an_area_reads_as_the_organisations_name_for_it(
    library, organisation, facilitator
):
    question = Question.objects.filter(area_tags__contains=",logistica,").first()
    assert question is not None and "{logistica}" in question.text
    area_rename(area=organisation.areas.get(slug="logistica"), name="Despachos")
    workshop = create(organisation, facilitator, "tres-horas")
    block = workshop.blocks.get(kind__slug=question.phase.slug)
    added = block_question_add(block=block, question=question)
    assert "Despachos" in added.text and "{" not in added.text


def test_a_question_for_an_area_that_does_not_take_part_is_not_offered(
    library, organisation, facilitator
):
    two = list(organisation.areas.filter(slug__in=["compras", "ventas"]))
    offered = question_search(organisation=organisation, taking_part=["compras", "ventas"])
    assert not offered.filter(area_tags__contains=",logistica,").exists()
    assert offered.filter(area_tags__contains=",ventas,").exists()
    assert offered.filter(area_tags="").exists()
    everything = question_search(organisation=organisation)
    assert everything.filter(area_tags__contains=",logistica,").exists()
    assert len(two) == 2


def test_every_block_laid_out_from_a_template_keeps_its_steps_after_a_reload(
    library, organisation, facilitator
):
    workshop = create(organisation, facilitator, "cuatro-horas")
    for block in Block.objects.filter(workshop=workshop):
        assert block.steps, block.title
