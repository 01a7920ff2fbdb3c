"""Who may see which live session. Shared by views and consumers."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Model
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.crypto import salted_hmac

from config.throttle import Throttle, client_address
from facilitation import services
from facilitation.models import LiveSession, Participant
from workshops.models import Membership, Organisation

SESSION_KEY = "puente.participant.{live_id}"

# Typed join codes. A venue's Wi-Fi puts a whole room behind one address, so a budget of wrong
# codes per address alone would let a few people mistyping, or one prankster, lock the room
# out of its own session. Instead:
# - Under the budget, every code is looked up.
# - Over it, a code is looked up only if someone at this address has already reached its
#   session: typed it while under the budget, or opened its link (the QR code, a long
#   random token). So the room keeps joining with its code once one phone is in, and the
#   QR code always works. Any other code gets the same refusal with no look-up at all (the
#   same reply, and no query whose timing could tell a live code from a wrong one).
# - A failure budget per (address, browser) was the alternative; rejected because cookies
#   cost nothing: each new one would be a new budget for a guesser, so a per-address
#   ceiling would still be needed, and a scripted prankster exhausts that as easily. What
#   a prankster cannot exhaust is knowing the session.
# What a guesser behind one address gets: 30 looked-up codes per 5 minutes, 360 an hour.
# Codes are JOIN_CODE_LENGTH (8) symbols of a 31-symbol alphabet: 31**8 ≈ 8.5e11. Sessions
# are open one per workshop until closed (nothing caps them; a forgotten one stays open);
# even with 1,000 open at once, an hour of guessing hits one with probability
# 360 * 1000 / 8.5e11 ≈ 4e-7, and a year of it (8,760 hours) ≈ 4e-3; with 100 open, 4e-4
# a year. Reached sessions add nothing to a guesser: only sessions someone at the same
# address already knows, whose code is on the room's screen anyway.
JOIN_THROTTLE = Throttle("join", max_failures=30, window_seconds=300)
REACHED_SECONDS = 8 * 60 * 60  # a workshop day; refreshed whenever the page is opened


class JoinThrottled(Exception):
    """Too many wrong codes from this address, and the code typed names no session reached
    from it."""


def _reached_key(address: str, code: str) -> str:
    # An HMAC: the cache holds neither the address next to a code nor the code itself.
    digest = salted_hmac("facilitation.join-reached", f"{address}:{code}", algorithm="sha256")
    return f"join-reached:{digest.hexdigest()[:32]}"


def remember_reached(request: HttpRequest, live: LiveSession) -> None:
    """Someone at this request's address has reached this open session (its code or its
    link): its code keeps opening it from here even when the address is throttled."""
    cache.set(_reached_key(client_address(request), live.join_code), 1, REACHED_SECONDS)


def live_for_typed_code(request: HttpRequest, raw_code: str) -> LiveSession | None:
    """The open session a typed code names, or None (a wrong code, counted against the
    address). Raises JoinThrottled, changing nothing, when the address is over its budget
    and nobody at it has reached that code's session."""
    address = client_address(request)
    code = services.normalise_code(raw_code)
    if JOIN_THROTTLE.is_blocked(address) and not cache.get(_reached_key(address, code)):
        raise JoinThrottled
    live = services.live_for_code(code)
    if live is None:
        JOIN_THROTTLE.fail(address)
        return None
    remember_reached(request, live)
    return live


def access_live(organisation: Organisation, pk: int | str) -> LiveSession:
    return get_object_or_404(
        LiveSession.objects.select_related("workshop__organisation", "current_block").defer(
            "workshop__organisation__logo"
        ),
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
    """The live session behind a staff socket, if the user is an active facilitator of its
    organisation (a person may facilitate for several: the socket belongs to the session's
    organisation, the one the page that opened it was scoped to). Also asked again on the
    staff's heartbeats, so a facilitator deactivated meanwhile loses the room."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    try:
        live_pk = int(live_id)
    except (TypeError, ValueError):
        return None
    facilitates = Membership.objects.filter(user=user, is_facilitator=True, is_active=True).values(
        "organisation_id"
    )
    return LiveSession.objects.filter(pk=live_pk, workshop__organisation_id__in=facilitates).first()


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
        .defer("workshop__organisation__logo")
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
