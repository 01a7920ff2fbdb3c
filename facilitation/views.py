"""Pages of the live session: joining from a phone, the participant's live view, the
facilitator's control room and the projector."""

import io
import secrets
from collections.abc import Callable

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agreements import services as agreement_services
from agreements.models import Agreement, Owner
from config.room import SESSION_KEY, public_url, room_status
from facilitation import services
from facilitation.access import (
    JoinThrottled,
    access_in_live,
    access_live,
    live_for_token,
    live_for_typed_code,
    participant_from_request,
    remember_participant,
    remember_reached,
)
from facilitation.broadcast import phones_stage
from facilitation.forms import AgreementForm, JoinCodeForm, JoinForm, OwnerFormSet
from facilitation.models import (
    Contribution,
    Emotion,
    GroundRule,
    LiveSession,
    Participant,
    Theme,
)
from facilitation.privacy import privacy_notice_text
from facilitation.selectors import (
    live_state,
    method_for_phones,
    participant_me,
    top_entries,
)
from facilitation.theme_views import HIDE_REASONS, hide_reason
from workshops import method
from workshops.access import access_workshop, facilitator_required
from workshops.models import Principle


def _qr_svg(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer,
        kind="svg",
        scale=6,
        border=2,
        xmldecl=False,
        svgns=True,
        dark="#14213d",
        # A viewBox instead of a fixed size, so the projector's CSS can scale it up.
        omitsize=True,
    )
    # segno's own SVG: no script, no user input inside.
    return mark_safe(buffer.getvalue().decode())  # noqa: S308


def _participant_url(request: HttpRequest, live: LiveSession) -> str:
    return public_url(request, reverse("participant_live", args=[live.qr_token]))


# --- facilitator ---------------------------------------------------------------------------


@require_POST
@facilitator_required
def live_start(request: HttpRequest, pk: int) -> HttpResponse:
    workshop = access_workshop(request.organisation, pk)
    try:
        live = services.live_start(workshop=workshop)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("workshop_builder", pk=workshop.pk)
    return redirect("control_room", live_id=live.pk)


@require_GET
@facilitator_required
def control_room(request: HttpRequest, live_id: int) -> HttpResponse:
    live = access_live(request.organisation, live_id)
    return render(
        request,
        "facilitation/room.html",
        {
            "live": live,
            "state": live_state(live, audience="facilitator"),
            "principles": Principle.objects.all(),
            "escalation": _escalation_with_principles(),
            "join_url": _participant_url(request, live),
            "room": room_status(request),
            "hide_reasons": HIDE_REASONS,
        },
    )


def _escalation_with_principles() -> list[dict]:
    """The protocol's cases, each with the name of the principle its action shows."""
    names = dict(Principle.objects.values_list("slug", "name"))
    return [
        {"case": case, "principle": names.get(case.principle, "")} for case in method.escalation()
    ]


@require_GET
@facilitator_required
def projector(request: HttpRequest, live_id: int) -> HttpResponse:
    live = access_live(request.organisation, live_id)
    return render(
        request,
        "facilitation/projector.html",
        {
            "live": live,
            "state": live_state(live, audience="projector"),
            "join_url": public_url(request, reverse("join")),
            "qr_svg": _qr_svg(_participant_url(request, live)),
        },
    )


