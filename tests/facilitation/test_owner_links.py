"""Owners leave the room with their link: by email (one failure never stops the others), on
their phone (which says when it showed it), or on a printed card; the control room shows
each owner's way and never leaves one without a link silently; renewing says the old link
stops working."""

import datetime

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.urls import reverse

from agreements import services as agreement_services
from agreements.models import Agreement, Owner
from agreements.services import OwnerInput
from facilitation.broadcast import render_audience, render_me
from tests.facilitation.conftest import goto
from tests.facilitation.test_consumers import connect_phone, receive_json

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def agreed(live, areas, people, facilitator, text="Confirmar fechas\\nantes de prometerlas"):
    """An agreement with three owners: Beto present (no email), Diego with an email, Eva
    with neither."""
    goto(live, "agreements")
    agreement = agreement_services.agreement_draft(
        live=live,
        text=text.replace("\\\\n", "\\n"),
        due_date=live.workshop.date + datetime.timedelta(days=20),
        areas=[areas["ventas"], areas["logistica"]],
        owners=[
            OwnerInput(name="", area=areas["ventas"], participant=people["ventas"]),
            OwnerInput(name="Diego Ruiz", area=areas["logistica"], email="diego@example.com"),
            OwnerInput(name="Eva Gil", area=areas["logistica"]),
        ],
    )
    agreement_services.agreement_ask_consent(agreement=agreement)
    return agreement_services.agreement_record(
        agreement=agreement, outcome=Agreement.Outcome.AGREED, actor=facilitator.user
    )


def owner(name):
    return (
        Owner.objects.get(participant__name=name)
        if name == "Beto"
        else Owner.objects.get(name=name)
    )


def test_the_email_goes_with_a_one_line_subject_and_is_recorded(live, areas, people, facilitator):
    agreed(live, areas, people, facilitator, text="Confirmar fechas\nantes de prometerlas")
    (message,) = mail.outbox
    assert message.to == ["diego@example.com"]
    assert "\n" not in message.subject and "Confirmar fechas antes" in message.subject
    assert owner("Diego Ruiz").emailed_at is not None
    assert owner("Eva Gil").emailed_at is None


def test_one_failing_email_never_stops_the_others(live, areas, people, facilitator, monkeypatch):
    real = agreement_services.owner_link_email
    calls = []

    def flaky(*, owner, base_url=""):
        calls.append(owner.name)
        if owner.name == "Ana Mal":
            raise OSError("mail server down")
        real(owner=owner, base_url=base_url)

    monkeypatch.setattr(agreement_services, "owner_link_email", flaky)
    agreement = agreed(live, areas, people, facilitator)
    Owner.objects.create(
        agreement=agreement, name="Ana Mal", area=areas["ventas"], email="a@x.co", token="t-ana"
    )
    ids = list(agreement.owners.exclude(email="").values_list("pk", flat=True))
    mail.outbox.clear()
    assert agreement_services.owner_links_email(ids) == 1
    assert calls.count("Ana Mal") == 1 and calls.count("Diego Ruiz") == 2  # with the first
    assert len(mail.outbox) == 1


def test_the_phone_shows_the_owner_their_link_and_says_when(live, areas, people, facilitator):
    agreement = agreed(live, areas, people, facilitator)
    beto = owner("Beto")
    me = render_me(people["ventas"])
    assert reverse("owner_agreement", args=[beto.token]) in me and "data-owner-link" in me
    # Nobody else's phone gets it.
    assert beto.token not in render_me(people["compras"])
    # Only the owner's own rows are marked, once.
    seen = agreement_services.owner_link_seen
    assert seen(participant=people["compras"], agreement_id=agreement.pk, token=beto.token) == 0
    # A report naming another (or an old) link marks nothing.
    assert seen(participant=people["ventas"], agreement_id=agreement.pk, token="old") == 0
    assert seen(participant=people["ventas"], agreement_id=agreement.pk, token=beto.token) == 1
    assert seen(participant=people["ventas"], agreement_id=agreement.pk, token=beto.token) == 0
    assert owner("Beto").phone_seen_at is not None


async def test_the_phone_reports_the_link_over_its_socket(live, areas, people, facilitator):
    agreement = await database_sync_to_async(agreed)(live, areas, people, facilitator)
    comm, _, _ = await connect_phone(people["ventas"])
    token = (await database_sync_to_async(owner)("Beto")).token
    await comm.send_json_to(
        {"type": "link_seen", "agreement": agreement.pk, "token": token, "key": "ls1"}
    )
    frames = [await receive_json(comm) for _ in range(1)]
    assert {"ack": "ls1", "ok": True}.items() <= frames[-1].items()
    beto = await database_sync_to_async(owner)("Beto")
    assert beto.phone_seen_at is not None
    await comm.disconnect()


