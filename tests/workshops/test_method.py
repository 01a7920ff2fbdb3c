"""The method's shipped content: templates, guides, escalation protocol and question bank.
These read the data files themselves, so a bad edit of the data fails here."""

import json
import re

import pytest

from workshops import method
from workshops.agenda import MAX_MINUTES_WITHOUT_BREAK
from workshops.services import DATA_DIR

BANK = json.loads((DATA_DIR / "question_bank.json").read_text(encoding="utf-8"))
KINDS = {
    row["slug"]: row
    for row in json.loads((DATA_DIR / "method.json").read_text(encoding="utf-8"))["activity_kinds"]
}
HARD_CODED_AREAS = re.compile(
    r"compras|ventas|log[ií]stica|tres [áa]reas|otras dos|las dos [áa]reas", re.IGNORECASE
)


def test_the_three_hour_template_lasts_exactly_three_hours():
    template = method.templates()["tres-horas"]
    assert template.minutes == sum(block.minutes for block in template.blocks) == 180
    assert "(3 horas)" in template.title


def test_the_recommended_template_lasts_four_hours_and_gives_the_core_blocks_room():
    templates = method.templates()
    full = templates["cuatro-horas"]
    assert full.recommended and not templates["tres-horas"].recommended
    assert sum(block.minutes for block in full.blocks) == 240
    minutes = {block.kind: block.minutes for block in full.blocks}
    assert minutes["unsaid"] >= 35
    kinds = [block.kind for block in full.blocks]
    # A bridge between the grievances and the appreciative discovery.
    assert kinds.index("unsaid") < kinds.index("bridge") < kinds.index("discovery")


@pytest.mark.parametrize("slug", ["tres-horas", "cuatro-horas"])
def test_no_stretch_of_a_template_runs_longer_than_ninety_minutes_without_a_break(slug):
    since = 0
    for block in method.templates()[slug].blocks:
        since = 0 if block.kind == "break" else since + block.minutes
        assert since <= MAX_MINUTES_WITHOUT_BREAK, block.title


@pytest.mark.parametrize("slug", ["tres-horas", "cuatro-horas"])
def test_every_template_block_has_deliberately_chosen_questions_that_fit_its_screen(slug):
    bank = {row["key"]: row for row in BANK}
    for block in method.templates()[slug].blocks:
        if KINDS[block.kind]["needs_question"]:
            assert block.questions, block.title
        for key in block.questions:
            question = bank[key]
            assert question["phase"] == block.kind, (block.title, key)
            assert question["areas"] == [], (block.title, key)
            if block.kind in {"checkin", "checkout"}:
                # Those screens offer an emotion and an optional single word, nothing else.
                assert "emoción" in question["text"].lower(), key
                assert "palabra" in question["text"].lower(), key


def test_template_instructions_and_questions_never_hard_code_the_areas():
    for template in method.templates().values():
        for block in template.blocks:
            assert not HARD_CODED_AREAS.search(block.instructions), block.title


def test_no_general_question_hard_codes_areas_and_tokens_only_name_their_own_areas():
    for row in BANK:
        if not row["areas"]:
            assert not HARD_CODED_AREAS.search(row["text"]), row["key"]
            assert "{" not in row["text"], row["key"]
        else:
            tokens = set(method.AREA_TOKEN.findall(row["text"]))
            assert tokens <= set(row["areas"]), row["key"]
            assert not HARD_CODED_AREAS.search(method.AREA_TOKEN.sub("", row["text"])), row["key"]


def test_every_activity_kind_has_a_guide_whose_steps_add_up_to_its_minutes():
    guides = method.guides()
    assert set(guides) == set(KINDS)
    for slug, guide in guides.items():
        assert guide.minutes == KINDS[slug]["default_minutes"], slug
        assert guide.open and guide.close and guide.probes, slug


def test_the_unsaid_guide_walks_writing_reading_dots_and_a_dialogue_by_area():
    titles = " ".join(step.title.lower() for step in method.guides()["unsaid"].steps)
    for word in ("escrib", "leer el muro", "vota", "escuchamos"):
        assert word in titles, word


