"""Two tabs, two organisations (issue 14): a consultant has Textiles' organisation page open
in one tab, switches to Aceros in another, then saves the first tab's form. It acts in
Textiles, the organisation its page was drawn for, and Aceros stays the active one; an htmx
request from the first tab (a session builder's edit) acts there too."""

import datetime

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from workshops.models import Membership, Organisation, Workshop
from workshops.services import member_create, workshop_create


@pytest.fixture
def consultant(organisation, other_organisation) -> Membership:
    first = member_create(
        organisation=organisation,
        username="vale",
        password=PASSWORD,
        first_name="Vale",
        is_facilitator=True,
        is_manager=True,
    )
    Membership.objects.create(
        user=first.user, organisation=other_organisation, is_facilitator=True, is_manager=True
    )
    return first


def _log_in_choosing(page: Page, organisation: str) -> None:
    page.goto("/entrar/")
    page.get_by_label("Usuario").fill("vale")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/organizaciones/**")
    page.get_by_role("button", name=organisation).click()
    expect(page.locator("#active-organisation")).to_contain_text(organisation)


def test_a_form_left_open_in_another_tab_acts_in_its_own_organisation(
    laptop: Page, consultant, organisation, other_organisation, screens
):
    _log_in_choosing(laptop, "Textiles del Norte")
    laptop.goto("/organizacion/")
    expect(laptop.locator("#active-organisation")).to_contain_text("Textiles del Norte")
    screens.shot(laptop, "01-textiles-settings")

    # A second tab of the same browser (same session) switches to Aceros.
    other_tab = laptop.context.new_page()
    other_tab.goto("/")
    other_tab.get_by_text("Cambiar de organización").click()
    other_tab.get_by_role("button", name="Aceros del Valle").click()
    expect(other_tab.locator("#active-organisation")).to_contain_text("Aceros del Valle")
    screens.shot(other_tab, "02-other-tab-aceros")

    # Back in the first tab: its form was drawn for Textiles.
    laptop.locator("#id_org-name").fill("Textiles del Norte S.A.S.")
    laptop.locator("#id_org-name").press("Enter")
    expect(laptop.get_by_text("Datos de la organización guardados.")).to_be_visible()
    screens.shot(laptop, "03-saved")
    other_organisation.refresh_from_db()
    organisation.refresh_from_db()
    assert other_organisation.name == "Textiles del Norte S.A.S."
    assert organisation.name == "Aceros del Valle"
    # The page after the form is Textiles', and says that Textiles is active again.
    expect(laptop.locator("#active-organisation")).to_contain_text("Textiles del Norte S.A.S.")
    expect(laptop.get_by_text("Ese formulario era de Textiles del Norte")).to_be_visible()
    expect(laptop.locator("#id_org-name")).to_have_value("Textiles del Norte S.A.S.")
    other_tab.close()


def test_an_htmx_edit_left_open_in_another_tab_acts_in_its_own_organisation(
    laptop: Page, consultant, organisation, other_organisation, library, screens
):
    workshop = workshop_create(
        organisation=other_organisation,
        facilitator=consultant.user,
        title="Sesión de Textiles",
        date=datetime.date(2026, 12, 10),
        start_time=datetime.time(8, 0),
    )
    _log_in_choosing(laptop, "Textiles del Norte")
    laptop.goto(f"/sesiones/{workshop.pk}/")
    expect(laptop.get_by_role("heading", name="Sesión de Textiles")).to_be_visible()

    other_tab = laptop.context.new_page()
    other_tab.goto("/")
    other_tab.get_by_text("Cambiar de organización").click()
    other_tab.get_by_role("button", name="Aceros del Valle").click()
    expect(other_tab.locator("#active-organisation")).to_contain_text("Aceros del Valle")
    other_tab.close()

    # The builder adds a block with htmx (hx-post): the request names Textiles.
    blocks_before = workshop.blocks.count()
    laptop.locator("#add-block").click()
    expect(laptop.locator("li.block[data-block-id]")).to_have_count(blocks_before + 1)
    screens.shot(laptop, "04-block-added")
    assert Workshop.objects.get(pk=workshop.pk).blocks.count() == blocks_before + 1
    assert Organisation.objects.get(pk=organisation.pk).workshops.count() == 0
