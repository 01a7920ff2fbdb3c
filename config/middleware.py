"""Project-wide response headers that Django's own middleware does not set."""

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin


class NoStoreMiddleware(MiddlewareMixin):
    """`Cache-Control: no-store` on every answer Django gives, unless the view chose its own.

    Every page Puente serves is about someone: the control room, the acta and its exports,
    the dashboard, an owner's private page, a phone's view of its own contributions, even
    the login form (its CSRF token). The laptop in a meeting room is shared, and so is the
    computer a manager opens the acta on: a stored copy outlives the logout, and Back or the
    disk cache would show the next person what the last one saw. no-store keeps pages out of
    the disk cache and out of the back/forward cache. Static files never come through here
    (ServeStatic, before it in MIDDLEWARE, or nginx answers them first) and stay cacheable.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        return response
