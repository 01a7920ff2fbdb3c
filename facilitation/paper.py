"""People without a smartphone take part on paper (issue 13).

The facilitator, or a co-facilitator on a second device, adds the person (name or alias and
area, after reading or handing them the privacy notice) and types what they answered on
paper. Every entry goes through the very service a phone's message goes through, so every
rule is the same (the block, open or closed, once per person or per key, the dots left, an
anonymous card stored without its author); only the per-minute limit is skipped, because
one device enters for many people.

Contract: each function is atomic (the service it calls is) and broadcasts after commit as
the phone path does; a refusal raises LiveError with a Spanish message and changes nothing.
An entry for someone of another session, or for someone with a phone, is refused.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import Consent
from agreements.services import consent_submit
from facilitation import services
from facilitation.models import (
    CommitmentAnswer,
    Contribution,
    Diagnosis,
    Dot,
    EmotionCheck,
    GroundRule,
    LiveSession,
    Participant,
)
from facilitation.selectors import LiveState, ParticipantMe, live_state, participant_me
from facilitation.services import LiveError
from facilitation.wall import WallEntry
from workshops.method import DIAGNOSIS_KIND, PRINCIPLES_KIND
from workshops.models import Area, Block, Organisation

# Said to the staff member who read or handed the notice to the person, not to them.
NOTICE_CHANGED = gettext_lazy(
    "El aviso de privacidad cambió mientras agregabas a esta persona. Léele o entrégale la "
    "versión nueva y, si está de acuerdo, marca otra vez la casilla."
)


def paper_participant_add(
    *, live: LiveSession, name: str, area: Area, privacy_version: int | None
) -> Participant:
    """Add a person on paper. privacy_version: the notice the staff read or handed them and
    they accepted (nobody takes part without it), recorded as a phone's acceptance is."""
    if privacy_version is None:
        raise LiveError(
            _("Confirma que le leíste o le entregaste el aviso de privacidad y que lo aceptó.")
        )
    current = (
        Organisation.objects.filter(pk=live.workshop.organisation_id)
        .values_list("privacy_notice_version", flat=True)
        .get()
    )
    if privacy_version != current:
        # The join refuses it too, in words for the person on a phone: this is the staff's.
        raise LiveError(NOTICE_CHANGED)
    if not live.door_open:
        # The join refuses it too, under its lock, in words for the person at the door.
        raise LiveError(
            _("El ingreso está cerrado: reábrelo en la sala de control para agregar a alguien.")
        )
    return services.participant_join(
        live=live, name=name, area=area, privacy_version=privacy_version, on_paper=True
    )


def paper_person(live: LiveSession, participant: Participant) -> Participant:
    """The person the staff enters for: on paper and of this session, else refused."""
    if participant.live_id != live.pk:
        raise LiveError(_("Esa persona no es de esta sesión."))
    if not participant.on_paper:
        raise LiveError(
            _("Esa persona participa desde su celular: sus respuestas las envía ella misma.")
        )
    return participant


def paper_emotion(
    *,
    live: LiveSession,
    participant: Participant,
    moment: str,
    emotion: str,
    intensity: int,
    word: str = "",
) -> EmotionCheck:
    return services.emotion_submit(
        participant=paper_person(live, participant),
        moment=moment,
        emotion=emotion,
        intensity=intensity,
        word=word,
    )


def paper_commitment(
    *, live: LiveSession, participant: Participant, key: str, choice: str, note: str = ""
) -> tuple[CommitmentAnswer | None, bool]:
    return services.commitment_answer(
        participant=paper_person(live, participant), key=key, choice=choice, note=note
    )


def paper_ground_rule(
    *, live: LiveSession, participant: Participant, key: str, text: str
) -> tuple[GroundRule, bool]:
    return services.ground_rule_propose(
        participant=paper_person(live, participant), key=key, text=text, on_paper=True
    )


