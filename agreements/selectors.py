"""Reads of agreements: the managers' dashboard, completion per area, the session report."""

import datetime
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from agreements.models import Agreement, Consent
from facilitation.models import (
    CommitmentAnswer,
    Contribution,
    Diagnosis,
    Emotion,
    EmotionCheck,
    GroundRule,
    LiveSession,
    ModerationLog,
    Theme,
)
from facilitation.privacy import Group, SmallGroups, small_groups_merged
from facilitation.selectors import DiagnosisMap, diagnosis_map
from workshops.models import Area, Block, Organisation, Workshop

CLOSED_STATUSES = [Agreement.Status.DONE, Agreement.Status.DISCARDED]
TOP_CONTRIBUTIONS = 10


def organisation_today(organisation: Organisation) -> datetime.date:
    """Today where the organisation works (a due date is a day in its calendar)."""
    return timezone.localdate(timezone=organisation.zone)


def agreement_search(
    *,
    organisation: Organisation,
    area: Area | None = None,
    owner: str = "",
    status: str = "",
    workshop: Workshop | None = None,
    due_from: datetime.date | None = None,
    due_to: datetime.date | None = None,
    overdue_only: bool = False,
    today: datetime.date | None = None,
) -> QuerySet[Agreement]:
    """The organisation's agreed agreements across sessions, each annotated with `overdue`.

    An area matches an agreement that involves it or has an owner from it."""
    today = today or organisation_today(organisation)
    overdue = Q(due_date__lt=today) & ~Q(status__in=CLOSED_STATUSES)
    agreements = Agreement.objects.filter(
        organisation=organisation, outcome=Agreement.Outcome.AGREED
    ).annotate(
        overdue=Case(
            When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )
    if area is not None:
        matching = Agreement.objects.filter(Q(areas=area) | Q(owners__area=area))
        agreements = agreements.filter(pk__in=matching.values("pk"))
    if owner.strip():
        matching = Agreement.objects.filter(owners__name__icontains=owner.strip())
        agreements = agreements.filter(pk__in=matching.values("pk"))
    if status:
        agreements = agreements.filter(status=status)
    if workshop is not None:
        agreements = agreements.filter(workshop=workshop)
    if due_from is not None:
        agreements = agreements.filter(due_date__gte=due_from)
    if due_to is not None:
        agreements = agreements.filter(due_date__lte=due_to)
    if overdue_only:
        agreements = agreements.filter(overdue)
    return (
        agreements.select_related("workshop")
        .prefetch_related("areas", "owners__area")
        .order_by("due_date", "id")
    )


@dataclass(frozen=True)
class AreaCompletion:
    area: Area
    total: int
    done_on_time: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done_on_time / self.total) if self.total else 0


def area_completion(
    *,
    organisation: Organisation,
    agreements: QuerySet[Agreement] | None = None,
    today: datetime.date | None = None,
) -> list[AreaCompletion]:
    """Per area of the organisation: how many agreements involve it, how many were done on
    or before their due date (in the organisation's calendar) and how many are overdue.
    `agreements` narrows the count (the dashboard passes its filtered list)."""
    today = today or organisation_today(organisation)
    if agreements is None:
        agreements = Agreement.objects.filter(
            organisation=organisation, outcome=Agreement.Outcome.AGREED
        )
    rows = Agreement.areas.through.objects.filter(
        agreement__in=agreements.values("pk")
    ).values_list("area_id", "agreement__due_date", "agreement__status", "agreement__done_at")
    totals: Counter[int] = Counter()
    on_time: Counter[int] = Counter()
    overdue: Counter[int] = Counter()
    zone = organisation.zone
    for area_id, due_date, status, done_at in rows:
        totals[area_id] += 1
        if status == Agreement.Status.DONE:
            if done_at is not None and timezone.localdate(done_at, zone) <= due_date:
                on_time[area_id] += 1
        elif status != Agreement.Status.DISCARDED and due_date < today:
            overdue[area_id] += 1
    return [
        AreaCompletion(
            area=area,
            total=totals[area.pk],
            done_on_time=on_time[area.pk],
            overdue=overdue[area.pk],
        )
        for area in organisation.areas.all()
    ]


# --- the session report (el acta) -----------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    area: Area
    expected: int
    joined: int


