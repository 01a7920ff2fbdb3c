"""Every change to an agreement, one function each; atomic, broadcast after commit."""

import datetime
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import mailers, send_mail
from django.core.mail.backends import console, dummy
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import (
    Agreement,
    AgreementVersion,
    Consent,
    Owner,
    Reminder,
    StatusUpdate,
)
from facilitation.models import Contribution, LiveSession, Participant
from facilitation.services import clean_text, notify_live, notify_participants
from workshops.models import Area, Principle

logger = logging.getLogger(__name__)

MAX_DUE_DAYS = 730
REMIND_DAYS_BEFORE = 3


class AgreementError(ValidationError):
    """A refused change to an agreement; the message is for the person who tried."""


@dataclass(frozen=True)
class OwnerInput:
    name: str
    area: Area
    participant: Participant | None = None
    email: str = ""


def _check_due(live: LiveSession, due_date: datetime.date) -> None:
    session_day = live.workshop.date
    if due_date < session_day:
        raise AgreementError(_("La fecha de entrega no puede ser anterior a la sesión."))
    if due_date > session_day + datetime.timedelta(days=MAX_DUE_DAYS):
        raise AgreementError(_("La fecha de entrega está demasiado lejos (máximo dos años)."))


def _check_text(text: str) -> str:
    text = clean_text(text, 1000)
    if len(text) < 5:
        raise AgreementError(_("Escribe qué se hará."))
    return text


def _snapshot(agreement: Agreement) -> None:
    AgreementVersion.objects.create(
        agreement=agreement,
        number=agreement.version,
        text=agreement.text,
        problem=agreement.problem,
        indicator=agreement.indicator,
        due_date=agreement.due_date,
    )


def _set_owners(agreement: Agreement, owners: list[OwnerInput]) -> None:
    organisation_id = agreement.organisation_id
    kept: list[int] = []
    for item in owners:
        if item.area.organisation_id != organisation_id:
            raise AgreementError(_("Esa área no es de tu organización."))
        if item.participant is not None and item.participant.live_id != agreement.live_id:
            raise AgreementError(_("Esa persona no está en esta sesión."))
        name = clean_text(item.participant.name if item.participant else item.name, 120)
        if not name:
            raise AgreementError(_("Cada responsable necesita un nombre."))
        existing = agreement.owners.filter(
            name=name, area=item.area, participant=item.participant
        ).first()
        if existing is None:
            existing = Owner.objects.create(
                agreement=agreement,
                participant=item.participant,
                name=name,
                area=item.area,
                email=item.email.strip(),
                token=secrets.token_urlsafe(32),
            )
        elif item.email and existing.email != item.email.strip():
            existing.email = item.email.strip()
            existing.save(update_fields=["email"])
        kept.append(existing.pk)
    agreement.owners.exclude(pk__in=kept).delete()


def missing_owner_areas(agreement: Agreement) -> list[Area]:
    """Areas the agreement involves that have no owner yet (the facilitator is warned)."""
    owned = set(agreement.owners.values_list("area_id", flat=True))
    return [area for area in agreement.areas.all() if area.pk not in owned]


@transaction.atomic
def agreement_draft(
    *,
    live: LiveSession,
    text: str,
    due_date: datetime.date,
    areas: list[Area],
    owners: list[OwnerInput],
    problem: str = "",
    indicator: str = "",
    principle: Principle | None = None,
    sources: list[Contribution] | None = None,
) -> Agreement:
    """A draft agreement in the live session, typically from a most-voted contribution."""
    if not live.is_open:
        raise AgreementError(_("La sesión ya terminó."))
    _check_due(live, due_date)
    for area in areas:
        if area.organisation_id != live.workshop.organisation_id:
            raise AgreementError(_("Esa área no es de tu organización."))
    for source in sources or []:
        if source.live_id != live.pk:
            raise AgreementError(_("Ese aporte no es de esta sesión."))
    agreement = Agreement.objects.create(
        organisation=live.workshop.organisation,
        workshop=live.workshop,
        live=live,
        block=live.current_block,
        text=_check_text(text),
        problem=clean_text(problem, 1000),
        indicator=clean_text(indicator, 300),
        due_date=due_date,
        principle=principle,
    )
    agreement.areas.set(areas)
    agreement.sources.set(sources or [])
    _set_owners(agreement, owners)
    _snapshot(agreement)
    notify_live(live)
    return agreement


