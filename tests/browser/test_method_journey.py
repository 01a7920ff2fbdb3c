"""The method carried into the room, in real browsers: a session from the recommended 4-hour
template; the control room (1366×768) shows the current block's guide with its steps
following the timer and the escalation protocol one tap away; phones check in with an
emotion and a single word; the protocol calls a break whose return time every screen shows;
the projector (1920×1080) compares arrival and departure; the facilitator's run sheet
prints the guide."""

import datetime

from playwright.sync_api import Dialog, Page, expect

from facilitation import services
from facilitation.models import EmotionCheck, LiveSession
from tests.browser.conftest import log_in, watch_errors
from tests.browser.test_live_journey import (
    _join,
    _no_sideways_scroll,
    _off_the_event_loop,
    _top,
    answer_diagnosis,
)
from tests.conftest import PASSWORD
from workshops import method
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status

LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}


def _ready_live(organisation, facilitator) -> LiveSession:
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Un mismo cliente",
        purpose="Perdimos un pedido de 600 millones",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={area: 4 for area in organisation.areas.all()},
        template="cuatro-horas",
    )
    workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    return services.live_start(workshop=workshop)


def _goto(room: Page, title: str) -> None:
    room.locator("#timeline li").filter(has_text=title).get_by_role("button", name="Ir").click()
    expect(room.locator(".room-current h1")).to_have_text(title)


def _follow_up_live(organisation, facilitator) -> LiveSession:
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Seguimiento",
        date=datetime.date(2027, 1, 20),
        start_time=datetime.time(8, 0),
        invited={area: 4 for area in organisation.areas.all()},
        template="seguimiento",
    )
    workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    return services.live_start(workshop=workshop)


def _off_the_event_loop_value(function, *args):  # noqa: ANN001, ANN202
    """Like _off_the_event_loop, returning the function's value."""
    box = []
    _off_the_event_loop(lambda *a: box.append(function(*a)), *args)
    return box[0]


def _fits_the_projector(screen: Page, selector: str) -> None:
    """The last of these is wholly on the wall: nothing is cut off at the bottom or side."""
    box = screen.locator(selector).last.bounding_box()
    assert box["y"] + box["height"] <= PROJECTOR["height"], f"{selector} runs off the wall"
    assert screen.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]


def _set_elapsed(live: LiveSession, seconds: float) -> None:
    LiveSession.objects.filter(pk=live.pk).update(timer_elapsed_seconds=seconds)


