"""Where the staff review what was said, a signed card typed from paper says «en papel» (the
acta, its workbook, the grouping board) and so does a person on paper (the personal-data
page, the acta's attendance as one figure for the room). An anonymous card never does: it
carries no mark by design. Nothing here reaches a phone."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from facilitation import paper, services
from facilitation.models import Contribution
from tests.facilitation.conftest import goto, phone_client
from tests.facilitation.test_paper import block_of

SIGNED = "Nos enteramos tarde de las promesas"
FROM_A_PHONE = "Ventas promete sin preguntar"
ANONYMOUS = "Nos da miedo decirle que no a Ventas"
MARK = "en papel"


@pytest.fixture
def jairo(live, areas):
    return paper.paper_participant_add(
        live=live,
        name="Don Jairo",
        area=areas["logistica"],
        privacy_version=live.workshop.organisation.privacy_notice_version,
    )


@pytest.fixture
def wall(live, people, jairo):
    """A signed card from paper and one from a phone in the area round; an anonymous card
    from paper in «lo no dicho», shown to the room."""
    goto(live, "area_round")
    area_round = block_of(live, "area_round")
    paper.paper_contribution(
        live=live, participant=jairo, key="p1", text=SIGNED, block_id=area_round.pk
    )
    services.contribution_submit(
        participant=people["ventas"], key="v1", text=FROM_A_PHONE, block_id=area_round.pk
    )
    goto(live, "unsaid")
    unsaid = block_of(live, "unsaid")
    paper.paper_contribution(
        live=live, participant=jairo, key="p2", text=ANONYMOUS, block_id=unsaid.pk
    )
    services.contributions_reveal(live=live, block=unsaid)
    return {card.text: card for card in Contribution.objects.all()}


def _item(html: str, text: str) -> str:
    """The list item that holds this card's text."""
    before, after = html.split(text, 1)
    return before.rsplit("<li", 1)[1] + text + after.split("</li>", 1)[0]


# --- the acta ---------------------------------------------------------------------------------


def test_the_acta_marks_signed_paper_cards_and_never_anonymous_ones(manager_client, live, wall):
    html = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    walls = html.split('id="contributions"')[1].split('id="agreements"')[0]
    assert MARK in _item(walls, SIGNED)
    assert MARK not in _item(walls, FROM_A_PHONE)
    anonymous = _item(walls, ANONYMOUS)
    assert "anónimo" in anonymous and MARK not in anonymous
    assert "Don Jairo" not in html  # the acta names nobody


def test_the_acta_counts_people_on_paper_for_the_room_never_by_area(manager_client, live, wall):
    html = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    attendance = html.split('id="attendance"')[1].split("</section>")[0]
    assert "1 persona participó en papel" in attendance
    table = attendance.split("</table>")[0]
    assert MARK not in table  # no per-area count of people on paper
    facts = html.split('class="report-facts"')[1].split("</dl>")[0]
    assert "4 de 12 personas esperadas · 1 en papel" in facts
    for section in ("emotions", "contributions", "agreements"):
        breakdown = html.split(f'id="{section}"')[1].split("<table")[1].split("</table>")[0]
        assert MARK not in breakdown


def test_an_acta_without_paper_says_nothing_of_paper(manager_client, live, people):
    html = manager_client.get(reverse("workshop_report", args=[live.workshop_id])).content.decode()
    assert 'id="attendance-paper"' not in html
    assert MARK not in html


def test_the_workbook_marks_signed_cards_and_leaves_anonymous_ones_blank(
    manager_client, live, wall
):
    response = manager_client.get(reverse("workshop_report_xlsx", args=[live.workshop_id]))
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Todos los aportes"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[-1] == "En papel"
    by_text = {row[header.index("Aporte")]: row for row in rows[1:] if row[0]}
    assert by_text[SIGNED][-1] == "Sí"
    assert by_text[FROM_A_PHONE][-1] == "No"
    assert by_text[ANONYMOUS][-1] is None
    assert by_text[ANONYMOUS][header.index("Área")] == "Anónimo"
    attendance = [row for row in book["Asistencia"].iter_rows(values_only=True)]
    assert attendance[0] == ("Área", "Personas esperadas", "Personas conectadas")
    assert ("1 persona participó en papel, sin celular.", None, None) in attendance


# --- the grouping board and the personal-data page ----------------------------------------------


def test_the_board_marks_signed_paper_cards_only(facilitator_client, live, wall):
    for slug, text in (("area_round", SIGNED), ("unsaid", ANONYMOUS)):
        block = block_of(live, slug)
        html = facilitator_client.get(
            reverse("themes_board", args=[live.pk, block.pk])
        ).content.decode()
        card = html.split(f'id="card-{wall[text].pk}"')[1].split("</li>")[0]
        if slug == "area_round":
            assert "Don Jairo" in card and MARK in card
            phone_card = html.split(f'id="card-{wall[FROM_A_PHONE].pk}"')[1].split("</li>")[0]
            assert MARK not in phone_card
        else:
            assert "Anónimo" in card and MARK not in card and "Don Jairo" not in card


def test_the_people_page_marks_who_took_part_on_paper(manager_client, live, people, jairo):
    html = manager_client.get(reverse("session_people", args=[live.pk])).content.decode()
    row = html.split(f'id="person-{jairo.pk}"')[1].split("</tr>")[0]
    assert MARK in row
    phone_row = html.split(f'id="person-{people["ventas"].pk}"')[1].split("</tr>")[0]
    assert MARK not in phone_row


def test_another_organisation_sees_none_of_it(outsider_client, live, wall):
    for url in (
        reverse("workshop_report", args=[live.workshop_id]),
        reverse("session_people", args=[live.pk]),
        reverse("themes_board", args=[live.pk, block_of(live, "area_round").pk]),
    ):
        assert outsider_client.get(url).status_code == 404


def test_a_phone_never_sees_the_mark(live, people, wall):
    html = (
        phone_client(people["ventas"])
        .get(reverse("participant_live", args=[live.qr_token]))
        .content.decode()
    )
    goto(live, "area_round")
    html += (
        phone_client(people["ventas"])
        .get(reverse("participant_live", args=[live.qr_token]))
        .content.decode()
    )
    assert SIGNED in html
    assert MARK not in html
