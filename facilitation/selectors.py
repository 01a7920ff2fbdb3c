"""What each screen of a live session shows, read in one place for the page, the htmx
response and the websocket push alike."""

import datetime
import difflib
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Agreement, AgreementVersion, Consent, Owner, StatusUpdate
from facilitation.models import (
    BlockRun,
    CommitmentAnswer,
    Contribution,
    Diagnosis,
    Dot,
    Emotion,
    EmotionCheck,
    GroundRule,
    LiveSession,
    Participant,
    ThemeSuggestion,
)
from facilitation.privacy import small_groups_merged
from facilitation.wall import WallEntry, open_suggestions, ranked, wall_entries
from workshops import method
from workshops.method import DIAGNOSIS_KIND, MIN_DIAGNOSES, PRINCIPLES_KIND
from workshops.models import Area, Assumption, Block, Principle, Responsibility, Workshop

PRESENT_SECONDS = 120


@dataclass
class AreaPresence:
    name: str
    present: int
    joined: int
    expected: int
    voices: int  # contributions in the current block (anonymous ones are not counted)
    on_paper: int = 0  # of those present, the people taking part on paper


@dataclass
class EmotionBar:
    label: str
    count: int
    percent: int
    mean_intensity: float


@dataclass
class SymptomRow:
    symptom: method.Symptom
    counts: list[int]  # people per level, from «No pasa» up
    score: int  # 0 (nobody sees it) to 100 (everybody, all the time)
    earlier: int | None  # the same score in the organisation's earlier session


@dataclass
class DiagnosisMap:
    """The room's diagnosis of the nine situations. Shown only once MIN_DIAGNOSES people
    answered (fewer would show what one person marked) and the facilitator revealed it
    (while answers come in, a screen that changed with each tap would show each one)."""

    answered: int
    rows: list[SymptomRow]
    earlier: LiveSession | None
    earlier_answered: int
    revealed: bool = True

    @property
    def enough(self) -> bool:
        return self.answered >= MIN_DIAGNOSES

    @property
    def shown(self) -> bool:
        return self.enough and self.revealed


@dataclass
class CommitmentCounts:
    """The room's answers to the principles, as counts; the notes of reservations without
    any author (the facilitator reads them, the projector does not)."""

    committed: int
    reserved: int
    pending: int
    notes: list[str]
    # The split and the notes are shown once the facilitator reveals them (or the block is
    # over): until then a count that moved with each tap would tell who reserved.
    revealed: bool = True

    @property
    def answered(self) -> int:
        return self.committed + self.reserved


@dataclass
class EmotionPanel:
    moment: str
    label: str
    bars: list[EmotionBar]
    total: int
    words: list[tuple[str, int]]


@dataclass
class GuideStep:
    title: str
    minutes: int
    start_seconds: int  # into the block, by the plan
    end_seconds: int
    is_current: bool


@dataclass
class BlockGuide:
    """The facilitator's guide for the current block: its steps (the current one follows the
    timer) and the kind's script, probes and cautions."""

    steps: list[GuideStep]
    kind: method.KindGuide | None
    notes: str
    total_seconds: int  # planned plus the facilitator's adjustments


@dataclass
class PlannedBlock:
    block: Block
    starts_at: datetime.datetime  # when it ran (past, current) or is now due (ahead)
    is_current: bool
    is_past: bool
    planned_at: datetime.datetime | None = None  # the plan's clock time
    ran_minutes: int | None = None  # past blocks: how long they were on the screens
    skipped: bool = False  # a past block the agenda never went to


@dataclass
class Drift:
    """How far the session runs from its plan: the end it is heading for against the
    planned one (minutes > 0: behind)."""

    minutes: int
    ends_at: datetime.datetime
    planned_end: datetime.datetime

    @property
    def late(self) -> bool:
        return self.minutes > 1

    @property
    def early(self) -> bool:
        return self.minutes < -1

    @property
    def abs_minutes(self) -> int:
        return abs(self.minutes)


@dataclass
class VotingProgress:
    voters: int
    present: int
    dots_used: int
    dots_total: int

    @property
    def percent(self) -> int:
        return round(100 * self.dots_used / self.dots_total) if self.dots_total else 0