def paper_diagnosis(
    *, live: LiveSession, participant: Participant, key: str, answers: dict[str, Any]
) -> tuple[Diagnosis | None, bool]:
    return services.diagnosis_submit(
        participant=paper_person(live, participant), key=key, answers=answers
    )


def paper_contribution(
    *, live: LiveSession, participant: Participant, key: str, text: str, block_id: int
) -> tuple[Contribution, bool]:
    """A card from paper. In an anonymous block it is stored exactly as a phone's: no
    participant, no area and no paper mark (see Contribution.on_paper)."""
    return services.contribution_submit(
        participant=paper_person(live, participant),
        key=key,
        text=text,
        block_id=block_id,
        on_paper=True,
    )


def paper_dot(
    *,
    live: LiveSession,
    participant: Participant,
    key: str,
    target: str,
    remove: bool = False,
) -> Dot | bool:
    """Place one dot (once per key) or take one back, on a card ("c12") or a theme ("t5")."""
    person = paper_person(live, participant)
    card_id, theme_id = services.parse_target(target)
    if remove:
        return services.dot_remove(participant=person, contribution_id=card_id, theme_id=theme_id)
    dot, _created = services.dot_place(
        participant=person, key=key, contribution_id=card_id, theme_id=theme_id
    )
    return dot


def paper_consent(
    *,
    live: LiveSession,
    participant: Participant,
    agreement_id: int,
    version: int,
    choice: str,
    reason: str = "",
    signed: bool = False,
) -> tuple[Consent, bool]:
    """Their answer to the agreement in consultation; unsigned unless they signed it on
    paper (then the control room sees their name, as with a phone)."""
    return consent_submit(
        participant=paper_person(live, participant),
        agreement_id=agreement_id,
        version=version,
        choice=choice,
        reason=reason,
        signed=signed,
    )


# --- what the paper page shows -------------------------------------------------------------


@dataclass
class PaperPanel:
    """One person on paper in the current block: what a phone would ask them now, and what
    they already answered. The room is read as the phones see it."""

    person: Participant
    state: LiveState
    me: ParticipantMe
    # Their emotion at this moment (check-in or check-out), to show or change.
    emotion: EmotionCheck | None
    # Their signed cards of this block (an anonymous card has no author to list it by).
    cards: list[Contribution]
    # Their answer to the version in consultation.
    consent: Consent | None
    # The session's number when this was read: the page asks again only once it moved.
    stamp: int

    @property
    def active(self) -> bool:
        return self.state.live.is_open and self.person.removed_at is None

    @property
    def asks_emotion(self) -> bool:
        return bool(self.state.emotion_moment)

    @property
    def asks_principles(self) -> bool:
        return bool(self.state.principles_moment) and not self.person.principles_answered

    @property
    def asks_ground_rule(self) -> bool:
        return self.state.principles_moment == "current"

    @property
    def asks_diagnosis(self) -> bool:
        block = self.state.block
        return (
            block is not None
            and block.kind.slug == DIAGNOSIS_KIND
            and not self.state.live.results_revealed
            and not self.person.diagnosis_answered
        )

    @property
    def diagnosis_done(self) -> bool:
        block = self.state.block
        return (
            block is not None
            and block.kind.slug == DIAGNOSIS_KIND
            and (self.person.diagnosis_answered)
        )

    @property
    def takes_cards(self) -> bool:
        block = self.state.block
        return (
            block is not None and block.allows_contributions and self.state.live.contributions_open
        )

    @property
    def voting(self) -> bool:
        block = self.state.block
        return block is not None and block.dots > 0 and self.state.live.voting_open

    @property
    def dots_left(self) -> int:
        block = self.state.block
        return max((block.dots if block else 0) - sum(self.me.my_dots.values()), 0)

    @property
    def ballot(self) -> list[tuple[WallEntry, int]]:
        """The wall as a phone votes on it, each entry with this person's dots on it."""
        return [(entry, self.me.my_dots.get(entry.target, 0)) for entry in self.state.entries]

    @property
    def asks_anything(self) -> bool:
        return (
            self.asks_emotion
            or bool(self.state.principles_moment)
            or self.asks_diagnosis
            or self.diagnosis_done
            or self.takes_cards
            or self.voting
            or self.state.consenting is not None
        )


