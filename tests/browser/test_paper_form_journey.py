"""Someone arrives without a phone. On the laptop (1366×768) the facilitator opens the paper
form from the control room and prints it on A4 and on Letter: every page carries something
(nothing cut, no empty page), the lines to write on are there, the unsigned sheet starts a
page of its own, and nothing printed is a link or the session's code. After the session the
acta marks Don Jairo's signed card «en papel» and leaves his anonymous one unmarked."""

import subprocess

from playwright.sync_api import Page, expect

from facilitation import paper, services
from facilitation.models import Contribution, LiveSession
from tests.browser.conftest import log_in
from tests.browser.test_join_cards_journey import PAPER_POINTS, _pdf_text
from tests.browser.test_live_journey import _off_the_event_loop, _ready_live
from tests.browser.test_runsheet_print import _pdf_pages, _poppler
from tests.conftest import PASSWORD

LAPTOP = {"width": 1366, "height": 768}
SIGNED = "Nos enteramos tarde de lo que Ventas promete"
ANONYMOUS = "Nos da miedo decirle que no a Ventas"


def _assert_nothing_sticks_out(page: Page) -> None:
    outside = page.evaluate(
        """() => {
            const box = document.querySelector('#paper-form').getBoundingClientRect();
            return [...document.querySelectorAll('#paper-form *')]
                .filter((el) => el.getClientRects().length)
                .filter((el) => el.getBoundingClientRect().right > box.right + 0.5)
                .map((el) => el.outerHTML.slice(0, 80));
        }"""
    )
    assert not outside, f"sticks out of the form: {outside}"


def _paper_cards(live_id: int) -> None:
    live = LiveSession.objects.get(pk=live_id)
    areas = {area.slug: area for area in live.workshop.organisation.areas.all()}
    jairo = paper.paper_participant_add(
        live=live,
        name="Don Jairo",
        area=areas["logistica"],
        privacy_version=live.workshop.organisation.privacy_notice_version,
    )
    for slug, text in (("area_round", SIGNED), ("unsaid", ANONYMOUS)):
        block = live.workshop.blocks.get(kind__slug=slug)
        services.live_goto_block(live=live, block=block)
        paper.paper_contribution(
            live=live, participant=jairo, key=f"k-{slug}", text=text, block_id=block.pk
        )
        services.contributions_reveal(live=live, block=block)


def test_the_facilitator_prints_the_paper_form_and_reads_the_mark_in_the_acta(
    library, organisation, facilitator, laptop: Page, screens
):
    live = _ready_live(organisation, facilitator)
    page = laptop
    page.set_viewport_size(LAPTOP)
    log_in(page, "lili", PASSWORD)
    page.goto(f"/en-vivo/{live.pk}/")
    page.get_by_role("link", name="Formato en papel").click()
    expect(page.locator(".sheet-kind").first).to_have_text("Formato para participar en papel")
    form = page.locator("#paper-form")
    expect(form.get_by_role("heading", level=1)).to_have_text(live.workshop.title)
    expect(form).to_contain_text("Ley 1581")
    expect(form).to_contain_text("¿Con qué emoción llegas? Marca una:")
    expect(form.locator("#form-unsigned")).to_contain_text("No escribas aquí tu nombre")
    expect(form.locator("a")).to_have_count(0)
    expect(page.get_by_role("button", name="Imprimir")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _assert_nothing_sticks_out(page)
    screens.shot(page, "01-paper-form-screen", full_page=False)

    areas = [invited.area.name for invited in live.workshop.invited.select_related("area")]
    for paper_size, query in (("A4", ""), ("Letter", "?papel=carta")):
        page.goto(f"/en-vivo/{live.pk}/papel/formato/{query}")
        page.emulate_media(media="print")
        expect(page.get_by_role("button", name="Imprimir")).to_be_hidden()
        pdf = str(screens.folder / f"paper-form-{paper_size}.pdf")
        page.pdf(path=pdf, format=paper_size, print_background=True, prefer_css_page_size=True)
        page.emulate_media(media="screen")
        pages, size = _pdf_pages(pdf)
        expected = PAPER_POINTS[paper_size]
        assert all(abs(a - b) <= 2 for a, b in zip(size, expected, strict=True)), size
        assert 3 <= pages <= 8, f"{pages} pages on {paper_size}"
        texts = [_pdf_text(pdf, number) for number in range(1, pages + 1)]
        for number, text in enumerate(texts, start=1):
            assert len(text) > 80, f"page {number} of {paper_size} is (nearly) empty: {text!r}"
            assert "/en-vivo/" not in text and "http" not in text and "Imprimir" not in text
            assert live.display_code not in text and live.join_code not in text
        whole = " ".join(texts)
        assert live.workshop.title in whole
        assert "Tu nombre o un alias" in texts[0]
        for name in areas:
            assert name in texts[0]
        assert "Gracias por tu palabra." in whole
        # The unsigned sheet is a page of its own, with no name on it.
        assert texts[-1].startswith(live.workshop.title) or "Hoja sin nombre" in texts[-1]
        assert "Hoja sin nombre" in texts[-1]
        assert "Tu nombre o un alias" not in texts[-1] and "Firma" not in texts[-1]
        # The named pages only point to it («Hoja sin nombre»); its own warning is on it alone.
        assert "No escribas aquí tu nombre ni tu área" not in " ".join(texts[:-1])
        subprocess.run(
            [_poppler("pdftoppm"), "-png", "-r", "60", pdf]
            + [str(screens.folder / f"02-paper-form-{paper_size}")],
            check=True,
        )

    # After the session: the acta, with Don Jairo's signed card marked and his anonymous
    # one not.
    _off_the_event_loop(_paper_cards, live.pk)
    assert Contribution.objects.filter(on_paper=True).count() == 1
    page.goto(f"/sesiones/{live.workshop_id}/acta/")
    walls = page.locator("#contributions")
    signed = walls.locator("li", has_text=SIGNED).last
    expect(signed.locator(".tag-paper")).to_have_text("en papel")
    anonymous = walls.locator("li", has_text=ANONYMOUS).last
    expect(anonymous).to_contain_text("anónimo")
    expect(anonymous.locator(".tag-paper")).to_have_count(0)
    expect(page.locator("#attendance-paper")).to_contain_text("1 persona participó en papel")
    page.locator("#attendance").scroll_into_view_if_needed()
    screens.shot(page, "03-acta-attendance", full_page=False)
    signed.scroll_into_view_if_needed()
    screens.shot(page, "04-acta-paper-mark", full_page=False)
