"""Getting the room's phones to the session (issue 13): printable join cards for the tables,
and a public page a phone opens to check that it reaches the facilitator's laptop.

Every address printed or encoded here comes from `config.room.public_url`: the laptop's
network address, never the loopback one the facilitator's own browser may be using.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.room import public_url, room_status
from facilitation.access import access_live
from facilitation.views import _participant_url, _qr_svg
from workshops.access import facilitator_required

JOIN_CARDS_DEFAULT = 8  # one sheet: two columns of four on A4 or Letter
JOIN_CARDS_MAX = 60  # a full room, one card each
ECHO_ROUNDS = 5  # round trips the connection test measures (its median is shown)


def _card_count(raw: str | None) -> int:
    """?n= as a number of cards; anything else (missing, not a number, out of 1–60) is the
    default sheet."""
    try:
        count = int(raw or "")
    except ValueError:
        return JOIN_CARDS_DEFAULT
    return count if 1 <= count <= JOIN_CARDS_MAX else JOIN_CARDS_DEFAULT


@require_GET
@facilitator_required
def join_cards(request: HttpRequest, live_id: int) -> HttpResponse:
    """A sheet of identical cards for the tables: the join code, a QR code of the
    participants' link and the address to type it at. Only what any participant may know:
    never the control room's or the projector's address, nor an owner's link."""
    live = access_live(request.organisation, live_id)
    count = _card_count(request.GET.get("n"))
    context = {
        "live": live,
        "organisation": live.workshop.organisation,
        "count": count,
        "max_count": JOIN_CARDS_MAX,
        "room": room_status(request),
    }
    if live.is_open:
        context.update(
            cards=range(count),
            join_url=public_url(request, reverse("join")),
            qr_svg=_qr_svg(_participant_url(request, live)),
        )
    return render(request, "facilitation/join_cards.html", context)


@require_GET
@facilitator_required
def connection_test_qr(request: HttpRequest) -> HttpResponse:
    """The connection test's address as a QR image, for the control room (the facilitator
    scans it with a phone before the room arrives)."""
    svg = _qr_svg(public_url(request, reverse("connection_test")))
    return HttpResponse(svg, content_type="image/svg+xml")


@require_GET
def connection_test(request: HttpRequest) -> HttpResponse:
    """Public: a phone that shows this page has reached the laptop. The script on it then
    measures round trips to `connection_echo`; without it the page alone is the answer."""
    return render(
        request,
        "facilitation/connection_test.html",
        {"rounds": ECHO_ROUNDS, "host": request.get_host()},
    )


@never_cache
@require_GET
def connection_echo(request: HttpRequest) -> HttpResponse:
    """An empty answer for timing a round trip; never cached, so each one reaches the server."""
    return HttpResponse(status=204)
