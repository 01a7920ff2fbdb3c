"""Personal data of a session's participants (Ley 1581 de 2012): who took part, and erasing
one person's data when they ask. Facilitators and managers of the organisation only."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from facilitation import retention
from facilitation.access import access_in_live, access_live
from facilitation.forms import EraseParticipantForm
from facilitation.models import Participant
from workshops.access import member_required


@require_GET
@member_required
def session_people(request: HttpRequest, live_id: int) -> HttpResponse:
    live = access_live(request.organisation, live_id)
    people = live.participants.select_related("area").order_by("area__position", "name", "id")
    return render(
        request,
        "facilitation/people.html",
        {"live": live, "people": people, "erase_due": retention.erase_due(live)},
    )


@require_http_methods(["GET", "POST"])
@member_required
def participant_erase(request: HttpRequest, live_id: int, participant_id: int) -> HttpResponse:
    """GET: what erasing this person's data does and does not do; POST: erase it."""
    live = access_live(request.organisation, live_id)
    participant = access_in_live(Participant, live, participant_id)
    if request.method == "POST" and participant.erased_at is not None:
        messages.info(request, _("Los datos de esta persona ya estaban borrados."))
        return redirect("session_people", live_id=live.pk)
    form = EraseParticipantForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        erased = retention.erase_participant(participant=participant, actor=request.user)
        message = _(
            "Se borraron el nombre y los textos de esta persona: ahora aparece como «%(label)s»."
        ) % {"label": retention.erased_name()}
        if erased.retired:
            message += " " + _("También quedó retirada de la sesión.")
        messages.success(request, message)
        return redirect("session_people", live_id=live.pk)
    return render(
        request,
        "facilitation/participant_erase.html",
        {
            "live": live,
            "participant": participant,
            "form": form,
            "linked": retention.linked_texts(participant),
            "erased_label": retention.erased_name(),
        },
        status=400 if form.errors else 200,
    )