@dataclass(frozen=True)
class EmotionRow:
    label: str
    counts: list[int]
    total: int


@dataclass(frozen=True)
class EmotionTable:
    moment: str
    rows: list[EmotionRow]
    answered: int


@dataclass(frozen=True)
class BlockContributions:
    block: Block
    per_area: list[int]
    anonymous: int
    total: int


@dataclass(frozen=True)
class TopContribution:
    """A most-voted contribution as the report shows it: never who wrote it; the area only
    when the block was not anonymous."""

    text: str
    votes: int
    block_title: str
    area_name: str
    anonymous: bool
    theme_cards: int = 0  # a theme: its name as text, and how many cards it holds
    on_paper: bool = False  # a signed card the staff typed from paper (never an anonymous one)


@dataclass(frozen=True)
class WallCard:
    """A card as the acta shows it: never who wrote it; the area only outside anonymous
    blocks."""

    text: str
    votes: int
    area_name: str
    anonymous: bool
    # A signed card collected on paper. An anonymous card never carries the mark (the
    # database refuses it: with one or two people on paper it would name its author).
    on_paper: bool = False


@dataclass(frozen=True)
class WallTheme:
    name: str
    votes: int
    cards: list[WallCard]


@dataclass(frozen=True)
class BlockWall:
    """A block's whole wall: its themes with their cards, the cards left alone, and how many
    the facilitator hid (counted, never shown)."""

    block: Block
    themes: list[WallTheme]
    loose: list[WallCard]
    hidden: int
    unshown: int = 0  # waited in the facilitator's queue and never reached the room


@dataclass(frozen=True)
class ConsentRow:
    label: str  # an area, or several merged (facilitation.privacy)
    agree: int
    object: int
    abstain: int


@dataclass
class AgreementResult:
    agreement: Agreement
    consents: list[ConsentRow] = field(default_factory=list)

    @property
    def consent_totals(self) -> tuple[int, int, int]:
        return (
            sum(c.agree for c in self.consents),
            sum(c.object for c in self.consents),
            sum(c.abstain for c in self.consents),
        )


@dataclass
class Report:
    workshop: Workshop
    live: LiveSession | None
    areas: list[Area]
    attendance: list[Attendance]
    emotions: list[EmotionTable]
    blocks: list[BlockContributions]
    top: list[TopContribution]
    agreements: list[AgreementResult]
    walls: list[BlockWall] = field(default_factory=list)
    # The columns of every breakdown by area: areas with fewer people than the
    # organisation's minimum are merged (facilitation.privacy), and the note says why.
    columns: list[Group[int]] = field(default_factory=list)
    small_groups_note: str = ""
    # The facilitator's moderation, counted (never the hidden texts).
    hides: int = 0
    unhides: int = 0
    # The room's answers to the principles as counts (never by area: a small area would
    # name its people; the reservations' notes stay in the room) and the kept ground rules.
    committed: int = 0
    reserved: int = 0
    ground_rules: list[str] = field(default_factory=list)
    diagnosis: "DiagnosisMap | None" = None
    # People whose name and texts were erased (on request, or all of them by the retention
    # period: live.texts_erased_at); an erased text is "" and the acta says so.
    erased_people: int = 0
    # Of the people who took part (`joined`), those who did it on paper. One figure for the
    # room, never by area: with one or two people on paper an area's count would point at them.
    on_paper: int = 0

    @property
    def is_final(self) -> bool:
        return self.live is not None and self.live.closed_at is not None

    @property
    def joined(self) -> int:
        return sum(row.joined for row in self.attendance)

    @property
    def expected(self) -> int:
        return sum(row.expected for row in self.attendance)


