"""Process-local fan-out of the live groups, and coalesced broadcasts.

Two costs of the stock parts (../shared/REALTIME.md) dominate a room of hundreds of phones:
a group message is copied into every socket's own layer channel (one Redis push, one
receive, one dispatch per phone), and every change re-renders every audience's fragment.
So, without patching the libraries:

- Each process joins the channel layer's groups once, with one channel of its own (the
  hub's), and hands a group message to its local sockets itself: a broadcast is one layer
  message per process, not one per phone. Personal frames still travel on each socket's own
  channel (the participant's group).
- A change does not render at once: it marks the live session as changed for the audiences
  it concerns (a join, a vote before the reveal, an emotion or a consent shows only on the
  staff's screens: the phones' view is not rendered for it), and one task per session
  renders each marked audience and sends it, at once for a lone change and, while changes
  keep arriving during the renders, at most once per WINDOW (STAFF_WINDOW while only the
  staff's screens changed), carrying the newest sequence number. A burst of 500 votes costs
  a handful of renders, not 500. Every frame is a whole fragment, so a screen that skips a
  number has lost nothing; a stale frame (lower number) is ignored by the client.
- Several processes may flush the same state: the first to claim (session, audience, seq)
  in the shared cache sends it, the others skip it, so no screen gets the same number twice.

Without a running event loop (management commands, synchronous tests) a change is rendered
and sent at once from the calling thread.
"""

import asyncio
import logging
import weakref
from collections import defaultdict
from typing import Any

from channels.db import DatabaseSyncToAsync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

WINDOW = 0.15  # seconds between two flushes of one live session
# A burst that only the staff's screens show (500 votes before the reveal, a room joining)
# is flushed at most this often: the control room and projector renders are the heaviest
# (every contribution with its dots) and, 6-7 times a second in each process, they took the
# CPU the votes themselves needed. A change the phones show still goes out after WINDOW.
# A room joining is such a burst too: at 0.5 s, with 100 people in the control room's list,
# its renders took about a fifth of the CPU of 100 joins (issue 13); once a second is
# still a live count for the people watching it.
STAFF_WINDOW = 1.0
PHONES = "participants"  # the audience whose frame never waits for the staff's renders
REJOIN_EVERY = 10.0  # a restarted Redis forgets groups: join them again this often
RETRY_AFTER = 0.5  # the layer failed: wait before receiving again
# After sending one audience's frame, the next render waits (at most this long) until this
# process has handed it to its own sockets: a render holds the GIL, and the phones' fan-out
# on the event loop would otherwise share the CPU with the control room's render.
FANOUT_WAIT = 0.3


def in_thread(func: Any) -> Any:
    """Run a query, a write or a render off the loop, in the default thread pool rather than
    the one thread that database_sync_to_async shares among every socket of the process: a
    join's snapshot, a vote, a heartbeat and a broadcast's render no longer queue one behind
    the other (with 50 phones joining at once, handshakes waited more than daphne's 5 s
    behind that one thread). Each call still closes stale connections before and after
    (DatabaseSyncToAsync)."""
    return DatabaseSyncToAsync(func, thread_sensitive=False)


