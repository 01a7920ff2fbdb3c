"""Agreements: co-designed in the session, consented on phones, followed up by their owners
and reviewed by managers."""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilitation.models import Contribution, LiveSession, Participant
from workshops.models import Area, Block, Organisation, Principle, Workshop


class Agreement(models.Model):
    class Outcome(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        CONSENT = "consent", _("En consulta")
        AGREED = "agreed", _("Acordado")
        DROPPED = "dropped", _("Descartado en la sesión")

    class Status(models.TextChoices):
        PENDING = "pendiente", _("Pendiente")
        IN_PROGRESS = "en_curso", _("En curso")
        DONE = "hecho", _("Hecho")
        BLOCKED = "bloqueado", _("Bloqueado")
        DISCARDED = "descartado", _("Descartado")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="agreements"
    )
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="agreements")
    live = models.ForeignKey(
        LiveSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="agreements"
    )
    block = models.ForeignKey(
        Block, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("qué se hará"))
    problem = models.TextField(_("problema que resuelve"), blank=True)
    indicator = models.CharField(_("indicador de éxito"), max_length=300, blank=True)
    due_date = models.DateField(_("fecha de entrega"))
    principle = models.ForeignKey(
        Principle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("principio que honra"),
    )
    areas = models.ManyToManyField(Area, related_name="agreements", verbose_name=_("áreas"))
    sources = models.ManyToManyField(
        Contribution, related_name="agreements", blank=True, verbose_name=_("aportes de origen")
    )
    version = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(
        _("resultado en la sesión"),
        max_length=10,
        choices=Outcome.choices,
        default=Outcome.DRAFT,
    )
    status = models.CharField(
        _("estado"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("acuerdo")
        verbose_name_plural = _("acuerdos")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.text[:80]

    def get_absolute_url(self) -> str:
        return reverse("agreement_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.AGREED and self.status not in {
            self.Status.DONE,
            self.Status.DISCARDED,
        }

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_open and self.due_date < (today or timezone.localdate())


class AgreementVersion(models.Model):
    """The wording at each version (a reworded agreement asks for consent again)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    problem = models.TextField(blank=True)
    indicator = models.CharField(max_length=300, blank=True)
    due_date = models.DateField()
    # Whether the room was asked about this wording (phones show what changed since the
    # last version they were asked about, never since a draft nobody saw).
    put_to_room = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_once")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class Owner(models.Model):
    """Who answers for an agreement: a participant present or a named person."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="owners")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("nombre"), max_length=120)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("área")
    )
    email = models.EmailField(_("correo"), blank=True)
    token = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # How the current link reached its owner (a new link clears all three): by email, shown
    # on their phone in the room (the phone says when it showed it), or on a printed card.
    emailed_at = models.DateTimeField(null=True, blank=True)
    phone_seen_at = models.DateTimeField(null=True, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("responsable")
        verbose_name_plural = _("responsables")
        ordering = ["area__position", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.area})"

    @property
    def has_link(self) -> bool:
        """Whether the current link reached its owner some way."""
        return self.revoked_at is None and bool(
            self.emailed_at or self.phone_seen_at or self.printed_at
        )


class Consent(models.Model):
    class Choice(models.TextChoices):
        AGREE = "agree", _("De acuerdo")
        OBJECT = "object", _("Objeción")
        ABSTAIN = "abstain", _("Abstención")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="consents")
    version = models.PositiveSmallIntegerField()
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    reason = models.CharField(max_length=500, blank=True)
    # The participant chose to sign their answer: only then does anyone see who gave it.
    signed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "version", "participant"], name="consent_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return self.choice


class StatusUpdate(models.Model):
    """The agreement's history: every status change and progress note, who and when."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="updates")
    owner = models.ForeignKey(
        Owner, on_delete=models.SET_NULL, null=True, blank=True, related_name="updates"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, default="status")  # status, comment, record, link
    status = models.CharField(max_length=12, choices=Agreement.Status.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.status}"

    @property
    def author(self) -> str:
        if self.owner_id:
            return self.owner.name
        if self.user_id:
            return self.user.get_full_name() or self.user.get_username()
        return ""


class Reminder(models.Model):
    """A reminder email sent to an owner; one per owner, agreement and day."""

    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    kind = models.CharField(max_length=10)  # due_soon, overdue
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="one_reminder_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.day}"


class ReportAccess(models.Model):
    """Who opened or exported a session's acta, or the organisation's agreements: managers
    and facilitators can see it, because people ask (issue 12)."""

    class Kind(models.TextChoices):
        ACTA = "acta", _("Abrió el acta")
        ACTA_CSV = "acta_csv", _("Exportó el acta (CSV)")
        ACTA_XLSX = "acta_xlsx", _("Exportó el acta (Excel)")
        AGREEMENTS_CSV = "agreements_csv", _("Exportó los acuerdos (CSV)")
        AGREEMENTS_XLSX = "agreements_xlsx", _("Exportó los acuerdos (Excel)")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, null=True, blank=True, related_name="accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as it was when the access happened (an account renamed or deleted later).
    user_label = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workshop", "-at"])]

    def __str__(self) -> str:
        return f"{self.user_label} {self.kind} {self.at:%Y-%m-%d %H:%M}"
