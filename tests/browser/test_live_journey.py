"""A live session in real browsers: the facilitator's laptop, the projector (a second window
of the laptop's browser) and three phones, one per area, through the check-in, a principle
pushed to every screen, an area round, a café round at mixed tables, the anonymous block and
a dot vote. One phone loses its connection with a contribution pending and comes back: the
contribution is stored and shown exactly once everywhere. Markup typed by a participant stays
text on every screen."""

import datetime
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connection
from playwright.sync_api import Dialog, Page, expect

from facilitation import services
from facilitation.models import Contribution, Dot, EmotionCheck, LiveSession, Participant
from tests.browser.conftest import allow_console_error, log_in, watch_errors
from tests.conftest import PASSWORD
from workshops.models import Organisation, Principle, Workshop
from workshops.services import workshop_create, workshop_set_status

XSS = "<img src=x onerror=alert(1)>"
PROJECTOR = {"width": 1600, "height": 900}
# The socket of a phone that went offline is noticed by the heartbeat (10 s beat, 25 s of
# silence) when the browser does not close it at once; reconnecting backs off up to 8 s.
NETWORK_MS = 45_000


def _ready_live(organisation, facilitator) -> LiveSession:
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Compras, Ventas y Logística: un mismo cliente",
        purpose="Perdimos un pedido de 600 millones",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={area: 4 for area in organisation.areas.all()},
        template="tres-horas",
    )
    workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    return services.live_start(workshop=workshop)


def _off_the_event_loop(function: Callable[..., object], *args: object) -> None:
    """Run a service in a thread of its own: Playwright's loop runs in the test's thread, and
    a broadcast after commit must not run inside it."""

    def run() -> None:
        try:
            function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()


def _three_more_people(live: LiveSession, organisation: Organisation) -> None:
    areas = {area.slug: area for area in organisation.areas.all()}
    for name, slug in (("Diana", "compras"), ("Eli", "ventas"), ("Fer", "logistica")):
        services.participant_commit(
            participant=services.participant_join(live=live, name=name, area=areas[slug])
        )


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone page scrolls sideways ({width}px)"


def _join(page: Page, *, code: str | None, token: str, name: str, area: str) -> None:
    if code is not None:
        page.goto("/unirse/")
        page.get_by_label("Código de la sesión").fill(code)
        page.get_by_role("button", name="Continuar").click()
    else:
        page.goto(f"/p/{token}/")  # the QR code's link
    expect(page.get_by_label("Tu nombre o un alias")).to_be_visible()
    page.get_by_label("Tu nombre o un alias").fill(name)
    page.get_by_label(area).check()
    page.get_by_label("Leí el aviso de privacidad").check()
    page.get_by_role("button", name="Entrar a la sesión").click()
    # A name and an area only: the principles come in their own block.
    expect(page.locator("#stage")).to_be_visible()


def answer_diagnosis(page: Page, level: int) -> None:
    """Mark every situation at the same level on a phone, then send."""
    items = page.locator("#diagnosis-form fieldset")
    expect(items).to_have_count(9)
    for index in range(9):
        items.nth(index).locator("label").nth(level).click()
    page.get_by_role("button", name="Enviar diagnóstico").click()


