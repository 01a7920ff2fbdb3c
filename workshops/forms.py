"""Forms of the foundation: login, organisation settings, the question bank."""

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from config.throttle import Throttle, client_address
from workshops.models import ActivityKind, Area, Organisation, Principle, Question, Theme, Tone


def login_throttle() -> Throttle:
    return Throttle("login", settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_SECONDS)


class LoginForm(AuthenticationForm):
    """Django's login form, slowed down after repeated failures per address and username."""

    error_messages = {
        "invalid_login": _(
            "Usuario o contraseña incorrectos. Revisa ambos campos; las mayúsculas cuentan."
        ),
        "inactive": _("Esta cuenta está desactivada."),
        "throttled": _(
            "Demasiados intentos fallidos. Espera unos minutos antes de volver a intentarlo."
        ),
    }

    def _ident(self) -> str:
        username = (self.data.get("username") or "").strip().lower()[:150]
        return f"{client_address(self.request)}:{username}"

    def clean(self) -> dict[str, Any]:
        throttle = login_throttle()
        ident = self._ident()
        if throttle.is_blocked(ident):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.fail(ident)
            raise
        throttle.reset(ident)
        return cleaned


def time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(available_timezones()) if "/" in tz]


class OrganisationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Zona horaria"), choices=time_zone_choices)

    class Meta:
        model = Organisation
        fields = ["name", "time_zone"]


class AreaForm(forms.Form):
    name = forms.CharField(label=_("Nombre del área"), max_length=60)

    def __init__(
        self, *args: Any, organisation: Organisation, area: Area | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.area = area

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not slugify(name):
            raise forms.ValidationError(_("Escribe un nombre con letras o números."))
        others = self.organisation.areas.all()
        if self.area is not None:
            others = others.exclude(pk=self.area.pk)
        if others.filter(name__iexact=name).exists() or (
            self.area is None and others.filter(slug=slugify(name)).exists()
        ):
            raise forms.ValidationError(_("Ya existe un área con ese nombre."))
        return name


class QuestionFilterForm(forms.Form):
    """The bank's filters. A tampered value is reported and ignored, never a crash."""

    q = forms.CharField(label=_("Texto"), required=False, max_length=100)
    phase = forms.ModelChoiceField(
        label=_("Fase"),
        queryset=ActivityKind.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("Todas las fases"),
    )
    area = forms.ChoiceField(label=_("Área"), required=False)
    principle = forms.ModelChoiceField(
        label=_("Principio"),
        queryset=Principle.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("Todos los principios"),
    )
    tone = forms.ChoiceField(
        label=_("Tono"), required=False, choices=[("", _("Ambos tonos")), *Tone.choices]
    )
    theme = forms.ChoiceField(
        label=_("Tema"), required=False, choices=[("", _("Todos los temas")), *Theme.choices]
    )
    own = forms.BooleanField(label=_("Solo las de mi organización"), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("Todas las áreas"))] + [
            (area.slug, area.name) for area in organisation.areas.all()
        ]

    def search_kwargs(self) -> dict[str, Any]:
        """Filters to apply: the valid ones; a field with a bad value is left out."""
        data = self.cleaned_data if self.is_bound else {}
        valid = {name: data.get(name) for name in self.fields if name not in self.errors}
        return {
            "text": valid.get("q") or "",
            "phase": valid.get("phase"),
            "area_slug": valid.get("area") or "",
            "principle": valid.get("principle"),
            "tone": valid.get("tone") or "",
            "theme": valid.get("theme") or "",
            "own_only": bool(valid.get("own")),
        }


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Pregunta"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
    phase = forms.ModelChoiceField(label=_("Fase"), queryset=ActivityKind.objects.all())
    areas = forms.MultipleChoiceField(
        label=_("Áreas"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sin marcar: sirve para todas las áreas."),
    )
    principles = forms.ModelMultipleChoiceField(
        label=_("Principios"),
        queryset=Principle.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    tone = forms.ChoiceField(label=_("Tono"), choices=Tone.choices)
    theme = forms.ChoiceField(
        label=_("Tema"), required=False, choices=[("", _("Sin tema")), *Theme.choices]
    )
    intent = forms.CharField(
        label=_("Intención (para el facilitador)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = [(a.slug, a.name) for a in organisation.areas.all()]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if len(text) < 10:
            raise forms.ValidationError(_("La pregunta es demasiado corta."))
        return text

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        return {
            "text": question.text,
            "phase": question.phase,
            "areas": question.area_slugs,
            "principles": list(question.principles.all()),
            "tone": question.tone,
            "theme": question.theme,
            "intent": question.intent,
        }


def request_language_form_context(request: HttpRequest) -> dict[str, Any]:
    return {"languages": settings.LANGUAGES}


class ChecklistItemForm(forms.Form):
    text = forms.CharField(
        label=_("Nueva tarea"),
        max_length=200,
        error_messages={
            "required": _("Escribe la tarea antes de agregarla."),
            "max_length": _("La tarea es demasiado larga (máximo %(limit_value)d caracteres)."),
        },
    )
