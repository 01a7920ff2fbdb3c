"""The wall of a block as every screen shows it: themes with their cards folded inside,
then the cards not in any theme; ranked by dots after the reveal.

A theme never says which areas wrote its cards: it shows a name, a count and the cards,
each as its block shows it (an anonymous card stays without author)."""

from dataclasses import dataclass, field

from django.db.models import Count

from facilitation.models import Contribution, LiveSession, Theme, ThemeSuggestion
from workshops.models import Block


@dataclass
class WallEntry:
    """A theme (theme set, cards inside) or a single card (card set)."""

    theme: Theme | None = None
    card: Contribution | None = None
    cards: list[Contribution] = field(default_factory=list)
    votes: int = 0
    block: Block | None = None  # set where entries of several blocks are listed together

    @property
    def target(self) -> str:
        """What a phone's dot names: "t5" for a theme, "c12" for a card."""
        return f"t{self.theme.pk}" if self.theme else f"c{self.card.pk}"

    @property
    def is_theme(self) -> bool:
        return self.theme is not None

    @property
    def shown_cards(self) -> list[Contribution]:
        return [c for c in self.cards if not c.hidden]


def wall_entries(
    live: LiveSession, block: Block | None, cards: list[Contribution], *, counted: bool
) -> list[WallEntry]:
    """`cards`: the block's cards this audience may see (annotated with votes if counted).
    A theme whose every card is hidden from this audience is left out, unless it holds
    dots."""
    if block is None:
        return []
    # Every audience needs to know whether a theme holds dots: a theme whose cards all left
    # or were hidden still carries them (and its voters must be able to take them back).
    themes_qs = Theme.objects.filter(live=live, block=block).annotate(dot_count=Count("dots"))
    themes = {theme.pk: theme for theme in themes_qs}
    by_theme: dict[int, list[Contribution]] = {pk: [] for pk in themes}
    loose: list[WallEntry] = []
    for card in cards:
        if card.theme_id in by_theme:
            by_theme[card.theme_id].append(card)
        else:
            loose.append(WallEntry(card=card, votes=getattr(card, "votes", 0)))
    entries = []
    for pk, theme in themes.items():
        inside = by_theme[pk]
        if not inside and not theme.dot_count:
            continue
        votes = 0
        if counted:
            votes = theme.dot_count + sum(getattr(c, "votes", 0) for c in inside if not c.hidden)
        entries.append(WallEntry(theme=theme, cards=inside, votes=votes))
    # Themes first (in the order they were made), then the loose cards as they arrived.
    return entries + loose


def ranked(entries: list[WallEntry]) -> list[WallEntry]:
    """After the reveal: most dots first; ties keep the wall's order."""
    return sorted(entries, key=lambda e: -e.votes)


def open_suggestions(live: LiveSession, block: Block) -> list[ThemeSuggestion]:
    return list(
        ThemeSuggestion.objects.filter(
            live=live, block=block, status=ThemeSuggestion.Status.OPEN
        ).order_by("-score", "id")
    )
