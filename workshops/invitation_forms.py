"""Forms for invitations: inviting someone, and creating the account an invitation opens."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from workshops.people_forms import INVALID_EMAIL, PASSWORD_HELP


class InvitationForm(forms.Form):
    """Named as invitations.invite's arguments. A facilitator's form sends the facilitator
    role alone (the page shows it fixed); the service refuses any other they might send."""

    email = forms.EmailField(
        label=_("Correo electrónico"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
        error_messages={"invalid": INVALID_EMAIL, "required": INVALID_EMAIL},
    )
    is_facilitator = forms.BooleanField(
        label=_("Facilitador/a: diseña y conduce las sesiones"), required=False, initial=True
    )
    is_manager = forms.BooleanField(
        label=_("Gerente: revisa los acuerdos y administra la organización y sus personas"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not (cleaned.get("is_facilitator") or cleaned.get("is_manager")):
            raise forms.ValidationError(_("Elige al menos un rol para la persona invitada."))
        return cleaned


class AcceptForm(forms.Form):
    """The account an invitation creates: its names as invitations.accept_new_account's
    arguments, whose errors land on them."""

    first_name = forms.CharField(
        label=_("Tu nombre"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": _("Escribe tu nombre.")},
    )
    last_name = forms.CharField(
        label=_("Tu apellido"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Elige una contraseña.")},
    )
    password_confirm = forms.CharField(
        label=_("Repite la contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Repite la contraseña.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password, confirm = cleaned.get("password"), cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("Las dos contraseñas no coinciden."))
        return cleaned

    def service_fields(self) -> dict[str, str]:
        return {
            "first_name": self.cleaned_data["first_name"],
            "last_name": self.cleaned_data["last_name"],
            "password": self.cleaned_data["password"],
        }
