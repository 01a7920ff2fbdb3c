"""Invitations (issue 14): a manager, or a facilitator for facilitators, invites a person by
email with a role; the person opens a one-time link that expires, and either creates their
account or, if they already have one, adds this organisation to it.

Only the token's SHA-256 is stored: a token is looked up by its hash (an index lookup reveals
nothing about the token through timing), and the raw token exists only in the email and, when
this Puente sends no mail, once on the inviter's page.

Writes follow services.py's rules (keyword-only, typed, atomic). Emails are sent by the caller
after the write has committed (`invitation_email`).
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import mailers, send_mail
from django.core.mail.backends import console, dummy
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workshops.models import Invitation, Membership, Organisation

TOKEN_BYTES = 32
# Lazy: said in the reader's language, when it is said.
ACCOUNT_EXISTS = gettext_lazy(
    "Ya existe una cuenta con este correo: entra con ella para aceptar la invitación."
)


class Problem(StrEnum):
    """Why a link does not open an invitation."""

    INVALID = "invalid"  # never issued, mistyped, or replaced by a re-sent one
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"


@dataclass(frozen=True)
class Lookup:
    invitation: Invitation | None
    problem: Problem | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def _expiry(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=settings.INVITATION_DAYS)


def normalise_email(email: str) -> str:
    """Invitations are compared by address without regard to case; stored in lower case so
    the account made from one has the same username and email everywhere."""
    return email.strip().lower()


def role_label(invitation: Invitation | Membership) -> str:
    if invitation.is_facilitator and invitation.is_manager:
        return _("facilitador/a y gerente")
    return _("gerente") if invitation.is_manager else _("facilitador/a")


def is_pending(invitation: Invitation, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        invitation.accepted_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > now
    )


def _accounts_for(email: str) -> QuerySet:
    """The accounts an address belongs to: by email, or by username (an invited person's
    username is their address)."""
    return get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email))


def account_exists(email: str) -> bool:
    return _accounts_for(email).exists()


def account_with_password(invitation: Invitation, password: str) -> Any | None:
    """The invited address's account, when the password is its own: the invitation page
    lets its owner accept without logging in first, which a person whose every membership
    was deactivated could not do (issue 14: a consultant let go by her only client, invited
    later by another)."""
    for user in _accounts_for(invitation.email):
        if user.is_active and user.check_password(password):
            return user
    return None


def is_addressee(invitation: Invitation, user: Any) -> bool:
    """Whether the signed-in account is the one the invitation was sent to."""
    address = invitation.email.casefold()
    return user.is_authenticated and address in {
        (user.email or "").casefold(),
        user.get_username().casefold(),
    }


def mail_delivers() -> bool:
    """Whether an email sent reaches anyone: the console backends (the laptop's default,
    config.mail's, is one) and the dummy one deliver nothing, and the inviter is then shown
    the link to pass on."""
    return not isinstance(mailers["default"], (console.EmailBackend, dummy.EmailBackend))


def _lock(organisation: Organisation) -> None:
    """Invitations of one organisation are written one at a time, so two people inviting
    the same address at once cannot both make a pending invitation."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def _inviter_membership(organisation: Organisation, user: AbstractBaseUser) -> Membership:
    membership = Membership.objects.filter(
        organisation=organisation, user=user, is_active=True
    ).first()
    if membership is None:
        raise ValidationError(_("Solo las personas de la organización pueden invitar."))
    return membership


def _check_may_invite(inviter: Membership, *, is_facilitator: bool, is_manager: bool) -> None:
    if not (is_facilitator or is_manager):
        raise ValidationError(_("Elige al menos un rol para la persona invitada."))
    if inviter.is_manager:
        return
    if is_manager:
        raise ValidationError(
            _("Solo una persona gerente puede invitar a otras personas gerentes.")
        )
    if not inviter.is_facilitator:
        raise ValidationError(_("Solo las personas gerentes y facilitadoras pueden invitar."))


def _check_not_a_member(organisation: Organisation, email: str) -> None:
    membership = (
        Membership.objects.filter(organisation=organisation)
        .filter(Q(user__email__iexact=email) | Q(user__username__iexact=email))
        .order_by("-is_active")
        .first()
    )
    if membership is None:
        return
    if membership.is_active:
        raise ValidationError(
            _("%(email)s ya pertenece a %(organisation)s: no hace falta invitar a esa persona.")
            % {"email": email, "organisation": organisation.name}
        )
    raise ValidationError(
        _(
            "%(email)s ya pertenece a %(organisation)s, pero con el acceso desactivado: una "
            "persona gerente puede reactivarlo en la página de Personas."
        )
        % {"email": email, "organisation": organisation.name}
    )


def _check_no_other_pending(
    organisation: Organisation, email: str, now: datetime.datetime, exclude: int | None = None
) -> None:
    pending = Invitation.objects.filter(
        organisation=organisation,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )
    if exclude is not None:
        pending = pending.exclude(pk=exclude)
    if pending.exists():
        raise ValidationError(
            _(
                "%(email)s ya tiene una invitación pendiente: reenvíala desde la lista de "
                "invitaciones en vez de crear otra."
            )
            % {"email": email}
        )


def _check_email(email: str) -> None:
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            _("Escribe un correo electrónico válido, como nombre@empresa.com.")
        ) from None
    # The address becomes the username of the account the person creates.
    try:
        get_user_model().username_validator(email)
    except ValidationError:
        raise ValidationError(
            _("Ese correo tiene caracteres que Puente no acepta como usuario: usa otro.")
        ) from None
    if len(email) > 150:
        raise ValidationError(_("Ese correo es demasiado largo: máximo 150 caracteres."))


