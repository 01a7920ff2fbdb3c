"""Forms for people and accounts: the first-run setup, password change and reset, members."""

import unicodedata
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from config.throttle import Throttle, client_address
from workshops.forms import login_throttle, time_zone_choices
from workshops.people import parse_area_names
from workshops.services import DEFAULT_AREAS

# Said in a sentence rather than Django's list of validator texts (which speaks "usted").
PASSWORD_HELP = _("Mínimo 8 caracteres. No uses una contraseña común ni solo números.")
INVALID_EMAIL = _("Escribe un correo electrónico válido, como nombre@empresa.com.")
THROTTLED = _("Demasiados intentos fallidos. Espera unos minutos antes de volver a intentarlo.")


class SetupForm(forms.Form):
    """The installation's organisation and first account. Its fields are named as
    people.organisation_setup's arguments, whose errors land on them."""

    name = forms.CharField(label=_("Nombre de la organización"), max_length=120)
    time_zone = forms.ChoiceField(
        label=_("Zona horaria"),
        choices=time_zone_choices,
        initial="America/Bogota",
        error_messages={"invalid_choice": _("Elige una zona horaria de la lista.")},
    )
    areas = forms.CharField(
        label=_("Áreas"),
        initial=", ".join(DEFAULT_AREAS),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sepáralas con comas o escribe una por línea. Podrás cambiarlas después."),
        error_messages={"required": _("Escribe al menos un área.")},
    )
    first_name = forms.CharField(label=_("Tu nombre"), max_length=150)
    last_name = forms.CharField(label=_("Tu apellido"), max_length=150, required=False)
    username = forms.CharField(
        label=_("Usuario"),
        max_length=150,
        help_text=_("Con él entras a Puente."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label=_("Correo electrónico"),
        help_text=_("Para recuperar tu contraseña si la olvidas."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": INVALID_EMAIL},
    )
    password = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Repite la contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    is_facilitator = forms.BooleanField(
        label=_("Facilitador/a: diseño y conduzco las sesiones"), required=False, initial=True
    )
    is_manager = forms.BooleanField(
        label=_("Gerente: reviso los acuerdos y administro la organización y sus personas"),
        required=False,
        initial=True,
    )

    def clean_areas(self) -> list[str]:
        names = parse_area_names(self.cleaned_data["areas"])
        if not names:
            raise forms.ValidationError(_("Escribe al menos un área."))
        return names

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and password != cleaned.get("password_confirm"):
            self.add_error("password_confirm", _("Las dos contraseñas no coinciden."))
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        fields = dict(self.cleaned_data)
        fields.pop("password_confirm")
        return fields


def _reset_throttles() -> tuple[Throttle, Throttle]:
    """Per address and per email, with the login's limits: a reset request always counts,
    since whether it found an account is never told."""
    base = login_throttle()
    return (
        Throttle("reset-address", base.max_failures, base.window_seconds),
        Throttle("reset-email", base.max_failures, base.window_seconds),
    )


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, answering the same for any email, slowed down like the login."""

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        email = cleaned.get("email")
        if not email:
            return cleaned
        by_address, by_email = _reset_throttles()
        address = client_address(self.request)
        folded = unicodedata.normalize("NFKC", email).strip().casefold()
        if by_address.is_blocked(address) or by_email.is_blocked(folded):
            raise forms.ValidationError(THROTTLED, code="throttled")
        by_address.fail(address)
        by_email.fail(folded)
        return cleaned


class NewPasswordForm(SetPasswordForm):
    """Django's form for the new password (reset link), with Puente's help text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP
        self.fields["new_password2"].help_text = ""


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's change form; wrong current passwords count like failed logins, so a
    session left open is not a way to guess its owner's password."""

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["new_password1"].help_text = PASSWORD_HELP
        self.fields["new_password2"].help_text = ""

    def clean_old_password(self) -> str:
        throttle = login_throttle()
        ident = f"{client_address(self.request)}:change:{self.user.pk}"
        if throttle.is_blocked(ident):
            raise forms.ValidationError(THROTTLED, code="throttled")
        try:
            old_password = super().clean_old_password()
        except forms.ValidationError:
            throttle.fail(ident)
            raise
        throttle.reset(ident)
        return old_password


class MemberRolesForm(forms.Form):
    is_facilitator = forms.BooleanField(label=_("Facilitador/a"), required=False)
    is_manager = forms.BooleanField(label=_("Gerente"), required=False)


class MemberActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1"
    )