def _action(request: HttpRequest, live: LiveSession, action: str) -> None:
    """Run one control-room action; raises ValidationError (LiveError) when refused."""
    post = request.POST

    def live_int(name: str) -> int:
        try:
            return int(post.get(name, ""))
        except ValueError:
            raise services.LiveError(_("Valor no válido.")) from None

    simple: dict[str, Callable[[], object]] = {
        "next": lambda: services.live_step(live=live, delta=1),
        "previous": lambda: services.live_step(live=live, delta=-1),
        "timer-start": lambda: services.timer_start(live=live),
        "timer-pause": lambda: services.timer_pause(live=live),
        "timer-adjust": lambda: services.timer_adjust(live=live, minutes=live_int("minutes")),
        "contributions-open": lambda: services.contributions_set_open(live=live, open=True),
        "contributions-close": lambda: services.contributions_set_open(live=live, open=False),
        "voting-open": lambda: services.voting_set_open(live=live, open=True),
        "voting-close": lambda: services.voting_set_open(live=live, open=False),
        "reveal": lambda: services.results_reveal(live=live, revealed=True),
        "door-open": lambda: services.live_set_door(live=live, open=True),
        "door-close": lambda: services.live_set_door(live=live, open=False),
        "tables": lambda: services.tables_assign(live=live, size=live_int("size")),
        "close": lambda: services.live_close(live=live),
        "call-break": lambda: services.live_call_break(live=live),
    }
    if action in simple:
        simple[action]()
    elif action == "goto":
        block = live.workshop.blocks.filter(pk=live_int("block")).first()
        if block is None:
            raise Http404
        services.live_goto_block(live=live, block=block)
    elif action == "push-principle":
        raw = post.get("principle", "")
        principle = Principle.objects.filter(slug=raw).first() if raw else None
        if raw and principle is None:
            raise services.LiveError(_("Ese principio no existe."))
        services.principle_push(live=live, principle=principle)
    elif action == "hide":
        contribution = access_in_live(Contribution, live, live_int("contribution"))
        services.contribution_hide(
            live=live, contribution=contribution, reason=hide_reason(post), actor=request.user
        )
    elif action in {"show-card", "show-all"}:
        block = live.current_block
        if block is None:
            raise services.LiveError(_("No hay un bloque en curso."))
        card = (
            access_in_live(Contribution, live, live_int("contribution"))
            if action == "show-card"
            else None
        )
        services.contributions_reveal(live=live, block=block, contribution=card)
    elif action == "unhide":
        contribution = access_in_live(Contribution, live, live_int("contribution"))
        services.contribution_unhide(live=live, contribution=contribution, actor=request.user)
    elif action in {"agreement-consent", "agreement-agreed", "agreement-dropped"}:
        agreement = access_in_live(Agreement, live, live_int("agreement"))
        if action == "agreement-consent":
            agreement_services.agreement_ask_consent(agreement=agreement)
        else:
            agreement_services.agreement_record(
                agreement=agreement, outcome=action.removeprefix("agreement-"), actor=request.user
            )
    elif action in {"rule-keep", "rule-drop"}:
        rule = access_in_live(GroundRule, live, live_int("rule"))
        services.ground_rule_keep(live=live, rule=rule, kept=action == "rule-keep")
    elif action == "remove":
        participant = access_in_live(Participant, live, live_int("participant"))
        services.participant_remove(
            live=live,
            participant=participant,
            actor=request.user,
            reason=request.headers.get("HX-Prompt") or "",
        )
    else:
        raise Http404


@require_POST
@facilitator_required
def control_action(request: HttpRequest, live_id: int, action: str) -> HttpResponse:
    live = access_live(request.organisation, live_id)
    error = ""
    try:
        _action(request, live, action)
    except ValidationError as refused:
        error = refused.messages[0]
    if not error and request.htmx and request.headers.get("X-Puente-Live") == "1":
        # The room's socket is open (live.js says so): the broadcast brings the new room.
        return HttpResponse(status=204)
    state = live_state(live, audience="facilitator")
    context = {"state": state, "error": error, "audience": "facilitator"}
    if request.htmx:
        return render(request, "facilitation/_room.html", context)
    if error:
        messages.error(request, error)
    return redirect("control_room", live_id=live.pk)


@require_POST
@facilitator_required
def room_address(request: HttpRequest, live_id: int) -> HttpResponse:
    """The facilitator picks which of the laptop's addresses phones are sent to (kept in the
    browser's session, so the projector opened from it shows the same QR code)."""
    live = access_live(request.organisation, live_id)
    address = request.POST.get("address", "")
    if address not in [each.ip for each in settings.ROOM_ADDRESSES]:
        messages.error(request, _("Esa dirección no es de este computador. Elige una de la lista."))
    else:
        request.session[SESSION_KEY] = address
        messages.success(
            request,
            _(
                "Listo: ahora los celulares entran por %(address)s. Si el proyector está "
                "abierto, recárgalo para que muestre el nuevo código QR."
            )
            % {"address": address},
        )
    return redirect("control_room", live_id=live.pk)