@transaction.atomic
def invite(
    *,
    organisation: Organisation,
    email: str,
    is_facilitator: bool,
    is_manager: bool,
    invited_by: AbstractBaseUser,
) -> tuple[Invitation, str]:
    """A new pending invitation and its raw token (to be emailed, never stored). Refused
    (ValidationError, nothing written) without a role, for an address that is already a
    member here (or was, deactivated), when the inviter may not give that role (only
    managers invite managers), or when the address already has a pending invitation."""
    email = normalise_email(email)
    _check_email(email)
    _lock(organisation)
    inviter = _inviter_membership(organisation, invited_by)
    _check_may_invite(inviter, is_facilitator=is_facilitator, is_manager=is_manager)
    _check_not_a_member(organisation, email)
    now = timezone.now()
    _check_no_other_pending(organisation, email, now)
    token, hashed = _new_token()
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        is_facilitator=is_facilitator,
        is_manager=is_manager,
        token_hash=hashed,
        invited_by=invited_by,
        sent_at=now,
        expires_at=_expiry(now),
    )
    return invitation, token


@transaction.atomic
def resend(*, invitation: Invitation, inviter: Membership) -> str:
    """A new token for a pending or expired invitation: the old link stops working, the
    expiry starts again. Refused once accepted or revoked, when the address has become a
    member, when another pending invitation for it exists, or when the one re-sending may
    no longer invite that role (a manager demoted since)."""
    _lock(invitation.organisation)
    invitation.refresh_from_db()
    _check_may_invite(
        inviter, is_facilitator=invitation.is_facilitator, is_manager=invitation.is_manager
    )
    if invitation.accepted_at is not None:
        raise ValidationError(_("Esa invitación ya fue aceptada."))
    if invitation.revoked_at is not None:
        raise ValidationError(_("Esa invitación fue anulada: crea una nueva si hace falta."))
    _check_not_a_member(invitation.organisation, invitation.email)
    now = timezone.now()
    _check_no_other_pending(invitation.organisation, invitation.email, now, exclude=invitation.pk)
    token, hashed = _new_token()
    invitation.token_hash = hashed
    invitation.sent_at = now
    invitation.expires_at = _expiry(now)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    return token


@transaction.atomic
def revoke(*, invitation: Invitation) -> Invitation:
    """Its link stops working for good. Refused once accepted (or already revoked)."""
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation.refresh_from_db()
    if not updated:
        if invitation.accepted_at is not None:
            raise ValidationError(_("Esa invitación ya fue aceptada: no se puede anular."))
        raise ValidationError(_("Esa invitación ya estaba anulada."))
    return invitation


def lookup(token: str) -> Lookup:
    """The invitation a raw token opens, or why it opens none. Found by the token's hash."""
    if not token or len(token) > 200:
        return Lookup(None, Problem.INVALID)
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        return Lookup(None, Problem.INVALID)
    if invitation.accepted_at is not None:
        return Lookup(invitation, Problem.USED)
    if invitation.revoked_at is not None:
        return Lookup(invitation, Problem.REVOKED)
    if invitation.expires_at <= timezone.now():
        return Lookup(invitation, Problem.EXPIRED)
    return Lookup(invitation, None)


