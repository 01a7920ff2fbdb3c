"""The session builder over HTTP: the list, creating and editing a session, and every agenda
edit, each answered with the #agenda fragment. Success and failure share the same setup."""

import datetime
import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from workshops.method import render_areas
from workshops.models import (
    ActivityKind,
    Block,
    BlockQuestion,
    InvitedArea,
    Question,
    Workshop,
)
from workshops.services import question_create, workshop_create

HTMX = {"HTTP_HX_REQUEST": "true"}


def make_workshop(organisation, user, title="Pedido perdido de Ferretería Sur", **kwargs):
    return workshop_create(
        organisation=organisation,
        facilitator=user,
        title=title,
        date=datetime.date(2026, 3, 10),
        start_time=datetime.time(8, 0),
        invited={area: 8 for area in organisation.areas.all()},
        **kwargs,
    )


@pytest.fixture
def workshop(library, organisation, facilitator) -> Workshop:
    return make_workshop(organisation, facilitator.user, template="tres-horas")


@pytest.fixture
def other_workshop(library, organisation, facilitator) -> Workshop:
    """Another session of the same organisation (for blocks of another session)."""
    return make_workshop(organisation, facilitator.user, title="Quejas", template="tres-horas")


@pytest.fixture
def their_workshop(library, other_organisation, outsider) -> Workshop:
    return make_workshop(other_organisation, outsider.user, title="Textiles", template="tres-horas")


@pytest.fixture
def their_question(library, other_organisation, outsider) -> Question:
    return question_create(
        organisation=other_organisation,
        created_by=outsider.user,
        text="¿Qué nos callamos con el proveedor de hilo?",
        phase=ActivityKind.objects.get(slug="cafe_round"),
        area_slugs=[],
        principles=[],
    )


def titles(workshop) -> list[str]:
    return list(workshop.blocks.order_by("position").values_list("title", flat=True))


def snapshot(workshop) -> list[tuple]:
    """Everything an agenda edit could change, to assert that nothing did."""
    return list(
        workshop.blocks.order_by("position").values_list(
            "id", "position", "title", "minutes", "grouping", "anonymous", "dots"
        )
    ) + list(BlockQuestion.objects.filter(block__workshop=workshop).values_list("id", "text"))


def block(workshop, slug, nth=0) -> Block:
    return list(workshop.blocks.filter(kind__slug=slug).order_by("position"))[nth]


def post(client: Client, name: str, args: list, data: dict | None = None):
    return client.post(reverse(name, args=args), data or {}, **HTMX)


def is_fragment(response) -> bool:
    body = response.content.decode()
    return 'id="agenda"' in body and "<html" not in body


# --- The list ------------------------------------------------------------------------------


def test_list_shows_only_the_organisations_sessions_with_time_duration_and_blocks(
    workshop, their_workshop, facilitator_client
):
    body = facilitator_client.get(reverse("workshop_list")).content.decode()
    assert workshop.title in body
    assert their_workshop.title not in body
    assert "08:00" in body
    assert "3 h" in body and "3 h 55" not in body
    assert "15 bloques" in body
    assert "Borrador" in body


def test_list_filters_by_status_and_searches_by_title_with_htmx(
    workshop, other_workshop, facilitator_client
):
    Workshop.objects.filter(pk=other_workshop.pk).update(status=Workshop.Status.READY)
    response = facilitator_client.get(reverse("workshop_list"), {"status": "ready"}, **HTMX)
    body = response.content.decode()
    assert "<html" not in body and 'id="workshop-results"' in body
    assert other_workshop.title in body and workshop.title not in body

    body = facilitator_client.get(reverse("workshop_list"), {"q": "ferretería sur"}).content
    body = body.decode()
    assert workshop.title in body and other_workshop.title not in body


def test_list_ignores_a_tampered_status(workshop, facilitator_client):
    response = facilitator_client.get(reverse("workshop_list"), {"status": "borrado"})
    assert response.status_code == 200
    assert workshop.title in response.content.decode()


def test_manager_without_facilitator_role_gets_404(workshop, manager_client):
    assert manager_client.get(reverse("workshop_list")).status_code == 404
    assert manager_client.get(reverse("workshop_builder", args=[workshop.pk])).status_code == 404
    response = post(manager_client, "block_remove", [workshop.pk, block(workshop, "break").pk])
    assert response.status_code == 404
    assert workshop.blocks.count() == 15


