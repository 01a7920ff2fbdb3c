"""Writes for organisations, the method library and the question bank.

Every function is keyword-only, atomic and the one place where its state change happens.
"""

import json
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from workshops.models import (
    ActivityKind,
    Area,
    Membership,
    Organisation,
    Principle,
    Question,
    Theme,
    Tone,
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
