"""The access rules, tested against every URL of the URLconf for a member of two
organisations (issue 14).

Vale, a consultant, is an active facilitator and manager of two organisations, A and B, and
no member of a third, C. The same world (areas, members, an invitation, an own question, a
session with blocks, a question and a checklist, a live session with people, contributions,
a theme, a ground rule and an agreement with owners, a logo) is built in all three by one
factory, so every object of B has a twin in A and in C (same kind, same place in the
factory's order).

The URLconf is walked (django.urls.get_resolver(), through every include), so a URL added
tomorrow is covered without editing this file. For each pattern with ids in its address, the
test finds which of B's objects the ids name (trying B's objects, narrowed by the kwarg's
name, as Vale with B active, until one answers something else than 404/405), and then, with
A active:

0. the A twin answers (the address works: the 404s below are about the organisation);
1. the C twin answers 404 to GET and POST, writes nothing and sends no email: «not yours»
   and «does not exist» answer alike, for a non-member;
2. a GET of B's object opens it, makes B the active organisation and says so on a page
   (id="organisation-switched"); an export just succeeds (and switches too);
3. a POST to B's object answers 404 and changes nothing: a form sent from a page of another
   organisation never acts there (workshops/access.py);
4. an anonymous visitor gets the login page or a 404/405, never the object, and changes
   nothing.

A pattern whose ids cannot be found fails the test with its name, unless it is in
UNDISCOVERABLE with the reason. Every request runs in a savepoint that is rolled back, so
the worlds stay as built from the first URL to the last.

What a POST carries: the ids a view reads from its form (participant, contribution, theme…)
are those of the same world as the address (PROBE_BODY), so a view that leaked the object of
its address would also find the rest and act, and be caught by the fingerprint.

CSRF: Django's test Client does not enforce it (enforce_csrf_checks=False), so a POST here
reaches the access rules themselves; a 403 would be the CSRF middleware, not the rule under
test, and is treated as a failure. A 405 (the method is not the view's) is accepted for the
method the view does not take: require_GET/require_POST answer it before any object is read.
"""

import datetime
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern
from PIL import Image

from agreements import services as agreement_services
from agreements.models import Agreement, Owner
from facilitation import services as live_services
from facilitation import themes
from facilitation.access import facilitator_live_for_user
from facilitation.models import (
    Contribution,
    GroundRule,
    LiveSession,
    Participant,
    ThemeSuggestion,
)
from facilitation.models import Theme as CardTheme
from workshops import invitations
from workshops.access import ACTIVE_ORGANISATION_KEY
from workshops.face import organisation_logo_set
from workshops.models import (
    ActivityKind,
    Area,
    Block,
    BlockQuestion,
    ChecklistItem,
    Invitation,
    Membership,
    Organisation,
    Question,
    Workshop,
)
from workshops.services import (
    block_question_write,
    checklist_item_add,
    member_create,
    organisation_create,
    question_create,
    workshop_create,
    workshop_set_status,
)

pytestmark = pytest.mark.django_db

PASSWORD = "una-clave-larga-2026"
SWITCHED = 'id="organisation-switched"'

# --- the world ------------------------------------------------------------------------------

