"""Grouping a block's cards into themes before the vote, and Puente's suggestions.

Same contract as facilitation.services: each function is atomic, holds the session's row
lock (so two control rooms grouping at once take turns and both end on the same wall),
broadcasts after commit and refuses with a Spanish LiveError, changing nothing.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from facilitation import similarity
from facilitation.models import Contribution, Dot, LiveSession, Theme, ThemeSuggestion
from facilitation.services import LiveError, clean_text, notify_live
from facilitation.services import _locked as locked_live
from workshops.models import Block

MAX_THEME_CHARS = 120
MIN_CARDS = 2
# Suggestions are computed over at most this many cards (the newest are left out): the
# computation stays well under a second.
MAX_SUGGESTED_CARDS = 500


def _quote(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ready(live: LiveSession, block: Block) -> LiveSession:
    """The locked session, refused if the block is not this session's wall or its vote is
    running (dots would change target under the room's fingers)."""
    live = locked_live(live)
    if block.workshop_id != live.workshop_id or not block.allows_contributions:
        raise LiveError(_("Ese bloque no es un muro de esta sesión."))
    if live.voting_open and live.current_block_id == block.pk:
        raise LiveError(_("Cierra la votación antes de reagrupar los aportes."))
    return live


def _name(raw: str) -> str:
    name = " ".join(clean_text(raw[:2000], 2000).split())
    if len(name) > MAX_THEME_CHARS:
        raise LiveError(
            _("El nombre del tema es demasiado largo (máximo %(n)d caracteres).")
            % {"n": MAX_THEME_CHARS}
        )
    if not name:
        raise LiveError(_("Escribe un nombre para el tema."))
    return name


def _cards(
    live: LiveSession, block: Block, ids: Iterable[int], *, move: bool = False
) -> list[Contribution]:
    """The block's visible cards with these ids, locked; refused if one is another block's,
    hidden, or already in a theme (unless it is being moved: a card is in one theme at a
    time)."""
    wanted = sorted(set(ids))
    # of=("self",): lock the cards' rows only; PostgreSQL refuses FOR UPDATE on the nullable
    # side of the outer join to their theme.
    cards = list(
        Contribution.objects.select_for_update(of=("self",))
        .select_related("theme")
        .filter(live=live, block=block, pk__in=wanted)
        .order_by("id")
    )
    if len(cards) != len(wanted):
        raise LiveError(_("Uno de esos aportes no es de este muro."))
    for card in cards:
        if card.hidden:
            raise LiveError(
                _("«%(text)s» está oculto: muéstralo de nuevo antes de agruparlo.")
                % {"text": _quote(card.text)}
            )
        if card.theme_id is not None and not move:
            raise LiveError(
                _("«%(text)s» ya está en el tema «%(theme)s»: sácalo de ahí primero.")
                % {"text": _quote(card.text), "theme": card.theme.name}
            )
    return cards


@transaction.atomic
def theme_create(*, live: LiveSession, block: Block, card_ids: Iterable[int], name: str) -> Theme:
    """A theme of two or more cards not yet in a theme."""
    live = _ready(live, block)
    name = _name(name)
    cards = _cards(live, block, card_ids)
    if len(cards) < MIN_CARDS:
        raise LiveError(_("Elige al menos dos aportes para formar un tema."))
    theme = Theme.objects.create(live=live, block=block, name=name)
    Contribution.objects.filter(pk__in=[c.pk for c in cards]).update(theme=theme)
    _forget_suggestions(live, block, [c.pk for c in cards])
    notify_live(live)
    return theme


@transaction.atomic
def theme_add(
    *, live: LiveSession, theme: Theme, card_ids: Iterable[int], move: bool = False
) -> Theme:
    """Put cards in a theme. move: a card in another theme leaves it (dragging a card from
    one theme to another); otherwise such a card is refused."""
    block = theme.block
    live = _ready(live, block)
    theme = Theme.objects.select_for_update().filter(pk=theme.pk, live=live).first()
    if theme is None:
        raise LiveError(_("Ese tema ya no existe."))
    cards = _cards(live, block, card_ids, move=move)
    if not cards:
        raise LiveError(_("Elige al menos un aporte."))
    left = {c.theme_id for c in cards if c.theme_id not in (None, theme.pk)}
    Contribution.objects.filter(pk__in=[c.pk for c in cards]).update(theme=theme)
    for old in Theme.objects.filter(pk__in=left):
        _drop_if_empty(old)
    _forget_suggestions(live, block, [c.pk for c in cards])
    notify_live(live)
    return theme


@transaction.atomic
def cards_merge(*, live: LiveSession, card: Contribution, onto: Contribution) -> Theme:
    """A card dropped on another: into the other's theme, or a new theme of the two named
    after the card it was dropped on."""
    if card.pk == onto.pk:
        raise LiveError(_("Suelta el aporte sobre otro aporte o sobre un tema."))
    if card.block_id != onto.block_id or card.live_id != onto.live_id:
        raise LiveError(_("Uno de esos aportes no es de este muro."))
    block = Block.objects.get(pk=onto.block_id)
    live = _ready(live, block)
    # Read under the session's lock: another control room may have regrouped since.
    onto = Contribution.objects.get(pk=onto.pk)
    if onto.theme_id is not None:
        theme = Theme.objects.get(pk=onto.theme_id)
        return theme_add(live=live, theme=theme, card_ids=[card.pk], move=True)
    cards = _cards(live, block, [card.pk, onto.pk], move=True)
    theme = Theme.objects.create(live=live, block=block, name=similarity.short_name(onto.text))
    previous = {c.theme_id for c in cards if c.theme_id is not None}
    Contribution.objects.filter(pk__in=[c.pk for c in cards]).update(theme=theme)
    for old in Theme.objects.filter(pk__in=previous):
        _drop_if_empty(old)
    _forget_suggestions(live, block, [c.pk for c in cards])
    notify_live(live)
    return theme


@transaction.atomic
def card_ungroup(*, live: LiveSession, card: Contribution) -> Contribution:
    """Take a card out of its theme (its own dots, if any, go with it). A theme left with
    no card and no dot disappears."""
    block = Block.objects.get(pk=card.block_id)
    live = _ready(live, block)
    card = Contribution.objects.select_for_update().filter(pk=card.pk, live=live).first()
    if card is None or card.theme_id is None:
        raise LiveError(_("Ese aporte no está en ningún tema."))
    theme = Theme.objects.get(pk=card.theme_id)
    card.theme = None
    card.save(update_fields=["theme"])
    _drop_if_empty(theme)
    notify_live(live)
    return card


@transaction.atomic
def theme_rename(*, live: LiveSession, theme: Theme, name: str) -> Theme:
    live = locked_live(live)
    name = _name(name)
    theme = Theme.objects.select_for_update().filter(pk=theme.pk, live=live).first()
    if theme is None:
        raise LiveError(_("Ese tema ya no existe."))
    theme.name = name
    theme.save(update_fields=["name"])
    notify_live(live)
    return theme


@transaction.atomic
def theme_dissolve(*, live: LiveSession, theme: Theme) -> None:
    """Ungroup: every card goes back to the wall. Refused once the theme has dots (they
    would be lost)."""
    live = _ready(live, theme.block)
    theme = Theme.objects.select_for_update().filter(pk=theme.pk, live=live).first()
    if theme is None:
        raise LiveError(_("Ese tema ya no existe."))
    if Dot.objects.filter(theme=theme).exists():
        raise LiveError(_("Este tema ya recibió puntos: deshacerlo los borraría."))
    Contribution.objects.filter(theme=theme).update(theme=None)
    theme.delete()
    notify_live(live)


def _drop_if_empty(theme: Theme) -> None:
    if not theme.cards.exists() and not theme.dots.exists():
        theme.delete()


def _forget_suggestions(live: LiveSession, block: Block, grouped: list[int]) -> None:
    """Open suggestions that offered a card just grouped are out of date: they go."""
    taken = set(grouped)
    for suggestion in ThemeSuggestion.objects.filter(
        live=live, block=block, status=ThemeSuggestion.Status.OPEN
    ):
        if taken & set(suggestion.card_ids):
            suggestion.delete()


# --- suggestions ---------------------------------------------------------------------------


def themes_suggest(*, live: LiveSession, block: Block) -> list[ThemeSuggestion]:
    """Compute suggestions afresh over the block's visible cards not in a theme; the cards
    of a suggestion the facilitator rejected are not offered together again. The
    computation runs outside any transaction (the room keeps writing meanwhile); only
    suggestions whose cards are still loose and visible are stored."""
    if block.workshop_id != live.workshop_id or not block.allows_contributions:
        raise LiveError(_("Ese bloque no es un muro de esta sesión."))
    cards = list(
        Contribution.objects.filter(live=live, block=block, hidden=False, theme__isnull=True)
        .order_by("id")
        .values_list("pk", "text")[:MAX_SUGGESTED_CARDS]
    )
    rejected = [
        frozenset(ids)
        for ids in ThemeSuggestion.objects.filter(
            live=live, block=block, status=ThemeSuggestion.Status.REJECTED
        ).values_list("card_ids", flat=True)
    ]
    found = similarity.suggest(cards, rejected=rejected)
    return _store_suggestions(live, block, found)


@transaction.atomic
def _store_suggestions(
    live: LiveSession, block: Block, found: list[similarity.Suggestion]
) -> list[ThemeSuggestion]:
    live = _ready(live, block)
    loose = set(
        Contribution.objects.filter(
            live=live, block=block, hidden=False, theme__isnull=True
        ).values_list("pk", flat=True)
    )
    ThemeSuggestion.objects.filter(
        live=live, block=block, status=ThemeSuggestion.Status.OPEN
    ).delete()
    made = ThemeSuggestion.objects.bulk_create(
        ThemeSuggestion(
            live=live,
            block=block,
            name=found_one.name[:MAX_THEME_CHARS],
            card_ids=found_one.card_ids,
            score=found_one.score,
        )
        for found_one in found
        if set(found_one.card_ids) <= loose
    )
    # Only the facilitator's screens show suggestions.
    notify_live(live, phones=False)
    return made


def _suggestion(live: LiveSession, suggestion: ThemeSuggestion) -> ThemeSuggestion:
    fresh = (
        ThemeSuggestion.objects.select_for_update()
        .filter(pk=suggestion.pk, live=live, status=ThemeSuggestion.Status.OPEN)
        .first()
    )
    if fresh is None:
        raise LiveError(_("Esa sugerencia ya no está: vuelve a pedir sugerencias."))
    return fresh


@transaction.atomic
def suggestion_accept(
    *,
    live: LiveSession,
    suggestion: ThemeSuggestion,
    card_ids: Iterable[int] | None = None,
    name: str | None = None,
) -> Theme:
    """Make the suggestion a theme, as offered or edited (fewer cards, another name)."""
    block = Block.objects.get(pk=suggestion.block_id)
    live = _ready(live, block)
    suggestion = _suggestion(live, suggestion)
    offered = set(suggestion.card_ids)
    chosen = offered if card_ids is None else set(card_ids)
    if not chosen <= offered:
        raise LiveError(_("Solo puedes aceptar aportes de la sugerencia."))
    theme = theme_create(
        live=live,
        block=block,
        card_ids=chosen,
        name=suggestion.name if name is None else name,
    )
    ThemeSuggestion.objects.filter(pk=suggestion.pk).delete()
    return theme


@transaction.atomic
def suggestion_reject(*, live: LiveSession, suggestion: ThemeSuggestion) -> None:
    live = locked_live(live)
    suggestion = _suggestion(live, suggestion)
    suggestion.status = ThemeSuggestion.Status.REJECTED
    suggestion.save(update_fields=["status"])
    notify_live(live, phones=False)
