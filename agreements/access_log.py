"""The access log of the acta and of the exports (issue 12): who opened or exported what, and
when. Managers and facilitators read it on the acta and next to the agreements' exports,
because people ask who has seen what the room said.

One capability, so its one write and its reads live together here rather than in the app's
shared `services.py` and `selectors.py`.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractUser
from django.db.models import QuerySet
from django.utils import timezone

from agreements.models import ReportAccess
from workshops.models import Organisation, Workshop

# A reload, a trip to the print dialog and back, or a second tab is still the same reading:
# one entry, so a long morning with the acta open does not push everyone else out of the
# list. Exports are never merged: each one is a copy that left Puente.
ACTA_REOPEN_WINDOW = datetime.timedelta(minutes=10)
# Enough for any session's usual readers; the rest is counted, not listed.
SHOWN = 50

WORKSHOP_KINDS = {
    ReportAccess.Kind.ACTA,
    ReportAccess.Kind.ACTA_CSV,
    ReportAccess.Kind.ACTA_XLSX,
}
ORGANISATION_KINDS = {ReportAccess.Kind.AGREEMENTS_CSV, ReportAccess.Kind.AGREEMENTS_XLSX}


@dataclass(frozen=True)
class AccessLog:
    """The latest entries, most recent first, and how many older ones are not listed."""

    entries: list[ReportAccess]
    older: int


def user_label(user: AbstractUser) -> str:
    """How the person is named in the log: their full name, else their username."""
    label = user.get_full_name() or user.get_username()
    return label[: ReportAccess._meta.get_field("user_label").max_length]


def report_access_record(
    *,
    organisation: Organisation,
    user: AbstractUser,
    kind: ReportAccess.Kind,
    workshop: Workshop | None = None,
) -> ReportAccess:
    """Record that `user` opened or exported the acta of `workshop` (the acta's kinds) or the
    organisation's agreements (the agreements' kinds, without a workshop).

    Opening the same acta again within ACTA_REOPEN_WINDOW of that person's last recorded
    opening records nothing and returns that entry. Two openings racing each other may both
    be recorded; that is harmless, so no lock is taken. Runs inside the caller's
    transaction: a view that fails after calling this rolls the entry back with it.
    """
    if kind in WORKSHOP_KINDS:
        if workshop is None or workshop.organisation_id != organisation.pk:
            raise ValueError("The acta's accesses need a workshop of the organisation.")
    elif kind in ORGANISATION_KINDS:
        if workshop is not None:
            raise ValueError("The agreements' exports are the organisation's, not a session's.")
    else:
        raise ValueError(f"Unknown access kind {kind!r}.")
    now = timezone.now()
    if kind == ReportAccess.Kind.ACTA:
        recent = (
            ReportAccess.objects.filter(
                workshop=workshop, user=user, kind=kind, at__gt=now - ACTA_REOPEN_WINDOW
            )
            .order_by("-at", "-id")
            .first()
        )
        if recent is not None:
            return recent
    return ReportAccess.objects.create(
        organisation=organisation,
        workshop=workshop,
        user=user,
        user_label=user_label(user),
        kind=kind,
        at=now,
    )


def _latest(accesses: QuerySet[ReportAccess], limit: int) -> AccessLog:
    entries = list(accesses.order_by("-at", "-id")[:limit])
    older = accesses.count() - len(entries) if len(entries) == limit else 0
    return AccessLog(entries=entries, older=older)


def workshop_accesses(*, workshop: Workshop, limit: int = SHOWN) -> AccessLog:
    """Who opened or exported this session's acta, most recent first."""
    return _latest(ReportAccess.objects.filter(workshop=workshop), limit)


def agreements_export_accesses(*, organisation: Organisation, limit: int = SHOWN) -> AccessLog:
    """Who exported the organisation's agreements from the dashboard, most recent first."""
    return _latest(
        ReportAccess.objects.filter(
            organisation=organisation, workshop__isnull=True, kind__in=ORGANISATION_KINDS
        ),
        limit,
    )
