"""An address on a wall: when it must wrap (the projector's join panel beside a logo), it
wraps after a slash, never in the middle of a word («unirs / e/»)."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def breakable_url(value: str) -> SafeString:
    return mark_safe(escape(value).replace("/", "/<wbr>"))  # noqa: S308 (escaped first)
