from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from facilitation.services import MAX_NAME_CHARS
from workshops.models import Area


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código de la sesión"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
                "placeholder": "ABCD-EFGH",
            }
        ),
    )


class JoinForm(forms.Form):
    name = forms.CharField(label=_("Tu nombre o un alias"), max_length=MAX_NAME_CHARS)
    area = forms.ModelChoiceField(
        label=_("Tu área"),
        queryset=Area.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": _("Elige una de las áreas invitadas.")},
    )

    def __init__(self, *args: Any, areas: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(pk__in=[a.pk for a in areas])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Escribe tu nombre o un alias."))
        return name
