"""Personal data is kept only as long as the organisation says (Ley 1581 de 2012): once the
retention period after a session's close has passed, its names and texts are erased; anyone
can ask for their own data to be erased before. Counts, agreements and owners stay."""

import datetime
import logging

import pytest
from django.utils import timezone

from agreements import selectors as report_selectors
from agreements import services as agreement_services
from agreements.models import Agreement, Consent, Owner
from agreements.services import OwnerInput
from facilitation import retention, services, themes
from facilitation.models import (
    CommitmentAnswer,
    Contribution,
    Dot,
    EmotionCheck,
    GroundRule,
    LiveSession,
    ModerationLog,
    Participant,
    Theme,
    ThemeSuggestion,
)
from tests.facilitation.conftest import goto
from workshops.models import Workshop
from workshops.services import workshop_create, workshop_set_status

LABEL = "Participante borrado"
ANA_CARD = "Que Compras vea el pipeline de Ventas cada semana"
BETO_CARD = "Reunión corta de Compras y Ventas cada lunes"
ANONYMOUS_CARD = "Nos enteramos de los pedidos grandes por el cliente"
FACILITATOR_THEME = "Información a tiempo entre áreas"


def play(live, people, areas, facilitator) -> dict:
    """A session with something of everyone: signed and anonymous cards, themes (one named
    after Ana's card, one named by the facilitator), dots, emotions with words, a reservation
    with a note, a ground rule, an objection with its reason, an agreement Ana owns, a hidden
    card and a retired person."""
    ana, beto, caro = people["compras"], people["ventas"], people["logistica"]
    dora = services.participant_join(live=live, name="Dora", area=areas["ventas"])
    goto(live, "principles")
    services.commitment_answer(
        participant=dora, key="r1", choice="reserve", note="Me cuesta confiar en Logística"
    )
    rule, _ = services.ground_rule_propose(
        participant=dora, key="g1", text="Hablar en primera persona"
    )
    services.ground_rule_keep(live=live, rule=rule, kept=True)
    services.emotion_submit(
        participant=ana, moment="checkin", emotion="curiosidad", intensity=3, word="expectante"
    )
    services.emotion_submit(
        participant=beto, moment="checkin", emotion="frustracion", intensity=4, word="cansado"
    )
    live = goto(live, "dream")
    live = services.contributions_set_open(live=live, open=True)
    block = live.current_block
    cards = {}
    for key, person, text in (
        ("a1", ana, ANA_CARD),
        ("b1", beto, BETO_CARD),
        ("c1", caro, "Un tablero con los despachos del día"),
        ("b2", beto, "Que Logística avise antes de prometer"),
        ("c2", caro, "Menciona a Pedro, el de bodega"),
    ):
        cards[key], _ = services.contribution_submit(
            participant=person, key=key, text=text, block_id=block.pk
        )
    live = services.contributions_set_open(live=live, open=False)
    themes.cards_merge(live=live, card=cards["b1"], onto=cards["a1"])  # named after Ana's card
    theirs = themes.theme_create(
        live=live, block=block, card_ids=[cards["c1"].pk, cards["b2"].pk], name=FACILITATOR_THEME
    )
    ThemeSuggestion.objects.create(
        live=live, block=block, name=ANA_CARD, card_ids=[cards["a1"].pk, cards["b1"].pk]
    )
    services.contribution_hide(
        live=live, contribution=cards["c2"], reason="Nombra a alguien", actor=facilitator.user
    )
    live = services.voting_set_open(live=live, open=True)
    services.dot_place(participant=ana, key="d1", theme_id=theirs.pk)
    live = goto(live, "unsaid")
    live = services.contributions_set_open(live=live, open=True)
    services.contribution_submit(
        participant=caro, key="u1", text=ANONYMOUS_CARD, block_id=live.current_block_id
    )
    services.contributions_reveal(live=live, block=live.current_block)
    live = goto(live, "agreements")
    agreement = agreement_services.agreement_draft(
        live=live,
        text="Compartir el pipeline de Ventas con Compras cada lunes",
        due_date=live.workshop.date + datetime.timedelta(days=30),
        areas=[areas["compras"], areas["ventas"]],
        owners=[
            OwnerInput(name="", area=areas["compras"], participant=ana),
            OwnerInput(name="Diego Ruiz", area=areas["ventas"]),
        ],
    )
    agreement_services.agreement_ask_consent(agreement=agreement)
    agreement_services.consent_submit(
        participant=ana,
        agreement_id=agreement.pk,
        version=agreement.version,
        choice="object",
        reason="Los lunes no tengo tiempo",
        signed=True,
    )
    agreement_services.consent_submit(
        participant=caro,
        agreement_id=agreement.pk,
        version=agreement.version,
        choice="object",
        reason="Falta Logística",
    )
    agreement_services.consent_submit(
        participant=beto, agreement_id=agreement.pk, version=agreement.version, choice="agree"
    )
    agreement_services.agreement_record(
        agreement=agreement, outcome="agreed", actor=facilitator.user
    )
    services.participant_remove(
        live=live, participant=dora, actor=facilitator.user, reason="Se fue por Pedro"
    )
    return {"live": live, "cards": cards, "agreement": agreement, "dora": dora}


