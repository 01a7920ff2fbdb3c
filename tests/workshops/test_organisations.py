"""One person, several organisations (issue 14): the active organisation, switching, links to
another of one's organisations, per-organisation deactivation, the staff socket, and the
migration from the one-to-one membership."""

import datetime
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from config.asgi import application
from facilitation import services as live_services
from facilitation.access import facilitator_live_for_user
from workshops.access import ACTIVE_ORGANISATION_KEY
from workshops.models import Membership, Workshop
from workshops.people import member_set_active
from workshops.services import (
    member_create,
    organisation_create,
    workshop_create,
    workshop_set_status,
)

PASSWORD = "una-clave-larga-2026"


@pytest.fixture
def consultant(organisation, other_organisation) -> Membership:
    """Vale facilitates for two client companies."""
    first = member_create(
        organisation=organisation,
        username="vale",
        password=PASSWORD,
        first_name="Vale",
        is_facilitator=True,
    )
    Membership.objects.create(
        user=first.user, organisation=other_organisation, is_facilitator=True, is_manager=True
    )
    return first


def _workshop(organisation, user, title: str) -> Workshop:
    return workshop_create(
        organisation=organisation,
        facilitator=user,
        title=title,
        date=datetime.date(2026, 12, 10),
        start_time=datetime.time(8, 0),
    )


def _live(organisation, user, title: str):
    workshop = workshop_create(
        organisation=organisation,
        facilitator=user,
        title=title,
        date=datetime.date(2026, 12, 10),
        start_time=datetime.time(8, 0),
        invited={a: 4 for a in organisation.areas.all()},
        template="tres-horas",
    )
    workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    return live_services.live_start(workshop=workshop)


@pytest.fixture
def vale(consultant) -> Client:
    client = Client()
    client.force_login(consultant.user)
    return client


def _active(client: Client) -> int | None:
    return client.session.get(ACTIVE_ORGANISATION_KEY)


def test_the_first_organisation_by_name_is_active_until_one_is_chosen(
    vale, organisation, other_organisation
):
    page = vale.get("/sesiones/").text
    # «Aceros del Valle» before «Textiles del Norte».
    assert 'id="active-organisation"' in page
    assert "Aceros del Valle</span>" in page
    assert "Cambiar de organización" in page
    assert f'value="{other_organisation.pk}"' in page


def test_switching_scopes_every_list_to_the_new_organisation(
    vale, consultant, organisation, other_organisation
):
    _workshop(organisation, consultant.user, "Sesión de Aceros")
    _workshop(other_organisation, consultant.user, "Sesión de Textiles")
    assert "Sesión de Aceros" in vale.get("/sesiones/").text
    assert "Sesión de Textiles" not in vale.get("/sesiones/").text
    response = vale.post(reverse("organisation_choose"), {"organisation": other_organisation.pk})
    assert response["Location"] == "/"
    assert _active(vale) == other_organisation.pk
    sessions = vale.get("/sesiones/").text
    assert "Sesión de Textiles" in sessions and "Sesión de Aceros" not in sessions
    # Textiles is where she is a manager too: its pages open now, in its time zone.
    assert vale.get(reverse("organisation_settings")).status_code == 200


@pytest.mark.parametrize("value", ["", "x", "999999", "1.5"])
def test_switching_to_no_organisation_of_hers_is_404_and_changes_nothing(vale, organisation, value):
    vale.post(reverse("organisation_choose"), {"organisation": organisation.pk})
    assert vale.post(reverse("organisation_choose"), {"organisation": value}).status_code == 404
    assert _active(vale) == organisation.pk


def test_switching_to_another_persons_organisation_is_404(vale, organisation, db):
    stranger = organisation_create(name="Lácteos del Sur")
    response = vale.post(reverse("organisation_choose"), {"organisation": stranger.pk})
    assert response.status_code == 404
    assert _active(vale) is None


def test_a_link_to_another_of_her_organisations_switches_and_says_so(
    vale, consultant, organisation, other_organisation
):
    theirs = _workshop(other_organisation, consultant.user, "Sesión de Textiles")
    response = vale.get(f"/sesiones/{theirs.pk}/")
    assert response.status_code == 200
    assert 'id="organisation-switched"' in response.text
    assert "Este enlace es de Textiles del Norte" in response.text
    assert "antes estabas en Aceros del Valle" in response.text
    # The header names the organisation the page belongs to.
    assert "Textiles del Norte</span>" in response.text
    assert _active(vale) == other_organisation.pk


def test_a_form_sent_to_another_of_her_organisations_acts_nowhere(
    vale, consultant, organisation, other_organisation
):
    theirs = _workshop(other_organisation, consultant.user, "Sesión de Textiles")
    response = vale.post(f"/sesiones/{theirs.pk}/duplicar/")
    assert response.status_code == 404
    assert Workshop.objects.filter(organisation=other_organisation).count() == 1
    assert _active(vale) is None


