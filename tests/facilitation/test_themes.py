"""Themes: cards grouped before the vote (services, what each screen shows, refusals,
concurrency) and Puente's suggestions, accepted as offered, edited or rejected."""

import threading

import pytest
from django.db import connections

from facilitation import services, themes
from facilitation.models import Contribution, Dot, Theme, ThemeSuggestion
from facilitation.selectors import live_state, participant_me
from facilitation.services import LiveError
from tests.facilitation.conftest import goto

pytestmark = pytest.mark.django_db

TEXTS = [
    "Ventas promete fechas de entrega imposibles para logística",
    "Prometemos al cliente fechas de entrega que no se pueden cumplir",
    "Compras no avisa cuando un proveedor se retrasa",
    "Nadie nos avisa de los retrasos de los proveedores",
    "Me siento escuchado cuando me preguntan antes de decidir",
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def block_of(live, slug):
    return live.workshop.blocks.filter(kind__slug=slug).first()


@pytest.fixture
def cards(live, people):
    """The anonymous «lo no dicho» block, current, with five cards from three areas."""
    goto(live, "unsaid")
    block = block_of(live, "unsaid")
    assert block.anonymous and block.dots > 0
    services.contributions_set_open(live=live, open=True)
    writers = list(people.values())
    made = [
        services.contribution_submit(
            participant=writers[n % 3], key=f"k{n}", text=text, block_id=block.pk
        )[0]
        for n, text in enumerate(TEXTS)
    ]
    services.contributions_set_open(live=live, open=False)
    services.contributions_reveal(live=live, block=block)
    return block, made


def fresh(obj):
    obj.refresh_from_db()
    return obj


def test_a_theme_groups_cards_and_every_screen_shows_it_folded(live, cards, people):
    block, items = cards
    theme = themes.theme_create(
        live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="  Fechas   imposibles "
    )
    assert theme.name == "Fechas imposibles"
    assert {c.pk for c in theme.cards.all()} == {items[0].pk, items[1].pk}
    for audience in ("participants", "projector", "facilitator"):
        state = live_state(live, audience=audience)
        assert [e.is_theme for e in state.entries] == [True, False, False, False]
        assert [c.pk for c in state.entries[0].cards] == [items[0].pk, items[1].pk]
    # The phones' page: the theme's name and count, its cards inside a fold; nothing about
    # which areas wrote them (an anonymous block's cards have none stored).
    from facilitation.broadcast import render_audience

    phone = render_audience(live, "participants")
    assert "Fechas imposibles" in phone and "2 aportes" in phone and "theme-fold" in phone
    screen = render_audience(live, "projector")
    assert "Fechas imposibles" in screen and "2 aportes" in screen


def test_a_theme_itself_never_says_which_areas_wrote_its_cards(live, people):
    """Even in a block with names, a theme's own line is its name and count: the areas are
    only on the named cards inside, as on the rest of that wall."""
    import re

    from facilitation.broadcast import render_audience

    goto(live, "area_round")
    block = block_of(live, "area_round")
    assert not block.anonymous
    services.contributions_set_open(live=live, open=True)
    made = [
        services.contribution_submit(
            participant=person, key=f"n{n}", text=f"Idea {n}", block_id=block.pk
        )[0]
        for n, person in enumerate(people.values())
    ]
    themes.theme_create(live=live, block=block, card_ids=[c.pk for c in made], name="Juntas")
    for audience in ("participants", "projector", "facilitator"):
        html = render_audience(live, audience)
        heads = re.findall(
            r"theme-fold\".*?<summary>.*?</summary>|screen-theme-name\">.*?</p>", html, re.S
        )
        assert heads, audience
        for head in heads:
            assert "Juntas" in head
            for area in ("Compras", "Ventas", "Logística"):
                assert area not in head, (audience, head)


def test_refusals_change_nothing(live, cards, people, facilitator):
    block, items = cards
    with pytest.raises(LiveError, match="al menos dos"):
        themes.theme_create(live=live, block=block, card_ids=[items[0].pk], name="Uno")
    with pytest.raises(LiveError, match="nombre"):
        themes.theme_create(live=live, block=block, card_ids=[items[0].pk, items[1].pk], name=" ")
    with pytest.raises(LiveError, match="demasiado largo"):
        themes.theme_create(
            live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="x" * 121
        )
    # A card of another block of the same session.
    goto(live, "area_round")
    other_block = block_of(live, "area_round")
    services.contributions_set_open(live=live, open=True)
    elsewhere, _ = services.contribution_submit(
        participant=people["ventas"], key="o", text="Otro muro", block_id=other_block.pk
    )
    with pytest.raises(LiveError, match="no es de este muro"):
        themes.theme_create(live=live, block=block, card_ids=[items[0].pk, elsewhere.pk], name="X")
    # A hidden card.
    services.contribution_hide(
        live=live, contribution=items[4], reason="Ofende o descalifica", actor=facilitator.user
    )
    with pytest.raises(LiveError, match="está oculto"):
        themes.theme_create(live=live, block=block, card_ids=[items[0].pk, items[4].pk], name="X")
    # A card already in a theme cannot go into a second one.
    themes.theme_create(live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="A")
    with pytest.raises(LiveError, match="ya está en el tema «A»"):
        themes.theme_create(live=live, block=block, card_ids=[items[1].pk, items[2].pk], name="B")
    assert Theme.objects.count() == 1
    assert fresh(items[2]).theme_id is None


def test_grouping_is_refused_while_the_block_is_voting(live, cards):
    block, items = cards
    services.voting_set_open(live=live, open=True)
    with pytest.raises(LiveError, match="Cierra la votación"):
        themes.theme_create(live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="A")
    with pytest.raises(LiveError, match="Cierra la votación"):
        themes.themes_suggest(live=live, block=block)
    assert not Theme.objects.exists()


def test_add_move_take_out_rename_and_dissolve(live, cards):
    block, items = cards
    a = themes.theme_create(live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="A")
    b = themes.theme_create(live=live, block=block, card_ids=[items[2].pk, items[3].pk], name="B")
    themes.theme_add(live=live, theme=a, card_ids=[items[4].pk])
    assert fresh(items[4]).theme_id == a.pk
    # Adding a card of another theme needs a move; then it leaves the other theme.
    with pytest.raises(LiveError, match="ya está en el tema"):
        themes.theme_add(live=live, theme=a, card_ids=[items[2].pk])
    themes.theme_add(live=live, theme=a, card_ids=[items[2].pk], move=True)
    assert fresh(items[2]).theme_id == a.pk
    # Dropping the last card of B on a loose card... B keeps one card first:
    themes.card_ungroup(live=live, card=items[3])
    assert not Theme.objects.filter(pk=b.pk).exists()  # left with no card: gone
    themes.theme_rename(live=live, theme=a, name="Fechas y avisos")
    assert fresh(a).name == "Fechas y avisos"
    themes.theme_dissolve(live=live, theme=a)
    assert not Theme.objects.exists()
    assert not Contribution.objects.filter(theme__isnull=False).exists()


def test_a_card_dropped_on_another_makes_a_theme_or_joins_its_theme(live, cards):
    block, items = cards
    theme = themes.cards_merge(live=live, card=items[1], onto=items[0])
    assert theme.name == TEXTS[0]  # named after the card it was dropped on
    assert {c.pk for c in theme.cards.all()} == {items[0].pk, items[1].pk}
    same = themes.cards_merge(live=live, card=items[2], onto=items[0])
    assert same.pk == theme.pk and fresh(items[2]).theme_id == theme.pk
    with pytest.raises(LiveError):
        themes.cards_merge(live=live, card=items[3], onto=items[3])


def test_dots_go_to_themes_and_loose_cards_and_add_up(live, cards, people):
    block, items = cards
    theme = themes.theme_create(
        live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="Fechas"
    )
    services.voting_set_open(live=live, open=True)
    voter = people["ventas"]
    services.dot_place(participant=voter, key="d1", theme_id=theme.pk)
    services.dot_place(participant=voter, key="d2", theme_id=theme.pk)
    services.dot_place(participant=voter, key="d3", contribution_id=items[2].pk)
    with pytest.raises(LiveError, match="dentro de un tema"):
        services.dot_place(participant=people["compras"], key="x", contribution_id=items[0].pk)
    me = participant_me(voter)
    assert me.my_dots_attr == f"c{items[2].pk}:1,t{theme.pk}:2"
    assert services.dot_remove(participant=voter, theme_id=theme.pk)
    assert Dot.objects.filter(theme=theme).count() == 1
    # A theme with dots cannot be dissolved (the votes would be lost)...
    services.voting_set_open(live=live, open=False)
    with pytest.raises(LiveError, match="ya recibió puntos"):
        themes.theme_dissolve(live=live, theme=theme)
    # ... and the reveal ranks themes and cards together.
    services.results_reveal(live=live)
    state = live_state(live, audience="participants")
    assert [(e.target, e.votes) for e in state.entries[:2]] == [
        (f"t{theme.pk}", 1),
        (f"c{items[2].pk}", 1),
    ]


def test_dots_a_card_had_before_it_was_grouped_count_for_its_theme(live, cards, people):
    block, items = cards
    services.voting_set_open(live=live, open=True)
    services.dot_place(participant=people["ventas"], key="d1", contribution_id=items[0].pk)
    services.voting_set_open(live=live, open=False)
    theme = themes.theme_create(
        live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="Fechas"
    )
    services.voting_set_open(live=live, open=True)
    services.dot_place(participant=people["compras"], key="d2", theme_id=theme.pk)
    state = live_state(live, audience="facilitator")
    assert state.entries[0].votes == 2


def test_a_theme_of_another_block_or_session_gets_no_dot(live, cards, people, ready_workshop):
    block, items = cards
    theme = themes.theme_create(
        live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="A"
    )
    # Voting open on another block of the session: this block's theme is not in it.
    dream = block_of(live, "dream")
    assert dream.dots > 0
    goto(live, "dream")
    services.voting_set_open(live=live, open=True)
    with pytest.raises(LiveError, match="Ese tema no está en la votación"):
        services.dot_place(participant=people["ventas"], key="d", theme_id=theme.pk)
    # A theme of another session.
    from workshops.services import workshop_create, workshop_set_status

    other_workshop = workshop_create(
        organisation=ready_workshop.organisation,
        facilitator=ready_workshop.facilitator,
        title="Otra",
        purpose="Otra",
        date=ready_workshop.date,
        start_time=ready_workshop.start_time,
        invited={a: 2 for a in ready_workshop.organisation.areas.all()},
        template="tres-horas",
    )
    other = services.live_start(
        workshop=workshop_set_status(workshop=other_workshop, status=other_workshop.Status.READY)
    )
    other_block = other.workshop.blocks.get(kind__slug="dream")
    foreign = Theme.objects.create(live=other, block=other_block, name="Ajeno")
    with pytest.raises(LiveError, match="Ese tema no está en la votación"):
        services.dot_place(participant=people["ventas"], key="d2", theme_id=foreign.pk)
    assert not Dot.objects.exists()


def test_a_theme_keeps_its_dots_when_its_last_card_leaves(live, cards, people):
    block, items = cards
    theme = themes.theme_create(
        live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="Fechas"
    )
    services.voting_set_open(live=live, open=True)
    services.dot_place(participant=people["ventas"], key="d1", theme_id=theme.pk)
    services.voting_set_open(live=live, open=False)
    themes.card_ungroup(live=live, card=items[0])
    themes.card_ungroup(live=live, card=items[1])
    assert Theme.objects.filter(pk=theme.pk).exists()
    for audience in ("participants", "facilitator"):
        entries = live_state(live, audience=audience).entries
        assert f"t{theme.pk}" in [e.target for e in entries]
    # Its voter can still take the dot back.
    services.voting_set_open(live=live, open=True)
    assert services.dot_remove(participant=people["ventas"], theme_id=theme.pk)


def test_a_dot_given_before_grouping_can_be_taken_back_from_inside_the_theme(live, cards, people):
    from facilitation.broadcast import render_audience, render_me

    block, items = cards
    services.voting_set_open(live=live, open=True)
    services.dot_place(participant=people["ventas"], key="d1", contribution_id=items[0].pk)
    services.voting_set_open(live=live, open=False)
    themes.theme_create(live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="F")
    services.voting_set_open(live=live, open=True)
    wall = render_audience(live, "participants")
    assert f'data-target="c{items[0].pk}" data-only-mine hidden' in wall
    me = render_me(people["ventas"])
    assert f'data-my-dots="c{items[0].pk}:1"' in me
    assert f'data-my-dots-block="{block.pk}"' in me
    assert services.dot_remove(participant=people["ventas"], contribution_id=items[0].pk)


def test_names_are_limited_to_their_own_length(live, cards):
    block, items = cards
    with pytest.raises(LiveError, match="máximo 120 caracteres"):
        themes.theme_create(
            live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="x" * 600
        )


def test_undoing_a_hide_puts_the_card_back_in_its_theme(live, cards, facilitator):
    block, items = cards
    theme = themes.theme_create(
        live=live, block=block, card_ids=[items[0].pk, items[1].pk, items[2].pk], name="A"
    )
    services.contribution_hide(
        live=live, contribution=items[2], reason="Ofende o descalifica", actor=facilitator.user
    )
    phones = live_state(live, audience="participants").entries[0]
    assert [c.pk for c in phones.cards] == [items[0].pk, items[1].pk]
    services.contribution_unhide(live=live, contribution=items[2], actor=facilitator.user)
    assert fresh(items[2]).theme_id == theme.pk
    phones = live_state(live, audience="participants").entries[0]
    assert [c.pk for c in phones.cards] == [items[0].pk, items[1].pk, items[2].pk]
    with pytest.raises(LiveError, match="ya está a la vista"):
        services.contribution_unhide(live=live, contribution=items[2], actor=facilitator.user)


def test_suggestions_are_offered_accepted_edited_and_rejected(live, cards):
    block, items = cards
    made = themes.themes_suggest(live=live, block=block)
    assert sorted(s.card_ids for s in made) == [
        [items[0].pk, items[1].pk],
        [items[2].pk, items[3].pk],
    ]
    # A suggestion never groups by itself.
    assert not Theme.objects.exists()
    dates = next(s for s in made if items[0].pk in s.card_ids)
    notices = next(s for s in made if items[2].pk in s.card_ids)
    with pytest.raises(LiveError, match="de la sugerencia"):
        themes.suggestion_accept(
            live=live, suggestion=dates, card_ids=[items[0].pk, items[4].pk], name="X"
        )
    theme = themes.suggestion_accept(
        live=live, suggestion=dates, card_ids=[items[0].pk, items[1].pk], name="Fechas"
    )
    assert theme.name == "Fechas" and theme.cards.count() == 2
    assert not ThemeSuggestion.objects.filter(pk=dates.pk).exists()
    themes.suggestion_reject(live=live, suggestion=notices)
    # Asked again: the rejected cards are not offered together, the grouped ones neither.
    assert themes.themes_suggest(live=live, block=block) == []
    with pytest.raises(LiveError, match="ya no está"):
        themes.suggestion_accept(live=live, suggestion=notices)


def test_accepting_a_suggestion_whose_card_was_grouped_since_is_refused(live, cards):
    block, items = cards
    made = themes.themes_suggest(live=live, block=block)
    dates = next(s for s in made if items[0].pk in s.card_ids)
    themes.theme_create(live=live, block=block, card_ids=[items[0].pk, items[4].pk], name="Otro")
    # Grouping a suggested card drops the suggestions that offered it.
    with pytest.raises(LiveError, match="ya no está"):
        themes.suggestion_accept(live=live, suggestion=dates)


@pytest.mark.django_db(transaction=True)
def test_two_control_rooms_grouping_the_same_card_at_once_converge(live, cards):
    block, items = cards
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def group(other: int, name: str) -> None:
        try:
            barrier.wait(timeout=5)
            themes.theme_create(
                live=live, block=block, card_ids=[items[0].pk, items[other].pk], name=name
            )
            outcomes.append("made")
        except LiveError as refused:
            outcomes.append(refused.messages[0])
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=group, args=(1, "Uno")),
        threading.Thread(target=group, args=(2, "Dos")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("made") == 1
    assert "ya está en el tema" in next(o for o in outcomes if o != "made")
    assert Theme.objects.count() == 1
    assert Contribution.objects.filter(theme__isnull=False).count() == 2


def test_the_acta_holds_the_whole_wall_with_themes_and_counts_hidden_cards(
    live, cards, people, facilitator, manager_client
):
    from agreements.selectors import workshop_report

    block, items = cards
    theme = themes.theme_create(
        live=live, block=block, card_ids=[items[0].pk, items[1].pk], name="Fechas"
    )
    services.contribution_hide(
        live=live, contribution=items[4], reason="Nombra a alguien", actor=facilitator.user
    )
    services.voting_set_open(live=live, open=True)
    services.dot_place(participant=people["ventas"], key="d1", theme_id=theme.pk)
    services.dot_place(participant=people["ventas"], key="d2", contribution_id=items[2].pk)
    services.dot_place(participant=people["compras"], key="d3", contribution_id=items[2].pk)
    services.live_close(live=live)

    (wall,) = workshop_report(workshop=live.workshop).walls
    assert wall.block == block and wall.hidden == 1
    assert [(t.name, t.votes, [c.text for c in t.cards]) for t in wall.themes] == [
        ("Fechas", 1, [TEXTS[0], TEXTS[1]])
    ]
    assert [(c.text, c.votes) for c in wall.loose] == [(TEXTS[2], 2), (TEXTS[3], 0)]
    assert all(c.anonymous and c.area_name == "" for c in wall.loose)

    page = manager_client.get(f"/sesiones/{live.workshop_id}/acta/").content.decode()
    assert "Todos los aportes" in page and "Fechas" in page
    assert TEXTS[3] in page and TEXTS[4] not in page
    assert "1 aporte oculto por quien facilitó." in page


def test_a_theme_of_cards_the_room_has_not_seen_gets_no_dot(live, people):
    goto(live, "unsaid")
    block = block_of(live, "unsaid")
    services.contributions_set_open(live=live, open=True)
    made = [
        services.contribution_submit(
            participant=person, key=f"u{n}", text=f"Sin mostrar {n}", block_id=block.pk
        )[0]
        for n, person in enumerate(people.values())
    ]
    theme = themes.theme_create(
        live=live, block=block, card_ids=[made[0].pk, made[1].pk], name="Aún oculto"
    )
    services.voting_set_open(live=live, open=True)
    with pytest.raises(LiveError, match="Ese tema no está en la votación"):
        services.dot_place(participant=people["ventas"], key="d", theme_id=theme.pk)
    assert not Dot.objects.exists()
    assert "Aún oculto" not in render_audience_for(live, "participants")


def render_audience_for(live, audience):
    from facilitation.broadcast import render_audience

    return render_audience(live, audience)