# Every kind of object an address may name, as the queryset of one organisation's objects.
# Their order (by pk) is the factory's, so index n of a kind is the same object in every world.
KINDS: dict[str, Callable[[Organisation], Any]] = {
    "organisation": lambda o: Organisation.objects.filter(pk=o.pk),
    "area": lambda o: Area.objects.filter(organisation=o),
    "membership": lambda o: Membership.objects.filter(organisation=o),
    "invitation": lambda o: Invitation.objects.filter(organisation=o),
    "question": lambda o: Question.objects.filter(organisation=o),
    "workshop": lambda o: Workshop.objects.filter(organisation=o),
    "block": lambda o: Block.objects.filter(workshop__organisation=o),
    "block_question": lambda o: BlockQuestion.objects.filter(block__workshop__organisation=o),
    "checklist_item": lambda o: ChecklistItem.objects.filter(workshop__organisation=o),
    "live": lambda o: LiveSession.objects.filter(workshop__organisation=o),
    "participant": lambda o: Participant.objects.filter(live__workshop__organisation=o),
    "contribution": lambda o: Contribution.objects.filter(live__workshop__organisation=o),
    "theme": lambda o: CardTheme.objects.filter(live__workshop__organisation=o),
    "theme_suggestion": lambda o: ThemeSuggestion.objects.filter(live__workshop__organisation=o),
    "ground_rule": lambda o: GroundRule.objects.filter(live__workshop__organisation=o),
    "agreement": lambda o: Agreement.objects.filter(organisation=o),
    "owner": lambda o: Owner.objects.filter(agreement__organisation=o),
}
# Values an address carries that are not a row's pk: (kind, its values in one organisation).
VALUE_KINDS: dict[str, Callable[[Organisation], list[int]]] = {
    "logo_version": lambda o: [Organisation.objects.get(pk=o.pk).logo_version],
}


@dataclass
class World:
    organisation: Organisation
    lead: Membership
    marker: str  # a title only this world's pages show
    ids: dict[str, list[int]] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)  # see probe_body

    def twin(self, kind: str, index: int) -> int:
        return self.ids[kind][index]


def _logo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGBA", (300, 100), (11, 92, 173, 160)).save(out, format="PNG")
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


def build_world(name: str, slug: str, lead_user: Any) -> World:
    """One organisation's world. Called for A, B and C with the same steps, in the same
    order: object n of a kind in one world is the twin of object n in another."""
    organisation = organisation_create(name=name, time_zone="America/Bogota")
    lead = Membership.objects.create(
        user=lead_user, organisation=organisation, is_facilitator=True, is_manager=True
    )
    member_create(
        organisation=organisation,
        username=f"{slug}-segundo",
        password=PASSWORD,
        first_name="Segundo",
        is_facilitator=True,
    )
    invitations.invite(
        organisation=organisation,
        email=f"nueva@{slug}.example.com",
        is_facilitator=True,
        is_manager=False,
        invited_by=lead_user,
    )
    organisation_logo_set(organisation=organisation, upload=_logo())
    areas = {area.slug: area for area in organisation.areas.all()}
    question_create(
        organisation=organisation,
        created_by=lead_user,
        text=f"¿Qué necesita {name} de las otras áreas para cumplir?",
        phase=ActivityKind.objects.filter(needs_question=True).order_by("position").first(),
        area_slugs=[],
        principles=[],
    )
    marker = f"Sesión reservada de {name}"

    def workshop(title: str) -> Workshop:
        return workshop_create(
            organisation=organisation,
            facilitator=lead_user,
            title=title,
            purpose="Probar quién ve qué",
            date=datetime.date(2026, 12, 1),
            start_time=datetime.time(8, 0),
            invited={area: 4 for area in areas.values()},
            template="tres-horas",
        )

    draft = workshop(f"Borrador de {name}")
    checklist_item_add(workshop=draft, text="Reservar la sala")
    block_question_write(
        block=draft.blocks.filter(kind__needs_question=True).order_by("position").first(),
        text="¿Dónde se nos pierden los pedidos entre áreas?",
        created_by=lead_user,
    )
    ready = workshop_set_status(workshop=workshop(marker), status=Workshop.Status.READY)
    live = live_services.live_start(workshop=ready)
    people = [
        live_services.participant_commit(
            participant=live_services.participant_join(live=live, name=person, area=areas[area])
        )
        for person, area in (("Ana", "compras"), ("Beto", "ventas"), ("Caro", "logistica"))
    ]
    _goto(live, "principles")
    live_services.ground_rule_propose(
        participant=people[0], key="regla-1", text="Hablar de procesos, no de personas"
    )
    # The first wall of the agenda: the one the board's address is found with.
    wall = ready.blocks.filter(allows_contributions=True).order_by("position").first()
    live_services.live_goto_block(live=live, block=wall)
    live_services.contributions_set_open(live=live, open=True)
    cards = [
        live_services.contribution_submit(
            participant=people[n % 3], key=f"k{n}", text=text, block_id=wall.pk
        )[0]
        for n, text in enumerate(
            (
                "Ventas promete fechas de entrega imposibles para logística",
                "Prometemos al cliente fechas de entrega que no se pueden cumplir",
                "Compras no avisa cuando un proveedor se retrasa",
                "Nadie nos avisa de los retrasos de los proveedores",
            )
        )
    ]
    live_services.contributions_reveal(live=live, block=wall)
    themes.theme_create(
        live=live, block=wall, card_ids=[cards[0].pk, cards[1].pk], name="Fechas de entrega"
    )
    themes.themes_suggest(live=live, block=wall)
    agreement = agreement_services.agreement_draft(
        live=live,
        text="Reunión diaria de 15 minutos entre Compras y Ventas",
        due_date=ready.date + datetime.timedelta(days=30),
        areas=[areas["compras"], areas["ventas"]],
        owners=[
            agreement_services.OwnerInput(name="", area=areas["compras"], participant=people[0]),
            agreement_services.OwnerInput(
                name="Diego Ruiz", area=areas["ventas"], email=f"diego@{slug}.example.com"
            ),
        ],
        sources=[cards[2]],
    )
    agreement_services.agreement_ask_consent(agreement=agreement)
    agreement_services.agreement_record(agreement=agreement, outcome="agreed", actor=lead_user)

    world = World(organisation=organisation, lead=lead, marker=marker)
    for kind, queryset in KINDS.items():
        world.ids[kind] = list(queryset(organisation).order_by("pk").values_list("pk", flat=True))
    for kind, values in VALUE_KINDS.items():
        world.ids[kind] = values(organisation)
    world.body = probe_body(world)
    return world