@transaction.atomic
def agreement_reword(
    *,
    agreement: Agreement,
    text: str,
    due_date: datetime.date,
    areas: list[Area],
    owners: list[OwnerInput],
    problem: str = "",
    indicator: str = "",
    principle: Principle | None = None,
) -> Agreement:
    """A new version; consent is asked again (earlier versions and their consents are kept)."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.outcome in {Agreement.Outcome.AGREED, Agreement.Outcome.DROPPED}:
        raise AgreementError(_("Lo acordado en la sesión ya no se puede cambiar."))
    live = agreement.live
    _check_due(live, due_date)
    agreement.text = _check_text(text)
    agreement.problem = clean_text(problem, 1000)
    agreement.indicator = clean_text(indicator, 300)
    agreement.due_date = due_date
    agreement.principle = principle
    agreement.version += 1
    in_consultation = agreement.outcome == Agreement.Outcome.CONSENT
    agreement.save(
        update_fields=[
            "text",
            "problem",
            "indicator",
            "due_date",
            "principle",
            "version",
            "outcome",
        ]
    )
    agreement.areas.set(areas)
    _set_owners(agreement, owners)
    _snapshot(agreement)
    if in_consultation:  # the new wording is asked at once
        _put_to_room(agreement)
    notify_live(live)
    return agreement


def _put_to_room(agreement: Agreement) -> None:
    AgreementVersion.objects.filter(agreement=agreement, number=agreement.version).update(
        put_to_room=True
    )


@transaction.atomic
def agreement_ask_consent(*, agreement: Agreement) -> Agreement:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.outcome != Agreement.Outcome.DRAFT:
        raise AgreementError(_("Este acuerdo ya pasó por la consulta."))
    agreement.outcome = Agreement.Outcome.CONSENT
    agreement.save(update_fields=["outcome"])
    _put_to_room(agreement)
    notify_live(agreement.live)
    return agreement


@transaction.atomic
def consent_submit(
    *,
    participant: Participant,
    agreement_id: int,
    version: int,
    choice: str,
    reason: str = "",
    signed: bool = False,
) -> tuple[Consent, bool]:
    """A participant's own consent to the current version; once per version. Unsigned (the
    default), nobody sees who gave it: the room sees an objection's reason, the control room
    its reason and group; signed, the control room also sees the name."""
    from facilitation.services import _active

    participant, live = _active(participant)
    agreement = Agreement.objects.filter(pk=agreement_id, live=live).first()
    if agreement is None or agreement.outcome != Agreement.Outcome.CONSENT:
        raise AgreementError(_("Ese acuerdo no está en consulta."))
    if version != agreement.version:
        raise AgreementError(_("El acuerdo cambió: lee la nueva versión antes de responder."))
    if choice not in Consent.Choice.values:
        raise AgreementError(_("Elige: de acuerdo, objeción o abstención."))
    reason = clean_text(reason, 500)
    if choice == Consent.Choice.OBJECT and not reason:
        raise AgreementError(_("Cuéntanos el motivo de tu objeción."))
    existing = Consent.objects.filter(
        agreement=agreement, version=version, participant=participant
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            consent = Consent.objects.create(
                agreement=agreement,
                version=version,
                participant=participant,
                area=participant.area,
                choice=choice,
                reason=reason,
                signed=bool(signed) and choice == Consent.Choice.OBJECT,
            )
    except IntegrityError:
        return Consent.objects.get(
            agreement=agreement, version=version, participant=participant
        ), False
    notify_live(live, phones=False)  # counts show on the staff's screens only
    notify_participants([participant.pk], live)
    return consent, True


@transaction.atomic
def agreement_record(*, agreement: Agreement, outcome: str, actor: AbstractBaseUser) -> Agreement:
    """The facilitator records the room's decision: agreed or dropped."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if outcome not in {Agreement.Outcome.AGREED, Agreement.Outcome.DROPPED}:
        raise AgreementError(_("Resultado no válido."))
    if agreement.outcome in {Agreement.Outcome.AGREED, Agreement.Outcome.DROPPED}:
        raise AgreementError(_("Este acuerdo ya se registró."))
    if outcome == Agreement.Outcome.AGREED and not agreement.owners.exists():
        raise AgreementError(_("Un acuerdo necesita al menos un responsable."))
    agreement.outcome = outcome
    agreement.save(update_fields=["outcome"])
    StatusUpdate.objects.create(
        agreement=agreement,
        user=actor,
        kind="record",
        status=agreement.status,
        note=agreement.get_outcome_display(),
    )
    if agreement.live is not None:
        notify_live(agreement.live)
        notify_participants(
            agreement.owners.exclude(participant=None).values_list("participant_id", flat=True),
            agreement.live,
        )
    if outcome == Agreement.Outcome.AGREED:
        ids = list(agreement.owners.exclude(email="").values_list("pk", flat=True))
        transaction.on_commit(lambda: owner_links_email(ids))
    return agreement