class Hub:
    """One per process (module-level `hub`); lives on the event loop that serves sockets."""

    def __init__(self) -> None:
        self.reset(None)

    def reset(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.members: dict[str, weakref.WeakSet[Any]] = defaultdict(weakref.WeakSet)
        self.channel: str | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.listening = False
        self.pending: dict[int, set[str]] = {}
        self.flushers: dict[int, asyncio.Task[None]] = {}
        self.wakeups: dict[int, asyncio.Event] = {}  # a flusher waiting out its window
        self.personal_pending: dict[int, tuple[int, str]] = {}  # participant -> (live, lang)
        self.personal_flusher: asyncio.Task[None] | None = None
        self.delivered: dict[str, int] = {}  # group -> newest seq handed to local sockets
        self.rendering: dict[int, str] = {}  # session -> audience its flusher is rendering
        # session -> whether the last change the phones show was a facilitator's (sent at
        # once, see _phones_due) rather than a participant's, one of a possible burst
        self.lone: dict[int, bool] = {}
        # session -> its phones' render running beside a staff render (see _schedule)
        self.phone_tasks: dict[int, asyncio.Task[None]] = {}
        self.delivery = asyncio.Event() if loop is not None else None

    # --- binding to the loop ------------------------------------------------------------------

    def bind(self) -> None:
        """Called on the loop (every ASGI connection): remember it; a new loop (a new test)
        starts afresh."""
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.reset(loop)

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    # --- membership -----------------------------------------------------------------------------

    async def join(self, group: str, consumer: Any) -> None:
        self.bind()
        layer = get_channel_layer()
        if self.channel is None:
            # The layer's default prefix: channels_redis reads one process-wide list for all
            # of a process's channels, named by that prefix.
            self.channel = await layer.new_channel()
        first = len(self.members[group]) == 0
        self.members[group].add(consumer)
        if first:
            await layer.group_add(group, self.channel)
        if not self.listening:
            self.listening = True
            self._spawn(self._listen())
            self._spawn(self._rejoin())

    async def leave(self, group: str, consumer: Any) -> None:
        members = self.members.get(group)
        if members is None:
            return
        members.discard(consumer)
        if len(members) == 0:
            del self.members[group]
            if self.channel is not None:
                await get_channel_layer().group_discard(group, self.channel)

    async def _rejoin(self) -> None:
        while True:
            await asyncio.sleep(REJOIN_EVERY)
            await self._join_all()

    async def _join_all(self) -> bool:
        """Join every group with local sockets again; False if the layer is still down."""
        layer = get_channel_layer()
        for group in list(self.members):
            try:
                await layer.group_add(group, self.channel)
            except Exception:  # the layer is down: the caller tries again
                logger.warning("hub could not join %s again", group)
                return False
        return True

    async def _listen(self) -> None:
        layer = get_channel_layer()
        while True:
            try:
                message = await layer.receive(self.channel)
            except Exception:  # not CancelledError (a BaseException): stopping still stops
                logger.warning("hub receive failed; retrying", exc_info=True)
                # A restarted Redis forgot the groups: join them all again before receiving,
                # or the broadcasts of the next REJOIN_EVERY seconds would miss this process.
                await asyncio.sleep(RETRY_AFTER)
                while not await self._join_all():
                    await asyncio.sleep(RETRY_AFTER)
                continue
            await self.deliver(message)

    async def deliver(self, message: dict[str, Any]) -> None:
        handler = {"live.frame": "live_frame", "live.end": "live_end"}.get(message.get("type"))
        if handler is None:
            return
        group = message.get("group", "")
        for consumer in list(self.members.get(group, ())):
            try:
                await getattr(consumer, handler)(message)
            except Exception:  # one broken socket must not stop the others' frames
                logger.warning("fan-out to one socket failed", exc_info=True)
        seq = message.get("seq")
        if isinstance(seq, int) and seq > self.delivered.get(group, -1):
            self.delivered[group] = seq
            if self.delivery is not None:
                self.delivery.set()
                self.delivery = asyncio.Event()

    async def _delivered_here(self, group: str, seq: int) -> None:
        """Wait until this process's sockets of `group` got `seq` (or FANOUT_WAIT passed, or
        no socket of the group is here)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FANOUT_WAIT
        while group in self.members and self.delivered.get(group, -1) < seq:
            left = deadline - loop.time()
            if left <= 0 or self.delivery is None:
                return
            try:
                await asyncio.wait_for(self.delivery.wait(), left)
            except TimeoutError:
                return

    # --- coalesced broadcasts -------------------------------------------------------------------

    def changed(self, live_id: int, audiences: tuple[str, ...], *, crowd: bool = False) -> bool:
        """From any thread, after commit: schedule a coalesced broadcast of the session to
        these audiences. crowd: a participant's write, one of a possible burst (coalesced
        for the phones within WINDOW); otherwise a facilitator's action, which the phones get
        at once, even during a flush. False when no loop serves this process (the caller
        then sends at once)."""
        return self._on_loop(self._schedule, live_id, audiences, crowd)

    def personal(self, items: dict[int, tuple[int, str]]) -> bool:
        """From any thread, after commit: render and send these participants' own frames
        ({participant: (session, language)}, see broadcast.personal_messages) off the
        writer's thread (a vote is acknowledged once stored, not once its voter's frame is
        rendered); the taps of one participant during a render are rendered once. False
        when no loop serves this process (the caller then sends at once)."""
        return self._on_loop(self._schedule_personal, items)

    def _on_loop(self, callback: Any, *args: Any) -> bool:
        """Run `callback(*args)` on the hub's loop, from that loop or from another thread;
        False when no loop serves this process."""
        loop = self.loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return False
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            callback(*args)
        else:
            loop.call_soon_threadsafe(callback, *args)
        return True

    def _schedule_personal(self, items: dict[int, tuple[int, str]]) -> None:
        self.personal_pending.update(items)
        if self.personal_flusher is None:
            self.personal_flusher = self._spawn(self._flush_personal())

    async def _flush_personal(self) -> None:
        from facilitation.broadcast import personal_messages

        layer = get_channel_layer()
        try:
            while self.personal_pending:
                items, self.personal_pending = self.personal_pending, {}
                try:
                    messages = await in_thread(personal_messages)(items)
                    for group, message in messages:
                        await layer.group_send(group, message)
                except Exception:  # the participant's next snapshot brings it
                    logger.exception("personal frames failed")
        finally:
            self.personal_flusher = None

    def _schedule(self, live_id: int, audiences: tuple[str, ...], crowd: bool = False) -> None:
        from facilitation.broadcast import STAFF_AUDIENCES

        self.pending.setdefault(live_id, set()).update(audiences)
        if PHONES in audiences:
            self.lone[live_id] = not crowd
        if live_id not in self.flushers:
            self.flushers[live_id] = self._spawn(self._flusher(live_id))
        elif not set(audiences) <= set(STAFF_AUDIENCES) and live_id in self.wakeups:
            self.wakeups[live_id].set()  # the phones' change need not wait a staff window
        elif (
            self.rendering.get(live_id) in STAFF_AUDIENCES
            and live_id not in self.phone_tasks
            and self._phones_due(live_id)
        ):
            # The flusher is in a staff render (the control room of 100 people takes 60 ms
            # or more): the phones' frame is rendered beside it instead of after it.
            self.phone_tasks[live_id] = self._spawn(self._phones_now(live_id))

    async def _phones_now(self, live_id: int) -> None:
        from facilitation.broadcast import live_message

        try:
            pending = self.pending.get(live_id)
            if pending is None or PHONES not in pending:
                return
            pending.discard(PHONES)
            if not pending:
                del self.pending[live_id]
            found = await in_thread(live_message)(live_id, PHONES)
            if found is not None:
                await get_channel_layer().group_send(*found)
        except Exception:  # screens converge on their heartbeat's catch-up
            logger.exception("broadcast of live session %s failed", live_id)
        finally:
            self.phone_tasks.pop(live_id, None)

    async def _flusher(self, live_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while live_id in self.pending:
                audiences = self.pending.pop(live_id)
                started = loop.time()
                try:
                    await self._flush_once(live_id, audiences)
                except Exception:  # screens converge on their heartbeat's catch-up
                    logger.exception("broadcast of live session %s failed", live_id)
                # Changes that arrived during this flush are a burst: they wait for the end
                # of the window, gathered. After a flush that nothing interrupted, a change
                # the phones show (a facilitator's click) goes out at once, as the first did;
                # one only the staff see still waits for the end of STAFF_WINDOW.
                await self._window(live_id, started, burst=live_id in self.pending)
        finally:
            self.flushers.pop(live_id, None)

    async def _window(self, live_id: int, started: float, *, burst: bool) -> None:
        """Wait out the window that began at `started`: STAFF_WINDOW while only the staff's
        screens have changed (or nothing); once a change the phones show is pending, WINDOW
        in a burst of participants' writes and not at all otherwise (a facilitator's click
        that came while the staff's screens of the one before rendered is not a burst)."""
        from facilitation.broadcast import STAFF_AUDIENCES

        loop = asyncio.get_running_loop()
        wake = self.wakeups[live_id] = asyncio.Event()
        try:
            while True:
                staff_only = self.pending.get(live_id, set()) <= set(STAFF_AUDIENCES)
                phones_window = WINDOW if burst and not self.lone.get(live_id) else 0.0
                window = STAFF_WINDOW if staff_only else phones_window
                left = window - (loop.time() - started)
                if left <= 0:
                    return
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), left)
                except TimeoutError:
                    pass
        finally:
            self.wakeups.pop(live_id, None)

    def _phones_due(self, live_id: int) -> bool:
        """A facilitator's change the phones show is pending: it goes before the staff's
        renders (participants' bursts keep their pace: after the flush, once per WINDOW)."""
        return PHONES in self.pending.get(live_id, ()) and self.lone.get(live_id, False)

    async def _flush_once(self, live_id: int, audiences: set[str]) -> None:
        from facilitation.broadcast import AUDIENCES, live_message

        layer = get_channel_layer()
        # Phones first (AUDIENCES starts with them): each audience is sent as soon as it is
        # rendered, in the thread pool (in_thread).
        render = in_thread(live_message)
        todo = [audience for audience in AUDIENCES if audience in audiences]
        waiting: tuple[str, int] | None = None
        while todo:
            if todo[0] != PHONES and self._phones_due(live_id):
                # A facilitator's change arrived during this flush: the phones' frame goes before
                # the staff's renders still to come (a facilitator's click used to wait for
                # the control room and projector of the click before it, 100-200 ms). The
                # staff's renders below read the newest state, so they cover it too.
                pending = self.pending.pop(live_id)
                todo = [a for a in AUDIENCES if a in pending or a in todo]
            audience = todo.pop(0)
            if waiting is not None:
                await self._delivered_here(*waiting)
            self.rendering[live_id] = audience
            try:
                found = await render(live_id, audience)
            finally:
                self.rendering.pop(live_id, None)
            if found is not None:
                await layer.group_send(*found)
                waiting = (found[0], int(found[1]["seq"]))  # type: ignore[call-overload]


hub = Hub()
