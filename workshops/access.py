"""Who may see what. Every object a user names is fetched through these helpers, scoped to
the caller's organisation, so "does not exist" and "not yours" both answer 404."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from workshops.models import (
    Area,
    Block,
    BlockQuestion,
    ChecklistItem,
    Membership,
    Organisation,
    Question,
    Workshop,
)

# The organisation a person is working in, when they belong to several (issue 14): kept in
# their session, chosen after login and from the header. Every page, query, export, websocket
# and email is scoped to it, as it was to a person's one organisation before.
ACTIVE_ORGANISATION_KEY = "puente.organisation"
_UNSET = object()


def active_memberships(user: Any) -> list[Membership]:
    """A person's active memberships, their organisations' names in order."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organisation")
        .defer("organisation__logo")  # the image's bytes: read only by the logo's own view
        .order_by("organisation__name", "organisation__pk")
    )


def memberships_of(request: HttpRequest) -> list[Membership]:
    """The signed-in person's active memberships, read once per request."""
    cached = getattr(request, "_puente_memberships", _UNSET)
    if cached is _UNSET:
        cached = active_memberships(getattr(request, "user", None))
        request._puente_memberships = cached  # type: ignore[attr-defined]
    return cached  # type: ignore[return-value]


def membership_of(request: HttpRequest) -> Membership | None:
    """The membership of the organisation the person is working in: the one chosen in this
    session, else their first (by name). None for visitors and for people with no active
    membership."""
    memberships = memberships_of(request)
    if not memberships:
        return None
    chosen = request.session.get(ACTIVE_ORGANISATION_KEY) if hasattr(request, "session") else None
    for membership in memberships:
        if membership.organisation_id == chosen:
            return membership
    return memberships[0]


def activate_organisation(request: HttpRequest, organisation: Organisation) -> Membership:
    """Make one of the person's organisations the active one (Http404 if they are not an
    active member of it: «not yours» and «does not exist» answer alike). Reads the
    memberships afresh: one may have just been added (an accepted invitation)."""
    request.__dict__.pop("_puente_memberships", None)
    for membership in memberships_of(request):
        if membership.organisation_id == organisation.pk:
            request.session[ACTIVE_ORGANISATION_KEY] = organisation.pk
            _use(request, membership)
            return membership
    raise Http404


def _use(request: HttpRequest, membership: Membership) -> None:
    request.membership = membership  # type: ignore[attr-defined]
    request.organisation = membership.organisation  # type: ignore[attr-defined]
    timezone.activate(membership.organisation.zone)


# Every staff page names its organisation (templates/_base.html): htmx requests carry it in
# this header, forms in this field (static/js/page-organisation.js adds it on submit).
PAGE_ORGANISATION_HEADER = "X-Puente-Organisation"
PAGE_ORGANISATION_FIELD = "puente_organisation"


def _page_membership(request: HttpRequest) -> Membership | None:
    """The membership of the organisation the requesting page was drawn for, when the request
    names one; Http404 when it names one that is not an active organisation of hers."""
    raw = request.headers.get(PAGE_ORGANISATION_HEADER)
    if raw is None and request.method == "POST":
        raw = request.POST.get(PAGE_ORGANISATION_FIELD)
    if raw is None or raw == "":
        return None
    try:
        organisation_id = int(raw)
    except ValueError:
        raise Http404 from None
    for membership in memberships_of(request):
        if membership.organisation_id == organisation_id:
            return membership
    raise Http404


def _follow_a_form(request: HttpRequest, page: Membership) -> None:
    """A form sent (not htmx) from a page of another organisation than the active one: its
    answer, and the page after it, are that organisation's, so it becomes the active one, and
    the person is told. An htmx request changes a piece of its own page and nothing else."""
    if request.method != "POST" or request.headers.get("HX-Request"):
        return
    active = membership_of(request)
    if active is None or active.organisation_id == page.organisation_id:
        return
    request.session[ACTIVE_ORGANISATION_KEY] = page.organisation_id
    messages.info(
        request,
        _(
            "Ese formulario era de %(organisation)s: ahora estás trabajando en esa "
            "organización (antes estabas en %(previous)s)."
        )
        % {"organisation": page.organisation.name, "previous": active.organisation.name},
    )


def _role_required(check: Callable[[Membership], bool]) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            page = _page_membership(request)
            if page is not None:
                # A request from a page of one of her organisations (a form, an htmx poll or
                # button) acts in that page's organisation, whatever another tab made active
                # since.
                if not check(page):
                    raise Http404
                _follow_a_form(request, page)
                _use(request, page)
                return view(request, *args, **kwargs)
            membership = membership_of(request)
            if membership is None or not check(membership):
                # Not a member with this role: the page does not exist for them.
                raise Http404
            _use(request, membership)
            others = [m for m in memberships_of(request) if m.pk != membership.pk and check(m)]
            if not others or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            return _view_in_own_organisations(request, view, membership, others, args, kwargs)

        return wrapper

    return decorator


def _view_in_own_organisations(
    request: HttpRequest,
    view: Callable[..., HttpResponse],
    active: Membership,
    others: list[Membership],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> HttpResponse:
    """A link to an object of another of the person's organisations (a live session, an
    acta, an agreement) opens it in that organisation and says so; one of no organisation of
    theirs answers 404. Only for reading (GET, HEAD): a form sent from a page of another
    organisation never acts there. Each attempt runs in a transaction rolled back by its
    404, so a view that wrote something before failing leaves nothing behind."""
    try:
        with transaction.atomic():
            return view(request, *args, **kwargs)
    except Http404:
        pass
    for membership in others:
        _use(request, membership)
        # Read by the navigation, which names the organisation now active and says why.
        request.switched_from = active.organisation  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
        except Http404:
            continue
        request.session[ACTIVE_ORGANISATION_KEY] = membership.organisation_id
        return response
    del request.switched_from  # type: ignore[attr-defined]
    _use(request, active)
    raise Http404


member_required = _role_required(lambda m: True)
facilitator_required = _role_required(lambda m: m.is_facilitator)
manager_required = _role_required(lambda m: m.is_manager)


def access_question(organisation: Organisation, pk: int | str) -> Question:
    """A question the organisation can read: the library's or its own."""
    return get_object_or_404(
        Question.objects.visible_to(organisation).select_related("phase"), pk=pk
    )


def access_own_question(organisation: Organisation, pk: int | str) -> Question:
    """One of the organisation's own questions (the only ones it may change)."""
    return get_object_or_404(Question, organisation=organisation, pk=pk)


def access_membership(organisation: Organisation, pk: int | str) -> Membership:
    """A member of this organisation (another organisation's member answers 404)."""
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"), organisation=organisation, pk=pk
    )


def access_area(organisation: Organisation, pk: int | str) -> Area:
    return get_object_or_404(Area, organisation=organisation, pk=pk)


def access_workshop(organisation: Organisation, pk: int | str) -> Workshop:
    return get_object_or_404(
        Workshop.objects.select_related("organisation", "facilitator"),
        organisation=organisation,
        pk=pk,
    )


def access_block(workshop: Workshop, pk: int | str) -> Block:
    """A block of this session (a block of another session answers 404)."""
    return get_object_or_404(
        Block.objects.select_related("kind", "workshop"), workshop=workshop, pk=pk
    )


def access_block_question(block: Block, pk: int | str) -> BlockQuestion:
    return get_object_or_404(BlockQuestion, block=block, pk=pk)


def access_checklist_item(workshop: Workshop, pk: int | str) -> ChecklistItem:
    return get_object_or_404(ChecklistItem, workshop=workshop, pk=pk)
