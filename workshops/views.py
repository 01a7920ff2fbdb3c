"""Pages of the foundation: home, the method library, the question bank, organisation."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from facilitation.privacy import default_confidentiality_text, default_privacy_notice_text
from workshops import method, people, selectors, services
from workshops.access import (
    access_area,
    access_block,
    access_block_question,
    access_checklist_item,
    access_own_question,
    access_question,
    access_workshop,
    active_memberships,
    facilitator_required,
    manager_required,
    member_required,
)
from workshops.agenda import MINIMUM_MINUTES, format_minutes
from workshops.forms import (
    AreaForm,
    BlockForm,
    ChecklistItemForm,
    LoginForm,
    LogoForm,
    MinutesForm,
    OrganisationForm,
    OrganisationPrivacyForm,
    QuestionFilterForm,
    QuestionForm,
    QuestionWriteForm,
    WorkshopFilterForm,
    WorkshopForm,
)
from workshops.models import ActivityKind, Workshop


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(setup_open=people.setup_is_open(), **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # A person of several organisations chooses where to work, unless the link they
        # came with names a page (it opens in its own organisation: workshops/access.py).
        if not self.get_redirect_url() and len(active_memberships(form.get_user())) > 1:
            query = urlencode({"next": self.get_success_url()})
            return redirect(f"{reverse('organisation_choose')}?{query}")
        return response


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    # A fresh installation greets its first visitor with the setup, not a login nobody has.
    if not request.user.is_authenticated and people.setup_is_open():
        return redirect("setup")
    return _member_home(request)


@member_required
def _member_home(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "workshops/home.html")


@require_GET
@facilitator_required
def library(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "workshops/library.html", selectors.method_library())


@require_GET
@facilitator_required
def question_bank(request: HtmxHttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = QuestionFilterForm(request.GET or None, organisation=organisation)
    if form.is_bound:
        form.is_valid()
    questions = selectors.question_search(organisation=organisation, **form.search_kwargs())
    page = Paginator(questions, 30).get_page(request.GET.get("page"))
    area_names = {area.slug: area.name for area in organisation.areas.all()}
    for question in page:
        question.area_labels = [area_names.get(s, s.capitalize()) for s in question.area_slugs]
        question.text = method.render_areas(question.text, area_names)  # shown, never saved
    context = {"form": form, "page": page, "total": page.paginator.count}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "workshops/question_bank.html#results", context)
    return render(request, "workshops/question_bank.html", context)


@require_GET
@facilitator_required
def question_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    question = access_question(request.organisation, pk)
    return render(request, "workshops/question_detail.html", {"question": question})


@require_http_methods(["GET", "POST"])
@facilitator_required
def question_create(request: HtmxHttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = QuestionForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        question = services.question_create(
            organisation=organisation, created_by=request.user, **form.service_fields()
        )
        messages.success(request, _("Pregunta guardada en el banco de tu organización."))
        return redirect("question_detail", pk=question.pk)
    return render(request, "workshops/question_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@facilitator_required
def question_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    question = access_own_question(organisation, pk)
    form = QuestionForm(
        request.POST or None,
        organisation=organisation,
        initial=QuestionForm.initial_for(question),
    )
    if request.method == "POST" and form.is_valid():
        services.question_update(question=question, **form.service_fields())
        messages.success(request, _("Pregunta actualizada."))
        return redirect("question_detail", pk=question.pk)
    return render(request, "workshops/question_form.html", {"form": form, "question": question})


@require_POST
@facilitator_required
def question_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    question = access_own_question(request.organisation, pk)
    services.question_delete(question=question)
    messages.success(request, _("Pregunta eliminada."))
    if request.htmx:
        return HttpResponseClientRedirect("/preguntas/")
    return redirect("question_bank")


@require_http_methods(["GET", "POST"])
@manager_required
def organisation_settings(request: HtmxHttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = OrganisationForm(request.POST or None, instance=organisation, prefix="org")
    if request.method == "POST" and form.is_valid():
        services.organisation_update(
            organisation=organisation,
            name=form.cleaned_data["name"],
            display_name=form.cleaned_data["display_name"],
            time_zone=form.cleaned_data["time_zone"],
        )
        messages.success(request, _("Datos de la organización guardados."))
        return redirect("organisation_settings")
    return organisation_page(request, form=form)


def organisation_page(
    request: HtmxHttpRequest,
    *,
    form: OrganisationForm | None = None,
    area_form: AreaForm | None = None,
    logo_form: LogoForm | None = None,
) -> HttpResponse:
    """The organisation page, with the form that was sent (and its errors) in its place."""
    organisation = request.organisation
    context = {
        "organisation": organisation,
        "form": form or OrganisationForm(instance=organisation, prefix="org"),
        "area_form": area_form or AreaForm(organisation=organisation, prefix="area"),
        "logo_form": logo_form or LogoForm(prefix="logo"),
        "areas": organisation.areas.all(),
    }
    return render(request, "workshops/organisation.html", context)


@require_http_methods(["GET", "POST"])
@manager_required
def organisation_privacy(request: HtmxHttpRequest) -> HttpResponse:
    """What stays in the room and how personal data is handled (issue 12)."""
    organisation = request.organisation
    form = OrganisationPrivacyForm(
        request.POST or None, initial=OrganisationPrivacyForm.initial_for(organisation)
    )
    if request.method == "POST" and form.is_valid():
        version = organisation.privacy_notice_version
        organisation = services.organisation_privacy_update(
            organisation=organisation, **form.cleaned_data
        )
        if organisation.privacy_notice_version != version:
            messages.success(
                request,
                _(
                    "Guardado. El aviso de privacidad cambió: quienes entren a una sesión "
                    "desde ahora aceptarán la versión %(n)s."
                )
                % {"n": organisation.privacy_notice_version},
            )
        else:
            messages.success(request, _("Confidencialidad y datos personales guardados."))
        return redirect("organisation_privacy")
    return render(
        request,
        "workshops/organisation_privacy.html",
        {
            "form": form,
            "organisation": organisation,
            "default_confidentiality": default_confidentiality_text(organisation),
            "default_notice": default_privacy_notice_text(organisation),
        },
    )


@require_POST
@manager_required
def area_add(request: HtmxHttpRequest) -> HttpResponse:
    organisation = request.organisation
    area_form = AreaForm(request.POST, organisation=organisation, prefix="area")
    if area_form.is_valid():
        services.area_add(organisation=organisation, name=area_form.cleaned_data["name"])
        messages.success(request, _("Área agregada."))
        return redirect("organisation_settings")
    return organisation_page(request, area_form=area_form)


@require_POST
@manager_required
def area_rename(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    area = access_area(organisation, pk)
    form = AreaForm(request.POST, organisation=organisation, area=area, prefix=f"a{area.pk}")
    if form.is_valid():
        services.area_rename(area=area, name=form.cleaned_data["name"])
        messages.success(request, _("Área renombrada."))
    else:
        for error in form.errors.get("name", []):
            messages.error(request, error)
    return redirect("organisation_settings")


# --- Checklist and run sheet ---


def _checklist_response(
    request: HtmxHttpRequest, workshop: Workshop, form: ChecklistItemForm
) -> HttpResponse:
    """The page, or only its #checklist partial for htmx: both render the same fragment."""
    context = {
        "workshop": workshop,
        "checklist": selectors.workshop_checklist(workshop=workshop),
        "form": form,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "workshops/checklist.html#checklist", context)
    return render(request, "workshops/checklist.html", context)