@dataclass
class LiveState:
    live: LiveSession
    block: Block | None
    questions: list[str]
    remaining_seconds: int
    running: bool
    server_now_ms: int
    wall: list[Contribution]
    # The wall as screens show it: themes (cards folded inside), then loose cards.
    entries: list[WallEntry]
    # Cards waiting for the facilitator to show them (the facilitator's screen only), and
    # how many (every screen).
    queue: list[Contribution]
    queued_count: int
    suggestions: list[ThemeSuggestion]
    hidden_count: int
    presence: list[AreaPresence]
    emotions: dict[str, list[EmotionBar]]
    emotion_totals: dict[str, int]
    principle: Principle | None
    timeline: list[PlannedBlock] = field(default_factory=list)
    drift: Drift | None = None
    participants: list[Participant] = field(default_factory=list)
    tables: list[list[Participant]] = field(default_factory=list)
    # Agreements of this session: the one the room is consenting to (every audience), all of
    # them with their consent per area (facilitator), the agreed ones (projector).
    consenting: Agreement | None = None
    consent_changes: "VersionChanges | None" = None
    agreements: list["LiveAgreement"] = field(default_factory=list)
    agreed: list[Agreement] = field(default_factory=list)
    open_agreements: list["OpenAgreement"] = field(default_factory=list)
    # Owners of the session's agreed agreements, and how many have not got their link.
    agreed_owners: int = 0
    owners_without_link: int = 0
    checkout_missing: bool = False
    consent_answers: int = 0
    # The projector's tally of the agreement in consultation: (label, count) per answer.
    consent_tally: list[tuple[str, int]] = field(default_factory=list)
    # The projector's objections to it: their reasons only, never who or which area.
    consent_objections: list[str] = field(default_factory=list)
    guide: BlockGuide | None = None
    # "current" in the principles block, "past" once the agenda went beyond it: a phone that
    # has not answered the principles then shows them and asks.
    principles_moment: str = ""
    commitments: "CommitmentCounts | None" = None
    # The acuerdos de convivencia the facilitator kept (every screen); every proposal with
    # whether it was kept (the facilitator).
    ground_rules: list[str] = field(default_factory=list)
    ground_rule_proposals: list[GroundRule] = field(default_factory=list)
    diagnosis: DiagnosisMap | None = None
    # The room's single words beside its emotions, most said first (never with a name).
    words: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # The projector while the room votes: how many people placed a dot, of those present,
    # and how many dots are on the wall, of all the room has.
    voting: "VotingProgress | None" = None
    # The projector's principles slide.
    principles: list[Principle] = field(default_factory=list)
    now: datetime.datetime | None = None

    @property
    def emotion_panels(self) -> list["EmotionPanel"]:
        """Arrival and departure side by side; departure only once someone answered it or
        the room is in the check-out."""
        panels = []
        for moment, label in EmotionCheck.Moment.choices:
            total = self.emotion_totals.get(moment, 0)
            if moment == "checkout" and not total and self.emotion_moment != "checkout":
                continue
            panels.append(
                EmotionPanel(
                    moment,
                    str(label),
                    self.emotions.get(moment, []),
                    total,
                    self.words.get(moment, []),
                )
            )
        return panels

    @property
    def is_break(self) -> bool:
        return self.block is not None and self.block.kind.slug == method.BREAK_KIND

    @property
    def returns_at(self) -> datetime.datetime | None:
        """A break's end as a clock time (what every screen says: «Regresamos a las…»)."""
        if not self.is_break or self.now is None:
            return None
        return self.now + datetime.timedelta(seconds=max(self.remaining_seconds, 0))

    @property
    def overdue(self) -> bool:
        return self.remaining_seconds < 0

    @property
    def remaining_label(self) -> str:
        seconds = abs(self.remaining_seconds)
        sign = "-" if self.remaining_seconds < 0 else ""
        return f"{sign}{seconds // 60:02d}:{seconds % 60:02d}"

    @property
    def emotion_moment(self) -> str:
        slug = self.block.kind.slug if self.block else ""
        return slug if slug in {"checkin", "checkout"} else ""


LIVE_RELATED = ("workshop__organisation", "current_block__kind", "pushed_principle")
# The organisation's logo (up to a few hundred KB) is never needed by the live layer.
LIVE_DEFERRED = ("workshop__organisation__logo",)


