"""Reads of the method library and the question bank."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from workshops.agenda import (
    MINIMUM_MINUTES,
    AgendaWarning,
    ScheduledBlock,
    format_minutes,
    schedule,
    total_minutes,
    warnings_for,
)
from workshops.models import (
    ActivityKind,
    Assumption,
    Block,
    ChecklistItem,
    InvitedArea,
    Organisation,
    Principle,
    Question,
    Responsibility,
    Workshop,
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
    taking_part: list[str] | None = None,
) -> QuerySet[Question]:
    """`taking_part`: the slugs of the areas a session invited; a question written for an
    area that does not take part is left out (None: no session, every question)."""
    questions = Question.objects.visible_to(organisation)
    if taking_part:
        known = set(organisation.areas.values_list("slug", flat=True)) | set(DEFAULT_AREA_SLUGS)
        for slug in known - set(taking_part):
            questions = questions.exclude(area_tags__contains=f",{slug},")
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


DEFAULT_AREA_SLUGS = ("compras", "ventas", "logistica")


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


def workshop_list(
    *, organisation: Organisation, status: str = "", text: str = ""
) -> QuerySet[Workshop]:
    workshops = Workshop.objects.filter(organisation=organisation).select_related("facilitator")
    if status:
        workshops = workshops.filter(status=status)
    for word in text.split()[:8]:
        workshops = workshops.filter(title__icontains=word)
    # Explicit order: Meta.ordering is not applied to a grouped (annotated) query.
    return workshops.annotate(
        total_minutes=Coalesce(Sum("blocks__minutes"), 0), block_count=Count("blocks")
    ).order_by("-date", "-start_time", "-id")


@dataclass(frozen=True)
class Agenda:
    """Everything the builder, the run sheet and (later) the live room read of an agenda."""

    workshop: Workshop
    scheduled: list[ScheduledBlock]
    total: int
    warnings: list[AgendaWarning]
    invited: list[InvitedArea]

    @property
    def total_label(self) -> str:
        return format_minutes(self.total)

    @property
    def missing_minutes(self) -> int:
        return max(0, MINIMUM_MINUTES - self.total)

    @property
    def ends_at(self) -> datetime.datetime:
        return self.workshop.starts_at + datetime.timedelta(minutes=self.total)

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.total / MINIMUM_MINUTES))

    def warnings_for_block(self, block: Block) -> list[AgendaWarning]:
        return [w for w in self.warnings if w.block is not None and w.block.pk == block.pk]


def workshop_agenda(*, workshop: Workshop) -> Agenda:
    blocks = list(workshop.blocks.select_related("kind").prefetch_related("questions__question"))
    invited = list(workshop.invited.select_related("area"))
    counts = {block.pk: len(block.questions.all()) for block in blocks}
    return Agenda(
        workshop=workshop,
        scheduled=schedule(workshop, blocks),
        total=total_minutes(blocks),
        warnings=warnings_for(workshop, blocks, len(invited), counts),
        invited=invited,
    )


@dataclass(frozen=True)
class Checklist:
    """A session's preparation checklist and how far along it is."""

    items: list[ChecklistItem]

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item.done)


def workshop_checklist(*, workshop: Workshop) -> Checklist:
    return Checklist(items=list(workshop.checklist.all()))