def test_the_control_room_says_how_each_link_went_and_flags_the_missing_ones(
    live, areas, people, facilitator, facilitator_client
):
    agreed(live, areas, people, facilitator)
    room = render_audience(live, "facilitator")
    diego, eva, beto = owner("Diego Ruiz"), owner("Eva Gil"), owner("Beto")
    assert "correo enviado" in room.split(f'id="delivery-{diego.pk}"')[1].split("</li>")[0]
    assert "sin enlace" in room.split(f'id="delivery-{eva.pk}"')[1].split("</li>")[0]
    assert "aún no ve el enlace" in room.split(f'id="delivery-{beto.pk}"')[1].split("</li>")[0]
    assert "Imprimir 2 tarjetas de enlace" in room

    url = reverse("owner_cards", args=[live.pk])
    page = facilitator_client.get(url).content.decode()
    assert page.count('class="owner-card"') == 2 and "Eva Gil" in page
    assert eva.token in page and diego.token not in page and "<svg" in page
    owners = [f"{o.pk}:{o.token}" for o in (eva, beto, diego)]
    response = facilitator_client.post(url, {"owner": owners})
    assert response.status_code == 302
    assert owner("Eva Gil").printed_at is not None and owner("Beto").printed_at is not None
    assert owner("Diego Ruiz").printed_at is None  # not among the cards shown
    room = render_audience(live, "facilitator")
    assert "tarjeta impresa" in room and "Imprimir" not in room.split('id="agreements"')[1][:600]
    every = facilitator_client.get(url + "?todos=1").content.decode()
    assert every.count('class="owner-card"') == 3


def test_another_organisation_gets_404_for_the_cards(
    live, areas, people, facilitator, outsider_client
):
    agreed(live, areas, people, facilitator)
    url = reverse("owner_cards", args=[live.pk])
    assert outsider_client.get(url).status_code == 404
    eva = owner("Eva Gil")
    assert outsider_client.post(url, {"owner": [f"{eva.pk}:{eva.token}"]}).status_code == 404
    assert owner("Eva Gil").printed_at is None


def test_renewing_asks_first_and_says_the_old_link_stops_working(
    live, areas, people, facilitator, manager_client
):
    agreement = agreed(live, areas, people, facilitator)
    diego = owner("Diego Ruiz")
    old_token = diego.token
    url = reverse("owner_renew", args=[agreement.pk, diego.pk])
    page = manager_client.get(url).content.decode()
    assert "dejará de funcionar" in page and owner("Diego Ruiz").token == old_token
    mail.outbox.clear()
    response = manager_client.post(url, follow=True)
    assert "El anterior ya no funciona." in response.content.decode()
    renewed = owner("Diego Ruiz")
    assert renewed.token != old_token and renewed.emailed_at is not None
    assert renewed.phone_seen_at is None and renewed.printed_at is None
    assert len(mail.outbox) == 1


def test_a_removed_participant_or_a_renewed_link_records_nothing(
    live, areas, people, facilitator, manager
):
    agreement = agreed(live, areas, people, facilitator)
    beto = owner("Beto")
    old = beto.token
    agreement_services.owner_link_renew(owner=beto, actor=manager.user)
    seen = agreement_services.owner_link_seen
    assert seen(participant=people["ventas"], agreement_id=agreement.pk, token=old) == 0
    # The phone now shows the new link.
    assert owner("Beto").token in render_me(people["ventas"]) and old not in render_me(
        people["ventas"]
    )
    from facilitation import services as live_services

    live_services.participant_remove(
        live=live, participant=people["ventas"], actor=facilitator.user
    )
    new = owner("Beto").token
    assert seen(participant=people["ventas"], agreement_id=agreement.pk, token=new) == 0
    assert owner("Beto").phone_seen_at is None


def test_cards_printed_for_a_link_renewed_since_are_not_marked(
    live, areas, people, facilitator, facilitator_client, manager
):
    agreed(live, areas, people, facilitator)
    eva = owner("Eva Gil")
    shown = f"{eva.pk}:{eva.token}"
    agreement_services.owner_link_renew(owner=eva, actor=manager.user)
    facilitator_client.post(reverse("owner_cards", args=[live.pk]), {"owner": [shown]})
    assert owner("Eva Gil").printed_at is None


def test_a_console_mailer_delivers_nothing_so_the_room_asks_for_a_card(
    live, areas, people, facilitator, settings
):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    agreed(live, areas, people, facilitator)
    assert owner("Diego Ruiz").emailed_at is None
    room = render_audience(live, "facilitator")
    assert "el correo no salió todavía" in room
