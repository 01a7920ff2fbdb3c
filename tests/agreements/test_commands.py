import datetime
import io
import smtplib

import pytest
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from agreements import services
from agreements.models import Reminder
from agreements.services import OwnerInput
from tests.agreements.conftest import agree

pytestmark = pytest.mark.django_db


def _run(**options) -> str:
    out = io.StringIO()
    call_command("send_agreement_reminders", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def due_soon(past_live, areas, facilitator):
    return agree(
        past_live,
        facilitator.user,
        text="Enviar el inventario a Ventas cada viernes",
        due=timezone.localdate() + datetime.timedelta(days=2),
        areas=[areas["compras"]],
        owners=[OwnerInput(name="Fabio", area=areas["compras"], email="fabio@example.com")],
    )


def _agreement_with(past_live, areas, facilitator, text, email, due_in_days=1):
    return agree(
        past_live,
        facilitator.user,
        text=text,
        due=timezone.localdate() + datetime.timedelta(days=due_in_days),
        areas=[areas["ventas"]],
        owners=[OwnerInput(name=text.split()[0], area=areas["ventas"], email=email)],
    )


def test_due_soon_and_overdue_owners_are_reminded_once_a_day(
    due_soon, overdue_agreement, mailoutbox
):
    assert _run().strip() == "Recordatorios enviados: 2"
    assert sorted(m.to[0] for m in mailoutbox) == ["elena@example.com", "fabio@example.com"]
    assert all("/acuerdo/" in m.body for m in mailoutbox)
    assert dict(Reminder.objects.values_list("owner__name", "kind")) == {
        "Fabio": "due_soon",
        "Elena Paz": "overdue",
    }
    # The same day again: nothing new.
    assert _run().strip() == "Recordatorios enviados: 0"
    assert len(mailoutbox) == 2
    # The next day they are reminded again.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert _run(date=tomorrow).strip() == "Recordatorios enviados: 2"
    assert len(mailoutbox) == 4


def test_done_discarded_revoked_far_and_emailless_owners_are_not_reminded(
    past_live, areas, facilitator, manager, mailoutbox
):
    done = _agreement_with(past_live, areas, facilitator, "Hecho: algo", "a@example.com")
    services.owner_update_status(owner=done.owners.get(), status="hecho")
    discarded = _agreement_with(past_live, areas, facilitator, "Descartado: algo", "b@x.com")
    services.owner_update_status(owner=discarded.owners.get(), status="descartado")
    revoked = _agreement_with(past_live, areas, facilitator, "Revocado: algo", "c@example.com")
    services.owner_link_revoke(owner=revoked.owners.get(), actor=manager.user)
    _agreement_with(past_live, areas, facilitator, "Sincorreo: algo", "")
    _agreement_with(past_live, areas, facilitator, "Lejano: algo", "d@example.com", 30)
    blocked = _agreement_with(past_live, areas, facilitator, "Bloqueado: algo", "e@example.com")
    services.owner_update_status(owner=blocked.owners.get(), status="bloqueado")

    assert _run().strip() == "Recordatorios enviados: 1"
    assert [m.to for m in mailoutbox] == [["e@example.com"]]


def test_a_dropped_agreement_is_never_reminded(past_live, areas, facilitator, mailoutbox):
    draft = services.agreement_draft(
        live=past_live,
        text="Cambiar de transportista",
        due_date=timezone.localdate(),
        areas=[areas["logistica"]],
        owners=[OwnerInput(name="Elena", area=areas["logistica"], email="elena@example.com")],
    )
    services.agreement_ask_consent(agreement=draft)
    services.agreement_record(agreement=draft, outcome="dropped", actor=facilitator.user)
    assert _run().strip() == "Recordatorios enviados: 0"
    assert mailoutbox == []


class RefusingBackend(locmem.EmailBackend):
    """Delivers like the test backend, except to one address, which its server refuses."""

    def send_messages(self, messages):
        if any("roto@example.com" in m.to for m in messages):
            raise smtplib.SMTPRecipientsRefused({"roto@example.com": (550, b"no such user")})
        return super().send_messages(messages)


def test_one_failing_reminder_never_stops_the_others(
    past_live, areas, facilitator, settings, mailoutbox
):
    """Hole 2 of issue 12: the first owner whose mail fails used to end the run, every day."""
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    # Ordered so the failing owner is reminded first (the query has no order of its own).
    _agreement_with(past_live, areas, facilitator, "Roto: una línea\ny otra", "roto@example.com")
    _agreement_with(past_live, areas, facilitator, "Ana: revisar precios", "ana@example.com")
    _agreement_with(past_live, areas, facilitator, "Beto: ajustar rutas", "beto@example.com")

    with pytest.raises(CommandError, match="Recordatorios que fallaron: 1"):
        _run()
    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.com", "beto@example.com"]
    # The failed one is not recorded as reminded: the next run tries it again.
    assert sorted(Reminder.objects.values_list("owner__email", flat=True)) == [
        "ana@example.com",
        "beto@example.com",
    ]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert _run().strip() == "Recordatorios enviados: 1"
    assert mailoutbox[-1].to == ["roto@example.com"]
    assert "\n" not in mailoutbox[-1].subject