def live_state(live: LiveSession, *, audience: str, fresh: bool = False) -> LiveState:
    """The room as `audience` ("participants", "facilitator", "projector") may see it.
    fresh: `live` was just read with LIVE_RELATED (a broadcast), do not read it again."""
    if not fresh:
        live = (
            LiveSession.objects.select_related(*LIVE_RELATED).defer(*LIVE_DEFERRED).get(pk=live.pk)
        )
    now = timezone.now()
    block = live.current_block
    questions = list(block.questions.values_list("text", flat=True)) if block else []
    remaining = round(live.timer_remaining_seconds(now)) if block else 0

    wall_qs = Contribution.objects.filter(live=live, block=block).select_related(
        "participant", "area"
    )
    # Counting the dots joins and groups every vote of the block: only the facilitator sees
    # counts before the reveal (phones and projector after it). One query for the wall and
    # the number hidden from the room.
    if audience == "facilitator" or live.results_revealed:
        wall_qs = wall_qs.annotate(votes=Count("dots"))
    wall = list(wall_qs.order_by("id"))
    hidden_count = 0
    # Cards waiting in the facilitator's queue (a block that reveals first): the room sees
    # only how many; the facilitator sees them apart from the wall.
    queue = [c for c in wall if c.revealed_at is None and not c.hidden]
    wall = [c for c in wall if c.revealed_at is not None or c.hidden]
    if audience != "facilitator":
        shown = [c for c in wall if not c.hidden]
        hidden_count = len(wall) - len(shown)
        wall = shown
    entries: list[WallEntry] = []
    suggestions = []
    if block is not None and block.allows_contributions:
        counted = audience == "facilitator" or live.results_revealed
        entries = wall_entries(live, block, wall, counted=counted)
        if live.results_revealed:
            entries = ranked(entries)
        if audience == "facilitator":
            suggestions = open_suggestions(live, block)

    presence: list[AreaPresence] = []
    emotions: dict[str, list[EmotionBar]] = {}
    totals: dict[str, int] = {}
    if audience != "participants":  # phones show neither; they are rendered most often
        presence, emotions, totals = _room_figures(live, block, now)

    state = LiveState(
        live=live,
        block=block,
        questions=questions,
        remaining_seconds=remaining,
        running=live.timer_running_since is not None,
        server_now_ms=int(now.timestamp() * 1000),
        wall=wall,
        queue=queue if audience == "facilitator" else [],
        queued_count=len(queue),
        entries=entries,
        suggestions=suggestions,
        hidden_count=hidden_count,
        presence=presence,
        emotions=emotions,
        emotion_totals=totals,
        principle=live.pushed_principle,
        now=now,
    )
    state.principles_moment = _principles_moment(live, block)
    if audience != "participants" and block is not None and block.kind.slug == DIAGNOSIS_KIND:
        state.diagnosis = diagnosis_map(live, revealed=live.results_revealed)
    if state.principles_moment:
        rules = list(GroundRule.objects.filter(live=live).order_by("id"))
        state.ground_rules = [rule.text for rule in rules if rule.kept]
        if audience == "facilitator":
            state.ground_rule_proposals = rules
    if audience != "participants":
        state.words = _room_words(live)
        state.commitments = commitment_counts(
            live,
            notes=audience == "facilitator",
            revealed=live.results_revealed or state.principles_moment == "past",
        )
    if audience == "facilitator" and block is not None:
        state.guide = block_guide(
            block,
            elapsed=block.minutes * 60 + live.timer_adjust_seconds - remaining,
            adjust=live.timer_adjust_seconds,
        )
    if audience == "facilitator":
        state.timeline = timeline(live, block, remaining, now)
        state.drift = drift(live, state.timeline, block, remaining, now)
        state.participants = list(
            Participant.objects.filter(live=live)
            .select_related("area")
            .order_by("area__position", "name")
        )
    if audience in {"facilitator", "projector"} and live.table_round:
        state.tables = tables(live)
    state.consenting = consenting_agreement(live)
    if state.consenting is not None:
        state.consent_changes = version_changes(state.consenting)
    if audience == "facilitator":
        state.agreements = live_agreements(live)
        agreed_owners = [
            owner
            for item in state.agreements
            if item.agreement.outcome == Agreement.Outcome.AGREED
            for owner in item.agreement.owners.all()
            if owner.revoked_at is None
        ]
        state.agreed_owners = len(agreed_owners)
        state.owners_without_link = sum(1 for owner in agreed_owners if not owner.has_link)
        state.checkout_missing = bool(
            live.is_open and block and _near_the_end(live, block) and not totals.get("checkout")
        )
    if audience == "projector":
        if live.voting_open and block is not None and block.dots:
            state.voting = voting_progress(live, block, presence)
        if state.principles_moment == "current" and state.principle is None:
            state.principles = list(Principle.objects.all())
        state.agreed = [
            a for a in _session_agreements(live) if a.outcome == Agreement.Outcome.AGREED
        ]
        if state.consenting is not None:
            tally = dict(
                Consent.objects.filter(agreement=state.consenting, version=state.consenting.version)
                .values("choice")
                .annotate(n=Count("id"))
                .values_list("choice", "n")
            )
            state.consent_tally = [
                (label, tally.get(choice, 0)) for choice, label in Consent.Choice.choices
            ]
            state.consent_answers = sum(tally.values())
            if audience == "projector":
                state.consent_objections = list(
                    Consent.objects.filter(
                        agreement=state.consenting,
                        version=state.consenting.version,
                        choice=Consent.Choice.OBJECT,
                    )
                    .order_by("reason")  # alphabetical: never the order people answered
                    .values_list("reason", flat=True)
                )
    if block is not None and block.kind.slug == OPEN_AGREEMENTS_KIND:
        state.open_agreements = open_agreements(live.workshop)
    return state