def owner_links_email(owner_ids: list[int], base_url: str = "") -> int:
    """Email each owner their link; one that fails is logged and never stops the others
    (its owner shows as without a link in the control room). Returns how many went."""
    sent = 0
    lives = set()
    for owner in Owner.objects.filter(pk__in=owner_ids).select_related(
        "agreement__workshop", "agreement__live"
    ):
        try:
            owner_link_email(owner=owner, base_url=base_url)
            sent += 1
        except Exception:  # noqa: BLE001 - a mail server's failure, whatever its kind
            logger.warning("Owner link email failed for owner %s", owner.pk, exc_info=True)
        if owner.agreement.live is not None:
            lives.add(owner.agreement.live)
    for live in lives:  # the control room shows which links went
        notify_live(live, phones=False)
    return sent


def owner_link_url(owner: Owner) -> str:
    return reverse("owner_agreement", args=[owner.token])


def owner_link_email(*, owner: Owner, base_url: str = "") -> None:
    """Email an owner their private link (console backend by default). The link starts with
    `base_url`, or settings.SITE_URL when there is no request to take it from."""
    agreement = owner.agreement
    base_url = base_url or settings.SITE_URL
    send_mail(
        # One line: a line break in a header is refused by the mail library.
        subject=_("Tu acuerdo: %(text)s") % {"text": " ".join(agreement.text.split())[:60]},
        message=_(
            "Hola %(name)s:\n\nEn la sesión «%(session)s» quedaste como responsable de:\n"
            "%(text)s\nFecha de entrega: %(due)s\n\nActualiza el avance aquí:\n%(url)s\n"
        )
        % {
            "name": owner.name,
            "session": agreement.workshop.title,
            "text": agreement.text,
            "due": agreement.due_date.strftime("%d/%m/%Y"),
            "url": f"{base_url}{owner_link_url(owner)}",
        },
        from_email=None,
        recipient_list=[owner.email],
    )
    if _mail_delivers():
        Owner.objects.filter(pk=owner.pk, token=owner.token).update(emailed_at=timezone.now())


def _mail_delivers() -> bool:
    """Whether an email sent is an email delivered: the console backends (the laptop's
    default, config.mail's, is one) and the dummy one deliver nothing, and the control room
    then offers a printed card."""
    return not isinstance(mailers["default"], (console.EmailBackend, dummy.EmailBackend))


@transaction.atomic
def _owner_changed(owner: Owner) -> None:
    """The owner's phone (their link) and the control room (how links went) show it."""
    live = owner.agreement.live
    if live is not None:
        notify_live(live, phones=False)
        if owner.participant_id:
            notify_participants([owner.participant_id], live)


def owner_link_revoke(*, owner: Owner, actor: AbstractBaseUser) -> Owner:
    owner.revoked_at = timezone.now()
    owner.save(update_fields=["revoked_at"])
    _owner_changed(owner)
    StatusUpdate.objects.create(
        agreement=owner.agreement,
        user=actor,
        kind="link",
        note=_("Enlace de %(name)s revocado.") % {"name": owner.name},
    )
    return owner


@transaction.atomic
def owner_link_renew(*, owner: Owner, actor: AbstractBaseUser) -> Owner:
    owner.token = secrets.token_urlsafe(32)
    owner.revoked_at = None
    # The new link has reached nobody yet.
    owner.emailed_at = owner.phone_seen_at = owner.printed_at = None
    owner.save(update_fields=["token", "revoked_at", "emailed_at", "phone_seen_at", "printed_at"])
    _owner_changed(owner)
    StatusUpdate.objects.create(
        agreement=owner.agreement,
        user=actor,
        kind="link",
        note=_("Nuevo enlace para %(name)s.") % {"name": owner.name},
    )
    return owner


