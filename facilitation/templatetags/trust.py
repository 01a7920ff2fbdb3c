"""What stays in the room, said the same way everywhere: at joining, in the principles block
(phone and projector) and at the top of the acta."""

from django import template

from facilitation.privacy import confidentiality_text
from workshops.models import Organisation

register = template.Library()


@register.inclusion_tag("facilitation/_confidentiality.html")
def confidentiality(organisation: Organisation, place: str) -> dict[str, str]:
    """The organisation's confidentiality statement (or the default one). `place` names the
    screen ("join", "phone", "screen", "report"): the fragment's id and its styling."""
    return {"text": confidentiality_text(organisation), "place": place}
