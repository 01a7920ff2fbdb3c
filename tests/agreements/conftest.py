"""Agreements are made the way the room makes them: drafted in a live session through the
services, put to consent and recorded as agreed."""

import datetime

import pytest
from django.utils import timezone

from agreements import services
from agreements.models import Agreement
from agreements.services import OwnerInput
from facilitation import services as live_services
from tests.facilitation import conftest as live_fixtures
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status

# The live-session fixtures, shared rather than copied.
ready_workshop = live_fixtures.ready_workshop
live = live_fixtures.live
areas = live_fixtures.areas
people = live_fixtures.people


def agree(
    live,
    actor,
    *,
    text: str,
    due: datetime.date,
    areas: list,
    owners: list[OwnerInput],
    **extra,
) -> Agreement:
    agreement = services.agreement_draft(
        live=live, text=text, due_date=due, areas=areas, owners=owners, **extra
    )
    services.agreement_ask_consent(agreement=agreement)
    return services.agreement_record(agreement=agreement, outcome="agreed", actor=actor)


@pytest.fixture
def agreement(live, people, areas, facilitator) -> Agreement:
    """Agreed in the live session: Ana (Compras, in the room) and Diego (Ventas, by name)."""
    return agree(
        live,
        facilitator.user,
        text="Reunión diaria de 15 minutos entre Compras y Ventas",
        problem="Ventas promete fechas que Compras no conoce",
        indicator="Cero pedidos sin fecha confirmada en enero",
        due=live.workshop.date + datetime.timedelta(days=30),
        areas=[areas["compras"], areas["ventas"]],
        owners=[
            OwnerInput(name="", area=areas["compras"], participant=people["compras"]),
            OwnerInput(name="Diego Ruiz", area=areas["ventas"], email="diego@example.com"),
        ],
    )


@pytest.fixture
def past_live(library, organisation, facilitator):
    """A session held three weeks ago, still open, so its agreements can already be late."""
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Logística y Ventas: dar la cara",
        date=timezone.localdate() - datetime.timedelta(days=21),
        start_time=datetime.time(9, 0),
        place="Sala Cóndor",
        invited={a: 3 for a in organisation.areas.all()},
        template="tres-horas",
    )
    workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    return live_services.live_start(workshop=workshop)


@pytest.fixture
def overdue_agreement(past_live, areas, facilitator) -> Agreement:
    """Due a week ago and still pending, owned by Elena (Logística)."""
    return agree(
        past_live,
        facilitator.user,
        text="Avisar a Ventas el mismo día de cada retraso de despacho",
        due=timezone.localdate() - datetime.timedelta(days=7),
        areas=[areas["logistica"]],
        owners=[OwnerInput(name="Elena Paz", area=areas["logistica"], email="elena@example.com")],
    )
