"""Organisations and their members, the method library and the question bank."""

import datetime
import unicodedata
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            _("«%(value)s» no es una zona horaria válida."), params={"value": value}
        )


class Organisation(models.Model):
    name = models.CharField(_("nombre"), max_length=120)
    slug = models.SlugField(_("identificador"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("zona horaria"), max_length=64, default="America/Bogota", validators=[validate_time_zone]
    )
    # Trust and personal data (issue 12). No breakdown by area shows a group of fewer people
    # than min_group_size (facilitation/privacy.py).
    min_group_size = models.PositiveSmallIntegerField(
        _("tamaño mínimo de un grupo"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
    )
    # Blank: the default text (facilitation/privacy.py), in the reader's language.
    confidentiality_statement = models.TextField(_("declaración de confidencialidad"), blank=True)
    privacy_notice = models.TextField(_("aviso de privacidad"), blank=True)
    # Bumped whenever the notice's text changes: a participant's acceptance names its version.
    privacy_notice_version = models.PositiveIntegerField(default=1)
    privacy_contact = models.CharField(
        _("contacto para datos personales"), max_length=200, blank=True
    )
    # Days after a session closes before its names and texts are erased (erase_expired).
    retention_days = models.PositiveIntegerField(
        _("días de conservación"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    # The organisation's face (issue 14): shown on the projector's join screen, the run sheet
    # and the acta. Blank display name: the name. The logo is kept in the database (small,
    # validated and re-encoded), so every daphne process of the scaled mode serves it without
    # shared media storage; logo_version changes its address whenever it changes.
    display_name = models.CharField(_("nombre para mostrar"), max_length=120, blank=True)
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_content_type = models.CharField(max_length=20, blank=True, editable=False)
    logo_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organización")
        verbose_name_plural = _("organizaciones")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def shown_name(self) -> str:
        """The name the room sees: the display name, or the name."""
        return self.display_name or self.name


class Area(models.Model):
    """A department of an organisation (Compras, Ventas, Logística by default)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="areas")
    name = models.CharField(_("nombre"), max_length=60)
    slug = models.SlugField(_("identificador"), max_length=60)
    position = models.PositiveSmallIntegerField(_("orden"), default=0)

    class Meta:
        verbose_name = _("área")
        verbose_name_plural = _("áreas")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="area_unique_slug"),
            models.UniqueConstraint(fields=["organisation", "name"], name="area_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in one organisation, with a role there. A person may be facilitator and
    manager, and a member of several organisations (a consultant who facilitates for several
    client companies, issue 14). A deactivated membership keeps its history but opens
    nothing; a person with no active membership cannot log in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    is_facilitator = models.BooleanField(_("facilitador/a"), default=False)
    is_manager = models.BooleanField(_("gerente"), default=False)
    is_active = models.BooleanField(_("activa"), default=True)

    class Meta:
        verbose_name = _("membresía")
        verbose_name_plural = _("membresías")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_facilitator=True) | Q(is_manager=True),
                name="membership_has_a_role",
            ),
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_one_per_organisation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    @property
    def role_labels(self) -> list[str]:
        labels = []
        if self.is_facilitator:
            labels.append(str(_("Facilitador/a")))
        if self.is_manager:
            labels.append(str(_("Gerente")))
        return labels


class Invitation(models.Model):
    """An invitation to join an organisation with a role (issue 14): a one-time link that
    expires, can be revoked and re-sent. Only the token's SHA-256 is stored, so the database
    alone cannot open it. Accepting it by a person who already has an account adds the
    membership; otherwise it creates the account with the name and password they choose."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("correo"))
    is_facilitator = models.BooleanField(_("facilitador/a"), default=False)
    is_manager = models.BooleanField(_("gerente"), default=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitación")
        verbose_name_plural = _("invitaciones")
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_facilitator=True) | Q(is_manager=True),
                name="invitation_has_a_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} @ {self.organisation}"


class Installation(models.Model):
    """This installation's first run (issue 14). Its one row, written by the setup, closes
    the setup for good: the fixed primary key makes a second, concurrent setup fail on the
    insert, on SQLite and PostgreSQL alike."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_up_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instalación")
        verbose_name_plural = _("instalaciones")

    def __str__(self) -> str:
        return f"{self.organisation or '-'} ({self.set_up_at:%Y-%m-%d})"


class Grouping(models.TextChoices):
    PLENARY = "plenary", _("Plenaria")
    BY_AREA = "by_area", _("Por área")
    MIXED_TABLES = "mixed_tables", _("Mesas mixtas")


class Assumption(models.Model):
    position = models.PositiveSmallIntegerField(_("orden"), unique=True)
    text = models.TextField(_("texto"))

    class Meta:
        verbose_name = _("supuesto")
        verbose_name_plural = _("supuestos")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text[:60]


class Principle(models.Model):
    slug = models.SlugField(_("identificador"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    name = models.CharField(_("nombre"), max_length=120)
    explanation = models.TextField(_("explicación"))

    class Meta:
        verbose_name = _("principio")
        verbose_name_plural = _("principios")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Responsibility(models.Model):
    """What depends on the team, and what depends on the facilitator."""

    class Holder(models.TextChoices):
        TEAM = "team", _("Depende del equipo")
        FACILITATOR = "facilitator", _("Depende del facilitador")

    holder = models.CharField(_("de quién depende"), max_length=20, choices=Holder.choices)
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    text = models.CharField(_("texto"), max_length=200)

    class Meta:
        verbose_name = _("responsabilidad")
        verbose_name_plural = _("responsabilidades")
        ordering = ["holder", "position"]

    def __str__(self) -> str:
        return self.text


class ActivityKind(models.Model):
    """A kind of block a session is made of, with the method's defaults."""

    slug = models.SlugField(_("identificador"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    name = models.CharField(_("nombre"), max_length=80)
    default_minutes = models.PositiveSmallIntegerField(_("duración por defecto (min)"))
    default_grouping = models.CharField(
        _("agrupación por defecto"), max_length=20, choices=Grouping.choices
    )
    guide = models.TextField(_("guía para el facilitador"))
    needs_question = models.BooleanField(_("necesita pregunta"), default=False)
    allows_contributions = models.BooleanField(_("admite aportes"), default=False)
    always_anonymous = models.BooleanField(_("siempre anónimo"), default=False)
    default_dots = models.PositiveSmallIntegerField(_("puntos de votación por defecto"), default=0)

    class Meta:
        verbose_name = _("tipo de actividad")
        verbose_name_plural = _("tipos de actividad")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Tone(models.TextChoices):
    APPRECIATIVE = "appreciative", _("Apreciativa")
    DIFFICULT = "difficult", _("Difícil")


class Theme(models.TextChoices):
    CUSTOMER_REFEREE = "cliente-referi", _("El cliente como referí")
    INTERNAL_CUSTOMER = "cliente-interno", _("Cliente interno")
    BOSS_TO_LEADER = "jefe-lider", _("De jefe a líder")
    EMPOWERMENT = "empoderamiento", _("Empoderamiento con autoridad")
    PROCESS_TEAMS = "equipo-proceso", _("Equipos dueños del proceso completo")
    DECIDE_WITH_INVOLVED = "decidir-implicados", _("Decidir con los implicados")
    DAILY_COORDINATION = "coordinacion-diaria", _("Coordinación diaria")
    LISTEN_NOT_BUREAUCRAT = "escuchar-no-burocrata", _("Escuchar en vez de burocracia")
    ANTICIPATE = "anticipar", _("Anticiparse")
    TELL_TRUTH_EARLY = "dar-la-cara", _("Dar la cara a tiempo")
    EXPLAIN_PROCESS = "explicar-proceso", _("Explicar el propio proceso")
    AREA_CONFLICT = "conflicto-areas", _("El conflicto entre áreas")


class QuestionQuerySet(models.QuerySet["Question"]):
    def visible_to(self, organisation: Organisation) -> "QuestionQuerySet":
        """The library's questions plus the organisation's own, never another's."""
        return self.filter(Q(organisation__isnull=True) | Q(organisation=organisation))

    def for_area(self, slug: str) -> "QuestionQuerySet":
        """Questions for every area, or naming this area (alone or in a pair)."""
        return self.filter(Q(area_tags="") | Q(area_tags__contains=f",{slug},"))


class Question(models.Model):
    """A question of the bank: the library's (no organisation) or an organisation's own."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="questions",
        help_text=_("Vacío: pregunta de la biblioteca, visible para todas las organizaciones."),
    )
    key = models.CharField(_("clave"), max_length=20, unique=True, null=True, blank=True)
    text = models.CharField(_("pregunta"), max_length=300)
    phase = models.ForeignKey(
        ActivityKind, on_delete=models.PROTECT, related_name="questions", verbose_name=_("fase")
    )
    # Area slugs wrapped in commas (",ventas,logistica,"); empty means every area. A string
    # rather than a JSON list so "naming this area" is one portable LIKE on SQLite and PG.
    area_tags = models.CharField(_("áreas"), max_length=200, blank=True, default="")
    principles = models.ManyToManyField(
        Principle, related_name="questions", blank=True, verbose_name=_("principios")
    )
    tone = models.CharField(_("tono"), max_length=20, choices=Tone.choices)
    theme = models.CharField(_("tema"), max_length=40, choices=Theme.choices, blank=True)
    intent = models.CharField(_("intención"), max_length=200, blank=True)
    # Text and intent folded to lower case without accents (see `fold`), so "logistica"
    # finds "Logística" on SQLite and PostgreSQL alike.
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("pregunta")
        verbose_name_plural = _("preguntas")
        ordering = ["phase__position", "key", "id"]

    def __str__(self) -> str:
        return self.text

    def refresh_search_text(self) -> None:
        self.search_text = fold(f"{self.text} {self.intent}")

    @property
    def area_slugs(self) -> list[str]:
        return [slug for slug in self.area_tags.split(",") if slug]

    @property
    def is_library(self) -> bool:
        return self.organisation_id is None


def fold(text: str) -> str:
    """Lower case without accents: the form searched by Question.search_text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def area_tags_for(slugs: list[str]) -> str:
    """The stored form of a list of area slugs (see Question.area_tags)."""
    clean = sorted({slug.strip() for slug in slugs if slug.strip()})
    return f",{','.join(clean)}," if clean else ""


class Workshop(models.Model):
    """A designed session: a difficult conversation between areas, with its agenda."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        READY = "ready", _("Lista")
        LIVE = "live", _("En vivo")
        CLOSED = "closed", _("Cerrada")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="workshops"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="workshops",
        verbose_name=_("facilitador/a"),
    )
    title = models.CharField(_("título"), max_length=160)
    purpose = models.TextField(
        _("propósito"),
        blank=True,
        help_text=_("El problema del cliente detrás de la sesión: un pedido perdido, quejas…"),
    )
    date = models.DateField(_("fecha"))
    start_time = models.TimeField(_("hora de inicio"))
    place = models.CharField(_("lugar"), max_length=200, blank=True)
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Bumped on every agenda change; a stale reorder from another tab is refused.
    agenda_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sesión")
        verbose_name_plural = _("sesiones")
        ordering = ["-date", "-start_time", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("workshop_builder", args=[self.pk])

    @property
    def starts_at(self) -> datetime.datetime:
        """The start as an aware datetime in the organisation's time zone."""
        return datetime.datetime.combine(self.date, self.start_time, tzinfo=self.organisation.zone)

    @property
    def is_editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.READY}


class InvitedArea(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="invited")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    expected_people = models.PositiveSmallIntegerField(_("personas esperadas"), default=0)

    class Meta:
        verbose_name = _("área invitada")
        verbose_name_plural = _("áreas invitadas")
        ordering = ["area__position"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "area"], name="invited_area_once")
        ]

    def __str__(self) -> str:
        return f"{self.area} ({self.expected_people})"


class Block(models.Model):
    """One block of a session's agenda."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveIntegerField(_("orden"))
    kind = models.ForeignKey(
        ActivityKind, on_delete=models.PROTECT, related_name="+", verbose_name=_("actividad")
    )
    title = models.CharField(_("título"), max_length=160)
    minutes = models.PositiveSmallIntegerField(_("duración (min)"))
    grouping = models.CharField(_("agrupación"), max_length=20, choices=Grouping.choices)
    instructions = models.TextField(_("instrucciones para participantes"), blank=True)
    facilitator_notes = models.TextField(_("notas privadas del facilitador"), blank=True)
    allows_contributions = models.BooleanField(_("los participantes aportan"), default=False)
    anonymous = models.BooleanField(_("aportes anónimos"), default=False)
    # Cards go first to the facilitator's queue and the room sees them when the facilitator
    # shows them (default on for anonymous blocks).
    reveal_first = models.BooleanField(_("revisar cada aporte antes de mostrarlo"), default=False)
    dots = models.PositiveSmallIntegerField(
        _("puntos de votación por persona"), default=0, help_text=_("0: este bloque no vota.")
    )
    # The facilitator's timed steps, [{"title": str, "minutes": int}, ...], adding up to
    # `minutes`: copied from the kind's guide (or the template) and scaled with the duration.
    steps = models.JSONField(_("pasos"), default=list, blank=True)

    class Meta:
        verbose_name = _("bloque")
        verbose_name_plural = _("bloques")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class BlockQuestion(models.Model):
    """A question asked in a block: picked from the bank (its wording copied, so the session
    keeps it if the bank changes) or written for this block only."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    question = models.ForeignKey(
        Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.CharField(_("pregunta"), max_length=300)

    class Meta:
        verbose_name = _("pregunta del bloque")
        verbose_name_plural = _("preguntas del bloque")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class ChecklistItem(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("tarea"), max_length=200)
    done = models.BooleanField(_("hecho"), default=False)

    class Meta:
        verbose_name = _("tarea de preparación")
        verbose_name_plural = _("lista de preparación")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text
