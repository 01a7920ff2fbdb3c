"""Theme suggestions: the Spanish normalisation and the grouping's quality, pinned on a small
corpus of near-duplicates and distinct cards as a room writes them."""

import random

import pytest

from facilitation import similarity
from facilitation.similarity import normalise, suggest

# What a room of Compras, Ventas and Logística writes about the same few problems, said in
# different words, beside cards that say something else.
CORPUS = [
    "Los pedidos llegan tarde porque Ventas promete fechas que Logística no puede cumplir",  # 0
    "Ventas promete fechas de entrega imposibles para logística",  # 1
    "Prometemos al cliente fechas de entrega que no se pueden cumplir",  # 2
    "Compras no avisa cuando un proveedor se retrasa",  # 3
    "Nadie nos avisa de los retrasos de los proveedores",  # 4
    "Cuando el proveedor se demora, compras no le avisa a nadie",  # 5
    "Nos gustaría tener una reunión semanal entre las tres áreas",  # 6
    "Propongo una reunión semanal de coordinación entre áreas",  # 7
    "El sistema de inventario no está actualizado",  # 8
    "Me siento escuchado cuando me preguntan antes de decidir",  # 9
    "Los pedidos urgentes llegan sin aviso y por WhatsApp",  # 10
    "El inventario del sistema nunca coincide con la bodega",  # 11
    "Quisiera que celebráramos los logros juntos",  # 12
    "Falta capacitación en el nuevo software de facturación",  # 13
]
EXPECTED = [[0, 1, 2], [3, 4, 5], [6, 7], [8, 11]]


def test_normalising_ignores_case_accents_stop_words_and_endings():
    assert normalise("LOGÍSTICA promete Fechas") == normalise("logistica prometemos fecha")
    assert normalise("Los retrasos de los proveedores") == normalise("proveedor retrasa")
    # Stop words and short words say nothing.
    assert normalise("de la que y en el por") == frozenset()
    assert normalise("¿¡Qué!? 123 ...") == frozenset()


def test_the_corpus_groups_exactly_the_near_duplicates():
    found = suggest(list(enumerate(CORPUS)))
    assert sorted(s.card_ids for s in found) == EXPECTED
    # Most alike first, each named after one of its own cards.
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    for s in found:
        assert any(CORPUS[pk].startswith(s.name.rstrip("…")) for pk in s.card_ids)


def test_distinct_cards_are_never_suggested_together():
    distinct = [CORPUS[i] for i in (0, 3, 6, 8, 9, 12, 13)]
    assert suggest(list(enumerate(distinct))) == []


def test_similarity_is_symmetric_and_bounded():
    for a, b in [(0, 1), (3, 5), (9, 12)]:
        forward = similarity.similarity(CORPUS[a], CORPUS[b], wall=CORPUS)
        assert forward == pytest.approx(similarity.similarity(CORPUS[b], CORPUS[a], wall=CORPUS))
        assert 0.0 <= forward <= 1.0
    assert similarity.similarity(CORPUS[3], CORPUS[4], wall=CORPUS) >= similarity.PAIR_THRESHOLD
    assert similarity.similarity(CORPUS[9], CORPUS[12], wall=CORPUS) == 0.0


def test_a_chain_of_loosely_related_cards_is_not_one_theme():
    # a~b and b~c, but a and c share nothing: complete linkage keeps them apart.
    chain = [
        "Entregas tarde por falta de camiones",
        "Falta de camiones y de conductores",
        "Conductores sin capacitación en seguridad",
    ]
    groups = suggest(list(enumerate(chain)), pair_threshold=0.3)
    assert all(not {0, 2} <= set(g.card_ids) for g in groups)


def test_a_rejected_suggestion_is_not_offered_again():
    first = suggest(list(enumerate(CORPUS)))
    rejected = [frozenset(first[0].card_ids)]
    again = suggest(list(enumerate(CORPUS)), rejected=rejected)
    assert first[0].card_ids not in [s.card_ids for s in again]
    assert len(again) == len(first) - 1


def test_names_are_cut_at_a_word():
    name = similarity.short_name("palabra " * 20)
    assert len(name) <= similarity.NAME_CHARS and name.endswith("…")
    assert not name[:-1].endswith(" ")


def test_five_hundred_cards_compare_a_bounded_number_of_pairs(monkeypatch):
    """The worst case of a real wall: many cards sharing a few rare words. The work is capped
    by MAX_PAIRS comparisons whatever the wall (the time is measured by `make bench`)."""
    rng = random.Random(7)
    words = [f"palabra{chr(97 + i)}{chr(97 + j)}" for i in range(26) for j in range(3)]
    cards = [(n, " ".join(rng.sample(words, 6))) for n in range(500)]
    calls = 0
    real = similarity._cosine

    def counting(*args):
        nonlocal calls
        calls += 1
        return real(*args)

    monkeypatch.setattr(similarity, "_cosine", counting)
    suggest(cards)
    assert 0 < calls <= similarity.MAX_PAIRS
