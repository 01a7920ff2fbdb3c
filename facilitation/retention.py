"""Erasing personal data, as Colombia's Ley 1581 de 2012 asks: one participant's on request,
and a whole session's names and texts once its organisation's retention period has passed.

What erasure means here: names become a neutral label and texts become empty; rows are kept,
so every count (contributions, dots, emotions, answers to agreements) and every figure of the
acta stays as it was. Pages show an empty text as «(texto borrado)».

What is kept, and why:
- Agreements (their text, problem, indicator, versions) and their owners (name, area, email):
  an agreement needs someone who answers for it after the session, and owners keep following
  up through their links. An owner's name is a copy taken when the agreement was written, so
  erasing the participant does not change it.
- Themes' names the facilitator wrote or edited: they are the facilitator's summary of the
  wall, which agreements and the acta's "most voted" list refer to. A name that is still a
  card's own words (Puente names a new theme after a card, see similarity.short_name) is a
  participant's text, and is erased with the cards.
- Diagnoses (levels only, no text), dots, table seats and the privacy acceptance (its version
  and time are the evidence that the data was collected lawfully).
- The agreements' follow-up (owners' progress notes, managers' comments): written after the
  session, by owners and managers, not by the room.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agreements.models import Consent, Owner
from facilitation import services
from facilitation.models import (
    CommitmentAnswer,
    Contribution,
    EmotionCheck,
    GroundRule,
    LiveSession,
    ModerationLog,
    Participant,
    Theme,
    ThemeSuggestion,
)
from facilitation.similarity import short_name
from workshops.models import Organisation

logger = logging.getLogger(__name__)

# Stored in the name itself (in the site's language), so that every page that shows a name
# (the control room, the tables, the owner picker, the objections) shows the label without
# knowing about erasure.
ERASED_NAME = gettext_noop("Participante borrado")


def erased_name() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(ERASED_NAME)


def _said(text: str) -> str:
    return " ".join(text.split()).casefold()


def _card_worded_themes(themes: Iterable[Theme], cards: Iterable[Contribution]) -> list[int]:
    """The themes (ids) whose name is still a card's own words: the name Puente gave the theme
    from one of these cards, unedited by the facilitator."""
    by_block: dict[int, set[str]] = {}
    for card in cards:
        if card.text:
            by_block.setdefault(card.block_id, set()).add(_said(short_name(card.text)))
    return [
        theme.pk
        for theme in themes
        if theme.name and _said(theme.name) in by_block.get(theme.block_id, set())
    ]


def _card_worded_suggestions(live: LiveSession, cards: list[Contribution]) -> list[int]:
    names = {_said(short_name(card.text)) for card in cards if card.text}
    return [
        suggestion.pk
        for suggestion in ThemeSuggestion.objects.filter(live=live)
        if _said(suggestion.name) in names
    ]


# --- one person, on request ------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantErasure:
    """What erasing one person changed (all zero when they had been erased before)."""

    contributions: int = 0
    consents: int = 0
    words: int = 0
    themes: int = 0
    retired: bool = False

    @property
    def texts(self) -> int:
        return self.contributions + self.consents + self.words + self.themes


@transaction.atomic
def erase_participant(*, participant: Participant, actor: AbstractBaseUser) -> ParticipantErasure:
    """Erase one person's name and the texts linked to them: the contributions they signed
    (and a theme still named with one of those cards' words), the reasons of their answers to
    agreements and the word beside their emotions. Counts stay. In an open session the person
    is also retired from the room, or what they sent next would be linked to an erased person.

    What cannot be erased this way, because it was stored without its author and nothing can
    find it: anonymous contributions, reservations to the principles and ground rules. An
    agreement they own keeps their name as its owner (see the module's docstring).

    Idempotent: a person already erased (on request or by the retention period) is left as
    is. Atomic; the screens of an open session are told after commit."""
    live = LiveSession.objects.select_for_update(of=("self",)).get(pk=participant.live_id)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.erased_at is not None or live.texts_erased_at is not None:
        return ParticipantErasure()
    retired = False
    if live.is_open and participant.removed_at is None:
        participant = services.participant_remove(
            live=live, participant=participant, actor=actor, reason=""
        )
        retired = True
    cards = list(Contribution.objects.filter(live=live, participant=participant))
    themes = _card_worded_themes(Theme.objects.filter(live=live), cards)
    ThemeSuggestion.objects.filter(pk__in=_card_worded_suggestions(live, cards)).delete()
    erased = ParticipantErasure(
        # hidden_reason stays: it is the facilitator's word about the card, not the person's.
        contributions=Contribution.objects.filter(pk__in=[c.pk for c in cards])
        .exclude(text="")
        .update(text=""),
        themes=Theme.objects.filter(pk__in=themes).update(name=""),
        consents=Consent.objects.filter(participant=participant)
        .exclude(reason="")
        .update(reason=""),
        words=EmotionCheck.objects.filter(participant=participant).exclude(word="").update(word=""),
        retired=retired,
    )
    participant.name = erased_name()
    # Retired by this erasure: the same instant, which is how the acta still counts them as
    # present (agreements.selectors.workshop_report); one retired before is not counted.
    participant.erased_at = participant.removed_at if retired else timezone.now()
    participant.save(update_fields=["name", "erased_at"])
    ModerationLog.objects.create(live=live, actor=actor, action="erase")
    if live.is_open:
        services.notify_live(live)
    return erased


@dataclass(frozen=True)
class LinkedTexts:
    """What erasing one person would erase, and the agreements they answer for (kept)."""

    contributions: int
    consents: int
    words: int
    owned: list[Owner]


def linked_texts(participant: Participant) -> LinkedTexts:
    """The texts linked to this person, counted (read for the confirmation page, which shows
    only the signed contributions' count: counting reasons would name who objected without
    signing)."""
    return LinkedTexts(
        contributions=Contribution.objects.filter(participant=participant).exclude(text="").count(),
        consents=Consent.objects.filter(participant=participant).exclude(reason="").count(),
        words=EmotionCheck.objects.filter(participant=participant).exclude(word="").count(),
        owned=list(
            Owner.objects.filter(participant=participant)
            .select_related("agreement")
            .order_by("agreement_id")
        ),
    )


def erase_due(live: LiveSession) -> datetime.datetime | None:
    """When the retention period erases this session's names and texts (None while open)."""
    if live.closed_at is None:
        return None
    days = live.workshop.organisation.retention_days
    return live.closed_at + datetime.timedelta(days=days)


# --- whole sessions, after the retention period ----------------------------------------------


@dataclass(frozen=True)
class SessionErasure:
    live_id: int
    title: str
    organisation: str
    closed_on: datetime.date  # in the organisation's time zone
    names: int
    texts: int


@dataclass
class RetentionResult:
    erased: list[SessionErasure] = field(default_factory=list)
    failed: int = 0


def expired_sessions(*, now: datetime.datetime | None = None) -> list[int]:
    """Ids of the closed sessions whose organisation's retention period has passed since they
    closed and whose texts are still there."""
    now = now or timezone.now()
    ids: list[int] = []
    for organisation in Organisation.objects.only("pk", "retention_days"):
        cutoff = now - datetime.timedelta(days=organisation.retention_days)
        ids += LiveSession.objects.filter(
            workshop__organisation=organisation,
            closed_at__isnull=False,
            closed_at__lte=cutoff,
            texts_erased_at__isnull=True,
        ).values_list("pk", flat=True)
    return sorted(ids)


@transaction.atomic
def erase_session_texts(
    *, live: LiveSession, now: datetime.datetime | None = None
) -> SessionErasure | None:
    """Erase every name and text of a closed session: participants' names, every
    contribution's text (anonymous ones too) and hide reason, answers' reasons, emotion words,
    reservation notes, ground rules, themes still named with a card's words, Puente's theme
    suggestions and the reasons typed when moderating; set texts_erased_at. Agreements, owners,
    counts and the acta's figures stay.

    Returns None, changing nothing, for an open session or one erased before. Atomic."""
    now = now or timezone.now()
    live = (
        LiveSession.objects.select_for_update(of=("self",))
        .select_related("workshop__organisation")
        .get(pk=live.pk)
    )
    if live.closed_at is None or live.texts_erased_at is not None:
        return None
    label = erased_name()
    people = Participant.objects.filter(live=live)
    names = people.exclude(name=label).update(name=label)
    people.filter(erased_at__isnull=True).update(erased_at=now)
    cards = Contribution.objects.filter(live=live)
    # Themes first: whether a name is a card's words is read from the cards' texts.
    themes = _card_worded_themes(Theme.objects.filter(live=live), cards)
    texts = Theme.objects.filter(pk__in=themes).update(name="")
    ThemeSuggestion.objects.filter(live=live).delete()
    texts += cards.filter(~Q(text="") | ~Q(hidden_reason="")).update(text="", hidden_reason="")
    texts += (
        Consent.objects.filter(Q(agreement__live=live) | Q(participant__live=live))
        .exclude(reason="")
        .update(reason="")
    )
    texts += EmotionCheck.objects.filter(live=live).exclude(word="").update(word="")
    texts += CommitmentAnswer.objects.filter(live=live).exclude(note="").update(note="")
    texts += GroundRule.objects.filter(live=live).exclude(text="").update(text="")
    ModerationLog.objects.filter(live=live).exclude(reason="").update(reason="")
    live.texts_erased_at = now
    live.save(update_fields=["texts_erased_at"])
    return SessionErasure(
        live_id=live.pk,
        title=live.workshop.title,
        organisation=live.workshop.organisation.name,
        closed_on=timezone.localdate(live.closed_at, live.workshop.organisation.zone),
        names=names,
        texts=texts,
    )


def erase_expired(*, now: datetime.datetime | None = None) -> RetentionResult:
    """Erase the names and texts of every session past its organisation's retention period
    (meant for a daily cron; running it again erases nothing new). Each session is erased in
    a transaction of its own: one that fails is logged, left as it was (the next run tries it
    again) and never stops the others."""
    now = now or timezone.now()
    result = RetentionResult()
    for live_id in expired_sessions(now=now):
        try:
            erased = erase_session_texts(live=LiveSession.objects.get(pk=live_id), now=now)
        except Exception:  # noqa: BLE001 - whatever one session's rows raise
            logger.warning("Retention erase failed for live session %s", live_id, exc_info=True)
            result.failed += 1
            continue
        if erased is not None:
            result.erased.append(erased)
    return result