def paper_panel(live: LiveSession, person: Participant) -> PaperPanel:
    stamp = LiveSession.objects.filter(pk=live.pk).values_list("seq", flat=True).get()
    state = live_state(live, audience="participants")
    me = participant_me(person)
    person = me.participant
    emotion = None
    if state.emotion_moment:
        emotion = EmotionCheck.objects.filter(
            participant=person, moment=state.emotion_moment
        ).first()
    cards: list[Contribution] = []
    if state.block is not None and state.block.allows_contributions:
        cards = list(
            Contribution.objects.filter(live=live, block=state.block, participant=person).order_by(
                "id"
            )
        )
    consent = None
    if state.consenting is not None:
        consent = next(
            (
                c
                for c in me.consents
                if c.agreement_id == state.consenting.pk and c.version == state.consenting.version
            ),
            None,
        )
    return PaperPanel(
        person=person,
        state=state,
        me=me,
        emotion=emotion,
        cards=cards,
        consent=consent,
        stamp=stamp,
    )


def paper_people(live: LiveSession) -> list[Participant]:
    """The session's people on paper, by area and name (removed ones too, marked so)."""
    return list(
        Participant.objects.filter(live=live, on_paper=True)
        .select_related("area")
        .order_by("area__position", "name", "id")
    )


# --- the printable form ----------------------------------------------------------------------

# What a block asks of a person, as the printed form lays it out.
FORM_EMOTION = "emotion"
FORM_PRINCIPLES = "principles"
FORM_DIAGNOSIS = "diagnosis"
FORM_CARDS = "cards"
FORM_CONSENT = "consent"
AGREEMENTS_KIND = "agreements"
# Lines to write on under each question, and rows for agreements the room will consult.
FORM_LINES = 5
FORM_CONSENT_ROWS = 4


@dataclass(frozen=True)
class FormSection:
    """One block of the agenda that asks the person something, in the agenda's order."""

    block: Block
    asks: str  # FORM_EMOTION, FORM_PRINCIPLES, FORM_DIAGNOSIS, FORM_CARDS or FORM_CONSENT
    questions: list[str]

    @property
    def anonymous(self) -> bool:
        """Its cards go on the sheet without a name (the block decides, not the person)."""
        return self.asks == FORM_CARDS and self.block.anonymous

    @property
    def dots(self) -> range:
        return range(1, self.block.dots + 1) if self.asks == FORM_CARDS else range(0)

    @property
    def checkout(self) -> bool:
        return self.asks == FORM_EMOTION and self.block.kind.slug == "checkout"


def _asks(block: Block) -> str:
    slug = block.kind.slug
    if slug in {"checkin", "checkout"}:
        return FORM_EMOTION
    if slug == PRINCIPLES_KIND:
        return FORM_PRINCIPLES
    if slug == DIAGNOSIS_KIND:
        return FORM_DIAGNOSIS
    if block.allows_contributions:
        return FORM_CARDS
    if slug == AGREEMENTS_KIND:
        return FORM_CONSENT
    return ""


def paper_form_sections(live: LiveSession) -> list[FormSection]:
    """The agenda's blocks that ask something of a person, as the paper form prints them:
    read from the session's blocks and their questions, never a fixed list. Blocks that ask
    nothing (the opening, a break) are left out."""
    blocks = live.workshop.blocks.select_related("kind").prefetch_related("questions")
    sections = []
    for block in blocks:
        asks = _asks(block)
        if asks:
            questions = [question.text for question in block.questions.all()]
            sections.append(FormSection(block=block, asks=asks, questions=questions))
    return sections