def test_anonymous_visitor_is_sent_to_login(workshop):
    response = Client().get(reverse("workshop_builder", args=[workshop.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_and_nav_link_to_sessions(facilitator_client):
    body = facilitator_client.get(reverse("home")).content.decode()
    assert body.count(f'href="{reverse("workshop_list")}"') == 2


# --- Creating and editing a session --------------------------------------------------------


def create_data(organisation, **overrides) -> dict:
    areas = list(organisation.areas.all())
    data = {
        "title": "Despachos tardíos",
        "purpose": "Un cliente grande perdió un pedido.",
        "date": "2026-04-21",
        "start_time": "14:00",
        "place": "Sala 2",
        "areas": [areas[0].pk, areas[1].pk],
        f"expected_{areas[0].pk}": "12",
        f"expected_{areas[1].pk}": "9",
        "start": "tres-horas",
    }
    data.update(overrides)
    return data


def test_create_form_offers_the_template_by_default(library, organisation, facilitator_client):
    body = facilitator_client.get(reverse("workshop_create")).content.decode()
    assert "Conversación significativa y difícil (3 horas)" in body
    assert "Jornada completa (4 horas)» (recomendada)" in body
    assert 'value="cuatro-horas" required id="id_start_0" checked' in body
    for area in organisation.areas.all():
        assert area.name in body


def test_create_from_the_template(library, organisation, facilitator, facilitator_client):
    response = facilitator_client.post(reverse("workshop_create"), create_data(organisation))
    workshop = Workshop.objects.get(title="Despachos tardíos")
    assert response.status_code == 302
    assert response["Location"] == workshop.get_absolute_url()
    assert workshop.organisation == organisation
    assert workshop.facilitator == facilitator.user
    assert workshop.blocks.count() == 15
    assert workshop.start_time == datetime.time(14, 0)
    expected = dict(workshop.invited.values_list("area__name", "expected_people"))
    assert expected == {"Compras": 12, "Ventas": 9}


def test_create_from_scratch_has_an_empty_agenda(library, organisation, facilitator_client):
    data = create_data(organisation, start="scratch")
    facilitator_client.post(reverse("workshop_create"), data)
    assert Workshop.objects.get(title="Despachos tardíos").blocks.count() == 0


def test_create_by_duplicating_an_earlier_session(workshop, organisation, facilitator_client):
    block(workshop, "break").delete()
    data = create_data(organisation, start="duplicate", source=workshop.pk)
    response = facilitator_client.post(reverse("workshop_create"), data)
    copy = Workshop.objects.get(title="Despachos tardíos")
    assert response.status_code == 302
    assert titles(copy) == titles(workshop)
    assert copy.date == datetime.date(2026, 4, 21)
    assert copy.place == "Sala 2"
    assert copy.invited.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"title": ""}, "Escribe un título para la sesión."),
        ({"date": ""}, "Indica la fecha de la sesión."),
        ({"start_time": ""}, "Indica la hora de inicio."),
        ({"date": "31/02/2026"}, "Introduzca una fecha válida."),
        ({"start": "duplicate"}, "Elige la sesión que quieres duplicar."),
    ],
)
def test_create_refuses_invalid_forms_with_spanish_messages(
    library, organisation, facilitator_client, overrides, field_message
):
    response = facilitator_client.post(
        reverse("workshop_create"), create_data(organisation, **overrides)
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert field_message in body
    assert "Revisa los campos marcados." in body
    assert not Workshop.objects.exists()


@pytest.mark.parametrize("people", ["-1", "501", "muchos"])
def test_expected_people_must_be_between_0_and_500(
    library, organisation, facilitator_client, people
):
    area = organisation.areas.first()
    data = create_data(organisation, **{f"expected_{area.pk}": people})
    body = facilitator_client.post(reverse("workshop_create"), data).content.decode()
    assert "Entre 0 y 500 personas." in body or "Escribe un número entero." in body
    assert not Workshop.objects.exists()


def test_an_area_of_another_organisation_is_a_form_error(
    library, organisation, other_organisation, facilitator_client
):
    theirs = other_organisation.areas.first()
    data = create_data(organisation, areas=[theirs.pk, organisation.areas.first().pk])
    response = facilitator_client.post(reverse("workshop_create"), data)
    assert response.status_code == 200
    assert "Esa área no es de tu organización." in response.content.decode()
    assert not Workshop.objects.exists()


def test_duplicating_a_session_of_another_organisation_is_a_form_error(
    their_workshop, organisation, facilitator_client
):
    data = create_data(organisation, start="duplicate", source=their_workshop.pk)
    response = facilitator_client.post(reverse("workshop_create"), data)
    assert "Esa sesión no es de tu organización." in response.content.decode()
    assert Workshop.objects.count() == 1


def test_edit_details(workshop, organisation, facilitator_client):
    url = reverse("workshop_edit", args=[workshop.pk])
    body = facilitator_client.get(url).content.decode()
    assert workshop.title in body and 'value="08:00"' in body
    compras = organisation.areas.get(name="Compras")
    data = create_data(organisation, title="Nuevo título", start_time="09:30", areas=[compras.pk])
    response = facilitator_client.post(url, {**data, f"expected_{compras.pk}": "20"})
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.title == "Nuevo título"
    assert workshop.start_time == datetime.time(9, 30)
    assert list(workshop.invited.values_list("area__name", "expected_people")) == [("Compras", 20)]
    assert "09:30" in facilitator_client.get(workshop.get_absolute_url()).content.decode()


def test_edit_details_refuses_an_invalid_form(workshop, organisation, facilitator_client):
    url = reverse("workshop_edit", args=[workshop.pk])
    response = facilitator_client.post(url, create_data(organisation, title="", date=""))
    body = response.content.decode()
    assert "Escribe un título para la sesión." in body
    assert "Indica la fecha de la sesión." in body
    workshop.refresh_from_db()
    assert workshop.title == "Pedido perdido de Ferretería Sur"
    assert InvitedArea.objects.filter(workshop=workshop).count() == 3


def test_duplicate_action_copies_the_session_as_a_draft(workshop, facilitator_client):
    Workshop.objects.filter(pk=workshop.pk).update(status=Workshop.Status.READY)
    response = facilitator_client.post(reverse("workshop_duplicate", args=[workshop.pk]))
    copy = Workshop.objects.exclude(pk=workshop.pk).get()
    assert response["Location"] == copy.get_absolute_url()
    assert copy.title == "Pedido perdido de Ferretería Sur (copia)"
    assert copy.status == Workshop.Status.DRAFT
    assert titles(copy) == titles(workshop)


def test_another_organisations_session_answers_404_everywhere(their_workshop, facilitator_client):
    pk = their_workshop.pk
    for name in ("workshop_builder", "workshop_edit"):
        assert facilitator_client.get(reverse(name, args=[pk])).status_code == 404
    for name in ("workshop_duplicate", "workshop_status", "block_add", "blocks_reorder"):
        assert (
            facilitator_client.post(reverse(name, args=[pk]), {"kind": "break"}).status_code == 404
        )
    assert Workshop.objects.count() == 1
    assert their_workshop.blocks.count() == 15


# --- The builder ---------------------------------------------------------------------------


def test_builder_shows_clock_times_total_badges_and_no_warnings(workshop, facilitator_client):
    response = facilitator_client.get(workshop.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="agenda"' in body
    assert "3 h" in body and "3 h 55" not in body
    assert "Sin avisos" in body
    assert '<meter id="agenda-meter"' in body
    assert "08:00" in body and "08:10" in body and "11:00" in body
    assert "anónimo" in body and "3 puntos" in body and "aportes" in body
    assert 'class="workshop-tabs"' in body
    assert "/preparacion/" in body and "/hoja-de-ruta/" in body
    assert re.search(r'src="/static/js/builder\.[0-9a-f]{12}\.js"', body)
    assert " style=" not in body
    for bq in BlockQuestion.objects.filter(block__workshop=workshop):
        assert bq.text in body


def test_builder_clock_times_follow_the_organisation_time_zone(
    library, other_organisation, outsider
):
    workshop = make_workshop(other_organisation, outsider.user, template="tres-horas")
    client = Client()
    client.force_login(outsider.user)
    body = client.get(workshop.get_absolute_url()).content.decode()
    assert f'datetime="{workshop.starts_at.isoformat()}"' in body
    assert "-06:00" in body  # Mexico City, not the server's Bogotá


def test_add_a_block_from_an_activity_kind(workshop, facilitator_client):
    response = post(facilitator_client, "block_add", [workshop.pk], {"kind": "dream"})
    assert response.status_code == 200
    assert is_fragment(response)
    assert titles(workshop)[-1] == "Soñar"
    assert "3 h 15 min" in response.content.decode()


def test_add_a_block_of_an_unknown_kind_is_404(workshop, facilitator_client):
    response = post(facilitator_client, "block_add", [workshop.pk], {"kind": "karaoke"})
    assert response.status_code == 404
    assert workshop.blocks.count() == 15


def test_add_a_block_that_passes_8_hours_is_refused(workshop, facilitator_client):
    Block.objects.filter(pk=block(workshop, "agreements").pk).update(minutes=300)
    before = snapshot(workshop)
    response = post(facilitator_client, "block_add", [workshop.pk], {"kind": "codesign"})
    body = response.content.decode()
    assert response.status_code == 200
    assert is_fragment(response)
    assert 'role="alert"' in body
    assert "La agenda no puede pasar de 8 horas" in body
    assert snapshot(workshop) == before


def test_change_a_duration_recomputes_total_times_and_warnings(workshop, facilitator_client):
    opening = block(workshop, "opening")
    response = post(facilitator_client, "block_minutes", [workshop.pk, opening.pk], {"minutes": 40})
    body = response.content.decode()
    assert is_fragment(response)
    assert "3 h 30 min" in body
    assert "08:40" in body  # the check-in now starts later
    assert "No hay una emoción de llegada al comienzo" in body
    assert (
        "Pasan 95 minutos sin pausa hasta «Mesas mixtas: lo que hay detrás del «no le importa»»"
        in body
    )
    opening.refresh_from_db()
    assert opening.minutes == 40


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        ("0", "La duración debe ser de al menos 1 minuto."),
        ("-5", "La duración debe ser de al menos 1 minuto."),
        ("320", "La agenda no puede pasar de 8 horas (quedaría en 8 h 10 min)."),
        ("diez", "La duración debe ser un número entero de minutos."),
        ("", "Indica la duración en minutos."),
    ],
)
def test_a_refused_duration_changes_nothing(workshop, facilitator_client, minutes, message):
    opening = block(workshop, "opening")
    before = snapshot(workshop)
    response = post(
        facilitator_client, "block_minutes", [workshop.pk, opening.pk], {"minutes": minutes}
    )
    assert response.status_code == 200
    assert is_fragment(response)
    assert message in response.content.decode()
    assert snapshot(workshop) == before


