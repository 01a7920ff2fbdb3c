import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from workshops.models import ActivityKind, Principle, Question
from workshops.services import question_create


@pytest.fixture
def their_question(library, other_organisation, outsider) -> Question:
    return question_create(
        organisation=other_organisation,
        created_by=outsider.user,
        text="¿Qué nos callamos con el proveedor de acero?",
        phase=ActivityKind.objects.get(slug="unsaid"),
        area_slugs=[],
        principles=list(Principle.objects.filter(slug="integridad")),
    )


def test_login_page_is_in_spanish(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert "Entrar a Puente" in response.content.decode()
    assert 'lang="es"' in response.content.decode()


def test_login_with_wrong_credentials_says_so_in_spanish(facilitator):
    response = Client().post(reverse("login"), {"username": "lili", "password": "mala"})
    assert response.status_code == 200
    assert "Usuario o contraseña incorrectos" in response.content.decode()


def test_login_succeeds_and_lands_on_home(facilitator):
    client = Client()
    response = client.post(reverse("login"), {"username": "lili", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_repeated_failed_logins_are_throttled_even_with_the_right_password(facilitator):
    client = Client()
    for _ in range(5):
        client.post(reverse("login"), {"username": "lili", "password": "mala"})
    response = client.post(reverse("login"), {"username": "lili", "password": PASSWORD})
    assert response.status_code == 200
    assert "Demasiados intentos fallidos" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("failing", "then"),
    [("ｌｉｌｉ", "lili"), ("lili", "𝐥𝐢𝐥𝐢"), ("LILI", "ｌｉｌｉ")],
)
def test_look_alike_spellings_of_a_username_share_its_failures(facilitator, failing, then):
    """Issue 12, hole 1: failures were counted on the raw name while authentication reads
    it NFKC-normalised, so a fullwidth or mathematical spelling had a budget of its own."""
    client = Client()
    for _ in range(5):
        client.post(reverse("login"), {"username": failing, "password": "mala"})
    response = client.post(reverse("login"), {"username": then, "password": PASSWORD})
    assert "Demasiados intentos fallidos" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_visitor_is_sent_to_login(db):
    response = Client().get(reverse("question_bank"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_ends_the_session(facilitator_client):
    response = facilitator_client.post(reverse("logout"))
    assert response.status_code == 302
    assert facilitator_client.get(reverse("home")).status_code == 302


def test_library_page_shows_assumptions_principles_and_kinds(library, facilitator_client):
    body = facilitator_client.get(reverse("library")).content.decode()
    for principle in Principle.objects.all():
        assert principle.name in body
    assert "Sin importar quiénes somos" in body
    assert "Qué depende del facilitador" in body
    assert "Conversación en mesas mixtas" in body


def test_manager_without_facilitator_role_gets_404_on_library(library, manager_client):
    assert manager_client.get(reverse("library")).status_code == 404


def test_bank_filters_by_phase_and_principle(library, facilitator_client):
    response = facilitator_client.get(reverse("question_bank"), {"phase": "unsaid"})
    body = response.content.decode()
    unsaid = Question.objects.filter(phase__slug="unsaid").first()
    cafe = Question.objects.filter(phase__slug="cafe_round").first()
    assert unsaid.text in body
    assert cafe.text not in body


def test_bank_answers_htmx_with_the_results_fragment_only(library, facilitator_client):
    response = facilitator_client.get(
        reverse("question_bank"), {"q": "cliente"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.strip().startswith('<section id="question-results"')
    assert "<html" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"phase": "no-existe"},
        {"principle": "'; DROP TABLE x; --"},
        {"area": "marte"},
        {"tone": "furioso"},
        {"page": "abc"},
        {"q": "x" * 500},
    ],
)
def test_tampered_filters_get_a_spanish_message_not_an_error(library, facilitator_client, params):
    response = facilitator_client.get(reverse("question_bank"), params)
    assert response.status_code == 200
    body = response.content.decode()
    if "page" not in params:
        assert "Algún filtro no era válido" in body


def test_another_organisations_question_answers_404(their_question, facilitator_client):
    for name in ("question_detail", "question_edit"):
        assert facilitator_client.get(reverse(name, args=[their_question.pk])).status_code == 404
    response = facilitator_client.post(reverse("question_delete", args=[their_question.pk]))
    assert response.status_code == 404
    assert Question.objects.filter(pk=their_question.pk).exists()


def test_another_organisations_question_is_not_listed(their_question, facilitator_client):
    body = facilitator_client.get(reverse("question_bank"), {"q": "acero"}).content.decode()
    assert their_question.text not in body


def test_library_question_cannot_be_edited_or_deleted_by_an_organisation(
    library, facilitator_client
):
    question = Question.objects.filter(organisation__isnull=True).first()
    assert facilitator_client.get(reverse("question_detail", args=[question.pk])).status_code == 200
    assert facilitator_client.get(reverse("question_edit", args=[question.pk])).status_code == 404
    response = facilitator_client.post(reverse("question_delete", args=[question.pk]))
    assert response.status_code == 404


def test_facilitator_adds_a_question_to_the_organisations_bank(
    library, facilitator, facilitator_client
):
    data = {
        "text": "¿Qué haríamos distinto si el cliente estuviera en esta sala?",
        "phase": ActivityKind.objects.get(slug="dream").pk,
        "areas": ["ventas"],
        "principles": [Principle.objects.get(slug="apertura").pk],
        "tone": "appreciative",
        "theme": "cliente-referi",
        "intent": "Traer al cliente a la conversación.",
    }
    response = facilitator_client.post(reverse("question_create"), data)
    assert response.status_code == 302
    question = Question.objects.get(text=data["text"])
    assert question.organisation == facilitator.organisation
    assert question.area_slugs == ["ventas"]


def test_invalid_question_form_re_renders_with_spanish_errors(library, facilitator_client):
    count = Question.objects.count()
    response = facilitator_client.post(
        reverse("question_create"), {"text": "corta", "phase": "9999", "tone": "x"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "La pregunta es demasiado corta" in body
    assert "Revisa los campos marcados" in body
    assert Question.objects.count() == count


def test_manager_changes_the_time_zone_and_adds_an_area(manager_client, organisation):
    response = manager_client.post(
        reverse("organisation_settings"),
        {"org-name": "Aceros del Valle", "org-time_zone": "America/Mexico_City"},
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.time_zone == "America/Mexico_City"
    manager_client.post(reverse("area_add"), {"area-name": "Producción"})
    assert organisation.areas.filter(name="Producción").exists()


def test_bad_time_zone_and_duplicate_area_are_refused_in_spanish(manager_client, organisation):
    response = manager_client.post(
        reverse("organisation_settings"), {"org-name": "X", "org-time_zone": "Marte/Olympus"}
    )
    assert response.status_code == 200
    assert "Escoja una opción válida" in response.content.decode() or "válid" in (
        response.content.decode()
    )
    organisation.refresh_from_db()
    assert organisation.name == "Aceros del Valle"
    response = manager_client.post(reverse("area_add"), {"area-name": "ventas"})
    assert "Ya existe un área con ese nombre" in response.content.decode()
    assert organisation.areas.count() == 3


def test_another_organisations_area_answers_404(manager_client, other_organisation):
    area = other_organisation.areas.first()
    response = manager_client.post(
        reverse("area_rename", args=[area.pk]), {f"a{area.pk}-name": "Hackeada"}
    )
    assert response.status_code == 404
    area.refresh_from_db()
    assert area.name != "Hackeada"


def test_facilitator_only_member_gets_404_on_organisation_settings(facilitator_client):
    assert facilitator_client.get(reverse("organisation_settings")).status_code == 404


def test_user_without_membership_holds_no_session(db, django_user_model):
    # An account with no active membership is treated as inactive (workshops/auth.py).
    user = django_user_model.objects.create_user("suelto", password=PASSWORD)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("workshop_list"))["Location"].startswith(reverse("login"))
    assert not Client().login(username="suelto", password=PASSWORD)


def test_language_switches_to_english_and_ignores_a_tampered_one(library, facilitator_client):
    facilitator_client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert 'lang="es"' in facilitator_client.get(reverse("home")).content.decode()
    facilitator_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = facilitator_client.get(reverse("home")).content.decode()
    assert 'lang="en"' in body
    assert "Question bank" in body


def test_pages_carry_a_csp_without_inline_scripts(library, facilitator_client):
    response = facilitator_client.get(reverse("library"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()
