"""The organisation's confidentiality statement, privacy notice, group threshold and retention
period: the service that saves them (and starts a new notice version only when the notice
a participant reads changes) and the managers' page that edits them."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from facilitation.privacy import (
    confidentiality_text,
    default_confidentiality_text,
    default_privacy_notice_text,
    privacy_notice_text,
)
from tests.conftest import PASSWORD
from workshops.models import Organisation
from workshops.services import organisation_privacy_update, organisation_update

URL = "/organizacion/privacidad/"
NOTICE = "Aceros del Valle guarda tu nombre y tu área para la sesión. Escribe a datos@aceros.co."
STATEMENT = "Lo que se diga aquí no sale de aquí. El acta solo lleva acuerdos y cifras."


def _settings(organisation: Organisation, **changes: object) -> dict:
    """The organisation's current privacy settings as the service takes them, with changes."""
    current = {
        "confidentiality_statement": organisation.confidentiality_statement,
        "privacy_notice": organisation.privacy_notice,
        "privacy_contact": organisation.privacy_contact,
        "min_group_size": organisation.min_group_size,
        "retention_days": organisation.retention_days,
    }
    return current | changes


def _update(organisation: Organisation, **changes: object) -> Organisation:
    return organisation_privacy_update(
        organisation=organisation, **_settings(organisation, **changes)
    )


def _form(organisation: Organisation, **changes: object) -> dict:
    """The page's form as a manager would post it."""
    return {
        key: "" if value is None else value
        for key, value in _settings(organisation, **changes).items()
    }


def _row(organisation: Organisation) -> tuple:
    organisation.refresh_from_db()
    return (
        organisation.confidentiality_statement,
        organisation.privacy_notice,
        organisation.privacy_contact,
        organisation.min_group_size,
        organisation.retention_days,
        organisation.privacy_notice_version,
    )


# --- the default texts -----------------------------------------------------------------------


def test_blank_texts_mean_the_default_ones_which_name_the_organisations_settings(organisation):
    organisation = _update(organisation, privacy_contact="datos@aceros.co", retention_days=90)
    notice = privacy_notice_text(organisation)
    assert notice == default_privacy_notice_text(organisation)
    assert "Aceros del Valle" in notice and "datos@aceros.co" in notice and "90 días" in notice
    assert "Ley 1581 de 2012" in notice
    statement = confidentiality_text(organisation)
    assert statement == default_confidentiality_text(organisation)
    assert "menos de 3 personas" in statement


def test_the_organisations_own_texts_replace_the_defaults(organisation):
    organisation = _update(
        organisation, privacy_notice=f"  {NOTICE}\n", confidentiality_statement=STATEMENT
    )
    assert privacy_notice_text(organisation) == NOTICE
    assert confidentiality_text(organisation) == STATEMENT


# --- the service: versions -------------------------------------------------------------------


def test_a_new_notice_text_starts_a_new_version(organisation):
    organisation = _update(organisation, privacy_notice=NOTICE)
    assert organisation.privacy_notice_version == 2
    assert _row(organisation)[1] == NOTICE
    organisation = _update(organisation, privacy_notice=NOTICE + " Gracias.")
    assert organisation.privacy_notice_version == 3
    organisation = _update(organisation, privacy_notice="")  # back to the default text
    assert organisation.privacy_notice_version == 4


def test_saving_the_same_notice_or_other_settings_keeps_the_version(organisation):
    organisation = _update(organisation, privacy_notice=NOTICE)
    organisation = _update(
        organisation,
        privacy_notice=f"\n{NOTICE}  ",  # the same words
        confidentiality_statement=STATEMENT,
        min_group_size=5,
        retention_days=30,  # a notice of its own does not name the period
        privacy_contact="otra@aceros.co",
    )
    assert organisation.privacy_notice_version == 2
    assert _row(organisation)[:5] == (STATEMENT, NOTICE, "otra@aceros.co", 5, 30)


@pytest.mark.parametrize(
    "change", [{"retention_days": 30}, {"privacy_contact": "datos@aceros.co"}], ids=str
)
def test_the_default_notice_changes_with_what_it_names(organisation, change):
    organisation = _update(organisation, **change)
    assert organisation.privacy_notice_version == 2


def test_renaming_the_organisation_changes_the_default_notice_only(organisation):
    organisation = organisation_update(
        organisation=organisation, name="Aceros del Valle", time_zone="America/Lima"
    )
    assert organisation.privacy_notice_version == 1
    organisation = organisation_update(
        organisation=organisation, name="Aceros de Colombia", time_zone="America/Lima"
    )
    assert organisation.privacy_notice_version == 2
    organisation = _update(organisation, privacy_notice=NOTICE)
    organisation = organisation_update(
        organisation=organisation, name="Aceros del Pacífico", time_zone="America/Lima"
    )
    assert organisation.privacy_notice_version == 3


def test_the_version_does_not_depend_on_the_language_of_whoever_saves(organisation):
    from django.utils import translation

    with translation.override("en"):
        organisation = _update(organisation, min_group_size=4)
    assert organisation.privacy_notice_version == 1


@pytest.mark.parametrize(
    "change",
    [
        {"min_group_size": 1},
        {"min_group_size": 21},
        {"retention_days": 0},
        {"retention_days": 3651},
    ],
    ids=str,
)
def test_the_service_refuses_values_out_of_range_and_saves_nothing(organisation, change):
    before = _row(organisation)
    with pytest.raises(ValidationError):
        _update(organisation, privacy_notice=NOTICE, **change)
    assert _row(organisation) == before


