"""Trust and personal data (issue 12): the default confidentiality statement and privacy
notice an organisation starts from, and the rule that no breakdown shows a small group.

Small groups identify people: with two people from an area, "Compras: 1 objeción" names
someone. Every breakdown of people's answers by area (the acta and its exports, the control
room's consent table) goes through `small_groups_merged`: an area with fewer people than the
organisation's `min_group_size` is merged into «Otras áreas» (never withheld: the totals stay
the room's), and the page shows `SmallGroups.note` to say why.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from workshops.models import Organisation


@dataclass(frozen=True)
class Group[K: Hashable]:
    """One row or column of a breakdown: an area (key) or several merged (key None)."""

    key: K | None
    label: str
    people: int
    keys: tuple[K, ...]


@dataclass
class SmallGroups[K: Hashable]:
    groups: list[Group[K]] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # labels of the areas merged
    minimum: int = 3

    @property
    def note(self) -> str:
        """Why a page shows fewer areas than were in the room ("" when nothing was merged)."""
        if not self.merged:
            return ""
        label = self.groups[-1].label if self.groups else _("Otras áreas")
        return _(
            "Para que nadie sea identificable, ningún grupo de menos de %(k)s personas se "
            "muestra por separado: %(areas)s aparecen juntas como «%(label)s»."
        ) % {"k": self.minimum, "areas": _names(self.merged), "label": label}

    def group_of(self, key: K | None) -> Group[K] | None:
        """The group an area's figures count in (None for an area nobody came from)."""
        for group in self.groups:
            if key in group.keys:
                return group
        return None

    def label_of(self, key: K | None) -> str:
        group = self.group_of(key)
        return group.label if group is not None else ""


def _names(names: list[str]) -> str:
    """«Ventas», «Ventas y Logística», «Ventas, TI y Logística»."""
    if len(names) < 2:
        return "".join(names)
    last = names[-1].lower()
    if last.startswith(("i", "hi")) and not last.startswith(("hia", "hie", "hio", "hiu")):
        # «Ventas e Innovación»: y before an i sound is e.
        return pgettext("the last of a list of areas", "%(first)s e %(last)s") % {
            "first": ", ".join(names[:-1]),
            "last": names[-1],
        }
    return pgettext("the last of a list of areas", "%(first)s y %(last)s") % {
        "first": ", ".join(names[:-1]),
        "last": names[-1],
    }


def small_groups_merged[K: Hashable](
    people: Iterable[tuple[K, str, int]], minimum: int
) -> SmallGroups[K]:
    """`people`: (key, label, number of people) per area, in display order. Areas with fewer
    than `minimum` people are merged into «Otras áreas»; while that merged group is itself
    too small, the smallest remaining area joins it (so a total minus the areas shown never
    gives a small group away). When every area ends up merged, the one group is «Todas las
    áreas»."""
    rows = [(key, label, count) for key, label, count in people if count > 0]
    shown = [row for row in rows if row[2] >= minimum]
    rest = [row for row in rows if row[2] < minimum]
    while rest and shown and sum(row[2] for row in rest) < minimum:
        smallest = min(shown, key=lambda row: row[2])
        shown.remove(smallest)
        rest.append(smallest)
    result: SmallGroups[K] = SmallGroups(minimum=minimum)
    order = {row[0]: index for index, row in enumerate(rows)}
    result.groups = [Group(key, label, count, (key,)) for key, label, count in shown]
    if rest:
        rest.sort(key=lambda row: order[row[0]])
        label = _("Otras áreas") if shown else _("Todas las áreas")
        result.groups.append(
            Group(None, label, sum(row[2] for row in rest), tuple(row[0] for row in rest))
        )
        result.merged = [row[1] for row in rest] if len(rows) > 1 or shown else []
    return result


# --- default texts ---------------------------------------------------------------------------


def confidentiality_text(organisation: Organisation) -> str:
    """What stays in the room: the organisation's own statement, or the default."""
    if organisation.confidentiality_statement.strip():
        return organisation.confidentiality_statement.strip()
    return default_confidentiality_text(organisation)


def default_confidentiality_text(organisation: Organisation) -> str:
    """The statement an organisation that wrote none shows. Written in the third person:
    the same words are read on a phone, on the projector by the whole room and in the acta."""
    return _(
        "Lo que se dice en esta sala se queda en esta sala: la conversación no se graba ni "
        "se transcribe. El acta guarda solo los acuerdos con sus responsables y fechas, las "
        "cifras del grupo (asistencia, diagnóstico, emociones y votos) y los aportes que se "
        "mostraron en la pared, sin nombres: de un aporte firmado queda solo el área. La "
        "leen únicamente los gerentes y quienes facilitan en %(org)s. De un aporte anónimo no "
        "se guarda ni el nombre ni el área de quien lo escribe: nadie, ni siquiera quien "
        "facilita, puede saber de quién es. Ninguna cifra se muestra por área si el grupo "
        "tiene menos de %(k)s personas. Quien objeta un acuerdo puede hacerlo sin que se vea "
        "su nombre: se conoce el motivo, no quién lo dio."
    ) % {"org": organisation.name, "k": organisation.min_group_size}


def privacy_notice_text(organisation: Organisation) -> str:
    """The privacy notice (Ley 1581 de 2012): the organisation's own, or the default."""
    if organisation.privacy_notice.strip():
        return organisation.privacy_notice.strip()
    return default_privacy_notice_text(organisation)


def default_privacy_notice_text(organisation: Organisation) -> str:
    """The notice an organisation that wrote none shows: it names the organisation, the
    retention period and the contact, so changing any of them changes the notice."""
    contact = organisation.privacy_contact.strip() or _("la persona que facilita esta sesión")
    return _(
        "%(org)s es responsable del tratamiento de los datos que registras aquí: tu nombre, "
        "tu área, las emociones que compartes y tus aportes. Se usan solo para realizar esta "
        "sesión, escribir su acta y hacer seguimiento a los acuerdos. Los ven quienes "
        "facilitan y los gerentes de %(org)s; tus aportes anónimos nunca quedan asociados a "
        "tu nombre. Tu nombre y tus textos se borran %(days)s días después de que termine la "
        "sesión; los acuerdos y las cifras del grupo se conservan. Como titular de tus datos, "
        "en cualquier momento puedes conocerlos, actualizarlos, rectificarlos o pedir que se "
        "supriman, escribiendo a %(contact)s (Ley 1581 de 2012)."
    ) % {"org": organisation.name, "days": organisation.retention_days, "contact": contact}


def privacy_notice_as_read(organisation: Organisation) -> str:
    """The notice in the site's own language: what decides whether it changed (the default
    text is translated, the version must not depend on who is reading)."""
    with translation.override(settings.LANGUAGE_CODE):
        return privacy_notice_text(organisation)
