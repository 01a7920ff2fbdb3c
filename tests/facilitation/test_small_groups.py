"""Small groups identify people (issue 12): no breakdown by area shows a group smaller than
the organisation's minimum, and an objection shows its reason without its author unless the
participant signed it."""

import datetime

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from agreements import services as agreement_services
from agreements.models import Consent
from agreements.services import OwnerInput
from facilitation import services
from facilitation.broadcast import render_audience
from facilitation.models import EmotionCheck
from facilitation.privacy import small_groups_merged
from tests.facilitation.conftest import goto
from tests.facilitation.test_consumers import connect_phone, receive_json

pytestmark = pytest.mark.django_db


# --- the rule ---------------------------------------------------------------------------------


def _split(sizes, k=3):
    result = small_groups_merged([(name, name, n) for name, n in sizes], k)
    return [(g.label, g.people, g.keys) for g in result.groups], result


def test_large_areas_show_apart_and_nothing_is_said():
    groups, result = _split([("Compras", 5), ("Ventas", 3), ("Logística", 4)])
    assert [g[0] for g in groups] == ["Compras", "Ventas", "Logística"]
    assert result.note == ""


def test_small_areas_are_merged_into_otras_areas_and_the_note_says_why():
    groups, result = _split([("Compras", 5), ("Ventas", 2), ("Logística", 1), ("TI", 4)])
    assert groups == [
        ("Compras", 5, ("Compras",)),
        ("TI", 4, ("TI",)),
        ("Otras áreas", 3, ("Ventas", "Logística")),
    ]
    assert result.note == (
        "Para que nadie sea identificable, ningún grupo de menos de 3 personas se muestra por "
        "separado: Ventas y Logística aparecen juntas como «Otras áreas»."
    )


def test_a_merged_group_still_too_small_takes_the_smallest_area_with_it():
    # Logística alone (2) would be a small «Otras áreas», and the total minus the areas shown
    # would give it away: Ventas, the smallest shown, joins it.
    groups, _ = _split([("Compras", 6), ("Ventas", 3), ("Logística", 2)])
    assert groups == [("Compras", 6, ("Compras",)), ("Otras áreas", 5, ("Ventas", "Logística"))]


def test_a_room_of_small_areas_is_one_group():
    groups, result = _split([("Compras", 1), ("Ventas", 1), ("Logística", 1)])
    assert groups == [("Todas las áreas", 3, ("Compras", "Ventas", "Logística"))]
    assert "«Todas las áreas»" in result.note


def test_the_minimum_is_the_organisations():
    groups, result = _split([("Compras", 2), ("Ventas", 2)], k=2)
    assert [g[0] for g in groups] == ["Compras", "Ventas"] and result.note == ""
    groups, _ = _split([("Compras", 4), ("Ventas", 4)], k=5)
    assert [g[0] for g in groups] == ["Todas las áreas"]


# --- a room: Compras 4, Ventas 3, Logística 2 ------------------------------------------------


@pytest.fixture
def room(live, areas):
    people = {}
    for slug, names in (
        ("compras", ["Ana", "Abel", "Alba", "Aldo"]),
        ("ventas", ["Beto", "Bea", "Bruno"]),
        ("logistica", ["Caro", "Ciro"]),
    ):
        for name in names:
            joined = services.participant_join(live=live, name=name, area=areas[slug])
            people[name] = services.participant_commit(participant=joined)
    return people


def _consulted(live, areas):
    agreement = agreement_services.agreement_draft(
        live=live,
        text="Confirmar fechas con Compras antes de prometerlas",
        due_date=datetime.date(2027, 1, 15),
        areas=[areas["ventas"], areas["compras"]],
        owners=[OwnerInput(name="Ana", area=areas["compras"], email="")],
    )
    return agreement_services.agreement_ask_consent(agreement=agreement)


def _answer(agreement, person, choice, reason="", signed=False):
    return agreement_services.consent_submit(
        participant=person,
        agreement_id=agreement.pk,
        version=agreement.version,
        choice=choice,
        reason=reason,
        signed=signed,
    )


def test_the_acta_merges_logistica_and_ventas_and_says_why(
    live, room, areas, manager_client, facilitator
):
    goto(live, "checkin")
    for name in ("Ana", "Abel", "Caro", "Ciro", "Beto"):
        services.emotion_submit(
            participant=room[name], moment="checkin", emotion="miedo", intensity=3
        )
    agreement = _consulted(live, areas)
    _answer(agreement, room["Caro"], "object", "No tenemos con qué medirlo")
    _answer(agreement, room["Ana"], "agree")
    body = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    for section in ("emotions", "contributions", "agreements"):
        part = body.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
        assert '<th scope="col" class="num">Logística</th>' not in part
        assert "ningún grupo de menos de 3 personas se muestra por separado" in part
    emotions = body.split('id="emotions"', 1)[1].split("</section>", 1)[0]
    assert '<th scope="col" class="num">Compras</th>' in emotions
    assert '<th scope="col" class="num">Otras áreas</th>' in emotions
    # Miedo: Compras 2, Otras áreas 3 (Caro, Ciro, Beto), total 5.
    assert (
        '<td class="num">2</td><td class="num">3</td><td class="num"><strong>5</strong></td>'
        in emotions
    )
    agreements = body.split('id="agreements"', 1)[1]
    assert '<th scope="row">Logística</th>' not in agreements
    other = agreements.split('<th scope="row">Otras áreas</th>', 1)[1].split("</tr>", 1)[0]
    assert other == '<td class="num">0</td><td class="num">1</td><td class="num">0</td>'
    assert EmotionCheck.objects.filter(live=live).count() == 5


