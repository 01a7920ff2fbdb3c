"""Pages for people and accounts (issue 14): the first-run setup, password change and reset
(Django's own views and forms in Puente's templates), and the members page for managers."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.room import is_loopback_host, public_base_url
from workshops import invitation_views, people
from workshops.access import (
    access_membership,
    activate_organisation,
    manager_required,
    membership_of,
    memberships_of,
)
from workshops.auth import BACKEND
from workshops.people_forms import (
    MemberActiveForm,
    MemberRolesForm,
    NewPasswordForm,
    SetupForm,
    ThrottledPasswordChangeForm,
    ThrottledPasswordResetForm,
)

SETUP_SESSION_KEY = "setup_allowed"
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def _may_set_up(request: HttpRequest) -> bool:
    """Who may claim a fresh installation: the laptop's own browser (a direct request from
    loopback), or whoever opens the link with the key `make run` prints (seed_demo). On a
    laptop serving the room, another device on the venue's Wi-Fi cannot; behind nginx every
    request comes from loopback, but with a forwarding header, so the key is needed."""
    if request.session.get(SETUP_SESSION_KEY):
        return True
    key = request.GET.get("clave", "")
    if key and constant_time_compare(key, people.setup_key()):
        request.session[SETUP_SESSION_KEY] = True
        return True
    direct = not any(header in request.META for header in PROXY_HEADERS)
    return direct and is_loopback_host(request.META.get("REMOTE_ADDR", ""))


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """The first run: open until the installation has its organisation, then gone for good
    (404); only from the laptop itself or with the printed key."""
    if not people.setup_is_open():
        raise Http404
    if not _may_set_up(request):
        return render(request, "registration/setup_locked.html", status=403)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = people.organisation_setup(**form.service_fields())
        except people.SetupClosed:
            raise Http404 from None
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, membership.user, backend=BACKEND)
            messages.success(
                request,
                _("Listo: %(name)s quedó creada y ya entraste con tu cuenta.")
                % {"name": membership.organisation.name},
            )
            return redirect("home")
    return render(request, "registration/setup.html", {"form": form})


class _RequestFormMixin:
    """Hands the request to the throttled forms (they count per address)."""

    request: HttpRequest

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()  # type: ignore[misc]
        kwargs["request"] = self.request
        return kwargs


class PasswordChangeView(_RequestFormMixin, auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


class PasswordResetView(_RequestFormMixin, auth_views.PasswordResetView):
    """Answers the same whether the email has an account or not (Django's behaviour)."""

    form_class = ThrottledPasswordResetForm
    template_name = "registration/password_reset_form.html"
    subject_template_name = "registration/password_reset_subject.txt"
    email_template_name = "registration/password_reset_email.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: BaseForm) -> HttpResponse:
        # The address the reader's phone or laptop reaches (config/room.py), not the one
        # this browser happened to use (127.0.0.1 on the facilitator's laptop).
        self.extra_email_context = {"base_url": public_base_url(self.request)}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "registration/password_reset_confirm.html"
    # The path that stands in for the token once checked (Spanish, like every other URL).
    reset_url_token = "nueva-clave"  # noqa: S105 (a URL segment, not a password)
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


@require_GET
@manager_required
def member_list(request: HttpRequest) -> HttpResponse:
    members = people.organisation_members(organisation=request.organisation)
    # The invite form and the open invitations (invitation_views.panel).
    context = {"members": members, **invitation_views.panel(request)}
    return render(request, "workshops/members.html", context)


@require_POST
@manager_required
def member_roles(request: HttpRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.organisation, pk)
    form = MemberRolesForm(request.POST)
    form.is_valid()  # two checkboxes: always valid
    try:
        people.member_set_roles(membership=membership, **form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Roles de %(name)s guardados.") % {"name": _display_name(membership)},
        )
    return redirect("member_list")


@require_POST
@manager_required
def member_active(request: HttpRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.organisation, pk)
    form = MemberActiveForm(request.POST)
    if not form.is_valid():
        return redirect("member_list")
    active = form.cleaned_data["active"]
    try:
        people.member_set_active(membership=membership, active=active)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("member_list")
    name = _display_name(membership)
    if active:
        messages.success(
            request,
            _("%(name)s vuelve a tener acceso a %(organisation)s.")
            % {"name": name, "organisation": membership.organisation.name},
        )
    else:
        messages.success(
            request,
            _("%(name)s ya no tiene acceso a %(organisation)s. Lo que hizo en Puente se conserva.")
            % {"name": name, "organisation": membership.organisation.name},
        )
        if membership.user_id == request.user.pk:
            # Their own access here has just ended: their next organisation, or the login.
            return redirect("home")
    return redirect("member_list")


def _display_name(membership: Any) -> str:
    return membership.user.get_full_name() or membership.user.get_username()


def _safe_next(request: HttpRequest, raw: str) -> str:
    if raw and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return reverse("home")


@require_http_methods(["GET", "POST"])
@login_required
def organisation_choose(request: HttpRequest) -> HttpResponse:
    """Which of their organisations a person works in (issue 14): after logging in when they
    have several, and from the header's switcher. One they are not an active member of
    answers 404."""
    memberships = memberships_of(request)
    if not memberships:
        raise Http404
    if request.method == "POST":
        try:
            organisation_id = int(request.POST.get("organisation", ""))
        except ValueError:
            raise Http404 from None
        membership = next((m for m in memberships if m.organisation_id == organisation_id), None)
        if membership is None:
            raise Http404
        activate_organisation(request, membership.organisation)
        messages.success(
            request,
            _("Ahora estás trabajando en %(organisation)s.")
            % {"organisation": membership.organisation.name},
        )
        # The header's switcher sends no «next»: the new organisation's home, never the page
        # of the one just left.
        return redirect(_safe_next(request, request.POST.get("next", "")))
    return render(
        request,
        "workshops/organisation_choose.html",
        {
            "memberships": memberships,
            "current": membership_of(request),
            "next": _safe_next(request, request.GET.get("next", "")),
        },
    )
