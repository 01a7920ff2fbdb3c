"""The access log through HTTP: every opening and export of the acta and every export of the
agreements is recorded once, with who did it; managers and facilitators read the log, in the
organisation's time zone; another organisation records and reads nothing of ours."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from agreements import access_log
from agreements.models import ReportAccess

pytestmark = pytest.mark.django_db

Kind = ReportAccess.Kind

ACTA_VIEWS = [
    ("workshop_report", Kind.ACTA),
    ("workshop_report_csv", Kind.ACTA_CSV),
    ("workshop_report_xlsx", Kind.ACTA_XLSX),
]
AGREEMENTS_VIEWS = [
    ("agreement_export", Kind.AGREEMENTS_CSV),
    ("agreement_export_xlsx", Kind.AGREEMENTS_XLSX),
]


def _section(response, element_id: str) -> str:
    """The HTML of the section with this id, and nothing after it (the footer)."""
    body = response.content.decode()
    return body.split(f'id="{element_id}"', 1)[1].split("</section>", 1)[0]


@pytest.fixture(params=["manager", "facilitator"])
def member(request, manager, facilitator):
    """Both roles read the acta, export it and see its log."""
    membership = {"manager": manager, "facilitator": facilitator}[request.param]
    client = Client()
    client.force_login(membership.user)
    return membership, client


@pytest.mark.parametrize(("view", "kind"), ACTA_VIEWS)
def test_each_acta_view_records_one_entry_with_who(member, agreement, view, kind):
    membership, client = member
    response = client.get(reverse(view, args=[agreement.workshop_id]))
    assert response.status_code == 200
    entry = ReportAccess.objects.get()
    assert entry.kind == kind and entry.user == membership.user
    assert entry.workshop_id == agreement.workshop_id
    assert entry.organisation == agreement.organisation
    assert entry.user_label == membership.user.first_name


@pytest.mark.parametrize(("view", "kind"), AGREEMENTS_VIEWS)
def test_each_agreements_export_records_one_entry_with_who(member, agreement, view, kind):
    membership, client = member
    response = client.get(reverse(view), {"status": "pendiente"})
    assert response.status_code == 200
    entry = ReportAccess.objects.get()
    assert entry.kind == kind and entry.user == membership.user
    assert entry.workshop is None and entry.organisation == agreement.organisation


@pytest.mark.parametrize(("view", "kind"), ACTA_VIEWS)
def test_another_organisations_acta_answers_404_and_records_nothing(
    outsider_client, agreement, view, kind
):
    response = outsider_client.get(reverse(view, args=[agreement.workshop_id]))
    assert response.status_code == 404
    assert not ReportAccess.objects.exists()


@pytest.mark.parametrize("view", ["workshop_report", "workshop_report_xlsx", "agreement_export"])
def test_a_visitor_who_is_not_signed_in_records_nothing(agreement, view):
    args = [agreement.workshop_id] if view.startswith("workshop") else []
    response = Client().get(reverse(view, args=args))
    assert response.status_code == 302 and "/entrar/" in response["Location"]
    assert not ReportAccess.objects.exists()


def test_reloading_the_acta_is_one_entry_but_each_export_counts(manager_client, agreement):
    workshop_id = agreement.workshop_id
    for view in ["workshop_report", "workshop_report", "workshop_report_csv"] * 2:
        assert manager_client.get(reverse(view, args=[workshop_id])).status_code == 200
    kinds = list(ReportAccess.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [Kind.ACTA, Kind.ACTA_CSV, Kind.ACTA_CSV]


def test_acta_shows_who_opened_and_exported_it(member, manager, agreement):
    membership, client = member
    workshop_id = agreement.workshop_id
    other = Client()
    other.force_login(manager.user)
    other.get(reverse("workshop_report_xlsx", args=[workshop_id]))
    log = _section(client.get(reverse("workshop_report", args=[workshop_id])), "access-log-section")
    assert "Quién abrió o exportó esta acta" in log
    # Most recent first: this reader's opening, then the manager's export.
    assert log.index(membership.user.first_name) < log.index("Exportó el acta (Excel)")
    assert "Abrió el acta" in log and "Milena" in log


def test_the_log_is_outside_the_acta_and_not_printed(manager_client, agreement):
    body = manager_client.get(reverse("workshop_report", args=[agreement.workshop_id]))
    body = body.content.decode()
    assert body.index("</article>") < body.index('id="access-log-section"')
    assert 'class="access-log-section no-print"' in body


def test_times_are_in_the_organisations_time_zone(manager_client, agreement, manager):
    organisation = agreement.organisation
    # Not the server's zone (Bogotá), so the test tells the two apart.
    organisation.time_zone = "Europe/Madrid"
    organisation.save(update_fields=["time_zone"])
    at = datetime.datetime(2026, 12, 1, 17, 5, tzinfo=datetime.UTC)
    ReportAccess.objects.create(
        organisation=organisation,
        workshop=agreement.workshop,
        user=None,
        user_label="Persona que ya no está",
        kind=Kind.ACTA_CSV,
        at=at,
    )
    ReportAccess.objects.create(
        organisation=organisation, user_label="Otra", kind=Kind.AGREEMENTS_XLSX, at=at
    )
    response = manager_client.get(reverse("workshop_report", args=[agreement.workshop_id]))
    log = _section(response, "access-log-section")
    assert "01/12/2026 18:05" in log and "17:05" not in log and "12:05" not in log
    assert "Europe/Madrid" in log and "Persona que ya no está" in log
    exports = _section(manager_client.get(reverse("agreement_export_log")), "export-log")
    assert "01/12/2026 18:05" in exports and "Otra" in exports


def test_a_long_log_shows_the_latest_and_counts_the_rest(manager_client, agreement):
    ReportAccess.objects.bulk_create(
        ReportAccess(
            organisation=agreement.organisation,
            workshop=agreement.workshop,
            user_label=f"Lectora {i}",
            kind=Kind.ACTA_CSV,
            at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(hours=i),
        )
        for i in range(access_log.SHOWN + 6)
    )
    response = manager_client.get(reverse("workshop_report", args=[agreement.workshop_id]))
    log = _section(response, "access-log-section")
    assert log.count('<tr id="access-') == access_log.SHOWN
    # The manager's own opening is the newest; the oldest seven are counted, not listed.
    assert "Lectora 55" in log and "Lectora 7<" in log and "Lectora 6<" not in log
    assert "Hay 7 registros más antiguos que no se muestran aquí." in log


def test_agreements_page_links_to_who_exported_them(member, agreement):
    _membership, client = member
    body = client.get(reverse("agreement_list")).content.decode()
    assert reverse("agreement_export_log") in body
    assert "Quién exportó los acuerdos" in body


def test_export_log_lists_the_agreements_exports_only(member, manager, agreement):
    membership, client = member
    client.get(reverse("workshop_report_csv", args=[agreement.workshop_id]))
    assert "Nadie ha exportado los acuerdos todavía." in (
        client.get(reverse("agreement_export_log")).content.decode()
    )
    client.get(reverse("agreement_export"))
    client.get(reverse("agreement_export_xlsx"))
    page = client.get(reverse("agreement_export_log"))
    assert page.status_code == 200
    log = _section(page, "export-log")
    assert log.count('<tr id="access-') == 2
    assert log.index("Exportó los acuerdos (Excel)") < log.index("Exportó los acuerdos (CSV)")
    assert membership.user.first_name in log and "acta" not in log
    # Reading the log is not itself an access.
    assert ReportAccess.objects.count() == 3


def test_another_organisation_never_sees_our_log(outsider_client, manager_client, agreement):
    manager_client.get(reverse("agreement_export"))
    manager_client.get(reverse("workshop_report", args=[agreement.workshop_id]))
    body = outsider_client.get(reverse("agreement_export_log")).content.decode()
    assert "Milena" not in body and "Nadie ha exportado los acuerdos todavía." in body


def test_the_export_log_needs_a_signed_in_member():
    response = Client().get(reverse("agreement_export_log"))
    assert response.status_code == 302 and "/entrar/" in response["Location"]
