"""People on paper (issue 13): added by the staff with the privacy notice accepted, present
without a socket, counted in the balance of voices, and their entries follow the rules a
phone's do (the per-minute limit aside); an anonymous card stays authorless and unmarked."""

import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agreements.models import Consent
from facilitation import paper, services
from facilitation.models import (
    CommitmentAnswer,
    Contribution,
    Dot,
    EmotionCheck,
    GroundRule,
    LiveSession,
    Participant,
)
from facilitation.selectors import live_state
from facilitation.services import LiveError
from tests.facilitation.conftest import goto
from tests.facilitation.test_agreements_in_session import in_consent
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status


@pytest.fixture
def jairo(live, areas) -> Participant:
    return paper.paper_participant_add(
        live=live,
        name="Don Jairo",
        area=areas["logistica"],
        privacy_version=live.workshop.organisation.privacy_notice_version,
    )


def block_of(live, slug):
    return live.workshop.blocks.filter(kind__slug=slug).first()


def seq(live) -> int:
    return LiveSession.objects.get(pk=live.pk).seq


def other_live(organisation, facilitator) -> LiveSession:
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title="Otra sesión",
        purpose="",
        date=datetime.date(2026, 12, 2),
        start_time=datetime.time(8, 0),
        invited={a: 4 for a in organisation.areas.all()},
        template="tres-horas",
    )
    workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    return services.live_start(workshop=workshop)


# --- adding a person on paper ---------------------------------------------------------------


def test_a_person_on_paper_is_added_with_the_privacy_notice_accepted(live, jairo):
    assert jairo.on_paper
    assert jairo.live_id == live.pk
    assert jairo.privacy_version == live.workshop.organisation.privacy_notice_version
    assert jairo.privacy_accepted_at is not None


def test_nobody_is_added_on_paper_without_the_privacy_notice(live, areas):
    with pytest.raises(LiveError, match="aviso de privacidad"):
        paper.paper_participant_add(
            live=live, name="Don Jairo", area=areas["logistica"], privacy_version=None
        )
    stale = live.workshop.organisation.privacy_notice_version + 1
    with pytest.raises(LiveError, match="aviso de privacidad cambió"):
        paper.paper_participant_add(
            live=live, name="Don Jairo", area=areas["logistica"], privacy_version=stale
        )
    assert not Participant.objects.exists()


def test_a_person_on_paper_follows_the_join_rules(live, areas, organisation):
    version = organisation.privacy_notice_version
    with pytest.raises(LiveError, match="Escribe tu nombre"):
        paper.paper_participant_add(
            live=live, name="  ", area=areas["logistica"], privacy_version=version
        )
    uninvited = organisation.areas.create(name="Finanzas", slug="finanzas", position=9)
    with pytest.raises(LiveError, match="áreas invitadas"):
        paper.paper_participant_add(
            live=live, name="Don Jairo", area=uninvited, privacy_version=version
        )
    live = services.live_set_door(live=live, open=False)
    with pytest.raises(LiveError, match="El ingreso está cerrado"):
        paper.paper_participant_add(
            live=live, name="Don Jairo", area=areas["logistica"], privacy_version=version
        )
    assert not Participant.objects.exists()


def test_adding_a_person_on_paper_tells_the_staff_screens(live, areas):
    before = seq(live)
    paper.paper_participant_add(
        live=live,
        name="Don Jairo",
        area=areas["logistica"],
        privacy_version=live.workshop.organisation.privacy_notice_version,
    )
    assert seq(live) == before + 1


# --- presence and the balance of voices -------------------------------------------------------


def test_people_on_paper_are_present_without_a_heartbeat(live, people, jairo):
    long_ago = timezone.now() - datetime.timedelta(minutes=30)
    Participant.objects.filter(live=live).update(last_seen_at=long_ago)
    present = services.present_participants(live)
    assert [p.pk for p in present] == [jairo.pk]
    presence = {row.name: row for row in live_state(live, audience="facilitator").presence}
    assert presence["Logística"].present == 1
    assert presence["Logística"].on_paper == 1
    assert presence["Compras"].present == 0
    # Removed, they are no longer in the room.
    services.participant_remove(live=live, participant=jairo, actor=live.workshop.facilitator)
    assert services.present_participants(live) == []