def workshop_report(*, workshop: Workshop) -> Report:
    """Everything the acta shows, as counts: no participant's name is read except owners'."""
    live = LiveSession.objects.filter(workshop=workshop).first()
    expected = {row.area_id: row.expected_people for row in workshop.invited.all()}
    joined: Counter[int] = Counter()
    # The breakdowns' groups are everyone who joined, removed people included (their answers
    # count, so must their areas; the control room uses the same people).
    answered: Counter[int] = Counter()
    on_paper = 0
    if live is not None:
        answered.update(live.participants.values_list("area_id", flat=True))
        for area_id, n, paper in (
            # Erasing someone still in an open session retires them at the same instant
            # (facilitation.retention): they took part, and erasure never changes a figure.
            live.participants.filter(Q(removed_at__isnull=True) | Q(removed_at=F("erased_at")))
            .values("area_id")
            .annotate(n=Count("id"), paper=Count("id", filter=Q(on_paper=True)))
            .values_list("area_id", "n", "paper")
        ):
            joined[area_id] += n
            on_paper += paper
    area_ids = set(expected) | set(joined) | set(answered)
    areas = [area for area in workshop.organisation.areas.all() if area.pk in area_ids]
    split = small_groups_merged(
        [(area.pk, area.name, answered[area.pk]) for area in areas],
        workshop.organisation.min_group_size,
    )
    attendance = [
        Attendance(area=area, expected=expected.get(area.pk, 0), joined=joined[area.pk])
        for area in areas
    ]
    report = Report(
        workshop=workshop,
        live=live,
        areas=areas,
        attendance=attendance,
        emotions=[],
        blocks=[],
        top=[],
        agreements=[],
        columns=split.groups,
        small_groups_note=split.note,
        on_paper=on_paper,
    )
    if live is None:
        return report
    answers = dict(
        CommitmentAnswer.objects.filter(live=live)
        .values("choice")
        .annotate(n=Count("id"))
        .values_list("choice", "n")
    )
    report.committed = answers.get(CommitmentAnswer.Choice.COMMIT, 0)
    report.reserved = answers.get(CommitmentAnswer.Choice.RESERVE, 0)
    report.ground_rules = list(
        GroundRule.objects.filter(live=live, kept=True)
        .order_by("id")
        .values_list("text", flat=True)
    )
    if Diagnosis.objects.filter(live=live).exists():
        report.diagnosis = diagnosis_map(live)
    report.emotions = _emotions(live, split)
    report.blocks = _contributions_per_block(live, workshop, split)
    report.walls = _walls(live, workshop, split)
    moderation = dict(
        ModerationLog.objects.filter(live=live, action__in=["hide", "unhide"])
        .values("action")
        .annotate(n=Count("id"))
        .values_list("action", "n")
    )
    report.hides, report.unhides = moderation.get("hide", 0), moderation.get("unhide", 0)
    report.erased_people = live.participants.filter(erased_at__isnull=False).count()
    report.top = _top(report.walls)
    report.agreements = _agreement_results(workshop, split)
    return report


def _by_group(counts: Mapping[int | None, int], split: SmallGroups[int]) -> list[int]:
    """An area-keyed count as the breakdown's columns (merged areas summed)."""
    return [sum(counts.get(key, 0) for key in group.keys) for group in split.groups]


def _emotions(live: LiveSession, split: SmallGroups[int]) -> list[EmotionTable]:
    counts: dict[str, Counter[tuple[str, int]]] = defaultdict(Counter)
    for moment, area_id, emotion, n in (
        EmotionCheck.objects.filter(live=live)
        .values("moment", "area_id", "emotion")
        .annotate(n=Count("id"))
        .values_list("moment", "area_id", "emotion", "n")
    ):
        counts[moment][(emotion, area_id)] += n
    tables = []
    for moment, label in EmotionCheck.Moment.choices:
        rows = []
        for emotion, emotion_label in Emotion.choices:
            by_area = {a: n for (e, a), n in counts[moment].items() if e == emotion}
            per_area = _by_group(by_area, split)
            total = sum(by_area.values())
            if total:
                rows.append(EmotionRow(label=str(emotion_label), counts=per_area, total=total))
        tables.append(
            EmotionTable(moment=str(label), rows=rows, answered=sum(counts[moment].values()))
        )
    return tables


def _contributions_per_block(
    live: LiveSession, workshop: Workshop, split: SmallGroups[int]
) -> list[BlockContributions]:
    counts: dict[int, Counter[int | None]] = defaultdict(Counter)
    for block_id, area_id, anonymous, n in (
        Contribution.objects.filter(live=live, hidden=False)
        .values("block_id", "area_id", "anonymous")
        .annotate(n=Count("id"))
        .values_list("block_id", "area_id", "anonymous", "n")
    ):
        counts[block_id][None if anonymous else area_id] += n
    result = []
    for block in workshop.blocks.all():
        if block.pk not in counts:
            continue
        per_block = counts[block.pk]
        result.append(
            BlockContributions(
                block=block,
                per_area=_by_group(per_block, split),
                anonymous=per_block[None],
                total=sum(per_block.values()),
            )
        )
    return result


