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

from facilitation.privacy import privacy_notice_as_read
from workshops import method
from workshops.agenda import DEFAULT_CHECKLIST, MAXIMUM_MINUTES, format_minutes
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

    The library is the product's content: rows are matched by position, slug or key, missing
    ones are created and existing ones take the shipped wording (a revised question reaches
    every installation); library questions whose key left the bank are deleted (a session
    that used one keeps its copied wording). Organisations' own questions are never touched.
    `apps` lets a data migration pass its historical registry. Returns how many rows of each
    kind were created, updated and deleted.
    """
    method = json.loads((DATA_DIR / "method.json").read_text(encoding="utf-8"))
    bank = json.loads((DATA_DIR / "question_bank.json").read_text(encoding="utf-8"))
    assumption_model = apps.get_model("workshops", "Assumption")
    principle_model = apps.get_model("workshops", "Principle")
    responsibility_model = apps.get_model("workshops", "Responsibility")
    kind_model = apps.get_model("workshops", "ActivityKind")
    question_model = apps.get_model("workshops", "Question")
    has_search_text = any(f.name == "search_text" for f in question_model._meta.get_fields())
    kind_fields = {f.name for f in kind_model._meta.get_fields()}
    counts = {"created": 0, "updated": 0, "deleted": 0}

    def sync(model: Any, match: dict[str, Any], fields: dict[str, Any]) -> Any:  # noqa: ANN401
        row, new = model.objects.get_or_create(**match, defaults=fields)
        if new:
            counts["created"] += 1
        elif any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.save(update_fields=list(fields))
            counts["updated"] += 1
        return row

    with transaction.atomic():
        for position, text in enumerate(method["assumptions"], start=1):
            sync(assumption_model, {"position": position}, {"text": text})
        for position, row in enumerate(method["principles"], start=1):
            sync(
                principle_model,
                {"slug": row["slug"]},
                {"position": position, "name": row["name"], "explanation": row["explanation"]},
            )
        for holder, texts in method["responsibilities"].items():
            for position, text in enumerate(texts, start=1):
                sync(responsibility_model, {"holder": holder, "position": position}, {"text": text})
        for position, row in enumerate(method["activity_kinds"], start=1):
            fields = {k: v for k, v in row.items() if k != "slug" and k in kind_fields}
            sync(kind_model, {"slug": row["slug"]}, {"position": position, **fields})

        kinds = {kind.slug: kind for kind in kind_model.objects.all()}
        principles = {p.slug: p for p in principle_model.objects.all()}
        for row in bank:
            fields = {
                "text": row["text"],
                "phase": kinds[row["phase"]],
                "area_tags": area_tags_for(row["areas"]),
                "tone": row["tone"],
                "theme": row["theme"],
                "intent": row["intent"],
            }
            if has_search_text:
                fields["search_text"] = fold(f"{row['text']} {row['intent']}")
            question = sync(question_model, {"key": row["key"], "organisation": None}, fields)
            wanted = {principles[slug].pk for slug in row["principles"]}
            if set(question.principles.values_list("pk", flat=True)) != wanted:
                question.principles.set(wanted)
        gone = question_model.objects.filter(organisation__isnull=True, key__isnull=False).exclude(
            key__in=[row["key"] for row in bank]
        )
        counts["deleted"] = gone.count()
        gone.delete()
    return counts


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
def organisation_update(
    *, organisation: Organisation, name: str, time_zone: str, display_name: str | None = None
) -> Organisation:
    """The organisation's data; `display_name` None leaves the name the room sees as it is
    (blank: the room sees `name`)."""
    organisation = _locked_organisation(organisation)
    notice_before = privacy_notice_as_read(organisation)
    organisation.name = name
    organisation.time_zone = time_zone
    fields = ["name", "time_zone"]
    if display_name is not None:
        organisation.display_name = display_name.strip()
        fields.append("display_name")
    organisation.full_clean()
    # The default privacy notice names the organisation: a new name is a new notice.
    fields += _notice_version_bumped(organisation, notice_before)
    organisation.save(update_fields=fields)
    return organisation


@transaction.atomic
def organisation_privacy_update(
    *,
    organisation: Organisation,
    confidentiality_statement: str,
    privacy_notice: str,
    privacy_contact: str,
    min_group_size: int,
    retention_days: int,
) -> Organisation:
    """What stays in the room and how personal data is handled. A blank text means the
    default one (facilitation/privacy.py). The privacy notice's version goes up when the
    notice a participant reads changes (its own text, or the default through the contact
    or the retention period it names), so every acceptance names the text the person saw.
    Returns the saved organisation (read again, locked: the caller's copy may be stale)."""
    organisation = _locked_organisation(organisation)
    notice_before = privacy_notice_as_read(organisation)
    organisation.confidentiality_statement = confidentiality_statement.strip()
    organisation.privacy_notice = privacy_notice.strip()
    organisation.privacy_contact = privacy_contact.strip()
    organisation.min_group_size = min_group_size
    organisation.retention_days = retention_days
    organisation.full_clean()
    fields = [
        "confidentiality_statement",
        "privacy_notice",
        "privacy_contact",
        "min_group_size",
        "retention_days",
    ]
    fields += _notice_version_bumped(organisation, notice_before)
    organisation.save(update_fields=fields)
    return organisation


def _locked_organisation(organisation: Organisation) -> Organisation:
    """The organisation's row, locked until the caller's transaction ends: two managers
    saving at once must not both read the same notice version."""
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _notice_version_bumped(organisation: Organisation, notice_before: str) -> list[str]:
    """Start a new notice version if the notice now reads differently; the fields to save."""
    if privacy_notice_as_read(organisation) == notice_before:
        return []
    organisation.privacy_notice_version += 1
    return ["privacy_notice_version"]


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
    template: str = "",
) -> Workshop:
    """A new draft session, empty or laid out from one of the method's templates (by slug,
    see workshops/data/templates.json), with the default preparation checklist."""
    layout = method.templates()[template] if template else None
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
    if layout is None:
        return workshop
    kinds = {kind.slug: kind for kind in ActivityKind.objects.all()}
    # Questions are the ones the template names, deliberately; never the n-th of a phase.
    bank = Question.objects.filter(organisation__isnull=True).in_bulk(
        [key for block in layout.blocks for key in block.questions], field_name="key"
    )
    names = area_names(workshop)
    for position, planned in enumerate(layout.blocks, start=1):
        kind = kinds[planned.kind]
        fields = _block_defaults(kind)
        fields.update(title=planned.title, minutes=planned.minutes)
        if planned.grouping:
            fields["grouping"] = planned.grouping
        if planned.dots is not None:
            fields["dots"] = planned.dots
        if planned.steps:
            fields["steps"] = [step.as_dict() for step in planned.steps]
        else:
            fields["steps"] = method.scale_steps(fields["steps"], planned.minutes)
        notes = fields["facilitator_notes"]
        if planned.kind == "opening" and workshop.purpose:
            label = _("Propósito:")
            notes = f"{label} {workshop.purpose}\n\n{notes}"
        block = Block.objects.create(
            workshop=workshop,
            position=position,
            instructions=method.render_areas(planned.instructions, names),
            **{**fields, "facilitator_notes": notes},
        )
        for number, key in enumerate(planned.questions, start=1):
            question = bank.get(key)
            if question is not None:  # a key the data check vouched for; see load_library
                BlockQuestion.objects.create(
                    block=block,
                    position=number,
                    question=question,
                    text=method.render_areas(question.text, names),
                )
    return workshop


