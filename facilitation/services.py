"""Every change to a live session, one function each.

Contract: each function is atomic; the change is committed before anyone is told, because the
broadcast is scheduled with `transaction.on_commit`. Refusals raise `LiveError` with a Spanish
message for the person who tried; nothing is changed then.
"""

import hashlib
import hmac
import random
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from facilitation import broadcast
from facilitation.models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    BlockRun,
    CommitmentAnswer,
    Contribution,
    Diagnosis,
    Dot,
    Emotion,
    EmotionCheck,
    GroundRule,
    LiveSession,
    ModerationLog,
    Participant,
    TableSeat,
    Theme,
)
from workshops import method
from workshops.method import BREAK_KIND, DIAGNOSIS_KIND, MIN_DIAGNOSES, PRINCIPLES_KIND
from workshops.models import Area, Block, Principle, Workshop

MAX_CONTRIBUTION_CHARS = 500
MAX_NAME_CHARS = 60
MAX_WORD_CHARS = 30
CONTRIBUTIONS_PER_MINUTE = 6
RATE_WINDOW_SECONDS = 60
HEARTBEAT_WRITE_SECONDS = 20


class LiveError(ValidationError):
    """A refused live action; the message is shown to whoever tried it."""


# --- helpers -------------------------------------------------------------------------------


def key_digest(live: LiveSession, key: str) -> str:
    """What is stored of an idempotency key: an HMAC, so a stored key cannot be matched with
    the phone that sent it (anonymous contributions stay unlinkable)."""
    message = f"{live.pk}:{key}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _checked_digest(live: LiveSession, key: str) -> str:
    """The stored form of a submission's idempotency key; a missing or oversized key is
    refused (the page that minted it is stale)."""
    if not key or len(key) > 100:
        raise LiveError(
            _("No pudimos identificar este envío. Recarga la página e inténtalo de nuevo.")
        )
    return key_digest(live, key)