def test_a_link_to_an_organisation_she_is_not_in_is_404(vale, consultant, db):
    stranger = organisation_create(name="Lácteos del Sur")
    owner = member_create(
        organisation=stranger, username="sur", password=PASSWORD, is_facilitator=True
    )
    theirs = _workshop(stranger, owner.user, "Sesión del Sur")
    assert vale.get(f"/sesiones/{theirs.pk}/").status_code == 404
    assert _active(vale) is None


def test_after_login_a_person_of_several_organisations_chooses(consultant):
    client = Client()
    response = client.post("/entrar/", {"username": "vale", "password": PASSWORD})
    assert response["Location"].startswith(reverse("organisation_choose"))
    page = client.get(response["Location"]).text
    assert "¿En qué organización vas a trabajar?" in page
    assert "Aceros del Valle" in page and "Textiles del Norte" in page


def test_a_login_with_a_link_goes_to_the_link(consultant, other_organisation):
    theirs = _workshop(other_organisation, consultant.user, "Sesión de Textiles")
    client = Client()
    response = client.post(
        f"/entrar/?next=/sesiones/{theirs.pk}/", {"username": "vale", "password": PASSWORD}
    )
    assert response["Location"] == f"/sesiones/{theirs.pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_a_person_of_one_organisation_goes_home(facilitator):
    response = Client().post("/entrar/", {"username": "lili", "password": PASSWORD})
    assert response["Location"] == "/"


def test_the_chooser_keeps_a_safe_next_only(vale, other_organisation):
    response = vale.post(
        reverse("organisation_choose"),
        {"organisation": other_organisation.pk, "next": "https://example.com/robo"},
    )
    assert response["Location"] == "/"


def test_deactivation_is_per_organisation(consultant, other_organisation, organisation):
    member_set_active(membership=consultant, active=False)  # Aceros lets her go
    client = Client()
    assert client.login(username="vale", password=PASSWORD)  # Textiles still has her
    page = client.get("/sesiones/").text
    assert "Textiles del Norte</span>" in page
    assert "Cambiar de organización" not in page
    assert (
        client.post(reverse("organisation_choose"), {"organisation": organisation.pk}).status_code
        == 404
    )
    textiles = Membership.objects.get(user=consultant.user, organisation=other_organisation)
    # Textiles keeps a manager (she is its only one), so Textiles cannot let her go: the
    # last-manager rule holds per organisation.
    with pytest.raises(Exception, match="única persona gerente"):
        member_set_active(membership=textiles, active=False)


