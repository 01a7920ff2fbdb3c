"""Writes for organisations, the method library and the question bank.

Every function is keyword-only, atomic and the one place where its state change happens.
"""

import datetime
import json
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _

from workshops.agenda import DEFAULT_CHECKLIST, MAXIMUM_MINUTES, TEMPLATE_BLOCKS, format_minutes
from workshops.models import (
    ActivityKind,
    Area,
    Block,
    BlockQuestion,
    ChecklistItem,
    InvitedArea,
    Membership,
    Organisation,
    Principle,
    Question,
    Theme,
    Tone,
    Workshop,
    area_tags_for,
    fold,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_AREAS = ("Compras", "Ventas", "Logística")


def library_load(*, apps: Apps = global_apps) -> dict[str, int]:
    """Load the method library and the question bank from workshops/data/.

    Idempotent: rows are matched by position, slug or key and only missing ones are created,
    so what an administrator edited in the admin is kept. `apps` lets a data migration pass
    its historical registry. Returns how many rows of each kind were created.
    """
    method = json.loads((DATA_DIR / "method.json").read_text(encoding="utf-8"))
    bank = json.loads((DATA_DIR / "question_bank.json").read_text(encoding="utf-8"))
    assumption_model = apps.get_model("workshops", "Assumption")
    principle_model = apps.get_model("workshops", "Principle")
    responsibility_model = apps.get_model("workshops", "Responsibility")
    kind_model = apps.get_model("workshops", "ActivityKind")
    question_model = apps.get_model("workshops", "Question")
    has_search_text = any(f.name == "search_text" for f in question_model._meta.get_fields())
    created = {"assumptions": 0, "principles": 0, "responsibilities": 0, "kinds": 0, "questions": 0}

    with transaction.atomic():
        for position, text in enumerate(method["assumptions"], start=1):
            _, new = assumption_model.objects.get_or_create(
                position=position, defaults={"text": text}
            )
            created["assumptions"] += new
        for position, row in enumerate(method["principles"], start=1):
            _, new = principle_model.objects.get_or_create(
                slug=row["slug"],
                defaults={
                    "position": position,
                    "name": row["name"],
                    "explanation": row["explanation"],
                },
            )
            created["principles"] += new
        for holder, texts in method["responsibilities"].items():
            for position, text in enumerate(texts, start=1):
                _, new = responsibility_model.objects.get_or_create(
                    holder=holder, position=position, defaults={"text": text}
                )
                created["responsibilities"] += new
        for position, row in enumerate(method["activity_kinds"], start=1):
            fields = {k: v for k, v in row.items() if k != "slug"}
            _, new = kind_model.objects.get_or_create(
                slug=row["slug"], defaults={"position": position, **fields}
            )
            created["kinds"] += new

        kinds = {kind.slug: kind for kind in kind_model.objects.all()}
        principles = {p.slug: p for p in principle_model.objects.all()}
        existing = set(
            question_model.objects.filter(key__isnull=False).values_list("key", flat=True)
        )
        for row in bank:
            if row["key"] in existing:
                continue
            extra = (
                {"search_text": fold(f"{row['text']} {row['intent']}")} if has_search_text else {}
            )
            question = question_model.objects.create(
                key=row["key"],
                text=row["text"],
                phase=kinds[row["phase"]],
                area_tags=area_tags_for(row["areas"]),
                tone=row["tone"],
                theme=row["theme"],
                intent=row["intent"],
                **extra,
            )
            question.principles.set([principles[slug] for slug in row["principles"]])
            created["questions"] += 1
    return created


@transaction.atomic
def organisation_create(
    *, name: str, time_zone: str = "America/Bogota", areas: tuple[str, ...] = DEFAULT_AREAS
) -> Organisation:
    base = slugify(name)[:50] or "org"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    organisation = Organisation(name=name, slug=slug, time_zone=time_zone)
    organisation.full_clean()
    organisation.save()
    for position, area_name in enumerate(areas, start=1):
        Area.objects.create(
            organisation=organisation, name=area_name, slug=slugify(area_name), position=position
        )
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, name: str, time_zone: str) -> Organisation:
    organisation.name = name
    organisation.time_zone = time_zone
    organisation.full_clean()
    organisation.save(update_fields=["name", "time_zone"])
    return organisation