def area_names(workshop: Workshop) -> dict[str, str]:
    """Area slug → the organisation's name for it, for rendering {slug} tokens."""
    return dict(workshop.organisation.areas.values_list("slug", "name"))


def _block_defaults(kind: ActivityKind) -> dict[str, Any]:
    """A new block of this kind: the method's defaults, its guide's steps and its script in
    the facilitator's notes (both editable in the builder)."""
    guide = method.guides().get(kind.slug)
    return {
        "kind": kind,
        "title": kind.name,
        "minutes": kind.default_minutes,
        "grouping": kind.default_grouping,
        "allows_contributions": kind.allows_contributions,
        "anonymous": kind.always_anonymous,
        "reveal_first": kind.always_anonymous,
        "dots": kind.default_dots,
        "steps": [step.as_dict() for step in guide.steps] if guide else [],
        "facilitator_notes": guide.script if guide else "",
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
    reveal_first: bool = False,
    dots: int = 0,
    steps: list[dict[str, Any]] | None = None,
) -> Block:
    """Save the block's edit panel. Steps the facilitator wrote must add up to the duration;
    with the steps untouched, a new duration scales them."""
    _lock(block.workshop)
    if not title.strip():
        raise AgendaError(_("El bloque necesita un título."))
    if minutes <= 0:
        raise AgendaError(_("La duración debe ser de al menos 1 minuto."))
    stored = Block.objects.get(pk=block.pk)
    _check_total(block.workshop, minutes - stored.minutes)
    if steps is None or steps == stored.steps:
        steps = method.rescale_block_steps(block.kind.slug, stored.steps, minutes)
    elif steps and sum(step["minutes"] for step in steps) != minutes:
        raise AgendaError(
            _("Los pasos suman %(steps)d min y el bloque dura %(minutes)d min: ajústalos.")
            % {"steps": sum(step["minutes"] for step in steps), "minutes": minutes}
        )
    block.steps = steps
    block.title = title.strip()
    block.minutes = minutes
    block.grouping = grouping
    block.instructions = instructions.strip()
    block.facilitator_notes = facilitator_notes.strip()
    block.allows_contributions = allows_contributions
    # "What has not been said" is always anonymous, whatever the form sent.
    block.anonymous = anonymous or block.kind.always_anonymous
    block.reveal_first = reveal_first
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
            "reveal_first",
            "dots",
            "steps",
        ]
    )
    return block


@transaction.atomic
def block_set_minutes(*, block: Block, minutes: int) -> Block:
    _lock(block.workshop)
    if minutes <= 0:
        raise AgendaError(_("La duración debe ser de al menos 1 minuto."))
    stored = Block.objects.get(pk=block.pk)
    _check_total(block.workshop, minutes - stored.minutes)
    block.minutes = minutes
    block.steps = method.rescale_block_steps(
        block.kind.slug, stored.steps, minutes
    )  # never refused
    block.save(update_fields=["minutes", "steps"])
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
        block=block,
        question=question,
        text=method.render_areas(question.text, area_names(block.workshop)),
        position=(last or 0) + 1,
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
