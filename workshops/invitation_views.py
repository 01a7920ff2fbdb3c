"""Invitation pages (issue 14): inviting (managers on the members page, facilitators on a
page of their own), re-sending and revoking, and the public page an invitation link opens."""

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from config.room import public_url
from config.throttle import Throttle, client_address
from workshops import invitations
from workshops.access import activate_organisation, member_required
from workshops.auth import BACKEND
from workshops.invitation_forms import AcceptForm, InvitationForm
from workshops.models import Invitation, Membership
from workshops.people_forms import THROTTLED

logger = logging.getLogger(__name__)

# Forged links answer "not found"; links that were real once answer "gone".
PROBLEM_STATUS = {
    invitations.Problem.INVALID: 404,
    invitations.Problem.EXPIRED: 410,
    invitations.Problem.REVOKED: 410,
    invitations.Problem.USED: 410,
}


def accept_throttle() -> Throttle:
    """Failed accepts per address, with the login's limits."""
    return Throttle("invitation", settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_SECONDS)


def panel(request: HttpRequest, form: InvitationForm | None = None) -> dict[str, Any]:
    """The invite form and the open invitations the member manages: the members page and
    the invitations page show them alike (workshops/_invitations.html)."""
    return {
        "invitation_form": form or InvitationForm(),
        "invitations": invitations.open_invitations(request.membership),
        "invitation_days": settings.INVITATION_DAYS,
    }


def _back(membership: Membership) -> str:
    return reverse("member_list") if membership.is_manager else reverse("invitations")


@never_cache  # the page shows the link itself: no copy of it in any cache
def _sent(
    request: HttpRequest, invitation: Invitation, token: str, *, resent: bool
) -> HttpResponse:
    """Email the link; when this Puente delivers no mail (the laptop's console), or the mail
    server failed, show it to the inviter, on this response only (the token is not stored)."""
    link = public_url(request, invitations.invitation_url(token))
    try:
        invitations.invitation_email(invitation=invitation, token=token, link=link)
    except Exception:  # noqa: BLE001 - a mail server's failure, whatever its kind
        logger.warning("Invitation email failed for invitation %s", invitation.pk, exc_info=True)
        failed = True
    else:
        failed = False
    if not failed and invitations.mail_delivers():
        if resent:
            text = _("Reenviamos la invitación a %(email)s con un enlace nuevo.")
        else:
            text = _("Enviamos la invitación a %(email)s.")
        messages.success(request, text % {"email": invitation.email})
        return redirect(_back(request.membership))
    context = {
        "invitation": invitation,
        "role": invitations.role_label(invitation),
        "link": link,
        "failed": failed,
        "resent": resent,
        "back": _back(request.membership),
    }
    return render(request, "workshops/invitation_sent.html", context)


@require_http_methods(["GET", "POST"])
@member_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Facilitators' page to invite facilitators and follow their invitations; managers do
    this on the members page, where a GET sends them (a refused form shows here)."""
    membership = request.membership
    form = InvitationForm(request.POST or None)
    if request.method == "GET" and membership.is_manager:
        return redirect(reverse("member_list") + "#invitations")
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = invitations.invite(
                organisation=request.organisation, invited_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _sent(request, invitation, token, resent=False)
    return render(request, "workshops/invitations.html", panel(request, form))


@require_POST
@member_required
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = invitations.access_invitation(request.membership, pk)
    try:
        token = invitations.resend(invitation=invitation, inviter=request.membership)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_back(request.membership))
    return _sent(request, invitation, token, resent=True)


@require_POST
@member_required
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = invitations.access_invitation(request.membership, pk)
    try:
        invitations.revoke(invitation=invitation)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Anulaste la invitación para %(email)s: su enlace ya no sirve.")
            % {"email": invitation.email},
        )
    return redirect(_back(request.membership))


def _problem_page(request: HttpRequest, problem: invitations.Problem) -> HttpResponse:
    """The same page for every address: it never tells whether an email has an account."""
    return render(
        request,
        "registration/invitation_problem.html",
        {"problem": problem.value},
        status=PROBLEM_STATUS[problem],
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link's page: a new account (name and password), or, for an address that has an
    account, log in and confirm. Failed POSTs count against the address, like logins; once
    blocked, a POST changes nothing and says why."""
    throttle, address = accept_throttle(), client_address(request)
    posted = request.method == "POST"
    blocked = posted and throttle.is_blocked(address)
    found = invitations.lookup(token)
    if found.problem is not None:
        if posted:
            throttle.fail(address)
        return _problem_page(request, found.problem)
    invitation = found.invitation
    assert invitation is not None  # noqa: S101 - a lookup without a problem has one
    context: dict[str, Any] = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "role": invitations.role_label(invitation),
        "error": THROTTLED if blocked else "",
    }
    if request.user.is_authenticated:
        if not invitations.is_addressee(invitation, request.user):
            return _accept_page(request, context, "other")
        if posted and not blocked:
            try:
                membership = invitations.accept_existing(invitation=invitation, user=request.user)
            except ValidationError as error:
                throttle.fail(address)
                context["error"] = " ".join(error.messages)
            else:
                return _welcome(request, membership)
        return _accept_page(request, context, "confirm")
    if invitations.account_exists(invitation.email):
        # They log in first and come back here to confirm, or accept here with the
        # account's password (the only way for someone with no active membership left).
        context["login_url"] = f"{reverse('login')}?{urlencode({'next': request.path})}"
        if posted and not blocked:
            user = invitations.account_with_password(invitation, request.POST.get("password", ""))
            if user is None:
                throttle.fail(address)
                context["error"] = _(
                    "Esa no es la contraseña de tu cuenta. Revísala e inténtalo de nuevo."
                )
            else:
                try:
                    membership = invitations.accept_existing(invitation=invitation, user=user)
                except ValidationError as error:
                    throttle.fail(address)
                    context["error"] = " ".join(error.messages)
                else:
                    login(request, user, backend=BACKEND)
                    return _welcome(request, membership)
        return _accept_page(request, context, "login")
    if blocked:
        form = AcceptForm(initial={k: request.POST.get(k, "") for k in ("first_name", "last_name")})
    else:
        form = AcceptForm(request.POST or None)
    if posted and not blocked:
        if form.is_valid():
            try:
                membership = invitations.accept_new_account(
                    invitation=invitation, **form.service_fields()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                login(request, membership.user, backend=BACKEND)
                return _welcome(request, membership)
        throttle.fail(address)
    return _accept_page(request, context | {"form": form}, "new")


def _accept_page(request: HttpRequest, context: dict[str, Any], step: str) -> HttpResponse:
    return render(request, "registration/invitation_accept.html", context | {"step": step})


def _welcome(request: HttpRequest, membership: Membership) -> HttpResponse:
    activate_organisation(request, membership.organisation)
    messages.success(
        request,
        _("Te damos la bienvenida a %(organisation)s. Ya puedes trabajar aquí como %(role)s.")
        % {
            "organisation": membership.organisation.name,
            "role": invitations.role_label(membership),
        },
    )
    return redirect("home")
