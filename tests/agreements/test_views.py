import csv
import datetime
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from agreements import services
from agreements.models import Agreement, StatusUpdate
from facilitation import services as live_services
from tests.facilitation.conftest import goto

pytestmark = pytest.mark.django_db


def _owner_url(owner) -> str:
    return reverse("owner_agreement", args=[owner.token])


# --- the owner's private link ----------------------------------------------------------------


def test_owner_link_shows_the_agreement_and_the_form(agreement):
    owner = agreement.owners.get(name="Diego Ruiz")
    response = Client().get(_owner_url(owner))
    assert response.status_code == 200
    body = response.content.decode()
    assert agreement.text in body
    assert "Ventas promete fechas que Compras no conoce" in body
    assert "Cero pedidos sin fecha confirmada en enero" in body
    assert "Ana" in body  # the co-owner
    assert 'value="en_curso"' in body
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_owner_posts_a_status_with_a_note_into_the_history(agreement):
    owner = agreement.owners.get(name="Diego Ruiz")
    client = Client()
    response = client.post(
        _owner_url(owner), {"status": "en_curso", "note": "Primera reunión el lunes"}
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == "en_curso"
    page = client.get(_owner_url(owner)).content.decode()
    assert "Primera reunión el lunes" in page
    assert "Guardado" in page


def test_owner_post_with_a_bad_status_rerenders_with_the_error(agreement):
    owner = agreement.owners.first()
    response = Client().post(_owner_url(owner), {"status": "casi-listo", "note": "x"})
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == "pendiente"


@pytest.mark.parametrize("case", ["revoked", "mistyped", "renewed"])
def test_bad_owner_link_gets_one_clear_message_and_reveals_nothing(agreement, manager, case):
    owner = agreement.owners.get(name="Diego Ruiz")
    token = owner.token
    if case == "revoked":
        services.owner_link_revoke(owner=owner, actor=manager.user)
    elif case == "mistyped":
        token = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    else:
        services.owner_link_renew(owner=owner, actor=manager.user)
    client = Client()
    for response in (
        client.get(reverse("owner_agreement", args=[token])),
        client.post(reverse("owner_agreement", args=[token]), {"status": "hecho"}),
    ):
        assert response.status_code == 404
        body = response.content.decode()
        assert "Este enlace no funciona" in body
        # Random tokens (the CSP nonce, the CSRF token, the link itself) may spell a name by
        # chance: the page's words are checked without them.
        words = re.sub(r"[A-Za-z0-9_\-]{20,}", "", body)
        for secret in (agreement.text, "Diego", "Ana", agreement.workshop.title, "Ventas"):
            assert secret not in words
    agreement.refresh_from_db()
    assert agreement.status == "pendiente"


def test_owner_link_of_a_dropped_agreement_does_not_work(live, people, areas, facilitator):
    draft = services.agreement_draft(
        live=live,
        text="Cambiar de proveedor de transporte",
        due_date=live.workshop.date + datetime.timedelta(days=20),
        areas=[areas["logistica"]],
        owners=[services.OwnerInput(name="Elena", area=areas["logistica"])],
    )
    services.agreement_ask_consent(agreement=draft)
    services.agreement_record(agreement=draft, outcome="dropped", actor=facilitator.user)
    assert Client().get(_owner_url(draft.owners.get())).status_code == 404


# --- the dashboard ---------------------------------------------------------------------------


def test_dashboard_lists_agreed_only_and_overdue_stands_out(
    manager_client, agreement, overdue_agreement, live, areas
):
    services.agreement_draft(
        live=live,
        text="Un borrador que no se votó",
        due_date=live.workshop.date + datetime.timedelta(days=5),
        areas=[areas["ventas"]],
        owners=[services.OwnerInput(name="Beto", area=areas["ventas"])],
    )
    response = manager_client.get(reverse("agreement_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert agreement.text in body and overdue_agreement.text in body
    assert "Un borrador que no se votó" not in body
    assert f'class="agreement-row is-overdue" id="agreement-{overdue_agreement.pk}"' in body
    assert f'class="agreement-row" id="agreement-{agreement.pk}"' in body


@pytest.mark.parametrize(
    ("params", "expect_first", "expect_overdue"),
    [
        ({"area": "logistica"}, False, True),
        ({"area": "ventas"}, True, False),
        ({"owner": "diego"}, True, False),
        ({"owner": "Elena"}, False, True),
        ({"status": "en_curso"}, True, False),
        ({"overdue": "on"}, False, True),
        ({"due_to": "__past__"}, False, True),
        ({"due_from": "__past__"}, True, False),
        ({"session": "__first__"}, True, False),
    ],
)
def test_dashboard_filters(
    manager_client, agreement, overdue_agreement, areas, params, expect_first, expect_overdue
):
    services.owner_update_status(owner=agreement.owners.first(), status="en_curso")
    query = dict(params)
    if "area" in query:
        query["area"] = areas[query["area"]].pk
    for key in ("due_to", "due_from"):
        if query.get(key) == "__past__":
            query[key] = datetime.date.today().isoformat()
    if query.get("session") == "__first__":
        query["session"] = agreement.workshop_id
    body = manager_client.get(reverse("agreement_list"), query).content.decode()
    assert (agreement.text in body) is expect_first
    assert (overdue_agreement.text in body) is expect_overdue


def test_facilitator_reads_the_dashboard_the_export_and_the_report(facilitator_client, agreement):
    listing = facilitator_client.get(reverse("agreement_list"))
    assert listing.status_code == 200 and agreement.text in listing.content.decode()
    export = facilitator_client.get(reverse("agreement_export"))
    assert agreement.text in export.content.decode("utf-8-sig")
    report = facilitator_client.get(reverse("workshop_report", args=[agreement.workshop_id]))
    assert report.status_code == 200


def test_dashboard_ignores_a_tampered_filter(manager_client, agreement):
    response = manager_client.get(reverse("agreement_list"), {"area": "999999", "status": "x"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Algún filtro no era válido" in body
    assert agreement.text in body


def test_dashboard_htmx_request_gets_only_the_results(manager_client, agreement):
    response = manager_client.get(reverse("agreement_list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="agreement-results"')
    assert "<html" not in body


def test_dashboard_draws_an_svg_bar_per_area(manager_client, agreement, overdue_agreement):
    owner = agreement.owners.first()
    services.owner_update_status(owner=owner, status="hecho")  # done well before its due date
    body = manager_client.get(reverse("agreement_list")).content.decode()
    assert "<svg" in body and 'role="img"' in body
    assert "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    # Compras and Ventas: 1 agreement, done on time → full bar; Logística: 1, overdue → 0 %.
    assert 'data-area="compras"' in body
    compras = body.split('data-area="compras"', 1)[1].split("</g>", 1)[0]
    assert 'width="460" height="14" rx="3" fill="#146c2e"' in compras
    assert "100 %" in compras
    logistica = body.split('data-area="logistica"', 1)[1].split("</g>", 1)[0]
    assert "1 vencido" in logistica and "0 %" in logistica


def _csv_rows(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel looks for
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_has_bom_spanish_headers_accents_and_local_dates(
    manager_client, agreement, overdue_agreement, areas
):
    response = manager_client.get(reverse("agreement_export"), {"area": areas["logistica"].pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="acuerdos-')
    rows = _csv_rows(response)
    assert rows[0][:3] == ["Sesión", "Fecha de la sesión", "Acuerdo"]
    assert "Fecha de entrega" in rows[0] and "Áreas" in rows[0]
    assert len(rows) == 2  # filtered like the list: only Logística's agreement
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Sesión"] == "Logística y Ventas: dar la cara"
    assert row["Responsables"] == "Elena Paz (Logística)"
    assert row["Fecha de entrega"] == overdue_agreement.due_date.strftime("%d/%m/%Y")
    assert row["Vencido"] == "Sí"
    assert row["Estado"] == "Pendiente"


def test_csv_dates_are_in_the_organisation_zone(manager_client, agreement):
    owner = agreement.owners.first()
    update = services.owner_update_status(owner=owner, status="hecho")
    # 02:30 UTC is still the previous evening in Bogotá.
    late = datetime.datetime(2026, 12, 10, 2, 30, tzinfo=datetime.UTC)
    Agreement.objects.filter(pk=agreement.pk).update(done_at=late, status_changed_at=late)
    StatusUpdate.objects.filter(pk=update.pk).update(created_at=late)
    rows = _csv_rows(manager_client.get(reverse("agreement_export")))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Hecho el"] == "09/12/2026"


def test_csv_cells_cannot_become_formulas(manager_client, live, people, areas, facilitator):
    from tests.agreements.conftest import agree

    agree(
        live,
        facilitator.user,
        text='=HYPERLINK("http://x") revisar precios',
        due=live.workshop.date + datetime.timedelta(days=3),
        areas=[areas["compras"]],
        owners=[services.OwnerInput(name="Ana", area=areas["compras"])],
    )
    rows = _csv_rows(manager_client.get(reverse("agreement_export")))
    assert rows[1][2].startswith("'=")


# --- one agreement ---------------------------------------------------------------------------


def test_detail_shows_history_owners_versions_and_origin(manager_client, agreement):
    services.owner_update_status(
        owner=agreement.owners.get(name="Diego Ruiz"), status="en_curso", note="Arrancamos"
    )
    body = manager_client.get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    assert agreement.text in body
    assert "Arrancamos" in body and "Diego Ruiz" in body
    assert "v1" in body
    assert agreement.workshop.title in body
    assert "Revocar enlace" in body and "Nuevo enlace" in body
    assert 'id="comment-form"' in body
    # The owners' private links are never printed on the page.
    for owner in agreement.owners.all():
        assert owner.token not in body


def test_detail_never_attributes_an_anonymous_source(
    manager_client, live, people, areas, facilitator
):
    from tests.agreements.conftest import agree

    block = goto(live, "unsaid")
    assert block.current_block.anonymous
    live_services.contributions_set_open(live=block, open=True)
    secret, _ = live_services.contribution_submit(
        participant=people["ventas"],
        key="k-1",
        text="Nadie avisa cuando un despacho se cae",
        block_id=block.current_block_id,
    )
    agreement = agree(
        live,
        facilitator.user,
        text="Avisar de inmediato cada despacho caído",
        due=live.workshop.date + datetime.timedelta(days=7),
        areas=[areas["logistica"]],
        owners=[services.OwnerInput(name="Caro", area=areas["logistica"])],
        sources=[secret],
    )
    body = manager_client.get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    assert "Nadie avisa cuando un despacho se cae" in body
    assert "Aporte anónimo" in body
    assert "Beto" not in body


def test_facilitator_reads_the_detail_but_cannot_comment(facilitator_client, agreement):
    response = facilitator_client.get(reverse("agreement_detail", args=[agreement.pk]))
    assert response.status_code == 200
    assert 'id="comment-form"' not in response.content.decode()
    response = facilitator_client.post(
        reverse("agreement_comment", args=[agreement.pk]), {"text": "Hola"}
    )
    assert response.status_code == 404
    assert not agreement.updates.filter(kind="comment").exists()


def test_manager_comments(manager_client, agreement):
    url = reverse("agreement_comment", args=[agreement.pk])
    response = manager_client.post(url, {"text": "¿Necesitan apoyo de Gerencia?"})
    assert response.status_code == 302
    comment = agreement.updates.get(kind="comment")
    assert comment.note == "¿Necesitan apoyo de Gerencia?" and comment.author == "Milena"
    empty = manager_client.post(url, {"text": "  "})
    assert empty.status_code == 400
    assert agreement.updates.filter(kind="comment").count() == 1


def test_nobody_can_change_what_was_agreed(manager_client, agreement):
    before = (agreement.text, agreement.due_date, agreement.indicator, agreement.version)
    detail = reverse("agreement_detail", args=[agreement.pk])
    tampered = {"text": "Otra cosa", "due_date": "2030-01-01", "indicator": "nada"}
    assert manager_client.post(detail, tampered).status_code == 405
    manager_client.post(reverse("agreement_comment", args=[agreement.pk]), tampered)
    agreement.refresh_from_db()
    assert (agreement.text, agreement.due_date, agreement.indicator, agreement.version) == before


@pytest.mark.parametrize("role", ["manager", "facilitator"])
def test_revoke_and_renew_an_owner_link(
    request, agreement, role, mailoutbox, django_capture_on_commit_callbacks
):
    client = request.getfixturevalue(f"{role}_client")
    owner = agreement.owners.get(name="Diego Ruiz")
    old_token = owner.token
    response = client.post(reverse("owner_revoke", args=[agreement.pk, owner.pk]))
    assert response.status_code == 302
    assert Client().get(_owner_url(owner)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("owner_renew", args=[agreement.pk, owner.pk]))
    owner.refresh_from_db()
    assert owner.token != old_token and owner.revoked_at is None
    assert Client().get(_owner_url(owner)).status_code == 200
    assert Client().get(reverse("owner_agreement", args=[old_token])).status_code == 404
    assert len(mailoutbox) == 1 and owner.token in mailoutbox[0].body
    assert mailoutbox[0].body.count("http://testserver/acuerdo/") == 1


def test_owner_of_another_agreement_cannot_be_revoked_through_this_one(
    manager_client, agreement, overdue_agreement
):
    stranger = overdue_agreement.owners.get()
    response = manager_client.post(reverse("owner_revoke", args=[agreement.pk, stranger.pk]))
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.revoked_at is None


# --- other organisations ---------------------------------------------------------------------


def test_another_organisation_reaches_nothing(outsider_client, agreement):
    owner = agreement.owners.first()
    for response in (
        outsider_client.get(reverse("agreement_detail", args=[agreement.pk])),
        outsider_client.post(reverse("agreement_comment", args=[agreement.pk]), {"text": "x"}),
        outsider_client.post(reverse("owner_revoke", args=[agreement.pk, owner.pk])),
        outsider_client.post(reverse("owner_renew", args=[agreement.pk, owner.pk])),
        outsider_client.get(reverse("workshop_report", args=[agreement.workshop_id])),
        outsider_client.get(reverse("workshop_report_csv", args=[agreement.workshop_id])),
    ):
        assert response.status_code == 404
    listing = outsider_client.get(reverse("agreement_list")).content.decode()
    assert agreement.text not in listing
    export = outsider_client.get(reverse("agreement_export")).content.decode("utf-8-sig")
    assert agreement.text not in export
    owner.refresh_from_db()
    assert owner.revoked_at is None


def test_anonymous_visitor_is_sent_to_log_in(agreement):
    response = Client().get(reverse("agreement_list"))
    assert response.status_code == 302 and "/entrar/" in response["Location"]


# --- the session report (el acta) ------------------------------------------------------------


def _play_session(live, people, areas, facilitator):
    """Check-in emotions, named and anonymous contributions, dots, and a consented agreement."""
    from tests.agreements.conftest import agree

    for slug, emotion in (("compras", "calma"), ("ventas", "enojo"), ("logistica", "calma")):
        live_services.emotion_submit(
            participant=people[slug], moment="checkin", emotion=emotion, intensity=3
        )
    rounds = live.workshop.blocks.get(kind__slug="dream")  # named contributions, with dots
    live = live_services.live_goto_block(live=live, block=rounds)
    live = live_services.contributions_set_open(live=live, open=True)
    named, _ = live_services.contribution_submit(
        participant=people["compras"],
        key="n1",
        text="Compras no ve el pipeline",
        block_id=rounds.pk,
    )
    live = live_services.voting_set_open(live=live, open=True)
    live_services.dot_place(participant=people["ventas"], key="d1", contribution_id=named.pk)
    live = goto(live, "unsaid")
    live = live_services.contributions_set_open(live=live, open=True)
    live_services.contribution_submit(
        participant=people["ventas"],
        key="a1",
        text="Tenemos miedo de dar malas noticias",
        block_id=live.current_block_id,
    )
    live_services.contributions_reveal(live=live, block=live.current_block)
    agreement = services.agreement_draft(
        live=live,
        text="Compartir el pipeline de Ventas cada lunes",
        due_date=live.workshop.date + datetime.timedelta(days=14),
        areas=[areas["compras"], areas["ventas"]],
        owners=[
            services.OwnerInput(name="", area=areas["ventas"], participant=people["ventas"]),
            services.OwnerInput(name="", area=areas["compras"], participant=people["compras"]),
        ],
        indicator="El pipeline llega 4 lunes seguidos",
    )
    services.agreement_ask_consent(agreement=agreement)
    services.consent_submit(
        participant=people["logistica"],
        agreement_id=agreement.pk,
        version=1,
        choice="object",
        reason="¿Y Logística?",
    )
    agreement = services.agreement_reword(
        agreement=agreement,
        text="Compartir el pipeline de Ventas cada lunes con Compras y Logística",
        due_date=agreement.due_date,
        areas=[areas["compras"], areas["ventas"], areas["logistica"]],
        owners=[
            services.OwnerInput(name="", area=areas["ventas"], participant=people["ventas"]),
            services.OwnerInput(name="", area=areas["compras"], participant=people["compras"]),
        ],
        indicator="El pipeline llega 4 lunes seguidos",
    )
    for slug, choice in (("compras", "agree"), ("ventas", "agree"), ("logistica", "abstain")):
        services.consent_submit(
            participant=people[slug], agreement_id=agreement.pk, version=2, choice=choice
        )
    services.agreement_record(agreement=agreement, outcome="agreed", actor=facilitator.user)
    del agree
    return live, agreement


def test_report_is_a_draft_while_live_and_final_after_closing(
    facilitator_client, manager_client, live, people, areas, facilitator
):
    live, agreement = _play_session(live, people, areas, facilitator)
    url = reverse("workshop_report", args=[live.workshop_id])
    draft = facilitator_client.get(url)
    assert draft.status_code == 200
    body = draft.content.decode()
    assert 'id="report-draft"' in body and "Borrador" in body
    assert "Compartir el pipeline de Ventas cada lunes con Compras y Logística" in body
    assert "El pipeline llega 4 lunes seguidos" in body
    live_services.live_close(live=live)
    final = manager_client.get(url).content.decode()
    assert 'id="report-draft"' not in final and "Final" in final


def test_report_counts_without_names(manager_client, live, people, areas, facilitator):
    live, agreement = _play_session(live, people, areas, facilitator)
    body = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    # Attendance: one of four expected per area.
    attendance = body.split('id="attendance"', 1)[1].split("</section>", 1)[0]
    assert attendance.count('<td class="num">1</td><td class="num">4</td>') == 3
    # Emotions by area, counted: two "Tranquilidad" (calma) at check-in, one "Enojo".
    emotions = body.split('id="emotions"', 1)[1].split("</section>", 1)[0]
    assert "Tranquilidad" in emotions and "Enojo" in emotions
    assert '<td class="num"><strong>2</strong></td>' in emotions
    # Contributions: the anonymous one counted apart, and on the whole wall (issue 11) as
    # anonymous, never with an area.
    contributions = body.split('id="contributions"', 1)[1].split("</section>", 1)[0]
    wall = contributions.split("Todos los aportes", 1)[1]
    assert '<q>Tenemos miedo de dar malas noticias</q> <span class="muted">· anónimo</span>' in wall
    assert "Compras no ve el pipeline" in contributions  # the most voted, with its area
    assert "1 punto" in contributions
    # Consent to the final version only: Logística's objection to v1 is not counted.
    agreements = body.split('id="agreements"', 1)[1]
    assert "Respuestas a la versión 2" in agreements
    # One person per area: no area is shown apart (issue 12's minimum of 3), the room is one
    # group and the page says why.
    room_row = agreements.split('<th scope="row">Todas las áreas</th>', 1)[1].split("</tr>", 1)[0]
    assert room_row == '<td class="num">2</td><td class="num">0</td><td class="num">1</td>'
    assert '<th scope="row">Logística</th>' not in agreements
    assert "ningún grupo de menos de 3 personas se muestra por separado" in agreements
    # No participant's name appears except as an owner (Ana and Beto own the agreement).
    assert "Caro" not in body


def test_report_csv_has_consent_totals_and_bom(manager_client, live, people, areas, facilitator):
    live, agreement = _play_session(live, people, areas, facilitator)
    response = manager_client.get(reverse("workshop_report_csv", args=[live.workshop_id]))
    rows = _csv_rows(response)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Acuerdo"] == agreement.text
    assert row["Resultado en la sesión"] == "Acordado"
    assert (row["De acuerdo"], row["Objeciones"], row["Abstenciones"]) == ("2", "0", "1")
    assert row["Versión"] == "2"
    assert row["Responsables"] == "Ana (Compras); Beto (Ventas)"


def test_report_counts_commitments_without_names_and_lists_the_kept_ground_rules(
    manager_client, live, areas
):
    from facilitation.models import Participant

    goto(live, "principles")
    joined = [
        live_services.participant_join(live=live, name=name, area=areas[slug])
        for name, slug in (("Ana", "compras"), ("Beto", "ventas"), ("Caro", "logistica"))
    ]
    live_services.commitment_answer(participant=joined[0], key="a", choice="commit")
    live_services.commitment_answer(participant=joined[1], key="b", choice="commit")
    live_services.commitment_answer(
        participant=joined[2], key="c", choice="reserve", note="Nota que se queda en la sala"
    )
    kept, _ = live_services.ground_rule_propose(participant=joined[0], key="r", text="Puntualidad")
    live_services.ground_rule_propose(participant=joined[1], key="s", text="Regla no elegida")
    live_services.ground_rule_keep(live=live, rule=kept, kept=True)
    body = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    section = body.split('id="principles"', 1)[1].split("</section>", 1)[0]
    assert "2 personas se comprometieron con los principios" in section
    assert "1 expresó una reserva" in section
    assert "Puntualidad" in section and "Regla no elegida" not in section
    assert "Nota que se queda en la sala" not in body
    for person in Participant.objects.filter(live=live):
        assert person.name not in section


def test_report_keeps_the_rooms_diagnosis_without_names(manager_client, live, areas):
    from workshops import method

    goto(live, "diagnosis")
    for n, slug in enumerate(["compras", "ventas", "logistica"]):
        person = live_services.participant_join(live=live, name=f"Persona {n}", area=areas[slug])
        live_services.diagnosis_submit(
            participant=person, key=f"d{n}", answers={s.slug: 3 for s in method.symptoms()}
        )
    body = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    section = body.split('id="diagnosis"', 1)[1].split("</section>", 1)[0]
    assert "3 personas respondieron" in section
    assert all(s.short in section for s in method.symptoms())
    assert "100 %" in section and "Persona 0" not in section


# --- XLSX workbooks ---------------------------------------------------------------------------


def _workbook(response):
    import io

    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.content))


def test_xlsx_export_has_the_csv_columns_with_real_dates(
    manager_client, agreement, overdue_agreement, areas
):
    response = manager_client.get(reverse("agreement_export_xlsx"), {"area": areas["logistica"].pk})
    assert response["Content-Disposition"].startswith('attachment; filename="acuerdos-')
    book = _workbook(response)
    assert book.sheetnames == ["Acuerdos"]
    rows = list(book["Acuerdos"].iter_rows(values_only=True))
    csv_rows = _csv_rows(
        manager_client.get(reverse("agreement_export"), {"area": areas["logistica"].pk})
    )
    assert list(rows[0]) == csv_rows[0]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Sesión"] == "Logística y Ventas: dar la cara"
    # A date is a date (the cell's type), shown day/month/year whatever Excel's locale.
    assert row["Fecha de entrega"].date() == overdue_agreement.due_date
    cell = book["Acuerdos"].cell(row=2, column=rows[0].index("Fecha de entrega") + 1)
    assert cell.is_date and cell.number_format == "DD/MM/YYYY"


def test_xlsx_text_that_looks_like_a_formula_stays_text(
    manager_client, live, people, areas, facilitator
):
    from tests.agreements.conftest import agree

    agree(
        live,
        facilitator.user,
        text='=HYPERLINK("http://x") revisar precios',
        due=live.workshop.date + datetime.timedelta(days=3),
        areas=[areas["compras"]],
        owners=[services.OwnerInput(name="Ana", area=areas["compras"])],
    )
    book = _workbook(manager_client.get(reverse("agreement_export_xlsx")))
    cell = book["Acuerdos"].cell(row=2, column=3)
    assert cell.value == '=HYPERLINK("http://x") revisar precios'
    assert cell.data_type == "s"


def test_the_acta_workbook_has_a_sheet_per_table_and_the_whole_wall(
    manager_client, outsider_client, live, people, areas, facilitator
):
    live, agreement = _play_session(live, people, areas, facilitator)
    url = reverse("workshop_report_xlsx", args=[live.workshop_id])
    book = _workbook(manager_client.get(url))
    assert book.sheetnames == [
        "Acuerdos",
        "Asistencia",
        "Emociones",
        "Aportes por bloque",
        "Todos los aportes",
    ]
    attendance = list(book["Asistencia"].iter_rows(values_only=True))
    assert (
        attendance[0] == ("Área", "Personas esperadas", "Personas conectadas")
        and len(attendance) == 4
    )
    wall = list(book["Todos los aportes"].iter_rows(values_only=True))
    texts = {row[3]: row for row in wall[1:]}
    assert texts["Tenemos miedo de dar malas noticias"][5] == "Anónimo"
    assert "Compras no ve el pipeline" in texts
    agreements = list(book["Acuerdos"].iter_rows(values_only=True))
    assert agreements[1][0] == agreement.text
    # Another organisation: 404.
    assert outsider_client.get(url).status_code == 404


def test_xlsx_neutralises_formula_headers_and_drops_control_characters(
    manager_client, live, people, areas, facilitator
):
    from workshops.models import Area, Workshop

    live, _agreement = _play_session(live, people, areas, facilitator)
    # Ventas has three people and the other two areas three together: Ventas' column shows
    # (issue 12's minimum group).
    for name, area in (("Dora", "ventas"), ("Eli", "ventas"), ("Fer", "compras")):
        joined = live_services.participant_join(live=live, name=name, area=areas[area])
        live_services.participant_commit(participant=joined)
    Area.objects.filter(pk=areas["ventas"].pk).update(name='=HYPERLINK("http://x","Ventas")')
    Workshop.objects.filter(pk=live.workshop_id).update(title="Sesión\x0bcon salto")
    book = _workbook(manager_client.get(reverse("workshop_report_xlsx", args=[live.workshop_id])))
    header = book["Emociones"][1]
    cell = next(c for c in header if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"
    rows = _workbook(manager_client.get(reverse("agreement_export_xlsx")))["Acuerdos"]
    assert rows.cell(row=2, column=1).value == "Sesióncon salto"
