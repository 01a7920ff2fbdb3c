"""The method's content that ships with the code: the facilitator's guide for each activity
kind, the escalation protocol and the session templates (workshops/data/guides.json and
templates.json). Read once per process and validated on reading: a template whose blocks'
steps do not add up to their minutes is refused with a message that names the block.

Pure reads and arithmetic; the writes that copy a template into a session are in services.
"""

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from workshops.agenda import MAX_MINUTES_WITHOUT_BREAK

DATA_DIR = Path(__file__).resolve().parent / "data"
BREAK_KIND = "break"
PRINCIPLES_KIND = "principles"
DIAGNOSIS_KIND = "diagnosis"
# The diagnosis map needs this many answers: fewer would show what one person marked.
MIN_DIAGNOSES = 3
ESCALATION_ACTIONS = frozenset({"push_principle", "pause_timer", "hide_card", "call_break", "none"})
# A question written for one area names it as {slug}; the session renders its own name.
AREA_TOKEN = re.compile(r"\{([a-z0-9-]+)\}")


class MethodDataError(ValueError):
    """The shipped method data is inconsistent; the message names what is wrong (Spanish,
    for whoever edits the data files)."""


@dataclass(frozen=True)
class Step:
    title: str
    minutes: int

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "minutes": self.minutes}


@dataclass(frozen=True)
class KindGuide:
    open: str
    close: str
    steps: tuple[Step, ...]
    materials: tuple[str, ...]
    harvest: str
    watch_for: tuple[str, ...]
    probes: tuple[str, ...]

    @property
    def minutes(self) -> int:
        return sum(step.minutes for step in self.steps)

    @property
    def script(self) -> str:
        """The opening and closing words, as prefilled into a block's notes."""
        return f"Para abrir: {self.open}\n\nPara cerrar: {self.close}"


@dataclass(frozen=True)
class EscalationCase:
    slug: str
    situation: str
    signs: str
    say: str
    action: str
    principle: str
    then: str


@dataclass(frozen=True)
class TemplateBlock:
    kind: str
    title: str
    minutes: int
    instructions: str
    questions: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    grouping: str = ""
    dots: int | None = None


@dataclass(frozen=True)
class Template:
    slug: str
    title: str
    description: str
    minutes: int
    recommended: bool
    blocks: tuple[TemplateBlock, ...] = field(default_factory=tuple)


def _steps(rows: list[dict[str, Any]]) -> tuple[Step, ...]:
    return tuple(Step(str(row["title"]), int(row["minutes"])) for row in rows)


def _read(name: str) -> Any:  # noqa: ANN401 - JSON
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def guides() -> dict[str, KindGuide]:
    """Each activity kind's guide, keyed by kind slug. Each kind's steps add up to the kind's
    default minutes in method.json (checked here)."""
    defaults = {
        row["slug"]: row["default_minutes"] for row in _read("method.json")["activity_kinds"]
    }
    return parse_guides(_read("guides.json"), defaults)


def parse_guides(data: dict[str, Any], default_minutes: dict[str, int]) -> dict[str, KindGuide]:
    result: dict[str, KindGuide] = {}
    for slug, minutes in default_minutes.items():
        row = data["kinds"].get(slug)
        if row is None:
            raise MethodDataError(f"La actividad «{slug}» no tiene guía en guides.json.")
        guide = KindGuide(
            open=row["open"],
            close=row["close"],
            steps=_steps(row["steps"]),
            materials=tuple(row.get("materials", ())),
            harvest=row.get("harvest", ""),
            watch_for=tuple(row.get("watch_for", ())),
            probes=tuple(row.get("probes", ())),
        )
        if guide.minutes != minutes or any(step.minutes < 1 for step in guide.steps):
            raise MethodDataError(
                f"La guía de «{slug}»: los pasos suman {guide.minutes} min y la actividad dura "
                f"{minutes} min por defecto."
            )
        result[slug] = guide
    return result