# --- owners' links on paper ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@facilitator_required
def owner_cards(request: HttpRequest, live_id: int) -> HttpResponse:
    """Printable cards with each owner's private link (QR code and address) for the owners
    whose link has not reached them (?todos=1: every owner of an agreed agreement). POST
    records that the cards shown were printed."""
    live = access_live(request.organisation, live_id)
    owners = list(
        Owner.objects.filter(
            agreement__live=live,
            agreement__outcome=Agreement.Outcome.AGREED,
            revoked_at__isnull=True,
        )
        .select_related("agreement", "area")
        .order_by("agreement_id", "area__position", "name")
    )
    every = request.GET.get("todos") == "1"
    if not every:
        owners = [owner for owner in owners if not owner.has_link]
    if request.method == "POST":
        posted = set(request.POST.getlist("owner"))
        marked = agreement_services.owner_links_printed(
            live=live,
            printed=[(o.pk, o.token) for o in owners if f"{o.pk}:{o.token}" in posted],
        )
        messages.success(
            request,
            ngettext(
                "%(n)d tarjeta marcada como impresa.",
                "%(n)d tarjetas marcadas como impresas.",
                marked,
            )
            % {"n": marked},
        )
        return redirect(f"{reverse('control_room', args=[live.pk])}#agreements")
    cards = []
    for owner in owners:
        url = public_url(request, reverse("owner_agreement", args=[owner.token]))
        cards.append({"owner": owner, "url": url, "qr": _qr_svg(url)})
    return render(
        request,
        "facilitation/owner_cards.html",
        {"live": live, "cards": cards, "every": every},
    )


# --- agreements in the room ----------------------------------------------------------------
# The draft and reword forms are pages of their own: the control room's #room fragment is
# replaced by every broadcast, and what the facilitator is typing must never be wiped.


def _agreement_forms(
    request: HttpRequest, live: LiveSession, *, initial: dict, owners: list[dict]
) -> tuple[AgreementForm, OwnerFormSet]:
    areas = [invited.area for invited in live.workshop.invited.select_related("area")]
    participants = list(
        live.participants.filter(removed_at__isnull=True)
        .select_related("area")
        .order_by("area__position", "name")
    )
    data = request.POST if request.method == "POST" else None
    form = AgreementForm(data, areas=areas, initial=initial)
    formset = OwnerFormSet(
        data,
        initial=owners,
        prefix="owners",
        form_kwargs={"areas": areas, "participants": participants},
    )
    return form, formset


def _agreement_fields(form: AgreementForm, formset: OwnerFormSet) -> dict:
    data = form.cleaned_data
    return {
        "text": data["text"],
        "problem": data["problem"],
        "due_date": data["due_date"],
        "areas": list(data["areas"]),
        "owners": formset.owners(),
        "indicator": data["indicator"],
        "principle": data["principle"],
    }


def _save_agreement(
    request: HttpRequest,
    live: LiveSession,
    form: AgreementForm,
    save: Callable[[], object],
    success: str,
) -> HttpResponse | None:
    """Run the service; on success redirect to the room's agreements, on a refusal put the
    Spanish message on the form and return None so the page re-renders."""
    try:
        save()
    except ValidationError as error:
        form.add_error(None, error.messages[0])
        return None
    messages.success(request, success)
    return redirect(f"{reverse('control_room', args=[live.pk])}#agreements")


@require_http_methods(["GET", "POST"])
@facilitator_required
def agreement_new(request: HttpRequest, live_id: int) -> HttpResponse:
    """Draft an agreement from a contribution (?desde=<id>) or from scratch."""
    live = access_live(request.organisation, live_id)
    source_id = request.POST.get("source") or request.GET.get("desde") or ""
    source = (
        Contribution.objects.filter(live=live, hidden=False, pk=source_id).first()
        if source_id.isascii() and source_id.isdigit()
        else None
    )
    # A theme (?tema=<id>): its name is the problem, its visible cards the sources.
    theme_id = request.POST.get("theme") or request.GET.get("tema") or ""
    theme = (
        Theme.objects.filter(live=live, pk=theme_id).first()
        if source is None and theme_id.isascii() and theme_id.isdigit()
        else None
    )
    sources = [source] if source is not None else []
    initial: dict = {"due_date": None}
    if source is not None:
        initial["problem"] = source.text
        if source.area_id:
            initial["areas"] = [source.area_id]
    if theme is not None:
        sources = list(theme.cards.filter(hidden=False).order_by("id"))
        initial["problem"] = theme.name
    form, formset = _agreement_forms(request, live, initial=initial, owners=[])
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = _save_agreement(
            request,
            live,
            form,
            lambda: agreement_services.agreement_draft(
                live=live,
                sources=sources,
                **_agreement_fields(form, formset),
            ),
            _("Borrador creado. Consúltalo con la sala."),
        )
        if saved is not None:
            return saved
    return render(
        request,
        "facilitation/agreement_form.html",
        {
            "live": live,
            "form": form,
            "formset": formset,
            "source": source,
            "theme": theme,
            "top": top_entries(live),
        },
    )