def voting_progress(
    live: LiveSession, block: Block, presence: list[AreaPresence]
) -> VotingProgress:
    """Counts only, never who: the room sees the vote move without seeing anyone's dots."""
    row = Dot.objects.filter(live=live, block=block).aggregate(
        dots=Count("id"), voters=Count("participant", distinct=True)
    )
    present = sum(area.present for area in presence)
    return VotingProgress(
        voters=row["voters"],
        present=max(present, row["voters"]),
        dots_used=row["dots"],
        dots_total=max(present, row["voters"]) * block.dots,
    )


def _room_figures(
    live: LiveSession, block: Block | None, now: datetime.datetime
) -> tuple[list[AreaPresence], dict[str, list[EmotionBar]], dict[str, int]]:
    """Presence and balance of voices by area, and the emotion charts (room and screen)."""
    since = now - datetime.timedelta(seconds=PRESENT_SECONDS)
    invited = list(live.workshop.invited.select_related("area"))
    counts = {
        row["area_id"]: row
        for row in Participant.objects.filter(live=live, removed_at__isnull=True)
        .values("area_id")
        .annotate(
            joined=Count("id"),
            # People on paper have no socket: they are in the room until removed.
            present=Count("id", filter=Q(last_seen_at__gte=since) | Q(on_paper=True)),
            on_paper=Count("id", filter=Q(on_paper=True)),
        )
    }
    voices = Counter(
        Contribution.objects.filter(live=live, block=block, anonymous=False).values_list(
            "area_id", flat=True
        )
    )
    presence = [
        AreaPresence(
            name=inv.area.name,
            present=counts.get(inv.area_id, {}).get("present", 0),
            joined=counts.get(inv.area_id, {}).get("joined", 0),
            expected=inv.expected_people,
            voices=voices.get(inv.area_id, 0),
            on_paper=counts.get(inv.area_id, {}).get("on_paper", 0),
        )
        for inv in invited
    ]

    emotions: dict[str, list[EmotionBar]] = {}
    totals: dict[str, int] = {}
    labels = dict(Emotion.choices)
    for moment in EmotionCheck.Moment.values:
        rows = list(
            EmotionCheck.objects.filter(live=live, moment=moment)
            .values("emotion")
            .annotate(n=Count("id"), avg=Avg("intensity"))
        )
        total = sum(r["n"] for r in rows)
        totals[moment] = total
        emotions[moment] = sorted(
            (
                EmotionBar(
                    labels.get(r["emotion"], r["emotion"]),
                    r["n"],
                    round(100 * r["n"] / total) if total else 0,
                    round(r["avg"] or 0, 1),
                )
                for r in rows
            ),
            key=lambda bar: -bar.count,
        )
    return presence, emotions, totals


WORDS_SHOWN = 12


def _principles_moment(live: LiveSession, block: Block | None) -> str:
    if block is None:
        return ""
    if block.kind.slug == PRINCIPLES_KIND:
        return "current"
    earlier = live.workshop.blocks.filter(kind__slug=PRINCIPLES_KIND, position__lt=block.position)
    return "past" if earlier.exists() else ""


def _scores(rows: list[dict]) -> tuple[dict[str, list[int]], dict[str, int]]:
    levels = len(method.diagnosis_scale())
    counts = {s.slug: [0] * levels for s in method.symptoms()}
    for answers in rows:
        for slug, level in answers.items():
            if slug in counts and 0 <= level < levels:
                counts[slug][level] += 1
    scores = {}
    for slug, per_level in counts.items():
        total = sum(per_level)
        weighted = sum(level * n for level, n in enumerate(per_level))
        scores[slug] = round(100 * weighted / (total * (levels - 1))) if total else 0
    return counts, scores


def diagnosis_map(live: LiveSession, *, revealed: bool = True) -> DiagnosisMap:
    """This session's map, beside the organisation's most recent earlier session that
    answered the same diagnosis (enough people for it to be shown)."""
    rows = list(Diagnosis.objects.filter(live=live).values_list("answers", flat=True))
    counts, scores = _scores(rows)
    earlier = (
        LiveSession.objects.filter(
            workshop__organisation_id=live.workshop.organisation_id,
            started_at__lt=live.started_at,
        )
        .exclude(pk=live.pk)
        .annotate(n=Count("diagnoses"))
        .filter(n__gte=MIN_DIAGNOSES)
        .select_related("workshop")
        .order_by("-started_at")
        .first()
    )
    earlier_scores: dict[str, int] = {}
    earlier_answered = 0
    if earlier is not None:
        earlier_rows = list(
            Diagnosis.objects.filter(live=earlier).values_list("answers", flat=True)
        )
        earlier_answered = len(earlier_rows)
        _counts, earlier_scores = _scores(earlier_rows)
    return DiagnosisMap(
        answered=len(rows),
        rows=[
            SymptomRow(s, counts[s.slug], scores[s.slug], earlier_scores.get(s.slug))
            for s in method.symptoms()
        ],
        earlier=earlier,
        earlier_answered=earlier_answered,
        revealed=revealed,
    )


