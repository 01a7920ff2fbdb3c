"""The live session: who joined, what they sent, and the room's state.

Anonymity: a contribution in an anonymous block stores no participant and no area; its
idempotency key is stored only as an HMAC, so nothing in the database links it to a phone.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workshops.models import Area, Block, Principle, Workshop

JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
JOIN_CODE_LENGTH = 8


class LiveSession(models.Model):
    workshop = models.OneToOneField(Workshop, on_delete=models.CASCADE, related_name="live")
    join_code = models.CharField(_("código"), max_length=16, unique=True)
    qr_token = models.CharField(max_length=64, unique=True)
    door_open = models.BooleanField(_("puerta abierta"), default=True)
    current_block = models.ForeignKey(
        Block, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contributions_open = models.BooleanField(default=False)
    voting_open = models.BooleanField(default=False)
    results_revealed = models.BooleanField(default=False)
    # Timer of the current block: remaining = planned + adjustment - elapsed.
    timer_adjust_seconds = models.IntegerField(default=0)
    timer_elapsed_seconds = models.FloatField(default=0)
    timer_running_since = models.DateTimeField(null=True, blank=True)
    pushed_principle = models.ForeignKey(
        Principle, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    table_round = models.PositiveSmallIntegerField(default=0)
    # Bumped on every change that is broadcast; frames carry it, clients drop older ones.
    seq = models.PositiveBigIntegerField(default=0)
    # The seq of the last change the phones' view shows (a join, a vote before the reveal, an
    # emotion or a consent changes only the staff's screens): a phone that holds a frame at
    # least this new is up to date, and such changes are not rendered for 500 phones.
    participants_seq = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the retention period erased its names and texts (the acta says so).
    texts_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sesión en vivo")
        verbose_name_plural = _("sesiones en vivo")

    def __str__(self) -> str:
        return f"{self.workshop} [{self.join_code}]"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def display_code(self) -> str:
        return f"{self.join_code[:4]}-{self.join_code[4:]}"

    def timer_planned_seconds(self) -> int:
        return self.current_block.minutes * 60 if self.current_block else 0

    def timer_remaining_seconds(self, now: datetime.datetime | None = None) -> float:
        elapsed = self.timer_elapsed_seconds
        if self.timer_running_since is not None:
            elapsed += ((now or timezone.now()) - self.timer_running_since).total_seconds()
        return self.timer_planned_seconds() + self.timer_adjust_seconds - elapsed


class BlockRun(models.Model):
    """When a block was on the screens: one row per time the agenda went to it (going back
    to a block adds a row). The control room's agenda shows past blocks as they ran."""

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="runs")
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.block_id} @ {self.started_at:%H:%M}"


class Participant(models.Model):
    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(_("nombre"), max_length=60)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    # Whether this person answered the principles and the diagnosis. Flags, never times:
    # what they answered is kept apart, without them (CommitmentAnswer, Diagnosis), and a
    # time here could be paired with the answer's row.
    principles_answered = models.BooleanField(default=False)
    diagnosis_answered = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    table_number = models.PositiveSmallIntegerField(null=True, blank=True)
    # The privacy notice this person accepted on joining (Ley 1581 de 2012), and when.
    privacy_version = models.PositiveIntegerField(null=True, blank=True)
    privacy_accepted_at = models.DateTimeField(null=True, blank=True)
    # Their name and texts were erased (on request, or by the retention period).
    erased_at = models.DateTimeField(null=True, blank=True)
    # Takes part without a smartphone: the staff enters what they answer on paper
    # (facilitation/paper.py). Present while not removed: no socket beats for them.
    on_paper = models.BooleanField(_("en papel"), default=False)

    class Meta:
        verbose_name = _("participante")
        verbose_name_plural = _("participantes")
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return self.name


class CommitmentAnswer(models.Model):
    """One person's answer to the principles, stored without the person or their area (as
    an anonymous contribution is): the room sees counts, the facilitator reads the notes of
    reservations, nobody can tell whose they are."""

    class Choice(models.TextChoices):
        COMMIT = "commit", _("Me comprometo")
        RESERVE = "reserve", _("Tengo una reserva")

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="commitments")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    note = models.TextField(_("nota"), blank=True, default="")
    key_digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("respuesta a los principios")
        verbose_name_plural = _("respuestas a los principios")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["live", "key_digest"], name="commitment_once"),
            models.CheckConstraint(
                condition=models.Q(choice="reserve") | models.Q(note=""),
                name="only_a_reservation_has_a_note",
            ),
        ]

    def __str__(self) -> str:
        return self.choice


class Diagnosis(models.Model):
    """One person's diagnosis of the seed's nine situations (how strongly each happens
    today, 0 to 3), stored without the person or their area; the room sees the map, a later
    session of the organisation compares with it."""

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="diagnoses")
    # {symptom slug: level}, level 0 ("No pasa") to 3 ("Pasa todo el tiempo").
    answers = models.JSONField()
    key_digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("diagnóstico")
        verbose_name_plural = _("diagnósticos")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["live", "key_digest"], name="diagnosis_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class GroundRule(models.Model):
    """An acuerdo de convivencia the room proposed from a phone in the principles block,
    stored without its author; the facilitator keeps the chosen ones, which every screen
    then shows for the rest of the session and the acta lists."""

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="ground_rules")
    text = models.CharField(_("acuerdo de convivencia"), max_length=200)
    key_digest = models.CharField(max_length=64)
    kept = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("acuerdo de convivencia")
        verbose_name_plural = _("acuerdos de convivencia")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["live", "key_digest"], name="ground_rule_once"),
        ]

    def __str__(self) -> str:
        return self.text


