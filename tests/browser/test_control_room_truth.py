"""The control room at 1366×768 tells the truth about time: the keyboard drives the agenda
and the timer (→, ← and Space, listed on screen), past blocks show how long they ran, and the
clock says how far the session runs from its plan."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.browser.test_live_journey import _ready_live
from tests.conftest import PASSWORD

LAPTOP = {"width": 1366, "height": 768}


def test_the_keyboard_drives_the_agenda_and_the_clock_tells_the_plan(
    library, organisation, facilitator, laptop: Page, screens
):
    live = _ready_live(organisation, facilitator)
    blocks = list(live.workshop.blocks.order_by("position"))
    room = laptop
    room.set_viewport_size(LAPTOP)
    log_in(room, "lili", PASSWORD)
    room.goto(f"/en-vivo/{live.pk}/")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    expect(room.locator("#shortcuts")).to_contain_text("Atajos de teclado")
    heading = room.locator(".room-current h1")
    expect(heading).to_have_text(blocks[0].title)

    room.keyboard.press("Space")
    expect(room.locator("#room [data-shortcut=' ']")).to_have_text("Pausar")
    room.keyboard.press("ArrowRight")
    expect(heading).to_have_text(blocks[1].title)
    room.keyboard.press("ArrowRight")
    expect(heading).to_have_text(blocks[2].title)
    room.keyboard.press("ArrowLeft")
    expect(heading).to_have_text(blocks[1].title)
    first = room.locator(".timeline-item").first
    expect(first).to_have_class(re.compile("is-past"))
    expect(first).to_contain_text("duró 0 min")
    expect(room.locator(".room-current .drift")).to_contain_text("terminaríamos a las")
    screens.shot(room, "01-room-agenda-truth", full_page=False)
    assert room.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