def _goto(live: LiveSession, slug: str) -> Block:
    block = live.workshop.blocks.filter(kind__slug=slug).order_by("position").first()
    live_services.live_goto_block(live=live, block=block)
    return block


@dataclass
class Worlds:
    a: World
    b: World
    c: World
    vale: Any  # the user


@pytest.fixture
def worlds(library, settings) -> Worlds:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user_model = get_user_model()
    vale = user_model.objects.create_user(username="vale", password=PASSWORD, first_name="Vale")
    carla = user_model.objects.create_user(username="carla", password=PASSWORD)
    result = Worlds(
        a=build_world("Aceros del Valle", "aceros", vale),
        b=build_world("Textiles del Norte", "textiles", vale),
        c=build_world("Lácteos del Sur", "lacteos", carla),
        vale=vale,
    )
    for kind in result.a.ids:
        counts = {len(w.ids[kind]) for w in (result.a, result.b, result.c)}
        assert len(counts) == 1 and counts != {0}, f"the factory is not symmetric for {kind}"
    return result


def probe_body(world: World) -> dict[str, Any]:
    """What a POST carries: the ids views read from their forms, all of the world the
    address names (see the module's docstring), and a harmless text for the rest."""
    ids = world.ids
    live_block = Block.objects.filter(
        workshop__live__pk=ids["live"][0], allows_contributions=True
    ).order_by("position")
    return {
        "participant": ids["participant"][0],
        "contribution": ids["contribution"][2],
        "card": ids["contribution"][2],
        "onto": ids["contribution"][3],
        "cards": [ids["contribution"][2], ids["contribution"][3]],
        "source": ids["contribution"][0],
        "theme": ids["theme"][0],
        "suggestion": ids["theme_suggestion"][0],
        "agreement": ids["agreement"][0],
        "rule": ids["ground_rule"][0],
        "block": live_block.values_list("pk", flat=True).first(),
        "owner": [f"{pk}:x" for pk in ids["owner"]],
        "question": ids["question"][0],
        "kind": ActivityKind.objects.order_by("position").values_list("slug", flat=True)[0],
        "name": "Sonda",
        "text": "Una sonda de acceso",
    }


