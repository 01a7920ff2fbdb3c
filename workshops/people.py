"""People and organisations without the admin (issue 14): the first-run setup and an
organisation's members.

Writes follow services.py's rules (keyword-only, typed, atomic, one function per state
change); they live here, beside the reads they need, because services.py is already past the
size at which a capability gets a module of its own.
"""

import re

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from workshops.models import Installation, Membership, Organisation, validate_time_zone
from workshops.services import member_create, organisation_create

# The organisation `seed_demo` creates for `make run`: it never counts as the installation's
# own, so a laptop that ran the demo still offers the setup.
DEMO_ORG = "Demo Industrial S.A.S."
MAX_AREAS = 12
AREA_SEPARATORS = re.compile(r"[,;\n]+")


class SetupClosed(Exception):
    """The installation already has its organisation: the setup never opens again."""


def setup_key() -> str:
    """The key in the setup link `make run` prints: derived from SECRET_KEY, so it is the
    same for every run of one installation and unknown to anyone who cannot read it."""
    return salted_hmac("puente.setup", "first-run", algorithm="sha256").hexdigest()[:24]


def setup_is_open() -> bool:
    """True until the setup has run, or an organisation other than the demo exists (one made
    in the admin before the setup existed)."""
    if Installation.objects.exists():
        return False
    return not Organisation.objects.exclude(name=DEMO_ORG).exists()


def parse_area_names(text: str) -> list[str]:
    """Area names typed as a list separated by commas or lines, in order, each once
    («ventas» repeats «Ventas»)."""
    names: list[str] = []
    seen: set[str] = set()
    for raw in AREA_SEPARATORS.split(text):
        name = " ".join(raw.split())
        key = slugify(name)
        if name and key not in seen:
            seen.add(key)
            names.append(name)
    return names


def _setup_errors(
    *,
    name: str,
    time_zone: str,
    areas: list[str],
    username: str,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    is_facilitator: bool,
    is_manager: bool,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, error: ValidationError | str) -> None:
        messages = error.messages if isinstance(error, ValidationError) else [error]
        errors.setdefault(field, []).extend(messages)

    if not name:
        add("name", _("Escribe el nombre de tu organización."))
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        add("time_zone", error)
    if not areas:
        add("areas", _("Escribe al menos un área, por ejemplo Compras, Ventas, Logística."))
    elif len(areas) > MAX_AREAS:
        add("areas", _("Son demasiadas áreas: máximo %(n)d.") % {"n": MAX_AREAS})
    for area in areas:
        if not slugify(area) or len(area) > 60:
            add(
                "areas",
                _(
                    "«%(area)s» no se puede usar como nombre de área: usa letras o números, "
                    "máximo 60 caracteres."
                )
                % {"area": area[:60]},
            )
    user_model = get_user_model()
    if not username:
        add("username", _("Escribe un nombre de usuario."))
    else:
        try:
            user_model.username_validator(username)
        except ValidationError as error:
            add("username", error)
        if user_model.objects.filter(username__iexact=username).exists():
            add("username", _("Ese nombre de usuario ya existe: elige otro."))
    try:
        validate_email(email)
    except ValidationError:
        add("email", _("Escribe un correo electrónico válido, como nombre@empresa.com."))
    if not is_manager:
        # Without the admin, only a manager can add people, change roles and settings.
        add(
            "is_manager",
            _("La primera cuenta debe ser gerente: es quien administra la organización."),
        )
    if not (is_facilitator or is_manager):
        add("is_facilitator", _("Elige al menos un rol."))
    probe = user_model(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        password_validation.validate_password(password, user=probe)
    except ValidationError as error:
        add("password", error)
    return errors


@transaction.atomic
def organisation_setup(
    *,
    name: str,
    time_zone: str,
    areas: list[str],
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    is_facilitator: bool = False,
    is_manager: bool = True,
) -> Membership:
    """The installation's first run: its organisation, areas and first account, which must
    be a manager. Raises SetupClosed once it has run (changing nothing), ValidationError with
    the fields' messages for bad input. Used by the setup page and `setup_organisation`."""
    if not setup_is_open():
        raise SetupClosed
    name, username, email = name.strip(), username.strip(), email.strip()
    areas = list(areas)
    errors = _setup_errors(
        name=name,
        time_zone=time_zone,
        areas=areas,
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_facilitator=is_facilitator,
        is_manager=is_manager,
    )
    if errors:
        raise ValidationError(errors)
    try:
        # The one row: a concurrent setup waits on this insert, then fails it.
        with transaction.atomic():
            installation = Installation.objects.create(pk=Installation.SINGLETON)
    except IntegrityError:
        raise SetupClosed from None
    organisation = organisation_create(name=name, time_zone=time_zone, areas=tuple(areas))
    installation.organisation = organisation
    installation.save(update_fields=["organisation"])
    return member_create(
        organisation=organisation,
        username=username,
        password=password,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_facilitator=is_facilitator,
        is_manager=is_manager,
    )


def organisation_members(*, organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("-is_active", "user__first_name", "user__last_name", "user__username")
    )


def _lock_memberships(organisation: Organisation) -> None:
    """Role and activity changes of one organisation run one at a time, so two managers
    demoting each other at once cannot leave it with none."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def _check_keeps_a_manager(membership: Membership, *, manager_after: bool) -> None:
    if manager_after or not (membership.is_manager and membership.is_active):
        return
    others = (
        Membership.objects.filter(
            organisation_id=membership.organisation_id,
            is_manager=True,
            is_active=True,
            user__is_active=True,
        )
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise ValidationError(
            _(
                "%(name)s es la única persona gerente activa de la organización: nombra a "
                "otra persona gerente antes de hacer este cambio."
            )
            % {"name": membership.user.get_full_name() or membership.user.get_username()}
        )


@transaction.atomic
def member_set_roles(
    *, membership: Membership, is_facilitator: bool, is_manager: bool
) -> Membership:
    """Refused (ValidationError, nothing changed) without any role, or when it would leave
    the organisation with no active manager."""
    _lock_memberships(membership.organisation)
    membership.refresh_from_db(fields=["is_facilitator", "is_manager", "is_active"])
    if not (is_facilitator or is_manager):
        raise ValidationError(_("Cada persona necesita al menos un rol."))
    _check_keeps_a_manager(membership, manager_after=is_manager)
    membership.is_facilitator = is_facilitator
    membership.is_manager = is_manager
    membership.save(update_fields=["is_facilitator", "is_manager"])
    return membership


@transaction.atomic
def member_set_active(*, membership: Membership, active: bool) -> Membership:
    """A deactivated member can no longer work in this organisation; what they did stays.
    Deactivation is per organisation (a consultant deactivated by one client keeps her other
    clients); a person left with no active membership cannot log in, and their open sessions
    end at their next request (workshops/middleware.py). Refused when it would leave the
    organisation with no active manager."""
    _lock_memberships(membership.organisation)
    membership.refresh_from_db(fields=["is_facilitator", "is_manager", "is_active"])
    if not active:
        _check_keeps_a_manager(membership, manager_after=False)
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    return membership
