"""A real room, end to end: the facilitator's laptop (1366×768), the projector (1920×1080),
three real phone browsers (two at 390 px, one at 320 px) and 57 simulated phones from the
benchmark's client (the real join flow over HTTP, then the live socket): 60 people. The
simulated phones write 150 cards in the anonymous block; the facilitator asks Puente for
themes, accepts them (one edited, one rejected), shows the cards to the room, the room votes
on themes, an agreement is drafted from the most voted theme, consulted and recorded; its
owner present gets the private link on the phone, the owner without email on a printed card;
the session ends. Every projector state is checked whole on the wall and by axe-core."""

import asyncio
import datetime
import itertools
import re
import threading
from collections.abc import Coroutine
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Dialog, Page, expect

from agreements.models import Agreement, Owner
from bench.phones import AppPhone, SeqBook
from facilitation import services
from facilitation.models import Contribution, Dot, Participant, Theme
from tests.browser.conftest import log_in, watch_errors
from tests.browser.test_live_journey import _join, _off_the_event_loop, _ready_live
from tests.conftest import PASSWORD

LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
NARROW = {"width": 320, "height": 640}
SIMULATED = 57
CARDS = 150

# Fifteen things a room of Compras, Ventas and Logística says, each in ten ways: the
# suggestions should find them.
SUBJECTS = [
    "las fechas de entrega que promete Ventas",
    "los avisos de retraso de los proveedores",
    "el inventario del sistema desactualizado",
    "la reunión semanal entre las áreas",
    "los pedidos urgentes por WhatsApp",
    "las cotizaciones sin costo de transporte",
    "los despachos incompletos del viernes",
    "la bodega llena de producto obsoleto",
    "las devoluciones de clientes sin registro",
    "los pagos atrasados a los transportadores",
    "los precios cambiados sin avisar a Compras",
    "la capacitación en el nuevo software",
    "los reconocimientos al trabajo en equipo",
    "las metas de ventas sin consultar a Logística",
    "los correos con copia a todos los gerentes",
]
FRAMES = [
    "Otra vez {s}.",
    "Me preocupa mucho {s}.",
    "Hay que hablar de {s}.",
    "Siempre lo mismo con {s}.",
    "Nadie dice nada sobre {s}.",
    "Tenemos un problema con {s}.",
    "Sentimos que nadie atiende {s}.",
    "Pasa cada semana: {s}.",
    "Quisiera que revisáramos {s}.",
    "Me frustra {s}.",
]