def test_the_exports_use_the_same_columns(live, room, areas, manager_client):
    import io

    from openpyxl import load_workbook

    response = manager_client.get(reverse("workshop_report_xlsx", args=[live.workshop_id]))
    book = load_workbook(io.BytesIO(response.content))
    header = [cell.value for cell in book["Emociones"][1]]
    assert header == ["Momento", "Emoción", "Compras", "Otras áreas", "Total"]


def test_a_lower_minimum_shows_every_area(live, room, areas, manager_client, organisation):
    organisation.min_group_size = 2
    organisation.save()
    body = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    emotions = body.split('id="emotions"', 1)[1].split("</section>", 1)[0]
    for name in ("Compras", "Ventas", "Logística"):
        assert f'<th scope="col" class="num">{name}</th>' in emotions
    assert "ningún grupo de menos de" not in body


def test_the_control_room_shows_reasons_without_authors_unless_signed(live, room, areas):
    agreement = _consulted(live, areas)
    _answer(agreement, room["Caro"], "object", "No tenemos con qué medirlo")
    _answer(agreement, room["Beto"], "object", "Falta el transporte", signed=True)
    _answer(agreement, room["Ana"], "agree")
    html = render_audience(live, "facilitator")
    objections = html.split('class="objections"', 1)[1].split("</ul>", 1)[0]
    assert "<strong>Sin firma:</strong> No tenemos con qué medirlo" in objections
    assert "<strong>Beto · Otras áreas:</strong> Falta el transporte" in objections
    assert "Caro" not in objections and "Logística" not in objections
    consent_table = html.split("consent-table", 1)[1].split("</table>", 1)[0]
    assert "Logística" not in consent_table and "Otras áreas" in consent_table
    # The projector: reasons only, never a name or an area.
    screen = render_audience(live, "projector")
    shown = screen.split('id="screen-objections"', 1)[1].split("</div>", 1)[0]
    assert "No tenemos con qué medirlo" in shown and "Falta el transporte" in shown
    assert "Beto" not in shown and "Caro" not in shown and "Otras áreas" not in shown


def test_signing_counts_only_for_an_objection(live, room, areas):
    agreement = _consulted(live, areas)
    consent, _ = _answer(agreement, room["Ana"], "agree", signed=True)
    assert consent.signed is False
    consent, _ = _answer(agreement, room["Caro"], "object", "Sin datos", signed=True)
    assert consent.signed is True


@pytest.mark.django_db(transaction=True)
async def test_a_phone_objects_unsigned_by_default_and_signed_when_it_says_so(live, room, areas):
    agreement = await database_sync_to_async(_consulted)(live, areas)
    comm, _, _ = await connect_phone(room["Caro"])
    base = {"type": "consent", "agreement": str(agreement.pk), "version": "1"}
    await comm.send_json_to({**base, "key": "o.1", "choice": "object", "reason": "Sin datos"})
    frames = [await receive_json(comm) for _ in range(2)]
    assert {"ack": "o.1", "ok": True} in frames
    await comm.disconnect()
    comm, _, _ = await connect_phone(room["Beto"])
    await comm.send_json_to(
        {**base, "key": "o.2", "choice": "object", "reason": "Falta", "signed": True}
    )
    frames = [await receive_json(comm) for _ in range(2)]
    assert {"ack": "o.2", "ok": True} in frames
    await comm.send_json_to({**base, "key": "o.3", "choice": "object", "signed": "sí"})
    assert (await receive_json(comm))["error"] == "Mensaje no válido."
    await comm.disconnect()
    signed = await database_sync_to_async(
        lambda: dict(Consent.objects.values_list("participant__name", "signed"))
    )()
    assert signed == {"Caro": False, "Beto": True}


def test_an_erased_unsigned_objection_is_not_listed_in_the_control_room(
    live, room, areas, facilitator
):
    from facilitation.retention import erase_participant

    agreement = _consulted(live, areas)
    _answer(agreement, room["Caro"], "object", "No tenemos con qué medirlo")
    _answer(agreement, room["Beto"], "object", "Falta el transporte", signed=True)
    erase_participant(participant=room["Caro"], actor=facilitator.user)
    html = render_audience(live, "facilitator")
    objections = html.split('class="objections"', 1)[1].split("</ul>", 1)[0]
    assert "Sin firma" not in objections  # «Sin firma: (texto borrado)» would name Caro
    assert "Falta el transporte" in objections
    # Her answer still counts: Otras áreas (Ventas and Logística) has two objections.
    table = html.split("consent-table", 1)[1].split("</table>", 1)[0]
    assert "<td>2</td>" in table