def test_people_on_paper_are_seated_at_mixed_tables(live, areas, jairo):
    other = paper.paper_participant_add(
        live=live,
        name="Doña Rosa",
        area=areas["compras"],
        privacy_version=live.workshop.organisation.privacy_notice_version,
    )
    tables = services.tables_assign(live=live, size=2, seed=1)
    assert sorted(pk for table in tables for pk in table) == sorted([jairo.pk, other.pk])


def test_a_signed_card_from_paper_is_marked_and_counts_in_its_areas_voices(live, jairo):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    before = seq(live)
    card, created = paper.paper_contribution(
        live=live, participant=jairo, key="p-1", text="Nadie nos avisa", block_id=block.pk
    )
    assert created
    assert (card.participant_id, card.area_id, card.on_paper) == (jairo.pk, jairo.area_id, True)
    assert seq(live) == before + 1  # broadcast like a phone's card
    presence = {row.name: row for row in live_state(live, audience="facilitator").presence}
    assert presence["Logística"].voices == 1


def test_an_anonymous_card_from_paper_names_nobody_and_carries_no_paper_mark(
    live, jairo, monkeypatch
):
    now = timezone.now()
    monkeypatch.setattr(services.timezone, "now", lambda: now)
    goto(live, "unsaid")
    block = block_of(live, "unsaid")
    assert block.anonymous
    card, created = paper.paper_contribution(
        live=live, participant=jairo, key="p-anon", text="Nos da miedo decirlo", block_id=block.pk
    )
    assert created
    row = Contribution.objects.values().get(pk=card.pk)
    assert row["participant_id"] is None
    assert row["area_id"] is None
    assert row["on_paper"] is False
    assert row["anonymous"] is True
    # The per-minute limit is skipped for paper: the cache holds no count for this person.
    window = int(now.timestamp() // services.RATE_WINDOW_SECONDS)
    assert cache.get(services._rate_key(live, jairo, anonymous=True, window=window)) is None


def test_the_database_refuses_an_anonymous_card_marked_on_paper(live, jairo):
    block = block_of(live, "unsaid")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contribution.objects.create(
            live=live, block=block, text="x", key_digest="d", anonymous=True, on_paper=True
        )


def test_paper_entries_skip_the_per_minute_limit_and_nothing_else(live, jairo, monkeypatch):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    now = timezone.now().replace(second=10)
    monkeypatch.setattr(services.timezone, "now", lambda: now)
    for n in range(services.CONTRIBUTIONS_PER_MINUTE + 3):
        paper.paper_contribution(
            live=live, participant=jairo, key=f"k{n}", text=f"Aporte {n}", block_id=block.pk
        )
    assert Contribution.objects.count() == services.CONTRIBUTIONS_PER_MINUTE + 3
    goto(live, "principles")
    for n in range(services.CONTRIBUTIONS_PER_MINUTE + 1):
        paper.paper_ground_rule(live=live, participant=jairo, key=f"r{n}", text=f"Regla {n}")
    assert GroundRule.objects.count() == services.CONTRIBUTIONS_PER_MINUTE + 1
    goto(live, "area_round")
    # The same key stores once, as from a phone.
    again, created = paper.paper_contribution(
        live=live, participant=jairo, key="k0", text="Aporte 0", block_id=block.pk
    )
    assert not created
    with pytest.raises(LiveError, match="Escribe tu aporte"):
        paper.paper_contribution(
            live=live, participant=jairo, key="k-empty", text="  ", block_id=block.pk
        )
    with pytest.raises(LiveError, match="demasiado largo"):
        paper.paper_contribution(
            live=live, participant=jairo, key="k-long", text="x" * 501, block_id=block.pk
        )
    services.contributions_set_open(live=live, open=False)
    with pytest.raises(LiveError, match="cerrados"):
        paper.paper_contribution(
            live=live, participant=jairo, key="k-closed", text="Tarde", block_id=block.pk
        )
    assert Contribution.objects.count() == services.CONTRIBUTIONS_PER_MINUTE + 3


def test_a_removed_person_on_paper_gets_nothing_entered(live, jairo):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    services.participant_remove(live=live, participant=jairo, actor=live.workshop.facilitator)
    with pytest.raises(LiveError, match="retiró"):
        paper.paper_contribution(
            live=live, participant=jairo, key="k", text="Hola", block_id=block.pk
        )
    assert not Contribution.objects.exists()


# --- who can be entered for -------------------------------------------------------------------


def test_the_staff_cannot_answer_for_someone_with_a_phone(live, people):
    goto(live, "area_round")
    block = block_of(live, "area_round")
    ana = people["compras"]
    with pytest.raises(LiveError, match="desde su celular"):
        paper.paper_contribution(
            live=live, participant=ana, key="k", text="Hola", block_id=block.pk
        )
    with pytest.raises(LiveError, match="desde su celular"):
        paper.paper_emotion(
            live=live, participant=ana, moment="checkin", emotion="calma", intensity=3
        )
    # Nor can the phone path's service be told to skip a phone's limit.
    with pytest.raises(LiveError, match="desde su celular"):
        services.contribution_submit(
            participant=ana, key="k2", text="Hola", block_id=block.pk, on_paper=True
        )
    assert not Contribution.objects.exists()
    assert not EmotionCheck.objects.exists()


def test_an_entry_for_another_sessions_person_is_refused(
    live, jairo, organisation, facilitator, areas
):
    other = other_live(organisation, facilitator)
    goto(other, "area_round")
    block = block_of(other, "area_round")
    with pytest.raises(LiveError, match="no es de esta sesión"):
        paper.paper_contribution(
            live=other, participant=jairo, key="k", text="Hola", block_id=block.pk
        )
    with pytest.raises(LiveError, match="no es de esta sesión"):
        paper.paper_emotion(
            live=other, participant=jairo, moment="checkin", emotion="calma", intensity=3
        )
    assert not Contribution.objects.exists()
    assert not EmotionCheck.objects.exists()


# --- every kind of entry ----------------------------------------------------------------------


def test_check_in_from_paper_is_stored_with_its_word_and_can_be_changed(live, jairo):
    goto(live, "checkin")
    before = seq(live)
    paper.paper_emotion(
        live=live,
        participant=jairo,
        moment="checkin",
        emotion="cansancio",
        intensity=4,
        word="Madrugué",
    )
    assert seq(live) == before + 1
    paper.paper_emotion(
        live=live, participant=jairo, moment="checkin", emotion="curiosidad", intensity=2
    )
    check = EmotionCheck.objects.get(participant=jairo)
    assert (check.emotion, check.intensity, check.area_id) == ("curiosidad", 2, jairo.area_id)
    with pytest.raises(LiveError, match="una sola palabra"):
        paper.paper_emotion(
            live=live,
            participant=jairo,
            moment="checkin",
            emotion="calma",
            intensity=3,
            word="dos palabras",
        )
    with pytest.raises(LiveError, match="intensidad"):
        paper.paper_emotion(
            live=live, participant=jairo, moment="checkin", emotion="calma", intensity=9
        )


def test_principles_from_paper_are_stored_without_the_person(live, jairo):
    with pytest.raises(LiveError, match="en su bloque"):
        paper.paper_commitment(live=live, participant=jairo, key="c1", choice="commit")
    goto(live, "principles")
    answer, created = paper.paper_commitment(
        live=live, participant=jairo, key="c1", choice="reserve", note="Ya lo he oído antes"
    )
    assert created
    assert not hasattr(answer, "participant_id")
    jairo.refresh_from_db()
    assert jairo.principles_answered
    # Once per person, as from a phone.
    again, created = paper.paper_commitment(live=live, participant=jairo, key="c2", choice="commit")
    assert (again, created) == (None, False)
    assert CommitmentAnswer.objects.count() == 1
    rule, created = paper.paper_ground_rule(
        live=live, participant=jairo, key="r1", text="Hablar de a uno"
    )
    assert created and GroundRule.objects.get().text == "Hablar de a uno"


def test_diagnosis_from_paper_follows_the_phones_rules(live, jairo):
    from workshops import method

    goto(live, "diagnosis")
    partial = {method.symptoms()[0].slug: 2}
    with pytest.raises(LiveError, match="nueve situaciones"):
        paper.paper_diagnosis(live=live, participant=jairo, key="d1", answers=partial)
    answers = {symptom.slug: "1" for symptom in method.symptoms()}
    diagnosis, created = paper.paper_diagnosis(
        live=live, participant=jairo, key="d1", answers=answers
    )
    assert created
    jairo.refresh_from_db()
    assert jairo.diagnosis_answered


def test_dots_from_paper_respect_the_blocks_budget(live, people, jairo):
    goto(live, "unsaid")
    block = block_of(live, "unsaid")
    card, _ = services.contribution_submit(
        participant=people["ventas"], key="v1", text="Lo que no decimos", block_id=block.pk
    )
    services.contributions_reveal(live=live, block=block)
    with pytest.raises(LiveError, match="no está abierta"):
        paper.paper_dot(live=live, participant=jairo, key="d0", target=f"c{card.pk}")
    services.voting_set_open(live=live, open=True)
    for n in range(block.dots):
        paper.paper_dot(live=live, participant=jairo, key=f"d{n}", target=f"c{card.pk}")
    with pytest.raises(LiveError, match="todos tus puntos"):
        paper.paper_dot(live=live, participant=jairo, key="d-extra", target=f"c{card.pk}")
    assert Dot.objects.filter(participant=jairo).count() == block.dots
    assert paper.paper_dot(live=live, participant=jairo, key="", target=f"c{card.pk}", remove=True)
    assert Dot.objects.filter(participant=jairo).count() == block.dots - 1


def test_consent_from_paper_is_unsigned_unless_signed_and_needs_a_reason(
    live, areas, people, jairo
):
    agreement = in_consent(live, areas, people)
    with pytest.raises(ValidationError, match="motivo"):
        paper.paper_consent(
            live=live,
            participant=jairo,
            agreement_id=agreement.pk,
            version=agreement.version,
            choice="object",
        )
    before = seq(live)
    consent, created = paper.paper_consent(
        live=live,
        participant=jairo,
        agreement_id=agreement.pk,
        version=agreement.version,
        choice="object",
        reason="Logística no tiene quién vaya",
    )
    assert created and not consent.signed
    assert consent.area_id == jairo.area_id
    assert seq(live) == before + 1
    # Once per version.
    again, created = paper.paper_consent(
        live=live,
        participant=jairo,
        agreement_id=agreement.pk,
        version=agreement.version,
        choice="agree",
    )
    assert (again.pk, created) == (consent.pk, False)
    assert Consent.objects.filter(participant=jairo).count() == 1


def test_the_panel_shows_what_a_phone_would_ask_in_the_block(live, areas, people, jairo):
    panel = paper.paper_panel(live, jairo)
    assert not panel.asks_anything  # the opening asks nothing
    goto(live, "checkin")
    panel = paper.paper_panel(live, jairo)
    assert panel.asks_emotion and panel.emotion is None
    paper.paper_emotion(
        live=live, participant=jairo, moment="checkin", emotion="calma", intensity=3
    )
    assert paper.paper_panel(live, jairo).emotion.emotion == "calma"
    goto(live, "unsaid")
    panel = paper.paper_panel(live, jairo)
    assert panel.takes_cards and not panel.voting
    paper.paper_contribution(
        live=live,
        participant=jairo,
        key="a1",
        text="Secreto",
        block_id=block_of(live, "unsaid").pk,
    )
    assert paper.paper_panel(live, jairo).cards == []  # anonymous: not theirs to list
    agreement = in_consent(live, areas, people)
    panel = paper.paper_panel(live, jairo)
    assert panel.state.consenting.pk == agreement.pk and panel.consent is None
    assert panel.stamp == seq(live)