@cache
def escalation() -> tuple[EscalationCase, ...]:
    principles = {row["slug"] for row in _read("method.json")["principles"]}
    return parse_escalation(_read("guides.json")["escalation"], principles)


def parse_escalation(
    rows: list[dict[str, Any]], principles: set[str]
) -> tuple[EscalationCase, ...]:
    cases = []
    for row in rows:
        case = EscalationCase(
            slug=row["slug"],
            situation=row["situation"],
            signs=row.get("signs", ""),
            say=row["say"],
            action=row["action"],
            principle=row.get("principle", ""),
            then=row.get("then", ""),
        )
        if case.action not in ESCALATION_ACTIONS:
            raise MethodDataError(f"Protocolo «{case.slug}»: acción desconocida «{case.action}».")
        if (case.action == "push_principle") != bool(case.principle) or (
            case.principle and case.principle not in principles
        ):
            raise MethodDataError(f"Protocolo «{case.slug}»: el principio no corresponde.")
        cases.append(case)
    return tuple(cases)


@dataclass(frozen=True)
class Symptom:
    slug: str
    text: str
    short: str


@cache
def symptoms() -> tuple[Symptom, ...]:
    """The nine situations the method's first document opens with, in its order."""
    return tuple(
        Symptom(row["slug"], row["text"], row["short"]) for row in _read("method.json")["symptoms"]
    )


@cache
def diagnosis_scale() -> tuple[str, ...]:
    """The diagnosis's levels, from 0 («No pasa») up."""
    return tuple(_read("method.json")["diagnosis_scale"])


@cache
def templates() -> dict[str, Template]:
    """The session templates, keyed by slug, in the file's order; validated on reading."""
    method = _read("method.json")
    kinds = {row["slug"]: row for row in method["activity_kinds"]}
    bank = {row["key"]: row for row in _read("question_bank.json")}
    return parse_templates(_read("templates.json"), kinds, bank)


def parse_templates(
    data: dict[str, Any], kinds: dict[str, dict[str, Any]], bank: dict[str, dict[str, Any]]
) -> dict[str, Template]:
    result: dict[str, Template] = {}
    for row in data["templates"]:
        blocks = tuple(
            TemplateBlock(
                kind=b["kind"],
                title=b["title"],
                minutes=int(b["minutes"]),
                instructions=b.get("instructions", ""),
                questions=tuple(b.get("questions", ())),
                steps=_steps(b.get("steps", [])),
                grouping=b.get("grouping", ""),
                dots=b.get("dots"),
            )
            for b in row["blocks"]
        )
        template = Template(
            slug=row["slug"],
            title=row["title"],
            description=row.get("description", ""),
            minutes=int(row["minutes"]),
            recommended=bool(row.get("recommended", False)),
            blocks=blocks,
        )
        _check_template(template, kinds, bank)
        result[template.slug] = template
    return result


