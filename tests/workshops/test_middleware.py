from django.test import RequestFactory
from django.utils import timezone

from workshops.middleware import OrganisationTimezoneMiddleware


def test_requests_run_in_the_members_organisation_time_zone(outsider):
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return None

    request = RequestFactory().get("/")
    request.user = outsider.user
    OrganisationTimezoneMiddleware(view)(request)
    assert seen["zone"] == "America/Mexico_City"


def test_anonymous_requests_use_the_server_zone(db):
    from django.contrib.auth.models import AnonymousUser

    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    OrganisationTimezoneMiddleware(view)(request)
    assert seen["zone"] == "America/Bogota"