# --- walking the URLconf ----------------------------------------------------------------------

_KWARG = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")


@dataclass
class Route:
    name: str  # "namespace:name", or the pattern itself when it has no name
    pieces: list[Any]  # the patterns from the root to this one
    callback: Callable[..., HttpResponse]
    converters: dict[str, Any]
    kwargs: list[str]

    @property
    def int_kwargs(self) -> list[str]:
        return [k for k in self.kwargs if type(self.converters.get(k)).__name__ == "IntConverter"]

    @property
    def namespace(self) -> str:
        return self.name.split(":")[0] if ":" in self.name else ""

    def url(self, values: dict[str, Any]) -> str | None:
        """The address with these values, or None if it resolves to another pattern."""
        path = "/"
        for piece in self.pieces:
            syntax = _KWARG if isinstance(piece, RoutePattern) else _GROUP
            text = syntax.sub(lambda m: str(values[m["name"]]), str(piece))
            path += text.removeprefix("^").removesuffix("$")
        try:
            match = resolve(path)
        except Resolver404:
            return None
        return path if match.func is self.callback else None


def walk_urlconf() -> list[Route]:
    def walk(resolver: URLResolver, pieces: list, namespace: str, converters: dict) -> Iterator:
        for entry in resolver.url_patterns:
            here = [*pieces, entry.pattern]
            known = {**converters, **entry.pattern.converters}
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace) if n)
                yield from walk(entry, here, inner, known)
            elif isinstance(entry, URLPattern):
                names = [
                    m["name"]
                    for p in here
                    for m in (_KWARG if isinstance(p, RoutePattern) else _GROUP).finditer(str(p))
                ]
                text = "".join(str(p) for p in here)
                label = ":".join(n for n in (namespace, entry.name) if n) if entry.name else text
                yield Route(label, here, entry.callback, known, names)

    return list(walk(get_resolver(), [], "", {}))


# Which kind of object an id of the address names, by the kwarg's name; "pk" by the word of
# the address before it. Anything else is tried against every kind.
KWARG_KINDS = {
    "live_id": ["live"],
    "block_id": ["block"],
    "block_pk": ["block"],
    "agreement_id": ["agreement"],
    "participant_id": ["participant"],
    "owner_pk": ["owner"],
    "item_pk": ["checklist_item"],
    "question_pk": ["block_question", "question"],
    "version": ["logo_version"],
}
PK_KINDS_BY_WORD = {
    "preguntas": ["question"],
    "sesiones": ["workshop"],
    "acuerdos": ["agreement"],
    "areas": ["area"],
    "personas": ["membership"],
    "invitaciones": ["invitation"],
    "organizacion": ["organisation"],
}
# Slugs of an address (the control room's, the board's and the paper page's actions): the
# first ones are tried while looking for the ids; then every one that the view takes is
# tested on its own.
SLUG_FIRST = ["door-open", "suggest", "emotion"]
SLUG_ACTIONS = [
    *SLUG_FIRST,
    # the control room (facilitation/views.py _action)
    "next",
    "previous",
    "timer-start",
    "timer-pause",
    "timer-adjust",
    "contributions-open",
    "contributions-close",
    "voting-open",
    "voting-close",
    "reveal",
    "door-close",
    "tables",
    "close",
    "call-break",
    "goto",
    "push-principle",
    "hide",
    "show-card",
    "show-all",
    "unhide",
    "agreement-consent",
    "agreement-agreed",
    "agreement-dropped",
    "rule-keep",
    "rule-drop",
    "remove",
    # the themes board (facilitation/theme_views.py _run)
    "create",
    "add",
    "move",
    "merge",
    "ungroup-card",
    "rename",
    "dissolve",
    "accept",
    "reject",
    # the paper page (facilitation/paper_views.py ACTIONS)
    "commitment",
    "ground-rule",
    "diagnosis",
    "contribute",
    "dot",
    "dot-remove",
    "consent",
]

