"""Services of the live session: every state change, its refusals, and commit-then-broadcast."""

import datetime
import json
import threading
import time
from itertools import combinations

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections
from django.utils import timezone

from facilitation import broadcast, services
from facilitation.models import (
    JOIN_CODE_ALPHABET,
    Contribution,
    Dot,
    EmotionCheck,
    LiveSession,
    ModerationLog,
    Participant,
    TableSeat,
)
from facilitation.services import LiveError
from tests.facilitation.conftest import goto
from workshops.models import Area, Principle, Workshop
from workshops.services import workshop_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas are created with passwords; nobody logs in with one here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def block_of(live, slug):
    return live.workshop.blocks.filter(kind__slug=slug).first()


def fresh(live) -> LiveSession:
    return LiveSession.objects.select_related("current_block", "workshop").get(pk=live.pk)


def draft_workshop(organisation, facilitator, title="Borrador"):
    return workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title=title,
        purpose="Probar",
        date=datetime.date(2026, 12, 2),
        start_time=datetime.time(8, 0),
        invited={a: 2 for a in organisation.areas.all()},
        template="tres-horas",
    )


# --- going live ------------------------------------------------------------------------------


def test_live_start_gives_a_code_of_the_unambiguous_alphabet_and_makes_the_session_live(
    ready_workshop,
):
    live = services.live_start(workshop=ready_workshop)
    assert len(live.join_code) == 8
    assert set(live.join_code) <= set(JOIN_CODE_ALPHABET)
    assert not set(live.join_code) & set("01OIL")
    assert len(live.qr_token) >= 32
    ready_workshop.refresh_from_db()
    assert ready_workshop.status == Workshop.Status.LIVE
    assert live.current_block == ready_workshop.blocks.order_by("position").first()


def test_live_start_is_idempotent(ready_workshop):
    first = services.live_start(workshop=ready_workshop)
    again = services.live_start(workshop=ready_workshop)
    assert again.pk == first.pk
    assert again.join_code == first.join_code
    assert LiveSession.objects.filter(workshop=ready_workshop).count() == 1


def test_live_start_is_refused_for_a_draft(library, organisation, facilitator):
    workshop = draft_workshop(organisation, facilitator)
    with pytest.raises(LiveError):
        services.live_start(workshop=workshop)
    assert not LiveSession.objects.filter(workshop=workshop).exists()
    workshop.refresh_from_db()
    assert workshop.status == Workshop.Status.DRAFT


def test_a_closed_session_cannot_be_started_again(live, ready_workshop):
    services.live_close(live=live)
    with pytest.raises(LiveError):
        services.live_start(workshop=ready_workshop)


# --- codes -----------------------------------------------------------------------------------


def test_codes_are_read_case_insensitively_ignoring_dashes_and_spaces(live):
    code = live.join_code
    typed = f" {code[:4].lower()}-{code[4:6]} {code[6:].lower()} "
    assert services.normalise_code(typed) == code
    assert services.live_for_code(typed) == live
    assert services.live_for_code(live.display_code) == live


def test_a_wrong_or_short_code_finds_nothing(live):
    assert services.live_for_code("") is None
    assert services.live_for_code(live.join_code[:7]) is None
    other = "".join(c for c in JOIN_CODE_ALPHABET if c not in live.join_code)[:8]
    assert services.live_for_code(other) is None


def test_a_closed_session_code_finds_nothing(live):
    services.live_close(live=live)
    assert services.live_for_code(live.join_code) is None


# --- joining ---------------------------------------------------------------------------------


def test_join_creates_a_participant_with_the_name_as_plain_text(live, areas):
    name = "<script>alert(1)</script> Ana"
    participant = services.participant_join(live=live, name=name, area=areas["compras"])
    participant.refresh_from_db()
    assert participant.name == name
    assert participant.area == areas["compras"]
    assert participant.principles_answered is False


def test_join_is_refused_when_the_door_is_closed(live, areas):
    services.live_set_door(live=live, open=False)
    with pytest.raises(LiveError):
        services.participant_join(live=live, name="Tarde", area=areas["compras"])
    services.live_set_door(live=live, open=True)
    services.participant_join(live=live, name="A tiempo", area=areas["compras"])
    assert list(Participant.objects.filter(live=live).values_list("name", flat=True)) == [
        "A tiempo"
    ]


