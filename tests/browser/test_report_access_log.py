"""Who opened or exported the acta (issue 12): a manager opens a session's acta, exports it
twice, reloads and finds each step in the log at the end of the page, next to what the
facilitator did earlier, in the organisation's time; the printed acta leaves the log out.
Then the agreements' exports and their own small log, linked from the dashboard."""

import datetime
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from agreements import access_log
from agreements.models import ReportAccess
from tests.browser.conftest import log_in
from tests.browser.test_agreements_followup import _played
from tests.conftest import PASSWORD

# The laptop most managers in the pilot use.
SCREEN = {"width": 1366, "height": 768}


def _local(entry: ReportAccess) -> str:
    return timezone.localtime(entry.at, entry.organisation.zone).strftime("%d/%m/%Y %H:%M")


def _pdftotext() -> str:
    path = shutil.which("pdftotext")
    if path is None:
        pytest.fail("pdftotext is missing: run `make browser` (Debian's poppler-utils).")
    return path


def test_manager_sees_who_opened_and_exported_the_acta(
    library, organisation, facilitator, manager, laptop: Page, screens
):
    with ThreadPoolExecutor(max_workers=1) as pool:
        workshop, _pipeline = pool.submit(_played, organisation, facilitator).result()
    # Earlier in the day the facilitator exported the acta to Excel.
    earlier = access_log.report_access_record(
        organisation=organisation,
        user=facilitator.user,
        kind=ReportAccess.Kind.ACTA_XLSX,
        workshop=workshop,
    )
    earlier.at -= datetime.timedelta(hours=3)
    earlier.save(update_fields=["at"])

    page = laptop
    page.set_viewport_size(SCREEN)
    log_in(page, "milena", PASSWORD)
    page.goto(f"/sesiones/{workshop.pk}/acta/")
    section = page.locator("#access-log-section")
    expect(section.get_by_role("heading", level=2)).to_have_text("Quién abrió o exportó esta acta")
    rows = section.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Milena")
    expect(rows.nth(0)).to_contain_text("Abrió el acta")
    expect(rows.nth(1)).to_contain_text("Lili")
    expect(rows.nth(1)).to_contain_text(_local(earlier))

    # Two exports, then a reload: both exports are there, the reload is not a new opening.
    with page.expect_download() as excel:
        page.get_by_role("link", name="Exportar el acta a Excel").click()
    assert excel.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as csv:
        page.get_by_role("link", name="Exportar acuerdos (CSV)").click()
    assert csv.value.suggested_filename.endswith(".csv")
    page.reload()
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Exportó el acta (CSV)")
    expect(rows.nth(1)).to_contain_text("Exportó el acta (Excel)")
    expect(rows.nth(2)).to_contain_text("Abrió el acta")
    expect(rows.nth(3)).to_contain_text("Lili")
    expect(section.locator("caption")).to_contain_text("America/Bogota")
    for entry, row in zip(
        ReportAccess.objects.filter(workshop=workshop).order_by("-at", "-id"),
        rows.all(),
        strict=True,
    ):
        expect(row).to_contain_text(f"{_local(entry)}{entry.user_label}")
    section.scroll_into_view_if_needed()
    screens.shot(page, "01-acta-access-log", full_page=False)
    screens.shot(page, "02-acta-full")

    # The printed acta is the acta alone.
    pdf = screens.folder / "acta.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    printed = subprocess.run(
        [_pdftotext(), "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    printed = " ".join(printed.split())
    assert "Compartir el pipeline de Ventas con Compras cada lunes" in printed
    assert "Quién abrió" not in printed and "Abrió el acta" not in printed
    assert "Exportó" not in printed

    # The organisation's agreements: exported from the dashboard, logged on a page of their own.
    page.get_by_role("link", name="Acuerdos", exact=True).first.click()
    with page.expect_download():
        page.get_by_role("link", name="Exportar a Excel").click()
    screens.shot(page, "03-dashboard", full_page=False)
    page.get_by_role("link", name="Quién exportó los acuerdos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quién exportó los acuerdos")
    exports = page.locator("#export-log tbody tr")
    expect(exports).to_have_count(1)
    expect(exports.first).to_contain_text("Milena")
    expect(exports.first).to_contain_text("Exportó los acuerdos (Excel)")
    expect(page.locator("#export-log")).not_to_contain_text("acta")
    screens.shot(page, "04-export-log", full_page=False)
