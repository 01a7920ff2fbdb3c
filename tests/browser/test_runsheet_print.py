"""A facilitator gets a session ready: ticks the preparation checklist, adds a task, and prints
the run sheet (facilitator and participant versions, A4 and Letter) to PDF from Chromium.
The PDFs are turned into PNG pages in the screenshots folder for a person to look at."""

import datetime
import shutil
import subprocess

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from workshops.agenda import DEFAULT_CHECKLIST
from workshops.services import workshop_create

NOTE = "Ojo: Ventas llega tarde; abrir con Logística y nombrar el pedido perdido."
# PDF page sizes in points (1/72 in).
PAPER_POINTS = {"a4": (595, 842), "carta": (612, 792)}


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run `make browser` (Debian's poppler-utils).")
    return path


def _pdf_pages(pdf: str) -> tuple[int, tuple[int, int]]:
    info = subprocess.run(
        [_poppler("pdfinfo"), pdf], check=True, capture_output=True, text=True
    ).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    width, _x, height = fields["Page size"].split()[:3]
    return int(fields["Pages"]), (round(float(width)), round(float(height)))


def test_facilitator_prepares_and_prints_the_run_sheet(
    library, organisation, facilitator, laptop: Page, screens
):
    areas = list(organisation.areas.all())
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="El pedido perdido de Ferretería Sur",
        purpose="Un cliente grande perdió un pedido de 600 millones entre Ventas y Logística.",
        date=datetime.date(2026, 3, 12),
        start_time=datetime.time(8, 0),
        place="Sala Cóndor, piso 3",
        invited={area: 6 for area in areas},
        template="tres-horas",
    )
    café = workshop.blocks.get(position=5)
    café.facilitator_notes = NOTE
    café.save(update_fields=["facilitator_notes"])

    page = laptop
    log_in(page, "lili", PASSWORD)

    # The checklist: tick two items, watch the progress, add one.
    page.goto(f"/sesiones/{workshop.pk}/preparacion/")
    checklist = page.locator("#checklist")
    expect(checklist).to_contain_text("0 de 7 listas")
    screens.shot(page, "01-checklist")
    page.get_by_label(DEFAULT_CHECKLIST[0]).check()
    expect(checklist).to_contain_text("1 de 7 listas")
    page.get_by_label(DEFAULT_CHECKLIST[2]).check()
    expect(checklist).to_contain_text("2 de 7 listas")
    expect(page.locator("#checklist-progress")).to_have_attribute("value", "2")
    expect(page.get_by_label(DEFAULT_CHECKLIST[2])).to_be_checked()
    screens.shot(page, "02-checklist-two-ticked")

    # The browser refuses an empty field itself (required); blanks reach the server.
    expect(page.get_by_label("Nueva tarea")).to_have_attribute("required", "")
    page.get_by_label("Nueva tarea").fill("   ")
    page.get_by_role("button", name="Agregar").click()
    expect(checklist.get_by_role("alert")).to_contain_text("Escribe la tarea antes de agregarla.")
    screens.shot(page, "03-checklist-empty-refused")
    page.get_by_label("Nueva tarea").fill("Llevar el contrato del cliente")
    page.get_by_role("button", name="Agregar").click()
    expect(checklist).to_contain_text("2 de 8 listas")
    expect(page.get_by_label("Llevar el contrato del cliente")).not_to_be_checked()
    expect(page.get_by_label("Nueva tarea")).to_have_value("")
    screens.shot(page, "04-checklist-added")
    assert workshop.checklist.filter(done=True).count() == 2
    assert workshop.checklist.count() == 8

    # A reload shows what was saved, not what the page remembered.
    page.reload()
    expect(checklist).to_contain_text("2 de 8 listas")

    # The run sheet on screen: the print button appears once print.js runs (no inline JS).
    page.get_by_role("link", name="Guion de la sesión").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(workshop.title)
    expect(page.get_by_role("button", name="Imprimir")).to_be_visible()
    expect(page.locator(".blocks tbody tr").first).to_contain_text("08:00–08:10")
    screens.shot(page, "05-runsheet-screen")

    for version, path in (("facilitador", ""), ("participantes", "participantes/")):
        for paper in ("a4", "carta"):
            query = "?papel=carta" if paper == "carta" else ""
            page.goto(f"/sesiones/{workshop.pk}/hoja-de-ruta/{path}{query}")
            expect(page.locator(".blocks")).to_be_visible()
            pdf = screens.folder / f"runsheet-{version}-{paper}.pdf"
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)

            count, size = _pdf_pages(str(pdf))
            assert count >= 1
            assert size == PAPER_POINTS[paper], f"{version}/{paper} printed on {size}"
            subprocess.run(
                [
                    _poppler("pdftoppm"),
                    "-png",
                    "-r",
                    "60",
                    str(pdf),
                    str(screens.folder / f"06-runsheet-{version}-{paper}"),
                ],
                check=True,
            )
            pngs = sorted(screens.folder.glob(f"06-runsheet-{version}-{paper}-*.png"))
            assert len(pngs) == count

            text = subprocess.run(
                [_poppler("pdftotext"), "-raw", str(pdf), "-"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            # Words in reading order, whatever the line breaks.
            text = " ".join(text.split())
            assert "Mesas mixtas: lo que hay detrás del «no le importa»" in text
            assert "Acuerdos con responsables" in text
            assert workshop.title in text
            # The screen toolbar is not printed.
            assert "Imprimir" not in text
            assert "Lista de preparación" not in text
            if version == "facilitador":
                assert "Ventas llega tarde" in text
            else:
                assert "Ventas llega tarde" not in text
                assert "Notas del facilitador" not in text
