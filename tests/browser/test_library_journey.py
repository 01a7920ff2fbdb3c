"""A facilitator logs in, reads the method and filters the question bank, on a laptop and on
a phone."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from workshops.models import Question


def test_facilitator_browses_principles_and_filters_the_bank(
    library, facilitator, laptop: Page, screens
):
    page = laptop
    page.goto("/entrar/")
    screens.shot(page, "01-login")
    page.get_by_label("Usuario").fill("lili")
    page.get_by_label("Contraseña").fill("equivocada")
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("alert")).to_contain_text("Usuario o contraseña incorrectos")
    screens.shot(page, "02-login-error")

    log_in(page, "lili", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hola, Lili")
    screens.shot(page, "03-home")

    page.get_by_role("link", name="Método", exact=True).click()
    expect(page.locator(".principle")).to_have_count(10)
    expect(page.locator("#principle-escucha")).to_contain_text("Escucha generosa y enfocada")
    screens.shot(page, "04-library")

    page.get_by_role("link", name="Preguntas", exact=True).click()
    total = Question.objects.count()
    expect(page.locator("#question-results")).to_contain_text(f"{total} preguntas")
    page.get_by_label("Fase").select_option("unsaid")
    unsaid = Question.objects.filter(phase__slug="unsaid").count()
    expect(page.locator("#question-results")).to_contain_text(f"{unsaid} preguntas")
    expect(page).to_have_url(re.compile(r"phase=unsaid"))
    for tag in page.locator("#question-results .tag-phase").all():
        expect(tag).to_have_text("Lo que no se ha dicho")
    screens.shot(page, "05-bank-unsaid")

    page.get_by_label("Fase").select_option("")
    page.get_by_label("Principio").select_option("escucha")
    page.get_by_label("Texto").fill("cliente")
    expected = (
        (
            Question.objects.filter(principles__slug="escucha").filter(text__icontains="cliente")
            | Question.objects.filter(principles__slug="escucha", intent__icontains="cliente")
        )
        .distinct()
        .count()
    )
    expect(page.locator("#question-results")).to_contain_text(f"{expected} pregunta")
    expect(page.locator("#question-results .question")).to_have_count(expected)
    screens.shot(page, "06-bank-text-principle")

    # The filtered URL survives a reload (history and bookmarks work).
    page.reload()
    expect(page.get_by_label("Principio")).to_have_value("escucha")
    expect(page.locator("#question-results .question")).to_have_count(expected)


def test_library_and_bank_are_readable_on_a_phone(library, facilitator, phone: Page, screens):
    page = phone
    log_in(page, "lili", PASSWORD)
    page.goto("/biblioteca/")
    expect(page.locator(".principle").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the library scrolls sideways on a phone ({width}px)"
    screens.shot(page, "01-library-phone", full_page=False)

    page.goto("/preguntas/?area=logistica")
    expect(page.get_by_label("Área")).to_have_value("logistica")
    expect(page.locator("#question-results .question").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the bank scrolls sideways on a phone ({width}px)"
    screens.shot(page, "02-bank-phone", full_page=False)
    page.locator("#question-results").scroll_into_view_if_needed()
    screens.shot(page, "03-bank-phone-results", full_page=False)
