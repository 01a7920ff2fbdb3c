"""The seed's nine situations as a diagnosis: answered anonymously on the phone in its block,
shown as the room's map once three people answered, compared with the organisation's earlier
session, kept in the acta."""

import datetime

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from facilitation import services
from facilitation.models import Diagnosis, Participant
from facilitation.selectors import diagnosis_map, live_state
from tests.facilitation.conftest import goto
from tests.facilitation.test_consumers import connect_phone, receive_json
from workshops import method
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status

SLUGS = [s.slug for s in method.symptoms()]


def answers(level: int, **overrides: int) -> dict[str, int]:
    return {slug: overrides.get(slug.replace("-", "_"), level) for slug in SLUGS}


@pytest.fixture
def joined(live, areas):
    return [
        services.participant_join(live=live, name=f"P{n}", area=areas[slug])
        for n, slug in enumerate(["compras", "ventas", "logistica", "ventas"])
    ]


def test_the_nine_situations_and_a_four_step_scale_come_from_the_seed():
    assert len(SLUGS) == 9
    assert method.symptoms()[0].text.startswith("Las áreas están trabajando como islas")
    assert len(method.diagnosis_scale()) == 4


def test_a_diagnosis_is_stored_once_without_the_person(live, joined):
    goto(live, "diagnosis")
    diagnosis, created = services.diagnosis_submit(
        participant=joined[0], key="d1", answers=answers(2)
    )
    assert created and diagnosis.answers == answers(2)
    again, again_created = services.diagnosis_submit(participant=joined[0], key="d1", answers={})
    other, other_created = services.diagnosis_submit(
        participant=joined[0], key="d2", answers=answers(0)
    )
    assert again == diagnosis and not again_created and other is None and not other_created
    assert Diagnosis.objects.count() == 1
    assert set(Diagnosis.objects.values()[0]) == {
        "id",
        "live_id",
        "answers",
        "key_digest",
    }
    assert Participant.objects.get(pk=joined[0].pk).diagnosis_answered


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({**answers(1), "islas": 4}, "Responde las nueve situaciones"),
        ({k: v for k, v in answers(1).items() if k != "islas"}, "Responde las nueve situaciones"),
        ({**answers(1), "islas": "mucho"}, "Responde las nueve situaciones"),
        ("todo mal", "Responde las nueve situaciones"),
    ],
)
def test_an_incomplete_or_bad_diagnosis_is_refused_and_changes_nothing(
    live, joined, payload, message
):
    goto(live, "diagnosis")
    with pytest.raises(services.LiveError, match=message):
        services.diagnosis_submit(participant=joined[1], key="k", answers=payload)
    assert not Diagnosis.objects.exists()
    assert Participant.objects.get(pk=joined[1].pk).diagnosis_answered is False


def test_the_diagnosis_is_answered_only_in_its_block(live, joined):
    goto(live, "opening")
    with pytest.raises(services.LiveError, match="en su bloque"):
        services.diagnosis_submit(participant=joined[1], key="k", answers=answers(1))


def test_the_map_waits_for_three_answers_and_the_facilitators_reveal(live, joined):
    live = goto(live, "diagnosis")
    for person, level in zip(joined[:2], (3, 1), strict=True):
        services.diagnosis_submit(participant=person, key=f"k{person.pk}", answers=answers(level))
    with pytest.raises(services.LiveError, match="al menos tres respuestas"):
        services.results_reveal(live=live)
    services.diagnosis_submit(participant=joined[2], key="k3", answers=answers(2, islas=0))
    waiting = live_state(live, audience="projector").diagnosis
    assert waiting.answered == 3 and waiting.enough and not waiting.shown
    live = services.results_reveal(live=live)
    shown = live_state(live, audience="projector").diagnosis
    assert shown.shown
    rows = {row.symptom.slug: row for row in shown.rows}
    assert rows["islas"].counts == [1, 1, 0, 1]
    assert rows["islas"].score == round(100 * (3 + 1 + 0) / 9)
    assert rows["clima-tenso"].score == round(100 * (3 + 1 + 2) / 9)
    assert live_state(live, audience="participants").diagnosis is None
    # Shown, the diagnosis is closed: a late answer would change the map by one person.
    with pytest.raises(services.LiveError, match="se cerró"):
        services.diagnosis_submit(participant=joined[3], key="k4", answers=answers(0))
    assert Diagnosis.objects.count() == 3


