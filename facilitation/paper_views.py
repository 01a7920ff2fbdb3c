"""The paper page (issue 13): the staff adds people without a smartphone and enters, for one
of them at a time, what a phone would send in the current block. Usable from the control
room's laptop or from a co-facilitator's phone (any facilitator of the organisation).

The chosen person is kept in the staff's session (chosen with a POST) and travels in each
entry's form body, never in an address: an access log (daphne's, nginx's) writes addresses,
and «person 17's panel, then a card» would name an anonymous card's author. An anonymous
card's row never names them either (facilitation/paper.py)."""

import secrets
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from facilitation import paper, services
from facilitation.access import access_in_live, access_live
from facilitation.forms import PaperJoinForm
from facilitation.models import Emotion, LiveSession, Participant
from facilitation.privacy import confidentiality_text, privacy_notice_text
from facilitation.selectors import method_for_phones
from workshops import method
from workshops.access import facilitator_required

POLL_SECONDS = 5


def _digits(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def _number(post: QueryDict, name: str) -> int:
    value = _digits(post.get(name, ""))
    if value is None:
        raise services.LiveError(_("Valor no válido."))
    return value


def _person(live: LiveSession, raw: str) -> Participant:
    """A participant of this session (anyone else, or a malformed id: 404)."""
    pk = _digits(raw)
    if pk is None:
        raise Http404
    return access_in_live(Participant, live, pk)


def _page(
    request: HttpRequest,
    live: LiveSession,
    *,
    person: Participant | None = None,
    form: PaperJoinForm | None = None,
    error: str = "",
) -> HttpResponse:
    organisation = live.workshop.organisation
    areas = [invited.area for invited in live.workshop.invited.select_related("area")]
    if form is None:
        form = PaperJoinForm(areas=areas, notice_version=organisation.privacy_notice_version)
    people = paper.paper_people(live)
    context = {
        "live": live,
        "people": people,
        "chosen": person,
        "error": error,
        "form": form,
        "notice": privacy_notice_text(organisation),
        "notice_version": organisation.privacy_notice_version,
        "add_open": not people or form.is_bound,
    }
    if person is not None and not error:
        context.update(_panel(live, person))
    return render(request, "facilitation/paper.html", context)


def _panel(live: LiveSession, person: Participant) -> dict:
    return {
        "panel": paper.paper_panel(live, person),
        "emotions": Emotion.choices,
        "symptoms": method.symptoms(),
        "diagnosis_scale": method.diagnosis_scale(),
        "max_chars": services.MAX_CONTRIBUTION_CHARS,
        "poll_seconds": POLL_SECONDS,
        # A fresh idempotency key for each form of this render: a double submit stores once.
        "key": secrets.token_urlsafe(16),
    }


def _session_key(live: LiveSession) -> str:
    return f"paper_person_{live.pk}"


def _remember(request: HttpRequest, live: LiveSession, person: Participant) -> None:
    request.session[_session_key(live)] = person.pk


def _remembered(request: HttpRequest, live: LiveSession) -> Participant | None:
    pk = request.session.get(_session_key(live))
    if not isinstance(pk, int):
        return None
    return Participant.objects.filter(live=live, pk=pk).select_related("area").first()


@require_GET
@facilitator_required
def paper_room(request: HttpRequest, live_id: int) -> HttpResponse:
    """The page, with the panel of the person chosen in this browser; the panel alone for
    htmx, or 204 when ?sello= says the panel already shows the session's present state."""
    live = access_live(request.organisation, live_id)
    person = _remembered(request, live)
    error = ""
    if person is not None:
        try:
            paper.paper_person(live, person)
        except ValidationError as refused:
            error = refused.messages[0]
    if request.htmx and person is not None and not error:
        # The panel's own refresh: nothing to swap until the session moved on.
        seen = request.GET.get("sello", "")
        if seen and seen == str(live.seq):
            return HttpResponse(status=204)
        context = {"live": live, "chosen": person, **_panel(live, person)}
        return render(request, "facilitation/paper.html#panel", context)
    return _page(request, live, person=person, error=error)


def _emotion(live: LiveSession, person: Participant, post: QueryDict) -> str:
    paper.paper_emotion(
        live=live,
        participant=person,
        moment=post.get("moment", ""),
        emotion=post.get("emotion", ""),
        intensity=_number(post, "intensity"),
        word=post.get("word", "")[:200],
    )
    return _("Emoción registrada.")


def _commitment(live: LiveSession, person: Participant, post: QueryDict) -> str:
    paper.paper_commitment(
        live=live,
        participant=person,
        key=post.get("key", ""),
        choice=post.get("choice", ""),
        note=post.get("note", "")[:2000],
    )
    return _("Respuesta a los principios registrada, sin nombre.")


def _ground_rule(live: LiveSession, person: Participant, post: QueryDict) -> str:
    paper.paper_ground_rule(
        live=live, participant=person, key=post.get("key", ""), text=post.get("text", "")
    )
    return _("Propuesta registrada, sin nombre.")


def _diagnosis(live: LiveSession, person: Participant, post: QueryDict) -> str:
    answers = {symptom.slug: post.get(symptom.slug, "") for symptom in method.symptoms()}
    paper.paper_diagnosis(live=live, participant=person, key=post.get("key", ""), answers=answers)
    return _("Diagnóstico registrado, sin nombre.")


def _contribute(live: LiveSession, person: Participant, post: QueryDict) -> str:
    card, _created = paper.paper_contribution(
        live=live,
        participant=person,
        key=post.get("key", ""),
        text=post.get("text", ""),
        block_id=_number(post, "block"),
    )
    if card.anonymous:
        return _("Aporte anónimo guardado, sin nombre.")
    return _("Aporte guardado.")


def _dot(live: LiveSession, person: Participant, post: QueryDict) -> str:
    paper.paper_dot(
        live=live, participant=person, key=post.get("key", ""), target=post.get("target", "")
    )
    return _("Punto registrado.")


def _dot_remove(live: LiveSession, person: Participant, post: QueryDict) -> str:
    removed = paper.paper_dot(
        live=live, participant=person, key="", target=post.get("target", ""), remove=True
    )
    return _("Punto retirado.") if removed else _("Esa persona no tenía puntos ahí.")


def _consent(live: LiveSession, person: Participant, post: QueryDict) -> str:
    paper.paper_consent(
        live=live,
        participant=person,
        agreement_id=_number(post, "agreement"),
        version=_number(post, "version"),
        choice=post.get("choice", ""),
        reason=post.get("reason", ""),
        signed=post.get("signed") == "1",
    )
    return _("Respuesta al acuerdo registrada.")


ACTIONS: dict[str, Callable[[LiveSession, Participant, QueryDict], str]] = {
    "emotion": _emotion,
    "commitment": _commitment,
    "ground-rule": _ground_rule,
    "diagnosis": _diagnosis,
    "contribute": _contribute,
    "dot": _dot,
    "dot-remove": _dot_remove,
    "consent": _consent,
}


@require_POST
@facilitator_required
def paper_add(request: HttpRequest, live_id: int) -> HttpResponse:
    live = access_live(request.organisation, live_id)
    organisation = live.workshop.organisation
    areas = [invited.area for invited in live.workshop.invited.select_related("area")]
    form = PaperJoinForm(
        request.POST, areas=areas, notice_version=organisation.privacy_notice_version
    )
    if form.is_valid():
        try:
            person = paper.paper_participant_add(
                live=live,
                name=form.cleaned_data["name"],
                area=form.cleaned_data["area"],
                privacy_version=form.cleaned_data["privacy_version"],
            )
        except ValidationError as refused:
            form.add_error(None, refused.messages[0])
        else:
            messages.success(
                request,
                _("%(name)s ya está en la sesión, en papel.") % {"name": person.name},
            )
            _remember(request, live, person)
            return redirect("paper_room", live_id=live.pk)
    return _page(request, live, form=form)


@require_POST
@facilitator_required
def paper_action(request: HttpRequest, live_id: int, action: str) -> HttpResponse:
    """One entry for the person in the form's «participant»: the panel again (htmx), with
    what was done or why it was refused; without htmx, back to the page with a message."""
    live = access_live(request.organisation, live_id)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    person = _person(live, request.POST.get("participant", ""))
    _remember(request, live, person)
    error = done = ""
    try:
        done = handler(live, person, request.POST)
    except ValidationError as refused:
        error = refused.messages[0]
    if request.htmx:
        context = {"live": live, "chosen": person, "error": error, "done": done}
        if not error or person.on_paper:
            context.update(_panel(live, person))
        return render(request, "facilitation/paper.html#panel", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect("paper_room", live_id=live.pk)


@require_POST
@facilitator_required
def paper_choose(request: HttpRequest, live_id: int) -> HttpResponse:
    """Show this person's panel (kept in the session: see the module's docstring)."""
    live = access_live(request.organisation, live_id)
    _remember(request, live, _person(live, request.POST.get("participant", "")))
    return redirect(f"{reverse('paper_room', args=[live.pk])}#paper-panel")


@require_GET
@facilitator_required
def paper_form(request: HttpRequest, live_id: int) -> HttpResponse:
    """The form to hand to someone without a phone, to print on A4 or (?papel=carta) Letter:
    the notice to accept, their name and area, and what each block of this session's agenda
    asks, with room to write. Only what any participant may read: no link, no join code, no
    facilitator's notes, no other person's name."""
    live = access_live(request.organisation, live_id)
    organisation = live.workshop.organisation
    sections = paper.paper_form_sections(live)
    context = {
        "live": live,
        "workshop": live.workshop,
        "organisation": organisation,
        # Anything but "carta" (US Letter) prints on A4, as the run sheet does.
        "paper": "carta" if request.GET.get("papel") == "carta" else "a4",
        "areas": [invited.area for invited in live.workshop.invited.select_related("area")],
        "confidentiality": confidentiality_text(organisation),
        "notice": privacy_notice_text(organisation),
        "notice_version": organisation.privacy_notice_version,
        "sections": sections,
        "anonymous_sections": [section for section in sections if section.anonymous],
        "emotions": Emotion.choices,
        "symptoms": method.symptoms(),
        "diagnosis_scale": method.diagnosis_scale(),
        "lines": range(paper.FORM_LINES),
        "consent_rows": range(1, paper.FORM_CONSENT_ROWS + 1),
        **method_for_phones(),
    }
    return render(request, "facilitation/paper_form.html", context)
