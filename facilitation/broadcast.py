"""The one place that knows the live groups and renders what they receive.

Each change is rendered once per audience (participants, facilitator, projector), never once
per recipient, and changes close together are coalesced into one render (fanout); what is
personal to one participant goes to that participant's own group. Called after commit (see
services._changed). Every audience frame is a whole fragment carrying the session's sequence
number: a client shows the newest and ignores older ones; the layer delivers at most once, so
each socket compares its last number with the database's on every heartbeat and sends a
snapshot when it fell behind.
"""

import json
import logging
import threading
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation

from facilitation import fanout
from facilitation.models import LiveSession, Participant

logger = logging.getLogger(__name__)

AUDIENCES = ("participants", "facilitator", "projector")
STAFF_AUDIENCES = ("facilitator", "projector")
TEMPLATES = {
    "participants": "facilitation/_stage.html",
    "facilitator": "facilitation/_room.html",
    "projector": "facilitation/_screen.html",
}
CLOSE_REMOVED = 4003
CLOSE_ENDED = 4004
CLAIM_SECONDS = 120


def group_name(live_id: int, audience: str) -> str:
    return f"live-{live_id}-{audience}"


def participant_group(participant_id: int) -> str:
    return f"participant-{participant_id}"


# The phones' view is three fragments of _stage.html, in its order; the phone's page places
# them apart (its forms sit between), a frame carries them together.
STAGE_PARTS = ("stage", "agreement", "wall")


def render_parts(live: LiveSession, audience: str, fresh: bool = False) -> tuple[str, ...]:
    """The audience's view: the phones' three fragments (STAGE_PARTS), or the staff's one."""
    from facilitation.selectors import live_state

    state = live_state(live, audience=audience, fresh=fresh)
    context = {"state": state, "audience": audience}
    if audience == "facilitator":
        context["people"] = people_fragment(state.live, state.participants)
    if audience == "participants":
        return tuple(
            render_to_string(f"{TEMPLATES[audience]}#{part}", context) for part in STAGE_PARTS
        )
    return (render_to_string(TEMPLATES[audience], context),)


# The control room's list of people, per session and language: what it shows of each person
# (see _room.html#people) -> its render. The control room is rendered after every change, and
# with a hundred people their list was most of its template (17 of 20 ms); a facilitator's
# click does not change it, so it is rendered again only when someone in it changed.
_people: dict[tuple[int, str, str], tuple[tuple, str]] = {}
_people_lock = threading.Lock()
PEOPLE_MAX = 64  # sessions x languages kept; the oldest entries go first


def people_fragment(live: LiveSession, people: list[Participant]) -> str:
    """The control room's #participants, rendered afresh only when what it shows changed."""
    key = (live.pk, live.qr_token, translation.get_language() or "")
    shown = (
        live.is_open,
        tuple(
            (
                p.pk,
                p.name,
                p.area.name,
                p.on_paper,
                p.table_number,
                bool(p.removed_at),
                bool(p.erased_at),
            )
            for p in people
        ),
    )
    known = _people.get(key)
    if known is not None and known[0] == shown:
        return known[1]
    html = render_to_string(
        "facilitation/_room.html#people", {"live": live, "state": {"participants": people}}
    )
    with _people_lock:  # renders run in pool threads: one writer at a time
        _people.pop(key, None)  # re-insert: the dict's order is the age of the entries
        _people[key] = (shown, html)
        while len(_people) > PEOPLE_MAX:
            _people.pop(next(iter(_people)), None)
    return html


def render_audience(live: LiveSession, audience: str, fresh: bool = False) -> str:
    return "".join(render_parts(live, audience, fresh))


def render_me(
    participant: Participant,
    *,
    loaded: bool = False,
    seated: dict[tuple[int, int], list[Participant]] | None = None,
) -> str:
    from facilitation.selectors import participant_me

    me = participant_me(participant, loaded=loaded, seated=seated)
    return render_to_string("facilitation/_me.html", {"me": me})