def test_answering_the_diagnosis_changes_nothing_on_the_persons_row_but_a_flag(live, joined):
    goto(live, "diagnosis")
    before = Participant.objects.filter(pk=joined[0].pk).values()[0]
    services.diagnosis_submit(participant=joined[0], key="k", answers=answers(1))
    after = Participant.objects.filter(pk=joined[0].pk).values()[0]
    assert {k for k in after if after[k] != before[k]} == {"diagnosis_answered"}


def _second_session(organisation, facilitator):
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Seguimiento de enero",
        date=datetime.date(2027, 1, 20),
        start_time=datetime.time(8, 0),
        invited={a: 4 for a in organisation.areas.all()},
        template="seguimiento",
    )
    return services.live_start(
        workshop=workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    )


def test_a_later_session_compares_with_the_organisations_earlier_diagnosis(
    live, joined, organisation, facilitator, areas
):
    goto(live, "diagnosis")
    for n, person in enumerate(joined[:3]):
        services.diagnosis_submit(participant=person, key=f"a{n}", answers=answers(3))
    later = goto(_second_session(organisation, facilitator), "diagnosis")
    for n, slug in enumerate(["compras", "ventas", "logistica"]):
        person = services.participant_join(live=later, name=f"Q{n}", area=areas[slug])
        services.diagnosis_submit(participant=person, key=f"b{n}", answers=answers(1))
    map_ = diagnosis_map(later)
    assert map_.earlier.pk == live.pk and map_.earlier_answered == 3
    assert all(row.earlier == 100 and row.score == 33 for row in map_.rows)
    # The earlier session itself has nothing earlier to compare with.
    assert diagnosis_map(live).earlier is None


def test_another_organisations_diagnosis_is_never_compared(
    live, joined, other_organisation, outsider
):
    goto(live, "diagnosis")
    for n, person in enumerate(joined[:3]):
        services.diagnosis_submit(participant=person, key=f"a{n}", answers=answers(3))
    theirs = goto(_second_session(other_organisation, outsider), "diagnosis")
    assert diagnosis_map(theirs).earlier is None


def test_the_control_room_and_projector_show_the_map(facilitator_client, live, joined):
    goto(live, "diagnosis")
    for n, person in enumerate(joined[:3]):
        services.diagnosis_submit(participant=person, key=f"a{n}", answers=answers(2))
    facilitator_client.post(reverse("control_action", args=[live.pk, "reveal"]))
    room = facilitator_client.get(reverse("control_room", args=[live.pk])).content.decode()
    screen = facilitator_client.get(reverse("projector", args=[live.pk])).content.decode()
    for page in (room, screen):
        assert "3 personas respondieron" in page
        for symptom in method.symptoms():
            assert symptom.short in page
        assert "67 %" in page


def test_the_phone_page_has_the_nine_situations(live, joined):
    from tests.facilitation.conftest import phone_client

    goto(live, "diagnosis")
    page = phone_client(joined[0]).get(reverse("participant_live", args=[live.qr_token]))
    body = page.content.decode()
    for symptom in method.symptoms():
        assert f'name="{symptom.slug}"' in body
    assert body.count('type="radio" name="islas"') == 4


@pytest.mark.django_db(transaction=True)
async def test_a_phone_sends_its_diagnosis_over_its_socket(live, joined):
    await database_sync_to_async(goto)(live, "diagnosis")
    comm, _, me = await connect_phone(joined[0])
    assert 'data-diagnosed="0"' in me["html"]
    # Answers that are not an object: a malformed frame (issue 12, hole 4).
    await comm.send_json_to({"type": "diagnosis", "key": "x.1", "answers": "nada"})
    refused = await receive_json(comm)
    assert refused == {"ack": "x.1", "ok": False, "error": "Mensaje no válido."}
    # An object with a level missing or not a step of the scale: the service says why.
    await comm.send_json_to({"type": "diagnosis", "key": "x.4", "answers": {"islas": 2.5}})
    refused = await receive_json(comm)
    assert refused["ok"] is False and "nueve situaciones" in refused["error"]
    # JSON's Infinity is no level either: refused with the message key, socket open.
    await comm.send_to(
        text_data='{"type": "diagnosis", "key": "x.3", "answers": {"islas": Infinity}}'
    )
    refused = await receive_json(comm)
    assert refused == {"ack": "x.3", "ok": False, "error": refused["error"]}
    await comm.send_json_to({"type": "diagnosis", "key": "x.2", "answers": answers(1)})
    frames = [await receive_json(comm) for _ in range(2)]
    assert {"ack": "x.2", "ok": True} in frames
    assert any('data-diagnosed="1"' in f.get("html", "") for f in frames)
    await comm.send_json_to({"type": "ping", "t": 4})
    assert await receive_json(comm) == {"pong": 4}
    await comm.disconnect()