@require_GET
@facilitator_required
def workshop_checklist(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    return _checklist_response(request, workshop, ChecklistItemForm())


@require_POST
@facilitator_required
def workshop_checklist_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    form = ChecklistItemForm(request.POST)
    if form.is_valid():
        try:
            services.checklist_item_add(workshop=workshop, text=form.cleaned_data["text"])
        except services.AgendaError as error:
            form.add_error("text", error)
        else:
            if not request.htmx:
                return redirect("workshop_checklist", pk=workshop.pk)
            form = ChecklistItemForm()
    return _checklist_response(request, workshop, form)


@require_POST
@facilitator_required
def workshop_checklist_item(request: HtmxHttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Set an item done or not done. The form always says which (an unchecked box sends
    nothing), so a repeated request leaves the same state."""
    workshop = access_workshop(request.organisation, pk)
    item = access_checklist_item(workshop, item_pk)
    services.checklist_item_set_done(item=item, done=request.POST.get("done") == "1")
    if not request.htmx:
        return redirect("workshop_checklist", pk=workshop.pk)
    return _checklist_response(request, workshop, ChecklistItemForm())


def _runsheet(request: HtmxHttpRequest, pk: int, *, participants: bool) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    # Anything but "carta" (US Letter) prints on A4: a bad value is not worth an error page.
    paper = "carta" if request.GET.get("papel") == "carta" else "a4"
    context = {
        "workshop": workshop,
        "agenda": selectors.workshop_agenda(workshop=workshop),
        "participants": participants,
        "paper": paper,
        "escalation": () if participants else method.escalation(),
    }
    return render(request, "workshops/runsheet.html", context)


@require_GET
@facilitator_required
def workshop_runsheet(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _runsheet(request, pk, participants=False)


@require_GET
@facilitator_required
def workshop_runsheet_participants(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _runsheet(request, pk, participants=True)


# --- Session builder ---


@require_GET
@facilitator_required
def workshop_list(request: HtmxHttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = WorkshopFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    workshops = selectors.workshop_list(
        organisation=organisation, status=data.get("status") or "", text=data.get("q") or ""
    )
    page = Paginator(workshops, 30).get_page(request.GET.get("page"))
    for workshop in page:
        workshop.total_label = format_minutes(workshop.total_minutes)
    context = {"form": form, "page": page, "total": page.paginator.count}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "workshops/workshop_list.html#results", context)
    return render(request, "workshops/workshop_list.html", context)


@require_http_methods(["GET", "POST"])
@facilitator_required
def workshop_create(request: HtmxHttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = WorkshopForm(request.POST or None, organisation=organisation, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = {
            "title": data["title"],
            "purpose": data["purpose"],
            "date": data["date"],
            "start_time": data["start_time"],
            "place": data["place"],
            "invited": form.invited(),
        }
        if data["start"] == WorkshopForm.START_DUPLICATE:
            # The copy takes the agenda of the source and the details of this form.
            with transaction.atomic():
                workshop = services.workshop_duplicate(
                    workshop=data["source"], facilitator=request.user, title=data["title"]
                )
                services.workshop_update(workshop=workshop, **details)
        else:
            workshop = services.workshop_create(
                organisation=organisation,
                facilitator=request.user,
                template=data["start"] if data["start"] in method.templates() else "",
                **details,
            )
        messages.success(request, _("Sesión creada. Ahora ajusta su agenda."))
        return redirect(workshop)
    return render(request, "workshops/workshop_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@facilitator_required
def workshop_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    workshop = access_workshop(organisation, pk)
    form = WorkshopForm(
        request.POST or None,
        organisation=organisation,
        initial=WorkshopForm.initial_for(workshop),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.workshop_update(
                workshop=workshop,
                title=data["title"],
                purpose=data["purpose"],
                date=data["date"],
                start_time=data["start_time"],
                place=data["place"],
                invited=form.invited(),
            )
        except services.AgendaError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, _("Datos de la sesión guardados."))
            return redirect(workshop)
    return render(request, "workshops/workshop_form.html", {"form": form, "workshop": workshop})


@require_POST
@facilitator_required
def workshop_duplicate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    copy = services.workshop_duplicate(workshop=workshop, facilitator=request.user)
    messages.success(request, _("Sesión duplicada como borrador."))
    return redirect(copy)


def _agenda_context(
    workshop: Workshop,
    *,
    error: str = "",
    edited: tuple[int, BlockForm] | None = None,
) -> dict[str, Any]:
    """What the #agenda fragment needs. `edited` is a block's bound form with errors, shown
    open in place of that block's fresh form."""
    workshop.refresh_from_db(fields=["status", "agenda_version", "date", "start_time"])
    agenda = selectors.workshop_agenda(workshop=workshop)
    rows = []
    for item in agenda.scheduled:
        block = item.block
        if edited is not None and edited[0] == block.pk:
            form, is_open = edited[1], True
        else:
            form, is_open = (
                BlockForm(initial=BlockForm.initial_for(block), prefix=f"b{block.pk}"),
                False,
            )
        rows.append(
            {
                "item": item,
                "block": block,
                "warnings": agenda.warnings_for_block(block),
                "form": form,
                "open": is_open,
            }
        )
    return {
        "workshop": workshop,
        "agenda": agenda,
        "rows": rows,
        "kinds": ActivityKind.objects.all(),
        "open_agreements": _open_agreements_offer(workshop, agenda),
        "error": error,
        "minimum_minutes": MINIMUM_MINUTES,
    }


def _open_agreements_offer(workshop: Workshop, agenda: Any) -> int:
    """How many open agreements of earlier sessions involve the invited areas, when the
    agenda could still start with their review and does not yet; 0 otherwise."""
    from facilitation.selectors import OPEN_AGREEMENTS_KIND, open_agreements

    if not workshop.is_editable or any(
        item.block.kind.slug == OPEN_AGREEMENTS_KIND for item in agenda.scheduled
    ):
        return 0
    return len(open_agreements(workshop))


def _agenda_response(request: HtmxHttpRequest, workshop: Workshop, **kwargs: Any) -> HttpResponse:
    """The #agenda fragment for htmx (also when a change was refused: status 200 so htmx
    swaps in the message), or back to the builder page without JavaScript."""
    if request.htmx:
        return render(
            request, "workshops/workshop_builder.html#agenda", _agenda_context(workshop, **kwargs)
        )
    if kwargs.get("error"):
        messages.error(request, kwargs["error"])
    return redirect(workshop)


def _refused(error: services.AgendaError) -> str:
    return " ".join(error.messages)


@require_GET
@facilitator_required
def workshop_builder(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    return render(request, "workshops/workshop_builder.html", _agenda_context(workshop))


@require_POST
@facilitator_required
def workshop_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    try:
        services.workshop_set_status(workshop=workshop, status=request.POST.get("status", ""))
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def block_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    kind = get_object_or_404(ActivityKind, slug=request.POST.get("kind", ""))
    try:
        services.block_add(workshop=workshop, kind=kind, first=request.POST.get("at") == "start")
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def block_edit(request: HtmxHttpRequest, pk: int, block_pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    block = access_block(workshop, block_pk)
    form = BlockForm(request.POST, prefix=f"b{block.pk}")
    if not form.is_valid():
        return _agenda_response(
            request,
            workshop,
            error=_("Revisa los campos marcados del bloque «%(title)s».") % {"title": block.title},
            edited=(block.pk, form),
        )
    try:
        services.block_update(block=block, **form.cleaned_data)
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error), edited=(block.pk, form))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def block_minutes(request: HtmxHttpRequest, pk: int, block_pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    block = access_block(workshop, block_pk)
    form = MinutesForm(request.POST)
    if not form.is_valid():
        return _agenda_response(request, workshop, error=" ".join(form.errors["minutes"]))
    try:
        services.block_set_minutes(block=block, minutes=form.cleaned_data["minutes"])
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def block_remove(request: HtmxHttpRequest, pk: int, block_pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    block = access_block(workshop, block_pk)
    try:
        services.block_remove(block=block)
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def block_duplicate(request: HtmxHttpRequest, pk: int, block_pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    block = access_block(workshop, block_pk)
    try:
        services.block_duplicate(block=block)
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def block_move(request: HtmxHttpRequest, pk: int, block_pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    block = access_block(workshop, block_pk)
    delta = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if delta is None:
        return _agenda_response(request, workshop, error=_("Movimiento no válido."))
    try:
        services.block_move(block=block, delta=delta)
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def blocks_reorder(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The order after a drag and drop: `order` is the block ids joined by commas and
    `version` the agenda version the page was drawn from."""
    workshop = access_workshop(request.organisation, pk)
    try:
        block_ids = [int(part) for part in request.POST.get("order", "").split(",")]
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _agenda_response(
            request,
            workshop,
            error=_("El orden enviado no corresponde a los bloques de esta sesión."),
        )
    try:
        services.blocks_reorder(workshop=workshop, block_ids=block_ids, version=version)
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_GET
@facilitator_required
def question_picker(request: HtmxHttpRequest, pk: int, block_pk: int) -> HttpResponse:
    """Bank questions to add to a block; the phase filter starts at the block's kind."""
    organisation = request.organisation
    workshop = access_workshop(organisation, pk)
    block = access_block(workshop, block_pk)
    data = request.GET if "phase" in request.GET else {"phase": block.kind.slug}
    form = QuestionFilterForm(data, organisation=organisation, auto_id="picker-%s")
    form.is_valid()
    invited = list(workshop.invited.values_list("area__slug", flat=True))
    questions = selectors.question_search(
        organisation=organisation, taking_part=invited, **form.search_kwargs()
    )
    names = services.area_names(workshop)
    shown = list(questions[:40])
    for question in shown:  # {slug} tokens read as this organisation's area names
        question.text = method.render_areas(question.text, names)
    context = {
        "workshop": workshop,
        "picker_block": block,
        "picker_form": form,
        "questions": shown,
        "question_total": questions.count(),
        "write_form": QuestionWriteForm(),
    }
    if request.htmx and request.htmx.target == "picker-results":
        return render(request, "workshops/workshop_builder.html#picker-results", context)
    if request.htmx:
        return render(request, "workshops/workshop_builder.html#picker", context)
    return render(
        request, "workshops/workshop_builder.html", {**_agenda_context(workshop), **context}
    )


@require_POST
@facilitator_required
def block_question_add(request: HtmxHttpRequest, pk: int, block_pk: int) -> HttpResponse:
    organisation = request.organisation
    workshop = access_workshop(organisation, pk)
    block = access_block(workshop, block_pk)
    question_pk = request.POST.get("question", "")
    if not question_pk.isdigit():
        raise Http404
    question = access_question(organisation, question_pk)
    try:
        services.block_question_add(block=block, question=question)
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def block_question_write(request: HtmxHttpRequest, pk: int, block_pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    block = access_block(workshop, block_pk)
    form = QuestionWriteForm(request.POST)
    if not form.is_valid():
        return _agenda_response(request, workshop, error=" ".join(form.errors["text"]))
    try:
        services.block_question_write(
            block=block,
            text=form.cleaned_data["text"],
            save_to_bank=form.cleaned_data["save_to_bank"],
            created_by=request.user,
        )
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)


@require_POST
@facilitator_required
def block_question_remove(
    request: HtmxHttpRequest, pk: int, block_pk: int, question_pk: int
) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    block = access_block(workshop, block_pk)
    block_question = access_block_question(block, question_pk)
    try:
        services.block_question_remove(block_question=block_question)
    except services.AgendaError as error:
        return _agenda_response(request, workshop, error=_refused(error))
    return _agenda_response(request, workshop)