# Patterns with ids this test cannot find objects for, each with the reason. Empty: every
# one is found. A new pattern that lands here needs a reason, or a kind in KWARG_KINDS.
UNDISCOVERABLE: dict[str, str] = {}

# Patterns with ids that do not switch the active organisation when they open another of
# one's organisations' objects, and why.
NO_SWITCH = {
    "organisation_logo": (
        "an image embedded by the pages of the organisation it names, served to any active "
        "member of it; loading a picture never changes where a person is working"
    ),
}


# Pages that switch the active organisation without the notice, and why (none: the print
# pages without the site's header, the run sheets, say it in their screen-only toolbar).
NOTICE_MISSING: dict[str, str] = {}


def kinds_for(route: Route, kwarg: str) -> list[str]:
    if kwarg in KWARG_KINDS:
        return KWARG_KINDS[kwarg]
    if kwarg == "pk":
        text = "".join(str(p) for p in route.pieces)
        word = text.split("<int:pk>")[0].rstrip("/").rsplit("/", 1)[-1]
        if word in PK_KINDS_BY_WORD:
            return PK_KINDS_BY_WORD[word]
    return [*KINDS, *VALUE_KINDS]


# --- requests, each in a savepoint rolled back ---------------------------------------------


def fingerprint() -> dict[str, str]:
    """Each table of the project's apps (and users): a digest of every row's every column."""
    digests = {}
    models = [
        *apps.get_app_config("workshops").get_models(include_auto_created=True),
        *apps.get_app_config("facilitation").get_models(include_auto_created=True),
        *apps.get_app_config("agreements").get_models(include_auto_created=True),
        get_user_model(),
    ]
    for model in models:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        rows = model.objects.order_by("pk").values_list(*fields)
        text = repr([tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows])
        digests[model._meta.label] = hashlib.sha256(text.encode()).hexdigest()
    return digests


@dataclass
class Outcome:
    status: int
    response: HttpResponse
    active: int | None
    changed: list[str]
    mails: int


def call(
    client: Client,
    method: str,
    url: str,
    data: dict | None = None,
    *,
    active: World | None = None,
    baseline: dict[str, str] | None = None,
) -> Outcome:
    """One request in a savepoint rolled back afterwards; with `active`, that organisation
    is made the active one first; with `baseline`, the tables that changed are named."""
    with transaction.atomic():
        if active is not None:
            session = client.session
            session[ACTIVE_ORGANISATION_KEY] = active.organisation.pk
            session.save()
        mails = len(mail.outbox)
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, data or {})
        now = client.session.get(ACTIVE_ORGANISATION_KEY)
        changed = []
        if baseline is not None:
            after = fingerprint()
            changed = [label for label, digest in after.items() if baseline.get(label) != digest]
        sent = len(mail.outbox) - mails
        del mail.outbox[mails:]
        transaction.set_rollback(True)
    return Outcome(response.status_code, response, now, changed, sent)


