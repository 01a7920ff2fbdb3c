"""The grouping board: the facilitator groups a block's cards into themes before the vote.

A page of its own, like the agreement form: the control room's fragment is replaced by
every broadcast, and a selection or a name being typed must never be wiped. The board's own
fragment is re-read after each action and every few seconds while nothing is being edited
(board.js), so two control rooms grouping at once converge.
"""

import time
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from facilitation import services, themes
from facilitation.access import access_live
from facilitation.models import Contribution, LiveSession, Theme, ThemeSuggestion
from facilitation.wall import open_suggestions, wall_entries
from workshops.access import facilitator_required
from workshops.models import Block

HIDE_REASONS = (
    gettext_lazy("Señala o deja en evidencia a una persona"),
    gettext_lazy("Ofende o descalifica"),
    gettext_lazy("Tiene datos personales o confidenciales"),
)


def hide_reason(post: dict) -> str:
    """The reason chosen in the hide dialog, or the one typed for «Otro motivo»."""
    return str(post.get("reason") or "").strip() or str(post.get("other_reason") or "")


def _block(live: LiveSession, block_id: int) -> Block:
    return get_object_or_404(
        Block, pk=block_id, workshop_id=live.workshop_id, allows_contributions=True
    )


def _ids(request: HttpRequest, name: str = "cards") -> list[int]:
    values = request.POST.getlist(name)
    if len(values) > 1000 or not all(v.isascii() and v.isdigit() and len(v) < 19 for v in values):
        raise services.LiveError(_("Valor no válido."))
    return [int(v) for v in values]


def _board_context(live: LiveSession, block: Block, error: str = "") -> dict:
    cards = list(
        Contribution.objects.filter(live=live, block=block)
        .select_related("participant", "area")
        .annotate(votes=Count("dots"))
        .order_by("id")
    )
    entries = wall_entries(live, block, cards, counted=True)
    text_of = {c.pk: c for c in cards}
    suggestions = [
        (s, [text_of[pk] for pk in s.card_ids if pk in text_of])
        for s in open_suggestions(live, block)
    ]
    loose = [e for e in entries if not e.is_theme]
    return {
        "live": live,
        # Not "block": inside {% block %} tags Django's template context names its own.
        "wall_block": block,
        "entries": entries,
        "theme_entries": [e for e in entries if e.is_theme],
        "loose": loose,
        "suggestions": suggestions,
        "card_count": sum(1 for c in cards if not c.hidden),
        "hidden_count": sum(1 for c in cards if c.hidden),
        "voting_open": live.voting_open and live.current_block_id == block.pk,
        "hide_reasons": HIDE_REASONS,
        "error": error,
        # Changes with every rendering: a test can tell that the board was re-read.
        "rendered_at": time.monotonic_ns(),
    }


@require_GET
@facilitator_required
def themes_board(request: HttpRequest, live_id: int, block_id: int) -> HttpResponse:
    live = access_live(request.organisation, live_id)
    if not live.is_open:
        # The board's own refresh must not swap a whole page into itself.
        if request.htmx:
            return HttpResponseClientRedirect(reverse("control_room", args=[live.pk]))
        return redirect("control_room", live_id=live.pk)
    block = _block(live, block_id)
    context = _board_context(live, block)
    if request.htmx:
        return render(request, "facilitation/themes_board.html#board", context)
    return render(request, "facilitation/themes_board.html", context)


def _pk(request: HttpRequest, name: str) -> str:
    """An id from the form; anything that is not one answers 404 (as an unknown id)."""
    raw = request.POST.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    return raw


# What an action names must be of this session and of the board's block: anything else
# answers 404, as an unknown id.


def _theme(live: LiveSession, block: Block, request: HttpRequest) -> Theme:
    return get_object_or_404(Theme, live=live, block=block, pk=_pk(request, "theme"))


def _card(
    live: LiveSession, block: Block, request: HttpRequest, name: str = "card"
) -> Contribution:
    return get_object_or_404(Contribution, live=live, block=block, pk=_pk(request, name))


def _suggestion(live: LiveSession, block: Block, request: HttpRequest) -> ThemeSuggestion:
    return get_object_or_404(ThemeSuggestion, live=live, block=block, pk=_pk(request, "suggestion"))


def _run(request: HttpRequest, live: LiveSession, block: Block, action: str) -> None:
    post = request.POST
    actions: dict[str, Callable[[], object]] = {
        "create": lambda: themes.theme_create(
            live=live, block=block, card_ids=_ids(request), name=post.get("name", "")
        ),
        "add": lambda: themes.theme_add(
            live=live, theme=_theme(live, block, request), card_ids=_ids(request)
        ),
        "move": lambda: themes.theme_add(
            live=live, theme=_theme(live, block, request), card_ids=_ids(request), move=True
        ),
        "merge": lambda: themes.cards_merge(
            live=live, card=_card(live, block, request), onto=_card(live, block, request, "onto")
        ),
        "ungroup-card": lambda: themes.card_ungroup(live=live, card=_card(live, block, request)),
        "rename": lambda: themes.theme_rename(
            live=live, theme=_theme(live, block, request), name=post.get("name", "")
        ),
        "dissolve": lambda: themes.theme_dissolve(live=live, theme=_theme(live, block, request)),
        "suggest": lambda: themes.themes_suggest(live=live, block=block),
        "accept": lambda: themes.suggestion_accept(
            live=live,
            suggestion=_suggestion(live, block, request),
            card_ids=_ids(request),
            name=post.get("name", ""),
        ),
        "reject": lambda: themes.suggestion_reject(
            live=live, suggestion=_suggestion(live, block, request)
        ),
        "hide": lambda: services.contribution_hide(
            live=live,
            contribution=_card(live, block, request, "contribution"),
            reason=hide_reason(post),
            actor=request.user,
        ),
        "unhide": lambda: services.contribution_unhide(
            live=live, contribution=_card(live, block, request, "contribution"), actor=request.user
        ),
    }
    if action not in actions:
        raise Http404
    actions[action]()


@require_POST
@facilitator_required
def themes_action(request: HttpRequest, live_id: int, block_id: int, action: str) -> HttpResponse:
    live = access_live(request.organisation, live_id)
    block = _block(live, block_id)
    error = ""
    try:
        _run(request, live, block, action)
    except ValidationError as refused:
        error = refused.messages[0]
    live.refresh_from_db()
    context = _board_context(live, block, error)
    if request.htmx:
        return render(request, "facilitation/themes_board.html#board", context)
    if error:
        messages.error(request, error)
    return redirect("themes_board", live_id=live.pk, block_id=block.pk)
