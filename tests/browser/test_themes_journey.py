"""Themes in real browsers: the facilitator (1366×768 laptop) groups a wall of «lo no dicho»
into themes on the grouping board (a suggestion accepted as offered, one edited, one
rejected, a theme made from a selection, a card dragged onto a theme, a card hidden with a
typed reason and shown again), then the room votes on themes from phones (390 and 320 px
wide) while the projector (1920×1080) shows the themes folded, and the reveal ranks them."""

import re

from playwright.sync_api import Page, expect

from facilitation import services
from facilitation.models import Contribution, Dot, Theme, ThemeSuggestion
from tests.browser.conftest import log_in, watch_errors
from tests.browser.test_live_journey import _join, _off_the_event_loop, _ready_live
from tests.conftest import PASSWORD

LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
NARROW_PHONE = {"width": 320, "height": 640}

CARDS = [
    "Ventas promete fechas de entrega imposibles para logística",
    "Prometemos al cliente fechas de entrega que no se pueden cumplir",
    "Los pedidos llegan tarde porque Ventas promete fechas que Logística no puede cumplir",
    "Compras no avisa cuando un proveedor se retrasa",
    "Nadie nos avisa de los retrasos de los proveedores",
    "Cuando el proveedor se demora, compras no le avisa a nadie",
    "Nos gustaría tener una reunión semanal entre las tres áreas",
    "Propongo una reunión semanal de coordinación entre áreas",
    "El sistema de inventario no está actualizado",
    "El inventario del sistema nunca coincide con la bodega",
    "Me siento escuchado cuando me preguntan antes de decidir",
    "Quisiera que celebráramos los logros juntos",
]


def _seed_wall(live, organisation) -> None:
    """The anonymous block, current, with twelve cards from six people."""
    areas = {area.slug: area for area in organisation.areas.all()}
    people = [
        services.participant_commit(
            participant=services.participant_join(live=live, name=name, area=areas[slug])
        )
        for name, slug in (
            ("Ana", "compras"),
            ("Beto", "ventas"),
            ("Caro", "logistica"),
            ("Diana", "compras"),
            ("Eli", "ventas"),
            ("Fer", "logistica"),
        )
    ]
    block = live.workshop.blocks.get(kind__slug="unsaid")
    services.live_goto_block(live=live, block=block)
    services.contributions_set_open(live=live, open=True)
    for n, text in enumerate(CARDS):
        services.contribution_submit(
            participant=people[n % 6], key=f"seed{n}", text=text, block_id=block.pk
        )
    services.contributions_set_open(live=live, open=False)


def _drag(page: Page, source: str, target: str) -> None:
    """A person's drag: press, move a little (the drag starts), move onto the target, let go.
    Playwright's drag_to jumps in one move, which Chromium does not take as a drag here."""
    page.locator(source).scroll_into_view_if_needed()
    start = page.locator(source).bounding_box()
    end = page.locator(target).bounding_box()
    assert 0 <= end["y"] and end["y"] + 40 <= LAPTOP["height"], "the theme is out of view"
    page.mouse.move(start["x"] + 40, start["y"] + 12)
    page.mouse.down()
    page.mouse.move(start["x"] + 50, start["y"] + 20, steps=3)
    page.mouse.move(end["x"] + 40, end["y"] + 40, steps=10)
    page.mouse.up()


def _wait_for_a_refresh(page: Page) -> None:
    """The board re-reads itself every few seconds while nobody touches it: wait for one."""
    before = page.locator("#board").get_attribute("data-rendered")
    page.wait_for_function(
        "(before) => document.querySelector('#board').dataset.rendered !== before",
        arg=before,
        timeout=25_000,
    )


def _no_sideways_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways ({scroll}px on {width}px)"


