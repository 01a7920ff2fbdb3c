import datetime

import pytest

from agreements import services
from agreements.models import Agreement, AgreementVersion, Consent, StatusUpdate
from agreements.services import AgreementError, OwnerInput, missing_owner_areas
from facilitation import services as live_services
from tests.agreements.conftest import agree

pytestmark = pytest.mark.django_db


def _draft(live, by_slug, people, **overrides):
    values = {
        "live": live,
        "text": "Confirmar por escrito cada fecha de entrega",
        "due_date": live.workshop.date + datetime.timedelta(days=15),
        "areas": [by_slug["compras"], by_slug["ventas"]],
        "owners": [OwnerInput(name="", area=by_slug["compras"], participant=people["compras"])],
    }
    values.update(overrides)
    return services.agreement_draft(**values)


def test_draft_keeps_version_one_and_its_sources(live, people, areas):
    agreement = _draft(live, areas, people, problem="Fechas que nadie confirma")
    assert agreement.outcome == Agreement.Outcome.DRAFT
    assert agreement.version == 1
    assert list(agreement.versions.values_list("number", "text")) == [
        (1, "Confirmar por escrito cada fecha de entrega")
    ]
    assert agreement.owners.get().name == "Ana"
    assert len(agreement.owners.get().token) >= 40


def test_due_date_before_the_session_is_refused(live, people, areas):
    with pytest.raises(AgreementError) as error:
        _draft(live, areas, people, due_date=live.workshop.date - datetime.timedelta(days=1))
    assert error.value.messages == ["La fecha de entrega no puede ser anterior a la sesión."]
    assert not Agreement.objects.exists()


def test_due_date_more_than_two_years_away_is_refused(live, people, areas):
    with pytest.raises(AgreementError) as error:
        _draft(live, areas, people, due_date=live.workshop.date + datetime.timedelta(days=731))
    assert "demasiado lejos" in error.value.messages[0]
    # Exactly two years is still accepted.
    _draft(live, areas, people, due_date=live.workshop.date + datetime.timedelta(days=730))


def test_area_of_another_organisation_is_refused(live, people, areas, other_organisation):
    foreign = other_organisation.areas.first()
    with pytest.raises(AgreementError, match="no es de tu organización"):
        _draft(live, areas, people, areas=[foreign])
    with pytest.raises(AgreementError, match="no es de tu organización"):
        _draft(live, areas, people, owners=[OwnerInput(name="Zoe", area=foreign)])
    assert not Agreement.objects.exists()


def test_participant_of_another_session_is_refused(live, people, areas, library, facilitator):
    from workshops.models import Workshop
    from workshops.services import workshop_create, workshop_set_status

    other = workshop_create(
        organisation=live.workshop.organisation,
        facilitator=facilitator.user,
        title="Otra sesión",
        date=live.workshop.date,
        start_time=datetime.time(14, 0),
        invited={area: 2 for area in areas.values()},
        template="tres-horas",
    )
    other_live = live_services.live_start(
        workshop=workshop_set_status(workshop=other, status=Workshop.Status.READY)
    )
    stranger = live_services.participant_join(live=other_live, name="Iván", area=areas["ventas"])
    with pytest.raises(AgreementError, match="no está en esta sesión"):
        _draft(
            live,
            areas,
            people,
            owners=[OwnerInput(name="", area=areas["ventas"], participant=stranger)],
        )


def test_missing_owner_areas_lists_areas_without_an_owner(live, people, areas):
    agreement = _draft(live, areas, people)
    assert missing_owner_areas(agreement) == [areas["ventas"]]
    services.agreement_reword(
        agreement=agreement,
        text=agreement.text,
        due_date=agreement.due_date,
        areas=[areas["compras"], areas["ventas"]],
        owners=[
            OwnerInput(name="", area=areas["compras"], participant=people["compras"]),
            OwnerInput(name="", area=areas["ventas"], participant=people["ventas"]),
        ],
    )
    assert missing_owner_areas(agreement) == []


def test_rewording_makes_version_two_and_keeps_version_one(live, people, areas):
    agreement = _draft(live, areas, people)
    services.agreement_ask_consent(agreement=agreement)
    services.consent_submit(
        participant=people["ventas"],
        agreement_id=agreement.pk,
        version=1,
        choice="object",
        reason="Falta Logística",
    )
    reworded = services.agreement_reword(
        agreement=agreement,
        text="Confirmar por escrito cada fecha, con copia a Logística",
        due_date=agreement.due_date,
        areas=[areas["compras"], areas["ventas"], areas["logistica"]],
        owners=[OwnerInput(name="", area=areas["compras"], participant=people["compras"])],
    )
    assert reworded.version == 2
    versions = AgreementVersion.objects.filter(agreement=agreement).order_by("number")
    assert [v.text for v in versions] == [
        "Confirmar por escrito cada fecha de entrega",
        "Confirmar por escrito cada fecha, con copia a Logística",
    ]
    # The objection to version 1 is kept; version 1 can no longer be answered.
    assert Consent.objects.get(agreement=agreement).version == 1
    with pytest.raises(AgreementError, match="cambió"):
        services.consent_submit(
            participant=people["logistica"], agreement_id=agreement.pk, version=1, choice="agree"
        )