@transaction.atomic
def area_add(*, organisation: Organisation, name: str) -> Area:
    """Add an area; the caller has checked the name is free (see AreaForm)."""
    last = organisation.areas.order_by("-position").first()
    return Area.objects.create(
        organisation=organisation,
        name=name.strip(),
        slug=slugify(name)[:60],
        position=(last.position + 1) if last else 1,
    )


@transaction.atomic
def area_rename(*, area: Area, name: str) -> Area:
    """Rename an area. Its slug stays, so questions tagged for it still match."""
    area.name = name.strip()
    area.save(update_fields=["name"])
    return area


@transaction.atomic
def member_create(
    *,
    organisation: Organisation,
    username: str,
    password: str,
    is_facilitator: bool = False,
    is_manager: bool = False,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> Membership:
    user_model = get_user_model()
    user = user_model.objects.create_user(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    return Membership.objects.create(
        user=user,
        organisation=organisation,
        is_facilitator=is_facilitator,
        is_manager=is_manager,
    )


@transaction.atomic
def question_create(
    *,
    organisation: Organisation,
    created_by: AbstractBaseUser | None,
    text: str,
    phase: ActivityKind,
    area_slugs: list[str],
    principles: list[Principle],
    tone: str = Tone.DIFFICULT,
    theme: str = "",
    intent: str = "",
) -> Question:
    """Create a question in the organisation's own bank (visible only to it)."""
    question = Question(
        organisation=organisation,
        created_by=created_by,
        text=text.strip(),
        phase=phase,
        area_tags=area_tags_for(area_slugs),
        tone=tone,
        theme=theme if theme in Theme.values else "",
        intent=intent.strip(),
    )
    question.refresh_search_text()
    question.full_clean()
    question.save()
    question.principles.set(principles)
    return question


@transaction.atomic
def question_update(*, question: Question, **fields: Any) -> Question:
    """Update one of the organisation's own questions (library ones are edited in the admin)."""
    principles = fields.pop("principles", None)
    area_slugs = fields.pop("area_slugs", None)
    if area_slugs is not None:
        fields["area_tags"] = area_tags_for(area_slugs)
    for name, value in fields.items():
        setattr(question, name, value.strip() if isinstance(value, str) else value)
    question.refresh_search_text()
    question.full_clean()
    question.save(update_fields=[*fields, "search_text"])
    if principles is not None:
        question.principles.set(principles)
    return question


@transaction.atomic
def question_delete(*, question: Question) -> None:
    question.delete()


# --- Session design ------------------------------------------------------------------------


class AgendaError(ValidationError):
    """A change the builder refuses (it cannot work); the message is for the facilitator."""


def _lock(workshop: Workshop) -> Workshop:
    """Lock the session row for the rest of the transaction and bump its agenda version.

    Serialises concurrent edits of one agenda (two tabs): on PostgreSQL by the row lock, on
    SQLite by the IMMEDIATE transaction's write lock.
    """
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if not locked.is_editable:
        raise AgendaError(_("La sesión ya está en vivo o cerrada: su agenda no se puede cambiar."))
    locked.agenda_version += 1
    locked.save(update_fields=["agenda_version", "updated_at"])
    workshop.agenda_version = locked.agenda_version
    return locked


def _renumber(workshop: Workshop) -> None:
    for position, block in enumerate(workshop.blocks.order_by("position", "id"), start=1):
        if block.position != position:
            block.position = position
            block.save(update_fields=["position"])


def _check_total(workshop: Workshop, extra_minutes: int) -> None:
    total = sum(workshop.blocks.values_list("minutes", flat=True)) + extra_minutes
    if total > MAXIMUM_MINUTES:
        raise AgendaError(
            _("La agenda no puede pasar de 8 horas (quedaría en %(total)s).")
            % {"total": format_minutes(total)}
        )


def _set_invited(workshop: Workshop, invited: dict[Area, int]) -> None:
    for area in invited:
        if area.organisation_id != workshop.organisation_id:
            raise AgendaError(_("Esa área no es de tu organización."))
    workshop.invited.exclude(area__in=list(invited)).delete()
    for area, expected in invited.items():
        InvitedArea.objects.update_or_create(
            workshop=workshop, area=area, defaults={"expected_people": expected}
        )


@transaction.atomic
def workshop_create(
    *,
    organisation: Organisation,
    facilitator: AbstractBaseUser,
    title: str,
    date: datetime.date,
    start_time: datetime.time,
    purpose: str = "",
    place: str = "",
    invited: dict[Area, int] | None = None,
    from_template: bool = False,
) -> Workshop:
    """A new draft session, empty or laid out from the method's 3-hour template, with the
    default preparation checklist."""
    workshop = Workshop.objects.create(
        organisation=organisation,
        facilitator=facilitator,
        title=title.strip(),
        purpose=purpose.strip(),
        date=date,
        start_time=start_time,
        place=place.strip(),
    )
    _set_invited(workshop, invited or {})
    for position, text in enumerate(DEFAULT_CHECKLIST, start=1):
        ChecklistItem.objects.create(workshop=workshop, position=position, text=text)
    if from_template:
        kinds = {kind.slug: kind for kind in ActivityKind.objects.all()}
        used: dict[str, int] = {}
        for position, (slug, block_title, minutes, instructions) in enumerate(
            TEMPLATE_BLOCKS, start=1
        ):
            kind = kinds[slug]
            block = Block.objects.create(
                workshop=workshop,
                position=position,
                **_block_defaults(kind),
            )
            block.title = block_title
            block.minutes = minutes or kind.default_minutes
            block.instructions = instructions
            if slug == "opening" and workshop.purpose:
                block.facilitator_notes = workshop.purpose
            block.save()
            if kind.needs_question:
                # The n-th use of a kind (a second café round) gets the bank's n-th question.
                nth = used.get(slug, 0)
                used[slug] = nth + 1
                question = (
                    Question.objects.filter(organisation__isnull=True, phase=kind, area_tags="")
                    .order_by("key")[nth : nth + 1]
                    .first()
                )
                if question is not None:
                    BlockQuestion.objects.create(block=block, question=question, text=question.text)
    return workshop


def _block_defaults(kind: ActivityKind) -> dict[str, Any]:
    return {
        "kind": kind,
        "title": kind.name,
        "minutes": kind.default_minutes,
        "grouping": kind.default_grouping,
        "allows_contributions": kind.allows_contributions,
        "anonymous": kind.always_anonymous,
        "dots": kind.default_dots,
    }


@transaction.atomic
def workshop_update(
    *,
    workshop: Workshop,
    title: str,
    purpose: str,
    date: datetime.date,
    start_time: datetime.time,
    place: str,
    invited: dict[Area, int],
) -> Workshop:
    if not workshop.is_editable:
        raise AgendaError(_("La sesión ya está en vivo o cerrada: sus datos no se pueden cambiar."))
    workshop.title = title.strip()
    workshop.purpose = purpose.strip()
    workshop.date = date
    workshop.start_time = start_time
    workshop.place = place.strip()
    workshop.save(update_fields=["title", "purpose", "date", "start_time", "place", "updated_at"])
    _set_invited(workshop, invited)
    return workshop


@transaction.atomic
def workshop_duplicate(
    *,
    workshop: Workshop,
    facilitator: AbstractBaseUser,
    title: str = "",
    date: datetime.date | None = None,
) -> Workshop:
    """A draft copy: agenda, questions, invited areas and an unticked checklist."""
    copy = Workshop.objects.create(
        organisation=workshop.organisation,
        facilitator=facilitator,
        title=title.strip() or _("%(title)s (copia)") % {"title": workshop.title},
        purpose=workshop.purpose,
        date=date or workshop.date,
        start_time=workshop.start_time,
        place=workshop.place,
    )
    for invited in workshop.invited.all():
        InvitedArea.objects.create(
            workshop=copy, area=invited.area, expected_people=invited.expected_people
        )
    for item in workshop.checklist.all():
        ChecklistItem.objects.create(workshop=copy, position=item.position, text=item.text)
    for block in workshop.blocks.prefetch_related("questions"):
        questions = list(block.questions.all())
        block.pk = None
        block.workshop = copy
        block.save()
        for bq in questions:
            BlockQuestion.objects.create(
                block=block, position=bq.position, question=bq.question, text=bq.text
            )
    return copy


@transaction.atomic
def workshop_set_status(*, workshop: Workshop, status: str) -> Workshop:
    """Draft ⇄ ready, the facilitator's own switch (live and closed belong to the live
    session)."""
    allowed = {Workshop.Status.DRAFT, Workshop.Status.READY}
    if status not in allowed or workshop.status not in allowed:
        raise AgendaError(_("Ese cambio de estado no está permitido aquí."))
    workshop.status = status
    workshop.save(update_fields=["status", "updated_at"])
    return workshop


@transaction.atomic
def block_add(*, workshop: Workshop, kind: ActivityKind, first: bool = False) -> Block:
    """Append a block of this kind with the method's defaults (or put it first)."""
    _lock(workshop)
    _check_total(workshop, kind.default_minutes)
    if first:
        block = Block.objects.create(workshop=workshop, position=0, **_block_defaults(kind))
        _renumber(workshop)
        block.refresh_from_db(fields=["position"])
        return block
    last = workshop.blocks.order_by("-position").values_list("position", flat=True).first()
    return Block.objects.create(
        workshop=workshop, position=(last or 0) + 1, **_block_defaults(kind)
    )


@transaction.atomic
def block_update(
    *,
    block: Block,
    title: str,
    minutes: int,
    grouping: str,
    instructions: str = "",
    facilitator_notes: str = "",
    allows_contributions: bool = False,
    anonymous: bool = False,
    dots: int = 0,
) -> Block:
    _lock(block.workshop)
    if not title.strip():
        raise AgendaError(_("El bloque necesita un título."))
    if minutes <= 0:
        raise AgendaError(_("La duración debe ser de al menos 1 minuto."))
    _check_total(block.workshop, minutes - Block.objects.get(pk=block.pk).minutes)
    block.title = title.strip()
    block.minutes = minutes
    block.grouping = grouping
    block.instructions = instructions.strip()
    block.facilitator_notes = facilitator_notes.strip()
    block.allows_contributions = allows_contributions
    # "What has not been said" is always anonymous, whatever the form sent.
    block.anonymous = anonymous or block.kind.always_anonymous
    block.dots = dots
    block.save(
        update_fields=[
            "title",
            "minutes",
            "grouping",
            "instructions",
            "facilitator_notes",
            "allows_contributions",
            "anonymous",
            "dots",
        ]
    )
    return block


@transaction.atomic
def block_set_minutes(*, block: Block, minutes: int) -> Block:
    _lock(block.workshop)
    if minutes <= 0:
        raise AgendaError(_("La duración debe ser de al menos 1 minuto."))
    _check_total(block.workshop, minutes - Block.objects.get(pk=block.pk).minutes)
    block.minutes = minutes
    block.save(update_fields=["minutes"])
    return block


@transaction.atomic
def block_remove(*, block: Block) -> None:
    workshop = block.workshop
    _lock(workshop)
    block.delete()
    _renumber(workshop)


@transaction.atomic
def block_duplicate(*, block: Block) -> Block:
    workshop = block.workshop
    _lock(workshop)
    _check_total(workshop, block.minutes)
    questions = list(block.questions.all())
    workshop.blocks.filter(position__gt=block.position).update(position=F("position") + 1)
    copy = Block.objects.get(pk=block.pk)
    copy.pk = None
    copy.position = block.position + 1
    copy.save()
    for bq in questions:
        BlockQuestion.objects.create(
            block=copy, position=bq.position, question=bq.question, text=bq.text
        )
    _renumber(workshop)
    return copy


@transaction.atomic
def block_move(*, block: Block, delta: int) -> None:
    """Move a block up (delta -1) or down (+1) by swapping with its neighbour."""
    workshop = block.workshop
    _lock(workshop)
    _renumber(workshop)
    ordered = list(workshop.blocks.order_by("position", "id"))
    index = next(i for i, b in enumerate(ordered) if b.pk == block.pk)
    target = index + delta
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


@transaction.atomic
def blocks_reorder(*, workshop: Workshop, block_ids: list[int], version: int) -> None:
    """Put the blocks in this order (drag and drop).

    Refused when the agenda changed since the page that sent it was drawn (another tab):
    the order is then left as the other tab made it, never a mix of both.
    """
    locked = _lock(workshop)
    if version != locked.agenda_version - 1:
        raise AgendaError(
            _(
                "La agenda cambió en otra pestaña. Te mostramos el orden actual; vuelve a "
                "moverla si hace falta."
            )
        )
    current = list(workshop.blocks.values_list("id", flat=True))
    if sorted(block_ids) != sorted(current):
        raise AgendaError(_("El orden enviado no corresponde a los bloques de esta sesión."))
    for position, block_id in enumerate(block_ids, start=1):
        Block.objects.filter(pk=block_id, workshop=workshop).update(position=position)


@transaction.atomic
def block_question_add(*, block: Block, question: Question) -> BlockQuestion:
    """Ask a bank question in this block. The caller fetched it through access_question, so
    it is the library's or the organisation's own."""
    _lock(block.workshop)
    if question.organisation_id not in (None, block.workshop.organisation_id):
        raise AgendaError(_("Esa pregunta no está disponible para tu organización."))
    last = block.questions.order_by("-position").values_list("position", flat=True).first()
    return BlockQuestion.objects.create(
        block=block, question=question, text=question.text, position=(last or 0) + 1
    )


@transaction.atomic
def block_question_write(
    *,
    block: Block,
    text: str,
    save_to_bank: bool = False,
    created_by: AbstractBaseUser | None = None,
) -> BlockQuestion:
    """A question written for this block; on request also saved in the organisation's bank
    (phase: the block's activity kind; areas: all)."""
    _lock(block.workshop)
    text = text.strip()
    if len(text) < 10:
        raise AgendaError(_("La pregunta es demasiado corta."))
    question = None
    if save_to_bank:
        question = question_create(
            organisation=block.workshop.organisation,
            created_by=created_by,
            text=text,
            phase=block.kind,
            area_slugs=[],
            principles=[],
        )
    last = block.questions.order_by("-position").values_list("position", flat=True).first()
    return BlockQuestion.objects.create(
        block=block, question=question, text=text, position=(last or 0) + 1
    )


@transaction.atomic
def block_question_remove(*, block_question: BlockQuestion) -> None:
    _lock(block_question.block.workshop)
    block_question.delete()


@transaction.atomic
def checklist_item_add(*, workshop: Workshop, text: str) -> ChecklistItem:
    text = text.strip()
    if not text:
        raise AgendaError(_("Escribe la tarea."))
    last = workshop.checklist.order_by("-position").values_list("position", flat=True).first()
    return ChecklistItem.objects.create(
        workshop=workshop, text=text[:200], position=(last or 0) + 1
    )


@transaction.atomic
def checklist_item_set_done(*, item: ChecklistItem, done: bool) -> ChecklistItem:
    item.done = done
    item.save(update_fields=["done"])
    return item
