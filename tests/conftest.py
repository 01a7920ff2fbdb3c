"""Personas shared by every test: a facilitator, a manager, and an outsider from another
organisation. Success and failure share this setup."""

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from facilitation import broadcast
from facilitation.fanout import hub
from facilitation.selectors import method_rows_forget
from workshops.models import Membership, Organisation
from workshops.services import library_load, member_create, organisation_create

PASSWORD = "una-clave-larga-2026"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Pages name their scripts and stylesheets after STATIC_ROOT's manifest, and the browser
    tests' server serves them from there: collect them first (quick when nothing changed), so
    a run sees the files as they are now, in a fresh clone too."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _spanish_after_each_test():
    """A request in English (the language cookie) leaves English active on the test's
    thread; the next test would read English messages from services."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttles live in the cache; with Redis it outlives a test.
    cache.clear()
    _fresh_live_layer()
    yield
    cache.clear()
    _fresh_live_layer()


def _fresh_live_layer() -> None:
    """Each async test runs on an event loop of its own, but the channel layer and the hub
    are process-wide: channels_redis keeps a receive lock bound to the loop that created it,
    and a hub task of an earlier test's loop could still hold it (CI once failed with "Lock
    is bound to a different event loop"). Every test starts with a new layer and an unbound
    hub, as a fresh server process would."""
    channel_layers.backends.clear()
    hub.reset(None)
    broadcast._recent.clear()  # this process's last renders (a test may edit rows directly)
    broadcast._people.clear()
    method_rows_forget()  # the method's rows a phone's page carries (each test loads them)


@pytest.fixture
def library(db) -> dict:
    """The method library and question bank (a flush between transactional tests empties
    what the migration loaded, so tests ask for it explicitly)."""
    return library_load()


@pytest.fixture
def organisation(db) -> Organisation:
    return organisation_create(name="Aceros del Valle", time_zone="America/Bogota")


@pytest.fixture
def other_organisation(db) -> Organisation:
    return organisation_create(name="Textiles del Norte", time_zone="America/Mexico_City")


@pytest.fixture
def facilitator(organisation) -> Membership:
    return member_create(
        organisation=organisation,
        username="lili",
        password=PASSWORD,
        first_name="Lili",
        is_facilitator=True,
    )


@pytest.fixture
def manager(organisation) -> Membership:
    return member_create(
        organisation=organisation,
        username="milena",
        password=PASSWORD,
        first_name="Milena",
        is_manager=True,
    )


@pytest.fixture
def outsider(other_organisation) -> Membership:
    """A facilitator and manager of another organisation."""
    return member_create(
        organisation=other_organisation,
        username="externo",
        password=PASSWORD,
        is_facilitator=True,
        is_manager=True,
    )


def _client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def facilitator_client(facilitator) -> Client:
    return _client_for(facilitator)


@pytest.fixture
def manager_client(manager) -> Client:
    return _client_for(manager)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _client_for(outsider)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser journeys run last: Playwright's sync API keeps an event loop running in the
    main thread for the session, and the async websocket tests need their own."""
    items.sort(key=lambda item: "tests/browser/" in str(item.fspath))


@pytest.fixture(scope="session", autouse=True)
def _close_stray_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end connections that threads of the async tests
    left open (PostgreSQL refuses to drop a database in use)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
