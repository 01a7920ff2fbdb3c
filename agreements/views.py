"""Pages after the session: the owner's private link, the agreements dashboard and detail,
the session report (el acta) and the CSV exports.

Who sees what: every member of the organisation (managers and facilitators) reads the
dashboard, the detail and the acta, and may revoke or renew an owner's link; only managers
comment. Nobody changes what the room agreed: no page here accepts new content.
"""

import datetime

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from agreements import access_log, exports, selectors, services
from agreements.access import access_agreement, access_owner, owner_for_token
from agreements.exports import Table
from agreements.forms import AgreementFilterForm, CommentForm, OwnerStatusForm
from agreements.models import Agreement, ReportAccess
from config.room import public_base_url
from workshops.access import access_workshop, manager_required, member_required
from workshops.models import Organisation


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- the owner's private link (no account) ---------------------------------------------------

OWNER_VISIBLE_KINDS = ["status", "comment", "record"]


@never_cache
@require_http_methods(["GET", "POST"])
def owner_agreement(request: HtmxHttpRequest, token: str) -> HttpResponse:
    owner = owner_for_token(token)
    if owner is None:
        # Mistyped, revoked or replaced: one message that says nothing about the agreement.
        return render(request, "agreements/owner_invalid.html", status=404)
    agreement = owner.agreement
    form = OwnerStatusForm(request.POST or None, initial={"status": agreement.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.owner_update_status(
                owner=owner, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except services.AgreementError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, _("Guardado. Gracias por contar cómo va."))
            return redirect("owner_agreement", token=owner.token)
    context = {
        "owner": owner,
        "agreement": agreement,
        "owners": agreement.owners.select_related("area"),
        "updates": agreement.updates.filter(kind__in=OWNER_VISIBLE_KINDS).select_related(
            "owner", "user"
        ),
        "form": form,
        "overdue": agreement.is_overdue(selectors.organisation_today(agreement.organisation)),
    }
    # No member is signed in here: show times in the agreement's organisation's zone.
    with timezone.override(agreement.organisation.zone):
        return render(
            request,
            "agreements/owner_agreement.html",
            context,
            status=400 if form.errors else 200,
        )


# --- the dashboard ----------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[AgreementFilterForm, list[Agreement]]:
    form = AgreementFilterForm(request.GET or None, organisation=request.organisation)
    if form.is_bound:
        form.is_valid()
    agreements = selectors.agreement_search(
        organisation=request.organisation, **form.search_kwargs()
    )
    return form, agreements


@require_GET
@member_required
def agreement_list(request: HtmxHttpRequest) -> HttpResponse:
    form, agreements = _filtered(request)
    completion = selectors.area_completion(organisation=request.organisation, agreements=agreements)
    context = {
        "form": form,
        "agreements": agreements,
        "completion": completion,
        "chart_height": 44 * len(completion) + 8,
        "query": request.GET.urlencode(),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "agreements/agreement_list.html#results", context)
    return render(request, "agreements/agreement_list.html", context)


def _day(
    value: datetime.date | datetime.datetime | None, organisation: Organisation
) -> datetime.date | None:
    """A date as a date (the exports write it as one), in the organisation's time zone."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value, organisation.zone)
    return value


def _owners_text(agreement: Agreement) -> str:
    return "; ".join(f"{owner.name} ({owner.area.name})" for owner in agreement.owners.all())


def _areas_text(agreement: Agreement) -> str:
    return ", ".join(area.name for area in agreement.areas.all())


def _agreements_table(request: HtmxHttpRequest) -> Table:
    organisation = request.organisation
    _form, agreements = _filtered(request)
    header = [
        _("Sesión"),
        _("Fecha de la sesión"),
        _("Acuerdo"),
        _("Problema que resuelve"),
        _("Indicador de éxito"),
        _("Áreas"),
        _("Responsables"),
        _("Fecha de entrega"),
        _("Estado"),
        _("Vencido"),
        _("Hecho el"),
        _("Último cambio de estado"),
    ]
    rows = [
        [
            agreement.workshop.title,
            _day(agreement.workshop.date, organisation),
            agreement.text,
            agreement.problem,
            agreement.indicator,
            _areas_text(agreement),
            _owners_text(agreement),
            _day(agreement.due_date, organisation),
            agreement.get_status_display(),
            _("Sí") if agreement.overdue else _("No"),
            _day(agreement.done_at, organisation),
            _day(agreement.status_changed_at, organisation),
        ]
        for agreement in agreements
    ]
    return Table(_("Acuerdos"), header, rows)


@require_GET
@member_required
def agreement_export(request: HtmxHttpRequest) -> HttpResponse:
    today = selectors.organisation_today(request.organisation).strftime("%Y-%m-%d")
    response = exports.csv_response(f"acuerdos-{today}.csv", _agreements_table(request))
    access_log.report_access_record(
        organisation=request.organisation,
        user=request.user,
        kind=ReportAccess.Kind.AGREEMENTS_CSV,
    )
    return response


@require_GET
@member_required
def agreement_export_xlsx(request: HtmxHttpRequest) -> HttpResponse:
    today = selectors.organisation_today(request.organisation).strftime("%Y-%m-%d")
    response = exports.xlsx_response(f"acuerdos-{today}.xlsx", [_agreements_table(request)])
    access_log.report_access_record(
        organisation=request.organisation,
        user=request.user,
        kind=ReportAccess.Kind.AGREEMENTS_XLSX,
    )
    return response


@require_GET
@member_required
def agreement_export_log(request: HtmxHttpRequest) -> HttpResponse:
    """Who exported the organisation's agreements (the acta's own log is on the acta)."""
    accesses = access_log.agreements_export_accesses(organisation=request.organisation)
    return render(request, "agreements/agreement_export_log.html", {"accesses": accesses})


# --- one agreement ----------------------------------------------------------------------------


def _detail(
    request: HttpRequest, agreement: Agreement, comment_form: CommentForm | None = None
) -> HttpResponse:
    context = {
        "agreement": agreement,
        "overdue": agreement.is_overdue(selectors.organisation_today(request.organisation)),
        "versions": agreement.versions.all(),
        "owners": agreement.owners.select_related("area"),
        "areas": agreement.areas.all(),
        "updates": agreement.updates.select_related("owner", "user"),
        # Only what a source says and, when it was not anonymous, its area: never a name.
        "sources": agreement.sources.select_related("block", "area").order_by("id"),
        "comment_form": comment_form or CommentForm(),
    }
    return render(
        request,
        "agreements/agreement_detail.html",
        context,
        status=400 if comment_form is not None and comment_form.errors else 200,
    )


@require_GET
@member_required
def agreement_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access_agreement(request.organisation, pk))


@require_POST
@manager_required
def agreement_comment(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    agreement = access_agreement(request.organisation, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.manager_comment(
                agreement=agreement, user=request.user, text=form.cleaned_data["text"]
            )
        except services.AgreementError as error:
            form.add_error("text", error.messages[0])
        else:
            messages.success(request, _("Comentario agregado."))
            return redirect(f"{agreement.get_absolute_url()}#historial")
    return _detail(request, agreement, form)


@require_POST
@member_required
def owner_revoke(request: HtmxHttpRequest, pk: int, owner_pk: int) -> HttpResponse:
    agreement = access_agreement(request.organisation, pk)
    owner = access_owner(agreement, owner_pk)
    if owner.revoked_at is None:
        services.owner_link_revoke(owner=owner, actor=request.user)
    messages.success(request, _("El enlace de %(name)s ya no funciona.") % {"name": owner.name})
    return redirect(agreement)


@require_http_methods(["GET", "POST"])
@member_required
def owner_renew(request: HtmxHttpRequest, pk: int, owner_pk: int) -> HttpResponse:
    """GET: what renewing does (the old link stops working), asked once; POST: renew."""
    agreement = access_agreement(request.organisation, pk)
    owner = access_owner(agreement, owner_pk)
    if request.method == "GET":
        return render(
            request, "agreements/owner_renew.html", {"agreement": agreement, "owner": owner}
        )
    owner = services.owner_link_renew(owner=owner, actor=request.user)
    base_url = public_base_url(request)
    if owner.email:
        owner_id = owner.pk
        transaction.on_commit(
            lambda: services.owner_link_email(
                owner=agreement.owners.get(pk=owner_id), base_url=base_url
            )
        )
        messages.success(
            request,
            _("Nuevo enlace para %(name)s, enviado a %(email)s. El anterior ya no funciona.")
            % {"name": owner.name, "email": owner.email},
        )
    else:
        messages.success(
            request,
            _(
                "El enlace anterior de %(name)s ya no funciona. Como no tiene correo, "
                "entrégale tú el nuevo: %(url)s"
            )
            % {"name": owner.name, "url": base_url + services.owner_link_url(owner)},
        )
    return redirect(agreement)


# --- the session report (el acta) -------------------------------------------------------------


@require_GET
@member_required
def workshop_report(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    report = selectors.workshop_report(workshop=workshop)
    # Recorded before rendering, so readers see their own opening in the log; a page that
    # fails to render takes its entry back with it.
    with transaction.atomic():
        access_log.report_access_record(
            organisation=request.organisation,
            user=request.user,
            kind=ReportAccess.Kind.ACTA,
            workshop=workshop,
        )
        context = {
            "report": report,
            "erasure_notes": _erasure_notes(report),
            "accesses": access_log.workshop_accesses(workshop=workshop),
            "reopen_minutes": int(access_log.ACTA_REOPEN_WINDOW.total_seconds() // 60),
        }
        return render(request, "agreements/workshop_report.html", context)


def _erasure_notes(report: selectors.Report) -> list[str]:
    """What the acta and its exports say about erased names and texts (Ley 1581 de 2012)."""
    live = report.live
    if live is None:
        return []
    organisation = report.workshop.organisation
    if live.texts_erased_at is not None:
        days = organisation.retention_days
        erased_on = timezone.localdate(live.texts_erased_at, organisation.zone)
        return [
            ngettext(
                "Los nombres y textos de esta sesión se borraron el %(date)s (periodo de "
                "conservación de %(days)d día).",
                "Los nombres y textos de esta sesión se borraron el %(date)s (periodo de "
                "conservación de %(days)d días).",
                days,
            )
            % {"date": date_format(erased_on, "DATE_FORMAT"), "days": days},
            _("Se conservan los acuerdos, sus responsables y todas las cifras."),
        ]
    if report.erased_people:
        return [
            ngettext(
                "Los datos de %(n)d persona se borraron porque lo pidió: su nombre y los "
                "textos que firmó ya no aparecen. Las cifras se conservan.",
                "Los datos de %(n)d personas se borraron porque lo pidieron: sus nombres y "
                "los textos que firmaron ya no aparecen. Las cifras se conservan.",
                report.erased_people,
            )
            % {"n": report.erased_people}
        ]
    return []


def _report_agreements(report: selectors.Report, organisation: Organisation) -> Table:
    header = [
        _("Acuerdo"),
        _("Problema que resuelve"),
        _("Indicador de éxito"),
        _("Áreas"),
        _("Responsables"),
        _("Fecha de entrega"),
        _("Resultado en la sesión"),
        _("Versión"),
        _("De acuerdo"),
        _("Objeciones"),
        _("Abstenciones"),
        _("Estado"),
    ]
    rows = []
    for result in report.agreements:
        agreement = result.agreement
        agree, objections, abstentions = result.consent_totals
        rows.append(
            [
                agreement.text,
                agreement.problem,
                agreement.indicator,
                _areas_text(agreement),
                _owners_text(agreement),
                _day(agreement.due_date, organisation),
                agreement.get_outcome_display(),
                agreement.version,
                agree,
                objections,
                abstentions,
                agreement.get_status_display(),
            ]
        )
    return Table(_("Acuerdos"), header, rows)


def _paper_cell(card: selectors.WallCard) -> str:
    """«Sí» for a signed card collected on paper, «No» for a signed one from a phone; an
    anonymous card's cell stays empty: it carries no mark by design, so «No» would be false."""
    if card.anonymous:
        return ""
    return _("Sí") if card.on_paper else _("No")


def _wall_rows(report: selectors.Report) -> list[list[object]]:
    rows: list[list[object]] = []
    erased = _("(texto borrado)")  # an erased text is empty (facilitation.retention)
    for wall in report.walls:
        for theme in wall.themes:
            for card in theme.cards:
                author = _("Anónimo") if card.anonymous else card.area_name
                rows.append(
                    [
                        wall.block.title,
                        theme.name or erased,
                        theme.votes,
                        card.text or erased,
                        card.votes,
                        author,
                        _paper_cell(card),
                    ]
                )
        for card in wall.loose:
            author = _("Anónimo") if card.anonymous else card.area_name
            rows.append(
                [
                    wall.block.title,
                    "",
                    None,
                    card.text or erased,
                    card.votes,
                    author,
                    _paper_cell(card),
                ]
            )
    return rows


def _report_tables(report: selectors.Report, organisation: Organisation) -> list[Table]:
    """The acta's tables, one sheet each: counts and texts only, never who wrote what."""
    areas = [group.label for group in report.columns]
    attendance = Table(
        _("Asistencia"),
        [_("Área"), _("Personas esperadas"), _("Personas conectadas")],
        [[row.area.name, row.expected, row.joined] for row in report.attendance],
    )
    tables = [
        _report_agreements(report, organisation),
        attendance,
        Table(
            _("Emociones"),
            [_("Momento"), _("Emoción"), *areas, _("Total")],
            [
                [table.moment, row.label, *row.counts, row.total]
                for table in report.emotions
                for row in table.rows
            ],
        ),
        Table(
            _("Aportes por bloque"),
            [_("Bloque"), *areas, _("Anónimos"), _("Total")],
            [[row.block.title, *row.per_area, row.anonymous, row.total] for row in report.blocks],
        ),
        Table(
            _("Todos los aportes"),
            [
                _("Bloque"),
                _("Tema"),
                _("Puntos del tema"),
                _("Aporte"),
                _("Puntos del aporte"),
                _("Área"),
                _("En papel"),
            ],
            _wall_rows(report),
        ),
    ]
    notes = _erasure_notes(report)
    for table in tables:
        table.notes = list(notes)
    if report.on_paper:
        # One figure for the room, as on the page: never a count of paper people by area.
        attendance.notes.append(
            ngettext(
                "%(n)d persona participó en papel, sin celular.",
                "%(n)d personas participaron en papel, sin celular.",
                report.on_paper,
            )
            % {"n": report.on_paper}
        )
    return tables


@require_GET
@member_required
def workshop_report_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    workshop = access_workshop(organisation, pk)
    report = selectors.workshop_report(workshop=workshop)
    table = _report_agreements(report, organisation)
    table.notes = _erasure_notes(report)
    response = exports.csv_response(f"acta-{workshop.date:%Y-%m-%d}-acuerdos.csv", table)
    access_log.report_access_record(
        organisation=organisation,
        user=request.user,
        kind=ReportAccess.Kind.ACTA_CSV,
        workshop=workshop,
    )
    return response


@require_GET
@member_required
def workshop_report_xlsx(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    workshop = access_workshop(organisation, pk)
    report = selectors.workshop_report(workshop=workshop)
    response = exports.xlsx_response(
        f"acta-{workshop.date:%Y-%m-%d}.xlsx", _report_tables(report, organisation)
    )
    access_log.report_access_record(
        organisation=organisation,
        user=request.user,
        kind=ReportAccess.Kind.ACTA_XLSX,
        workshop=workshop,
    )
    return response