def block_form(b: Block, **overrides) -> dict:
    data = {
        "title": b.title,
        "minutes": b.minutes,
        "grouping": b.grouping,
        "instructions": b.instructions,
        "facilitator_notes": b.facilitator_notes,
        "dots": b.dots,
        "steps": "\n".join(f"{step['minutes']} · {step['title']}" for step in b.steps),
        **({"allows_contributions": "on"} if b.allows_contributions else {}),
        **({"anonymous": "on"} if b.anonymous else {}),
        **({"reveal_first": "on"} if b.reveal_first else {}),
    }
    data.update(overrides)
    return {f"b{b.pk}-{key}": value for key, value in data.items() if value is not None}


def test_edit_a_block(workshop, facilitator_client):
    cafe = block(workshop, "cafe_round")
    data = block_form(
        cafe,
        title="Café con proveedores",
        minutes=30,
        grouping="by_area",
        instructions="Busca tu mesa.",
        facilitator_notes="Cuidar a Logística.",
        dots=2,
    )
    response = post(facilitator_client, "block_edit", [workshop.pk, cafe.pk], data)
    body = response.content.decode()
    assert is_fragment(response)
    cafe.refresh_from_db()
    assert (cafe.title, cafe.minutes, cafe.grouping, cafe.dots) == (
        "Café con proveedores",
        30,
        "by_area",
        2,
    )
    assert cafe.facilitator_notes == "Cuidar a Logística."
    assert "«Café con proveedores» es para mesas mixtas, pero su agrupación es otra." in body
    assert sum(step["minutes"] for step in cafe.steps) == 30  # untouched steps follow
    assert "2 puntos" in body


