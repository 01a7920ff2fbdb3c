"""Who may see what. Every object a user names is fetched through these helpers, scoped to
the caller's organisation, so "does not exist" and "not yours" both answer 404."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

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


def membership_of(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def _role_required(check: Callable[[Membership], bool]) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_of(request)
            if membership is None or not check(membership):
                # Not a member with this role: the page does not exist for them.
                raise Http404
            request.membership = membership  # type: ignore[attr-defined]
            request.organisation = membership.organisation  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


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