def _walls(live: LiveSession, workshop: Workshop, split: SmallGroups[int]) -> list[BlockWall]:
    cards_by_block: dict[int, list[Contribution]] = defaultdict(list)
    for card in (
        Contribution.objects.filter(live=live)
        .select_related("area")
        .annotate(votes=Count("dots"))
        .order_by("id")
    ):
        cards_by_block[card.block_id].append(card)
    themes_by_block: dict[int, list[Theme]] = defaultdict(list)
    for theme in Theme.objects.filter(live=live).annotate(votes=Count("dots")).order_by("id"):
        themes_by_block[theme.block_id].append(theme)

    def shown(card: Contribution) -> WallCard:
        return WallCard(
            text=card.text,
            votes=card.votes,
            # A card of a small area says «Otras áreas»: its area would nearly name its author.
            area_name="" if card.anonymous or card.area is None else split.label_of(card.area_id),
            anonymous=card.anonymous,
            on_paper=card.on_paper and not card.anonymous,
        )

    walls = []
    for block in workshop.blocks.all():
        cards = cards_by_block.get(block.pk, [])
        if not cards:
            continue
        visible = [c for c in cards if not c.hidden and c.revealed_at is not None]
        unshown = sum(1 for c in cards if not c.hidden and c.revealed_at is None)
        themes = []
        for theme in themes_by_block.get(block.pk, []):
            inside = [shown(c) for c in visible if c.theme_id == theme.pk]
            if inside or theme.votes:
                votes = theme.votes + sum(card.votes for card in inside)
                inside.sort(key=lambda card: -card.votes)
                themes.append(WallTheme(name=theme.name, votes=votes, cards=inside))
        grouped = {theme.pk for theme in themes_by_block.get(block.pk, [])}
        loose = [shown(c) for c in visible if c.theme_id not in grouped]
        walls.append(
            BlockWall(
                block=block,
                themes=sorted(themes, key=lambda theme: -theme.votes),
                loose=sorted(loose, key=lambda card: -card.votes),
                hidden=sum(1 for c in cards if c.hidden),
                unshown=unshown,
            )
        )
    return walls


def _top(walls: list[BlockWall]) -> list[TopContribution]:
    """The most voted themes and single cards across the session (ties: the agenda's and
    the wall's order)."""
    items = []
    for wall in walls:
        title = wall.block.title
        items += [
            TopContribution(theme.name, theme.votes, title, "", False, len(theme.cards))
            for theme in wall.themes
            if theme.votes > 0
        ]
        items += [
            TopContribution(
                card.text, card.votes, title, card.area_name, card.anonymous, 0, card.on_paper
            )
            for card in wall.loose
            if card.votes > 0
        ]
    return sorted(items, key=lambda item: -item.votes)[:TOP_CONTRIBUTIONS]


def _agreement_results(workshop: Workshop, split: SmallGroups[int]) -> list[AgreementResult]:
    agreements = list(
        workshop.agreements.order_by("id")
        .select_related("principle")
        .prefetch_related("owners__area", "areas")
    )
    versions = {agreement.pk: agreement.version for agreement in agreements}
    tally: dict[int, Counter[tuple[int, str]]] = defaultdict(Counter)
    for agreement_id, version, area_id, choice, n in (
        Consent.objects.filter(agreement__in=agreements)
        .values("agreement_id", "version", "area_id", "choice")
        .annotate(n=Count("id"))
        .values_list("agreement_id", "version", "area_id", "choice", "n")
    ):
        if version == versions[agreement_id]:  # only the final wording's consents count
            tally[agreement_id][(area_id, choice)] += n
    results = []
    for agreement in agreements:
        counts = tally[agreement.pk]
        results.append(
            AgreementResult(
                agreement=agreement,
                consents=[
                    ConsentRow(
                        label=group.label,
                        agree=sum(counts[(key, Consent.Choice.AGREE)] for key in group.keys),
                        object=sum(counts[(key, Consent.Choice.OBJECT)] for key in group.keys),
                        abstain=sum(counts[(key, Consent.Choice.ABSTAIN)] for key in group.keys),
                    )
                    for group in split.groups
                ],
            )
        )
    return results
