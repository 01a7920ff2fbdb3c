"""Which cards of a wall say the same thing: Puente's theme suggestions.

Computed on the server, with no external service. A card's text is normalised (case, stop
words, Spanish stemming with Snowball, accents) into a set of stems; two cards are compared
by the cosine of their stems weighted (damped) by how rare each stem is on this wall (a
stem every card shares says little). The thresholds are pinned by
tests/facilitation/test_similarity.py: on its corpus, cards that say the same thing score
0.41 or more, different ones 0.30 or less. Cards are grouped greedily from the most similar
pair down, and two groups merge only if every card of one is at least loosely similar to
every card of the other, so a chain of slightly related cards never becomes one theme.

The work is bounded: a stem on more than half the wall (or in more than MAX_POSTING cards)
does not make two cards candidates, and at most MAX_PAIRS pairs are compared, so 500 cards
cost a fraction of a second.
"""

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

import snowballstemmer

# Two cards are suggested together from this similarity on ...
PAIR_THRESHOLD = 0.38
# ... and two groups merge only if no cross pair is below this one.
LINK_THRESHOLD = 0.2
MAX_POSTING = 60
MAX_PAIRS = 40_000
NAME_CHARS = 60
MIN_TOKEN = 3

# Spanish function words and the most common verbs' forms (after the Snowball project's
# Spanish stop list), compared without accents.
STOP_WORDS = frozenset(
    """
    a al algo algun alguna algunas alguno algunos ante antes aqui asi aun aunque bajo bien
    cada casi como con contra cual cuales cuando cuanto de del desde donde dos el ella ellas
    ello ellos en entre era eramos eran eres es esa esas ese eso esos esta estaba estaban
    estamos estan estar estas este esto estos estoy fue fueron fui gran ha habia habian han
    hasta hay hace hacen hacer hacemos hago la las le les lo los mas me mi mis mismo mucho
    muchos muy nada ni no nos nosotros nuestra nuestras nuestro nuestros o os otra otras otro
    otros para pero poco por porque puede pueden que quien quienes se sea sean ser si sido
    siempre sin sobre somos son su sus tambien tan tanto te tenemos tener tengo tiene tienen
    toda todas todo todos tu tus un una unas uno unos usted ustedes va van vez y ya yo
    cuando veces sea esta estan nunca solo tener tenia tenian
    """.split()
)

_WORD = re.compile(r"[^\W\d_]+")


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("spanish")


def _plain(word: str) -> str:
    """Without accents (ñ too: people type «ano» and «año» alike on a phone)."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", word) if unicodedata.category(c) != "Mn"
    )


def normalise(text: str) -> frozenset[str]:
    """The stems a card's text says: lower case, no stop words, stemmed, no accents."""
    words = [w for w in _WORD.findall(text.lower()) if len(w) >= MIN_TOKEN]
    kept = [w for w in words if _plain(w) not in STOP_WORDS]
    return frozenset(_plain(stem) for stem in _stemmer().stemWords(kept) if stem)


@dataclass
class Suggestion:
    card_ids: list[int]
    name: str
    score: float  # the mean similarity of the pairs that made it


@dataclass
class _Group:
    ids: list[int]
    sims: list[float] = field(default_factory=list)


def _weights(stems: dict[int, frozenset[str]]) -> dict[str, float]:
    documents = defaultdict(int)
    for bag in stems.values():
        for stem in bag:
            documents[stem] += 1
    n = len(stems)
    # A damped inverse document frequency: rare stems count more, but on a short wall one
    # word only one card uses does not outweigh three words two cards share.
    return {stem: 1 + 0.5 * math.log(n / df) for stem, df in documents.items()}


def _norms(stems: dict[int, frozenset[str]], weight: dict[str, float]) -> dict[int, float]:
    return {pk: math.sqrt(sum(weight[s] ** 2 for s in bag)) or 1.0 for pk, bag in stems.items()}


