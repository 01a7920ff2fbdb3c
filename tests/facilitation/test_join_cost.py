"""What a room joining costs the server (issue 13: a room arrives in seconds). Counted, not
timed: queries per page and per snapshot, the socket's middleware, and the control room's
people list rendered again only when someone in it changed."""

import datetime
import json

import pytest
from channels import auth
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facilitation import broadcast, selectors, services
from facilitation.models import Participant
from facilitation.selectors import live_state
from tests.facilitation.conftest import goto, phone_client
from tests.facilitation.test_consumers import communicator, connect_phone
from workshops.models import Principle


def page(participant):
    client = phone_client(participant)
    url = reverse("participant_live", args=[participant.live.qr_token])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


@pytest.mark.django_db
def test_a_phone_page_reads_the_session_and_the_person_once(live, people):
    """A hundred phones load this page at once: the session row, the session, the person,
    their dots, consents and agreements owned. It read eleven before (the person twice, the
    method's four library tables on every page)."""
    page(people["compras"])  # the method's rows, read once for the process
    _response, queries = page(people["ventas"])
    assert queries <= 6


@pytest.mark.django_db
def test_the_method_on_a_phone_page_is_read_once_and_an_edit_shows_after_a_while(
    live, people, monkeypatch
):
    principle = Principle.objects.order_by("position").first()
    first, _ = page(people["compras"])
    assert principle.name in first.content.decode()
    Principle.objects.filter(pk=principle.pk).update(name="Principio reescrito")
    cached, _ = page(people["ventas"])
    assert "Principio reescrito" not in cached.content.decode()
    monkeypatch.setattr(selectors, "METHOD_ROWS_SECONDS", 0.0)
    fresh, _ = page(people["logistica"])
    assert "Principio reescrito" in fresh.content.decode()


@pytest.mark.django_db
def test_a_phone_snapshot_reads_the_person_and_the_session_in_one_query(live, people):
    person = people["compras"]
    broadcast.snapshot_frames(live, "participants", person)  # the phones' view, rendered once
    with CaptureQueriesContext(connection) as queries:
        frames = broadcast.snapshot_frames(live, "participants", person)
    # The person with the session and its numbers, then their dots, consents and owned
    # agreements (it was five: the session's numbers were read apart).
    assert len(queries) <= 4
    stage, me = (json.loads(text)["html"] for text in frames)
    assert 'id="stage"' in stage and 'id="me"' in me


@pytest.mark.django_db(transaction=True)
async def test_a_phone_socket_does_not_read_a_user_and_a_staff_socket_does(
    live, people, facilitator_client, monkeypatch
):
    """Participants are anonymous: their sockets get the session only (config.asgi), the
    staff's the user too (facilitation.routing)."""
    looked_up = []
    get_user = auth.get_user

    async def counted(scope):
        looked_up.append(scope["path"])
        return await get_user(scope)

    monkeypatch.setattr(auth, "get_user", counted)
    phone, _stage, _me = await connect_phone(people["ventas"])
    await phone.disconnect()
    assert looked_up == []
    room = communicator(f"/ws/sala/{live.pk}/", facilitator_client)
    connected, _ = await room.connect()
    assert connected
    snapshot = await room.receive_json_from(timeout=3)
    assert 'id="room"' in snapshot["html"]
    await room.disconnect()
    assert looked_up == [f"/ws/sala/{live.pk}/"]


@pytest.mark.django_db
def test_the_control_room_reuses_its_people_list_until_someone_in_it_changes(
    live, people, facilitator, monkeypatch
):
    live = goto(live, "dream")
    rendered_names = []

    def counted(name, context):
        rendered_names.append(name)
        return render_to_string(name, context)

    monkeypatch.setattr(broadcast, "render_to_string", counted)
    plain = render_to_string(
        "facilitation/_room.html",
        {"state": live_state(live, audience="facilitator"), "audience": "facilitator"},
    )
    rendered = broadcast.render_audience(live, "facilitator")
    # The same list as the template renders inline.
    start = plain.index('<section class="card" id="participants">')
    end = plain.index("</section>", start)
    assert plain[start:end] in rendered
    listed = rendered[rendered.index('id="participants"') :]
    again = broadcast.render_audience(live, "facilitator")
    assert again[again.index('id="participants"') :] == listed
    # Nobody in the list changed (a click): rendered once for both.
    assert rendered_names.count("facilitation/_room.html#people") == 1

    services.participant_remove(live=live, participant=people["ventas"], actor=facilitator.user)
    cache.clear()
    after = broadcast.render_audience(live, "facilitator")
    assert 'class="is-removed"' in after[after.index('id="participants"') :]
    services.tables_assign(live=live, size=2)
    after_tables = broadcast.render_audience(live, "facilitator")
    assert "mesa 1" in after_tables[after_tables.index('id="participants"') :]
    assert rendered_names.count("facilitation/_room.html#people") == 3


@pytest.mark.django_db(transaction=True)
async def test_a_phone_socket_still_counts_as_present_on_connect(live, people):
    """Presence is written in the snapshot's own thread hop now: still on every connect."""
    person = people["logistica"]
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    await database_sync_to_async(Participant.objects.filter(pk=person.pk).update)(
        last_seen_at=long_ago
    )
    phone, _stage, _me = await connect_phone(person)
    seen = await database_sync_to_async(
        lambda: Participant.objects.values_list("last_seen_at", flat=True).get(pk=person.pk)
    )()
    await phone.disconnect()
    assert seen > long_ago + datetime.timedelta(minutes=59)