def commitment_counts(live: LiveSession, *, notes: bool, revealed: bool = True) -> CommitmentCounts:
    counts = dict(
        CommitmentAnswer.objects.filter(live=live)
        .values("choice")
        .annotate(n=Count("id"))
        .values_list("choice", "n")
    )
    pending = Participant.objects.filter(
        live=live, removed_at__isnull=True, principles_answered=False
    ).count()
    return CommitmentCounts(
        committed=counts.get(CommitmentAnswer.Choice.COMMIT, 0),
        reserved=counts.get(CommitmentAnswer.Choice.RESERVE, 0),
        pending=pending,
        # In the order of their text, never of their arrival.
        notes=sorted(
            CommitmentAnswer.objects.filter(live=live, choice=CommitmentAnswer.Choice.RESERVE)
            .exclude(note="")
            .values_list("note", flat=True)
        )
        if notes and revealed
        else [],
        revealed=revealed,
    )


def _room_words(live: LiveSession) -> dict[str, list[tuple[str, int]]]:
    rows = EmotionCheck.objects.filter(live=live).exclude(word="").values_list("moment", "word")
    counted: dict[str, Counter[str]] = {moment: Counter() for moment in EmotionCheck.Moment.values}
    for moment, word in rows:
        counted[moment][word.casefold()] += 1
    return {moment: words.most_common(WORDS_SHOWN) for moment, words in counted.items()}


def block_guide(block: Block, *, elapsed: float, adjust: int = 0) -> BlockGuide:
    """`elapsed`: seconds of the block gone by; the step it falls in is the current one (the
    last step once the plan is over)."""
    steps, start = [], 0
    for row in block.steps:
        end = start + int(row["minutes"]) * 60
        steps.append(GuideStep(row["title"], int(row["minutes"]), start, end, False))
        start = end
    current = next((step for step in steps if elapsed < step.end_seconds), None)
    if current is None and steps:
        current = steps[-1]
    if current is not None:
        current.is_current = True
    return BlockGuide(
        steps=steps,
        kind=method.guides().get(block.kind.slug),
        notes=block.facilitator_notes,
        total_seconds=block.minutes * 60 + adjust,
    )


def _near_the_end(live: LiveSession, block: Block) -> bool:
    """The agreements block, the check-out or any block after the agreements: time to
    remind the facilitator of the check-out before closing."""
    if block.kind.slug in {"agreements", "checkout"}:
        return True
    last = live.workshop.blocks.order_by("-position").values_list("pk", flat=True).first()
    return block.pk == last


def plan_start(live: LiveSession) -> datetime.datetime:
    """Where the plan's clock starts: the session's planned start, or, when it is run on
    another day than planned, the moment it went live (the plan's times would mean
    nothing)."""
    planned = live.workshop.starts_at
    started = live.started_at.astimezone(planned.tzinfo)
    return planned if started.date() == planned.date() else started


def timeline(
    live: LiveSession, current: Block | None, remaining: int, now: datetime.datetime
) -> list[PlannedBlock]:
    """The agenda as it runs: past blocks when they actually ran and for how long, the
    current one since it began, later ones re-planned from when the current one is due to
    end (now, if it is overdue). Each keeps its planned clock time beside."""
    blocks = list(live.workshop.blocks.select_related("kind").order_by("position", "id"))
    runs: dict[int, list[BlockRun]] = {}
    for run in BlockRun.objects.filter(live=live).order_by("started_at", "id"):
        runs.setdefault(run.block_id, []).append(run)
    planned = plan_start(live)
    result: list[PlannedBlock] = []
    seen_current = False
    cursor = None
    recorded = False  # a block before this one has a run (sessions live before the
    # runs were recorded start with none: their earlier blocks are not «skipped»)
    for block in blocks:
        is_current = current is not None and block.pk == current.pk
        block_runs = runs.get(block.pk, [])
        recorded = recorded or bool(block_runs)
        item = PlannedBlock(block, planned, is_current, False, planned_at=planned)
        if is_current:
            seen_current = True
            item.starts_at = (
                block_runs[-1].started_at
                if block_runs
                else now
                - (
                    datetime.timedelta(
                        seconds=block.minutes * 60 + live.timer_adjust_seconds - remaining
                    )
                )
            )
            cursor = now + datetime.timedelta(seconds=max(remaining, 0))
        elif seen_current and cursor is not None:
            item.starts_at = cursor
            cursor = cursor + datetime.timedelta(minutes=block.minutes)
        else:
            item.is_past = True
            if block_runs:
                item.starts_at = block_runs[0].started_at
                seconds = sum(
                    ((run.ended_at or now) - run.started_at).total_seconds() for run in block_runs
                )
                item.ran_minutes = round(seconds / 60)
            elif recorded:  # the agenda went past it: an earlier block has a run
                item.skipped = True
        result.append(item)
        planned = planned + datetime.timedelta(minutes=block.minutes)
    return result