def test_a_block_reveals_first_or_not_as_the_facilitator_chooses(workshop, facilitator_client):
    unsaid = block(workshop, "unsaid")
    assert unsaid.reveal_first  # the default of an anonymous block
    page = facilitator_client.get(f"/sesiones/{workshop.pk}/").content.decode()
    assert "Revisar cada aporte antes de mostrarlo" in page
    post(
        facilitator_client,
        "block_edit",
        [workshop.pk, unsaid.pk],
        block_form(unsaid, reveal_first=None),
    )
    unsaid.refresh_from_db()
    assert not unsaid.reveal_first
    cafe = block(workshop, "cafe_round")
    post(
        facilitator_client,
        "block_edit",
        [workshop.pk, cafe.pk],
        block_form(cafe, reveal_first="on"),
    )
    cafe.refresh_from_db()
    assert cafe.reveal_first


def test_the_unsaid_block_stays_anonymous(workshop, facilitator_client):
    unsaid = block(workshop, "unsaid")
    data = block_form(unsaid, anonymous=None)
    post(facilitator_client, "block_edit", [workshop.pk, unsaid.pk], data)
    unsaid.refresh_from_db()
    assert unsaid.anonymous


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "  "}, "El bloque necesita un título."),
        ({"minutes": "0"}, "La duración debe ser de al menos 1 minuto."),
        ({"grouping": "parejas"}, "Escoja una opción válida."),
        ({"dots": "50"}, "Entre 0 y 20 puntos."),
        ({"minutes": "400"}, "La agenda no puede pasar de 8 horas"),
        ({"steps": "5 · Conversar"}, "Los pasos suman 5 min y el bloque dura 20 min"),
        ({"steps": "Conversar un rato"}, "La línea 1 no se entiende"),
    ],
)
def test_a_refused_block_edit_shows_the_error_and_changes_nothing(
    workshop, facilitator_client, overrides, message
):
    cafe = block(workshop, "cafe_round")
    before = snapshot(workshop)
    data = block_form(cafe, **overrides)
    response = post(facilitator_client, "block_edit", [workshop.pk, cafe.pk], data)
    body = response.content.decode()
    assert response.status_code == 200
    assert is_fragment(response)
    assert message in body
    assert '<details class="block-edit" open>' in body
    assert snapshot(workshop) == before