def test_join_is_refused_for_an_area_that_was_not_invited(live, organisation, outsider):
    uninvited = Area.objects.create(organisation=organisation, name="Finanzas", slug="finanzas")
    foreign = outsider.organisation.areas.first()
    for area in (uninvited, foreign):
        with pytest.raises(LiveError):
            services.participant_join(live=live, name="Intrusa", area=area)
    assert not Participant.objects.filter(live=live).exists()


def test_join_refuses_a_name_too_long_or_empty(live, areas):
    with pytest.raises(LiveError):
        services.participant_join(live=live, name="x" * 61, area=areas["ventas"])
    with pytest.raises(LiveError):
        services.participant_join(live=live, name=" \u200b\n ", area=areas["ventas"])
    services.participant_join(live=live, name="x" * 60, area=areas["ventas"])
    assert Participant.objects.filter(live=live).count() == 1


# --- timer -----------------------------------------------------------------------------------


def run_for(live, seconds: int) -> None:
    """Pretend the timer started `seconds` ago."""
    LiveSession.objects.filter(pk=live.pk).update(
        timer_running_since=timezone.now() - datetime.timedelta(seconds=seconds)
    )


def test_the_timer_counts_down_only_while_running(live):
    planned = live.current_block.minutes * 60
    assert fresh(live).timer_remaining_seconds() == planned
    services.timer_start(live=live)
    run_for(live, 30)
    running = fresh(live)
    assert running.timer_running_since is not None
    assert planned - 31 < running.timer_remaining_seconds() <= planned - 30

    services.timer_pause(live=live)
    paused = fresh(live)
    assert paused.timer_running_since is None
    assert 30 <= paused.timer_elapsed_seconds < 31
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert paused.timer_remaining_seconds(later) == paused.timer_remaining_seconds()

    # Starting again counts from what was left, not from the top.
    services.timer_start(live=live)
    run_for(live, 10)
    assert planned - 41 < fresh(live).timer_remaining_seconds() <= planned - 40


def test_start_and_pause_are_idempotent(live):
    services.timer_start(live=live)
    run_for(live, 20)
    since = fresh(live).timer_running_since
    services.timer_start(live=live)
    assert fresh(live).timer_running_since == since
    services.timer_pause(live=live)
    elapsed = fresh(live).timer_elapsed_seconds
    services.timer_pause(live=live)
    assert fresh(live).timer_elapsed_seconds == elapsed


def test_the_timer_can_be_adjusted_and_goes_overdue(live):
    planned = live.current_block.minutes * 60
    services.timer_adjust(live=live, minutes=5)
    assert fresh(live).timer_remaining_seconds() == planned + 300
    services.timer_adjust(live=live, minutes=-2)
    assert fresh(live).timer_remaining_seconds() == planned + 180
    for minutes in (0, 61, -61):
        with pytest.raises(LiveError):
            services.timer_adjust(live=live, minutes=minutes)
    assert fresh(live).timer_adjust_seconds == 180
    services.timer_start(live=live)
    run_for(live, planned + 240)
    assert fresh(live).timer_remaining_seconds() < 0


def test_going_to_a_block_resets_timer_voting_and_principle(live, library):
    goto(live, "unsaid")
    services.timer_adjust(live=live, minutes=3)
    services.timer_start(live=live)
    run_for(live, 50)
    services.voting_set_open(live=live, open=True)
    services.principle_push(live=live, principle=Principle.objects.first())
    services.results_reveal(live=live)

    dream = block_of(live, "dream")
    services.live_goto_block(live=live, block=dream)
    moved = fresh(live)
    assert moved.current_block == dream
    assert moved.timer_running_since is None
    assert moved.timer_elapsed_seconds == 0
    assert moved.timer_adjust_seconds == 0
    assert moved.timer_remaining_seconds() == dream.minutes * 60
    assert not moved.voting_open
    assert not moved.results_revealed
    assert moved.pushed_principle is None
    assert moved.contributions_open == dream.allows_contributions


def test_a_block_of_another_session_is_refused(live, organisation, facilitator):
    other = draft_workshop(organisation, facilitator, title="Otra")
    with pytest.raises(LiveError):
        services.live_goto_block(live=live, block=other.blocks.first())
    assert fresh(live).current_block == live.current_block