class SimulatedRoom:
    """The benchmark's phones, driven from an event loop of their own (Playwright's runs in
    the test's thread)."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.book = SeqBook()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.phones: list[AppPhone] = []

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 180) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _join(self, count: int) -> None:
        ws_base = self.base.replace("http://", "ws://")
        self.phones = [AppPhone(i, self.book, self.base, ws_base, self.token) for i in range(count)]
        limit = asyncio.Semaphore(20)

        async def one(phone: AppPhone) -> None:
            async with limit:
                await phone.join(None)

        await asyncio.gather(*(one(phone) for phone in self.phones))

    def join(self, count: int) -> None:
        self.run(self._join(count))

    async def _send_all(self, frames: list[tuple[AppPhone, dict]]) -> dict[str, str]:
        self.book.acks.clear()
        self.book.ack_errors.clear()
        self.book.ack_event.clear()
        self.book.acks_expected = len(frames)
        for phone, frame in frames:
            await phone.send(frame)
        await asyncio.wait_for(self.book.ack_event.wait(), 120)
        return dict(self.book.ack_errors)

    def send_all(self, frames: list[tuple[AppPhone, dict]]) -> dict[str, str]:
        """Send every frame and wait for each one's acknowledgement; returns the refusals."""
        return self.run(self._send_all(frames))

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(phone.close() for phone in self.phones), return_exceptions=True)

        try:
            self.run(close_all(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


def _whole(screen: Page) -> None:
    assert screen.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]
    bottom = screen.evaluate(
        """() => Math.max(0, ...Array.from(document.querySelectorAll(
            '#screen > *, .screen-wall > li, #screen-closing > *')).filter(
            el => el.offsetParent !== null).map(el => el.getBoundingClientRect().bottom))"""
    )
    assert bottom <= PROJECTOR["height"], f"the projector runs off the wall ({bottom}px)"


def _check_projector(screen: Page, screens, name: str) -> None:
    screen.wait_for_timeout(400)  # the wall fits itself after a frame settles
    screens.shot(screen, name, full_page=False)
    _whole(screen)
    results = Axe().run(screen)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def _no_sideways_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the phone page scrolls sideways ({scroll}px on {width}px)"


def test_sixty_people_150_cards_themes_vote_agreement_and_links(
    library, organisation, facilitator, laptop: Page, phones, live_server_url, screens
):
    live = _ready_live(organisation, facilitator)
    unsaid = live.workshop.blocks.get(kind__slug="unsaid")
    _off_the_event_loop(lambda: services.live_goto_block(live=live, block=unsaid))
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    room = laptop
    room.set_viewport_size(LAPTOP)
    room.on("dialog", accept)
    log_in(room, "lili", PASSWORD)
    room.goto(f"/en-vivo/{live.pk}/")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    screen = room.context.new_page()
    screen_errors = watch_errors(screen)
    screen.set_viewport_size(PROJECTOR)
    screen.goto(f"/en-vivo/{live.pk}/proyector/")
    expect(screen.locator("#conn")).to_have_attribute("data-state", "online")

    # --- sixty people: three real phones and 57 simulated ones ---------------------------
    gabi, hugo, iris = phones(3)
    iris.set_viewport_size(NARROW)
    for page, name, area in (
        (gabi, "Gabi", "Ventas"),
        (hugo, "Hugo", "Compras"),
        (iris, "Iris", "Logística"),
    ):
        _join(page, code=live.display_code, token=live.qr_token, name=name, area=area)
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    simulated = SimulatedRoom(live_server_url, live.qr_token)
    try:
        simulated.join(SIMULATED)
        assert Participant.objects.filter(live=live).count() == 60

        # --- 150 cards, written at once: each acknowledged, stored once, in the queue ----
        texts = [frame.format(s=subject) for subject in SUBJECTS for frame in FRAMES]
        writers = itertools.cycle(simulated.phones)
        frames = [
            (
                next(writers),
                {"type": "contribute", "key": f"card-{n}", "text": text, "block": unsaid.pk},
            )
            for n, text in enumerate(texts)
        ]
        assert simulated.send_all(frames) == {}
        assert Contribution.objects.filter(live=live).count() == CARDS
        assert not Contribution.objects.filter(live=live, revealed_at__isnull=False).exists()
        expect(room.locator("#room-queue .wall-item")).to_have_count(CARDS)
        expect(screen.locator(".screen-queued")).to_contain_text(f"{CARDS} aportes por mostrar")
        expect(gabi.locator(".queued-note")).to_contain_text(f"{CARDS} aportes llegaron")

        # --- themes: Puente suggests, the facilitator accepts, edits, rejects ------------
        room.get_by_role("link", name=re.compile("Agrupar en temas")).click()
        expect(room.locator(".board-grid > .board-card")).to_have_count(CARDS)
        room.get_by_role("button", name="Sugerir temas").click()
        suggestions = room.locator(".suggestion")
        expect(suggestions.first).to_be_visible()
        offered = suggestions.count()
        assert offered >= 12, f"only {offered} suggestions for 15 themes of ten cards"
        screens.shot(room, "01-board-suggestions", full_page=False)
        # One edited: a card out and a name of the facilitator's own.
        first = suggestions.first
        first.locator("input[type=checkbox]").last.uncheck()
        first.get_by_label("Nombre del tema").fill("Lo que se promete sin consultar")
        first.get_by_role("button", name="Aceptar como tema").click()
        expect(room.locator(".theme-box")).to_have_count(1)
        # One rejected, the rest accepted as offered.
        room.locator(".suggestion").last.get_by_role("button", name="Descartar").click()
        expect(room.locator(".suggestion")).to_have_count(offered - 2)
        for accepted in range(offered - 2):
            room.locator(".suggestion").first.get_by_role(
                "button", name="Aceptar como tema"
            ).click()
            expect(room.locator(".theme-box")).to_have_count(accepted + 2)
        themes = list(Theme.objects.filter(live=live).order_by("id"))
        assert len(themes) == offered - 1
        assert themes[0].name == "Lo que se promete sin consultar"
        _no_sideways_scroll(room, LAPTOP["width"])
        screens.shot(room, "02-board-themes", full_page=False)

        # --- the facilitator shows the cards: the room sees themes, folded ---------------
        room.get_by_role("link", name="Volver a la sala de control").click()
        room.locator("#room-queue").get_by_role("button", name=re.compile("Mostrar los")).click()
        expect(room.locator("#room-queue .wall-item")).to_have_count(0)
        expect(screen.locator(".screen-theme").first).to_be_visible()
        expect(gabi.locator("#wall .wall-theme")).to_have_count(len(themes))
        _check_projector(screen, screens, "03-projector-themes")

        # --- the vote: 57 simulated phones and three real ones -------------------------
        room.locator("#room").get_by_role("button", name=re.compile("Iniciar votación")).click()
        expect(gabi.locator(".my-dots-left")).to_be_visible()
        favourites = [themes[0], themes[1], themes[2]]
        dots = [
            (
                phone,
                {
                    "type": "dot",
                    "action": "add",
                    "key": f"dot-{phone.index}-{k}",
                    "target": f"t{theme.pk}",
                },
            )
            for phone in simulated.phones
            for k, theme in enumerate(favourites[: 1 + phone.index % 3])
        ]
        assert simulated.send_all(dots) == {}
        for page in (gabi, hugo, iris):
            item = page.locator(f"#t-{themes[0].pk}")
            item.get_by_role("button", name="Dar un punto").click()
            expect(item.locator(".my-dots")).to_have_text("1")
        _no_sideways_scroll(iris, NARROW["width"])
        iris.locator("#wall").screenshot(path=str(screens.folder / "04-phone-320-vote.png"))
        expect(screen.locator("#screen-voting")).to_contain_text("60 de 60 personas votaron")
        _check_projector(screen, screens, "05-projector-voting")
        expected_dots = len(dots) + 3
        assert Dot.objects.filter(live=live).count() == expected_dots

        # --- the reveal ranks themes -----------------------------------------------------
        room.locator("#room").get_by_role("button", name="Revelar resultados").click()
        top = screen.locator(".screen-wall > li").first
        expect(top).to_contain_text("Lo que se promete sin consultar")
        expect(top).to_contain_text(f"{SIMULATED + 3} puntos")
        _check_projector(screen, screens, "06-projector-ranked")

        # --- an agreement from the most voted theme, consulted and recorded -------------
        agreements_block = live.workshop.blocks.get(kind__slug="agreements")
        room.locator(".timeline-item").filter(has_text=agreements_block.title).get_by_role(
            "button", name="Ir"
        ).click()
        expect(gabi.locator("#stage h1")).to_have_text(agreements_block.title)
        room.locator("#agreements").get_by_role("link", name="Nuevo acuerdo").click()
        room.locator(".top-list li").first.get_by_role("link", name="Convertir en acuerdo").click()
        expect(room.locator(".source-quote")).to_contain_text("Lo que se promete sin consultar")
        room.get_by_label("Qué se hará").fill(
            "Ventas confirma con Logística cada fecha de entrega antes de prometerla"
        )
        room.get_by_label("Ventas", exact=True).check()
        room.get_by_label("Logística", exact=True).check()
        room.locator("#id_owners-0-participant").select_option(label="Gabi · Ventas")
        room.locator("#id_owners-1-name").fill("Diego Ruiz")
        room.locator("#id_owners-1-area").select_option(label="Logística")
        room.get_by_label("Fecha de entrega").fill(
            (live.workshop.date + datetime.timedelta(days=30)).isoformat()
        )
        room.get_by_role("button", name="Crear borrador").click()
        card = room.locator("#agreements .agreement-card")
        card.get_by_role("button", name="Consultar a la sala").click()
        expect(card).to_contain_text("En consulta")
        agreement = Agreement.objects.get(live=live)
        consents = [
            (
                phone,
                {
                    "type": "consent",
                    "key": f"consent-{phone.index}",
                    "agreement": agreement.pk,
                    "version": 1,
                    "choice": "agree",
                },
            )
            for phone in simulated.phones
        ]
        assert simulated.send_all(consents) == {}
        for page in (gabi, hugo, iris):
            page.locator("#consent-form").get_by_role(
                "button", name="De acuerdo", exact=True
            ).click()
            expect(page.locator("#consent-done")).to_contain_text("Ya respondiste")
        expect(card).to_contain_text("60 respuestas a esta versión")
        expect(screen.locator("#consent-tally")).to_contain_text("60")
        _check_projector(screen, screens, "07-projector-consent")
        card.get_by_role("button", name="Registrar como acordado").click()
        expect(card).to_contain_text("Acordado")

        # --- owners leave with their link: Gabi on her phone, Diego on paper ------------
        link = gabi.locator(".my-agreements [data-owner-link]")
        expect(link).to_have_text(re.compile(r"^http://127\.0\.0\.1:\d+/acuerdo/"))
        gabi_owner = Owner.objects.get(participant__name="Gabi")
        diego = Owner.objects.get(name="Diego Ruiz")
        expect(room.locator(f"#delivery-{gabi_owner.pk}")).to_contain_text(
            "enlace visto en su celular"
        )
        expect(room.locator(f"#delivery-{diego.pk}")).to_contain_text("sin enlace")
        room.get_by_role("link", name="Imprimir 1 tarjeta de enlace").click()
        expect(room.locator(".owner-card")).to_contain_text("Diego Ruiz")
        screens.shot(room, "08-owner-card", full_page=False)
        room.get_by_role("button", name="Ya imprimí la tarjeta").click()
        expect(room.locator(f"#delivery-{diego.pk}")).to_contain_text("tarjeta impresa")

        # --- the end: every screen says so ---------------------------------------------
        room.get_by_role("button", name="Finalizar la sesión").click()
        expect(room.locator("#room-ended")).to_be_visible()
        for page in (gabi, hugo, iris):
            expect(page.get_by_role("heading", name="¡Gracias por conversar!")).to_be_visible()
        expect(screen.locator("#screen-closing")).to_contain_text("Ventas confirma con Logística")
        _check_projector(screen, screens, "09-projector-closing")
        screens.shot(room, "10-room-ended", full_page=False)
    finally:
        simulated.close()

    assert Contribution.objects.filter(live=live).count() == CARDS
    assert Dot.objects.filter(live=live).count() == expected_dots
    assert dialogs == ["¿Finalizar la sesión para todos? Nadie podrá enviar nada más."]
    assert screen_errors == [], f"projector console errors: {screen_errors}"
