import json

import pytest
from django.core.exceptions import ValidationError

from workshops.models import (
    ActivityKind,
    Area,
    Assumption,
    Principle,
    Question,
    Responsibility,
    Tone,
)
from workshops.services import (
    DATA_DIR,
    area_add,
    area_rename,
    library_load,
    organisation_create,
    organisation_update,
    question_create,
    question_update,
)


def test_library_holds_the_method(library):
    assert Assumption.objects.count() == 3
    assert Principle.objects.count() == 10
    assert Responsibility.objects.filter(holder="team").count() == 6
    assert Responsibility.objects.filter(holder="facilitator").count() == 5
    slugs = set(ActivityKind.objects.values_list("slug", flat=True))
    assert {
        "opening",
        "checkin",
        "principles",
        "cafe_round",
        "unsaid",
        "discovery",
        "dream",
        "codesign",
        "break",
        "agreements",
        "checkout",
    } <= slugs
    assert all(p.explanation for p in Principle.objects.all())
    assert all(k.guide and k.default_minutes > 0 for k in ActivityKind.objects.all())
    assert ActivityKind.objects.get(slug="unsaid").always_anonymous
    assert ActivityKind.objects.get(slug="cafe_round").default_grouping == "mixed_tables"


def test_question_bank_covers_every_phase_area_and_tone(library):
    questions = Question.objects.filter(organisation__isnull=True)
    assert questions.count() >= 80
    phases_with_questions = set(questions.values_list("phase__slug", flat=True))
    needing = set(ActivityKind.objects.filter(needs_question=True).values_list("slug", flat=True))
    assert needing <= phases_with_questions
    for area in ("compras", "ventas", "logistica"):
        assert questions.filter(area_tags__contains=f",{area},").count() >= 6
    assert questions.filter(area_tags="").count() >= 40
    assert questions.filter(tone=Tone.APPRECIATIVE).count() >= 30
    assert questions.filter(tone=Tone.DIFFICULT).count() >= 30
    assert not questions.filter(phase__slug="unsaid", tone=Tone.APPRECIATIVE).exists()
    for question in questions.prefetch_related("principles"):
        assert question.intent, question.key
        assert question.theme, question.key
        assert question.principles.exists(), question.key


def test_every_principle_is_served_by_some_question(library):
    for principle in Principle.objects.all():
        assert principle.questions.count() >= 4, principle.slug


def test_library_load_is_idempotent_and_restores_the_shipped_wording(library, organisation):
    principle = Principle.objects.get(slug="escucha")
    shipped = principle.explanation
    principle.explanation = "Editado en el admin."
    principle.save()
    own = question_create(
        organisation=organisation,
        created_by=None,
        text="¿Una pregunta propia?",
        phase=ActivityKind.objects.get(slug="dream"),
        area_slugs=[],
        principles=[],
        tone=Tone.APPRECIATIVE,
    )
    count = Question.objects.count()

    counts = library_load()

    assert counts == {"created": 0, "updated": 1, "deleted": 0}
    assert Question.objects.count() == count
    principle.refresh_from_db()
    assert principle.explanation == shipped
    assert Question.objects.get(pk=own.pk).text == "¿Una pregunta propia?"
    assert library_load() == {"created": 0, "updated": 0, "deleted": 0}


def test_library_load_restores_a_deleted_library_question(library):
    Question.objects.filter(key="q001").delete()
    assert library_load()["created"] == 1
    bank = json.loads((DATA_DIR / "question_bank.json").read_text(encoding="utf-8"))
    assert Question.objects.get(key="q001").text == bank[0]["text"]


def test_library_load_deletes_a_question_that_left_the_bank(library):
    kind = ActivityKind.objects.get(slug="dream")
    Question.objects.create(key="q999", text="¿Vieja?", phase=kind, tone=Tone.APPRECIATIVE)
    assert library_load()["deleted"] == 1
    assert not Question.objects.filter(key="q999").exists()


def test_organisation_gets_the_three_default_areas(organisation):
    assert list(organisation.areas.values_list("name", flat=True)) == [
        "Compras",
        "Ventas",
        "Logística",
    ]
    assert list(organisation.areas.values_list("slug", flat=True)) == [
        "compras",
        "ventas",
        "logistica",
    ]


def test_organisations_with_the_same_name_get_distinct_slugs(db):
    first = organisation_create(name="Acme")
    second = organisation_create(name="Acme")
    assert first.slug != second.slug


def test_organisation_refuses_an_unknown_time_zone(organisation):
    with pytest.raises(ValidationError):
        organisation_update(organisation=organisation, name="X", time_zone="Marte/Olympus")
    organisation.refresh_from_db()
    assert organisation.time_zone == "America/Bogota"


def test_area_add_and_rename_keep_the_slug(organisation):
    area = area_add(organisation=organisation, name="Producción")
    assert area.slug == "produccion"
    assert area.position == 4
    area_rename(area=area, name="Planta")
    area.refresh_from_db()
    assert (area.name, area.slug) == ("Planta", "produccion")
    assert Area.objects.filter(organisation=organisation).count() == 4


def test_own_question_is_visible_only_to_its_organisation(
    library, organisation, other_organisation, facilitator
):
    question = question_create(
        organisation=organisation,
        created_by=facilitator.user,
        text="¿Qué pedido de esta semana nos preocupa a todos?",
        phase=ActivityKind.objects.get(slug="cafe_round"),
        area_slugs=["ventas", "logistica"],
        principles=list(Principle.objects.filter(slug="apertura")),
    )
    assert question.area_tags == ",logistica,ventas,"
    assert Question.objects.visible_to(organisation).filter(pk=question.pk).exists()
    assert not Question.objects.visible_to(other_organisation).filter(pk=question.pk).exists()


def test_question_update_changes_only_what_it_names(library, organisation, facilitator):
    question = question_create(
        organisation=organisation,
        created_by=facilitator.user,
        text="¿Qué no nos hemos dicho sobre los despachos?",
        phase=ActivityKind.objects.get(slug="unsaid"),
        area_slugs=[],
        principles=list(Principle.objects.filter(slug="integridad")),
    )
    question_update(
        question=question,
        text="¿Qué callamos sobre los despachos urgentes?",
        area_slugs=["logistica"],
    )
    question.refresh_from_db()
    assert question.text == "¿Qué callamos sobre los despachos urgentes?"
    assert question.area_slugs == ["logistica"]
    assert question.phase.slug == "unsaid"
