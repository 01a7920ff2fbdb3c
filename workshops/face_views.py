"""The organisation's face (issue 14): its logo served to its members, and the manager's
upload and removal on the organisation page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from workshops import face
from workshops.access import manager_required, memberships_of
from workshops.forms import LogoForm
from workshops.views import HtmxHttpRequest, organisation_page

# The address names the logo's version, so a stored copy never goes stale: a new logo has a
# new address. "private": shared caches (a proxy) keep none, only the member's browser.
LOGO_CACHE_CONTROL = "private, max-age=31536000, immutable"


@require_GET
def organisation_logo(request: HtmxHttpRequest, pk: int, version: int) -> HttpResponse:
    """The logo, for the signed-in active members of that organisation only (a person may
    belong to several, and each page names the logo of the organisation it shows). Anyone
    else, an old version or no logo: 404, as for anything that is not theirs."""
    organisation = next(
        (m.organisation for m in memberships_of(request) if m.organisation_id == pk), None
    )
    if (
        organisation is None
        or organisation.logo is None
        or not organisation.logo_content_type
        or organisation.logo_version != version
    ):
        raise Http404
    response = HttpResponse(bytes(organisation.logo), content_type=organisation.logo_content_type)
    response["Cache-Control"] = LOGO_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_POST
@manager_required
def organisation_logo_upload(request: HtmxHttpRequest) -> HttpResponse:
    logo_form = LogoForm(request.POST, request.FILES, prefix="logo")
    if logo_form.is_valid():
        try:
            face.organisation_logo_set(
                organisation=request.organisation, upload=logo_form.cleaned_data["logo"]
            )
        except ValidationError as error:
            logo_form.add_error("logo", error)
        else:
            messages.success(
                request, _("Logo guardado. Ya aparece en el proyector, el guion y el acta.")
            )
            return redirect("organisation_settings")
    return organisation_page(request, logo_form=logo_form)


@require_POST
@manager_required
def organisation_logo_remove(request: HtmxHttpRequest) -> HttpResponse:
    face.organisation_logo_remove(organisation=request.organisation)
    messages.success(request, _("Logo quitado. La sala verá el nombre de tu organización."))
    return redirect("organisation_settings")