class TableSeat(models.Model):
    """Who sat at which table in each café round (to mix people across rounds)."""

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="seats")
    round = models.PositiveSmallIntegerField()
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="seats")
    table = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "participant"], name="one_seat_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.participant} → {self.table}"


class Theme(models.Model):
    """Cards of one block that say the same thing, grouped by the facilitator before the
    vote. A theme shows its name and how many cards it holds, never which areas wrote them;
    dots go to the theme (its cards keep any dots they had before they were grouped)."""

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="themes")
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("tema"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tema")
        verbose_name_plural = _("temas")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ThemeSuggestion(models.Model):
    """Cards Puente found saying the same thing, offered to the facilitator, who accepts
    (possibly edited), or rejects it; a suggestion never groups by itself. A rejected one is
    kept so that the same cards are not offered again."""

    class Status(models.TextChoices):
        OPEN = "open", _("Sugerida")
        REJECTED = "rejected", _("Descartada")

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="+")
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    card_ids = models.JSONField()
    score = models.FloatField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["-score", "id"]

    def __str__(self) -> str:
        return self.name


class Contribution(models.Model):
    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="contributions")
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="+")
    # Both empty for an anonymous block, by design.
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    anonymous = models.BooleanField(default=False)
    text = models.TextField(_("aporte"))
    key_digest = models.CharField(max_length=64)
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=200, blank=True)
    # When the room could first see it: at once, or when the facilitator showed it (a block
    # that reveals first); None: in the facilitator's queue.
    revealed_at = models.DateTimeField(null=True, blank=True, db_default=Now())
    # Kept while hidden: undoing the hide puts the card back in its theme.
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="cards"
    )
    # A signed card the staff typed from paper. Never set on an anonymous card: with few
    # people on paper the mark alone would name its author.
    on_paper = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("aporte")
        verbose_name_plural = _("aportes")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["live", "key_digest"], name="contribution_once"),
            models.CheckConstraint(
                condition=models.Q(anonymous=False)
                | models.Q(participant__isnull=True, area__isnull=True),
                name="anonymous_has_no_author",
            ),
            models.CheckConstraint(
                condition=models.Q(anonymous=False) | models.Q(on_paper=False),
                name="anonymous_is_never_marked_on_paper",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Dot(models.Model):
    """One voting dot a participant placed on a contribution or on a theme."""

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="dots")
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="dots")
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, null=True, blank=True, related_name="dots"
    )
    theme = models.ForeignKey(
        Theme, on_delete=models.CASCADE, null=True, blank=True, related_name="dots"
    )
    key_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["live", "key_digest"], name="dot_once"),
            models.CheckConstraint(
                condition=models.Q(contribution__isnull=False, theme__isnull=True)
                | models.Q(contribution__isnull=True, theme__isnull=False),
                name="dot_on_a_card_or_a_theme",
            ),
        ]

    def __str__(self) -> str:
        return f"• {self.target}"

    @property
    def target(self) -> str:
        """ "c12" (a card) or "t5" (a theme): how phones name what a dot is on."""
        return f"c{self.contribution_id}" if self.contribution_id else f"t{self.theme_id}"


class Emotion(models.TextChoices):
    """Ordered from ease to unease, so check-in and check-out read side by side. Stored
    values never change (earlier sessions keep theirs)."""

    TRUST = "confianza", _("Confianza")
    CALM = "calma", _("Tranquilidad")
    HOPE = "esperanza", _("Esperanza")
    ENTHUSIASM = "entusiasmo", _("Entusiasmo")
    JOY = "alegria", _("Alegría")
    GRATITUDE = "gratitud", _("Gratitud")
    CURIOSITY = "curiosidad", _("Curiosidad")
    SCEPTICISM = "escepticismo", _("Escepticismo")
    FATIGUE = "cansancio", _("Cansancio")
    WORRY = "preocupacion", _("Preocupación")
    FEAR = "miedo", _("Miedo")
    SADNESS = "tristeza", _("Tristeza")
    HELPLESSNESS = "impotencia", _("Impotencia")
    FRUSTRATION = "frustracion", _("Frustración")
    ANGER = "enojo", _("Enojo")
    DISTRUST = "desconfianza", _("Desconfianza")


class EmotionCheck(models.Model):
    class Moment(models.TextChoices):
        CHECKIN = "checkin", _("Al llegar")
        CHECKOUT = "checkout", _("Al salir")

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="emotions")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    moment = models.CharField(max_length=10, choices=Moment.choices)
    emotion = models.CharField(max_length=20, choices=Emotion.choices)
    intensity = models.PositiveSmallIntegerField()
    # An optional single word beside the emotion ("cansado", "expectante"); shown only as
    # the room's list of words, never with a name.
    word = models.CharField(_("palabra"), max_length=30, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "moment"], name="one_emotion_per_moment"
            ),
            models.CheckConstraint(
                condition=models.Q(intensity__gte=1, intensity__lte=5), name="intensity_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.moment}: {self.emotion} ({self.intensity})"


class ModerationLog(models.Model):
    """What the facilitator hid or removed, and why (never who wrote it)."""

    live = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    action = models.CharField(max_length=40)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.action}: {self.reason}"
