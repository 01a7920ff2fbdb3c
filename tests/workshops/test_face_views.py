"""The organisation's face on the web (issue 14): a manager uploads, replaces and removes the
logo and sets the name the room sees; the logo is served only to that organisation's
members, at an address that changes with it; the projector's join screen, the run sheet
and the acta show the logo and the name."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.facilitation import conftest as live_fixtures
from tests.workshops.test_face import SVG, image_bytes, upload
from workshops import face
from workshops.models import Membership, Organisation

ready_workshop = live_fixtures.ready_workshop
live = live_fixtures.live

PAGE = "/organizacion/"
UPLOAD = "/organizacion/logo/"
REMOVE = "/organizacion/logo/quitar/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _with_logo(organisation: Organisation) -> Organisation:
    return face.organisation_logo_set(organisation=organisation, upload=upload(image_bytes()))


def _logo_url(organisation: Organisation) -> str:
    return reverse("organisation_logo", args=[organisation.pk, organisation.logo_version])


def _org_form(organisation: Organisation, **changes: str) -> dict:
    data = {
        "org-name": organisation.name,
        "org-display_name": organisation.display_name,
        "org-time_zone": organisation.time_zone,
    }
    return data | {f"org-{key}": value for key, value in changes.items()}


# --- the organisation page ---------------------------------------------------------------------


def test_the_page_offers_a_multipart_upload_of_images_and_the_display_name(manager_client):
    html = manager_client.get(PAGE).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/png,image/jpeg,image/webp"' in html
    assert 'name="org-display_name"' in html
    assert "Todavía no hay logo" in html
    assert "Quitar el logo" not in html


def test_a_manager_uploads_a_logo_and_sees_its_preview(manager_client, organisation):
    logo = upload(image_bytes("JPEG", mode="RGB", color=(9, 9, 9)), "logo.jpg", "image/jpeg")
    response = manager_client.post(UPLOAD, {"logo-logo": logo}, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    organisation.refresh_from_db()
    assert organisation.logo_version == 1 and organisation.logo_content_type == "image/png"
    html = response.content.decode()
    assert "Logo guardado" in html
    assert f'src="{_logo_url(organisation)}" alt="Aceros del Valle"' in html
    assert "Quitar el logo" in html and "Cambiar el logo" in html


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        (lambda: upload(SVG, "logo.svg", "image/svg+xml"), "No aceptamos logos en SVG"),
        (lambda: upload(b"hola, soy texto", "logo.png"), "No pudimos leer este archivo"),
        (lambda: upload(b"x" * (2 * 1024 * 1024 + 1)), "el máximo es 2 MB"),
        (lambda: None, "Elige la imagen de tu logo"),
    ],
)
def test_a_refused_logo_re_renders_the_page_with_the_reason_and_changes_nothing(
    manager_client, organisation, sent, words
):
    organisation = _with_logo(organisation)
    before = bytes(organisation.logo), organisation.logo_version
    file = sent()
    response = manager_client.post(UPLOAD, {"logo-logo": file} if file else {})
    assert response.status_code == 200
    html = response.content.decode()
    assert words in html
    assert 'class="field-error" role="alert"' in html
    organisation.refresh_from_db()
    assert (bytes(organisation.logo), organisation.logo_version) == before


def test_a_manager_removes_the_logo_and_its_address_stops_answering(manager_client, organisation):
    organisation = _with_logo(organisation)
    old_url = _logo_url(organisation)
    assert manager_client.get(old_url).status_code == 200
    response = manager_client.post(REMOVE, follow=True)
    assert "Logo quitado" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.logo is None and organisation.logo_content_type == ""
    assert manager_client.get(old_url).status_code == 404
    assert manager_client.get(_logo_url(organisation)).status_code == 404


def test_only_a_manager_changes_the_logo_and_only_their_own_organisations(
    facilitator_client, outsider_client, organisation, other_organisation
):
    assert facilitator_client.post(UPLOAD, {"logo-logo": upload(image_bytes())}).status_code == 404
    assert facilitator_client.post(REMOVE).status_code == 404
    assert Client().post(UPLOAD, {"logo-logo": upload(image_bytes())}).status_code == 302
    # A manager of another organisation changes that one, never ours.
    assert outsider_client.post(UPLOAD, {"logo-logo": upload(image_bytes())}).status_code == 302
    organisation.refresh_from_db()
    other_organisation.refresh_from_db()
    assert (organisation.logo_version, other_organisation.logo_version) == (0, 1)


def test_the_display_name_is_saved_with_the_organisations_data(manager_client, organisation):
    form = _org_form(organisation, display_name="  Aceros del Valle S.A.S.  ")
    assert manager_client.post(PAGE, form).status_code == 302
    organisation.refresh_from_db()
    assert organisation.display_name == "Aceros del Valle S.A.S."
    assert organisation.shown_name == "Aceros del Valle S.A.S."
    assert organisation.name == "Aceros del Valle"
    # Emptied: the room sees the name again.
    manager_client.post(PAGE, _org_form(organisation, display_name=""))
    organisation.refresh_from_db()
    assert organisation.shown_name == "Aceros del Valle"


def test_a_display_name_too_long_is_refused(manager_client, organisation):
    response = manager_client.post(PAGE, _org_form(organisation, display_name="x" * 121))
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.display_name == ""


# --- the logo's address ------------------------------------------------------------------------


def test_a_member_gets_the_logo_with_headers_that_keep_it_private_and_inert(
    facilitator_client, organisation
):
    organisation = _with_logo(organisation)
    response = facilitator_client.get(_logo_url(organisation))
    assert response.status_code == 200
    assert response.content == bytes(organisation.logo)
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"


def test_nobody_else_gets_the_logo(outsider_client, facilitator, organisation):
    organisation = _with_logo(organisation)
    url = _logo_url(organisation)
    assert outsider_client.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    # A member whose membership was deactivated.
    Membership.objects.filter(pk=facilitator.pk).update(is_active=False)
    client = Client()
    client.force_login(facilitator.user)
    assert client.get(url).status_code == 404


def test_another_version_or_no_logo_answers_404(facilitator_client, organisation):
    no_logo = reverse("organisation_logo", args=[organisation.pk, 0])
    assert facilitator_client.get(no_logo).status_code == 404
    organisation = _with_logo(organisation)
    assert facilitator_client.get(_logo_url(organisation)).status_code == 200
    for version in (0, 2, 99):
        url = reverse("organisation_logo", args=[organisation.pk, version])
        assert facilitator_client.get(url).status_code == 404


def test_a_member_of_two_organisations_gets_each_ones_logo(
    facilitator, facilitator_client, organisation, other_organisation
):
    Membership.objects.create(
        user=facilitator.user, organisation=other_organisation, is_facilitator=True
    )
    mine = _with_logo(organisation)
    other = face.organisation_logo_set(
        organisation=other_organisation, upload=upload(image_bytes(size=(40, 40)))
    )
    assert facilitator_client.get(_logo_url(mine)).content == bytes(mine.logo)
    assert facilitator_client.get(_logo_url(other)).content == bytes(other.logo)


# --- where the room sees it --------------------------------------------------------------------


def _pages(client: Client, live) -> dict[str, str]:
    workshop = live.workshop
    return {
        "projector": client.get(reverse("projector", args=[live.pk])).content.decode(),
        "run sheet": client.get(reverse("workshop_runsheet", args=[workshop.pk])).content.decode(),
        "acta": client.get(reverse("workshop_report", args=[workshop.pk])).content.decode(),
    }


def test_without_a_logo_the_room_sees_the_name_in_text(facilitator_client, organisation, live):
    for page, html in _pages(facilitator_client, live).items():
        assert '<span class="org-face-name">Aceros del Valle</span>' in html, page
        assert "org-face-logo" not in html, page


def test_the_projector_run_sheet_and_acta_show_the_logo_and_the_display_name(
    facilitator_client, organisation, live
):
    organisation.display_name = "Aceros del Valle S.A.S."
    organisation.save(update_fields=["display_name"])
    organisation = _with_logo(organisation)
    img = (
        f'<img class="org-face-logo" src="{_logo_url(organisation)}" alt="Aceros del Valle S.A.S.">'
    )
    for page, html in _pages(facilitator_client, live).items():
        assert img in html, page
        assert ">Aceros del Valle S.A.S.</span>" in html, page
    # On the projector, inside the join panel with the code and the QR code.
    projector = _pages(facilitator_client, live)["projector"]
    panel = projector.split('<aside class="join-panel">')[1].split("</aside>")[0]
    assert img in panel and 'class="qr"' in panel and live.display_code in panel
