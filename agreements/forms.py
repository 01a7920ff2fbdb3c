"""Forms of the follow-up: dashboard filters, an owner's update, a manager's comment."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from workshops.models import Organisation, Workshop


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AgreementFilterForm(forms.Form):
    """The dashboard's filters. A tampered value is reported and ignored, never a crash."""

    area = forms.ModelChoiceField(
        label=_("Área"), queryset=None, required=False, empty_label=_("Todas las áreas")
    )
    owner = forms.CharField(label=_("Responsable"), required=False, max_length=120)
    status = forms.ChoiceField(
        label=_("Estado"),
        required=False,
        choices=[("", _("Todos los estados")), *Agreement.Status.choices],
    )
    session = forms.ModelChoiceField(
        label=_("Sesión"), queryset=None, required=False, empty_label=_("Todas las sesiones")
    )
    due_from = forms.DateField(label=_("Entrega desde"), required=False, widget=DateInput())
    due_to = forms.DateField(label=_("Entrega hasta"), required=False, widget=DateInput())
    overdue = forms.BooleanField(label=_("Solo vencidos"), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = organisation.areas.all()
        self.fields["session"].queryset = Workshop.objects.filter(
            organisation=organisation, agreements__outcome=Agreement.Outcome.AGREED
        ).distinct()

    def search_kwargs(self) -> dict[str, Any]:
        """Filters to apply: the valid ones; a field with a bad value is left out."""
        data = self.cleaned_data if self.is_bound else {}
        valid = {name: data.get(name) for name in self.fields if name not in self.errors}
        return {
            "area": valid.get("area"),
            "owner": valid.get("owner") or "",
            "status": valid.get("status") or "",
            "workshop": valid.get("session"),
            "due_from": valid.get("due_from"),
            "due_to": valid.get("due_to"),
            "overdue_only": bool(valid.get("overdue")),
        }


class OwnerStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Estado"), choices=Agreement.Status.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Nota de avance"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Qué pasó, qué falta o qué te bloquea."),
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comentario"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
