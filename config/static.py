"""daphne's /static/ (SERVE_STATIC=1, the laptop) with the headers every page gets.

Django's static files handler answers before the middleware runs, so a static file went out
without nosniff, X-Frame-Options, the referrer and opener policies or the CSP: a browser
could sniff a file into another type or frame it, and an SVG opened on its own ran under no
policy. The middleware classes that give the pages these headers give them here too, so the
two cannot differ. nginx sends the same list for /static/ in the scaled mode
(deploy/nginx.conf.template).
"""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.handlers.asgi import ASGIHandler
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseNotFound
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.middleware.security import SecurityMiddleware

# Only their process_response runs here: a static file is not a view to route through them.
HEADER_MIDDLEWARE = (SecurityMiddleware, ContentSecurityPolicyMiddleware, XFrameOptionsMiddleware)


def _no_view(request: HttpRequest) -> HttpResponseBase:
    raise NotImplementedError("static files only borrow process_response")


class SecureStaticFilesHandler(ASGIStaticFilesHandler):
    def __init__(self, application: ASGIHandler) -> None:
        super().__init__(application)
        self.header_middleware = [middleware(_no_view) for middleware in HEADER_MIDDLEWARE]

    def serve(self, request: HttpRequest) -> HttpResponseBase:
        try:
            return super().serve(request)
        except Http404:
            # A missing file is asked for by a <link> or a <script>, not read by a person.
            # The site's 404 page needs what the middleware sets (request.user), which static
            # files skip: rendered here it failed, and a typo in a path answered 500.
            return HttpResponseNotFound()

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        response = await super().get_response_async(request)
        for middleware in self.header_middleware:
            response = middleware.process_response(request, response)
        return response