def _check_template(
    template: Template, kinds: dict[str, dict[str, Any]], bank: dict[str, dict[str, Any]]
) -> None:
    total = sum(block.minutes for block in template.blocks)
    if total != template.minutes:
        raise MethodDataError(
            f"Plantilla «{template.title}»: los bloques suman {total} min y la plantilla dice "
            f"{template.minutes}."
        )
    since_break = 0
    for number, block in enumerate(template.blocks, start=1):
        where = f"Plantilla «{template.title}», bloque {number} «{block.title}»"
        kind = kinds.get(block.kind)
        if kind is None:
            raise MethodDataError(f"{where}: la actividad «{block.kind}» no existe.")
        if block.minutes < 1:
            raise MethodDataError(f"{where}: la duración debe ser de al menos 1 minuto.")
        if block.steps:
            steps_total = sum(step.minutes for step in block.steps)
            if steps_total != block.minutes or any(step.minutes < 1 for step in block.steps):
                raise MethodDataError(
                    f"{where}: los pasos suman {steps_total} min y el bloque dura "
                    f"{block.minutes} min."
                )
        since_break = 0 if block.kind == BREAK_KIND else since_break + block.minutes
        if since_break > MAX_MINUTES_WITHOUT_BREAK:
            raise MethodDataError(
                f"{where}: pasan {since_break} minutos sin pausa (máximo "
                f"{MAX_MINUTES_WITHOUT_BREAK})."
            )
        if kind.get("needs_question") and not block.questions:
            raise MethodDataError(f"{where}: la actividad necesita al menos una pregunta.")
        for key in block.questions:
            question = bank.get(key)
            if question is None:
                raise MethodDataError(f"{where}: la pregunta «{key}» no está en el banco.")
            if question["areas"]:
                raise MethodDataError(
                    f"{where}: la pregunta «{key}» es para áreas concretas; una plantilla usa "
                    "preguntas para todas las áreas."
                )
            if question["phase"] != block.kind:
                raise MethodDataError(
                    f"{where}: la pregunta «{key}» es de la fase «{question['phase']}»."
                )
    used = [key for block in template.blocks for key in block.questions]
    if len(used) != len(set(used)):
        raise MethodDataError(f"Plantilla «{template.title}»: una pregunta se repite.")


def scale_steps(steps: list[dict[str, Any]], minutes: int) -> list[dict[str, Any]]:
    """The same steps in the same proportions, adding up to `minutes` (largest remainder),
    each of at least one minute. A block shorter than its number of steps keeps its
    longest steps, a minute each, in their order."""
    if not steps or minutes < 1:
        return []
    if sum(int(step["minutes"]) for step in steps) == minutes:
        return [{"title": step["title"], "minutes": int(step["minutes"])} for step in steps]
    if minutes < len(steps):
        longest = sorted(range(len(steps)), key=lambda i: (-int(steps[i]["minutes"]), i))
        kept = sorted(longest[:minutes])
        return [{"title": steps[i]["title"], "minutes": 1} for i in kept]
    spare = minutes - len(steps)
    weights = [max(int(step["minutes"]) - 1, 0) for step in steps]
    if not sum(weights):
        weights = [1] * len(steps)
    weight_total = sum(weights)
    shares = [spare * weight / weight_total for weight in weights]
    allotted = [int(share) for share in shares]
    by_remainder = sorted(
        range(len(steps)), key=lambda i: (shares[i] - allotted[i], -i), reverse=True
    )
    for i in by_remainder[: spare - sum(allotted)]:
        allotted[i] += 1
    return [
        {"title": step["title"], "minutes": 1 + extra}
        for step, extra in zip(steps, allotted, strict=True)
    ]


def rescale_block_steps(kind_slug: str, steps: list[dict[str, Any]], minutes: int) -> list[dict]:
    """A block's steps for a new duration. Steps still as the kind's guide wrote them (some
    perhaps dropped by an earlier, shorter duration) scale from the guide, so shortening and
    lengthening again gives the guide's plan back; steps the facilitator wrote scale as
    they are."""
    guide = guides().get(kind_slug)
    if guide is not None:
        titles = [step.title for step in guide.steps]
        stored = [step["title"] for step in steps]
        remaining = iter(titles)
        if stored and all(title in remaining for title in stored):
            return scale_steps([step.as_dict() for step in guide.steps], minutes)
    return scale_steps(steps, minutes)


def render_areas(text: str, names: dict[str, str]) -> str:
    """Replace {slug} tokens with the organisation's name for that area (or the slug's own
    capitalised form when the organisation has no such area)."""
    fallback = {"compras": "Compras", "ventas": "Ventas", "logistica": "Logística"}
    return AREA_TOKEN.sub(
        lambda m: names.get(m.group(1)) or fallback.get(m.group(1), m.group(1).capitalize()),
        text,
    )
