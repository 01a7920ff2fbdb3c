import datetime

import pytest
from django.test import Client

from facilitation import services
from facilitation.access import SESSION_KEY
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status


@pytest.fixture
def ready_workshop(library, organisation, facilitator) -> Workshop:
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Sincronizar áreas",
        purpose="Perdimos un pedido",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={a: 4 for a in organisation.areas.all()},
        template="tres-horas",
    )
    return workshop_set_status(workshop=workshop, status=Workshop.Status.READY)


@pytest.fixture
def live(ready_workshop):
    return services.live_start(workshop=ready_workshop)


@pytest.fixture
def areas(organisation):
    return {area.slug: area for area in organisation.areas.all()}


@pytest.fixture
def people(live, areas):
    """One committed participant per area."""
    result = {}
    for slug, name in (("compras", "Ana"), ("ventas", "Beto"), ("logistica", "Caro")):
        participant = services.participant_join(live=live, name=name, area=areas[slug])
        result[slug] = services.participant_commit(participant=participant)
    return result


def phone_client(participant) -> Client:
    """A browser session that holds this participant's identity."""
    client = Client()
    session = client.session
    session[SESSION_KEY.format(live_id=participant.live_id)] = participant.pk
    session.save()
    client.cookies["sessionid"] = session.session_key
    return client


def goto(live, slug):
    block = live.workshop.blocks.filter(kind__slug=slug).first()
    return services.live_goto_block(live=live, block=block)