def _top(page: Page) -> Page:
    """Scroll to the top before a full-page shot (the sticky header would land mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    return page


def _wall_count(page: Page, selector: str, text: str) -> None:
    expect(page.locator(selector).filter(has_text=text)).to_have_count(1)


def test_live_session_on_laptop_projector_and_three_phones(
    library, organisation, facilitator, laptop: Page, phones, screens
):
    live = _ready_live(organisation, facilitator)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    # --- the facilitator opens the control room and the projector -------------------------
    room = laptop
    room.on("dialog", on_dialog)
    log_in(room, "lili", PASSWORD)
    room.goto(f"/en-vivo/{live.pk}/")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    screen = room.context.new_page()
    screen_errors = watch_errors(screen)
    screen.on("dialog", on_dialog)
    screen.set_viewport_size(PROJECTOR)
    screen.goto(f"/en-vivo/{live.pk}/proyector/")
    expect(screen.locator(".join-panel")).to_be_visible()
    expect(screen.locator(".join-panel .code-huge")).to_have_text(live.display_code)
    expect(screen.locator(".join-panel svg")).to_be_visible()
    screens.shot(room, "01-room-before-joining")
    screens.shot(screen, "01-projector-arrival", full_page=False)

    # --- three phones join: two type the code, one scans the QR code --------------------
    ana, beto, caro = phones(3)
    for page in (ana, beto, caro):
        page.on("dialog", on_dialog)
    _join(ana, code=live.display_code.lower(), token=live.qr_token, name="Ana", area="Compras")
    screens.shot(ana, "02-phone-joined", full_page=False)
    _join(beto, code=live.join_code, token=live.qr_token, name=XSS, area="Ventas")
    _join(caro, code=None, token=live.qr_token, name="Caro", area="Logística")
    for page in (ana, beto, caro):
        expect(page.get_by_role("button", name="Me comprometo")).to_be_hidden()
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(page.locator("#stage h1")).to_have_text("Apertura: el propósito de hoy")
        _no_sideways_scroll(page)
    expect(beto.locator(".live-header .who")).to_contain_text(XSS)
    expect(room.locator("#participants li")).to_have_count(3)
    expect(room.locator("#participants")).to_contain_text(XSS)
    screens.shot(ana, "03-phone-ana-opening", full_page=False)
    screens.shot(beto, "03-phone-beto-opening", full_page=False)
    screens.shot(room, "03-room-three-joined")

    # --- diagnosis: the nine situations, anonymously; the projector shows the map ---------
    room.get_by_role("button", name="Siguiente").click()
    for page, level in ((ana, 3), (beto, 2), (caro, 2)):
        expect(page.locator("#stage h1")).to_have_text("Diagnóstico: lo que pasa hoy")
        answer_diagnosis(page, level)
        expect(page.locator("#diagnosis-done")).to_contain_text("Gracias")
        _no_sideways_scroll(page)
    # While answers come in, the screens show only how many answered.
    expect(screen.locator("#screen-diagnosis")).to_contain_text("3 personas respondieron")
    expect(screen.locator("#screen-diagnosis .diagnosis-row")).to_have_count(0)
    room.get_by_role("button", name="Mostrar el mapa (cierra el diagnóstico)").click()
    expect(screen.locator("#screen-diagnosis .diagnosis-row")).to_have_count(9)
    expect(screen.locator("#screen-diagnosis .diagnosis-score").first).to_have_text("78 %")
    screens.shot(screen, "03-projector-diagnosis", full_page=False)

    # --- emotional check-in: the projector shows the room's chart ------------------------
    room.get_by_role("button", name="Siguiente").click()
    for page, emotion in ((ana, "Curiosidad"), (beto, "Preocupación"), (caro, "Curiosidad")):
        expect(page.locator("#stage h1")).to_have_text("¿Cómo llego hoy?")
        expect(page.locator("#stage .live-question")).to_contain_text("¿Con qué emoción llegas hoy")
        expect(page.get_by_text("Tu emoción", exact=True)).to_be_visible()
        page.get_by_label(emotion).check()
        page.get_by_role("button", name="Enviar emoción").click()
        expect(page.get_by_text("Gracias. Puedes cambiarla")).to_be_visible()
    for page in (ana, beto, caro):
        _no_sideways_scroll(page)
    screens.shot(ana, "04-phone-checkin", full_page=False)
    expect(screen.locator(".bars-large li").filter(has_text="Curiosidad")).to_contain_text("2")
    expect(screen.locator(".bars-large li").filter(has_text="Preocupación")).to_contain_text("1")
    expect(room.locator("#emotions .bar-label").filter(has_text="Curiosidad")).to_have_text(
        "Curiosidad · 2"
    )
    assert EmotionCheck.objects.filter(live=live, moment="checkin").count() == 3
    screens.shot(screen, "04-projector-checkin", full_page=False)
    screens.shot(room, "04-room-checkin")

    # --- principles: the facilitator pushes one to every screen --------------------------
    room.get_by_role("button", name="Siguiente").click()
    expect(ana.locator("#stage h1")).to_have_text("Supuestos y principios")
    # Every phone shows the assumptions and principles and asks; one person has a reservation.
    for page in (ana, beto, caro):
        expect(page.locator("#commitment")).to_be_visible()
        expect(page.locator("#commitment .principle")).to_have_count(10)
    screens.shot(_top(caro), "05-phone-principles")
    ana.get_by_label("Si tienes una reserva").fill("Me cuesta creer que esto cambie")
    ana.get_by_role("button", name="Tengo una reserva").click()
    for page in (beto, caro):
        page.get_by_role("button", name="Me comprometo").click()
    for page in (ana, beto, caro):
        expect(page.locator("#commitment-done")).to_contain_text(
            "Gracias: tu respuesta quedó registrada"
        )
        expect(page.locator("#commitment-form")).to_be_hidden()
        _no_sideways_scroll(page)
    expect(room.locator("#commitments")).to_contain_text("3 respondieron")
    expect(room.locator("#commitments")).not_to_contain_text("Me cuesta creer")
    expect(screen.locator("#screen-commitments")).to_contain_text("3 personas respondieron")
    room.get_by_role("button", name="Mostrar compromisos y reservas").click()
    expect(room.locator("#commitments")).to_contain_text("2 se comprometen")
    expect(room.locator("#commitments")).to_contain_text("Me cuesta creer que esto cambie")
    expect(room.locator("#commitments")).not_to_contain_text("Ana")
    expect(screen.locator("#screen-commitments")).to_contain_text("2 personas se comprometen")
    # The room proposes its acuerdos de convivencia; the facilitator keeps two of three.
    for page, rule in (
        (ana, "Lo que se dice aquí se queda aquí"),
        (beto, "Celular solo para la sesión"),
        (caro, "Hablar de hechos, no de personas"),
    ):
        page.get_by_label("Propón un acuerdo de convivencia").fill(rule)
        page.get_by_role("button", name="Proponer").click()
    expect(room.locator("#commitments .ground-rule")).to_have_count(3)
    for rule in ("Lo que se dice aquí se queda aquí", "Hablar de hechos, no de personas"):
        room.locator(".ground-rule").filter(has_text=rule).get_by_role(
            "button", name="Conservar"
        ).click()
        expect(room.locator(".ground-rule.is-kept").filter(has_text=rule)).to_have_count(1)
    for page in (ana, beto, caro):
        expect(page.locator("#ground-rules li")).to_have_count(2)
    expect(screen.locator("#screen-rules li")).to_have_count(2)
    screens.shot(_top(beto), "05-phone-ground-rules")
    screens.shot(room, "05-room-commitments-and-rules")
    principle = Principle.objects.get(slug="escucha")
    room.get_by_text("Mostrar un principio en todas las pantallas").click()
    room.get_by_role("button", name=principle.name).click()
    for page in (ana, beto, caro):
        expect(page.locator(".pushed-principle h2")).to_have_text(principle.name)
    expect(screen.locator(".screen-principle h1")).to_have_text(principle.name)
    expect(room.locator(".pushed-now")).to_contain_text(principle.name)
    screens.shot(caro, "05-phone-principle", full_page=False)
    screens.shot(screen, "05-projector-principle", full_page=False)
    screens.shot(room, "05-room-principle")

    # --- area round: contributions, the balance of voices, and a phone that drops --------
    room.get_by_role("button", name="Siguiente").click()
    for page in (ana, beto, caro):
        expect(page.locator("#stage h1")).to_have_text("Ronda por área: cómo lo vivimos hoy")
        expect(page.locator(".pushed-principle")).to_have_count(0)
        # The kept rules stay one tap away, folded, for the rest of the session.
        expect(page.locator("#ground-rules")).not_to_have_attribute("open", "")
        expect(page.locator("#ground-rules summary")).to_contain_text("(2)")
    expect(screen.locator("#screen-rules.is-compact li")).to_have_count(2)
    beto.get_by_label("Tu aporte").fill(f"Prometemos fechas sin preguntar {XSS}")
    beto.get_by_role("button", name="Enviar", exact=True).click()
    caro.get_by_label("Tu aporte").fill("Nos enteramos de los pedidos urgentes cuando ya salieron")
    caro.get_by_role("button", name="Enviar", exact=True).click()
    expect(beto.locator("#mine li").first).to_contain_text("Enviado")
    expect(room.locator("#room-wall .wall-item")).to_have_count(2)
    # Compras has not spoken yet: the control room shows it.
    expect(room.locator("#presence tr.silent")).to_have_count(1)
    expect(room.locator("#presence tr.silent")).to_contain_text("Compras")
    screens.shot(room, "06-room-silent-area")

    # Ana's phone loses the network. The browser keeps the socket open but silent: what she
    # sends now goes nowhere, stays pending, and the heartbeat notices the dead connection.
    offline_text = "Compramos barato pero tarde: nadie nos dijo que era urgente"
    allow_console_error(ana, r"WebSocket connection to .* failed: .*ERR_INTERNET_DISCONNECTED")
    ana.context.set_offline(True)
    ana.get_by_label("Tu aporte").fill(offline_text)
    ana.get_by_role("button", name="Enviar", exact=True).click()
    pending = ana.locator("#mine li").filter(has_text=offline_text)
    expect(pending).to_contain_text("Pendiente de envío")
    # The browser says the network is gone: the phone says so within seconds, not after
    # the heartbeat's half minute.
    expect(ana.locator("#conn")).to_have_attribute("data-state", "offline", timeout=5_000)
    expect(ana.locator("#conn")).to_have_text("Sin conexión: lo pendiente se enviará al volver")
    expect(pending).to_contain_text("Pendiente de envío")
    pending.scroll_into_view_if_needed()
    screens.shot(ana, "06-phone-offline-pending", full_page=False)
    assert not Contribution.objects.filter(text=offline_text).exists()
    expect(room.locator("#room-wall .wall-item")).to_have_count(2)

    ana.context.set_offline(False)
    expect(pending).to_contain_text("Enviado", timeout=NETWORK_MS)
    expect(ana.locator("#conn")).to_have_attribute("data-state", "online")
    _wall_count(room, "#room-wall .wall-text", offline_text)
    _wall_count(screen, ".screen-card p", offline_text)
    for page in (ana, beto, caro):
        _wall_count(page, "#wall .wall-text", offline_text)
    expect(ana.locator("#mine li").filter(has_text=offline_text)).to_have_count(1)
    assert Contribution.objects.filter(live=live, text=offline_text).count() == 1
    expect(room.locator("#presence tr.silent")).to_have_count(0)
    expect(room.locator("#presence tr").filter(has_text="Compras")).to_contain_text("1")
    screens.shot(_top(ana), "07-phone-back-online")
    screens.shot(_top(beto), "07-phone-beto-wall")
    screens.shot(screen, "07-projector-wall", full_page=False)
    screens.shot(room, "07-room-balance-of-voices")

    # --- café round: mixed tables; each phone shows its table -----------------------------
    # Three more people in the room (on phones this test does not drive) make two tables.
    _off_the_event_loop(_three_more_people, live, organisation)
    room.get_by_role("button", name="Siguiente").click()
    expect(ana.locator("#stage h1")).to_have_text(
        "Mesas mixtas: lo que hay detrás del «no le importa»"
    )
    room.get_by_label("Personas por mesa").fill("3")
    room.get_by_role("button", name="Armar mesas").click()
    expect(room.locator("#tables .table-card")).to_have_count(2)
    for page in (ana, beto, caro):
        me = Participant.objects.get(live=live, name={ana: "Ana", beto: XSS, caro: "Caro"}[page])
        assert me.table_number in {1, 2}
        expect(page.locator("#me .my-table")).to_contain_text(f"Tu mesa: {me.table_number}")
        # ... and who else sits there.
        for mate in Participant.objects.filter(live=live, table_number=me.table_number).exclude(
            pk=me.pk
        ):
            expect(page.locator("#me .table-mates")).to_contain_text(mate.name)
    for number in (1, 2):
        seated = Participant.objects.filter(live=live, table_number=number)
        assert sorted(p.area.slug for p in seated) == ["compras", "logistica", "ventas"]
    expect(screen.locator(".tables-screen .table-card")).to_have_count(2)
    screens.shot(caro, "08-phone-table", full_page=False)
    screens.shot(screen, "08-projector-tables", full_page=False)
    screens.shot(room, "08-room-tables")

    # --- what has not been said: anonymous, no author anywhere ----------------------------
    unsaid = live.workshop.blocks.get(kind__slug="unsaid")
    room.locator(".timeline-item").filter(has_text=unsaid.title).get_by_role(
        "button", name="Ir"
    ).click()
    expect(caro.locator("#stage h1")).to_have_text(unsaid.title)
    expect(caro.locator("[data-anonymous-note]")).to_be_visible()
    secret = "Logística y Ventas no se hablan desde la auditoría"
    caro.get_by_label("Tu aporte").fill(secret)
    caro.get_by_role("button", name="Enviar", exact=True).click()
    expect(caro.locator("#mine li").filter(has_text=secret)).to_contain_text("Enviado")
    # The anonymous block reveals first: the card waits in the facilitator's queue, the
    # room only knows one is waiting; the facilitator shows it.
    queued = room.locator("#room-queue .wall-item").filter(has_text=secret)
    expect(queued).to_contain_text("Anónimo")
    expect(screen.locator(".screen-queued")).to_contain_text("1 aporte por mostrar")
    expect(ana.locator(".queued-note")).to_contain_text("1 aporte llegó")
    expect(screen.locator(".screen-card").filter(has_text=secret)).to_have_count(0)
    screens.shot(room, "09-room-queue")
    queued.get_by_role("button", name="Mostrar").click()
    card = screen.locator(".screen-card").filter(has_text=secret)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Anónimo")
    expect(card).not_to_contain_text("Caro")
    expect(card).not_to_contain_text("Logística ·")
    item = room.locator("#room-wall .wall-item").filter(has_text=secret)
    expect(item).to_contain_text("Anónimo")
    expect(item).not_to_contain_text("Caro")
    stored = Contribution.objects.get(live=live, text=secret)
    assert stored.participant_id is None and stored.area_id is None
    screens.shot(caro, "09-phone-anonymous", full_page=False)
    screens.shot(screen, "09-projector-anonymous", full_page=False)
    screens.shot(room, "09-room-anonymous")

    # --- dreaming together: contributions, then a dot vote -------------------------------
    dream = live.workshop.blocks.get(kind__slug="dream")
    room.locator(".timeline-item").filter(has_text=dream.title).get_by_role(
        "button", name="Ir"
    ).click()
    ideas = {
        ana: "Una reunión de 15 minutos cada mañana entre las tres áreas",
        beto: "Ventas confirma la fecha con Logística antes de prometerla",
    }
    for page, idea in ideas.items():
        expect(page.locator("#stage h1")).to_have_text(dream.title)
        page.get_by_label("Tu aporte").fill(idea)
        page.get_by_role("button", name="Enviar", exact=True).click()
    expect(room.locator("#room-wall .wall-item")).to_have_count(2)
    room.get_by_role("button", name=re.compile("Iniciar votación")).click()
    first, second = ideas[ana], ideas[beto]
    for page, taps in ((ana, (first, first)), (beto, (first, second)), (caro, (second,))):
        expect(page.get_by_text("Votación abierta")).to_be_visible()
        for text in taps:
            plus = (
                page.locator("#wall .wall-item").filter(has_text=text).get_by_label("Dar un punto")
            )
            expect(plus).to_be_enabled()
            plus.click()
        left = 3 - len(taps)
        expect(page.locator(".my-dots-left")).to_contain_text(f"{left} punto")
    expect(
        ana.locator("#wall .wall-item").filter(has_text=first).locator("[data-dot-count]")
    ).to_have_text("2")
    screens.shot(_top(ana), "10-phone-voting")
    assert Dot.objects.filter(live=live).count() == 5
    room.get_by_role("button", name="Revelar resultados").click()
    expect(screen.locator(".screen-card").first).to_contain_text(first)
    expect(screen.locator(".screen-card").first).to_contain_text("3 puntos")
    expect(screen.locator(".screen-card").nth(1)).to_contain_text("2 puntos")
    expect(ana.get_by_text("Resultados de la votación")).to_be_visible()
    screens.shot(_top(ana), "11-phone-results")
    screens.shot(screen, "11-projector-results", full_page=False)
    screens.shot(room, "11-room-results")

    # --- markup typed by a participant stayed text everywhere, nothing ran ----------------
    for page in (room, screen, ana, beto, caro):
        assert page.locator("img[src='x']").count() == 0
    assert dialogs == [], f"a dialog opened: {dialogs}"
    assert screen_errors == [], f"projector console errors: {screen_errors}"


def _timer_seconds(page: Page) -> int:
    text = page.locator("#stage [data-timer]").inner_text().strip()
    minutes, seconds = text.lstrip("-").split(":")
    return int(minutes) * 60 + int(seconds)


def test_a_phone_joining_while_the_timer_runs_counts_from_the_same_second(
    library, organisation, facilitator, phones
):
    """The server reuses its last render of the phones' view for a phone that joins (nothing
    the phones see changed); that frame says how old it is, so the new phone's timer does not
    run seconds behind the others'."""
    live = _ready_live(organisation, facilitator)
    _off_the_event_loop(lambda: services.timer_start(live=LiveSession.objects.get(pk=live.pk)))
    ana, beto = phones(2)
    _join(ana, code=None, token=live.qr_token, name="Ana", area="Compras")
    expect(ana.locator("#conn")).to_have_attribute("data-state", "online")
    ana.wait_for_timeout(4_000)  # the render Ana's phone got is now four seconds old
    _join(beto, code=None, token=live.qr_token, name="Beto", area="Ventas")
    expect(beto.locator("#conn")).to_have_attribute("data-state", "online")
    beto.wait_for_timeout(1_500)  # the socket's snapshot has replaced the page's stage
    first, second = _timer_seconds(ana), _timer_seconds(beto)
    assert abs(first - second) <= 1, (first, second)
