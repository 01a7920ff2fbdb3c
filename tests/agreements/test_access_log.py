"""The access log's write and reads: who opened or exported the acta and the agreements."""

import datetime

import pytest
from django.utils import timezone

from agreements import access_log
from agreements.models import ReportAccess
from tests.facilitation import conftest as live_fixtures
from workshops.services import member_create, workshop_create

ready_workshop = live_fixtures.ready_workshop

Kind = ReportAccess.Kind
NOON = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(monkeypatch) -> list[datetime.datetime]:
    """The time the service sees; tests move it by replacing clock[0]."""
    now = [NOON]
    monkeypatch.setattr(access_log.timezone, "now", lambda: now[0])
    return now


def _record(workshop, user, kind=Kind.ACTA) -> ReportAccess:
    return access_log.report_access_record(
        organisation=workshop.organisation, user=user, kind=kind, workshop=workshop
    )


def test_records_who_what_and_when(ready_workshop, manager, clock):
    entry = _record(ready_workshop, manager.user, Kind.ACTA_XLSX)
    assert (entry.organisation, entry.workshop, entry.user) == (
        ready_workshop.organisation,
        ready_workshop,
        manager.user,
    )
    assert entry.kind == Kind.ACTA_XLSX and entry.at == NOON
    assert entry.user_label == "Milena"


def test_label_is_the_full_name_else_the_username(ready_workshop, organisation):
    named = member_create(
        organisation=organisation,
        username="jperez",
        password="x" * 12,
        first_name="Juana",
        last_name="Pérez Gómez",
        is_manager=True,
    )
    bare = member_create(
        organisation=organisation, username="auditoria", password="x" * 12, is_manager=True
    )
    assert _record(ready_workshop, named.user).user_label == "Juana Pérez Gómez"
    assert _record(ready_workshop, bare.user).user_label == "auditoria"


def test_label_stays_as_it_was_when_the_account_changes_or_goes(ready_workshop, manager):
    entry = _record(ready_workshop, manager.user)
    manager.user.first_name = "Milena Rojas"
    manager.user.save(update_fields=["first_name"])
    manager.user.delete()
    entry.refresh_from_db()
    assert entry.user is None and entry.user_label == "Milena"


def test_a_very_long_name_is_cut_to_fit(ready_workshop, organisation):
    member = member_create(
        organisation=organisation,
        username="largo",
        password="x" * 12,
        first_name="A" * 150,
        last_name="B" * 150,
        is_manager=True,
    )
    assert len(_record(ready_workshop, member.user).user_label) == 150


def test_reopening_the_acta_within_the_window_is_one_entry(ready_workshop, manager, clock):
    first = _record(ready_workshop, manager.user)
    clock[0] = NOON + access_log.ACTA_REOPEN_WINDOW - datetime.timedelta(seconds=1)
    assert _record(ready_workshop, manager.user) == first
    assert ReportAccess.objects.count() == 1


def test_reopening_the_acta_after_the_window_is_a_new_entry(ready_workshop, manager, clock):
    first = _record(ready_workshop, manager.user)
    clock[0] = NOON + access_log.ACTA_REOPEN_WINDOW
    second = _record(ready_workshop, manager.user)
    assert second != first and second.at == clock[0]
    assert ReportAccess.objects.count() == 2


def test_another_person_opening_the_acta_is_their_own_entry(
    ready_workshop, manager, facilitator, clock
):
    _record(ready_workshop, manager.user)
    _record(ready_workshop, facilitator.user)
    assert sorted(ReportAccess.objects.values_list("user_label", flat=True)) == ["Lili", "Milena"]


def test_the_same_person_opening_another_acta_is_a_new_entry(
    ready_workshop, library, organisation, facilitator, manager, clock
):
    other = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Otra sesión",
        date=datetime.date(2026, 12, 2),
        start_time=datetime.time(8, 0),
        invited={},
        template="tres-horas",
    )
    _record(ready_workshop, manager.user)
    _record(other, manager.user)
    assert ReportAccess.objects.filter(user=manager.user, kind=Kind.ACTA).count() == 2


