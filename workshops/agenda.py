"""The shape of a session's agenda: its clock times, the method's template, and the
guidance a facilitator gets while building it. Pure functions over blocks; no writes."""

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from workshops.models import Block, Grouping, Workshop

if TYPE_CHECKING:
    from workshops.method import KindGuide

MINIMUM_MINUTES = 180
MAXIMUM_MINUTES = 480
MAX_MINUTES_WITHOUT_BREAK = 90

DEFAULT_CHECKLIST = [
    "Sala con sillas y mesas que se puedan mover",
    "Proyector y pantalla probados",
    "Celulares cargados y nombre y clave del Wi-Fi a mano",
    "Todas las áreas invitadas, con su líder",
    "Principios impresos y visibles en la sala",
    "Materiales: marcadores, notas adhesivas, hojas grandes",
    "Propósito de la sesión confirmado con quien la pidió",
]


@dataclass(frozen=True)
class ScheduledBlock:
    block: Block
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    offset: int  # minutes from the session's start

    @property
    def timed_steps(self) -> list[tuple[datetime.datetime, dict]]:
        """The block's steps with the clock time each one starts."""
        result, at = [], self.starts_at
        for step in self.block.steps:
            result.append((at, step))
            at += datetime.timedelta(minutes=int(step["minutes"]))
        return result

    @property
    def guide(self) -> "KindGuide | None":
        from workshops.method import guides  # method reads this module's limits

        return guides().get(self.block.kind.slug)


@dataclass(frozen=True)
class AgendaWarning:
    code: str
    message: str
    block: Block | None = None


def schedule(workshop: Workshop, blocks: list[Block]) -> list[ScheduledBlock]:
    """Clock times of each block, from the session's start in its organisation's zone."""
    start = workshop.starts_at
    result, offset = [], 0
    for block in blocks:
        begins = start + datetime.timedelta(minutes=offset)
        result.append(
            ScheduledBlock(
                block, begins, begins + datetime.timedelta(minutes=block.minutes), offset
            )
        )
        offset += block.minutes
    return result


def total_minutes(blocks: list[Block]) -> int:
    return sum(block.minutes for block in blocks)


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": rest}


def warnings_for(
    workshop: Workshop, blocks: list[Block], invited_count: int, question_counts: dict[int, int]
) -> list[AgendaWarning]:
    """What a facilitator would regret. Guidance only: none of these stops them.

    `question_counts` maps block id to its number of questions.
    """
    found: list[AgendaWarning] = []
    total = total_minutes(blocks)
    slugs = [block.kind.slug for block in blocks]

    # A follow-up (the review of open agreements, no grievances block) is not the 3-hour
    # conversation the minimum is about.
    follow_up = "open_agreements" in slugs and "unsaid" not in slugs
    if total < MINIMUM_MINUTES and not follow_up:
        found.append(
            AgendaWarning(
                "short",
                _("La agenda dura %(total)s; el método pide al menos 3 horas.")
                % {"total": format_minutes(total)},
            )
        )

    if "agreements" not in slugs:
        found.append(
            AgendaWarning(
                "no_agreements",
                _("No hay un bloque de acuerdos: la conversación terminaría sin responsables."),
            )
        )
    else:
        last = max(i for i, slug in enumerate(slugs) if slug == "agreements")
        after = blocks[last + 1 :]
        tail_minutes = sum(b.minutes for b in after if b.kind.slug not in {"checkout", "break"})
        if tail_minutes > 0:
            found.append(
                AgendaWarning(
                    "agreements_not_at_end",
                    _(
                        "Los acuerdos no están cerca del final: después de ellos solo "
                        "debería venir el cierre."
                    ),
                    blocks[last],
                )
            )

    checkin_offsets = [offset for offset, block in _offsets(blocks) if block.kind.slug == "checkin"]
    if not checkin_offsets or min(checkin_offsets) > 30:
        found.append(
            AgendaWarning(
                "no_checkin",
                _("No hay una emoción de llegada al comienzo (en los primeros 30 minutos)."),
            )
        )

    since_break, warned = 0, False
    for block in blocks:
        if block.kind.slug == "break":
            since_break, warned = 0, False
            continue
        since_break += block.minutes
        if since_break > MAX_MINUTES_WITHOUT_BREAK and not warned:
            found.append(
                AgendaWarning(
                    "no_break",
                    _(
                        "Pasan %(n)d minutos sin pausa hasta «%(title)s»; pon una pausa cada 90 "
                        "minutos como máximo."
                    )
                    % {"n": since_break, "title": block.title},
                    block,
                )
            )
            warned = True  # one warning per stretch without a break

    for block in blocks:
        if block.kind.slug == "cafe_round" and block.grouping != Grouping.MIXED_TABLES:
            found.append(
                AgendaWarning(
                    "cafe_not_mixed",
                    _("«%(title)s» es para mesas mixtas, pero su agrupación es otra.")
                    % {"title": block.title},
                    block,
                )
            )

    diagnoses = [block for block in blocks if block.kind.slug == "diagnosis"]
    if len(diagnoses) > 1:
        found.append(
            AgendaWarning(
                "two_diagnoses",
                _(
                    "Hay más de un diagnóstico: cada persona responde una sola vez por sesión, "
                    "en el primero; «%(title)s» mostrará las mismas respuestas."
                )
                % {"title": diagnoses[1].title},
                diagnoses[1],
            )
        )

    if invited_count < 2:
        found.append(
            AgendaWarning(
                "few_areas", _("Invita al menos dos áreas: la conversación es entre áreas.")
            )
        )

    for block in blocks:
        if block.kind.needs_question and not question_counts.get(block.pk, 0):
            found.append(
                AgendaWarning(
                    "no_question",
                    _("«%(title)s» necesita al menos una pregunta.") % {"title": block.title},
                    block,
                )
            )

    seen_principles = False
    for block in blocks:
        if block.kind.slug == "principles":
            seen_principles = True
        elif block.anonymous and not seen_principles:
            found.append(
                AgendaWarning(
                    "anonymous_before_principles",
                    _("«%(title)s» es anónimo y llega antes de acordar los principios.")
                    % {"title": block.title},
                    block,
                )
            )
    return found


def _offsets(blocks: list[Block]) -> list[tuple[int, Block]]:
    result, offset = [], 0
    for block in blocks:
        result.append((offset, block))
        offset += block.minutes
    return result