def similarity(a: str, b: str, *, wall: list[str] | None = None) -> float:
    """How alike two texts are (0 to 1), weighted as on `wall` (the two texts alone if
    None). Exposed for tests and for pinning the threshold."""
    texts = wall if wall is not None else [a, b]
    stems = {i: normalise(t) for i, t in enumerate(texts)}
    weight = _weights(stems)
    sa, sb = normalise(a), normalise(b)
    for s in sa | sb:
        weight.setdefault(s, 1 + 0.5 * math.log(len(texts) + 1))
    return _cosine(sa, sb, weight)


def _cosine(a: frozenset[str], b: frozenset[str], weight: dict[str, float]) -> float:
    shared = a & b
    if not shared:
        return 0.0
    top = sum(weight[s] ** 2 for s in shared)
    na = math.sqrt(sum(weight[s] ** 2 for s in a))
    nb = math.sqrt(sum(weight[s] ** 2 for s in b))
    return top / (na * nb) if na and nb else 0.0


def _sim(sims: dict[tuple[int, int], float], a: int, b: int) -> float:
    return sims.get((min(a, b), max(a, b)), 0.0)


def suggest(
    cards: list[tuple[int, str]],
    *,
    pair_threshold: float = PAIR_THRESHOLD,
    link_threshold: float = LINK_THRESHOLD,
    rejected: list[frozenset[int]] | None = None,
) -> list[Suggestion]:
    """Groups of at least two cards that say the same thing, most alike first. A group
    equal to (or inside) a rejected suggestion is not offered again."""
    text_of = dict(cards)
    stems = {pk: normalise(text) for pk, text in cards}
    stems = {pk: bag for pk, bag in stems.items() if bag}
    weight = _weights(stems)
    limit = min(MAX_POSTING, max(3, len(stems) // 2))
    postings: dict[str, list[int]] = defaultdict(list)
    for pk in sorted(stems):
        for stem in stems[pk]:
            postings[stem].append(pk)

    sims: dict[tuple[int, int], float] = {}
    for stem in sorted(postings, key=lambda s: len(postings[s])):
        ids = postings[stem]
        if len(ids) > limit:
            continue
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if (a, b) in sims:
                    continue
                if len(sims) >= MAX_PAIRS:
                    break
                sims[(a, b)] = _cosine(stems[a], stems[b], weight)

    group_of: dict[int, _Group] = {pk: _Group([pk]) for pk in stems}
    for (a, b), sim in sorted(sims.items(), key=lambda item: (-item[1], item[0])):
        if sim < pair_threshold:
            break
        ga, gb = group_of[a], group_of[b]
        if ga is gb:
            continue
        if any(
            sims.get((min(x, y), max(x, y)), 0.0) < link_threshold for x in ga.ids for y in gb.ids
        ):
            continue
        merged = _Group(sorted(ga.ids + gb.ids), ga.sims + gb.sims + [sim])
        for pk in merged.ids:
            group_of[pk] = merged

    seen: set[int] = set()
    result = []
    refused = rejected or []
    for group in group_of.values():
        if id(group) in seen or len(group.ids) < 2:
            continue
        seen.add(id(group))
        members = frozenset(group.ids)
        if any(members <= no for no in refused):
            continue
        result.append(
            Suggestion(
                card_ids=group.ids,
                name=_name(group.ids, stems, sims, text_of),
                score=round(sum(group.sims) / len(group.sims), 3),
            )
        )
    return sorted(result, key=lambda s: (-s.score, s.card_ids))


def _name(
    ids: list[int],
    stems: dict[int, frozenset[str]],
    sims: dict[tuple[int, int], float],
    text_of: dict[int, str],
) -> str:
    """The text of the card most like the others (a name the facilitator edits), cut at a
    word within NAME_CHARS."""

    def closeness(pk: int) -> float:
        return sum(_sim(sims, pk, other) for other in ids if other != pk)

    central = max(ids, key=lambda pk: (closeness(pk), -len(text_of[pk]), -pk))
    return short_name(text_of[central])


def short_name(text: str) -> str:
    """A card's text as a theme's first name: one line, cut at a word within NAME_CHARS."""
    text = " ".join(text.split())
    if len(text) <= NAME_CHARS:
        return text.rstrip(".")
    cut = text[: NAME_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"