def owner_link_seen(*, participant: Participant, agreement_id: int, token: str = "") -> int:
    """A phone showed its participant their private link to an agreement they own (the
    phone says so once, naming the link: a report about a replaced link marks nothing).
    Returns how many owner rows it marked."""
    from facilitation.services import LiveError, active_participant

    try:
        participant, _live = active_participant(participant)
    except LiveError:
        return 0  # removed, or the session ended: nothing to record
    marked = Owner.objects.filter(
        participant=participant,
        agreement_id=agreement_id,
        token=token[:64],
        agreement__outcome=Agreement.Outcome.AGREED,
        revoked_at__isnull=True,
        phone_seen_at__isnull=True,
    ).update(phone_seen_at=timezone.now())
    if marked:
        notify_live(LiveSession.objects.get(pk=participant.live_id), phones=False)
    return marked


@transaction.atomic
def owner_links_printed(*, live: LiveSession, printed: list[tuple[int, str]]) -> int:
    """The facilitator printed the cards of these owners, (owner id, the link's token on the
    card): a link renewed since the cards were shown is not marked (its card is dead)."""
    from django.db.models import Q

    if not printed:
        return 0
    which = Q()
    for pk, token in printed:
        which |= Q(pk=pk, token=token)
    marked = Owner.objects.filter(
        which,
        agreement__live=live,
        agreement__outcome=Agreement.Outcome.AGREED,
        revoked_at__isnull=True,
    ).update(printed_at=timezone.now())
    notify_live(live, phones=False)
    return marked


@transaction.atomic
def owner_update_status(*, owner: Owner, status: str, note: str = "") -> StatusUpdate:
    """An owner's progress update through their private link."""
    if owner.revoked_at is not None:
        raise AgreementError(_("Este enlace ya no es válido."))
    agreement = Agreement.objects.select_for_update().get(pk=owner.agreement_id)
    if agreement.outcome != Agreement.Outcome.AGREED:
        raise AgreementError(_("Este acuerdo no quedó acordado en la sesión."))
    if status not in Agreement.Status.values:
        raise AgreementError(_("Elige un estado de la lista."))
    note = clean_text(note, 2000)
    now = timezone.now()
    agreement.status = status
    agreement.status_changed_at = now
    agreement.done_at = now if status == Agreement.Status.DONE else None
    agreement.save(update_fields=["status", "status_changed_at", "done_at"])
    return StatusUpdate.objects.create(
        agreement=agreement, owner=owner, kind="status", status=status, note=note, created_at=now
    )


@transaction.atomic
def manager_comment(*, agreement: Agreement, user: AbstractBaseUser, text: str) -> StatusUpdate:
    """Managers comment; they never change what was agreed."""
    text = clean_text(text, 2000)
    if not text:
        raise AgreementError(_("Escribe tu comentario."))
    return StatusUpdate.objects.create(agreement=agreement, user=user, kind="comment", note=text)


@dataclass(frozen=True)
class RemindersResult:
    sent: int
    failed: int


def reminders_send(*, today: datetime.date | None = None) -> RemindersResult:
    """Email owners of open agreements due within REMIND_DAYS_BEFORE days or overdue, at
    most once per owner and day. A reminder that fails (a mail server's refusal, a bad row)
    is logged, not recorded (the next run tries it again) and never stops the others."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=REMIND_DAYS_BEFORE)
    owners = (
        Owner.objects.filter(
            revoked_at__isnull=True,
            agreement__outcome=Agreement.Outcome.AGREED,
            agreement__due_date__lte=horizon,
        )
        .exclude(email="")
        .exclude(agreement__status__in=[Agreement.Status.DONE, Agreement.Status.DISCARDED])
        .select_related("agreement__workshop")
    )
    sent = failed = 0
    for owner in owners:
        kind = "overdue" if owner.agreement.due_date < today else "due_soon"
        try:
            with transaction.atomic():
                Reminder.objects.create(owner=owner, day=today, kind=kind)
                owner_link_email(owner=owner)
        except IntegrityError:
            continue  # already reminded today
        except Exception:  # noqa: BLE001 - whatever one owner's row or mail raises
            logger.warning("Reminder failed for owner %s", owner.pk, exc_info=True)
            failed += 1
            continue
        sent += 1
    return RemindersResult(sent=sent, failed=failed)
