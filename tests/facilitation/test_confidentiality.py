"""What stays in the room is said the same way everywhere it matters: at joining (see
test_join_privacy), in the principles block on every phone and on the projector, and at the
top of the acta. The organisation's own statement replaces the default one."""

import html

import pytest
from django.urls import reverse

from tests.facilitation.conftest import goto, phone_client
from workshops.method import PRINCIPLES_KIND
from workshops.services import organisation_privacy_update

STATEMENT = (
    "Lo que aquí se diga no sale de aquí: el acta lleva acuerdos y cifras, nunca quién dijo "
    "qué. <b>sin formato</b>"
)


@pytest.fixture
def own_statement(organisation):
    return organisation_privacy_update(
        organisation=organisation,
        confidentiality_statement=STATEMENT,
        privacy_notice="",
        privacy_contact="",
        min_group_size=3,
        retention_days=180,
    )


def _statement_in(body: str, place: str) -> bool:
    return f'id="confidentiality-{place}"' in body and html.escape(STATEMENT) in body


def test_the_principles_block_on_the_phone_says_what_stays_in_the_room(live, people, own_statement):
    goto(live, PRINCIPLES_KIND)
    body = phone_client(people["ventas"]).get(f"/p/{live.qr_token}/").content.decode()
    assert _statement_in(body, "phone")
    assert "<b>sin formato</b>" not in body  # the organisation's text is text
    commitment = body[body.index('id="commitment"') :]
    assert commitment.index('id="confidentiality-phone"') < commitment.index('id="commitment-form"')


def test_the_projector_shows_it_with_the_principles_and_not_in_other_blocks(
    facilitator_client, live, own_statement
):
    projector = reverse("projector", args=[live.pk])
    goto(live, PRINCIPLES_KIND)
    body = facilitator_client.get(projector).content.decode()
    assert _statement_in(body, "screen")
    assert body.index('id="screen-principles"') < body.index('id="confidentiality-screen"')
    goto(live, "area_round")
    assert 'id="confidentiality-screen"' not in facilitator_client.get(projector).content.decode()


def test_the_acta_opens_with_it(manager_client, live, own_statement):
    body = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    assert _statement_in(body, "report")
    assert body.index('id="confidentiality-report"') < body.index('id="attendance"')


def test_without_a_statement_of_its_own_every_place_shows_the_default(
    manager_client, facilitator_client, live, people
):
    default = "Lo que se dice en esta sala se queda en esta sala"
    goto(live, PRINCIPLES_KIND)
    pages = {
        "phone": phone_client(people["compras"]).get(f"/p/{live.qr_token}/"),
        "screen": facilitator_client.get(reverse("projector", args=[live.pk])),
        "report": manager_client.get(reverse("workshop_report", args=[live.workshop_id])),
    }
    for place, response in pages.items():
        body = response.content.decode()
        assert f'id="confidentiality-{place}"' in body, place
        assert default in body, place
        assert "Aceros del Valle" in body, place
