from typing import Any

from django.http import HttpRequest

from workshops.access import membership_of, memberships_of


def membership(request: HttpRequest) -> dict[str, Any]:
    """The membership the page is scoped to (the active organisation's), the person's other
    organisations for the header's switcher, and the organisation they were switched from
    when a link to another of their organisations opened this page."""
    current = getattr(request, "membership", None) or membership_of(request)
    others = [m for m in memberships_of(request) if current is not None and m.pk != current.pk]
    return {
        "membership": current,
        "other_memberships": others,
        "switched_from": getattr(request, "switched_from", None),
    }
