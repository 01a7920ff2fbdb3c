"""A facilitator builds a 3-hour session from the template on a laptop: swaps a question,
reorders blocks by drag and drop and with the buttons, changes a duration and removes the
break, watching the clock times, the total and the warnings follow."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from workshops.models import Workshop


def block_titles(page: Page) -> list[str]:
    return page.locator("#blocks > li .block-title").all_inner_texts()


def block_item(page: Page, title: str):
    return page.locator("#blocks > li").filter(
        has=page.locator(".block-title", has_text=re.compile(f"^{re.escape(title)}$"))
    )


def drag(page: Page, source, target) -> None:
    """Drag with the real mouse (native HTML5 drag and drop), both ends on screen."""
    source.evaluate("el => el.scrollIntoView({block: 'start'})")
    start, end = source.bounding_box(), target.bounding_box()
    assert end["y"] + end["height"] / 2 < page.viewport_size["height"], "drop target off screen"
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 20)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=8)
    page.mouse.up()


def test_facilitator_builds_a_session_from_the_template(
    library, facilitator, laptop: Page, screens
):
    page = laptop
    log_in(page, "lili", PASSWORD)
    page.get_by_role("link", name="Sesiones", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sesiones")
    screens.shot(page, "01-empty-list")

    page.get_by_role("link", name="Nueva sesión").click()
    page.get_by_label("Título").fill("Pedido perdido de Ferretería Sur")
    page.get_by_label("Propósito").fill("Perdimos el pedido más grande del trimestre.")
    page.get_by_label("Fecha").fill("2026-03-10")
    page.get_by_label("Hora de inicio").fill("08:00")
    page.get_by_label("Lugar").fill("Sala de juntas")
    for area, people in (("Compras", "6"), ("Ventas", "8"), ("Logística", "7")):
        page.get_by_label(area, exact=True).check()
        page.get_by_label(f"Personas esperadas de {area}").fill(people)
    # The recommended four hours come first; this facilitator has the minimum three.
    expect(page.get_by_label(re.compile("Jornada completa"))).to_be_checked()
    page.get_by_label(re.compile("Conversación significativa y difícil")).check()
    # A full-page shot resizes the viewport; Chromium then drops the next click on this long
    # form, so this one is the visible part only.
    screens.shot(page, "02-new-session-form", full_page=False)
    page.get_by_role("button", name="Crear sesión").click()

    expect(page).to_have_url(re.compile(r"/sesiones/\d+/$"))
    workshop = Workshop.objects.get(title="Pedido perdido de Ferretería Sur")
    assert page.url.endswith(workshop.get_absolute_url())
    expect(page.locator("#agenda-total")).to_have_text("3 h")
    expect(page.locator("#agenda-warnings")).to_contain_text("Sin avisos")
    expect(page.locator("#blocks > li")).to_have_count(15)
    expect(block_item(page, "Apertura: el propósito de hoy").locator(".block-start")).to_have_text(
        "08:00"
    )
    expect(block_item(page, "¿Cómo me voy?").locator(".block-end")).to_have_text("11:00")
    screens.shot(page, "03-builder-from-template")
    page.evaluate("window.scrollTo(0, 0)")
    screens.shot(page, "03-builder-from-template-top", full_page=False)

    # Swap the question of the first café round: remove it, then add another from the picker.
    cafe = block_item(page, "Mesas mixtas: lo que hay detrás del «no le importa»")
    old_question = cafe.locator(".block-question-text").inner_text()
    cafe.get_by_role("button", name=re.compile("^Quitar la pregunta")).click()
    expect(page.locator("#agenda-warnings")).to_contain_text(
        "«Mesas mixtas: lo que hay detrás del «no le importa»» necesita al menos una pregunta."
    )
    cafe = block_item(page, "Mesas mixtas: lo que hay detrás del «no le importa»")
    expect(cafe.locator(".block-question")).to_have_count(0)
    cafe.get_by_role("link", name="Agregar pregunta").click()
    picker = page.locator("#picker")
    expect(picker).to_contain_text(
        "Preguntas para «Mesas mixtas: lo que hay detrás del «no le importa»»"
    )
    expect(picker.get_by_label("Fase")).to_have_value("cafe_round")
    expect(picker.locator(".picker-item .intent").first).to_be_visible()
    screens.shot(page, "04-picker-open")
    page.evaluate("window.scrollTo(0, 0)")
    screens.shot(page, "04-picker-open-top", full_page=False)
    candidate = picker.locator(".picker-item").filter(has_not_text=old_question).first
    new_question = candidate.locator(".picker-text").inner_text()
    candidate.get_by_role("button", name=re.compile("^Agregar")).click()
    cafe = block_item(page, "Mesas mixtas: lo que hay detrás del «no le importa»")
    expect(cafe.locator(".block-question-text")).to_have_text(new_question)
    expect(page.locator("#agenda-warnings")).to_contain_text("Sin avisos")
    screens.shot(page, "05-question-swapped")
    page.get_by_role("link", name="Cerrar").click()
    expect(page.locator("#picker")).to_be_hidden()

    # Drag "Apertura" onto the diagnosis: it moves below it, and the clock times follow.
    diagnosis = "Diagnóstico: lo que pasa hoy"
    drag(page, block_item(page, "Apertura: el propósito de hoy"), block_item(page, diagnosis))
    expect(page.locator("#blocks > li .block-title").first).to_have_text(diagnosis)
    assert block_titles(page)[:2] == [diagnosis, "Apertura: el propósito de hoy"]
    expect(block_item(page, diagnosis).locator(".block-start")).to_have_text("08:00")
    expect(block_item(page, "Apertura: el propósito de hoy").locator(".block-start")).to_have_text(
        "08:05"
    )
    titles = list(workshop.blocks.order_by("position").values_list("title", flat=True))
    assert titles[:2] == [diagnosis, "Apertura: el propósito de hoy"]
    screens.shot(page, "06-dragged")
    page.evaluate("window.scrollTo(0, 0)")
    screens.shot(page, "06-dragged-top", full_page=False)

    # And back with the keyboard-accessible button.
    page.get_by_role("button", name="Subir «Apertura: el propósito de hoy»").click()
    expect(page.locator("#blocks > li .block-title").first).to_have_text(
        "Apertura: el propósito de hoy"
    )
    expect(block_item(page, diagnosis).locator(".block-start")).to_have_text("08:10")
    # At the top its up button is disabled: the focus moves to its down button.
    expect(page.get_by_role("button", name="Bajar «Apertura: el propósito de hoy»")).to_be_focused()
    # A second drag, further down the page, then the buttons from the keyboard.
    area_round = "Ronda por área: cómo lo vivimos hoy"
    cafe_title = "Mesas mixtas: lo que hay detrás del «no le importa»"
    drag(page, block_item(page, area_round), block_item(page, cafe_title))
    expect(page.locator("#blocks > li .block-title").nth(5)).to_have_text(area_round)
    expect(block_item(page, area_round).locator(".block-start")).to_have_text("08:55")
    expect(block_item(page, cafe_title).locator(".block-start")).to_have_text("08:35")
    page.get_by_role("button", name=f"Subir «{area_round}»").click()
    expect(page.locator("#blocks > li .block-title").nth(4)).to_have_text(area_round)
    expect(block_item(page, area_round).locator(".block-start")).to_have_text("08:35")
    # The focus stays on the button after the swap, so the keyboard can press it again.
    expect(page.get_by_role("button", name=f"Subir «{area_round}»")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#blocks > li .block-title").nth(3)).to_have_text(area_round)
    expect(block_item(page, area_round).locator(".block-start")).to_have_text("08:20")
    page.get_by_role("button", name=f"Bajar «{area_round}»").click()
    expect(page.locator("#blocks > li .block-title").nth(4)).to_have_text(area_round)
    expect(block_item(page, "Supuestos y principios").locator(".block-start")).to_have_text("08:20")
    screens.shot(page, "07-moved-with-buttons")

    # A longer café round: the total and the warnings follow.
    cafe = block_item(page, "Mesas mixtas: lo que hay detrás del «no le importa»")
    cafe.get_by_label("Minutos").fill("50")
    cafe.get_by_label("Minutos").press("Tab")
    expect(page.locator("#agenda-total")).to_have_text("3 h 30 min")
    expect(page.locator("#agenda-warnings")).to_contain_text(
        "Pasan 95 minutos sin pausa hasta «Mesas mixtas: lo que hay detrás del «no le importa»»"
    )
    expect(
        block_item(page, "Mesas mixtas: lo que hay detrás del «no le importa»").locator(
            ".block-warnings"
        )
    ).to_contain_text("sin pausa")
    screens.shot(page, "08-longer-cafe-round")
    cafe = block_item(page, "Mesas mixtas: lo que hay detrás del «no le importa»")
    cafe.get_by_label("Minutos").fill("20")
    cafe.get_by_label("Minutos").press("Tab")
    expect(page.locator("#agenda-total")).to_have_text("3 h")
    expect(page.locator("#agenda-warnings")).to_contain_text("Sin avisos")

    # A duration of zero is refused with a message, and nothing changes.
    cafe = block_item(page, "Mesas mixtas: lo que hay detrás del «no le importa»")
    cafe.get_by_label("Minutos").fill("0")
    cafe.get_by_label("Minutos").press("Tab")
    expect(page.get_by_role("alert")).to_have_text("La duración debe ser de al menos 1 minuto.")
    expect(page.locator("#agenda-total")).to_have_text("3 h")

    # Without the break, 95 minutes pass before "Lo que no se ha dicho".
    page.get_by_role("button", name="Quitar «Pausa»").click()
    expect(page.locator("#agenda-total")).to_have_text("2 h 50 min")
    expect(page.locator("#agenda-warnings")).to_contain_text(
        "Pasan 95 minutos sin pausa hasta «Lo que no se ha dicho»"
    )
    expect(block_item(page, "Lo que no se ha dicho").locator(".block-warnings")).to_be_visible()
    screens.shot(page, "09-break-removed")
    page.evaluate("window.scrollTo(0, 0)")
    screens.shot(page, "09-break-removed-top", full_page=False)
    screens.shot(page, "10-builder-viewport", full_page=False)