def drift(
    live: LiveSession,
    agenda: list[PlannedBlock],
    current: Block | None,
    remaining: int,
    now: datetime.datetime,
) -> Drift | None:
    """The end the session is heading for (the current block's remaining time, then every
    later block as planned) against the planned end."""
    if current is None or not agenda:
        return None
    planned_end = plan_start(live) + datetime.timedelta(
        minutes=sum(item.block.minutes for item in agenda)
    )
    ends_at = now + datetime.timedelta(seconds=max(remaining, 0))
    after = False
    for item in agenda:
        if after:
            ends_at += datetime.timedelta(minutes=item.block.minutes)
        after = after or item.is_current
    return Drift(round((ends_at - planned_end).total_seconds() / 60), ends_at, planned_end)


def tables(live: LiveSession) -> list[list[Participant]]:
    people = (
        Participant.objects.filter(live=live, removed_at__isnull=True, table_number__isnull=False)
        .select_related("area")
        .order_by("table_number", "area__position", "name")
    )
    grouped: dict[int, list[Participant]] = {}
    for person in people:
        grouped.setdefault(person.table_number, []).append(person)
    return [grouped[number] for number in sorted(grouped)]


@dataclass
class ParticipantMe:
    participant: Participant
    my_dots: Counter
    consents: list[Consent] = field(default_factory=list)
    # The owner rows of agreements this person answers for, with their private links.
    owned: list[Owner] = field(default_factory=list)
    # Who else sits at this person's table (a café round), by name and area.
    table_mates: list[Participant] = field(default_factory=list)

    @property
    def consents_attr(self) -> str:
        """ "7:2:agree,9:1:object": agreement, version and this participant's answer, for the
        page's script to show "Ya respondiste" against the version on the stage."""
        return ",".join(f"{c.agreement_id}:{c.version}:{c.choice}" for c in self.consents)

    @property
    def my_dots_attr(self) -> str:
        """ "c12:2,t5:1": a card's or a theme's target and this participant's dots on it,
        for the page's script to show next to each."""
        return ",".join(f"{target}:{n}" for target, n in sorted(self.my_dots.items()))


ME_RELATED = ("live__current_block", "area")


def participant_me(
    participant: Participant,
    *,
    loaded: bool = False,
    seated: dict[tuple[int, int], list[Participant]] | None = None,
) -> ParticipantMe:
    """What one phone shows of itself (#me). loaded: the participant was just read with
    ME_RELATED (a broadcast of several reads them in one query); otherwise read afresh."""
    if not loaded:
        participant = Participant.objects.select_related(*ME_RELATED).get(pk=participant.pk)
    block = participant.live.current_block
    my_dots: Counter = Counter(
        f"c{card}" if card else f"t{theme}"
        for card, theme in Dot.objects.filter(participant=participant, block=block).values_list(
            "contribution_id", "theme_id"
        )
    )
    mates: list[Participant] = []
    if participant.table_number and seated is not None:
        # A broadcast to many phones read every seated person once (see broadcast).
        mates = [
            p
            for p in seated.get((participant.live_id, participant.table_number), [])
            if p.pk != participant.pk
        ]
    elif participant.table_number:
        mates = list(
            Participant.objects.filter(
                live_id=participant.live_id,
                table_number=participant.table_number,
                removed_at__isnull=True,
            )
            .exclude(pk=participant.pk)
            .select_related("area")
            .order_by("name")
        )
    return ParticipantMe(
        participant=participant,
        my_dots=my_dots,
        table_mates=mates,
        consents=list(Consent.objects.filter(participant=participant).order_by("id")),
        owned=list(
            Owner.objects.filter(
                participant=participant,
                agreement__outcome=Agreement.Outcome.AGREED,
                revoked_at__isnull=True,
            )
            .select_related("agreement")
            .order_by("agreement_id", "id")
        ),
    )


# The method's rows every phone's page carries: the library, edited in the admin between
# sessions, not by a session. A room joining read them once per phone (four of the page's
# eleven queries); they are read once per process every METHOD_ROWS_SECONDS instead, so an
# edit in the admin reaches the phones' pages within that time.
METHOD_ROWS_SECONDS = 60.0
_method_rows: dict[str, tuple[float, dict]] = {}


