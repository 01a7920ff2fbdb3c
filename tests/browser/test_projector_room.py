"""The projector holds a real room, at 1920×1080 and at 1366×768: sixty people, 150 cards
(then 40 themes). Every state of the screen is whole on the wall (nothing cut off at the
bottom or the side: the type and columns shrink within a legible minimum, then the wall
pages itself, or the reveal shows its top and «+ N más»), and axe-core reports no violation
on any of them."""

import datetime
import io
import random

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from agreements import services as agreement_services
from agreements.services import OwnerInput
from facilitation import services
from facilitation.models import Contribution, Dot, LiveSession, Participant, Theme
from tests.browser.conftest import log_in
from tests.browser.test_live_journey import _off_the_event_loop, _ready_live
from tests.conftest import PASSWORD
from workshops.face import organisation_logo_set

SIZES = {"1920x1080": {"width": 1920, "height": 1080}, "1366x768": {"width": 1366, "height": 768}}
PEOPLE = 60
CARDS = 150
THEMES = 40

SUBJECTS = [
    "las fechas de entrega",
    "los pedidos urgentes",
    "el inventario del sistema",
    "los avisos de los proveedores",
    "la reunión semanal",
    "las cotizaciones",
    "los despachos del viernes",
    "la bodega",
]
SAYINGS = [
    "Nadie nos cuenta a tiempo sobre {s}, y terminamos apagando incendios.",
    "Me preocupa {s}: cada área tiene su propia versión.",
    "Quisiera que revisáramos juntos {s} una vez por semana.",
    "Con {s} siento que trabajamos para áreas distintas y no para el mismo cliente.",
]


def _room(live: LiveSession, organisation) -> list[Participant]:
    """Sixty people, twenty per area, present now."""
    areas = list(organisation.areas.order_by("position"))
    people = [
        Participant(live=live, name=f"Persona {n + 1}", area=areas[n % len(areas)])
        for n in range(PEOPLE)
    ]
    return Participant.objects.bulk_create(people)


def _wall(live: LiveSession, block) -> list[Contribution]:
    rng = random.Random(11)
    cards = [
        Contribution(
            live=live,
            block=block,
            anonymous=True,
            text=rng.choice(SAYINGS).format(s=rng.choice(SUBJECTS)) + f" ({n + 1})",
            key_digest=f"seed-{n}",
            revealed_at=datetime.datetime.now(datetime.UTC),
        )
        for n in range(CARDS)
    ]
    return Contribution.objects.bulk_create(cards)


def _themes(live: LiveSession, block, cards: list[Contribution]) -> list[Theme]:
    themes = []
    for n in range(THEMES):
        theme = Theme.objects.create(
            live=live, block=block, name=f"Tema {n + 1}: {SUBJECTS[n % len(SUBJECTS)]}"
        )
        Contribution.objects.filter(pk__in=[c.pk for c in cards[n * 3 : n * 3 + 3]]).update(
            theme=theme
        )
        themes.append(theme)
    return themes


def _votes(live: LiveSession, block, people: list[Participant], themes: list[Theme]) -> None:
    rng = random.Random(5)
    Dot.objects.bulk_create(
        Dot(
            live=live,
            block=block,
            participant=person,
            theme=rng.choice(themes[:12]),
            key_digest=f"dot-{person.pk}-{k}",
        )
        for person in people[:45]
        for k in range(block.dots)
    )


def _logo() -> SimpleUploadedFile:
    image = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((20, 60, 880, 240), fill=(176, 58, 46, 255))
    data = io.BytesIO()
    image.save(data, format="PNG")
    return SimpleUploadedFile("logo.png", data.getvalue(), content_type="image/png")


def _whole(screen: Page, size: dict) -> None:
    """Nothing on the projector runs off the wall, at the bottom or at the side."""
    assert screen.evaluate("document.documentElement.scrollWidth") <= size["width"]
    bottom = screen.evaluate(
        """() => Math.max(0, ...Array.from(document.querySelectorAll(
            '#screen > *, .screen-wall > li')).filter(el => el.offsetParent !== null)
            .map(el => el.getBoundingClientRect().bottom))"""
    )
    assert bottom <= size["height"], f"the screen runs off the wall ({bottom}px)"


def _axe(screen: Page, name: str) -> None:
    results = Axe().run(screen)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def _show(screen: Page, live: LiveSession, shots, name: str, size: dict) -> None:
    screen.goto(f"/en-vivo/{live.pk}/proyector/")
    expect(screen.locator("#conn")).to_have_attribute("data-state", "online")
    screen.wait_for_timeout(300)  # the wall fits itself after the page settles
    shots.shot(screen, name, full_page=False)
    _whole(screen, size)
    _axe(screen, name)