@require_http_methods(["GET", "POST"])
@facilitator_required
def agreement_reword(request: HttpRequest, live_id: int, agreement_id: int) -> HttpResponse:
    """A new wording: a new version, the room is asked for consent again."""
    live = access_live(request.organisation, live_id)
    agreement = access_in_live(Agreement, live, agreement_id)
    initial = {
        "text": agreement.text,
        "problem": agreement.problem,
        "areas": list(agreement.areas.values_list("pk", flat=True)),
        "due_date": agreement.due_date,
        "indicator": agreement.indicator,
        "principle": agreement.principle_id,
    }
    owners = [
        {
            "participant": o.participant_id,
            "name": "" if o.participant_id else o.name,
            "area": o.area_id,
            "email": o.email,
        }
        for o in agreement.owners.all()
    ]
    form, formset = _agreement_forms(request, live, initial=initial, owners=owners)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = _save_agreement(
            request,
            live,
            form,
            lambda: agreement_services.agreement_reword(
                agreement=agreement, **_agreement_fields(form, formset)
            ),
            _("Nueva versión guardada."),
        )
        if saved is not None:
            return saved
    return render(
        request,
        "facilitation/agreement_form.html",
        {
            "live": live,
            "form": form,
            "formset": formset,
            "agreement": agreement,
            "versions": agreement.versions.all(),
            "missing_areas": agreement_services.missing_owner_areas(agreement),
        },
    )


# --- participants --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Type the code (or arrive from the QR code, which skips this page)."""
    form = JoinCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            live = live_for_typed_code(request, form.cleaned_data["code"])
        except JoinThrottled:
            form.add_error(
                "code",
                _(
                    "Demasiados intentos con códigos equivocados desde esta red. Revisa el "
                    "código en la pantalla o escanea el código QR."
                ),
            )
        else:
            if live is not None:
                return redirect("participant_live", token=live.qr_token)
            form.add_error(
                "code",
                _("Ese código no corresponde a una sesión abierta. Revísalo con quien facilita."),
            )
    return render(request, "facilitation/join_code.html", {"form": form})


def _live_or_404(token: str) -> LiveSession:
    live = live_for_token(token)
    if live is None:
        raise Http404
    return live


@require_http_methods(["GET", "POST"])
def participant_live(request: HttpRequest, token: str) -> HttpResponse:
    live = _live_or_404(token)
    participant = participant_from_request(request, live)
    if not live.is_open:
        agreed = (
            Agreement.objects.filter(live=live, outcome=Agreement.Outcome.AGREED)
            .prefetch_related("owners__area")
            .order_by("id")
        )
        return render(
            request,
            "facilitation/ended.html",
            {"live": live, "reason": "closed", "agreements": agreed},
        )
    remember_reached(request, live)  # its code opens it from here even when throttled
    if participant is not None and participant.removed_at is not None:
        return render(request, "facilitation/ended.html", {"live": live, "reason": "removed"})
    if participant is None:
        return _join_form(request, live)
    # The session and its current block were just read (live_for_token): #me needs them, not
    # a second read of the participant.
    participant.live = live
    return render(
        request,
        "facilitation/participant.html",
        {
            "live": live,
            "participant": participant,
            # The phones' view as the last broadcast rendered it (one render for a room
            # joining, not one per phone), with its age for a running timer.
            **_phones_stage(live),
            "me": participant_me(participant, loaded=True),
            "emotions": Emotion.choices,
            "max_chars": services.MAX_CONTRIBUTION_CHARS,
            **method_for_phones(),
            "symptoms": method.symptoms(),
            "diagnosis_scale": method.diagnosis_scale(),
            # Prefix of this page's idempotency keys (the phone appends a counter).
            "nonce": secrets.token_urlsafe(12),
        },
    )


def _phones_stage(live: LiveSession) -> dict:
    stage, age = phones_stage(live)
    return {"stage": stage, "stage_age": age}


def _join_form(request: HttpRequest, live: LiveSession) -> HttpResponse:
    organisation = live.workshop.organisation
    areas = [invited.area for invited in live.workshop.invited.select_related("area")]
    form = JoinForm(
        request.POST or None, areas=areas, notice_version=organisation.privacy_notice_version
    )
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.participant_join(
                live=live,
                name=form.cleaned_data["name"],
                area=form.cleaned_data["area"],
                privacy_version=form.cleaned_data["privacy_version"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            request.session.cycle_key()
            remember_participant(request, participant)
            return redirect("participant_live", token=live.qr_token)
    return render(
        request,
        "facilitation/join.html",
        {
            "live": live,
            "form": form,
            "notice": privacy_notice_text(organisation),
            "notice_version": organisation.privacy_notice_version,
        },
    )