def test_step_moves_and_refuses_past_either_end(live):
    blocks = list(live.workshop.blocks.order_by("position", "id"))
    with pytest.raises(LiveError):
        services.live_step(live=live, delta=-1)
    services.live_step(live=live, delta=1)
    assert fresh(live).current_block == blocks[1]
    services.live_goto_block(live=live, block=blocks[-1])
    with pytest.raises(LiveError):
        services.live_step(live=fresh(live), delta=1)


# --- contributions ---------------------------------------------------------------------------


def test_contributions_are_refused_when_closed(live, people):
    block = block_of(live, "area_round")
    # The opening takes no contributions, and area_round is not reached yet.
    with pytest.raises(LiveError):
        services.contribution_submit(
            participant=people["ventas"], key="k1", text="Hola", block_id=block.pk
        )
    goto(live, "area_round")
    services.contributions_set_open(live=live, open=False)
    with pytest.raises(LiveError):
        services.contribution_submit(
            participant=people["ventas"], key="k1", text="Hola", block_id=block.pk
        )
    assert not Contribution.objects.exists()
    services.contributions_set_open(live=live, open=True)
    _, created = services.contribution_submit(
        participant=people["ventas"], key="k1", text="Hola", block_id=block.pk
    )
    assert created


def test_contributions_cannot_open_on_a_block_that_takes_none(live):
    with pytest.raises(LiveError):
        services.contributions_set_open(live=live, open=True)
    assert not fresh(live).contributions_open