def frame(**payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"))


# This process's last render of the phones' view: (session, its token, audience, language)
# -> (the number read before the render, time.monotonic() of the render, its fragments). 500
# phones joining a session that is not changing for them get one render, not 500, and their
# pages reuse it too (phones_stage). Only the phones':
# the staff's screens are few, and the control room shows presence, which changes with time
# alone (its periodic snapshot must be rendered afresh).
REUSED = frozenset({"participants"})
_recent: dict[tuple[int, str, str, str], tuple[int, float, tuple[str, ...]]] = {}
RECENT_MAX = 256  # sessions x audiences x languages kept; the oldest entries go first


def _recent_key(live: LiveSession, audience: str) -> tuple[int, str, str, str]:
    return (live.pk, live.qr_token, audience, translation.get_language() or "")


def _remember(live: LiveSession, audience: str, seq: int, parts: tuple[str, ...]) -> None:
    if audience not in REUSED:
        return
    key = _recent_key(live, audience)
    known = _recent.get(key)
    if known is None or known[0] <= seq:
        _recent.pop(key, None)  # re-insert: the dict's order is the age of the entries
        _recent[key] = (seq, time.monotonic(), parts)
        while len(_recent) > RECENT_MAX:
            _recent.pop(next(iter(_recent)), None)


def audience_frame(live: LiveSession, audience: str, *, numbers_read: bool = False) -> str:
    """The audience's view at the session's present state, as a frame. For the phones,
    reuses this process's last render when nothing they see has changed since (its number is
    at least the one the audience must reach, see current_seq). The timer counts down in the
    browser from the remaining seconds in the html: such a frame says how old it is ("age",
    seconds) so that a running timer starts from the right second. numbers_read: `live` was
    just read from the database, its numbers need no second read."""
    if not numbers_read:
        live.refresh_from_db(fields=["seq", "participants_seq"])
    needed = live.participants_seq if audience == "participants" else live.seq
    known = _recent.get(_recent_key(live, audience)) if audience in REUSED else None
    if known is not None and known[0] >= needed:
        seq, rendered_at, parts = known
        age = round(time.monotonic() - rendered_at, 2)
        return frame(seq=seq, age=age, html="".join(parts))
    seq = live.seq
    parts = render_parts(live, audience)
    _remember(live, audience, seq, parts)
    return frame(seq=seq, html="".join(parts))


def phones_stage(live: LiveSession) -> tuple[dict[str, str], float]:
    """The phones' fragments by name (STAGE_PARTS) for a phone's page, and their age in
    seconds (a running timer starts that much further on): this process's last render while
    nothing the phones show has changed since `live` was read, a fresh render otherwise.
    The page's socket then brings the same view as a snapshot, or a newer one."""
    known = _recent.get(_recent_key(live, "participants"))
    if known is not None and known[0] >= live.participants_seq:
        _seq, rendered_at, parts = known
        age = round(time.monotonic() - rendered_at, 2)
    else:
        parts = render_parts(live, "participants")
        _remember(live, "participants", live.seq, parts)
        age = 0.0
    return dict(zip(STAGE_PARTS, parts, strict=True)), age


def snapshot_frames(live: LiveSession, audience: str, participant: Participant | None) -> list[str]:
    """Everything a screen needs after (re)connecting. A phone's: its participant is read
    afresh with the session and its numbers in one query (a room joining makes a hundred of
    these), before either fragment is rendered."""
    if participant is None:
        return [audience_frame(live, audience)]
    from facilitation.selectors import ME_RELATED

    participant = Participant.objects.select_related(*ME_RELATED).get(pk=participant.pk)
    me = frame(html=render_me(participant, loaded=True))
    return [audience_frame(participant.live, audience, numbers_read=True), me]


def _group_send(group: str, message: dict) -> None:
    """Send after commit. A failure is logged, never raised: what was committed stays
    committed, and screens converge on their next snapshot (reconnect or heartbeat)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("broadcast to %s failed", group)


def current_seq(live_id: int, audience: str = "facilitator") -> int | None:
    """The number a screen of `audience` must have reached to be up to date: the phones'
    view does not change with every change (see LiveSession.participants_seq)."""
    field = "participants_seq" if audience == "participants" else "seq"
    return LiveSession.objects.filter(pk=live_id).values_list(field, flat=True).first()


def _claim(live: LiveSession, audience: str) -> bool:
    """The first process to claim a (session, audience, seq) sends it; the others skip it.
    The key carries the session's random token: a test database may reuse an id. If the
    cache is down, send anyway: a repeated number is ignored by the client."""
    key = f"live-sent:{live.pk}:{live.qr_token[:16]}:{audience}:{live.seq}"
    try:
        return bool(cache.add(key, 1, CLAIM_SECONDS))
    except Exception:
        logger.warning("could not claim a broadcast; sending it anyway", exc_info=True)
        return True


def live_message(live_id: int, audience: str) -> tuple[str, dict[str, object]] | None:
    """The layer message that brings one audience's screens to the session's present state
    (one render, for the hubs of the processes; see fanout), or None if another flush
    already sent this state."""
    # The number is read before the render reads the state: a frame may show more than its
    # number says (a later frame then repeats it), never less.
    from facilitation.selectors import LIVE_DEFERRED, LIVE_RELATED

    live = (
        LiveSession.objects.select_related(*LIVE_RELATED)
        .defer(*LIVE_DEFERRED)
        .filter(pk=live_id)
        .first()
    )
    if live is None or not _claim(live, audience):
        return None
    group = group_name(live_id, audience)
    parts = render_parts(live, audience, fresh=True)
    _remember(live, audience, live.seq, parts)
    text = frame(seq=live.seq, html="".join(parts))
    return group, {"type": "live.frame", "group": group, "text": text, "seq": live.seq}


def live_changed(
    live_id: int, audiences: tuple[str, ...] = AUDIENCES, *, crowd: bool = False
) -> None:
    """After commit: bring the audiences' screens of the session up to date, coalesced on
    the event loop when one serves this process (fanout.hub), at once otherwise. crowd: a
    participant's write (see services._changed)."""
    if fanout.hub.changed(live_id, audiences, crowd=crowd):
        return
    for audience in audiences:
        found = live_message(live_id, audience)
        if found is not None:
            _group_send(*found)


def participants_changed(live_id: int, participant_ids: list[int]) -> None:
    """After commit: these participants' own frames (#me), rendered in the language of the
    change, on the event loop when one serves this process (fanout.hub), at once otherwise."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    items = {pid: (live_id, language) for pid in participant_ids}
    if fanout.hub.personal(items):
        return
    for group, message in personal_messages(items):
        _group_send(group, message)


def personal_messages(items: dict[int, tuple[int, str]]) -> list[tuple[str, dict]]:
    """The layer messages of participants' own frames: {participant: (session, language)}."""
    from facilitation.selectors import ME_RELATED, seated_people

    by_language: dict[str, list[int]] = {}
    for pid, (_live_id, language) in items.items():
        by_language.setdefault(language, []).append(pid)
    messages = []
    people = list(Participant.objects.select_related(*ME_RELATED).filter(pk__in=list(items)))
    # Table mates for every phone at once (a table assignment tells every phone).
    seated = (
        seated_people({p.live_id for p in people if p.table_number})
        if any(p.table_number for p in people)
        else {}
    )
    for language, ids in by_language.items():
        wanted = set(ids)
        with translation.override(language):
            for participant in people:
                if participant.pk not in wanted or items[participant.pk][0] != participant.live_id:
                    continue
                text = frame(html=render_me(participant, loaded=True, seated=seated))
                messages.append(
                    (participant_group(participant.pk), {"type": "live.frame", "text": text})
                )
    return messages


def participant_removed(live_id: int, participant_id: int) -> None:
    _group_send(participant_group(participant_id), {"type": "live.end", "code": CLOSE_REMOVED})


def live_closed(live_id: int) -> None:
    # Every screen learns at once: phones and projector show their closing pages, control
    # rooms open on the session's summary.
    for audience in ("participants", "projector", "facilitator"):
        group = group_name(live_id, audience)
        _group_send(group, {"type": "live.end", "group": group, "code": CLOSE_ENDED})