@pytest.mark.parametrize("kind", [Kind.ACTA_CSV, Kind.ACTA_XLSX])
def test_every_export_of_the_acta_is_recorded(ready_workshop, manager, clock, kind):
    _record(ready_workshop, manager.user)
    _record(ready_workshop, manager.user, kind)
    _record(ready_workshop, manager.user, kind)
    assert ReportAccess.objects.filter(kind=kind).count() == 2
    assert ReportAccess.objects.filter(kind=Kind.ACTA).count() == 1


@pytest.mark.parametrize("kind", [Kind.AGREEMENTS_CSV, Kind.AGREEMENTS_XLSX])
def test_every_export_of_the_agreements_is_recorded(organisation, manager, clock, kind):
    for _ in range(2):
        access_log.report_access_record(organisation=organisation, user=manager.user, kind=kind)
    entries = ReportAccess.objects.filter(kind=kind)
    assert entries.count() == 2
    assert all(e.workshop is None and e.organisation == organisation for e in entries)


def test_the_acta_of_another_organisation_is_refused(ready_workshop, other_organisation, manager):
    with pytest.raises(ValueError):
        access_log.report_access_record(
            organisation=other_organisation,
            user=manager.user,
            kind=Kind.ACTA,
            workshop=ready_workshop,
        )
    assert not ReportAccess.objects.exists()


def test_kinds_and_workshops_must_match(ready_workshop, organisation, manager):
    with pytest.raises(ValueError):
        access_log.report_access_record(organisation=organisation, user=manager.user, kind="acta")
    with pytest.raises(ValueError):
        access_log.report_access_record(
            organisation=organisation,
            user=manager.user,
            kind=Kind.AGREEMENTS_CSV,
            workshop=ready_workshop,
        )
    with pytest.raises(ValueError):
        _record(ready_workshop, manager.user, "printed")
    assert not ReportAccess.objects.exists()


# --- the reads --------------------------------------------------------------------------------


def _entries(organisation, user, count: int, *, workshop=None, kind=Kind.ACTA_CSV) -> None:
    start = timezone.now() - datetime.timedelta(days=1)
    ReportAccess.objects.bulk_create(
        ReportAccess(
            organisation=organisation,
            workshop=workshop,
            user=user,
            user_label=f"p{i}",
            kind=kind,
            at=start + datetime.timedelta(minutes=i),
        )
        for i in range(count)
    )


def test_the_acta_log_is_most_recent_first_and_counts_the_rest(ready_workshop, manager):
    _entries(ready_workshop.organisation, manager.user, 53, workshop=ready_workshop)
    log = access_log.workshop_accesses(workshop=ready_workshop)
    assert len(log.entries) == access_log.SHOWN == 50
    assert [e.user_label for e in log.entries[:2]] == ["p52", "p51"]
    assert log.entries[-1].user_label == "p3"
    assert log.older == 3


def test_a_short_acta_log_has_nothing_older(ready_workshop, manager):
    _entries(ready_workshop.organisation, manager.user, 2, workshop=ready_workshop)
    log = access_log.workshop_accesses(workshop=ready_workshop)
    assert [e.user_label for e in log.entries] == ["p1", "p0"] and log.older == 0


def test_the_acta_log_is_only_this_sessions(ready_workshop, organisation, manager, outsider):
    _entries(organisation, manager.user, 1, workshop=ready_workshop)
    _entries(organisation, manager.user, 4, kind=Kind.AGREEMENTS_XLSX)
    log = access_log.workshop_accesses(workshop=ready_workshop)
    assert len(log.entries) == 1 and log.older == 0


def test_the_agreements_log_is_only_the_organisations_exports(
    ready_workshop, organisation, other_organisation, manager, outsider
):
    _entries(organisation, manager.user, 2, kind=Kind.AGREEMENTS_CSV)
    _entries(organisation, manager.user, 3, workshop=ready_workshop)
    _entries(other_organisation, outsider.user, 5, kind=Kind.AGREEMENTS_XLSX)
    log = access_log.agreements_export_accesses(organisation=organisation)
    assert [e.kind for e in log.entries] == [Kind.AGREEMENTS_CSV] * 2 and log.older == 0