def test_consent_once_per_version_and_objection_needs_a_reason(live, people, areas):
    agreement = _draft(live, areas, people)
    services.agreement_ask_consent(agreement=agreement)
    with pytest.raises(AgreementError, match="motivo"):
        services.consent_submit(
            participant=people["ventas"], agreement_id=agreement.pk, version=1, choice="object"
        )
    first, created = services.consent_submit(
        participant=people["ventas"], agreement_id=agreement.pk, version=1, choice="agree"
    )
    again, created_again = services.consent_submit(
        participant=people["ventas"], agreement_id=agreement.pk, version=1, choice="abstain"
    )
    assert created and not created_again
    assert again.pk == first.pk and again.choice == "agree"
    assert Consent.objects.filter(agreement=agreement).count() == 1


def test_record_agreed_and_dropped(live, people, areas, facilitator, mailoutbox):
    kept = _draft(
        live,
        areas,
        people,
        owners=[OwnerInput(name="Diego Ruiz", area=areas["ventas"], email="diego@example.com")],
    )
    dropped = _draft(live, areas, people, text="Cambiar el ERP este mes")
    for agreement in (kept, dropped):
        services.agreement_ask_consent(agreement=agreement)
    with pytest.raises(AgreementError, match="Resultado no válido"):
        services.agreement_record(agreement=kept, outcome="maybe", actor=facilitator.user)
    services.agreement_record(agreement=kept, outcome="agreed", actor=facilitator.user)
    services.agreement_record(agreement=dropped, outcome="dropped", actor=facilitator.user)
    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert kept.outcome == Agreement.Outcome.AGREED
    assert dropped.outcome == Agreement.Outcome.DROPPED
    assert kept.updates.get().kind == "record"
    with pytest.raises(AgreementError, match="ya se registró"):
        services.agreement_record(agreement=kept, outcome="dropped", actor=facilitator.user)


def test_agreed_owner_with_email_gets_an_absolute_link(
    live, people, areas, facilitator, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://puente.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        agreement = agree(
            live,
            facilitator.user,
            text="Publicar el calendario de despachos",
            due=live.workshop.date + datetime.timedelta(days=10),
            areas=[areas["logistica"]],
            owners=[OwnerInput(name="Elena", area=areas["logistica"], email="elena@example.com")],
        )
    owner = agreement.owners.get()
    assert [m.to for m in mailoutbox] == [["elena@example.com"]]
    assert f"https://puente.example.org/acuerdo/{owner.token}/" in mailoutbox[0].body


def test_owner_update_goes_to_the_history(agreement):
    owner = agreement.owners.get(name="Diego Ruiz")
    update = services.owner_update_status(owner=owner, status="en_curso", note="Primera reunión")
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.IN_PROGRESS
    assert update.owner == owner and update.author == "Diego Ruiz"
    services.owner_update_status(owner=owner, status="hecho", note="")
    agreement.refresh_from_db()
    assert agreement.done_at is not None
    assert list(agreement.updates.filter(kind="status").values_list("status", flat=True)) == [
        "en_curso",
        "hecho",
    ]


def test_owner_update_refuses_an_unknown_status(agreement):
    owner = agreement.owners.first()
    with pytest.raises(AgreementError, match="Elige un estado"):
        services.owner_update_status(owner=owner, status="casi", note="")
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.PENDING


def test_revoked_link_is_refused_and_renewal_gives_a_new_token(agreement, manager):
    owner = agreement.owners.first()
    old_token = owner.token
    services.owner_link_revoke(owner=owner, actor=manager.user)
    with pytest.raises(AgreementError, match="ya no es válido"):
        services.owner_update_status(owner=owner, status="hecho")
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.PENDING
    services.owner_link_renew(owner=owner, actor=manager.user)
    owner.refresh_from_db()
    assert owner.revoked_at is None and owner.token != old_token
    assert agreement.updates.filter(kind="link").count() == 2


def test_draft_agreement_cannot_be_updated_by_an_owner(live, people, areas):
    agreement = _draft(live, areas, people)
    with pytest.raises(AgreementError, match="no quedó acordado"):
        services.owner_update_status(owner=agreement.owners.get(), status="hecho")


def test_manager_comment_is_kept_and_changes_nothing_agreed(agreement, manager):
    before = (agreement.text, agreement.due_date, agreement.status, agreement.version)
    comment = services.manager_comment(agreement=agreement, user=manager.user, text="¿Cómo va?")
    assert comment.kind == "comment" and comment.author == "Milena"
    agreement.refresh_from_db()
    assert (agreement.text, agreement.due_date, agreement.status, agreement.version) == before
    with pytest.raises(AgreementError, match="Escribe tu comentario"):
        services.manager_comment(agreement=agreement, user=manager.user, text="   ")
    assert StatusUpdate.objects.filter(kind="comment").count() == 1


def test_agreed_agreement_cannot_be_reworded(agreement, areas):
    with pytest.raises(AgreementError, match="ya no se puede cambiar"):
        services.agreement_reword(
            agreement=agreement,
            text="Otra cosa distinta",
            due_date=agreement.due_date,
            areas=[areas["compras"]],
            owners=[],
        )
    agreement.refresh_from_db()
    assert agreement.version == 1