def test_the_same_key_stores_one_contribution(live, people):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    first, created = services.contribution_submit(
        participant=people["ventas"], key="nonce.1", text="Uno", block_id=block.pk
    )
    again, created_again = services.contribution_submit(
        participant=people["ventas"], key="nonce.1", text="Uno", block_id=block.pk
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert Contribution.objects.count() == 1
    assert first.key_digest != "nonce.1"


def test_a_resend_after_the_block_moved_on_is_still_acknowledged(live, people):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    first, _ = services.contribution_submit(
        participant=people["ventas"], key="nonce.1", text="Uno", block_id=block.pk
    )
    goto(live, "cafe_round")
    again, created = services.contribution_submit(
        participant=people["ventas"], key="nonce.1", text="Uno", block_id=block.pk
    )
    assert (again.pk, created) == (first.pk, False)


def test_contributions_per_minute_are_limited(live, people, monkeypatch):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    # A fixed clock: the limit counts per calendar minute.
    now = timezone.now().replace(second=10)
    monkeypatch.setattr(services.timezone, "now", lambda: now)
    for n in range(services.CONTRIBUTIONS_PER_MINUTE):
        services.contribution_submit(
            participant=people["ventas"], key=f"k{n}", text=f"Aporte {n}", block_id=block.pk
        )
    with pytest.raises(LiveError):
        services.contribution_submit(
            participant=people["ventas"], key="k-extra", text="Uno más", block_id=block.pk
        )
    # Someone else is not slowed down by it.
    services.contribution_submit(
        participant=people["compras"], key="k-other", text="Otro", block_id=block.pk
    )
    assert Contribution.objects.count() == services.CONTRIBUTIONS_PER_MINUTE + 1


def test_contributions_refuse_oversized_and_empty_text(live, people):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    for text in ("x" * (services.MAX_CONTRIBUTION_CHARS + 1), "   "):
        with pytest.raises(LiveError):
            services.contribution_submit(
                participant=people["ventas"], key="k", text=text, block_id=block.pk
            )
    assert not Contribution.objects.exists()


def test_an_anonymous_block_stores_no_participant_and_no_area(live, people):
    goto(live, "unsaid")
    block = block_of(live, "unsaid")
    assert block.anonymous
    contribution, _ = services.contribution_submit(
        participant=people["logistica"], key="anon.1", text="Nadie escucha", block_id=block.pk
    )
    contribution.refresh_from_db()
    assert contribution.anonymous
    assert contribution.participant_id is None
    assert contribution.area_id is None
    assert contribution.key_digest != "anon.1"
    assert "anon.1" not in contribution.key_digest


def cache_entries() -> dict[str, float | None]:
    """What someone reading the cache's store sees: each key as the app named it, with the
    moment it expires (epoch seconds). The local-memory cache in embedded mode, Redis in
    scaled mode."""
    store = caches["default"]
    prefix = store.make_key("")
    if isinstance(store, RedisCache):
        client = store._cache.get_client()
        entries = {}
        for raw in client.scan_iter(match=f"{prefix}*"):
            remaining_ms = client.pttl(raw)
            expires = time.time() + remaining_ms / 1000 if remaining_ms >= 0 else None
            entries[raw.decode().removeprefix(prefix)] = expires
        return entries
    return {key.removeprefix(prefix): store._expire_info.get(key) for key in store._cache}


def cache_values() -> dict[str, object]:
    return {key: cache.get(key) for key in cache_entries()}


def test_the_rate_limit_keeps_no_key_that_names_an_anonymous_author_or_its_minute(
    live, people, monkeypatch
):
    goto(live, "unsaid")
    author = people["logistica"]
    now = timezone.now()
    monkeypatch.setattr(services.timezone, "now", lambda: now)
    before = cache_values()
    services.contribution_submit(
        participant=author, key="anon.1", text="Nadie escucha", block_id=block_of(live, "unsaid").pk
    )
    written = {key for key, value in cache_values().items() if before.get(key) != value}
    assert written  # the limit did count it
    for key in written:
        assert str(author.pk) not in key.split(":"), key
        assert author.name not in key, key
        for shown in (f"{now:%Y%m%d%H%M}", f"{now:%H%M}", str(int(now.timestamp() // 60))):
            assert shown not in key, key


def test_a_phone_s_signed_and_anonymous_writes_are_counted_under_unrelated_keys(
    live, people, monkeypatch
):
    """A shared counter would be named by its signed row's time, and then name the author of
    the anonymous row written in the same minute."""
    author = people["ventas"]
    now = timezone.now().replace(second=5)
    monkeypatch.setattr(services.timezone, "now", lambda: now)
    goto(live, "area_round")
    services.contribution_submit(
        participant=author, key="k.1", text="Con nombre", block_id=block_of(live, "area_round").pk
    )
    after_signed = cache_values()
    goto(live, "unsaid")
    services.contribution_submit(
        participant=author, key="k.2", text="Sin nombre", block_id=block_of(live, "unsaid").pk
    )
    after_anonymous = cache_values()
    touched = {k for k, v in after_anonymous.items() if after_signed.get(k) != v}
    assert touched
    assert not touched & set(after_signed)


def test_a_rate_key_expires_with_its_minute_not_with_the_write(live, people):
    """Every key of a window expires at the window's boundary, so no TTL tells when within
    its minute a phone wrote (Redis keeps whole seconds, hence the one-second tolerance)."""
    window = services.RATE_WINDOW_SECONDS
    goto(live, "unsaid")
    # Write at least two seconds from a boundary, where a TTL counted from the write could
    # pass for the boundary.
    offset = time.time() % window
    if not 2 <= offset < window - 2:
        time.sleep((2.5 - offset) % window)
    before = set(cache_entries())
    services.contribution_submit(
        participant=people["compras"],
        key="a.1",
        text="Sin nombre",
        block_id=block_of(live, "unsaid").pk,
    )
    new = {key: expires for key, expires in cache_entries().items() if key not in before}
    assert new
    for key, expires in new.items():
        assert expires is not None, key
        offset = expires % window
        assert min(offset, window - offset) <= 1.1, (key, offset)


def test_a_signed_block_stores_author_and_area(live, people):
    goto(live, "area_round")
    contribution, _ = services.contribution_submit(
        participant=people["ventas"],
        key="k",
        text="Con nombre",
        block_id=block_of(live, "area_round").pk,
    )
    assert contribution.participant == people["ventas"]
    assert contribution.area == people["ventas"].area
    assert not contribution.anonymous


def test_a_simultaneous_duplicate_key_returns_the_original(live, people, monkeypatch):
    """The race: the other request stored the key between our look-up and our insert."""
    goto(live, "area_round")
    block = block_of(live, "area_round")
    original, _ = services.contribution_submit(
        participant=people["ventas"], key="race", text="Primero", block_id=block.pk
    )
    real_filter = Contribution.objects.filter
    missed = []

    def look_up_misses_once(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        if "key_digest" in kwargs and not missed:
            missed.append(True)
            return queryset.none()
        return queryset

    monkeypatch.setattr(Contribution.objects, "filter", look_up_misses_once)
    again, created = services.contribution_submit(
        participant=people["ventas"], key="race", text="Primero", block_id=block.pk
    )
    assert missed
    assert (again.pk, created) == (original.pk, False)
    assert Contribution.objects.count() == 1


# --- dots ------------------------------------------------------------------------------------


@pytest.fixture
def wall(live, people):
    """The unsaid block with three contributions, current, voting closed."""
    goto(live, "unsaid")
    block = block_of(live, "unsaid")
    items = [
        services.contribution_submit(
            participant=person, key=f"w{n}", text=f"Idea {n}", block_id=block.pk
        )[0]
        for n, person in enumerate(people.values())
    ]
    # The unsaid block reveals first: the facilitator shows the cards before the vote.
    services.contributions_reveal(live=live, block=block)
    return block, items


def test_dots_are_refused_while_voting_is_closed(live, people, wall):
    _, items = wall
    with pytest.raises(LiveError):
        services.dot_place(participant=people["ventas"], key="d1", contribution_id=items[0].pk)
    assert not Dot.objects.exists()


def test_voting_cannot_open_on_a_block_without_dots(live):
    with pytest.raises(LiveError):
        services.voting_set_open(live=live, open=True)
    assert not fresh(live).voting_open


def test_dots_per_block_are_limited_and_can_be_moved(live, people, wall):
    block, items = wall
    services.voting_set_open(live=live, open=True)
    voter = people["ventas"]
    for n in range(block.dots):
        services.dot_place(participant=voter, key=f"d{n}", contribution_id=items[0].pk)
    with pytest.raises(LiveError):
        services.dot_place(participant=voter, key="d-extra", contribution_id=items[1].pk)
    assert Dot.objects.filter(participant=voter).count() == block.dots

    assert services.dot_remove(participant=voter, contribution_id=items[0].pk)
    assert Dot.objects.filter(participant=voter).count() == block.dots - 1
    services.dot_place(participant=voter, key="d-moved", contribution_id=items[1].pk)
    assert Dot.objects.filter(participant=voter, contribution=items[1]).count() == 1
    # Removing a dot that is not there changes nothing.
    assert not services.dot_remove(participant=voter, contribution_id=items[2].pk)


def test_a_hidden_contribution_cannot_get_dots(live, people, wall, facilitator):
    _, items = wall
    services.contribution_hide(
        live=live, contribution=items[0], reason="Ofensivo", actor=facilitator.user
    )
    services.voting_set_open(live=live, open=True)
    with pytest.raises(LiveError):
        services.dot_place(participant=people["ventas"], key="d", contribution_id=items[0].pk)
    assert not Dot.objects.exists()


def test_a_contribution_of_another_block_cannot_get_dots(live, people):
    goto(live, "area_round")
    old, _ = services.contribution_submit(
        participant=people["ventas"],
        key="a",
        text="Antes",
        block_id=block_of(live, "area_round").pk,
    )
    goto(live, "unsaid")
    services.voting_set_open(live=live, open=True)
    with pytest.raises(LiveError):
        services.dot_place(participant=people["ventas"], key="d", contribution_id=old.pk)


def test_the_same_dot_key_places_one_dot(live, people, wall):
    _, items = wall
    services.voting_set_open(live=live, open=True)
    first, created = services.dot_place(
        participant=people["ventas"], key="tap", contribution_id=items[0].pk
    )
    again, created_again = services.dot_place(
        participant=people["ventas"], key="tap", contribution_id=items[0].pk
    )
    assert created and not created_again and first.pk == again.pk
    assert Dot.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_double_tap_places_one_dot(live, people, wall):
    _, items = wall
    services.voting_set_open(live=live, open=True)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def tap() -> None:
        try:
            barrier.wait(timeout=5)
            results.append(
                services.dot_place(
                    participant=people["ventas"], key="double", contribution_id=items[0].pk
                )
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 2
    assert Dot.objects.count() == 1
    assert {dot.pk for dot, _ in results} == {Dot.objects.get().pk}
    assert sorted(created for _, created in results) == [False, True]


# --- emotions --------------------------------------------------------------------------------


def test_a_second_emotion_replaces_the_first(live, people):
    person = people["compras"]
    services.emotion_submit(participant=person, moment="checkin", emotion="calma", intensity=2)
    services.emotion_submit(participant=person, moment="checkin", emotion="enojo", intensity=5)
    services.emotion_submit(participant=person, moment="checkout", emotion="alegria", intensity=4)
    checks = {c.moment: c for c in EmotionCheck.objects.filter(participant=person)}
    assert len(checks) == 2
    assert (checks["checkin"].emotion, checks["checkin"].intensity) == ("enojo", 5)
    assert checks["checkin"].area == person.area


@pytest.mark.parametrize(
    ("moment", "emotion", "intensity"),
    [
        ("checkin", "felicidad-extrema", 3),
        ("checkin", "", 3),
        ("checkin", "calma", 0),
        ("checkin", "calma", 6),
        ("durante", "calma", 3),
    ],
)
def test_bad_emotions_are_refused(live, people, moment, emotion, intensity):
    with pytest.raises(LiveError):
        services.emotion_submit(
            participant=people["compras"], moment=moment, emotion=emotion, intensity=intensity
        )
    assert not EmotionCheck.objects.exists()


# --- mixed tables ----------------------------------------------------------------------------


@pytest.fixture
def room_of_twelve(live, areas):
    """Four people present from each of the three areas."""
    return [
        services.participant_join(live=live, name=f"{slug}-{n}", area=area)
        for slug, area in areas.items()
        for n in range(4)
    ]


def pairs(tables: list[list[int]]) -> set[frozenset[int]]:
    return {frozenset(pair) for table in tables for pair in combinations(table, 2)}


def test_tables_mix_the_areas_evenly(live, room_of_twelve):
    area_of = {p.pk: p.area_id for p in room_of_twelve}
    tables = services.tables_assign(live=live, size=3)
    assert len(tables) == 4
    assert sorted(pid for table in tables for pid in table) == sorted(area_of)
    for table in tables:
        assert len(table) == 3
        assert len({area_of[pid] for pid in table}) == 3
    # Each phone knows its table, and the round is recorded.
    for number, table in enumerate(tables, start=1):
        assert set(
            Participant.objects.filter(table_number=number).values_list("pk", flat=True)
        ) == set(table)
    assert TableSeat.objects.filter(live=live, round=1).count() == 12
    assert fresh(live).table_round == 1


def test_tables_mix_uneven_areas_as_evenly_as_the_room_allows(live, areas):
    people = [
        services.participant_join(live=live, name=f"c{n}", area=areas["compras"]) for n in range(5)
    ]
    people += [services.participant_join(live=live, name="v", area=areas["ventas"])]
    area_of = {p.pk: p.area_id for p in people}
    tables = services.tables_assign(live=live, size=3)
    assert len(tables) == 2
    # Ventas' one person is alone with Compras at one table; no table is missing a second
    # area where one could have been given, and sizes differ by at most one.
    assert sorted(len(t) for t in tables) == [3, 3]
    assert sum(len({area_of[p] for p in t}) for t in tables) == 3


def test_a_second_round_repeats_fewer_pairs_than_chance(live, room_of_twelve):
    first = pairs(services.tables_assign(live=live, size=3))
    second = pairs(services.tables_assign(live=live, size=3))
    repeated = first & second
    assert len(first) == 12
    # By chance about a quarter of the first round's pairs would meet again.
    assert len(repeated) < len(first)
    assert len(repeated) <= 3
    assert fresh(live).table_round == 2
    assert TableSeat.objects.filter(live=live, round=2).count() == 12


def test_someone_absent_from_a_new_round_is_not_left_at_an_old_table(live, room_of_twelve):
    services.tables_assign(live=live, size=3)
    gone = room_of_twelve[0]
    Participant.objects.filter(pk=gone.pk).update(
        last_seen_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    second = services.tables_assign(live=live, size=3)
    assert gone.pk not in {pid for table in second for pid in table}
    assert Participant.objects.get(pk=gone.pk).table_number is None
    seated = Participant.objects.filter(live=live, table_number__isnull=False).count()
    assert seated == 11


def test_tables_need_two_present_people(live, areas):
    services.participant_join(live=live, name="Sola", area=areas["compras"])
    gone = services.participant_join(live=live, name="Se fue", area=areas["ventas"])
    Participant.objects.filter(pk=gone.pk).update(
        last_seen_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    with pytest.raises(LiveError):
        services.tables_assign(live=live, size=2)
    assert not TableSeat.objects.exists()
    assert fresh(live).table_round == 0


@pytest.mark.parametrize("size", [1, 13, 0, -3])
def test_table_size_must_be_between_two_and_twelve(live, room_of_twelve, size):
    with pytest.raises(LiveError):
        services.tables_assign(live=live, size=size)
    assert not TableSeat.objects.exists()


# --- moderation ------------------------------------------------------------------------------


def test_hiding_needs_a_reason_and_logs_no_author(live, people, facilitator):
    goto(live, "area_round")
    contribution, _ = services.contribution_submit(
        participant=people["ventas"],
        key="k",
        text="Algo feo",
        block_id=block_of(live, "area_round").pk,
    )
    for reason in ("", "   "):
        with pytest.raises(LiveError):
            services.contribution_hide(
                live=live, contribution=contribution, reason=reason, actor=facilitator.user
            )
    contribution.refresh_from_db()
    assert not contribution.hidden
    assert not ModerationLog.objects.exists()

    services.contribution_hide(
        live=live, contribution=contribution, reason="Irrespetuoso", actor=facilitator.user
    )
    contribution.refresh_from_db()
    assert contribution.hidden and contribution.hidden_reason == "Irrespetuoso"
    log = ModerationLog.objects.get()
    assert (log.action, log.reason, log.actor) == ("hide", "Irrespetuoso", facilitator.user)
    values = " ".join(str(v) for v in ModerationLog.objects.values().get().values())
    assert people["ventas"].name not in values
    assert "Algo feo" not in values


def participant_actions(live, person, item_id, block_id):
    return {
        "contribute": lambda: services.contribution_submit(
            participant=person, key="after", text="Hola", block_id=block_id
        ),
        "dot": lambda: services.dot_place(participant=person, key="dot", contribution_id=item_id),
        "undot": lambda: services.dot_remove(participant=person, contribution_id=item_id),
        "emotion": lambda: services.emotion_submit(
            participant=person, moment="checkin", emotion="calma", intensity=3
        ),
    }


def test_a_removed_participant_can_do_nothing_more(live, people, wall, facilitator):
    block, items = wall
    services.voting_set_open(live=live, open=True)
    person = people["logistica"]
    services.participant_remove(live=live, participant=person, actor=facilitator.user)
    assert Participant.objects.get(pk=person.pk).removed_at is not None
    for name, action in participant_actions(live, person, items[0].pk, block.pk).items():
        with pytest.raises(LiveError) as refused:
            action()
        assert refused.value.code == "removed", name
    assert not Dot.objects.exists()
    assert not EmotionCheck.objects.exists()
    assert Contribution.objects.count() == 3
    assert ModerationLog.objects.get().action == "remove"


def test_closing_ends_the_session_for_everyone(live, people, wall, ready_workshop):
    block, items = wall
    services.voting_set_open(live=live, open=True)
    services.timer_start(live=live)
    services.live_close(live=live)
    closed = fresh(live)
    assert closed.closed_at is not None
    assert not closed.voting_open and not closed.contributions_open
    assert closed.timer_running_since is None
    ready_workshop.refresh_from_db()
    assert ready_workshop.status == Workshop.Status.CLOSED

    person = people["ventas"]
    for name, action in participant_actions(live, person, items[0].pk, block.pk).items():
        with pytest.raises(LiveError) as refused:
            action()
        assert refused.value.code == "ended", name
    for action in (
        lambda: services.timer_start(live=live),
        lambda: services.live_set_door(live=live, open=False),
        lambda: services.participant_join(live=live, name="Tarde", area=person.area),
        lambda: services.live_close(live=live),
    ):
        with pytest.raises(LiveError):
            action()
    assert Dot.objects.count() == 0


# --- commit, then broadcast ------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(broadcast, "live_changed", lambda *a, **_: calls.append(("live", *a)))
    monkeypatch.setattr(
        broadcast, "participants_changed", lambda *a: calls.append(("personal", *a))
    )
    monkeypatch.setattr(broadcast, "participant_removed", lambda *a: calls.append(("removed", *a)))
    monkeypatch.setattr(broadcast, "live_closed", lambda *a: calls.append(("closed", *a)))
    return calls


def test_broadcasts_wait_for_the_commit(live, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.timer_start(live=live)
        assert sent == []
    assert sent == []
    assert len(callbacks) == 1
    for callback in callbacks:
        callback()
    assert sent == [("live", live.pk, broadcast.AUDIENCES)]


def test_a_refused_action_broadcasts_nothing(live, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(LiveError):
            services.voting_set_open(live=live, open=True)
    assert callbacks == []
    assert sent == []


def test_every_participant_action_broadcasts_after_commit(
    live, people, wall, sent, django_capture_on_commit_callbacks
):
    block, items = wall
    services.voting_set_open(live=live, open=True)
    sent.clear()
    person = people["ventas"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.contribution_submit(participant=person, key="x", text="Más", block_id=block.pk)
        services.dot_place(participant=person, key="d", contribution_id=items[0].pk)
        services.emotion_submit(participant=person, moment="checkin", emotion="calma", intensity=3)
        assert sent == []
    assert len(callbacks) == 5
    for callback in callbacks:
        callback()
    # A contribution shows on the phones' wall; a vote before the reveal and an emotion
    # show on the staff's screens only.
    assert [c for c in sent if c[0] == "live"] == [
        ("live", live.pk, broadcast.AUDIENCES),
        ("live", live.pk, broadcast.STAFF_AUDIENCES),
        ("live", live.pk, broadcast.STAFF_AUDIENCES),
    ]
    assert sent.count(("personal", live.pk, [person.pk])) == 2


def test_removal_and_closing_tell_the_phones_after_commit(
    live, people, facilitator, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.participant_remove(live=live, participant=people["ventas"], actor=facilitator.user)
        services.live_close(live=live)
        assert sent == []
    for callback in callbacks:
        callback()
    assert ("removed", live.pk, people["ventas"].pk) in sent
    assert ("closed", live.pk) in sent


def test_every_change_bumps_the_sequence(live, people):
    before = fresh(live).seq
    services.timer_start(live=live)
    services.live_set_door(live=live, open=False)
    assert fresh(live).seq == before + 2


def test_changes_the_phones_do_not_show_leave_their_number_alone(live, people, areas):
    """A join, a commitment, an emotion or a vote before the reveal shows only on the staff's
    screens: the phones' number stays, so 500 phones are neither re-rendered nor sent a frame
    (and their heartbeat does not ask for a snapshot)."""
    goto(live, "area_round")
    phones_before = fresh(live).participants_seq
    joined = services.participant_join(live=live, name="Dora", area=areas["ventas"])
    services.participant_commit(participant=joined)
    assert fresh(live).seq > phones_before
    assert fresh(live).participants_seq == phones_before
    assert broadcast.current_seq(live.pk, "participants") == phones_before
    assert broadcast.current_seq(live.pk, "facilitator") == fresh(live).seq
    services.timer_adjust(live=live, minutes=1)  # the phones show the timer
    assert fresh(live).participants_seq == fresh(live).seq


def test_a_staff_only_change_is_broadcast_to_the_staff_only(
    live, areas, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_join(live=live, name="Eva", area=areas["compras"])
    assert sent == [("live", live.pk, broadcast.STAFF_AUDIENCES)]


@pytest.mark.django_db(transaction=True)
def test_a_vote_is_six_statements(live, people, wall, monkeypatch):
    """The vote path of a 500-phone burst: lock and read the participant with its session in
    one statement, the key, the contribution, the dots used, the insert, the sequence (it was
    nine and two savepoint statements). The broadcasts after commit are not counted here."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, items = wall
    services.voting_set_open(live=live, open=True)
    monkeypatch.setattr(broadcast, "live_changed", lambda *args, **_: None)
    monkeypatch.setattr(broadcast, "participants_changed", lambda *args: None)
    with CaptureQueriesContext(connection) as queries:
        services.dot_place(participant=people["ventas"], key="count", contribution_id=items[0].pk)
    statements = [
        q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("BEGIN", "COMMIT"))
    ]
    assert len(statements) == 6, statements


def test_a_voters_own_frame_is_four_statements(live, people, wall):
    """After each vote the voter's #me is rendered: the participant with its session and
    current block, its dots, its consents, the agreements it owns (it was six, with an
    emotion query the fragment never showed and the participant read twice)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, items = wall
    services.voting_set_open(live=live, open=True)
    voter = people["ventas"]
    services.dot_place(participant=voter, key="mine", contribution_id=items[0].pk)
    with CaptureQueriesContext(connection) as queries:
        messages = broadcast.personal_messages({voter.pk: (live.pk, "es")})
    assert len(queries.captured_queries) == 4
    ((group, message),) = messages
    assert group == broadcast.participant_group(voter.pk)
    assert f'data-my-dots="c{items[0].pk}:1"' in json.loads(message["text"])["html"]
