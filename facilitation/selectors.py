"""What each screen of a live session shows, read in one place for the page, the htmx
response and the websocket push alike."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.utils import timezone

from facilitation.models import Contribution, Dot, Emotion, EmotionCheck, LiveSession, Participant
from workshops.models import Assumption, Block, Principle

PRESENT_SECONDS = 120


@dataclass
class AreaPresence:
    name: str
    present: int
    joined: int
    expected: int
    voices: int  # contributions in the current block (anonymous ones are not counted)


@dataclass
class EmotionBar:
    label: str
    count: int
    percent: int
    mean_intensity: float


@dataclass
class PlannedBlock:
    block: Block
    starts_at: datetime.datetime
    is_current: bool
    is_past: bool


@dataclass
class LiveState:
    live: LiveSession
    block: Block | None
    questions: list[str]
    remaining_seconds: int
    running: bool
    server_now_ms: int
    wall: list[Contribution]
    hidden_count: int
    presence: list[AreaPresence]
    emotions: dict[str, list[EmotionBar]]
    emotion_totals: dict[str, int]
    principle: Principle | None
    timeline: list[PlannedBlock] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    tables: list[list[Participant]] = field(default_factory=list)

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


def live_state(live: LiveSession, *, audience: str) -> LiveState:
    """The room as `audience` ("participants", "facilitator", "projector") may see it."""
    live = LiveSession.objects.select_related(
        "workshop__organisation", "current_block__kind", "pushed_principle"
    ).get(pk=live.pk)
    now = timezone.now()
    block = live.current_block
    questions = list(block.questions.values_list("text", flat=True)) if block else []
    remaining = round(live.timer_remaining_seconds(now)) if block else 0

    wall_qs = (
        Contribution.objects.filter(live=live, block=block)
        .select_related("participant", "area")
        .annotate(votes=Count("dots"))
    )
    hidden_count = 0
    if audience != "facilitator":
        hidden_count = wall_qs.filter(hidden=True).count()
        wall_qs = wall_qs.filter(hidden=False)
    wall = list(wall_qs.order_by("id"))
    if live.results_revealed or audience == "facilitator":
        wall_by_votes = sorted(wall, key=lambda c: (-c.votes, c.pk))
        if live.results_revealed:
            wall = wall_by_votes

    since = now - datetime.timedelta(seconds=PRESENT_SECONDS)
    invited = list(live.workshop.invited.select_related("area"))
    counts = {
        row["area_id"]: row
        for row in Participant.objects.filter(live=live, removed_at__isnull=True)
        .values("area_id")
        .annotate(joined=Count("id"), present=Count("id", filter=Q(last_seen_at__gte=since)))
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

    state = LiveState(
        live=live,
        block=block,
        questions=questions,
        remaining_seconds=remaining,
        running=live.timer_running_since is not None,
        server_now_ms=int(now.timestamp() * 1000),
        wall=wall,
        hidden_count=hidden_count,
        presence=presence,
        emotions=emotions,
        emotion_totals=totals,
        principle=live.pushed_principle,
    )
    if audience == "facilitator":
        state.timeline = timeline(live, block, remaining, now)
        state.participants = list(
            Participant.objects.filter(live=live)
            .select_related("area")
            .order_by("area__position", "name")
        )
    if audience in {"facilitator", "projector"} and live.table_round:
        state.tables = tables(live)
    return state


def timeline(
    live: LiveSession, current: Block | None, remaining: int, now: datetime.datetime
) -> list[PlannedBlock]:
    """The agenda re-planned from now: blocks after the current one start when it is due to
    end (now, if it is overdue); earlier blocks keep their planned clock times."""
    blocks = list(live.workshop.blocks.select_related("kind").order_by("position", "id"))
    planned = live.workshop.starts_at
    result: list[PlannedBlock] = []
    seen_current = False
    cursor = None
    for block in blocks:
        is_current = current is not None and block.pk == current.pk
        if is_current:
            seen_current = True
            starts = now - datetime.timedelta(
                seconds=block.minutes * 60 + live.timer_adjust_seconds - remaining
            )
            cursor = now + datetime.timedelta(seconds=max(remaining, 0))
        elif seen_current and cursor is not None:
            starts = cursor
            cursor = cursor + datetime.timedelta(minutes=block.minutes)
        else:
            starts = planned
        result.append(PlannedBlock(block, starts, is_current, not seen_current))
        planned = planned + datetime.timedelta(minutes=block.minutes)
    return result


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
    dots_left: int
    my_dots: Counter
    checkin: EmotionCheck | None
    checkout: EmotionCheck | None

    @property
    def my_dots_attr(self) -> str:
        """ "12:2,15:1": contribution id and this participant's dots on it, for the page's
        script to show next to each contribution."""
        return ",".join(f"{pk}:{n}" for pk, n in sorted(self.my_dots.items()))


def participant_me(participant: Participant) -> ParticipantMe:
    participant = Participant.objects.select_related("live__current_block", "area").get(
        pk=participant.pk
    )
    block = participant.live.current_block
    my_dots: Counter = Counter(
        Dot.objects.filter(participant=participant, block=block).values_list(
            "contribution_id", flat=True
        )
    )
    checks = {c.moment: c for c in EmotionCheck.objects.filter(participant=participant)}
    return ParticipantMe(
        participant=participant,
        dots_left=max(0, (block.dots if block else 0) - sum(my_dots.values())),
        my_dots=my_dots,
        checkin=checks.get("checkin"),
        checkout=checks.get("checkout"),
    )


def method_for_phones() -> dict:
    return {
        "assumptions": list(Assumption.objects.all()),
        "principles": list(Principle.objects.all()),
    }
