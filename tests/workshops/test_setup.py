"""The first run: the service, and the management command that calls it."""

import io
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from workshops.models import Installation, Membership, Organisation
from workshops.people import (
    DEMO_ORG,
    SetupClosed,
    organisation_setup,
    parse_area_names,
    setup_is_open,
    setup_key,
)
from workshops.services import member_create, organisation_create

PASSWORD = "una-clave-larga-2026"


def _setup(**overrides):
    fields = {
        "name": "Ferretería La Esquina",
        "time_zone": "America/Bogota",
        "areas": ["Compras", "Ventas", "Logística"],
        "username": "dora",
        "email": "dora@laesquina.co",
        "password": PASSWORD,
        "first_name": "Dora",
        "is_facilitator": True,
        "is_manager": True,
    }
    return organisation_setup(**(fields | overrides))


def test_fresh_install_is_open_and_the_demo_does_not_close_it(db):
    assert setup_is_open()
    organisation_create(name=DEMO_ORG)
    assert setup_is_open()


def test_setup_creates_organisation_areas_and_a_manager_then_closes(db):
    membership = _setup(areas=["Compras", "Ventas", "Bodega"], time_zone="America/Lima")

    organisation = membership.organisation
    assert organisation.name == "Ferretería La Esquina"
    assert organisation.time_zone == "America/Lima"
    assert list(organisation.areas.values_list("name", flat=True)) == [
        "Compras",
        "Ventas",
        "Bodega",
    ]
    assert membership.is_manager and membership.is_facilitator
    assert membership.user.check_password(PASSWORD)
    assert membership.user.email == "dora@laesquina.co"
    assert Installation.objects.get().organisation == organisation
    assert not setup_is_open()


def test_second_setup_is_refused_and_changes_nothing(db):
    _setup()
    with pytest.raises(SetupClosed):
        _setup(name="Otra", username="otra")
    assert Organisation.objects.count() == 1
    assert not get_user_model().objects.filter(username="otra").exists()


def test_setup_stays_closed_after_its_organisation_is_deleted(db):
    _setup().organisation.delete()
    assert not setup_is_open()
    with pytest.raises(SetupClosed):
        _setup()


def test_an_organisation_made_before_the_setup_existed_closes_it(db):
    organisation_create(name="Aceros del Valle")
    assert not setup_is_open()
    with pytest.raises(SetupClosed):
        _setup()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "12345678"}, "password"),
        ({"password": "dora"}, "password"),
        ({"email": "no-es-correo"}, "email"),
        ({"areas": []}, "areas"),
        ({"name": "  "}, "name"),
        ({"time_zone": "Marte/Olympus"}, "time_zone"),
        ({"username": "con espacio"}, "username"),
        ({"is_manager": False}, "is_manager"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(db, overrides, field):
    with pytest.raises(ValidationError) as refused:
        _setup(**overrides)
    assert field in refused.value.message_dict
    assert Organisation.objects.count() == 0
    assert not Installation.objects.exists()
    assert setup_is_open()


def test_username_taken_by_the_demo_is_refused(db):
    member_create(
        organisation=organisation_create(name=DEMO_ORG),
        username="gerente",
        password=PASSWORD,
        is_manager=True,
    )
    with pytest.raises(ValidationError) as refused:
        _setup(username="Gerente")
    assert "username" in refused.value.message_dict


def test_area_names_split_on_commas_and_lines_each_once():
    assert parse_area_names("Compras, Ventas\nLogística;;  ventas ,\n") == [
        "Compras",
        "Ventas",
        "Logística",
    ]


# --- The management command ---


def _command(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("setup_organisation", *args, stdout=out)
    finally:
        sys.stdin = old
    return out.getvalue()


BASE_ARGS = ["--name", "Ferretería La Esquina", "--username", "dora", "--email", "d@x.co"]


def test_command_sets_up_with_password_from_a_file(db, tmp_path):
    secret = tmp_path / "clave"
    secret.write_text(PASSWORD + "\n")
    output = _command(
        *BASE_ARGS, "--areas", "Compras, Bodega", "--password-file", str(secret), "--manager"
    )
    assert "set up" in output
    membership = Membership.objects.get(user__username="dora")
    assert membership.is_manager and not membership.is_facilitator
    assert membership.user.check_password(PASSWORD)
    assert [a.name for a in membership.organisation.areas.all()] == ["Compras", "Bodega"]


def test_command_reads_the_password_from_stdin_with_default_areas(db):
    _command(*BASE_ARGS, "--password-stdin", "--manager", "--facilitator", stdin=PASSWORD)
    membership = Membership.objects.get(user__username="dora")
    assert membership.is_facilitator
    assert [a.name for a in membership.organisation.areas.all()] == [
        "Compras",
        "Ventas",
        "Logística",
    ]


def test_command_refuses_without_manager_and_says_why(db):
    with pytest.raises(CommandError, match="--manager"):
        _command(*BASE_ARGS, "--password-stdin", "--facilitator", stdin=PASSWORD)
    assert Organisation.objects.count() == 0


def test_command_refuses_a_weak_password(db):
    with pytest.raises(CommandError, match="password"):
        _command(*BASE_ARGS, "--password-stdin", "--manager", stdin="12345678")
    assert Organisation.objects.count() == 0


def test_command_refuses_once_set_up(db):
    _setup()
    with pytest.raises(CommandError, match="already set up"):
        _command(*BASE_ARGS, "--password-stdin", "--manager", stdin=PASSWORD)
    assert Organisation.objects.count() == 1


def test_seed_demo_says_where_to_set_up_only_while_open(db):
    out = io.StringIO()
    call_command("seed_demo", "--port", "8123", stdout=out)
    assert f"http://localhost:8123/configurar/?clave={setup_key()}" in out.getvalue()
    _setup()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "/configurar/" not in out.getvalue()


def test_a_concurrent_setup_that_passed_the_check_fails_on_the_installation_row(db, monkeypatch):
    """Two submissions both saw the setup open; the first committed its row."""
    _setup()
    monkeypatch.setattr("workshops.people.setup_is_open", lambda: True)
    with pytest.raises(SetupClosed):
        _setup(name="Otra", username="otra")
    assert Organisation.objects.count() == 1