def method_for_phones() -> dict:
    """What a phone shows of the method in the principles block (and to a late arrival).
    Read-only: the lists are shared by every request of the process."""
    now = time.monotonic()
    known = _method_rows.get("rows")
    if known is not None and now - known[0] < METHOD_ROWS_SECONDS:
        return dict(known[1])
    rows = {
        "assumptions": list(Assumption.objects.all()),
        "principles": list(Principle.objects.all()),
        "team": list(Responsibility.objects.filter(holder=Responsibility.Holder.TEAM)),
        "facilitator_holds": list(
            Responsibility.objects.filter(holder=Responsibility.Holder.FACILITATOR)
        ),
    }
    _method_rows["rows"] = (now, rows)
    return dict(rows)


def method_rows_forget() -> None:
    """Read the method's rows afresh on the next page (tests: each one loads the library)."""
    _method_rows.clear()


# --- agreements in the room ----------------------------------------------------------------

OPEN_AGREEMENTS_KIND = "open_agreements"
TOP_CONTRIBUTIONS = 8


@dataclass
class AreaConsent:
    label: str  # an area, or the areas too small to show apart (facilitation.privacy)
    agree: int = 0
    object: int = 0
    abstain: int = 0


@dataclass(frozen=True)
class Objection:
    """An objection as the control room shows it: its reason; who wrote it and their group
    (never a group smaller than the organisation's minimum) only if they signed it."""

    reason: str
    group: str
    signed_by: str = ""


@dataclass
class LiveAgreement:
    """An agreement as the control room follows it: consent of the current version per
    area, the objections with their reasons, the owners still missing, earlier wordings."""

    agreement: Agreement
    consents: list[AreaConsent]
    objections: list[Objection]
    missing_areas: list[Area]
    earlier: list[AgreementVersion]
    small_groups_note: str = ""

    @property
    def answered(self) -> int:
        return sum(c.agree + c.object + c.abstain for c in self.consents)


def _session_agreements(live: LiveSession) -> list[Agreement]:
    return list(
        Agreement.objects.filter(live=live)
        .select_related("principle")
        .prefetch_related("owners__area", "areas")
        .order_by("id")
    )


@dataclass
class VersionChanges:
    """What changed since the version the room answered before: the wording word by word
    (("same" | "del" | "ins", words)), and the other fields that changed, as (label, before,
    after)."""

    previous: int
    words: list[tuple[str, str]]
    fields: list[tuple[str, str, str]]