# --- the page --------------------------------------------------------------------------------


def test_a_manager_sees_the_settings_with_the_default_texts(manager_client, organisation):
    response = manager_client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Confidencialidad y datos personales" in body
    assert "versión 1" in body
    # The fields are blank and the page shows what applies then.
    assert body.count("Texto que se usa ahora, porque el campo está vacío") == 2
    assert "Aceros del Valle es responsable del tratamiento de los datos que registras aquí" in body
    assert "Lo que se dice en esta sala se queda en esta sala" in body
    assert 'name="min_group_size"' in body and 'value="3"' in body
    assert 'name="retention_days"' in body and 'value="180"' in body
    assert "no-store" in response.headers["Cache-Control"]


def test_the_managers_navigation_leads_to_the_page(manager_client, facilitator_client):
    assert f'href="{URL}"' in manager_client.get(reverse("home")).content.decode()
    assert f'href="{URL}"' in manager_client.get(reverse("organisation_settings")).content.decode()
    assert f'href="{URL}"' not in facilitator_client.get(reverse("home")).content.decode()


def test_a_manager_saves_the_texts_and_the_notice_gets_a_new_version(manager_client, organisation):
    response = manager_client.post(
        URL,
        _form(
            organisation,
            privacy_notice=NOTICE,
            confidentiality_statement=STATEMENT,
            privacy_contact="datos@aceros.co",
            min_group_size="4",
            retention_days="365",
        ),
        follow=True,
    )
    body = response.content.decode()
    assert response.redirect_chain == [(URL, 302)]
    assert "quienes entren a una sesión desde ahora aceptarán la versión 2" in body
    assert _row(organisation) == (STATEMENT, NOTICE, "datos@aceros.co", 4, 365, 2)
    # Custom texts: the defaults are still there, folded, for whoever wants them back.
    assert "Texto por defecto (se usa si dejas el campo vacío)" in body


def test_saving_without_changing_the_notice_keeps_its_version(manager_client, organisation):
    organisation = _update(organisation, privacy_notice=NOTICE)
    response = manager_client.post(
        URL, _form(organisation, confidentiality_statement=STATEMENT), follow=True
    )
    assert "Confidencialidad y datos personales guardados." in response.content.decode()
    assert _row(organisation)[0] == STATEMENT
    assert _row(organisation)[5] == 2


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("min_group_size", "1", "Escribe un número entero entre 2 y 20."),
        ("min_group_size", "21", "Escribe un número entero entre 2 y 20."),
        ("min_group_size", "tres", "Escribe un número entero entre 2 y 20."),
        ("min_group_size", "", "Escribe un número entero entre 2 y 20."),
        ("retention_days", "0", "Escribe un número entero entre 1 y 3650."),
        ("retention_days", "3651", "Escribe un número entero entre 1 y 3650."),
        ("retention_days", "1.5", "Escribe un número entero entre 1 y 3650."),
        ("privacy_notice", "x" * 5001, "máximo 5000 caracteres (tiene 5001)"),
        ("confidentiality_statement", "x" * 3001, "máximo 3000 caracteres (tiene 3001)"),
        ("privacy_contact", "x" * 201, "máximo 200 caracteres (tiene 201)"),
    ],
)
def test_bad_values_are_refused_in_spanish_and_nothing_is_saved(
    manager_client, organisation, field, value, error
):
    before = _row(organisation)
    data = _form(organisation, privacy_notice=NOTICE, confidentiality_statement=STATEMENT)
    data[field] = value
    response = manager_client.post(URL, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert error in body
    assert "Revisa los campos marcados: no se guardó ningún cambio." in body
    assert _row(organisation) == before


def test_a_facilitator_who_is_not_a_manager_gets_404(facilitator_client, organisation):
    before = _row(organisation)
    assert facilitator_client.get(URL).status_code == 404
    assert (
        facilitator_client.post(URL, _form(organisation, privacy_notice=NOTICE)).status_code == 404
    )
    assert _row(organisation) == before


def test_someone_without_a_membership_and_a_visitor_get_the_login(db, organisation):
    from django.contrib.auth import get_user_model

    # An account with no active membership holds no session (workshops/auth.py).
    user = get_user_model().objects.create_user("suelto", password=PASSWORD)
    loose = Client()
    loose.force_login(user)
    assert loose.get(URL)["Location"].startswith("/entrar/")
    assert loose.post(URL, _form(organisation, privacy_notice=NOTICE)).status_code == 302
    visitor = Client().post(URL, _form(organisation, privacy_notice=NOTICE))
    assert visitor.status_code == 302 and visitor["Location"].startswith("/entrar/")
    assert _row(organisation)[1] == ""


def test_another_organisations_manager_changes_only_their_own(
    outsider_client, organisation, other_organisation
):
    before = _row(organisation)
    page = outsider_client.get(URL).content.decode()
    assert "Textiles del Norte es responsable" in page
    assert "Aceros del Valle" not in page
    response = outsider_client.post(URL, _form(other_organisation, privacy_notice=NOTICE))
    assert response.status_code == 302
    assert _row(other_organisation)[1] == NOTICE
    assert _row(organisation) == before