def _is_page(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("text/html") and b"<body" in (
        response.content
    )


def _to_login(response: HttpResponse, login: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(login)


# --- the walk -----------------------------------------------------------------------------------


@dataclass
class Found:
    """What the ids of a pattern name: (kind, index) per kwarg; slugs as they are."""

    picks: dict[str, tuple[str, int]]
    slugs: dict[str, str]
    method: str  # how the view was found to answer: "get" or "post"

    def values(self, world: World) -> dict[str, Any]:
        return {
            **{k: world.twin(kind, i) for k, (kind, i) in self.picks.items()},
            **self.slugs,
        }


def discover(client: Client, route: Route, w: Worlds) -> list[Found]:
    """The objects of B the pattern's ids name, with B active: the first combination that
    answers neither 404 nor 405. With slugs, every slug the view takes, each on its own."""
    slug_kwargs = [k for k in route.kwargs if k not in route.int_kwargs]
    choices = {
        k: [(kind, i) for kind in kinds_for(route, k) for i in range(len(w.b.ids[kind]))]
        for k in route.int_kwargs
    }

    def attempt(picks: dict, slugs: dict) -> str | None:
        found = Found(dict(picks), dict(slugs), "get")
        url = route.url(found.values(w.b))
        if url is None:
            return None
        for method in ("get", "post"):
            data = w.b.body if method == "post" else None
            if call(client, method, url, data, active=w.b).status not in (404, 405):
                return method
        return None

    first_slugs = [
        dict(zip(slug_kwargs, combo, strict=True))
        for combo in product(SLUG_FIRST, repeat=len(slug_kwargs))
    ]
    for combo in product(*choices.values()):
        picks = dict(zip(choices, combo, strict=True))
        for slugs in first_slugs:
            method = attempt(picks, slugs)
            if method is None:
                continue
            if not slug_kwargs:
                return [Found(picks, {}, method)]
            found = []
            for combo_slugs in product(SLUG_ACTIONS, repeat=len(slug_kwargs)):
                each = dict(zip(slug_kwargs, combo_slugs, strict=True))
                method = attempt(picks, each)
                if method is not None:
                    found.append(Found(picks, each, method))
            return found
    return []


def test_every_address_with_ids_is_scoped_to_the_active_organisation(worlds):
    w = worlds
    vale = Client(raise_request_exception=False)
    vale.force_login(w.vale)
    anonymous = Client(raise_request_exception=False)
    login = reverse(settings.LOGIN_URL)
    baseline = fingerprint()
    every = walk_urlconf()
    names = {r.name for r in every}
    for listed in (UNDISCOVERABLE, NO_SWITCH, NOTICE_MISSING, PUBLIC):
        stale = set(listed) - names
        assert not stale, f"listed but no longer in the URLconf: {sorted(stale)}"
    routes = [r for r in every if r.int_kwargs]
    assert len(routes) > 40, "the URLconf walk found too few patterns with ids"

    failures: list[str] = []
    undiscovered: list[str] = []
    tested = 0
    for route in routes:
        if route.name in UNDISCOVERABLE:
            continue
        found_all = discover(vale, route, w)
        if not found_all:
            undiscovered.append(f"{route.name} ({''.join(str(p) for p in route.pieces)})")
            continue
        for found in found_all:
            tested += 1
            fail = _check(route, found, w, vale, anonymous, login, baseline)
            failures.extend(f"{route.name} {found.slugs or ''}: {problem}" for problem in fail)

    assert not undiscovered, (
        "No object of organisation B answered these patterns, so their access rules are "
        "untested. Give their ids a kind in KWARG_KINDS / PK_KINDS_BY_WORD (and the world an "
        "object of it), or list them in UNDISCOVERABLE with the reason:\n  "
        + "\n  ".join(undiscovered)
    )
    assert not failures, f"{len(failures)} access failures:\n  " + "\n  ".join(failures)
    assert tested >= len(routes) - len(UNDISCOVERABLE)


def _check(
    route: Route,
    found: Found,
    w: Worlds,
    vale: Client,
    anonymous: Client,
    login: str,
    baseline: dict[str, str],
) -> list[str]:
    problems = []
    url_a, url_b, url_c = (route.url(found.values(x)) for x in (w.a, w.b, w.c))
    if None in (url_a, url_b, url_c):
        return [f"twins do not resolve to this pattern: {url_a}, {url_b}, {url_c}"]
    a_id, b_id = w.a.organisation.pk, w.b.organisation.pk

    # 0. The A twin answers in A: the address works, the 404s below are about organisations.
    sanity = call(
        vale, found.method, url_a, w.a.body if found.method == "post" else None, active=w.a
    )
    if sanity.status in (404, 405, 500):
        problems.append(f"0. A's twin {url_a} answers {sanity.status} in A")

    # 1. C (not hers): 404 to GET and POST, nothing written, nothing sent.
    for method in ("get", "post"):
        body = w.c.body if method == "post" else None
        out = call(vale, method, url_c, body, active=w.a, baseline=baseline)
        if out.status not in (404, 405):
            problems.append(f"1. {method.upper()} {url_c} (C's) answers {out.status}, not 404")
        if out.changed or out.mails:
            problems.append(
                f"1. {method.upper()} {url_c} (C's) wrote {out.changed}, sent {out.mails} emails"
            )
        if out.active != a_id:
            problems.append(f"1. {method.upper()} {url_c} (C's) changed the active organisation")
        if w.c.marker.encode() in out.response.content:
            problems.append(f"1. {method.upper()} {url_c} (C's) shows C's session")

    # 2. B (hers, not active): a GET opens it in B and says so.
    out = call(vale, "get", url_b, active=w.a)
    if out.status == 405:
        pass  # the view takes no GET (require_POST): nothing to open
    elif out.status in (404, 500):
        problems.append(f"2. GET {url_b} (B's, A active) answers {out.status}")
    elif route.name in NO_SWITCH:
        if out.active != a_id:
            problems.append(f"2. GET {url_b} switched, though listed in NO_SWITCH")
    else:
        if out.active != b_id:
            problems.append(f"2. GET {url_b} (B's) answered {out.status} without making B active")
        told = SWITCHED.encode() in out.response.content
        if route.name in NOTICE_MISSING:
            if told:
                problems.append(f"2. GET {url_b} says it switched: remove it from NOTICE_MISSING")
        elif _is_page(out.response) and not told:
            problems.append(f"2. GET {url_b} (B's) switched without saying so ({SWITCHED})")

    # 3. A form sent with A active to B's object never acts there.
    out = call(vale, "post", url_b, w.b.body, active=w.a, baseline=baseline)
    if out.status not in (404, 405):
        problems.append(f"3. POST {url_b} (B's, A active) answers {out.status}, not 404")
    if out.changed or out.mails:
        problems.append(
            f"3. POST {url_b} (B's, A active) wrote {out.changed}, sent {out.mails} emails"
        )
    if out.active != a_id:
        problems.append(f"3. POST {url_b} (B's, A active) changed the active organisation")

    # 4. Anonymous: the login page, or 404/405; never the object, nothing written.
    for method in ("get", "post"):
        body = w.b.body if method == "post" else None
        out = call(anonymous, method, url_b, body, baseline=baseline)
        if not (_to_login(out.response, login) or out.status in (404, 405)):
            problems.append(f"4. anonymous {method.upper()} {url_b} answers {out.status}")
        if out.changed or out.mails:
            problems.append(f"4. anonymous {method.upper()} {url_b} wrote {out.changed}")
    return problems


# --- addresses without ids ------------------------------------------------------------------

# What fills the other parts of an address: a forged token (public links), an object id or an
# app label (the admin). The first value that resolves to the pattern is used.
FORGED = ["forjado-0000000000000000000000", "1", "auth"]

# Addresses an anonymous visitor may open (a 2xx answer), and why. Any other address that
# opens for a visitor fails the test: a new page is private unless it is listed here.
PUBLIC = {
    "login": "the login page",
    "admin:login": "the admin's login page (the admin is for is_staff accounts only)",
    "join": "the phone's join form: participants have no account",
    "connection_test": "the room's connection test, opened from a phone before joining",
    "connection_echo": "the connection test's echo (204, no content)",
    "password_reset": "asking for a new password: for people who cannot log in",
    "password_reset_done": "«we sent you an email», the same for every address",
    "password_reset_confirm": "the emailed link's page (a forged one says it does not work)",
    "password_reset_complete": "«your password changed», after the emailed link",
}


def _forged_url(route: Route) -> str | None:
    for value in FORGED:
        url = route.url(dict.fromkeys(route.kwargs, value))
        if url is not None:
            return url
    return None


def test_every_address_without_ids_answers_without_error(worlds):
    """Vale (A active) and a visitor open every address without ids, public links with a
    forged token: never a 500, always a Spanish page, the active organisation unchanged,
    nothing written; a visitor opens only what PUBLIC lists."""
    w = worlds
    vale = Client(raise_request_exception=False)
    vale.force_login(w.vale)
    anonymous = Client(raise_request_exception=False)
    baseline = fingerprint()
    routes = [r for r in walk_urlconf() if not r.int_kwargs]
    assert len(routes) > 40, "the URLconf walk found too few patterns without ids"
    problems = []
    for route in routes:
        url = _forged_url(route)
        if url is None:
            problems.append(f"{route.name}: no address could be built for it")
            continue
        for who, client in (("Vale", vale), ("a visitor", anonymous)):
            out = call(
                client, "get", url, active=w.a if client is vale else None, baseline=baseline
            )
            body = out.response.content
            if out.status >= 500:
                problems.append(f"{who}: GET {url} ({route.name}) answers {out.status}")
            if _is_page(out.response) and b'<html lang="es"' not in body:
                problems.append(f"{who}: GET {url} ({route.name}) is not a Spanish page")
            if client is vale and out.active != w.a.organisation.pk:
                problems.append(f"{who}: GET {url} ({route.name}) changed the organisation")
            if client is anonymous and (out.changed or out.mails):
                # (Vale's exports write her access to the log: that is the log's job.)
                problems.append(f"{who}: GET {url} ({route.name}) wrote {out.changed}")
            if client is anonymous and 200 <= out.status < 300 and route.name not in PUBLIC:
                problems.append(
                    f"{who}: GET {url} ({route.name}) opens ({out.status}) without logging in;"
                    " if it is public by design, list it in PUBLIC with the reason"
                )
        if route.kwargs and not route.namespace:
            # A public link with a forged token: a Spanish «this link does not work», and a
            # form sent to it acts on nothing.
            out = call(anonymous, "post", url, {"status": "hecho"}, baseline=baseline)
            if out.status >= 500 or out.changed or out.mails:
                problems.append(
                    f"a visitor: POST {url} ({route.name}) answers {out.status}, "
                    f"wrote {out.changed}"
                )
    assert not problems, "\n  ".join(["", *problems])


# --- choosing an organisation, and the staff's socket ---------------------------------------


@pytest.mark.parametrize("value", ["c", "", "x", "1.5", "999999"])
def test_choosing_an_organisation_she_is_not_in_is_404_and_changes_nothing(worlds, value):
    w = worlds
    vale = Client()
    vale.force_login(w.vale)
    organisation = str(w.c.organisation.pk) if value == "c" else value
    response = call(
        vale, "post", reverse("organisation_choose"), {"organisation": organisation}, active=w.a
    )
    assert response.status == 404
    assert response.active == w.a.organisation.pk
    # Her own other organisation: switched (the same request, so the 404 above is the rule).
    response = call(
        vale,
        "post",
        reverse("organisation_choose"),
        {"organisation": w.b.organisation.pk},
        active=w.a,
    )
    assert response.status == 302
    assert response.active == w.b.organisation.pk


def test_the_staff_socket_opens_her_organisations_live_sessions_only(worlds):
    w = worlds
    live_a, live_b, live_c = (x.ids["live"][0] for x in (w.a, w.b, w.c))
    assert facilitator_live_for_user(w.vale, live_a).pk == live_a
    assert facilitator_live_for_user(w.vale, live_b).pk == live_b
    assert facilitator_live_for_user(w.vale, live_c) is None
    assert facilitator_live_for_user(w.vale, str(live_c)) is None
    # The live session of C for its own facilitator: the None above is about Vale.
    assert facilitator_live_for_user(w.c.lead.user, live_c).pk == live_c
    assert facilitator_live_for_user(w.c.lead.user, live_b) is None