def counts(live: LiveSession) -> dict:
    """Every figure erasure must keep: rows, and the acta's own numbers."""
    report = report_selectors.workshop_report(workshop=Workshop.objects.get(pk=live.workshop_id))
    return {
        "people": Participant.objects.filter(live=live).count(),
        "cards": Contribution.objects.filter(live=live).count(),
        "dots": Dot.objects.filter(live=live).count(),
        "emotions": EmotionCheck.objects.filter(live=live).count(),
        "commitments": CommitmentAnswer.objects.filter(live=live).count(),
        "rules": GroundRule.objects.filter(live=live, kept=True).count(),
        "consents": Consent.objects.filter(agreement__live=live).count(),
        "themes": Theme.objects.filter(live=live).count(),
        "joined": report.joined,
        "blocks": [(row.block.pk, row.per_area, row.anonymous, row.total) for row in report.blocks],
        "emotion_tables": [[(r.label, r.counts, r.total) for r in t.rows] for t in report.emotions],
        "consent_totals": [result.consent_totals for result in report.agreements],
        "walls": [
            ([(t.votes, len(t.cards)) for t in w.themes], len(w.loose), w.hidden)
            for w in report.walls
        ],
        "committed": (report.committed, report.reserved),
    }


@pytest.fixture
def played(live, people, areas, facilitator) -> dict:
    return play(live, people, areas, facilitator)


def close(live: LiveSession, days_ago: float) -> LiveSession:
    live = services.live_close(live=live)
    closed_at = timezone.now() - datetime.timedelta(days=days_ago)
    LiveSession.objects.filter(pk=live.pk).update(closed_at=closed_at)
    live.refresh_from_db()
    return live


def other_session(organisation, facilitator, areas, title: str) -> LiveSession:
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title=title,
        date=datetime.date(2026, 6, 1),
        start_time=datetime.time(8, 0),
        invited={a: 3 for a in organisation.areas.all()},
        template="tres-horas",
    )
    live = services.live_start(
        workshop=workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    )
    person = services.participant_join(live=live, name="Elena", area=areas["logistica"])
    live = goto(live, "dream")
    live = services.contributions_set_open(live=live, open=True)
    services.contribution_submit(
        participant=person,
        key="e1",
        text="Avisar los retrasos el mismo día",
        block_id=live.current_block_id,
    )
    return live


# --- the retention period ------------------------------------------------------------------