def test_a_person_deactivated_everywhere_loses_the_session_and_the_login(facilitator):
    client = Client()
    client.force_login(facilitator.user)
    assert client.get("/sesiones/").status_code == 200
    member_set_active(membership=facilitator, active=False)
    assert client.get("/sesiones/")["Location"].startswith("/entrar/")
    assert not Client().login(username="lili", password=PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_the_staff_socket_belongs_to_the_sessions_organisation(
    library, consultant, organisation, other_organisation
):
    ours = _live(organisation, consultant.user, "A")
    theirs = _live(other_organisation, consultant.user, "B")
    stranger = organisation_create(name="Lácteos del Sur")
    owner = member_create(
        organisation=stranger, username="sur", password=PASSWORD, is_facilitator=True
    )
    foreign = _live(stranger, owner.user, "C")
    user = consultant.user
    assert facilitator_live_for_user(user, ours.pk) == ours
    assert facilitator_live_for_user(user, theirs.pk) == theirs
    assert facilitator_live_for_user(user, foreign.pk) is None
    assert facilitator_live_for_user(user, "nope") is None
    member_set_active(membership=consultant, active=False)
    assert facilitator_live_for_user(user, ours.pk) is None
    assert facilitator_live_for_user(user, theirs.pk) == theirs


def _staff_socket(client: Client, path: str) -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    return WebsocketCommunicator(application, path, headers=headers)


@pytest.mark.django_db(transaction=True)
async def test_a_facilitator_deactivated_meanwhile_loses_the_open_control_room(
    library, organisation, facilitator, manager
):
    from channels.db import database_sync_to_async

    @database_sync_to_async
    def prepare():
        live = _live(organisation, facilitator.user, "Sala")
        client = Client()
        client.force_login(facilitator.user)
        return live, client

    live, client = await prepare()
    comm = _staff_socket(client, f"/ws/sala/{live.pk}/")
    connected, _ = await comm.connect()
    assert connected
    await comm.receive_from(timeout=3)  # the snapshot
    await comm.send_to(text_data=json.dumps({"type": "ping", "t": 1}))
    assert json.loads(await comm.receive_from(timeout=3)).get("pong") == 1
    await database_sync_to_async(member_set_active)(membership=facilitator, active=False)
    await comm.send_to(text_data=json.dumps({"type": "ping", "t": 2}))
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4001
            break
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_memberships_and_moves_deactivation():
    """From the one-to-one membership (0009) to several per person (0010): every row kept,
    an inactive account becomes an inactive membership of an account that can be reopened."""
    executor = MigrationExecutor(connection)
    before = [("workshops", "0009_first_run_installation")]
    after = [("workshops", "0010_several_organisations_invitations_and_face")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Organisation = old.get_model("workshops", "Organisation")
    OldMembership = old.get_model("workshops", "Membership")
    User = old.get_model("auth", "User")
    org = Organisation.objects.create(name="Vieja", slug="vieja")
    active = User.objects.create(username="activa", is_active=True)
    gone = User.objects.create(username="ida", is_active=False)
    OldMembership.objects.create(user=active, organisation=org, is_facilitator=True)
    OldMembership.objects.create(user=gone, organisation=org, is_manager=True)
    # A staff account let go stays closed: the admin needs no membership to let it in.
    staff = User.objects.create(username="soporte", is_active=False, is_staff=True)
    OldMembership.objects.create(user=staff, organisation=org, is_facilitator=True)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    NewMembership = new.get_model("workshops", "Membership")
    NewUser = new.get_model("auth", "User")
    rows = {
        m.user.username: (m.is_active, m.is_facilitator, m.is_manager)
        for m in NewMembership.objects.select_related("user")
    }
    assert rows == {
        "activa": (True, True, False),
        "ida": (False, False, True),
        "soporte": (False, True, False),
    }
    assert NewUser.objects.get(username="ida").is_active  # deactivation is the membership's
    assert not NewUser.objects.get(username="soporte").is_active
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_form_from_a_page_of_another_of_her_organisations_acts_there(
    vale, consultant, organisation, other_organisation
):
    """Two tabs: Textiles' page was open when Aceros became active in the other tab; its
    form names its page's organisation and acts there, and the active one stays."""
    theirs = _workshop(other_organisation, consultant.user, "Sesión de Textiles")
    vale.post(reverse("organisation_choose"), {"organisation": organisation.pk})
    response = vale.post(
        f"/sesiones/{theirs.pk}/duplicar/", {"puente_organisation": other_organisation.pk}
    )
    assert response.status_code == 302
    assert Workshop.objects.filter(organisation=other_organisation).count() == 2
    assert Workshop.objects.filter(organisation=organisation).count() == 0
    # The page after a form is its organisation's: Textiles is active now, and she is told.
    assert _active(vale) == other_organisation.pk
    assert "Ese formulario era de Textiles del Norte" in vale.get(response["Location"]).text


def test_a_settings_form_acts_in_its_pages_organisation(
    vale, consultant, organisation, other_organisation
):
    vale.post(reverse("organisation_choose"), {"organisation": organisation.pk})
    vale.post(
        reverse("organisation_settings"),
        {
            "org-name": "Textiles del Norte S.A.S.",
            "org-time_zone": "America/Mexico_City",
            "org-display_name": "",
            "puente_organisation": other_organisation.pk,
        },
    )
    organisation.refresh_from_db()
    other_organisation.refresh_from_db()
    assert other_organisation.name == "Textiles del Norte S.A.S."
    assert organisation.name == "Aceros del Valle"


def test_an_htmx_request_names_its_page_and_switches_nothing(
    vale, consultant, organisation, other_organisation
):
    theirs = _workshop(other_organisation, consultant.user, "Sesión de Textiles")
    vale.post(reverse("organisation_choose"), {"organisation": organisation.pk})
    response = vale.get(
        f"/sesiones/{theirs.pk}/",
        headers={"HX-Request": "true", "X-Puente-Organisation": str(other_organisation.pk)},
    )
    assert response.status_code == 200
    assert 'id="organisation-switched"' not in response.text
    assert _active(vale) == organisation.pk
    # The page's organisation is not where the object is: 404, as for anyone.
    ours = _workshop(organisation, consultant.user, "Sesión de Aceros")
    assert (
        vale.get(
            f"/sesiones/{ours.pk}/", headers={"X-Puente-Organisation": str(other_organisation.pk)}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("value", ["x", "999999", "1.5"])
def test_a_page_organisation_that_is_not_hers_is_404(vale, consultant, organisation, value):
    ours = _workshop(organisation, consultant.user, "Sesión de Aceros")
    response = vale.post(f"/sesiones/{ours.pk}/duplicar/", {"puente_organisation": value})
    assert response.status_code == 404
    assert Workshop.objects.filter(organisation=organisation).count() == 1


def test_every_staff_page_names_its_organisation(vale, organisation):
    page = vale.get("/sesiones/").text
    assert f'data-organisation="{organisation.pk}"' in page
    assert f'"X-Puente-Organisation": "{organisation.pk}"' in page
    assert "js/page-organisation" in page
