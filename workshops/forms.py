"""Forms: login, organisation settings, the question bank, the session builder."""

import re
import unicodedata
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from config.throttle import Throttle, client_address
from workshops import method
from workshops.models import (
    ActivityKind,
    Area,
    Block,
    Grouping,
    Organisation,
    Principle,
    Question,
    Theme,
    Tone,
    Workshop,
)


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
        """The address and the name as authentication reads it (NFKC, as Django's username
        field does: «ｌｉｌｉ» and «𝐥𝐢𝐥𝐢» are «lili»), case folded: every spelling that
        reaches the same account shares one budget of failures."""
        raw = str(self.data.get("username") or "")[:600]
        username = unicodedata.normalize("NFKC", raw).strip().casefold()[:150]
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
        fields = ["name", "display_name", "time_zone"]
        help_texts = {
            "display_name": _(
                "El nombre que ve la sala en el proyector, el guion de la sesión y el acta "
                "(por ejemplo, «Aceros del Valle S.A.S.»). Si lo dejas vacío, se usa el "
                "nombre de la organización."
            ),
        }


class LogoForm(forms.Form):
    """The logo's file; the checks are the service's (workshops/face.py), which the view
    reports on this field."""

    logo = forms.FileField(
        label=_("Archivo del logo"),
        help_text=_(
            "PNG, JPG o WebP de hasta 2 MB. Lo ajustamos a un máximo de 600 × 200 píxeles."
        ),
        error_messages={
            "required": _("Elige la imagen de tu logo."),
            "empty": _("El archivo está vacío. Elige la imagen de tu logo."),
        },
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )


