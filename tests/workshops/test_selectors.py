from workshops.models import ActivityKind, Principle, Question
from workshops.selectors import question_search
from workshops.services import question_create


def test_filter_by_phase_area_principle_and_text(library, organisation):
    phase = ActivityKind.objects.get(slug="unsaid")
    results = question_search(organisation=organisation, phase=phase)
    assert results.exists()
    assert all(q.phase == phase for q in results)

    ventas = question_search(organisation=organisation, area_slug="ventas")
    assert all(q.area_tags == "" or ",ventas," in q.area_tags for q in ventas)
    assert ventas.filter(area_tags__contains=",ventas,").exists()
    assert not ventas.filter(area_tags=",compras,").exists()

    principle = Principle.objects.get(slug="escucha")
    by_principle = question_search(organisation=organisation, principle=principle)
    assert by_principle.exists()
    assert all(principle in q.principles.all() for q in by_principle)

    word = Question.objects.filter(organisation__isnull=True).first().text.split()[1]
    by_text = question_search(organisation=organisation, text=word.upper())
    assert by_text.exists()
    assert all(word.lower() in (q.text + q.intent).lower() for q in by_text)


def test_search_never_returns_another_organisations_question(
    library, organisation, other_organisation, outsider
):
    theirs = question_create(
        organisation=other_organisation,
        created_by=outsider.user,
        text="¿Pregunta privada de otra organización sobre inventarios?",
        phase=ActivityKind.objects.get(slug="cafe_round"),
        area_slugs=[],
        principles=list(Principle.objects.all()[:1]),
    )
    results = question_search(organisation=organisation, text="privada")
    assert theirs not in results
    assert theirs in question_search(organisation=other_organisation, text="privada")


def test_own_only_returns_only_the_organisations_questions(library, organisation, facilitator):
    mine = question_create(
        organisation=organisation,
        created_by=facilitator.user,
        text="¿Qué cliente perdimos este trimestre y por qué?",
        phase=ActivityKind.objects.get(slug="discovery"),
        area_slugs=[],
        principles=list(Principle.objects.all()[:2]),
        tone="difficult",
    )
    assert list(question_search(organisation=organisation, own_only=True)) == [mine]
