"""What a phone is told about its own context: who sits at its table, and what changed
between two versions of the agreement it is asked about."""

import datetime

import pytest

from agreements import services as agreement_services
from agreements.services import OwnerInput
from facilitation import services
from facilitation.broadcast import render_audience, render_me
from facilitation.selectors import version_changes
from tests.facilitation.conftest import goto
from tests.facilitation.test_agreements_in_session import in_consent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_a_phone_shows_who_else_sits_at_its_table(live, people, areas):
    extra = services.participant_join(live=live, name="Dora", area=areas["ventas"])
    services.participant_commit(participant=extra)
    everyone = [*people.values(), extra]
    for person in everyone:
        services.participant_seen(participant=person)
    services.tables_assign(live=live, size=2, seed=1)
    for person in everyone:
        person.refresh_from_db()
    for person in everyone:
        mates = [p for p in everyone if p.pk != person.pk and p.table_number == person.table_number]
        me = render_me(person)
        assert f"Tu mesa: <strong>{person.table_number}</strong>" in me
        for mate in mates:
            assert f"{mate.name} <small>({mate.area.name})</small>" in me
        for other in everyone:
            if other.pk != person.pk and other not in mates:
                assert f"{other.name} <small>" not in me


def test_a_reworded_agreement_shows_what_changed_word_by_word(live, people, areas):
    goto(live, "agreements")
    agreement = in_consent(live, areas, people)
    assert version_changes(agreement) is None
    agreement_services.agreement_reword(
        agreement=agreement,
        text="Reunión diaria de 10 minutos entre las tres áreas, con Logística",
        due_date=agreement.due_date + datetime.timedelta(days=7),
        areas=[areas["compras"], areas["logistica"]],
        owners=[OwnerInput(name="", area=areas["compras"], participant=people["compras"])],
        problem="Ventas promete fechas que Compras no conoce",
        indicator="Cero pedidos sin fecha confirmada",
    )
    agreement.refresh_from_db()
    changes = version_changes(agreement)
    assert changes.previous == 1
    assert ("del", "15") in changes.words and ("ins", "10") in changes.words
    assert ("ins", "áreas, con Logística") in changes.words or any(
        op == "ins" and "Logística" in words for op, words in changes.words
    )
    assert [label for label, _, _ in changes.fields] == ["Fecha de entrega"]
    phone = render_audience(live, "participants")
    assert "Qué cambió desde la versión 1" in phone
    assert "<del>15</del>" in phone and "<ins>10</ins>" in phone


def test_markup_in_a_reworded_text_stays_text_in_the_diff(live, people, areas):
    goto(live, "agreements")
    agreement = in_consent(live, areas, people)
    agreement_services.agreement_reword(
        agreement=agreement,
        text="Reunión <b>diaria</b> de 15 minutos",
        due_date=agreement.due_date,
        areas=[areas["compras"]],
        owners=[OwnerInput(name="", area=areas["compras"], participant=people["compras"])],
    )
    phone = render_audience(live, "participants")
    assert "<b>diaria</b>" not in phone and "&lt;b&gt;diaria&lt;/b&gt;" in phone


def test_a_draft_reworded_before_the_room_saw_it_shows_no_changes(live, people, areas):
    goto(live, "agreements")
    agreement = agreement_services.agreement_draft(
        live=live,
        text="Primera redacción",
        due_date=live.workshop.date + datetime.timedelta(days=10),
        areas=[areas["compras"]],
        owners=[OwnerInput(name="", area=areas["compras"], participant=people["compras"])],
    )
    agreement_services.agreement_reword(
        agreement=agreement,
        text="Segunda redacción",
        due_date=agreement.due_date,
        areas=[areas["compras"]],
        owners=[OwnerInput(name="", area=areas["compras"], participant=people["compras"])],
    )
    agreement = agreement_services.agreement_ask_consent(agreement=agreement)
    assert agreement.version == 2 and version_changes(agreement) is None
    assert "Qué cambió" not in render_audience(live, "participants")
