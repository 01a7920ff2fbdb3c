"""After the session: the manager filters the agreements dashboard by area, exports the CSV and
opens an agreement; its owner marks it "en curso" from a phone through their private link; the
manager sees the update in the history. The acta is printed to PDF and turned into PNG pages
in the screenshots folder for a person to look at."""

import datetime
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Page, expect

from agreements import services
from agreements.services import OwnerInput
from facilitation import services as live_services
from tests.agreements.conftest import agree
from tests.browser.conftest import PHONE, log_in
from tests.conftest import PASSWORD
from tests.facilitation.conftest import goto
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status

NOTE = "Primera reunión hecha; falta sumar a Logística."


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run `make browser` (Debian's poppler-utils).")
    return path


def _session(organisation, facilitator):
    """A session that happened today: check-in, contributions, a dot, two agreements."""
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="El pedido perdido de Ferretería Sur",
        date=timezone.localdate(),
        start_time=datetime.time(8, 0),
        place="Sala Cóndor, piso 3",
        invited={area: 4 for area in organisation.areas.all()},
        template="tres-horas",
    )
    live = live_services.live_start(
        workshop=workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    )
    areas = {area.slug: area for area in organisation.areas.all()}
    people = {}
    for slug, name in (("compras", "Ana"), ("ventas", "Beto"), ("logistica", "Caro")):
        person = live_services.participant_join(live=live, name=name, area=areas[slug])
        people[slug] = live_services.participant_commit(participant=person)
    for slug, emotion in (("compras", "curiosidad"), ("ventas", "frustracion")):
        live_services.emotion_submit(
            participant=people[slug], moment="checkin", emotion=emotion, intensity=3
        )
    dream = workshop.blocks.get(kind__slug="dream")
    live = live_services.live_goto_block(live=live, block=dream)
    live = live_services.contributions_set_open(live=live, open=True)
    wish, _ = live_services.contribution_submit(
        participant=people["ventas"],
        key="w1",
        text="Que Compras vea el pipeline de Ventas cada semana",
        block_id=dream.pk,
    )
    live = live_services.voting_set_open(live=live, open=True)
    live_services.dot_place(participant=people["compras"], key="d1", contribution_id=wish.pk)
    live = goto(live, "unsaid")
    live = live_services.contributions_set_open(live=live, open=True)
    live_services.contribution_submit(
        participant=people["logistica"],
        key="u1",
        text="Nos enteramos de los pedidos grandes por el cliente",
        block_id=live.current_block_id,
    )
    # The anonymous block reveals first: the facilitator showed it to the room.
    live_services.contributions_reveal(live=live, block=live.current_block)
    live = goto(live, "agreements")
    pipeline = agree(
        live,
        facilitator.user,
        text="Compartir el pipeline de Ventas con Compras cada lunes",
        problem="Compras se entera tarde de los pedidos grandes",
        indicator="Cuatro lunes seguidos con el pipeline enviado",
        due=timezone.localdate() + datetime.timedelta(days=30),
        areas=[areas["ventas"], areas["compras"]],
        owners=[
            OwnerInput(name="Diego Ruiz", area=areas["ventas"]),
            OwnerInput(name="", area=areas["compras"], participant=people["compras"]),
        ],
        sources=[wish],
    )
    agree(
        live,
        facilitator.user,
        text="Avisar a Ventas el mismo día de cada despacho retrasado",
        due=timezone.localdate() + datetime.timedelta(days=10),
        areas=[areas["logistica"]],
        owners=[OwnerInput(name="", area=areas["logistica"], participant=people["logistica"])],
    )
    for slug, emotion in (("compras", "esperanza"), ("ventas", "esperanza")):
        live_services.emotion_submit(
            participant=people[slug], moment="checkout", emotion=emotion, intensity=4
        )
    live_services.live_close(live=live)

    # An earlier session whose Logística agreement is already late.
    earlier = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Logística y Ventas: dar la cara",
        date=timezone.localdate() - datetime.timedelta(days=40),
        start_time=datetime.time(9, 0),
        invited={area: 3 for area in organisation.areas.all()},
        template="tres-horas",
    )
    earlier_live = live_services.live_start(
        workshop=workshop_set_status(workshop=earlier, status=Workshop.Status.READY)
    )
    agree(
        earlier_live,
        facilitator.user,
        text="Publicar cada mañana el estado de los despachos",
        due=timezone.localdate() - datetime.timedelta(days=5),
        areas=[areas["logistica"]],
        owners=[OwnerInput(name="Elena Paz", area=areas["logistica"])],
    )
    live_services.live_close(live=earlier_live)
    return workshop, pipeline


def _played(organisation, facilitator):
    try:
        return _session(organisation, facilitator)
    finally:
        connections.close_all()