def version_changes(agreement: Agreement) -> VersionChanges | None:
    if agreement.version < 2:
        return None
    # The version the room was last asked about: a draft reworded before anyone saw it is no
    # «before» for the phones.
    asked = (
        AgreementVersion.objects.filter(
            agreement=agreement, number__lt=agreement.version, put_to_room=True
        )
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    if asked is None:
        return None
    versions = {
        v.number: v
        for v in AgreementVersion.objects.filter(
            agreement=agreement, number__in=[asked, agreement.version]
        )
    }
    before, after = versions.get(asked), versions.get(agreement.version)
    if before is None or after is None:
        return None
    old_words, new_words = before.text.split(), after.text.split()
    words: list[tuple[str, str]] = []

    def key(word: str) -> str:  # «Compras» and «Compras,» are the same word
        return word.strip(".,;:!¡?¿()«»\"'").casefold()

    matcher = difflib.SequenceMatcher(
        a=[key(w) for w in old_words], b=[key(w) for w in new_words], autojunk=False
    )
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            words.append(("same", " ".join(new_words[b1:b2])))
            continue
        if a2 > a1:
            words.append(("del", " ".join(old_words[a1:a2])))
        if b2 > b1:
            words.append(("ins", " ".join(new_words[b1:b2])))
    fields = []
    if before.due_date != after.due_date:
        fields.append(
            (
                str(_("Fecha de entrega")),
                before.due_date.strftime("%d/%m/%Y"),
                after.due_date.strftime("%d/%m/%Y"),
            )
        )
    if before.problem != after.problem:
        fields.append((str(_("Problema que resuelve")), before.problem, after.problem))
    if before.indicator != after.indicator:
        fields.append((str(_("Cómo sabremos que funcionó")), before.indicator, after.indicator))
    return VersionChanges(asked, words, fields)


def consenting_agreement(live: LiveSession) -> Agreement | None:
    """The agreement every phone is asked to consent to (the first one, if the facilitator
    put several to consent at once)."""
    return (
        Agreement.objects.filter(live=live, outcome=Agreement.Outcome.CONSENT)
        .select_related("principle")
        .prefetch_related("owners__area", "areas")
        .order_by("id")
        .first()
    )


def live_agreements(live: LiveSession) -> list[LiveAgreement]:
    agreements = _session_agreements(live)
    if not agreements:
        return []
    # Everyone who joined, removed people included: their answers count, so their areas do
    # (the acta uses the same people).
    present = Counter(live.participants.values_list("area_id", flat=True))
    areas = {area.pk: area for area in live.workshop.organisation.areas.all()}
    split = small_groups_merged(
        [(pk, area.name, present[pk]) for pk, area in areas.items()],
        live.workshop.organisation.min_group_size,
    )
    consents = list(
        Consent.objects.filter(agreement__in=agreements)
        .select_related("participant", "area")
        .order_by("id")
    )
    versions: dict[int, list[AgreementVersion]] = {}
    for version in AgreementVersion.objects.filter(agreement__in=agreements).order_by("number"):
        versions.setdefault(version.agreement_id, []).append(version)
    result = []
    for agreement in agreements:
        current = [
            c for c in consents if c.agreement_id == agreement.pk and c.version == agreement.version
        ]
        per_group = {group: AreaConsent(group.label) for group in split.groups}
        for consent in current:
            group = split.group_of(consent.area_id)
            if group is not None:
                row = per_group[group]
                setattr(row, consent.choice, getattr(row, consent.choice) + 1)
        owned = {owner.area_id for owner in agreement.owners.all()}
        result.append(
            LiveAgreement(
                agreement=agreement,
                consents=list(per_group.values()),
                objections=[
                    Objection(
                        reason=c.reason,
                        group=split.label_of(c.area_id) if c.signed else "",
                        signed_by=c.participant.name if c.signed else "",
                    )
                    for c in current
                    # An erased unsigned reason is not listed: «Sin firma: (texto borrado)»
                    # would tie it to the person just erased.
                    if c.choice == Consent.Choice.OBJECT and (c.reason or c.signed)
                ],
                missing_areas=[a for a in agreement.areas.all() if a.pk not in owned],
                earlier=[v for v in versions.get(agreement.pk, []) if v.number < agreement.version],
                small_groups_note=split.note,
            )
        )
    return result


def top_entries(live: LiveSession, limit: int = TOP_CONTRIBUTIONS) -> list[WallEntry]:
    """The session's most voted themes and single cards across blocks (ties: the wall's
    order), each with its block, to turn into an agreement."""
    cards_by_block: dict[int, list[Contribution]] = {}
    for card in (
        Contribution.objects.filter(live=live, hidden=False)
        .select_related("area")
        .annotate(votes=Count("dots"))
        .order_by("id")
    ):
        cards_by_block.setdefault(card.block_id, []).append(card)
    ranked_entries: list[WallEntry] = []
    for block in live.workshop.blocks.filter(pk__in=cards_by_block.keys()):
        for entry in wall_entries(live, block, cards_by_block[block.pk], counted=True):
            if entry.votes > 0:
                entry.block = block
                ranked_entries.append(entry)
    return ranked(ranked_entries)[:limit]


@dataclass
class OpenAgreement:
    agreement: Agreement
    last_update: StatusUpdate | None


def open_agreements(workshop: Workshop) -> list[OpenAgreement]:
    """Agreements of earlier sessions of the organisation, agreed and not yet done or
    discarded, that involve an area invited to `workshop`: what the room reviews first."""
    area_ids = list(workshop.invited.values_list("area_id", flat=True))
    agreements = list(
        Agreement.objects.filter(
            organisation_id=workshop.organisation_id,
            outcome=Agreement.Outcome.AGREED,
            areas__in=area_ids,
            workshop__date__lte=workshop.date,
        )
        .exclude(workshop=workshop)
        .exclude(status__in=[Agreement.Status.DONE, Agreement.Status.DISCARDED])
        .select_related("workshop")
        .prefetch_related("owners__area")
        .distinct()
        .order_by("due_date", "id")
    )
    latest: dict[int, StatusUpdate] = {}
    for update in StatusUpdate.objects.filter(agreement__in=agreements).order_by(
        "created_at", "id"
    ):
        latest[update.agreement_id] = update
    return [OpenAgreement(a, latest.get(a.pk)) for a in agreements]


def seated_people(live_ids: set[int]) -> dict[tuple[int, int], list[Participant]]:
    """Everyone seated at a table in these sessions, by (session, table), in one query."""
    seated: dict[tuple[int, int], list[Participant]] = {}
    for person in (
        Participant.objects.filter(
            live_id__in=live_ids, table_number__isnull=False, removed_at__isnull=True
        )
        .select_related("area")
        .order_by("name")
    ):
        seated.setdefault((person.live_id, person.table_number), []).append(person)
    return seated
