"""The retention command, as a daily cron runs it: what it prints, and its exit status."""

import io
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from facilitation import retention
from facilitation.models import LiveSession, Participant
from tests.facilitation.test_retention import LABEL, close, other_session

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = io.StringIO()
    call_command("erase_expired", stdout=out)
    return out.getvalue()


def test_the_command_prints_each_session_it_erased_and_then_nothing_new(
    organisation, facilitator, areas, library
):
    expired = close(other_session(organisation, facilitator, areas, "Pedido perdido"), 181)
    recent = close(other_session(organisation, facilitator, areas, "Reciente"), 10)

    lines = _run().strip().splitlines()

    day = expired.closed_at.astimezone(organisation.zone).strftime("%d/%m/%Y")
    assert lines == [
        f"Sesión {expired.pk} «Pedido perdido» (Aceros del Valle), cerrada el {day}: "
        "nombres borrados: 1; textos borrados: 1",
        "Sesiones con nombres y textos borrados: 1",
    ]
    assert Participant.objects.get(live=expired).name == LABEL
    assert Participant.objects.get(live=recent).name == "Elena"
    assert _run().strip() == "Sesiones con nombres y textos borrados: 0"


def test_a_failed_session_exits_1_after_erasing_the_others(
    organisation, facilitator, areas, library, monkeypatch, caplog
):
    broken = close(other_session(organisation, facilitator, areas, "Rota"), 200)
    fine = close(other_session(organisation, facilitator, areas, "Bien"), 200)
    real = retention.erase_session_texts

    def flaky(*, live, now=None):
        if live.pk == broken.pk:
            raise RuntimeError("database went away")
        return real(live=live, now=now)

    monkeypatch.setattr(retention, "erase_session_texts", flaky)
    out = io.StringIO()
    with caplog.at_level(logging.WARNING), pytest.raises(CommandError) as raised:
        call_command("erase_expired", stdout=out)

    assert str(raised.value) == "Sesiones que fallaron: 1 (ver el registro)"
    assert raised.value.returncode == 1
    output = out.getvalue()
    assert "«Bien»" in output and "Sesiones con nombres y textos borrados: 1" in output
    assert LiveSession.objects.get(pk=fine.pk).texts_erased_at is not None
    assert LiveSession.objects.get(pk=broken.pk).texts_erased_at is None
    assert "database went away" in caplog.text


def test_a_dry_run_lists_what_would_be_erased_and_erases_nothing(
    organisation, facilitator, areas, library
):
    expired = close(other_session(organisation, facilitator, areas, "Pedido perdido"), 181)
    close(other_session(organisation, facilitator, areas, "Reciente"), 10)
    out = io.StringIO()
    call_command("erase_expired", "--dry-run", stdout=out)
    assert out.getvalue().strip().splitlines() == [
        f"Se borraría: sesión {expired.pk} «Pedido perdido» (Aceros del Valle)",
        "Sesiones que se borrarían: 1 (no se borró nada)",
    ]
    assert Participant.objects.get(live=expired).name == "Elena"
    assert LiveSession.objects.get(pk=expired.pk).texts_erased_at is None