def test_manager_follows_up_and_owner_updates_from_a_phone(
    library, organisation, facilitator, manager, laptop: Page, browser, live_server_url, screens
):
    # Playwright's loop runs in this thread; the services broadcast with async_to_sync, so
    # the session is played in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        workshop, pipeline = pool.submit(_played, organisation, facilitator).result()
    owner = pipeline.owners.get(name="Diego Ruiz")
    page = laptop
    log_in(page, "milena", PASSWORD)

    # The dashboard, then filtered by area: the Logística agreement leaves the list.
    page.get_by_role("link", name="Acuerdos", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acuerdos")
    results = page.locator("#agreement-results")
    expect(results).to_contain_text("3 acuerdos")
    expect(page.locator("#area-chart svg")).to_be_visible()
    expect(page.locator(".agreement-row.is-overdue")).to_have_count(1)
    expect(page.locator(".agreement-row.is-overdue")).to_contain_text("Vencido")
    screens.shot(page, "01-dashboard")
    page.get_by_label("Área", exact=True).select_option(label="Ventas")
    expect(results).to_contain_text("1 acuerdo")
    expect(page).to_have_url(re.compile(r"area="))
    expect(results).to_contain_text(pipeline.text)
    expect(results).not_to_contain_text("despacho retrasado")
    expect(results).not_to_contain_text("estado de los despachos")
    screens.shot(page, "02-dashboard-ventas")

    # The CSV of the filtered list: BOM, accents, one agreement.
    with page.expect_download() as info:
        page.get_by_role("link", name="Exportar CSV").click()
    info.value.save_as(screens.folder / "acuerdos.csv")
    raw = (screens.folder / "acuerdos.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "Sesión" in text and "El pedido perdido de Ferretería Sur" in text
    assert pipeline.text in text and "despacho retrasado" not in text
    # The same list as an Excel workbook: columns and dates whatever Excel's locale.
    with page.expect_download() as info:
        page.get_by_role("link", name="Exportar a Excel").click()
    info.value.save_as(screens.folder / "acuerdos.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(screens.folder / "acuerdos.xlsx")["Acuerdos"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Sesión", "Fecha de la sesión", "Acuerdo") and len(rows) == 2
    assert rows[1][2] == pipeline.text and sheet.cell(row=2, column=8).is_date

    # The detail: where it came from, its owners, no update yet.
    results.get_by_role("link", name=pipeline.text).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(pipeline.text)
    expect(page.locator("#origin")).to_contain_text("Que Compras vea el pipeline")
    expect(page.locator("#owners")).to_contain_text("Diego Ruiz")
    screens.shot(page, "03-detail-before")

    # The owner, on a phone, through the private link.
    context = browser.new_context(base_url=live_server_url, locale="es-CO", **PHONE)
    phone = context.new_page()
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on(
        "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    phone.goto(services.owner_link_url(owner))
    expect(phone.get_by_role("heading", level=1)).to_have_text(pipeline.text)
    screens.shot(phone, "04-owner-phone")
    phone.get_by_label("En curso").check()
    phone.get_by_label("Nota de avance").fill(NOTE)
    phone.get_by_role("button", name="Guardar avance").click()
    expect(phone.get_by_role("status")).to_contain_text("Guardado")
    expect(phone.locator("#historial")).to_contain_text(NOTE)
    expect(phone.get_by_label("En curso")).to_be_checked()
    screens.shot(phone, "05-owner-phone-saved")
    context.close()
    assert not errors, errors

    # The manager reloads the detail and sees who changed what.
    page.reload()
    history = page.locator("#historial")
    expect(history).to_contain_text(NOTE)
    expect(history).to_contain_text("Diego Ruiz")
    expect(history).to_contain_text("En curso")
    page.get_by_label("Comentario").fill("Gracias, Diego. ¿Les ayudo con Logística?")
    page.get_by_role("button", name="Comentar").click()
    expect(history).to_contain_text("¿Les ayudo con Logística?")
    screens.shot(page, "06-detail-after")

    # The acta, final, on screen and as PDF pages.
    page.goto(f"/sesiones/{workshop.pk}/acta/")
    expect(page.get_by_role("heading", level=1)).to_have_text(workshop.title)
    expect(page.locator("#report")).not_to_contain_text("Borrador")
    expect(page.locator("#attendance")).to_contain_text("Logística")
    screens.shot(page, "07-acta")
    pdf = screens.folder / "acta.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    subprocess.run(
        [_poppler("pdftoppm"), "-png", "-r", "60", str(pdf), str(screens.folder / "08-acta")],
        check=True,
    )
    assert sorted(screens.folder.glob("08-acta-*.png"))
    printed = subprocess.run(
        [_poppler("pdftotext"), "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    printed = " ".join(printed.split())
    assert "Compartir el pipeline de Ventas con Compras cada lunes" in printed
    assert "Asistencia por área" in printed
    assert "Exportar acuerdos" not in printed  # screen-only controls are not printed
    assert "Salir" not in printed
    assert "Exportar el acta" not in printed
    # The whole wall is in the acta (issue 11), the anonymous card as anonymous: no one's
    # name or area next to it, on paper either.
    after = printed.split("Nos enteramos de los pedidos grandes por el cliente", 1)[1][:30]
    assert "anónimo" in after
    assert not any(word in after for word in ("Caro", "Logística", "Compras", "Ventas"))
