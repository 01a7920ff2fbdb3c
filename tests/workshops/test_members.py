"""The members page: managers change roles and (de)activate people, never the last manager."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import PASSWORD
from workshops.people import member_set_active, member_set_roles
from workshops.services import member_create


@pytest.fixture
def second_manager(organisation):
    return member_create(
        organisation=organisation, username="tomas", password=PASSWORD, is_manager=True
    )


def test_managers_see_their_members_only(manager_client: Client, facilitator, outsider):
    facilitator.user.email = "lili@aceros.co"
    facilitator.user.save(update_fields=["email"])
    page = manager_client.get("/organizacion/personas/")
    assert page.status_code == 200
    assert "lili@aceros.co" in page.text and "Facilitador/a" in page.text
    assert "externo" not in page.text


def test_facilitators_and_strangers_cannot_open_it(facilitator_client: Client, client: Client):
    assert facilitator_client.get("/organizacion/personas/").status_code == 404
    assert client.get("/organizacion/personas/")["Location"].startswith("/entrar/")


def test_manager_changes_a_role(manager_client: Client, facilitator):
    response = manager_client.post(
        f"/organizacion/personas/{facilitator.pk}/roles/",
        {"is_facilitator": "on", "is_manager": "on"},
        follow=True,
    )
    assert "Roles de Lili guardados." in response.text
    facilitator.refresh_from_db()
    assert facilitator.is_manager and facilitator.is_facilitator


def test_a_member_needs_a_role(manager_client: Client, facilitator):
    response = manager_client.post(f"/organizacion/personas/{facilitator.pk}/roles/", follow=True)
    assert "Cada persona necesita al menos un rol." in response.text
    facilitator.refresh_from_db()
    assert facilitator.is_facilitator


def test_another_organisations_member_is_404(manager_client: Client, outsider):
    url = f"/organizacion/personas/{outsider.pk}/"
    assert manager_client.post(url + "roles/", {"is_facilitator": "on"}).status_code == 404
    assert manager_client.post(url + "activa/", {"active": "0"}).status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_manager and outsider.is_active


def test_facilitator_cannot_change_roles(facilitator_client: Client, manager):
    url = f"/organizacion/personas/{manager.pk}/roles/"
    assert facilitator_client.post(url, {"is_facilitator": "on"}).status_code == 404
    manager.refresh_from_db()
    assert manager.is_manager


def test_the_last_manager_cannot_demote_themself(manager_client: Client, manager):
    response = manager_client.post(
        f"/organizacion/personas/{manager.pk}/roles/", {"is_facilitator": "on"}, follow=True
    )
    assert "es la única persona gerente activa" in response.text
    manager.refresh_from_db()
    assert manager.is_manager and not manager.is_facilitator


def test_the_last_manager_cannot_be_deactivated(manager_client: Client, manager):
    response = manager_client.post(
        f"/organizacion/personas/{manager.pk}/activa/", {"active": "0"}, follow=True
    )
    assert "es la única persona gerente activa" in response.text
    assert response.redirect_chain[-1][0] == "/organizacion/personas/"
    manager.refresh_from_db()
    assert manager.is_active


def test_a_deactivated_manager_does_not_count(manager, second_manager):
    member_set_active(membership=second_manager, active=False)
    with pytest.raises(ValidationError):
        member_set_roles(membership=manager, is_facilitator=True, is_manager=False)


def test_with_another_manager_one_may_step_down(manager_client: Client, manager, second_manager):
    manager_client.post(
        f"/organizacion/personas/{manager.pk}/roles/", {"is_facilitator": "on"}, follow=True
    )
    manager.refresh_from_db()
    assert not manager.is_manager and manager.is_facilitator


def test_a_deactivated_member_cannot_log_in_and_loses_the_session(
    manager_client: Client, facilitator, facilitator_client: Client
):
    response = manager_client.post(
        f"/organizacion/personas/{facilitator.pk}/activa/", {"active": "0"}, follow=True
    )
    assert "Lili ya no tiene acceso a Aceros del Valle" in response.text
    assert facilitator_client.get("/sesiones/")["Location"].startswith("/entrar/")
    login = Client().post("/entrar/", {"username": "lili", "password": PASSWORD})
    assert login.status_code == 200  # refused: the form again, with its message
    assert not Client().login(username="lili", password=PASSWORD)


def test_a_reactivated_member_logs_in_again(manager_client: Client, facilitator):
    member_set_active(membership=facilitator, active=False)
    assert not Client().login(username="lili", password=PASSWORD)
    manager_client.post(f"/organizacion/personas/{facilitator.pk}/activa/", {"active": "1"})
    facilitator.refresh_from_db()
    assert facilitator.is_active
    assert Client().login(username="lili", password=PASSWORD)


def test_header_links_managers_to_the_members_page(manager_client: Client):
    assert 'href="/organizacion/personas/"' in manager_client.get("/").text


def test_a_manager_who_deactivates_themself_is_logged_out(
    manager_client: Client, manager, second_manager
):
    response = manager_client.post(f"/organizacion/personas/{manager.pk}/activa/", {"active": "0"})
    assert response["Location"] == "/"
    assert manager_client.get("/")["Location"].startswith("/entrar/")
    assert manager_client.get("/organizacion/personas/")["Location"].startswith("/entrar/")