@pytest.mark.parametrize("size_name", list(SIZES))
def test_the_projector_holds_sixty_people_and_150_cards(
    library, organisation, facilitator, laptop: Page, screens, size_name
):
    size = SIZES[size_name]
    # The room sees its company (issue 14): a wide logo and a long display name on the join
    # screen, beside the code, the QR code and sixty arrivals.
    organisation.display_name = "Aceros del Valle S.A.S. · Planta Yumbo"
    organisation.save(update_fields=["display_name"])
    organisation_logo_set(organisation=organisation, upload=_logo())
    live = _ready_live(organisation, facilitator)
    people = _room(live, organisation)
    screen = laptop
    screen.set_viewport_size(size)
    log_in(screen, "lili", PASSWORD)

    # Joining: the code, the QR code and how many joined per area.
    _show(screen, live, screens, "01-joining", size)
    expect(screen.locator(".join-panel")).to_be_visible()
    expect(screen.locator("#screen-arrivals li")).to_have_count(3)
    expect(screen.locator("#screen-arrivals")).to_contain_text("20")
    expect(screen.get_by_role("button", name="Pantalla completa")).to_be_visible()
    expect(screen.locator(".org-face-projector img")).to_be_visible()
    for whole in (".code-huge", ".join-panel .qr"):
        box = screen.locator(whole).first.bounding_box()
        assert box is not None and box["x"] + box["width"] <= size["width"], whole

    # The principles: a slide with the ten principles.
    block = live.workshop.blocks.get(kind__slug="principles")
    _off_the_event_loop(lambda: services.live_goto_block(live=live, block=block))
    _show(screen, live, screens, "02-principles", size)
    expect(screen.locator("#screen-principles li")).to_have_count(10)

    # A wall of 150 single cards: it pages itself.
    unsaid = live.workshop.blocks.get(kind__slug="unsaid")
    cards = _wall(live, unsaid)
    _off_the_event_loop(lambda: services.live_goto_block(live=live, block=unsaid))
    _show(screen, live, screens, "03-wall-150-cards", size)
    pager = screen.locator("[data-pager]")
    expect(pager).to_be_visible()
    expect(pager).to_contain_text("Página 1 de")
    shown = screen.locator(".screen-wall > li:not([hidden])").count()
    assert 6 <= shown < CARDS
    screen.wait_for_timeout(12_500)
    expect(pager).to_contain_text("Página 2 de")
    _whole(screen, size)

    # Forty themes and thirty loose cards, while the room votes: the vote's progress.
    themes = _themes(live, unsaid, cards)
    _votes(live, unsaid, people, themes)
    _off_the_event_loop(lambda: services.voting_set_open(live=live, open=True))
    Participant.objects.filter(live=live).update(last_seen_at=datetime.datetime.now(datetime.UTC))
    _show(screen, live, screens, "04-voting-40-themes", size)
    expect(screen.locator("#screen-voting")).to_contain_text("45 de 60 personas votaron")
    expect(screen.locator(".screen-theme").first).to_be_visible()

    # The reveal ranks themes: the top ones and «+ N más».
    _off_the_event_loop(lambda: services.results_reveal(live=live))
    _show(screen, live, screens, "05-reveal-ranked", size)
    expect(screen.locator(".screen-more")).to_contain_text("más")
    first_votes = Dot.objects.filter(theme=themes[0]).count()
    assert first_votes > 0
    top = max(themes, key=lambda t: (Dot.objects.filter(theme=t).count(), -t.pk))
    expect(screen.locator(".screen-wall > li").first).to_contain_text(top.name)

    # A break: its countdown and the clock time the room is back.
    _off_the_event_loop(lambda: services.live_call_break(live=live))
    _show(screen, live, screens, "06-break", size)
    expect(screen.locator(".screen-returns")).to_contain_text("Regresamos a las")

    # An agreement in consultation: the tally.
    agreements = live.workshop.blocks.get(kind__slug="agreements")
    areas = list(organisation.areas.all())

    def consult() -> None:
        fresh = services.live_goto_block(live=live, block=agreements)
        agreement = agreement_services.agreement_draft(
            live=fresh,
            text="Ventas confirma con Logística toda fecha de entrega antes de prometerla",
            due_date=live.workshop.date + datetime.timedelta(days=30),
            areas=areas,
            owners=[OwnerInput(name=f"Responsable {a.name}", area=a) for a in areas],
        )
        agreement_services.agreement_ask_consent(agreement=agreement)
        for person in people[:7]:
            agreement_services.consent_submit(
                participant=person, agreement_id=agreement.pk, version=1, choice="agree"
            )

    _off_the_event_loop(consult)
    _show(screen, live, screens, "07-consent", size)
    expect(screen.locator("#consent-tally")).to_contain_text("7")

    # The end: the closing screen.
    _off_the_event_loop(lambda: services.live_close(live=live))
    _show_closed(screen, live, screens, size)


def _show_closed(screen: Page, live: LiveSession, shots, size: dict) -> None:
    screen.goto(f"/en-vivo/{live.pk}/proyector/")
    expect(screen.locator("#screen-closing")).to_be_visible()
    shots.shot(screen, "08-closing", full_page=False)
    _whole(screen, size)
    _axe(screen, "08-closing")
