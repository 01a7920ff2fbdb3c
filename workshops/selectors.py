"""Reads of the method library and the question bank."""

from django.db.models import QuerySet

from workshops.models import (
    ActivityKind,
    Assumption,
    Organisation,
    Principle,
    Question,
    Responsibility,
    fold,
)


def question_search(
    *,
    organisation: Organisation,
    phase: ActivityKind | None = None,
    area_slug: str = "",
    principle: Principle | None = None,
    tone: str = "",
    theme: str = "",
    text: str = "",
    own_only: bool = False,
) -> QuerySet[Question]:
    questions = Question.objects.visible_to(organisation)
    if own_only:
        questions = questions.filter(organisation=organisation)
    if phase is not None:
        questions = questions.filter(phase=phase)
    if area_slug:
        questions = questions.for_area(area_slug)
    if principle is not None:
        questions = questions.filter(principles=principle)
    if tone:
        questions = questions.filter(tone=tone)
    if theme:
        questions = questions.filter(theme=theme)
    for word in fold(text).split()[:8]:
        questions = questions.filter(search_text__contains=word)
    return questions.select_related("phase").prefetch_related("principles").distinct()


def method_library() -> dict:
    return {
        "assumptions": list(Assumption.objects.all()),
        "principles": list(Principle.objects.all()),
        "team": list(Responsibility.objects.filter(holder=Responsibility.Holder.TEAM)),
        "facilitator": list(
            Responsibility.objects.filter(holder=Responsibility.Holder.FACILITATOR)
        ),
        "kinds": list(ActivityKind.objects.all()),
    }