def test_an_expired_session_loses_its_names_and_texts_and_keeps_every_figure(played):
    live = close(played["live"], days_ago=181)
    before = counts(live)

    result = retention.erase_expired()

    assert result.failed == 0 and [e.live_id for e in result.erased] == [live.pk]
    erased = result.erased[0]
    assert erased.names == 4 and erased.texts > 0
    live.refresh_from_db()
    assert live.texts_erased_at is not None
    assert set(Participant.objects.filter(live=live).values_list("name", flat=True)) == {LABEL}
    assert not Participant.objects.filter(live=live, erased_at__isnull=True).exists()
    # Every text, the anonymous card's and the hidden one's reason too.
    assert set(Contribution.objects.filter(live=live).values_list("text", flat=True)) == {""}
    assert set(Contribution.objects.filter(live=live).values_list("hidden_reason", flat=True)) == {
        ""
    }
    assert set(Consent.objects.filter(agreement__live=live).values_list("reason", flat=True)) == {
        ""
    }
    assert set(EmotionCheck.objects.filter(live=live).values_list("word", flat=True)) == {""}
    assert set(CommitmentAnswer.objects.filter(live=live).values_list("note", flat=True)) == {""}
    assert set(GroundRule.objects.filter(live=live).values_list("text", flat=True)) == {""}
    assert not ThemeSuggestion.objects.filter(live=live).exists()
    assert set(ModerationLog.objects.filter(live=live).values_list("reason", flat=True)) == {""}
    # The theme named after Ana's card was her words; the facilitator's name stays.
    assert sorted(Theme.objects.filter(live=live).values_list("name", flat=True)) == [
        "",
        FACILITATOR_THEME,
    ]
    # Agreements and their owners stay, and every figure is what it was.
    agreement = Agreement.objects.get(pk=played["agreement"].pk)
    assert agreement.text == "Compartir el pipeline de Ventas con Compras cada lunes"
    assert sorted(Owner.objects.filter(agreement=agreement).values_list("name", flat=True)) == [
        "Ana",
        "Diego Ruiz",
    ]
    assert counts(live) == before


def test_open_and_recent_sessions_are_left_alone(played, organisation, facilitator, areas):
    open_live = other_session(organisation, facilitator, areas, "Sigue abierta")
    recent = close(played["live"], days_ago=179)

    result = retention.erase_expired()

    assert result.erased == [] and result.failed == 0
    recent.refresh_from_db()
    assert recent.texts_erased_at is None
    assert Participant.objects.filter(live=recent, name="Ana").exists()
    assert Contribution.objects.filter(live=recent, text=ANA_CARD).exists()
    assert Contribution.objects.filter(live=open_live).exclude(text="").count() == 1
    # The organisation's own period counts: a shorter one makes the same session expired.
    organisation.retention_days = 30
    organisation.save(update_fields=["retention_days"])
    assert [e.live_id for e in retention.erase_expired().erased] == [recent.pk]
    # The service refuses an open session even when asked directly.
    assert retention.erase_session_texts(live=open_live) is None
    assert Contribution.objects.filter(live=open_live).exclude(text="").count() == 1


def test_the_period_is_counted_from_the_close(played):
    live = close(played["live"], days_ago=0)
    closed_at = live.closed_at
    day = datetime.timedelta(days=1)
    assert (
        retention.erase_expired(now=closed_at + 180 * day - datetime.timedelta(seconds=1)).erased
        == []
    )
    assert len(retention.erase_expired(now=closed_at + 180 * day).erased) == 1


def test_erasing_again_changes_nothing(played):
    live = close(played["live"], days_ago=200)
    first = retention.erase_expired()
    live.refresh_from_db()
    erased_at = live.texts_erased_at

    second = retention.erase_expired()

    assert len(first.erased) == 1 and second.erased == [] and second.failed == 0
    live.refresh_from_db()
    assert live.texts_erased_at == erased_at
    assert retention.erase_session_texts(live=live) is None


