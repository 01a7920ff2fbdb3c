"""Nobody joins without accepting the privacy notice (Ley 1581 de 2012): the join form shows
the notice and what stays in the room, asks for an explicit acceptance and records it with
the notice's version and the time; the service refuses a version that is no longer current."""

import re

import pytest
from django.test import Client
from django.utils import timezone, translation

from facilitation import services
from facilitation.models import Participant
from facilitation.privacy import privacy_notice_text
from workshops.services import organisation_privacy_update

REFUSED = "Para entrar necesitas aceptar el aviso de privacidad: léelo y marca la casilla."
CHANGED = "El aviso de privacidad cambió mientras lo leías."
NOTICE = (
    "Aceros del Valle usa tu nombre y tu área solo para esta sesión. Escribe a datos@aceros.co."
)


def _new_notice(organisation, text: str = NOTICE):
    return organisation_privacy_update(
        organisation=organisation,
        confidentiality_statement="",
        privacy_notice=text,
        privacy_contact="",
        min_group_size=3,
        retention_days=180,
    )


def _post(client: Client, live, area, **extra) -> object:
    return client.post(f"/p/{live.qr_token}/", {"name": "Dora", "area": area.pk, **extra})


def _checkbox(body: str) -> str:
    match = re.search(r'<input type="checkbox" name="privacy_accepted"[^>]*>', body)
    assert match, "the join form has no acceptance checkbox"
    return match.group(0)


# --- the service -----------------------------------------------------------------------------


def test_joining_records_the_accepted_version_and_when(live, areas):
    before = timezone.now()
    participant = services.participant_join(
        live=live, name="Dora", area=areas["ventas"], privacy_version=1
    )
    participant.refresh_from_db()
    assert participant.privacy_version == 1
    assert before <= participant.privacy_accepted_at <= timezone.now()


def test_a_version_that_is_no_longer_current_is_refused(live, areas, organisation):
    _new_notice(organisation)
    with pytest.raises(services.LiveError, match=CHANGED):
        services.participant_join(live=live, name="Dora", area=areas["ventas"], privacy_version=1)
    assert not Participant.objects.exists()
    joined = services.participant_join(
        live=live, name="Dora", area=areas["ventas"], privacy_version=2
    )
    assert joined.privacy_version == 2


def test_someone_added_without_the_form_records_no_acceptance(live, areas):
    participant = services.participant_join(live=live, name="Semilla", area=areas["ventas"])
    assert (participant.privacy_version, participant.privacy_accepted_at) == (None, None)


# --- the join form ---------------------------------------------------------------------------


def test_the_join_form_shows_the_notice_and_the_statement_and_asks_to_accept(
    client, live, organisation
):
    body = client.get(f"/p/{live.qr_token}/").content.decode()
    assert privacy_notice_text(organisation) in body
    assert "Ley 1581 de 2012" in body
    assert 'id="confidentiality-join"' in body
    assert "Lo que se dice en esta sala se queda en esta sala" in body
    assert "Leí el aviso de privacidad" in body
    assert " checked" not in _checkbox(body)  # never accepted for the person
    assert 'name="privacy_version" value="1"' in body
    assert "{#" not in body and "{%" not in body  # no template syntax shown as text
    # The notice comes before the acceptance and the acceptance before the button.
    assert (
        body.index('id="privacy-notice"')
        < body.index("privacy_accepted")
        < body.index("Entrar a la sesión")
    )


def test_without_accepting_nobody_joins(client, live, areas):
    response = _post(client, live, areas["ventas"], privacy_version=1)
    body = response.content.decode()
    assert response.status_code == 200
    assert REFUSED in body
    assert 'value="Dora"' in body  # what was typed stays
    assert not Participant.objects.exists()
    # The same phone is still nobody in the room.
    assert 'name="privacy_accepted"' in client.get(f"/p/{live.qr_token}/").content.decode()


def test_accepting_joins_and_records_the_version_and_time(client, live, areas):
    before = timezone.now()
    response = _post(client, live, areas["ventas"], privacy_accepted="on", privacy_version=1)
    assert response.status_code == 302
    participant = Participant.objects.get(live=live)
    assert participant.privacy_version == 1
    assert before <= participant.privacy_accepted_at <= timezone.now()
    assert 'id="stage"' in client.get(f"/p/{live.qr_token}/").content.decode()


def test_an_organisations_own_notice_is_shown_and_its_version_recorded(
    client, live, areas, organisation
):
    _new_notice(organisation)
    body = client.get(f"/p/{live.qr_token}/").content.decode()
    assert NOTICE in body and 'name="privacy_version" value="2"' in body
    _post(client, live, areas["ventas"], privacy_accepted="on", privacy_version=2)
    assert Participant.objects.get(live=live).privacy_version == 2


def test_a_notice_changed_while_reading_must_be_read_and_accepted_again(
    client, live, areas, organisation
):
    client.get(f"/p/{live.qr_token}/")  # the page with version 1
    _new_notice(organisation)
    response = _post(client, live, areas["ventas"], privacy_accepted="on", privacy_version=1)
    body = response.content.decode()
    assert response.status_code == 200
    assert CHANGED in body
    assert not Participant.objects.exists()
    # The page now shows the new notice, unchecked, with its version.
    assert NOTICE in body
    assert 'name="privacy_version" value="2"' in body
    assert " checked" not in _checkbox(body)


@pytest.mark.parametrize("version", ["", "x", "999"], ids=["missing", "garbage", "future"])
def test_an_acceptance_that_names_no_shown_version_is_refused(client, live, areas, version):
    response = _post(client, live, areas["ventas"], privacy_accepted="on", privacy_version=version)
    assert CHANGED in response.content.decode()
    assert not Participant.objects.exists()


def test_a_refusal_elsewhere_keeps_the_acceptance_checked(client, live, areas, outsider):
    foreign = outsider.organisation.areas.first()
    body = _post(client, live, foreign, privacy_accepted="on", privacy_version=1).content.decode()
    assert "Elige una de las áreas invitadas." in body
    assert " checked" in _checkbox(body)
    assert not Participant.objects.exists()


def test_the_join_form_reads_in_english(client, live):
    client.cookies["django_language"] = "en"
    # The request switches this thread's language: give the next test back the one it had.
    with translation.override(translation.get_language()):
        body = client.get(f"/p/{live.qr_token}/").content.decode()
    assert "Privacy notice" in body
    assert "I have read the privacy notice" in body
    assert "What stays in the room" in body
    assert "is responsible for processing the data you enter here" in body