def test_the_escalation_protocol_covers_the_hard_moments_with_an_action():
    cases = method.escalation()
    assert len(cases) >= 5
    actions = {case.action for case in cases}
    assert {"push_principle", "pause_timer", "hide_card", "call_break"} <= actions


def test_a_template_whose_steps_do_not_add_up_is_refused_naming_the_block():
    data = {
        "templates": [
            {
                "slug": "t",
                "title": "Prueba",
                "minutes": 30,
                "blocks": [
                    {
                        "kind": "opening",
                        "title": "Bienvenida",
                        "minutes": 30,
                        "steps": [{"title": "Hablar", "minutes": 20}],
                    }
                ],
            }
        ]
    }
    with pytest.raises(method.MethodDataError, match="bloque 1 «Bienvenida».*suman 20 min"):
        method.parse_templates(data, KINDS, {})


def test_a_template_naming_a_question_of_another_phase_is_refused():
    key = next(row["key"] for row in BANK if row["phase"] == "dream" and not row["areas"])
    data = {
        "templates": [
            {
                "slug": "t",
                "title": "Prueba",
                "minutes": 10,
                "blocks": [{"kind": "opening", "title": "A", "minutes": 10, "questions": [key]}],
            }
        ]
    }
    with pytest.raises(method.MethodDataError, match="es de la fase «dream»"):
        method.parse_templates(data, KINDS, {row["key"]: row for row in BANK})


def test_a_guide_whose_steps_do_not_add_up_is_refused():
    data = json.loads((DATA_DIR / "guides.json").read_text(encoding="utf-8"))
    data["kinds"]["unsaid"]["steps"][0]["minutes"] += 1
    with pytest.raises(method.MethodDataError, match="«unsaid»"):
        method.parse_guides(data, {slug: row["default_minutes"] for slug, row in KINDS.items()})


@pytest.mark.parametrize("minutes", [1, 3, 5, 17, 35, 60, 90])
def test_scaled_steps_add_up_to_the_new_duration_in_proportion(minutes):
    steps = [s.as_dict() for s in method.guides()["unsaid"].steps]
    scaled = method.scale_steps(steps, minutes)
    assert sum(step["minutes"] for step in scaled) == minutes
    assert min(step["minutes"] for step in scaled) >= 1
    if minutes >= len(steps):
        assert [step["title"] for step in scaled] == [step["title"] for step in steps]
        longest = max(range(len(steps)), key=lambda i: steps[i]["minutes"])
        assert scaled[longest]["minutes"] == max(step["minutes"] for step in scaled)


def test_scaling_to_the_same_duration_keeps_the_steps():
    steps = [{"title": "A", "minutes": 3}, {"title": "B", "minutes": 7}]
    assert method.scale_steps(steps, 10) == steps
    assert method.scale_steps([], 10) == []


def test_area_tokens_read_as_the_organisations_own_names():
    text = "{logistica}: ¿qué necesitan saber de {ventas}?"
    assert (
        method.render_areas(text, {"ventas": "Comercial"})
        == "Logística: ¿qué necesitan saber de Comercial?"
    )


def test_a_block_shorter_than_its_steps_keeps_its_longest_steps_a_minute_each():
    steps = [s.as_dict() for s in method.guides()["unsaid"].steps]
    scaled = method.scale_steps(steps, 4)
    assert [step["minutes"] for step in scaled] == [1, 1, 1, 1]
    longest = sorted(steps, key=lambda s: -s["minutes"])[:4]
    assert {s["title"] for s in scaled} == {s["title"] for s in longest}
    # In the guide's order.
    order = [s["title"] for s in steps]
    assert [s["title"] for s in scaled] == sorted((s["title"] for s in scaled), key=order.index)


def test_shortening_and_lengthening_again_gives_the_guides_plan_back():
    guide = [s.as_dict() for s in method.guides()["unsaid"].steps]
    short = method.rescale_block_steps("unsaid", guide, 8)
    assert sum(s["minutes"] for s in short) == 8
    assert method.rescale_block_steps("unsaid", short, 35) == guide
    edited = [{"title": "Escribir", "minutes": 10}, {"title": "Conversar", "minutes": 25}]
    assert method.rescale_block_steps("unsaid", edited, 70) == [
        {"title": "Escribir", "minutes": 20},
        {"title": "Conversar", "minutes": 50},
    ]