def test_the_facilitator_groups_the_wall_into_themes_and_the_room_votes_on_them(
    library, organisation, facilitator, laptop: Page, phones, screens
):
    live = _ready_live(organisation, facilitator)
    _off_the_event_loop(_seed_wall, live, organisation)
    text_pk = dict(Contribution.objects.filter(live=live).values_list("text", "pk"))

    room = laptop
    room.set_viewport_size(LAPTOP)
    log_in(room, "lili", PASSWORD)
    room.goto(f"/en-vivo/{live.pk}/")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    room.get_by_role("link", name=re.compile("Agrupar en temas")).click()
    expect(room.get_by_role("heading", name="Agrupar los aportes en temas")).to_be_visible()
    expect(room.locator(".board-grid > .board-card")).to_have_count(len(CARDS))
    expect(room.locator(".board-grid .badge-queue")).to_have_count(len(CARDS))
    screens.shot(room, "01-board-before", full_page=False)

    # --- Puente suggests; nothing is grouped until the facilitator says so -----------------
    room.get_by_role("button", name="Sugerir temas").click()
    suggestions = room.locator(".suggestion")
    expect(suggestions).to_have_count(4)
    assert not Theme.objects.exists()
    screens.shot(room, "02-board-suggestions", full_page=False)

    # The dates suggestion: accepted without the third, longer card, and renamed.
    dates = suggestions.filter(has_text=CARDS[0])
    dates.get_by_label(CARDS[2]).uncheck()
    dates.get_by_label("Nombre del tema").fill("Fechas que no se pueden cumplir")
    dates.get_by_role("button", name="Aceptar como tema").click()
    expect(room.locator(".theme-box")).to_have_count(1)
    expect(room.locator(".suggestion")).to_have_count(3)
    # The suppliers' suggestion: accepted as offered.
    room.locator(".suggestion").filter(has_text=CARDS[3]).get_by_role(
        "button", name="Aceptar como tema"
    ).click()
    expect(room.locator(".theme-box")).to_have_count(2)
    # The meetings' suggestion: rejected (the facilitator wants them apart).
    room.locator(".suggestion").filter(has_text=CARDS[6]).get_by_role(
        "button", name="Descartar"
    ).click()
    expect(room.locator(".suggestion")).to_have_count(1)
    assert ThemeSuggestion.objects.filter(status="rejected").count() == 1

    # --- a theme from a selection, kept across the board's refreshes ----------------------
    tools = room.locator("#group-form")
    expect(tools.get_by_role("button", name="Crear tema con los seleccionados")).to_be_disabled()
    room.locator(f"#check-{text_pk[CARDS[10]]}").check()
    room.locator(f"#check-{text_pk[CARDS[11]]}").check()
    expect(room.locator("[data-selected-label]")).to_have_text("2 seleccionados")
    _wait_for_a_refresh(room)
    expect(room.locator(f"#check-{text_pk[CARDS[10]]}")).to_be_checked()
    tools.get_by_label("Nombre del tema").fill("Sentirnos parte")
    tools.get_by_role("button", name="Crear tema con los seleccionados").click()
    expect(room.locator(".theme-box")).to_have_count(3)
    expect(tools.get_by_label("Nombre del tema")).to_have_value("")

    # --- drag a loose card onto a theme ----------------------------------------------------
    dates_theme = Theme.objects.get(name="Fechas que no se pueden cumplir")
    _drag(room, f"#card-{text_pk[CARDS[2]]}", f"#theme-{dates_theme.pk}")
    expect(room.locator(f"#theme-{dates_theme.pk} .board-card")).to_have_count(3)
    # The theme's cards are folded; opened, the fold stays open across the board's refreshes.
    room.locator(f"#theme-{dates_theme.pk} summary").click()
    expect(room.locator(f"#theme-{dates_theme.pk} .board-card").last).to_be_visible()
    _wait_for_a_refresh(room)
    expect(room.locator(f"#theme-{dates_theme.pk} .board-card").last).to_be_visible()

    # --- hide a card with a typed reason, then show it again ------------------------------
    room.locator(f"#card-{text_pk[CARDS[8]]}").get_by_role("button", name="Ocultar").click()
    dialog = room.locator("#hide-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-hide-quote]")).to_contain_text("inventario")
    dialog.get_by_label("Escribe el motivo").fill("Se repite en otro aporte")
    screens.shot(room, "03-hide-dialog", full_page=False)
    dialog.get_by_role("button", name="Ocultar").click()
    expect(dialog).to_be_hidden()
    hidden = room.locator(f"#card-{text_pk[CARDS[8]]}")
    expect(hidden).to_have_class(re.compile("is-hidden"))
    expect(hidden).to_contain_text("Se repite en otro aporte")
    hidden.get_by_role("button", name="Mostrar de nuevo").click()
    expect(room.locator(f"#card-{text_pk[CARDS[8]]}")).not_to_have_class(re.compile("is-hidden"))
    _no_sideways_scroll(room, LAPTOP["width"])
    room.evaluate("window.scrollTo(0, 0)")
    screens.shot(room, "04-board-grouped")
    assert Theme.objects.filter(live=live).count() == 3

    # --- the room votes on themes ----------------------------------------------------------
    one, narrow = phones(2)
    narrow.set_viewport_size(NARROW_PHONE)
    _join(one, code=live.display_code, token=live.qr_token, name="Gabi", area="Ventas")
    _join(narrow, code=None, token=live.qr_token, name="Hugo", area="Compras")
    screen = room.context.new_page()
    screen_errors = watch_errors(screen)
    screen.set_viewport_size(PROJECTOR)
    screen.goto(f"/en-vivo/{live.pk}/proyector/")
    expect(screen.locator(".screen-queued")).to_contain_text("12 aportes por mostrar")

    room.goto(f"/en-vivo/{live.pk}/")
    # The anonymous block reveals first: the room sees the cards once the facilitator
    # shows them (the board marked them «Por mostrar»).
    expect(screen.locator(".screen-theme")).to_have_count(0)
    room.locator("#room-queue").get_by_role("button", name=re.compile("Mostrar los")).click()
    expect(room.locator("#room-queue .wall-item")).to_have_count(0)
    expect(screen.locator(".screen-theme")).to_have_count(3)
    expect(room.locator("#room-wall .wall-theme")).to_have_count(3)
    expect(screen.locator(".screen-theme").first).to_contain_text("3 aportes")
    screens.shot(screen, "05-projector-themes", full_page=False)
    room.locator("#room").get_by_role("button", name=re.compile("Iniciar votación")).click()
    for phone in (one, narrow):
        expect(phone.locator("#wall .wall-theme")).to_have_count(3)
    theme_item = one.locator(f"#t-{dates_theme.pk}")
    theme_item.locator("summary").click()
    expect(theme_item.locator(".theme-cards li")).to_have_count(3)
    theme_item.get_by_role("button", name="Dar un punto").click()
    theme_item.get_by_role("button", name="Dar un punto").click()
    expect(theme_item.locator(".my-dots")).to_have_text("2")
    # The fold stays open across the broadcasts that follow the dots.
    expect(theme_item.locator("details")).to_have_attribute("open", "")
    narrow.locator(f"#t-{dates_theme.pk}").get_by_role("button", name="Dar un punto").click()
    loose = narrow.locator("#wall .wall-item:not(.wall-theme)").first
    loose.get_by_role("button", name="Dar un punto").click()
    expect(narrow.locator(".my-dots-left")).to_contain_text("punto")
    _no_sideways_scroll(narrow, NARROW_PHONE["width"])
    _no_sideways_scroll(one, 390)
    narrow.locator("#wall").screenshot(path=str(screens.folder / "06-phone-320-wall.png"))
    one.locator("#wall").screenshot(path=str(screens.folder / "07-phone-390-wall.png"))
    for _ in range(50):
        if Dot.objects.filter(live=live).count() == 4:
            break
        room.wait_for_timeout(100)
    assert Dot.objects.filter(theme=dates_theme).count() == 3

    # --- the reveal ranks themes and cards together ---------------------------------------
    room.locator("#room").get_by_role("button", name="Revelar resultados").click()
    first = screen.locator(".screen-wall .screen-card").first
    expect(first).to_contain_text("Fechas que no se pueden cumplir")
    expect(first).to_contain_text("3 puntos")
    screens.shot(screen, "08-projector-ranked", full_page=False)
    expect(one.locator("#wall .wall-item").first).to_contain_text("3 puntos")
    assert not screen_errors
