from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.services import OwnerInput
from facilitation.models import Participant
from facilitation.paper import NOTICE_CHANGED
from facilitation.services import MAX_NAME_CHARS
from workshops.models import Area, Principle


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

    # The notice's version the page showed, echoed back: an acceptance names what was read.
    privacy_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    privacy_accepted = forms.BooleanField(
        label=_("Leí el aviso de privacidad y autorizo el uso de mis datos como allí se explica."),
        error_messages={
            "required": _(
                "Para entrar necesitas aceptar el aviso de privacidad: léelo y marca la casilla."
            )
        },
    )

    # Said when the organisation changed its notice while the page was open.
    notice_changed = _(
        "El aviso de privacidad cambió mientras lo leías. Léelo de nuevo y, si estás de "
        "acuerdo, marca otra vez la casilla."
    )

    def __init__(self, *args: Any, areas: list[Area], notice_version: int, **kwargs: Any) -> None:
        """notice_version: the organisation's current privacy notice version."""
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(pk__in=[a.pk for a in areas])
        self.notice_version = notice_version

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Escribe tu nombre o un alias."))
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            cleaned.get("privacy_accepted")
            and cleaned.get("privacy_version") != self.notice_version
        ):
            # The organisation changed its notice while this page was open: accepting what
            # was read would not be accepting what applies.
            self.add_error(
                "privacy_accepted",
                forms.ValidationError(self.notice_changed, code="notice_changed"),
            )
        return cleaned


class PaperJoinForm(JoinForm):
    """A person without a smartphone, added by the staff (facilitation/paper.py): the same
    fields and checks as joining from a phone, worded for whoever reads the notice to them."""

    name = forms.CharField(label=_("Nombre o alias"), max_length=MAX_NAME_CHARS)
    area = forms.ModelChoiceField(
        label=_("Área"),
        queryset=Area.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Elige una de las áreas invitadas."),
            "invalid_choice": _("Elige una de las áreas invitadas."),
        },
    )
    privacy_accepted = forms.BooleanField(
        label=_(
            "Le leí o le entregué el aviso de privacidad y autorizó el uso de sus datos como "
            "allí se explica."
        ),
        error_messages={
            "required": _(
                "Para participar, la persona necesita aceptar el aviso de privacidad: léeselo "
                "o entrégaselo impreso y marca la casilla."
            )
        },
    )

    notice_changed = NOTICE_CHANGED  # said to the staff member, not to the person

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Escribe su nombre o un alias."))
        return name


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AgreementForm(forms.Form):
    """What the room agrees: drafted from a contribution or written, and reworded."""

    text = forms.CharField(
        label=_("Qué se hará"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    problem = forms.CharField(
        label=_("Problema que resuelve"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Áreas involucradas"),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Marca al menos un área involucrada.")},
    )
    due_date = forms.DateField(label=_("Fecha de entrega"), widget=DateInput())
    indicator = forms.CharField(
        label=_("Indicador de éxito"),
        required=False,
        max_length=300,
        help_text=_("¿Cómo sabremos que funcionó?"),
    )
    principle = forms.ModelChoiceField(
        label=_("Principio que honra (opcional)"),
        queryset=Principle.objects.all(),
        required=False,
        empty_label=_("Ninguno"),
    )

    def __init__(self, *args: Any, areas: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.filter(pk__in=[a.pk for a in areas])


class OwnerForm(forms.Form):
    """One owner: a participant present, or a named person with their area."""

    participant = forms.ModelChoiceField(
        label=_("Participante presente"),
        queryset=Participant.objects.none(),
        required=False,
        empty_label="—",
    )
    name = forms.CharField(label=_("Nombre"), max_length=120, required=False)
    area = forms.ModelChoiceField(
        label=_("Área"), queryset=Area.objects.none(), required=False, empty_label="—"
    )
    email = forms.EmailField(label=_("Correo (opcional)"), required=False)

    def __init__(
        self, *args: Any, areas: list[Area], participants: list[Participant], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(pk__in=[a.pk for a in areas])
        self.fields["participant"].queryset = Participant.objects.filter(
            pk__in=[p.pk for p in participants]
        ).select_related("area")
        self.fields["participant"].label_from_instance = lambda p: f"{p.name} · {p.area.name}"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        participant, name = data.get("participant"), (data.get("name") or "").strip()
        if participant is None and not name:
            if data.get("area") or data.get("email"):
                raise forms.ValidationError(_("Elige a alguien presente o escribe un nombre."))
            return data
        if participant is not None and data.get("area") is None:
            data["area"] = participant.area
        if data.get("area") is None:
            self.add_error("area", _("Indica el área de %(name)s.") % {"name": name})
        return data

    def owner(self) -> OwnerInput | None:
        data = self.cleaned_data
        if not data or (data.get("participant") is None and not data.get("name")):
            return None
        return OwnerInput(
            name=(data.get("name") or "").strip(),
            area=data["area"],
            participant=data.get("participant"),
            email=data.get("email") or "",
        )


class BaseOwnerFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.owner() for form in self.forms):
            raise forms.ValidationError(_("Un acuerdo necesita al menos un responsable."))

    def owners(self) -> list[OwnerInput]:
        return [owner for form in self.forms if (owner := form.owner()) is not None]


OwnerFormSet = forms.formset_factory(OwnerForm, formset=BaseOwnerFormSet, extra=3, max_num=8)


class EraseParticipantForm(forms.Form):
    """Erasing a person's data is asked for by that person (Ley 1581 de 2012): whoever erases
    says so, and nothing is erased without it."""

    requested = forms.BooleanField(
        label=_("Esta persona pidió que se borren sus datos."),
        error_messages={
            "required": _(
                "Marca la casilla para confirmar que esta persona pidió que se borren sus "
                "datos. No se borró nada."
            )
        },
    )