def test_the_facilitator_is_guided_minute_by_minute_and_the_room_sees_the_outcome(
    library, organisation, facilitator, laptop: Page, phones, screens
):
    live = _ready_live(organisation, facilitator)
    room = laptop
    room.set_viewport_size(LAPTOP)
    confirmations: list[str] = []

    def accept(dialog: Dialog) -> None:
        confirmations.append(dialog.message)
        dialog.accept()

    room.on("dialog", accept)
    log_in(room, "lili", PASSWORD)
    room.goto(f"/en-vivo/{live.pk}/")
    expect(room.locator("#conn")).to_have_attribute("data-state", "online")
    screen = room.context.new_page()
    screen_errors = watch_errors(screen)
    screen.set_viewport_size(PROJECTOR)
    screen.goto(f"/en-vivo/{live.pk}/proyector/")

    ana, beto, caro = phones(3)
    for page, name, area in (
        (ana, "Ana", "Compras"),
        (beto, "Beto", "Ventas"),
        (caro, "Caro", "Logística"),
    ):
        _join(page, code=live.join_code, token=live.qr_token, name=name, area=area)
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")

    # --- the opening's guide: the steps, the script and the probes -----------------------
    expect(room.locator("#guide")).to_be_visible()
    opening = live.workshop.blocks.get(position=1)
    expect(room.locator("#guide .guide-step")).to_have_count(len(opening.steps))
    expect(room.locator("#guide .guide-step.is-current")).to_contain_text(opening.steps[0]["title"])
    expect(room.locator("#guide .notes-text")).to_contain_text("Perdimos un pedido de 600 millones")
    room.locator("[id^=guide-probes] summary").click()
    expect(room.locator("[id^=guide-probes] li").first).to_be_visible()
    screens.shot(room, "01-room-opening-guide", full_page=False)

    # --- the diagnosis of the nine situations: the room's map --------------------------
    room.get_by_role("button", name="Siguiente").click()
    expect(ana.locator("#diagnosis-form fieldset")).to_have_count(9)
    _no_sideways_scroll(ana)
    screens.shot(_top(ana), "01-phone-diagnosis")
    for page, level in ((ana, 3), (beto, 3), (caro, 2)):
        answer_diagnosis(page, level)
    expect(room.locator("#diagnosis")).to_contain_text("3 respondieron")
    room.get_by_role("button", name="Mostrar el mapa (cierra el diagnóstico)").click()
    expect(screen.locator("#screen-diagnosis .diagnosis-row")).to_have_count(9)
    expect(room.locator("#diagnosis")).to_contain_text("3 personas respondieron")
    _fits_the_projector(screen, "#screen-diagnosis .diagnosis-row")
    screens.shot(screen, "01-projector-diagnosis", full_page=False)

    # --- check-in: an emotion and one word, one prompt on the phone ----------------------
    room.get_by_role("button", name="Siguiente").click()
    expect(room.locator(".room-current h1")).to_have_text("¿Cómo llego hoy?")
    # Each block's guide starts folded; what the facilitator opens stays open.
    expect(room.locator("[id^=guide-probes]")).not_to_have_attribute("open", "")
    room.locator("[id^=guide-probes] summary").click()
    for page, emotion, word in (
        (ana, "Desconfianza", "cansada"),
        (beto, "Escepticismo", "expectante"),
        (caro, "Desconfianza", "Cansada"),
    ):
        expect(page.locator("#stage .live-question")).to_have_count(1)
        expect(page.locator("#stage .live-question")).to_contain_text("emoción")
        expect(page.get_by_text("Tu emoción", exact=True)).to_be_visible()
        page.get_by_label(emotion, exact=True).check()
        page.get_by_label("Una palabra (opcional)").fill(word)
        page.get_by_role("button", name="Enviar emoción").click()
        expect(page.get_by_text("Gracias. Puedes cambiarla")).to_be_visible()
        _no_sideways_scroll(page)
    screens.shot(ana, "02-phone-checkin-with-word")
    # The probes stayed open through the broadcasts (three emotions) that replaced the room.
    expect(room.locator("[id^=guide-probes]")).to_have_attribute("open", "")
    expect(screen.locator(".room-words")).to_contain_text("cansada")
    expect(screen.locator(".room-words")).to_contain_text("×2")
    assert set(EmotionCheck.objects.filter(live=live).values_list("word", flat=True)) == {
        "cansada",
        "Cansada",
        "expectante",
    }
    screens.shot(screen, "02-projector-checkin", full_page=False)

    # A sentence is not a word: the phone says so and its socket stays open.
    ana.get_by_label("Una palabra (opcional)").fill("muy muy cansada")
    ana.get_by_role("button", name="Enviar emoción").click()
    expect(ana.locator("#notice")).to_contain_text("Escribe una sola palabra")
    expect(ana.locator("#conn")).to_have_attribute("data-state", "online")

    # --- principles: the room commits together; one reservation, without a name ---------
    _goto(room, "Supuestos, principios y acuerdos de convivencia")
    for page in (ana, beto, caro):
        expect(page.locator("#commitment .principle")).to_have_count(10)
    caro.get_by_label("Si tienes una reserva").fill("Necesito ver que los jefes también cumplen")
    caro.get_by_role("button", name="Tengo una reserva").click()
    for page in (ana, beto):
        page.get_by_role("button", name="Me comprometo").click()
    expect(room.locator("#commitments")).to_contain_text("3 respondieron")
    room.get_by_role("button", name="Mostrar compromisos y reservas").click()
    expect(room.locator("#commitments")).to_contain_text("2 se comprometen")
    expect(room.locator("#commitments")).to_contain_text("1 reserva")
    expect(room.locator("#commitments")).to_contain_text("Necesito ver que los jefes")
    screens.shot(_top(caro), "02-phone-principles-answered")
    room.locator("#commitments").scroll_into_view_if_needed()
    screens.shot(room, "02-room-commitments", full_page=False)

    # --- "lo que no se ha dicho": the current step follows the timer ---------------------
    _goto(room, "Lo que no se ha dicho")
    unsaid = live.workshop.blocks.get(kind__slug="unsaid")
    expect(room.locator("#guide .guide-step.is-current")).to_contain_text(unsaid.steps[0]["title"])
    first_end = unsaid.steps[0]["minutes"] * 60
    _off_the_event_loop(_set_elapsed, live, first_end - 2)
    room.get_by_role("button", name="Iniciar tiempo").click()
    expect(room.locator("#guide .guide-step.is-current")).to_contain_text(unsaid.steps[0]["title"])
    # Two seconds later the step changes by itself, with no broadcast.
    expect(room.locator("#guide .guide-step.is-current")).to_contain_text(
        unsaid.steps[1]["title"], timeout=6_000
    )
    expect(room.locator('#guide [aria-current="step"]')).to_have_count(1)
    screens.shot(room, "03-room-unsaid-step", full_page=False)
    screens.shot(room, "03-room-unsaid-full")

    # Someone arriving now sees the principles and answers them on arrival.
    (dani,) = phones(1)
    _join(dani, code=live.join_code, token=live.qr_token, name="Dani", area="Ventas")
    expect(dani.locator("#stage h1")).to_have_text("Lo que no se ha dicho")
    expect(dani.locator("#commitment-form")).to_be_visible()
    dani.get_by_role("button", name="Me comprometo").click()
    expect(dani.locator("#commitment")).to_be_hidden()
    expect(room.locator("#commitments")).to_contain_text("3 se comprometen")
    for page in (ana, beto, caro):
        expect(page.locator("#commitment")).to_be_hidden()

    # --- the escalation protocol: one tap away, and it acts ------------------------------
    room.get_by_text("Si la sala se tensa: protocolo").click()
    cases = method.escalation()
    expect(room.locator(".escalation-case")).to_have_count(len(cases))
    screens.shot(room, "04-room-escalation", full_page=False)
    principle_case = next(c for c in cases if c.action == "push_principle")
    room.locator(".escalation-case").filter(has_text=principle_case.situation).get_by_role(
        "button"
    ).click()
    for page in (ana, beto, caro):
        expect(page.locator(".pushed-principle")).to_be_visible()
    break_case = next(c for c in cases if c.action == "call_break")
    room.locator(".escalation-case").filter(has_text=break_case.situation).get_by_role(
        "button"
    ).click()
    expect(room.locator(".room-current h1")).to_have_text("Pausa")
    assert any("pausa" in message for message in confirmations)
    for page in (ana, beto, caro):
        expect(page.locator("#stage .returns-at")).to_contain_text("Regresamos a las")
    expect(screen.locator(".screen-returns")).to_contain_text("Regresamos a las")
    expect(room.locator(".returns-at")).to_contain_text("Regresamos a las")
    screens.shot(beto, "05-phone-break")
    screens.shot(screen, "05-projector-break", full_page=False)

    # --- check-out: arrival and departure side by side on the projector ------------------
    _goto(room, "¿Cómo me voy?")
    for page, emotion in ((ana, "Confianza"), (beto, "Esperanza"), (caro, "Confianza")):
        expect(page.locator("#stage h1")).to_have_text("¿Cómo me voy?")
        page.get_by_label(emotion, exact=True).check()
        page.get_by_role("button", name="Enviar emoción").click()
        expect(page.get_by_text("Gracias. Puedes cambiarla")).to_be_visible()
    checkin = screen.locator('.emotion-moment[data-moment="checkin"]')
    checkout = screen.locator('.emotion-moment[data-moment="checkout"]')
    expect(checkin.locator(".bar-label").first).to_have_text("Desconfianza · 2")
    expect(checkout.locator(".bar-label").first).to_have_text("Confianza · 2")
    left, right = checkin.bounding_box(), checkout.bounding_box()
    assert left["x"] + left["width"] <= right["x"], "arrival and departure are side by side"
    assert right["x"] + right["width"] <= PROJECTOR["width"]
    assert screen.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]
    screens.shot(screen, "06-projector-compare", full_page=False)
    screens.shot(room, "06-room-checkout")
    assert not screen_errors

    # --- weeks later, the follow-up session compares the diagnosis ----------------------
    later = _off_the_event_loop_value(_follow_up_live, organisation, facilitator)
    screen.goto(f"/en-vivo/{later.pk}/proyector/")
    room.goto(f"/en-vivo/{later.pk}/")
    _goto(room, "Diagnóstico: qué cambió")
    (eva, fabio, gina) = phones(3)
    for page, name, area, level in (
        (eva, "Eva", "Compras", 1),
        (fabio, "Fabio", "Ventas", 0),
        (gina, "Gina", "Logística", 1),
    ):
        _join(page, code=later.join_code, token=later.qr_token, name=name, area=area)
        answer_diagnosis(page, level)
    room.get_by_role("button", name="Mostrar el mapa (cierra el diagnóstico)").click()
    earlier = screen.locator("#screen-diagnosis .diagnosis-earlier")
    expect(earlier).to_have_count(9)
    expect(earlier.first).to_contain_text("antes 89 %")
    expect(screen.locator("#screen-diagnosis .diagnosis-score").first).to_have_text("22 %")
    expect(screen.locator(".diagnosis-legend")).to_contain_text("Un mismo cliente")
    _fits_the_projector(screen, "#screen-diagnosis .diagnosis-row")
    screens.shot(screen, "08-projector-diagnosis-compared", full_page=False)
    screens.shot(room, "08-room-diagnosis-compared", full_page=False)

    # --- the facilitator's run sheet prints the guide and the protocol -------------------
    room.goto(f"/sesiones/{live.workshop_id}/hoja-de-ruta/")
    expect(room.locator(".steps").first).to_be_visible()
    expect(room.locator("#escalation")).to_contain_text(break_case.situation)
    screens.shot(room, "07-runsheet-guide")
