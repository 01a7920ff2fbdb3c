from typing import Any

from django.http import HttpRequest

from workshops.access import membership_of


def membership(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's membership, for the navigation."""
    return {"membership": membership_of(request)}