def _number_between(low: int, high: int, message: str, **kwargs: Any) -> forms.IntegerField:
    """An integer field whose every refusal says the range (`message`, already lazy)."""
    return forms.IntegerField(
        min_value=low,
        max_value=high,
        error_messages={
            "required": message,
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
        **kwargs,
    )


TOO_LONG = _(
    "Este texto es demasiado largo: máximo %(limit_value)d caracteres (tiene %(show_value)d)."
)


class OrganisationPrivacyForm(forms.Form):
    """What stays in the room and how personal data is handled. A blank text means the
    default one, which the page shows beside the field."""

    confidentiality_statement = forms.CharField(
        label=_("Declaración de confidencialidad"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 7}),
        error_messages={"max_length": TOO_LONG},
        help_text=_(
            "Qué guarda el acta, quién la puede leer y qué significa que un aporte sea "
            "anónimo. Se muestra al entrar a una sesión, en el bloque de principios y al "
            "comienzo del acta. Déjalo vacío para usar el texto por defecto."
        ),
    )
    privacy_notice = forms.CharField(
        label=_("Texto del aviso de privacidad"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"max_length": TOO_LONG},
        help_text=_(
            "Cada persona lo acepta antes de entrar a una sesión (Ley 1581 de 2012). Debe "
            "decir quién es el responsable del tratamiento de los datos, para qué se usan, "
            "cuáles se guardan (nombre, área, emociones, aportes), quién los ve, por cuánto "
            "tiempo y cómo puede cada persona conocerlos, actualizarlos, rectificarlos o pedir "
            "que se supriman. Déjalo vacío para usar el texto por defecto."
        ),
    )
    privacy_contact = forms.CharField(
        label=_("Contacto para datos personales"),
        required=False,
        max_length=200,
        error_messages={"max_length": TOO_LONG},
        help_text=_(
            "Un correo o un teléfono para que cada persona pueda conocer, actualizar, "
            "rectificar o pedir que se supriman sus datos. El aviso por defecto lo menciona; "
            "si lo dejas vacío, remite a la persona que facilita."
        ),
    )
    min_group_size = _number_between(
        2,
        20,
        _("Escribe un número entero entre 2 y 20."),
        label=_("Tamaño mínimo de un grupo"),
        help_text=_(
            "Ninguna cifra por área se muestra para un grupo con menos personas que este "
            "número: esas áreas aparecen juntas como «Otras áreas». Entre 2 y 20."
        ),
    )
    retention_days = _number_between(
        1,
        3650,
        _("Escribe un número entero entre 1 y 3650."),
        label=_("Días de conservación"),
        help_text=_(
            "Cuántos días después de cerrar una sesión se borran los nombres de los "
            "participantes y los textos de sus aportes; los acuerdos y las cifras se "
            "conservan. Entre 1 y 3650."
        ),
    )

    @classmethod
    def initial_for(cls, organisation: Organisation) -> dict[str, Any]:
        return {name: getattr(organisation, name) for name in cls.base_fields}


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

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as question_create / question_update take it."""
        data = self.cleaned_data
        return {
            "text": data["text"],
            "phase": data["phase"],
            "area_slugs": data["areas"],
            "principles": list(data["principles"]),
            "tone": data["tone"],
            "theme": data["theme"],
            "intent": data["intent"],
        }

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


class ChecklistItemForm(forms.Form):
    text = forms.CharField(
        label=_("Nueva tarea"),
        max_length=200,
        error_messages={
            "required": _("Escribe la tarea antes de agregarla."),
            "max_length": _("La tarea es demasiado larga (máximo %(limit_value)d caracteres)."),
        },
    )


# --- Session builder -------------------------------------------------------------------------


class WorkshopForm(forms.Form):
    """A session's details and its invited areas, each with how many people are expected.

    With `creating`, also how to start: the method's template, an empty agenda, or a copy of
    an earlier session of the organisation.
    """

    START_SCRATCH = "scratch"
    START_DUPLICATE = "duplicate"

    title = forms.CharField(
        label=_("Título"),
        max_length=160,
        error_messages={"required": _("Escribe un título para la sesión.")},
    )
    purpose = forms.CharField(
        label=_("Propósito"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("El problema del cliente detrás de la sesión: un pedido perdido, quejas…"),
    )
    date = forms.DateField(
        label=_("Fecha"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Indica la fecha de la sesión.")},
    )
    start_time = forms.TimeField(
        label=_("Hora de inicio"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": _("Indica la hora de inicio.")},
    )
    place = forms.CharField(label=_("Lugar"), max_length=200, required=False)
    areas = forms.ModelMultipleChoiceField(
        label=_("Áreas invitadas"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Esa área no es de tu organización.")},
    )
    start = forms.ChoiceField(label=_("¿Cómo quieres empezar?"), widget=forms.RadioSelect)
    source = forms.ModelChoiceField(
        label=_("Sesión a duplicar"),
        queryset=Workshop.objects.none(),
        required=False,
        empty_label=_("Elige una sesión"),
        error_messages={"invalid_choice": _("Esa sesión no es de tu organización.")},
    )

    def __init__(
        self, *args: Any, organisation: Organisation, creating: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        layouts = list(method.templates().values())
        self.fields["start"].choices = [
            (
                layout.slug,
                (
                    _("Con la plantilla «%(title)s» (recomendada)")
                    if layout.recommended
                    else _("Con la plantilla «%(title)s»")
                )
                % {"title": layout.title},
            )
            for layout in sorted(layouts, key=lambda layout: not layout.recommended)
        ] + [
            (self.START_SCRATCH, _("Desde cero, con la agenda vacía")),
            (self.START_DUPLICATE, _("Duplicando una sesión anterior")),
        ]
        self.fields["start"].initial = self.fields["start"].choices[0][0]
        self.area_list = list(organisation.areas.all())
        self.fields["areas"].queryset = organisation.areas.all()
        for area in self.area_list:
            self.fields[f"expected_{area.pk}"] = forms.IntegerField(
                label=_("Personas esperadas de %(area)s") % {"area": area.name},
                min_value=0,
                max_value=500,
                required=False,
                initial=0,
                error_messages={
                    "min_value": _("Entre 0 y 500 personas."),
                    "max_value": _("Entre 0 y 500 personas."),
                    "invalid": _("Escribe un número entero."),
                },
                widget=forms.NumberInput(attrs={"min": 0, "max": 500, "inputmode": "numeric"}),
            )
        if creating:
            self.fields["source"].queryset = organisation.workshops.order_by("-date", "-id")
        else:
            del self.fields["start"]
            del self.fields["source"]

    @property
    def area_rows(self) -> list[dict[str, Any]]:
        """Each area with its checkbox state and its expected-people field, for the template."""
        chosen = {str(value) for value in (self["areas"].value() or [])}
        return [
            {"area": area, "checked": str(area.pk) in chosen, "field": self[f"expected_{area.pk}"]}
            for area in self.area_list
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("start") == self.START_DUPLICATE and not cleaned.get("source"):
            self.add_error("source", _("Elige la sesión que quieres duplicar."))
        return cleaned

    def invited(self) -> dict[Area, int]:
        return {
            area: self.cleaned_data.get(f"expected_{area.pk}") or 0
            for area in self.cleaned_data["areas"]
        }

    @classmethod
    def initial_for(cls, workshop: Workshop) -> dict[str, Any]:
        invited = list(workshop.invited.all())
        return {
            "title": workshop.title,
            "purpose": workshop.purpose,
            "date": workshop.date,
            "start_time": workshop.start_time,
            "place": workshop.place,
            "areas": [row.area_id for row in invited],
            **{f"expected_{row.area_id}": row.expected_people for row in invited},
        }


class WorkshopFilterForm(forms.Form):
    q = forms.CharField(label=_("Buscar por título"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Estado"),
        required=False,
        choices=[("", _("Todos los estados")), *Workshop.Status.choices],
    )


STEP_LINE = re.compile(r"^\s*(\d{1,3})\s*(?:min\.?)?\s*[·|:\-–—]\s*(\S.*?)\s*$")


class StepsField(forms.CharField):
    """The block's timed steps as lines of «minutos · paso», e.g. «5 · Escritura anónima»."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value: Any) -> Any:  # noqa: ANN401 - form data or stored steps
        if isinstance(value, list):
            return "\n".join(f"{step['minutes']} · {step['title']}" for step in value)
        return value

    def clean(self, value: Any) -> list[dict[str, Any]]:  # noqa: ANN401
        text = super().clean(value)
        steps = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            match = STEP_LINE.match(line)
            if match is None or int(match.group(1)) < 1 or len(match.group(2)) > 120:
                raise forms.ValidationError(
                    _(
                        "La línea %(n)d no se entiende: escribe «minutos · paso», p. ej. «5 · "
                        "Escritura anónima»."
                    )
                    % {"n": number}
                )
            steps.append({"title": match.group(2), "minutes": int(match.group(1))})
        if len(steps) > 12:
            raise forms.ValidationError(_("Un bloque tiene como máximo 12 pasos."))
        return steps