def test_one_failing_session_does_not_stop_the_others(
    played, organisation, facilitator, areas, monkeypatch, caplog
):
    broken = close(played["live"], days_ago=200)
    fine = close(other_session(organisation, facilitator, areas, "Otra sesión"), days_ago=300)

    class Exploding:
        """Fails halfway through the broken session's erasure (names are already erased in
        its transaction), to show that the session is left exactly as it was."""

        class objects:  # noqa: N801 - stands in for a model's manager
            @staticmethod
            def filter(**kwargs):
                if kwargs.get("live") == broken:
                    raise RuntimeError("disk full")
                return ThemeSuggestion.objects.filter(**kwargs)

    monkeypatch.setattr(retention, "ThemeSuggestion", Exploding)

    with caplog.at_level(logging.WARNING, logger="facilitation.retention"):
        result = retention.erase_expired()

    assert result.failed == 1
    assert [e.live_id for e in result.erased] == [fine.pk]
    assert f"live session {broken.pk}" in caplog.text
    broken.refresh_from_db()
    assert broken.texts_erased_at is None
    assert Participant.objects.filter(live=broken, name="Ana").exists()  # rolled back
    assert Contribution.objects.filter(live=broken, text=ANA_CARD).exists()
    assert not Participant.objects.filter(live=fine).exclude(name=LABEL).exists()
    # The next run tries the failed one again.
    monkeypatch.undo()
    assert [e.live_id for e in retention.erase_expired().erased] == [broken.pk]


# --- one person, on request ----------------------------------------------------------------


def test_erasing_a_person_erases_only_the_texts_linked_to_them(played, people, facilitator):
    ana, beto = people["compras"], people["ventas"]
    live = played["live"]
    before = counts(live)

    erased = retention.erase_participant(participant=ana, actor=facilitator.user)

    assert erased.contributions == 1 and erased.consents == 1 and erased.words == 1
    assert erased.themes == 1 and erased.retired
    ana.refresh_from_db()
    assert ana.name == LABEL and ana.erased_at is not None and ana.removed_at is not None
    assert Contribution.objects.get(pk=played["cards"]["a1"].pk).text == ""
    assert Consent.objects.get(participant=ana).reason == ""
    assert EmotionCheck.objects.get(participant=ana).word == ""
    assert not ThemeSuggestion.objects.filter(live=live).exists()  # named after her card
    assert sorted(Theme.objects.filter(live=live).values_list("name", flat=True)) == [
        "",
        FACILITATOR_THEME,
    ]
    # Everyone else's words stay, and so does what was stored without an author.
    assert Participant.objects.get(pk=beto.pk).name == "Beto"
    assert Contribution.objects.get(pk=played["cards"]["b1"].pk).text == BETO_CARD
    assert EmotionCheck.objects.get(participant=beto).word == "cansado"
    assert Consent.objects.get(participant=people["logistica"]).reason == "Falta Logística"
    assert Contribution.objects.filter(live=live, text=ANONYMOUS_CARD).exists()
    assert CommitmentAnswer.objects.filter(note="Me cuesta confiar en Logística").exists()
    assert GroundRule.objects.filter(text="Hablar en primera persona").exists()
    # She still answers for the agreement she owns.
    assert Owner.objects.get(participant=ana).name == "Ana"
    assert ModerationLog.objects.filter(live=live, action="erase", actor=facilitator.user).exists()
    assert live.texts_erased_at is None
    assert counts(live) == before


def test_erasing_a_person_twice_or_after_the_period_changes_nothing(played, people, facilitator):
    ana, beto = people["compras"], people["ventas"]
    retention.erase_participant(participant=ana, actor=facilitator.user)
    ana.refresh_from_db()
    first_erased_at = ana.erased_at

    again = retention.erase_participant(participant=ana, actor=facilitator.user)

    assert again.texts == 0 and not again.retired
    ana.refresh_from_db()
    assert ana.erased_at == first_erased_at
    assert ModerationLog.objects.filter(action="erase").count() == 1
    live = close(played["live"], days_ago=200)
    retention.erase_expired()
    assert retention.erase_participant(participant=beto, actor=facilitator.user).texts == 0
    # The retention period kept the earlier request's time.
    ana.refresh_from_db()
    assert ana.erased_at == first_erased_at
    assert LiveSession.objects.get(pk=live.pk).texts_erased_at is not None


def test_erasing_a_person_of_a_closed_session_does_not_retire_anyone(played, people, facilitator):
    live = close(played["live"], days_ago=3)
    erased = retention.erase_participant(participant=people["ventas"], actor=facilitator.user)
    assert not erased.retired and erased.contributions == 2 and erased.words == 1
    beto = Participant.objects.get(pk=people["ventas"].pk)
    assert beto.removed_at is None and beto.name == LABEL
    assert live.texts_erased_at is None