def _claim(invitation: Invitation, now: datetime.datetime) -> None:
    """Mark the invitation used, only if it is still pending under the same token: of two
    concurrent accepts the second finds no row to update (the first's UPDATE holds the row,
    or the database, until it commits) and is refused."""
    claimed = Invitation.objects.filter(
        pk=invitation.pk,
        token_hash=invitation.token_hash,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(accepted_at=now)
    if not claimed:
        raise ValidationError(
            _("Esta invitación ya no está disponible: se usó, se anuló o venció."),
            code="gone",
        )


def _membership_for(invitation: Invitation, user: AbstractBaseUser) -> Membership:
    try:
        with transaction.atomic():
            return Membership.objects.create(
                user=user,
                organisation=invitation.organisation,
                is_facilitator=invitation.is_facilitator,
                is_manager=invitation.is_manager,
            )
    except IntegrityError:
        existing = Membership.objects.get(user=user, organisation=invitation.organisation)
        if existing.is_active:
            raise ValidationError(
                _("Ya eres parte de %(organisation)s.")
                % {"organisation": invitation.organisation.name},
                code="member",
            ) from None
        raise ValidationError(
            _(
                "Tu acceso a %(organisation)s está desactivado: pídele a una persona gerente "
                "de la organización que lo reactive."
            )
            % {"organisation": invitation.organisation.name},
            code="member",
        ) from None


def _finish(invitation: Invitation, user: AbstractBaseUser, now: datetime.datetime) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    invitation.accepted_at = now
    invitation.accepted_by = user


@transaction.atomic
def accept_new_account(
    *, invitation: Invitation, first_name: str, last_name: str, password: str
) -> Membership:
    """The invited person's account (username and email: the invited address) and their
    membership with the invited role. Refused (ValidationError on first_name or password,
    or a general one; nothing written) for a weak password, a missing name, an address that
    has an account by now, or an invitation no longer pending."""
    first_name, last_name = first_name.strip(), last_name.strip()
    email = invitation.email
    user_model = get_user_model()
    errors: dict[str, list[str]] = {}
    if not first_name:
        errors["first_name"] = [_("Escribe tu nombre.")]
    probe = user_model(username=email, email=email, first_name=first_name, last_name=last_name)
    try:
        password_validation.validate_password(password, user=probe)
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    _claim(invitation, now)
    if account_exists(email):
        raise ValidationError(
            ACCOUNT_EXISTS,
            code="account",
        )
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(
                username=email,
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
            )
    except IntegrityError:
        # Another organisation's invitation to the same address was accepted a moment ago.
        raise ValidationError(
            ACCOUNT_EXISTS,
            code="account",
        ) from None
    membership = _membership_for(invitation, user)
    _finish(invitation, user, now)
    return membership


@transaction.atomic
def accept_existing(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """The signed-in account joins the organisation with the invited role. Refused
    (ValidationError, nothing written) when the account is not the invited address's, is
    already a member here (active or deactivated), or the invitation is no longer pending."""
    if not is_addressee(invitation, user):
        raise ValidationError(
            _("Esta invitación es para otro correo: sal de tu cuenta y vuelve a abrir el enlace."),
            code="other",
        )
    now = timezone.now()
    _claim(invitation, now)
    membership = _membership_for(invitation, user)
    _finish(invitation, user, now)
    return membership


def invitation_url(token: str) -> str:
    """The path of the link (without the public address, which the caller adds)."""
    return reverse("invitation_accept", args=[token])


def invitation_email(*, invitation: Invitation, token: str, link: str) -> None:
    """Email the invitation (run after the invitation has been committed). `link` is the
    whole public address of the accept page. A mail server's failure propagates."""
    organisation = invitation.organisation
    inviter = invitation.invited_by
    inviter_name = (inviter.get_full_name() or inviter.get_username()) if inviter else ""
    expires = timezone.localtime(invitation.expires_at, organisation.zone)
    values = {
        "organisation": organisation.name,
        "inviter": inviter_name,
        "role": role_label(invitation),
        "link": link,
        "date": expires.strftime("%d/%m/%Y %H:%M"),
    }
    if inviter_name:
        opening = _("%(inviter)s te invita a unirte a %(organisation)s en Puente como %(role)s.")
    else:
        opening = _("Te invitan a unirte a %(organisation)s en Puente como %(role)s.")
    body = _(
        "Hola:\n\n%(opening)s\n\nPuente es donde %(organisation)s diseña y facilita "
        "conversaciones difíciles entre áreas y hace seguimiento a sus acuerdos.\n\n"
        "Para aceptar, abre este enlace:\n%(link)s\n\n"
        "El enlace sirve una sola vez y vence el %(date)s. Si no esperabas esta invitación, "
        "ignora este correo.\n"
    ) % (values | {"opening": opening % values})
    send_mail(
        # One line: a line break in a header is refused by the mail library.
        subject=_("Te invitaron a %(organisation)s en Puente")
        % {"organisation": organisation.name},
        message=body,
        from_email=None,
        recipient_list=[invitation.email],
    )


def access_invitation(membership: Membership, pk: int | str) -> Invitation:
    """An invitation the member may re-send or revoke: any of the organisation's for a
    manager, the ones they sent for a facilitator. Anything else answers 404."""
    invitations = Invitation.objects.select_related("organisation", "invited_by").filter(
        organisation_id=membership.organisation_id
    )
    if not membership.is_manager:
        invitations = invitations.filter(invited_by_id=membership.user_id)
    return get_object_or_404(invitations, pk=pk)


def open_invitations(membership: Membership) -> list[Invitation]:
    """Invitations not yet accepted nor revoked that the member manages (see
    access_invitation), newest first; each says whether it has expired."""
    invitations = Invitation.objects.select_related("invited_by").filter(
        organisation_id=membership.organisation_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )
    if not membership.is_manager:
        invitations = invitations.filter(invited_by_id=membership.user_id)
    now = timezone.now()
    found = list(invitations.order_by("-sent_at", "-pk"))
    for invitation in found:
        invitation.is_expired = invitation.expires_at <= now  # type: ignore[attr-defined]
        invitation.role = role_label(invitation)  # type: ignore[attr-defined]
    return found