def test_remove_the_break_warns_about_90_minutes(workshop, facilitator_client):
    pause = block(workshop, "break")
    response = post(facilitator_client, "block_remove", [workshop.pk, pause.pk])
    body = response.content.decode()
    assert is_fragment(response)
    assert not Block.objects.filter(pk=pause.pk).exists()
    assert "Pasan 95 minutos sin pausa hasta «Lo que no se ha dicho»" in body
    assert "2 h 50 min" in body


def test_duplicate_a_block_puts_the_copy_after_it(workshop, facilitator_client):
    cafe = block(workshop, "cafe_round")
    response = post(facilitator_client, "block_duplicate", [workshop.pk, cafe.pk])
    assert is_fragment(response)
    names = titles(workshop)
    index = names.index(cafe.title)
    assert names[index + 1] == cafe.title
    copy = block(workshop, "cafe_round", 1)
    assert copy.questions.count() == cafe.questions.count()
    assert copy.steps == cafe.steps


def test_move_up_and_down_recomputes_clock_times(workshop, facilitator_client):
    second = block(workshop, "diagnosis")
    response = post(facilitator_client, "block_move", [workshop.pk, second.pk], {"direction": "up"})
    assert titles(workshop)[:2] == ["Diagnóstico: lo que pasa hoy", "Apertura: el propósito de hoy"]
    body = response.content.decode()
    second_start = body.index(f'id="block-{second.pk}"')
    assert "08:00" in body[second_start : second_start + 400]

    post(facilitator_client, "block_move", [workshop.pk, second.pk], {"direction": "down"})
    assert titles(workshop)[:2] == ["Apertura: el propósito de hoy", "Diagnóstico: lo que pasa hoy"]

    before = snapshot(workshop)
    response = post(
        facilitator_client, "block_move", [workshop.pk, second.pk], {"direction": "sideways"}
    )
    assert "Movimiento no válido." in response.content.decode()
    assert snapshot(workshop) == before


