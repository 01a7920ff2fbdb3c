"""The one place that knows the live groups and renders what they receive.

Each change is rendered once per audience (participants, facilitator, projector), never once
per recipient; what is personal to one participant goes to that participant's own group.
Called after commit (see services._changed); the channel layer delivers at most once, so
every message carries the session's sequence number and a client that sees a gap asks for a
snapshot.
"""

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

from facilitation.models import LiveSession, Participant

logger = logging.getLogger(__name__)

AUDIENCES = ("participants", "facilitator", "projector")
TEMPLATES = {
    "participants": "facilitation/_stage.html",
    "facilitator": "facilitation/_room.html",
    "projector": "facilitation/_screen.html",
}
CLOSE_REMOVED = 4003
CLOSE_ENDED = 4004


def group_name(live_id: int, audience: str) -> str:
    return f"live-{live_id}-{audience}"


def participant_group(participant_id: int) -> str:
    return f"participant-{participant_id}"


def render_audience(live: LiveSession, audience: str) -> str:
    from facilitation.selectors import live_state

    state = live_state(live, audience=audience)
    return render_to_string(TEMPLATES[audience], {"state": state, "audience": audience})


def render_me(participant: Participant) -> str:
    from facilitation.selectors import participant_me

    return render_to_string("facilitation/_me.html", {"me": participant_me(participant)})


def frame(**payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"))


def snapshot_frames(live: LiveSession, audience: str, participant: Participant | None) -> list[str]:
    """Everything a screen needs after (re)connecting."""
    live.refresh_from_db(fields=["seq"])
    frames = [frame(seq=live.seq, html=render_audience(live, audience))]
    if participant is not None:
        frames.append(frame(html=render_me(participant)))
    return frames


def _group_send(group: str, message: dict) -> None:
    """Send after commit. A failure is logged, never raised: what was committed stays
    committed, and screens converge on their next snapshot (reconnect or sequence gap)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("broadcast to %s failed", group)


def current_seq(live_id: int) -> int | None:
    return LiveSession.objects.filter(pk=live_id).values_list("seq", flat=True).first()


def _send(group: str, text: str, seq: int | None = None) -> None:
    message: dict[str, object] = {"type": "live.frame", "text": text}
    if seq is not None:
        message["seq"] = seq  # the consumer notes what its screen has seen (catch_up)
    _group_send(group, message)


def live_changed(live_id: int, audiences: tuple[str, ...] | None = None) -> None:
    live = LiveSession.objects.get(pk=live_id)
    for audience in audiences or AUDIENCES:
        _send(
            group_name(live_id, audience),
            frame(seq=live.seq, html=render_audience(live, audience)),
            live.seq,
        )


def participants_changed(live_id: int, participant_ids: list[int]) -> None:
    for participant in Participant.objects.filter(pk__in=participant_ids, live_id=live_id):
        _send(participant_group(participant.pk), frame(html=render_me(participant)))


def participant_removed(live_id: int, participant_id: int) -> None:
    _group_send(participant_group(participant_id), {"type": "live.end", "code": CLOSE_REMOVED})


def live_closed(live_id: int) -> None:
    for audience in ("participants", "projector"):
        _group_send(group_name(live_id, audience), {"type": "live.end", "code": CLOSE_ENDED})
