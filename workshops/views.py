"""Pages of the foundation: home, the method library, the question bank, organisation."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from workshops import selectors, services
from workshops.access import (
    access_area,
    access_checklist_item,
    access_own_question,
    access_question,
    access_workshop,
    facilitator_required,
    manager_required,
    member_required,
)
from workshops.forms import (
    AreaForm,
    ChecklistItemForm,
    LoginForm,
    OrganisationForm,
    QuestionFilterForm,
    QuestionForm,
)
from workshops.models import Workshop


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@require_GET
@member_required
def home(request: HtmxHttpRequest) -> HttpResponse:
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
        data = form.cleaned_data
        question = services.question_create(
            organisation=organisation,
            created_by=request.user,
            text=data["text"],
            phase=data["phase"],
            area_slugs=data["areas"],
            principles=list(data["principles"]),
            tone=data["tone"],
            theme=data["theme"],
            intent=data["intent"],
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
        data = form.cleaned_data
        services.question_update(
            question=question,
            text=data["text"],
            phase=data["phase"],
            area_slugs=data["areas"],
            principles=list(data["principles"]),
            tone=data["tone"],
            theme=data["theme"],
            intent=data["intent"],
        )
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
    area_form = AreaForm(organisation=organisation, prefix="area")
    if request.method == "POST" and form.is_valid():
        services.organisation_update(
            organisation=organisation,
            name=form.cleaned_data["name"],
            time_zone=form.cleaned_data["time_zone"],
        )
        messages.success(request, _("Datos de la organización guardados."))
        return redirect("organisation_settings")
    return render(
        request,
        "workshops/organisation.html",
        {"form": form, "area_form": area_form, "areas": organisation.areas.all()},
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
    form = OrganisationForm(instance=organisation, prefix="org")
    return render(
        request,
        "workshops/organisation.html",
        {"form": form, "area_form": area_form, "areas": organisation.areas.all()},
    )


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