def test_reorder_by_drag_and_drop(workshop, facilitator_client):
    ids = list(workshop.blocks.order_by("position").values_list("id", flat=True))
    ids[0], ids[1] = ids[1], ids[0]
    workshop.refresh_from_db()
    data = {"order": ",".join(map(str, ids)), "version": workshop.agenda_version}
    response = post(facilitator_client, "blocks_reorder", [workshop.pk], data)
    assert is_fragment(response)
    assert list(workshop.blocks.order_by("position").values_list("id", flat=True)) == ids
    workshop.refresh_from_db()
    assert f'data-version="{workshop.agenda_version}"' in response.content.decode()


def test_stale_reorder_from_another_tab_is_refused_and_the_order_kept(workshop, facilitator_client):
    workshop.refresh_from_db()
    drawn_version = workshop.agenda_version
    # The other tab moves a block first.
    post(
        facilitator_client,
        "block_move",
        [workshop.pk, block(workshop, "checkin").pk],
        {"direction": "up"},
    )
    before = snapshot(workshop)
    ids = [row[0] for row in before if len(row) > 2][::-1]
    data = {"order": ",".join(map(str, ids)), "version": drawn_version}
    response = post(facilitator_client, "blocks_reorder", [workshop.pk], data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "La agenda cambió en otra pestaña." in body
    assert snapshot(workshop) == before


@pytest.mark.parametrize("order", ["", "1,2,x", "tampered"])
def test_a_garbled_reorder_is_refused(workshop, facilitator_client, order):
    workshop.refresh_from_db()
    before = snapshot(workshop)
    data = {"order": order, "version": workshop.agenda_version}
    response = post(facilitator_client, "blocks_reorder", [workshop.pk], data)
    assert "El orden enviado no corresponde" in response.content.decode()
    assert snapshot(workshop) == before


def test_a_reorder_with_a_block_of_another_session_is_refused(
    workshop, other_workshop, facilitator_client
):
    workshop.refresh_from_db()
    before = snapshot(workshop)
    ids = [row[0] for row in before if len(row) > 2]
    ids[0] = other_workshop.blocks.first().pk
    data = {"order": ",".join(map(str, ids)), "version": workshop.agenda_version}
    response = post(facilitator_client, "blocks_reorder", [workshop.pk], data)
    assert "El orden enviado no corresponde" in response.content.decode()
    assert snapshot(workshop) == before
    assert other_workshop.blocks.count() == 15


# --- Questions -----------------------------------------------------------------------------


def test_picker_lists_bank_questions_of_the_blocks_phase_with_intent(workshop, facilitator_client):
    cafe = block(workshop, "cafe_round")
    response = facilitator_client.get(
        reverse("question_picker", args=[workshop.pk, cafe.pk]), **HTMX
    )
    body = response.content.decode()
    assert 'id="picker"' in body and "<html" not in body
    cafe_questions = Question.objects.filter(phase__slug="cafe_round", organisation=None)
    for question in cafe_questions[:5]:
        assert html.escape(render_areas(question.text, {}), quote=False) in body
        assert question.intent in body
    other = Question.objects.filter(phase__slug="dream").first()
    assert other.text not in body
    assert "Guardar también en el banco de mi organización" in body


def test_picker_filters_by_text_area_and_principle(workshop, facilitator_client):
    cafe = block(workshop, "cafe_round")
    url = reverse("question_picker", args=[workshop.pk, cafe.pk])
    response = facilitator_client.get(
        url, {"phase": "", "area": "logistica", "q": ""}, HTTP_HX_TARGET="picker-results", **HTMX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="picker-results"')
    tagged = Question.objects.filter(area_tags__contains=",logistica,").first()
    only_ventas = Question.objects.filter(area_tags=",ventas,").first()
    assert html.escape(render_areas(tagged.text, {}), quote=False) in body
    assert "{logistica}" not in body  # tokens read as the organisation's area names
    assert html.escape(render_areas(only_ventas.text, {}), quote=False) not in body


def test_picker_never_shows_another_organisations_questions(
    workshop, their_question, facilitator_client
):
    cafe = block(workshop, "cafe_round")
    body = facilitator_client.get(
        reverse("question_picker", args=[workshop.pk, cafe.pk]), **HTMX
    ).content.decode()
    assert their_question.text not in body


def test_swap_a_question_remove_one_and_add_another(workshop, facilitator_client):
    cafe = block(workshop, "cafe_round")
    old = cafe.questions.get()
    response = post(facilitator_client, "block_question_remove", [workshop.pk, cafe.pk, old.pk])
    assert is_fragment(response)
    assert f"«{cafe.title}» necesita al menos una pregunta." in response.content.decode()
    new = Question.objects.filter(phase__slug="cafe_round").exclude(pk=old.question_id).first()
    response = post(
        facilitator_client, "block_question_add", [workshop.pk, cafe.pk], {"question": new.pk}
    )
    assert is_fragment(response)
    assert list(cafe.questions.values_list("question_id", flat=True)) == [new.pk]
    assert "Sin avisos" in response.content.decode()


def test_write_a_new_question_and_save_it_to_the_bank(
    workshop, organisation, facilitator, facilitator_client
):
    dream = block(workshop, "dream")
    text = "¿Cómo se vería un pedido perfecto dentro de un año?"
    response = post(
        facilitator_client,
        "block_question_write",
        [workshop.pk, dream.pk],
        {"text": text, "save_to_bank": "on"},
    )
    assert is_fragment(response)
    assert text in response.content.decode()
    saved = Question.objects.get(text=text)
    assert saved.organisation == organisation
    assert saved.phase.slug == "dream"
    assert saved.created_by == facilitator.user
    assert dream.questions.filter(question=saved).exists()


def test_write_a_question_only_for_this_block(workshop, facilitator_client):
    dream = block(workshop, "dream")
    text = "¿Qué haríamos distinto si el cliente estuviera aquí?"
    post(facilitator_client, "block_question_write", [workshop.pk, dream.pk], {"text": text})
    assert dream.questions.filter(text=text, question=None).exists()
    assert not Question.objects.filter(text=text).exists()


@pytest.mark.parametrize(
    ("text", "message"), [("", "Escribe la pregunta."), ("¿Y?", "La pregunta es demasiado corta.")]
)
def test_a_refused_written_question_changes_nothing(workshop, facilitator_client, text, message):
    dream = block(workshop, "dream")
    before = snapshot(workshop)
    response = post(
        facilitator_client,
        "block_question_write",
        [workshop.pk, dream.pk],
        {"text": text, "save_to_bank": "on"},
    )
    assert message in response.content.decode()
    assert snapshot(workshop) == before
    assert not Question.objects.exclude(organisation=None).exists()


def test_a_question_of_another_organisation_is_404(workshop, their_question, facilitator_client):
    cafe = block(workshop, "cafe_round")
    before = snapshot(workshop)
    for value in (their_question.pk, "abc", ""):
        response = post(
            facilitator_client, "block_question_add", [workshop.pk, cafe.pk], {"question": value}
        )
        assert response.status_code == 404
    assert snapshot(workshop) == before


# --- Tampered ids --------------------------------------------------------------------------

BLOCK_ENDPOINTS = [
    ("block_edit", {}),
    ("block_minutes", {"minutes": 5}),
    ("block_remove", {}),
    ("block_duplicate", {}),
    ("block_move", {"direction": "up"}),
    ("block_question_write", {"text": "¿Una pregunta suficientemente larga?"}),
]


@pytest.mark.parametrize(("name", "data"), BLOCK_ENDPOINTS)
def test_a_block_of_another_session_is_404_and_nothing_changes(
    workshop, other_workshop, facilitator_client, name, data
):
    theirs = block(other_workshop, "cafe_round")
    before, before_other = snapshot(workshop), snapshot(other_workshop)
    response = post(facilitator_client, name, [workshop.pk, theirs.pk], data)
    assert response.status_code == 404
    assert snapshot(workshop) == before
    assert snapshot(other_workshop) == before_other


@pytest.mark.parametrize(("name", "data"), BLOCK_ENDPOINTS)
def test_an_outsider_cannot_edit_our_blocks(workshop, outsider_client, name, data):
    cafe = block(workshop, "cafe_round")
    before = snapshot(workshop)
    response = post(outsider_client, name, [workshop.pk, cafe.pk], data)
    assert response.status_code == 404
    assert snapshot(workshop) == before


def test_an_outsider_cannot_see_the_builder_or_the_picker(workshop, outsider_client):
    cafe = block(workshop, "cafe_round")
    assert outsider_client.get(workshop.get_absolute_url()).status_code == 404
    url = reverse("question_picker", args=[workshop.pk, cafe.pk])
    assert outsider_client.get(url).status_code == 404


def test_a_block_question_of_another_block_is_404(workshop, facilitator_client):
    cafe, second = block(workshop, "cafe_round"), block(workshop, "dream")
    theirs = second.questions.get()
    before = snapshot(workshop)
    response = post(facilitator_client, "block_question_remove", [workshop.pk, cafe.pk, theirs.pk])
    assert response.status_code == 404
    assert snapshot(workshop) == before


def test_picker_for_a_block_of_another_session_is_404(workshop, other_workshop, facilitator_client):
    theirs = block(other_workshop, "cafe_round")
    url = reverse("question_picker", args=[workshop.pk, theirs.pk])
    assert facilitator_client.get(url).status_code == 404


# --- Status and read-only ------------------------------------------------------------------


def test_mark_ready_and_back_to_draft(workshop, facilitator_client):
    response = post(facilitator_client, "workshop_status", [workshop.pk], {"status": "ready"})
    assert "Volver a borrador" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.status == Workshop.Status.READY
    response = post(facilitator_client, "workshop_status", [workshop.pk], {"status": "draft"})
    assert "Marcar como lista" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.status == Workshop.Status.DRAFT


def test_a_live_session_is_read_only(workshop, facilitator_client):
    Workshop.objects.filter(pk=workshop.pk).update(status=Workshop.Status.LIVE)
    body = facilitator_client.get(workshop.get_absolute_url()).content.decode()
    assert "solo lectura" in body
    assert "Agregar bloque" not in body and 'draggable="true"' not in body

    before = snapshot(workshop)
    cafe = block(workshop, "cafe_round")
    response = post(facilitator_client, "block_minutes", [workshop.pk, cafe.pk], {"minutes": 5})
    assert "La sesión ya está en vivo o cerrada" in response.content.decode()
    response = post(facilitator_client, "block_add", [workshop.pk], {"kind": "dream"})
    assert "La sesión ya está en vivo o cerrada" in response.content.decode()
    response = post(facilitator_client, "workshop_status", [workshop.pk], {"status": "draft"})
    assert "Ese cambio de estado no está permitido aquí." in response.content.decode()
    assert snapshot(workshop) == before
    workshop.refresh_from_db()
    assert workshop.status == Workshop.Status.LIVE


def test_without_htmx_an_edit_redirects_back_to_the_builder(workshop, facilitator_client):
    opening = block(workshop, "opening")
    response = facilitator_client.post(
        reverse("block_minutes", args=[workshop.pk, opening.pk]), {"minutes": 0}
    )
    assert response.status_code == 302
    assert response["Location"] == workshop.get_absolute_url()
    body = facilitator_client.get(workshop.get_absolute_url()).content.decode()
    assert "La duración debe ser de al menos 1 minuto." in body


def test_builder_edits_are_post_only(workshop, facilitator_client):
    opening = block(workshop, "opening")
    url = reverse("block_remove", args=[workshop.pk, opening.pk])
    assert facilitator_client.get(url).status_code == 405
    assert workshop.blocks.count() == 15


def test_ready_session_offers_to_go_live_and_a_live_one_links_to_the_room(
    workshop, facilitator_client
):
    from workshops.services import workshop_set_status

    body = facilitator_client.get(reverse("workshop_builder", args=[workshop.pk])).content
    assert "Empezar en vivo" not in body.decode()
    workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    body = facilitator_client.get(reverse("workshop_builder", args=[workshop.pk])).content
    assert "Empezar en vivo" in body.decode()
    response = facilitator_client.post(reverse("live_start", args=[workshop.pk]))
    assert response.status_code == 302
    body = facilitator_client.get(reverse("workshop_builder", args=[workshop.pk])).content
    assert reverse("control_room", args=[workshop.live.pk]) in body.decode()


def test_live_session_details_cannot_be_changed(workshop, facilitator_client, organisation):
    Workshop.objects.filter(pk=workshop.pk).update(status=Workshop.Status.LIVE)
    area = organisation.areas.first()
    response = facilitator_client.post(
        reverse("workshop_edit", args=[workshop.pk]),
        {
            "title": "Otro título",
            "date": "2026-12-02",
            "start_time": "09:00",
            "areas": [a.pk for a in organisation.areas.all()],
            f"expected_{area.pk}": "3",
        },
    )
    assert response.status_code == 200
    assert "en vivo o cerrada" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.title != "Otro título"
