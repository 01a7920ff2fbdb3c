"""Who may see which live session. Shared by views and consumers."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from facilitation.models import LiveSession, Participant
from workshops.models import Membership, Organisation

SESSION_KEY = "puente.participant.{live_id}"


def access_live(organisation: Organisation, pk: int | str) -> LiveSession:
    return get_object_or_404(
        LiveSession.objects.select_related("workshop__organisation", "current_block"),
        workshop__organisation=organisation,
        pk=pk,
    )


def access_in_live[M: Model](model: type[M], live: LiveSession, pk: int | str) -> M:
    """A contribution, participant or agreement of this live session; anything else, or a
    malformed id, answers 404."""
    return get_object_or_404(model, live=live, pk=pk)


def facilitator_live_for_user(
    user: AbstractBaseUser | AnonymousUser | None, live_id: int | str
) -> LiveSession | None:
    if user is None or not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user=user, is_facilitator=True).first()
    if membership is None:
        return None
    return LiveSession.objects.filter(
        pk=live_id, workshop__organisation=membership.organisation
    ).first()


def remember_participant(request: HttpRequest, participant: Participant) -> None:
    request.session[SESSION_KEY.format(live_id=participant.live_id)] = participant.pk


def participant_from_request(request: HttpRequest, live: LiveSession) -> Participant | None:
    return _participant(live, request.session)


def live_for_token(token: str) -> LiveSession | None:
    """The live session behind a participant link (the QR code's long random token)."""
    if not token or len(token) > 64:
        return None
    return (
        LiveSession.objects.select_related("workshop__organisation", "current_block")
        .filter(qr_token=token)
        .first()
    )


def participant_for_session(token: str, session: Any) -> tuple[LiveSession, Participant] | None:
    """The websocket's live session and participant, from the link's token and the identity
    kept in the Django session; None if not joined, removed or closed."""
    live = live_for_token(token)
    if live is None or not live.is_open or session is None:
        return None
    participant = _participant(live, session)
    if participant is None or participant.removed_at is not None:
        return None
    return live, participant


def _participant(live: LiveSession, session: Any) -> Participant | None:
    pk = session.get(SESSION_KEY.format(live_id=live.pk))
    if pk is None:
        return None
    return Participant.objects.select_related("area").filter(pk=pk, live=live).first()