def clean_text(value: str, limit: int) -> str:
    """Strip control characters (markup stays text: templates escape it)."""
    text = "".join(c for c in value if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()
    if len(text) > limit:
        raise LiveError(_("El texto es demasiado largo (máximo %(n)d caracteres).") % {"n": limit})
    return text


def _changed(live: LiveSession, *, phones: bool = True, crowd: bool = False) -> None:
    """Bump the session's sequence and broadcast once the transaction commits (coalesced
    with changes close to it: see fanout; a socket behind the database's number gets a
    snapshot on its heartbeat). phones=False: the change shows only on the staff's screens
    (control room, projector), so the phones' view is neither rendered nor sent. crowd: a
    participant's write, one of a possible burst (the phones get it within fanout.WINDOW,
    coalesced); otherwise a facilitator's action, sent to the phones at once."""
    bump: dict[str, Any] = {"seq": F("seq") + 1}
    if phones:
        bump["participants_seq"] = F("seq") + 1
    LiveSession.objects.filter(pk=live.pk).update(**bump)
    live_id = live.pk
    audiences = broadcast.AUDIENCES if phones else broadcast.STAFF_AUDIENCES
    # robust: a broadcast that fails after commit (the database or Redis went away) is logged
    # and must not turn a committed write into an error; screens catch up on the heartbeat.
    transaction.on_commit(
        lambda: broadcast.live_changed(live_id, audiences, crowd=crowd), robust=True
    )


def _personal(participant_ids: Iterable[int], live: LiveSession) -> None:
    ids = list(participant_ids)
    live_id = live.pk
    transaction.on_commit(lambda: broadcast.participants_changed(live_id, ids), robust=True)


def _locked(live: LiveSession) -> LiveSession:
    # of=("self",): lock the session row only; PostgreSQL refuses FOR UPDATE on the nullable
    # side of the outer join to current_block.
    locked = (
        LiveSession.objects.select_for_update(of=("self",))
        .select_related("workshop__organisation", "current_block__kind")
        .get(pk=live.pk)
    )
    if not locked.is_open:
        raise LiveError(_("La sesión ya terminó."))
    return locked


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not LiveSession.objects.filter(join_code=code).exists():
            return code


def normalise_code(raw: str) -> str:
    """What a person typed → a code to look up: case-insensitive, dashes and spaces ignored,
    look-alike digits read as the letters they resemble are not in the alphabet anyway."""
    return "".join(c for c in raw.upper() if c.isalnum())[:16]


# --- facilitator actions -------------------------------------------------------------------


@transaction.atomic
def live_start(*, workshop: Workshop) -> LiveSession:
    """Open the live session of a ready session (idempotent: an open one is returned)."""
    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    existing = LiveSession.objects.filter(workshop=workshop).first()
    if existing is not None:
        if existing.is_open:
            return existing
        raise LiveError(_("Esta sesión ya se cerró."))
    if workshop.status != Workshop.Status.READY:
        raise LiveError(_("Marca la sesión como lista antes de empezar en vivo."))
    first = workshop.blocks.order_by("position").first()
    if first is None:
        raise LiveError(_("La agenda está vacía."))
    live = LiveSession.objects.create(
        workshop=workshop,
        join_code=_new_code(),
        qr_token=secrets.token_urlsafe(32),
        current_block=first,
        contributions_open=first.allows_contributions,
    )
    BlockRun.objects.create(live=live, block=first, started_at=live.started_at)
    workshop.status = Workshop.Status.LIVE
    workshop.save(update_fields=["status", "updated_at"])
    return live


@transaction.atomic
def live_set_door(*, live: LiveSession, open: bool) -> LiveSession:
    live = _locked(live)
    live.door_open = open
    live.save(update_fields=["door_open"])
    _changed(live)
    return live


@transaction.atomic
def live_goto_block(*, live: LiveSession, block: Block) -> LiveSession:
    """Make this block current: its timer starts from zero, paused; contributions open when
    the block takes them; voting closed."""
    live = _locked(live)
    if block.workshop_id != live.workshop_id:
        raise LiveError(_("Ese bloque no es de esta sesión."))
    _record_run(live, block)
    live.current_block = block
    live.contributions_open = block.allows_contributions
    live.voting_open = False
    live.results_revealed = False
    live.timer_adjust_seconds = 0
    live.timer_elapsed_seconds = 0
    # A break starts counting when it is called, so every screen can say when the room
    # comes back; any other block waits for the facilitator's "Iniciar tiempo".
    live.timer_running_since = timezone.now() if block.kind.slug == BREAK_KIND else None
    live.pushed_principle = None
    live.save(
        update_fields=[
            "current_block",
            "contributions_open",
            "voting_open",
            "results_revealed",
            "timer_adjust_seconds",
            "timer_elapsed_seconds",
            "timer_running_since",
            "pushed_principle",
        ]
    )
    _changed(live)
    return live


def _record_run(live: LiveSession, block: Block | None) -> None:
    """End the running block's run and, unless the session ends, start `block`'s."""
    now = timezone.now()
    BlockRun.objects.filter(live=live, ended_at__isnull=True).update(ended_at=now)
    if block is not None:
        BlockRun.objects.create(live=live, block=block, started_at=now)


@transaction.atomic
def live_call_break(*, live: LiveSession) -> LiveSession:
    """The escalation protocol's «call a break»: go to the agenda's next break (its timer
    starts at once). In a break already, nothing changes (a second tap must not skip one).
    Refused when no break is left after the current block."""
    live = _locked(live)
    current = live.current_block
    if current is not None and current.kind.slug == BREAK_KIND:
        return live
    later = live.workshop.blocks.filter(kind__slug=BREAK_KIND)
    if current is not None:
        later = later.filter(position__gt=current.position)
    block = later.order_by("position", "id").first()
    if block is None:
        raise LiveError(
            _("No quedan pausas en la agenda: agrega una en el diseño o da unos minutos más.")
        )
    return live_goto_block(live=live, block=block)


def live_step(*, live: LiveSession, delta: int) -> LiveSession:
    """Next (+1) or previous (-1) block; at either end nothing changes."""
    # With their kinds: the step reads the target's (a break starts its timer at once), and a
    # query less stands between the facilitator's click and the phones.
    blocks = list(live.workshop.blocks.select_related("kind").order_by("position", "id"))
    ids = [b.pk for b in blocks]
    index = ids.index(live.current_block_id) if live.current_block_id in ids else -1
    target = index + delta
    if not 0 <= target < len(blocks):
        raise LiveError(_("No hay más bloques en esa dirección."))
    return live_goto_block(live=live, block=blocks[target])


@transaction.atomic
def timer_start(*, live: LiveSession) -> LiveSession:
    live = _locked(live)
    if live.timer_running_since is None:
        live.timer_running_since = timezone.now()
        live.save(update_fields=["timer_running_since"])
        _changed(live)
    return live


@transaction.atomic
def timer_pause(*, live: LiveSession) -> LiveSession:
    live = _locked(live)
    if live.timer_running_since is not None:
        live.timer_elapsed_seconds += (timezone.now() - live.timer_running_since).total_seconds()
        live.timer_running_since = None
        live.save(update_fields=["timer_elapsed_seconds", "timer_running_since"])
        _changed(live)
    return live


@transaction.atomic
def timer_adjust(*, live: LiveSession, minutes: int) -> LiveSession:
    if not -60 <= minutes <= 60 or minutes == 0:
        raise LiveError(_("Ajusta el tiempo entre -60 y 60 minutos."))
    live = _locked(live)
    live.timer_adjust_seconds += minutes * 60
    live.save(update_fields=["timer_adjust_seconds"])
    _changed(live)
    return live


@transaction.atomic
def contributions_set_open(*, live: LiveSession, open: bool) -> LiveSession:
    live = _locked(live)
    if open and not (live.current_block and live.current_block.allows_contributions):
        raise LiveError(_("Este bloque no recibe aportes."))
    live.contributions_open = open
    live.save(update_fields=["contributions_open"])
    _changed(live)
    return live


@transaction.atomic
def voting_set_open(*, live: LiveSession, open: bool) -> LiveSession:
    live = _locked(live)
    if open and not (live.current_block and live.current_block.dots > 0):
        raise LiveError(_("Este bloque no tiene votación por puntos."))
    live.voting_open = open
    if open:
        live.results_revealed = False
    live.save(update_fields=["voting_open", "results_revealed"])
    _changed(live)
    return live


@transaction.atomic
def results_reveal(*, live: LiveSession, revealed: bool = True) -> LiveSession:
    """Show the block's results: the dots, the diagnosis map (which closes the diagnosis;
    refused below MIN_DIAGNOSES answers) or the principles' counts and notes. Until then the
    screens show only how many answered, so no change on a screen follows one person's tap."""
    live = _locked(live)
    block = live.current_block
    if (
        revealed
        and block is not None
        and block.kind.slug == DIAGNOSIS_KIND
        and Diagnosis.objects.filter(live=live).count() < MIN_DIAGNOSES
    ):
        raise LiveError(
            _("El mapa se muestra con al menos tres respuestas, para que nadie quede en evidencia.")
        )
    live.results_revealed = revealed
    if revealed:
        live.voting_open = False
    live.save(update_fields=["results_revealed", "voting_open"])
    _changed(live)
    return live


@transaction.atomic
def principle_push(*, live: LiveSession, principle: Principle | None) -> LiveSession:
    live = _locked(live)
    live.pushed_principle = principle
    live.save(update_fields=["pushed_principle"])
    _changed(live)
    return live


@transaction.atomic
def contribution_hide(
    *, live: LiveSession, contribution: Contribution, reason: str, actor: AbstractBaseUser
) -> Contribution:
    live = _locked(live)
    reason = clean_text(reason, 200)
    if not reason:
        raise LiveError(_("Escribe el motivo para ocultar el aporte."))
    if contribution.live_id != live.pk:
        raise LiveError(_("Ese aporte no es de esta sesión."))
    contribution.hidden = True
    contribution.hidden_reason = reason
    contribution.save(update_fields=["hidden", "hidden_reason"])
    ModerationLog.objects.create(live=live, actor=actor, action="hide", reason=reason)
    _changed(live)
    return contribution


@transaction.atomic
def contributions_reveal(
    *, live: LiveSession, block: Block, contribution: Contribution | None = None
) -> int:
    """Show the room a card from the facilitator's queue, or every card waiting there.
    Returns how many were shown."""
    live = _locked(live)
    if block.workshop_id != live.workshop_id:
        raise LiveError(_("Ese bloque no es de esta sesión."))
    waiting = Contribution.objects.filter(
        live=live, block=block, hidden=False, revealed_at__isnull=True
    )
    if contribution is not None:
        if contribution.live_id != live.pk:
            raise LiveError(_("Ese aporte no es de esta sesión."))
        waiting = waiting.filter(pk=contribution.pk)
    shown = waiting.update(revealed_at=timezone.now())
    if contribution is not None and not shown:
        raise LiveError(_("Ese aporte ya está a la vista o está oculto."))
    if shown:
        _changed(live)
    return shown


@transaction.atomic
def contribution_unhide(
    *, live: LiveSession, contribution: Contribution, actor: AbstractBaseUser
) -> Contribution:
    """Undo a hide: the card is back where it was (its theme, if it had one)."""
    live = _locked(live)
    if contribution.live_id != live.pk:
        raise LiveError(_("Ese aporte no es de esta sesión."))
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if not contribution.hidden:
        raise LiveError(_("Ese aporte ya está a la vista."))
    contribution.hidden = False
    contribution.hidden_reason = ""
    contribution.save(update_fields=["hidden", "hidden_reason"])
    ModerationLog.objects.create(live=live, actor=actor, action="unhide")
    _changed(live)
    return contribution


@transaction.atomic
def participant_remove(
    *, live: LiveSession, participant: Participant, actor: AbstractBaseUser, reason: str = ""
) -> Participant:
    live = _locked(live)
    if participant.live_id != live.pk:
        raise LiveError(_("Esa persona no es de esta sesión."))
    participant.removed_at = timezone.now()
    participant.save(update_fields=["removed_at"])
    ModerationLog.objects.create(
        live=live, actor=actor, action="remove", reason=clean_text(reason, 200)
    )
    _changed(live)
    pid, live_id = participant.pk, live.pk
    transaction.on_commit(lambda: broadcast.participant_removed(live_id, pid))
    return participant


@transaction.atomic
def live_close(*, live: LiveSession) -> LiveSession:
    live = _locked(live)
    _record_run(live, None)
    live.closed_at = timezone.now()
    live.contributions_open = live.voting_open = False
    if live.timer_running_since is not None:
        live.timer_elapsed_seconds += (timezone.now() - live.timer_running_since).total_seconds()
        live.timer_running_since = None
    live.save(
        update_fields=[
            "closed_at",
            "contributions_open",
            "voting_open",
            "timer_elapsed_seconds",
            "timer_running_since",
        ]
    )
    Workshop.objects.filter(pk=live.workshop_id).update(status=Workshop.Status.CLOSED)
    _changed(live)
    live_id = live.pk
    transaction.on_commit(lambda: broadcast.live_closed(live_id))
    return live


# --- mixed tables --------------------------------------------------------------------------


def present_participants(live: LiveSession) -> list[Participant]:
    """Who is in the room: joined, not removed, seen by heartbeat within two minutes (people
    on paper have no socket: they are in the room until removed)."""
    since = timezone.now() - timedelta(minutes=2)
    return list(
        live.participants.filter(Q(last_seen_at__gte=since) | Q(on_paper=True))
        .filter(removed_at__isnull=True)
        .select_related("area")
        .order_by("id")
    )


def _deal(people: list[Participant], size: int, rng: random.Random) -> list[list[Participant]]:
    """Deal people round-robin by area so each table mixes areas as evenly as possible."""
    count = max(1, -(-len(people) // size))  # ceil
    by_area: dict[int, list[Participant]] = defaultdict(list)
    for person in people:
        by_area[person.area_id].append(person)
    for group in by_area.values():
        rng.shuffle(group)
    ordered = [p for group in sorted(by_area.values(), key=len, reverse=True) for p in group]
    tables: list[list[Participant]] = [[] for _ in range(count)]
    for index, person in enumerate(ordered):
        tables[index % count].append(person)
    return tables


def _repeats(tables: list[list[Participant]], met: set[frozenset[int]]) -> int:
    return sum(
        1
        for table in tables
        for i, a in enumerate(table)
        for b in table[i + 1 :]
        if frozenset((a.pk, b.pk)) in met
    )


@transaction.atomic
def tables_assign(*, live: LiveSession, size: int, seed: int | None = None) -> list[list[int]]:
    """Seat the people present at tables of about `size`, every table mixing the areas; a new
    round prefers tables where people meet new faces. Returns the participant ids per table."""
    if not 2 <= size <= 12:
        raise LiveError(_("Las mesas deben ser de 2 a 12 personas."))
    live = _locked(live)
    people = present_participants(live)
    if len(people) < 2:
        raise LiveError(_("Hacen falta al menos dos personas conectadas para armar mesas."))
    met: set[frozenset[int]] = set()
    previous: dict[tuple[int, int], list[int]] = defaultdict(list)
    for seat in TableSeat.objects.filter(live=live):
        previous[(seat.round, seat.table)].append(seat.participant_id)
    for members in previous.values():
        met.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :])
    rng = random.Random(seed)
    best = min((_deal(people, size, rng) for _ in range(40)), key=lambda t: _repeats(t, met))
    live.table_round += 1
    live.save(update_fields=["table_round"])
    # Whoever is not seated this round has no table any more (not last round's).
    unseated = list(
        live.participants.filter(table_number__isnull=False)
        .exclude(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    Participant.objects.filter(pk__in=unseated).update(table_number=None)
    for number, table in enumerate(best, start=1):
        for person in table:
            TableSeat.objects.create(
                live=live, round=live.table_round, participant=person, table=number
            )
            person.table_number = number
            person.save(update_fields=["table_number"])
    _changed(live)
    _personal([p.pk for p in people] + unseated, live)
    return [[p.pk for p in table] for table in best]


# --- participants ------------------------------------------------------------------------


def live_for_code(raw_code: str) -> LiveSession | None:
    code = normalise_code(raw_code)
    if len(code) != JOIN_CODE_LENGTH:
        return None
    return (
        LiveSession.objects.select_related("workshop__organisation")
        .filter(join_code=code, closed_at__isnull=True)
        .first()
    )


@transaction.atomic
def participant_join(
    *,
    live: LiveSession,
    name: str,
    area: Area,
    privacy_version: int | None = None,
    on_paper: bool = False,
) -> Participant:
    """privacy_version: the version of the organisation's privacy notice the person accepted
    (the join form requires it; Ley 1581 de 2012), recorded with the time. One that is no
    longer current is refused: the notice changed while they read it. None records no
    acceptance: only for people added without the join form (seeding, tests). on_paper: a
    person without a smartphone, added by the staff (facilitation/paper.py)."""
    live = _locked(live)
    if not live.door_open:
        raise LiveError(_("La sesión ya no recibe más personas. Habla con quien facilita."))
    name = clean_text(name, MAX_NAME_CHARS)
    if not name:
        raise LiveError(_("Escribe tu nombre o un alias."))
    if not live.workshop.invited.filter(area=area).exists():
        raise LiveError(_("Elige una de las áreas invitadas."))
    accepted_at = None
    if privacy_version is not None:
        if privacy_version != live.workshop.organisation.privacy_notice_version:
            raise LiveError(
                _(
                    "El aviso de privacidad cambió mientras lo leías. Léelo de nuevo y, si "
                    "estás de acuerdo, marca otra vez la casilla."
                )
            )
        accepted_at = timezone.now()
    participant = Participant.objects.create(
        live=live,
        name=name,
        area=area,
        privacy_version=privacy_version,
        privacy_accepted_at=accepted_at,
        on_paper=on_paper,
    )
    _changed(live, phones=False)  # presence: the staff's screens only
    return participant


MAX_NOTE_CHARS = 300


@transaction.atomic
def commitment_answer(
    *, participant: Participant, key: str, choice: str, note: str = "", anywhere: bool = False
) -> tuple[CommitmentAnswer | None, bool]:
    """A participant's answer to the principles: «Me comprometo» or «Tengo una reserva»,
    with an optional note for a reservation. Once per person; a second answer (another key,
    another tap) changes nothing. The answer and its note are stored without the person or
    their area (the key only as an HMAC); the person keeps only a flag that they answered.
    Returns (answer, created); the answer is None when this person had answered before.
    anywhere: skip the check that the room reached the principles block (seeding only)."""
    participant, live = _active(participant, lock=True)
    digest = _checked_digest(live, key)
    existing = CommitmentAnswer.objects.filter(live=live, key_digest=digest).first()
    if existing is not None:
        return existing, False
    if participant.principles_answered:
        _personal([participant.pk], live)  # the phone may have missed that it answered
        return None, False
    if not anywhere and _principles_ahead(live):
        raise LiveError(_("Los principios se responden en su bloque."))
    if choice not in CommitmentAnswer.Choice.values:
        raise LiveError(_("Elige «Me comprometo» o «Tengo una reserva»."))
    note = clean_text(note, MAX_NOTE_CHARS) if choice == CommitmentAnswer.Choice.RESERVE else ""
    answer = CommitmentAnswer.objects.create(live=live, choice=choice, note=note, key_digest=digest)
    participant.principles_answered = True
    participant.save(update_fields=["principles_answered"])
    _changed(live, phones=False)  # the counts are the staff's
    _personal([participant.pk], live)  # the phone learns it answered
    return answer, True


MAX_GROUND_RULE_CHARS = 200


def _rate_key(live: LiveSession, participant: Participant, *, anonymous: bool, window: int) -> str:
    """The cache key of one phone's budget for one window: opaque, and a different one for
    signed and for authorless writes (see _rate_limited)."""
    scope = "anonymous" if anonymous else "signed"
    message = f"{live.qr_token}:{participant.pk}:{scope}:{window}"
    digest = salted_hmac("facilitation.rate", message, algorithm="sha256").hexdigest()
    return f"live:rate:{digest[:32]}"


def _rate_limited(live: LiveSession, participant: Participant, *, anonymous: bool) -> None:
    """At most CONTRIBUTIONS_PER_MINUTE writes per phone and calendar minute, counted in the
    cache (shared by every process in scaled mode). Authorless writes (anonymous
    contributions, ground-rule proposals) share one budget, signed contributions another.

    The cache must hold nothing that ties a participant to the moment of an authorless row:
    assume someone reads Redis (key names, values, TTLs, even every command as it arrives)
    and the database (rows with created_at and revealed_at) but not SECRET_KEY.
    - The key names no participant and no minute: an HMAC (keyed with SECRET_KEY) of the
      session's secret token, the participant, the scope and the window. Keys of different
      windows, sessions or scopes cannot be matched with each other either.
    - Signed and authorless writes never touch the same key. A shared key would be named by
      timing: its first write matches a signed row (which names its author), so its next
      write would name the author of an anonymous row written in the same minute.
    - Every key of a window expires at the same moment (the window's end plus a margin),
      so a TTL says which minute a phone first wrote in, not when. Redis keeps expiries in
      whole seconds from its own clock, so its PTTL still shows the sub-second part of the
      key's creation: that can match the authorless row it counted, which the key does not
      name (the row's time is in the database anyway).
    What remains: a key's count says how many authorless rows of one minute came from one
    unnamed phone (someone watching every command sees which rows). Whoever also holds
    SECRET_KEY can recompute every key of the last two minutes and name authors of that
    span; that is a compromise of the server itself. After two minutes nothing is left.
    """
    now = timezone.now().timestamp()
    window = int(now // RATE_WINDOW_SECONDS)
    key = _rate_key(live, participant, anonymous=anonymous, window=window)
    expires_in = (window + 2) * RATE_WINDOW_SECONDS - now  # the next window's end
    cache.add(key, 0, expires_in)
    if cache.incr(key) > CONTRIBUTIONS_PER_MINUTE:
        raise LiveError(_("Vas muy rápido: espera un minuto antes de enviar otro aporte."))


@transaction.atomic
def ground_rule_propose(
    *, participant: Participant, key: str, text: str, on_paper: bool = False
) -> tuple[GroundRule, bool]:
    """A proposed acuerdo de convivencia, once per key, only in the principles block. Stored
    without its author; phones see it only once the facilitator keeps it. on_paper: the
    staff enters it for a person on paper (no per-minute limit; see _paper_only)."""
    participant, live = _active(participant)
    _paper_only(participant, on_paper)
    digest = _checked_digest(live, key)
    existing = GroundRule.objects.filter(live=live, key_digest=digest).first()
    if existing is not None:
        return existing, False
    block = live.current_block
    if block is None or block.kind.slug != PRINCIPLES_KIND:
        raise LiveError(
            _("Los acuerdos de convivencia se proponen en el bloque de supuestos y principios.")
        )
    text = clean_text(text, MAX_GROUND_RULE_CHARS)
    if not text:
        raise LiveError(_("Escribe tu propuesta antes de enviarla."))
    if not on_paper:
        _rate_limited(live, participant, anonymous=True)  # stored without its author
    try:
        with transaction.atomic():
            rule = GroundRule.objects.create(live=live, text=text, key_digest=digest)
    except IntegrityError:
        return GroundRule.objects.get(live=live, key_digest=digest), False
    _changed(live, phones=False)  # phones see only the kept ones
    return rule, True


@transaction.atomic
def ground_rule_keep(*, live: LiveSession, rule: GroundRule, kept: bool) -> GroundRule:
    """The facilitator keeps a proposal (every screen shows it from now on) or lets it go."""
    live = _locked(live)
    if rule.live_id != live.pk:
        raise LiveError(_("Ese acuerdo de convivencia no es de esta sesión."))
    if rule.kept != kept:
        rule.kept = kept
        rule.save(update_fields=["kept"])
        _changed(live)
    return rule


def _principles_ahead(live: LiveSession) -> bool:
    """True until the room reaches the principles block (no block yet, or one before it)."""
    block = live.current_block
    if block is None:
        return True
    return (
        block.kind.slug != PRINCIPLES_KIND
        and not live.workshop.blocks.filter(
            kind__slug=PRINCIPLES_KIND, position__lt=block.position
        ).exists()
    )


@transaction.atomic
def diagnosis_submit(
    *, participant: Participant, key: str, answers: dict[str, Any]
) -> tuple[Diagnosis | None, bool]:
    """A participant's diagnosis of the nine situations, in the diagnosis block, once per
    person; stored without the person or their area (the key only as an HMAC). Returns
    (diagnosis, created); None when this person had answered before."""
    participant, live = _active(participant, lock=True)
    digest = _checked_digest(live, key)
    existing = Diagnosis.objects.filter(live=live, key_digest=digest).first()
    if existing is not None:
        return existing, False
    if participant.diagnosis_answered:
        _personal([participant.pk], live)  # the phone may have missed that it answered
        return None, False
    block = live.current_block
    if block is None or block.kind.slug != DIAGNOSIS_KIND:
        raise LiveError(_("El diagnóstico se responde en su bloque."))
    if live.results_revealed:
        raise LiveError(_("El mapa ya está a la vista: el diagnóstico se cerró."))
    levels = len(method.diagnosis_scale())
    clean: dict[str, int] = {}
    for symptom in method.symptoms():
        raw = answers.get(symptom.slug) if isinstance(answers, dict) else None
        # A whole number or its digits; a fraction (2.5) is no step of the scale.
        if isinstance(raw, int) and not isinstance(raw, bool):
            level = raw
        elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 3:
            level = int(raw)
        else:
            level = -1
        if not 0 <= level < levels:
            raise LiveError(_("Responde las nueve situaciones antes de enviar."))
        clean[symptom.slug] = level
    diagnosis = Diagnosis.objects.create(live=live, answers=clean, key_digest=digest)
    participant.diagnosis_answered = True
    participant.save(update_fields=["diagnosis_answered"])
    _changed(live, phones=False)  # the map is the staff's and the projector's
    _personal([participant.pk], live)
    return diagnosis, True


def participant_commit(*, participant: Participant) -> Participant:
    """«Me comprometo» in any block, with a key of its own: seeding a room (tests, the
    benchmark, the demo), never a phone's message."""
    commitment_answer(
        participant=participant,
        key=secrets.token_urlsafe(16),
        choice=CommitmentAnswer.Choice.COMMIT,
        anywhere=True,
    )
    participant.refresh_from_db(fields=["principles_answered"])
    return participant


def _active(participant: Participant, *, lock: bool = False) -> tuple[Participant, LiveSession]:
    """Re-read the participant and the session: every message is authorised afresh. lock:
    hold the participant's row until the transaction ends (one statement for both)."""
    rows = Participant.objects.select_related("live__current_block__kind", "area")
    if lock:
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer join
        # to current_block.
        rows = rows.select_for_update(of=("self",))
    fresh = rows.get(pk=participant.pk)
    if fresh.removed_at is not None:
        raise LiveError(_("Quien facilita te retiró de esta sesión."), code="removed")
    if not fresh.live.is_open:
        raise LiveError(_("La sesión ya terminó."), code="ended")
    return fresh, fresh.live


def _paper_only(participant: Participant, on_paper: bool) -> None:
    """An entry typed by the staff is for a person on paper only: whoever has a phone
    answers for themselves (and keeps its per-minute limit)."""
    if on_paper and not participant.on_paper:
        raise LiveError(
            _("Esa persona participa desde su celular: sus respuestas las envía ella misma.")
        )


def participant_seen(*, participant: Participant) -> bool:
    """Heartbeat: refresh presence at most every HEARTBEAT_WRITE_SECONDS. True if written."""
    now = timezone.now()
    written = Participant.objects.filter(
        pk=participant.pk,
        removed_at__isnull=True,
        last_seen_at__lt=now - timedelta(seconds=HEARTBEAT_WRITE_SECONDS),
    ).update(last_seen_at=now)
    return bool(written)


@transaction.atomic
def contribution_submit(
    *, participant: Participant, key: str, text: str, block_id: int, on_paper: bool = False
) -> tuple[Contribution, bool]:
    """Store a contribution once per key. Returns (contribution, created).

    A resent key returns the stored row (created False) even after the block moved on, so a
    phone that was offline is acknowledged. An anonymous block stores no author at all, and
    the per-minute limit leaves nothing in the cache that names it (see _rate_limited).
    on_paper: the staff types it for a person on paper: no per-minute limit (one device
    enters for many people), and a signed card is marked as collected on paper.
    """
    participant, live = _active(participant)
    _paper_only(participant, on_paper)
    digest = _checked_digest(live, key)
    existing = Contribution.objects.filter(live=live, key_digest=digest).first()
    if existing is not None:
        return existing, False
    block = Block.objects.filter(pk=block_id, workshop_id=live.workshop_id).first()
    if block is None:
        raise LiveError(_("Ese bloque no es de esta sesión."))
    current = live.current_block
    is_current = current is not None and current.pk == block.pk
    if not block.allows_contributions or (is_current and not live.contributions_open):
        raise LiveError(_("Los aportes están cerrados en este momento."))
    if not is_current and (current is None or block.position > current.position):
        raise LiveError(_("Los aportes están cerrados en este momento."))
    text = clean_text(text, MAX_CONTRIBUTION_CHARS)
    if not text:
        raise LiveError(_("Escribe tu aporte antes de enviarlo."))
    anonymous = block.anonymous
    if not on_paper:
        _rate_limited(live, participant, anonymous=anonymous)
    try:
        with transaction.atomic():
            contribution = Contribution.objects.create(
                live=live,
                block=block,
                text=text,
                key_digest=digest,
                anonymous=anonymous,
                participant=None if anonymous else participant,
                area=None if anonymous else participant.area,
                # A block that reveals first: to the facilitator's queue.
                revealed_at=None if block.reveal_first else timezone.now(),
                on_paper=on_paper and not anonymous,
            )
    except IntegrityError:
        # The same key arrived twice at once: the other request stored it.
        return Contribution.objects.get(live=live, key_digest=digest), False
    _changed(live, crowd=True)
    return contribution, True


def parse_target(raw: object) -> tuple[int | None, int | None]:
    """A phone's dot target, "c12" (a card) or "t5" (a theme), as (card id, theme id); a
    bare number is a card (what a phone's outbox held before themes existed)."""
    text = str(raw or "")
    kind, number = (text[0], text[1:]) if text[:1] in {"c", "t"} else ("c", text)
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        raise LiveError(_("Ese aporte no está en la votación."))
    return (int(number), None) if kind == "c" else (None, int(number))


def dot_place(
    *,
    participant: Participant,
    key: str,
    contribution_id: int | None = None,
    theme_id: int | None = None,
) -> tuple[Dot, bool]:
    """Place one dot once per key, on a card or on a theme. Returns (dot, created)."""
    try:
        return _dot_place(participant, key, contribution_id, theme_id)
    except IntegrityError:
        # The same key stored at once by another request (the lock below makes that all but
        # impossible: a key is one phone's, and its taps queue on its participant's row), or
        # the card or theme went away between the check and the write.
        live = LiveSession.objects.get(pk=participant.live_id)
        dot = Dot.objects.filter(live=live, key_digest=key_digest(live, key)).first()
        if dot is None:
            raise LiveError(_("Ese aporte no está en la votación.")) from None
        return dot, False


@transaction.atomic
def _dot_place(
    participant: Participant, key: str, contribution_id: int | None, theme_id: int | None
) -> tuple[Dot, bool]:
    # Lock the participant first, so two taps at once cannot both take the last dot and a
    # resent key finds the first one stored: six statements for a vote, no savepoint.
    participant, live = _active(participant, lock=True)
    digest = key_digest(live, key)
    existing = Dot.objects.filter(live=live, key_digest=digest).first()
    if existing is not None:
        return existing, False
    block = live.current_block
    if not live.voting_open or block is None or block.dots == 0:
        raise LiveError(_("La votación no está abierta."))
    target: dict[str, Any] = {}
    if theme_id is not None:
        theme = Theme.objects.filter(pk=theme_id, live=live, block=block).first()
        visible = theme is not None and (
            theme.cards.filter(hidden=False, revealed_at__isnull=False).exists()
            or theme.dots.exists()
        )
        if not visible:
            raise LiveError(_("Ese tema no está en la votación."))
        target["theme"] = theme
    else:
        contribution = Contribution.objects.filter(
            pk=contribution_id, live=live, block=block, hidden=False, revealed_at__isnull=False
        ).first()
        if contribution is None:
            raise LiveError(_("Ese aporte no está en la votación."))
        if contribution.theme_id is not None:
            raise LiveError(_("Ese aporte está dentro de un tema: dale tu punto al tema."))
        target["contribution"] = contribution
    used = Dot.objects.filter(participant=participant, block=block).count()
    if used >= block.dots:
        raise LiveError(_("Ya usaste todos tus puntos. Quita uno para moverlo."))
    dot = Dot.objects.create(
        live=live, block=block, participant=participant, key_digest=digest, **target
    )
    # Phones show counts only after the reveal, and the reveal closes the voting.
    _changed(live, phones=False)
    _personal([participant.pk], live)
    return dot, True


@transaction.atomic
def dot_remove(
    *, participant: Participant, contribution_id: int | None = None, theme_id: int | None = None
) -> bool:
    participant, live = _active(participant, lock=True)
    if not live.voting_open:
        raise LiveError(_("La votación no está abierta."))
    on = {"theme_id": theme_id} if theme_id is not None else {"contribution_id": contribution_id}
    dot = (
        Dot.objects.filter(participant=participant, block=live.current_block, **on)
        .order_by("-id")
        .first()
    )
    if dot is None:
        return False
    dot.delete()
    _changed(live, phones=False)
    _personal([participant.pk], live)
    return True


@transaction.atomic
def emotion_submit(
    *, participant: Participant, moment: str, emotion: str, intensity: int, word: str = ""
) -> EmotionCheck:
    """The check-in or check-out emotion, with an optional single word; a second answer
    replaces the first."""
    word = clean_text(word[:200], 200).strip(" .,;:!¡?¿")
    if len(word) > MAX_WORD_CHARS or len(word.split()) > 1:
        raise LiveError(_("Escribe una sola palabra, de hasta 30 letras."))
    participant, live = _active(participant)
    if moment not in EmotionCheck.Moment.values:
        raise LiveError(_("Momento no válido."))
    if emotion not in Emotion.values:
        raise LiveError(_("Elige una de las emociones de la lista."))
    if not 1 <= intensity <= 5:
        raise LiveError(_("La intensidad va de 1 a 5."))
    check, _created = EmotionCheck.objects.update_or_create(
        participant=participant,
        moment=moment,
        defaults={
            "live": live,
            "area": participant.area,
            "emotion": emotion,
            "intensity": intensity,
            "word": word,
        },
    )
    _changed(live, phones=False)  # phones never show the room's emotions
    _personal([participant.pk], live)
    return check


def active_participant(participant: Participant) -> tuple[Participant, LiveSession]:
    """The participant and session re-read and checked (not removed, session open), for
    other apps' phone messages."""
    return _active(participant)


# Public names for other apps (agreements) that change what a live session shows.
notify_live = _changed
notify_participants = _personal