class BlockForm(forms.Form):
    title = forms.CharField(
        label=_("Título"),
        max_length=160,
        error_messages={"required": _("El bloque necesita un título.")},
    )
    minutes = forms.IntegerField(
        label=_("Duración (min)"),
        min_value=1,
        max_value=480,
        error_messages={
            "required": _("Indica la duración en minutos."),
            "min_value": _("La duración debe ser de al menos 1 minuto."),
            "max_value": _("La agenda no puede pasar de 8 horas."),
        },
    )
    grouping = forms.ChoiceField(label=_("Agrupación"), choices=Grouping.choices)
    instructions = forms.CharField(
        label=_("Instrucciones para participantes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Se leen en el celular de cada participante."),
    )
    facilitator_notes = forms.CharField(
        label=_("Notas privadas del facilitador"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Tu guion para abrir y cerrar el bloque; solo tú lo ves."),
    )
    steps = StepsField(
        label=_("Pasos del bloque"),
        required=False,
        help_text=_(
            "Una línea por paso: «minutos · paso». Deben sumar la duración del bloque; si "
            "cambias la duración sin tocar los pasos, se ajustan solos."
        ),
    )
    allows_contributions = forms.BooleanField(label=_("Los participantes aportan"), required=False)
    anonymous = forms.BooleanField(label=_("Aportes anónimos"), required=False)
    reveal_first = forms.BooleanField(
        label=_("Revisar cada aporte antes de mostrarlo"),
        required=False,
        help_text=_(
            "Los aportes llegan primero a la lista «Por mostrar» de la sala de control; "
            "aparecen en los celulares y en el proyector solo cuando tú los muestras."
        ),
    )
    dots = forms.IntegerField(
        label=_("Puntos de votación por persona"),
        min_value=0,
        max_value=20,
        initial=0,
        help_text=_("0: este bloque no vota."),
        error_messages={
            "min_value": _("Entre 0 y 20 puntos."),
            "max_value": _("Entre 0 y 20 puntos."),
        },
    )

    @classmethod
    def initial_for(cls, block: Block) -> dict[str, Any]:
        return {name: getattr(block, name) for name in cls.base_fields}


class MinutesForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Duración (min)"),
        error_messages={
            "required": _("Indica la duración en minutos."),
            "invalid": _("La duración debe ser un número entero de minutos."),
        },
    )


class QuestionWriteForm(forms.Form):
    text = forms.CharField(
        label=_("Nueva pregunta"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Escribe la pregunta.")},
    )
    save_to_bank = forms.BooleanField(
        label=_("Guardar también en el banco de mi organización"), required=False
    )
