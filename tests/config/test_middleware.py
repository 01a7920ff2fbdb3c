"""Nothing Puente answers stays in a browser's cache: the venue laptop and the computer a
manager opens the acta on are shared (config.middleware.NoStoreMiddleware)."""

import pytest
from django.test import Client
from django.urls import reverse

from agreements.services import owner_link_url
from tests.agreements import conftest as agreement_fixtures
from tests.facilitation.conftest import phone_client

ready_workshop = agreement_fixtures.ready_workshop
live = agreement_fixtures.live
areas = agreement_fixtures.areas
people = agreement_fixtures.people
agreement = agreement_fixtures.agreement

# (persona, URL name, its arguments for the agreement fixture)
STAFF_PAGES = [
    ("facilitator", "home", lambda a: []),
    ("facilitator", "workshop_list", lambda a: []),
    ("facilitator", "workshop_builder", lambda a: [a.workshop_id]),
    ("facilitator", "control_room", lambda a: [a.live_id]),
    ("facilitator", "projector", lambda a: [a.live_id]),
    ("facilitator", "owner_cards", lambda a: [a.live_id]),
    ("manager", "workshop_report", lambda a: [a.workshop_id]),
    ("manager", "workshop_report_csv", lambda a: [a.workshop_id]),
    ("manager", "workshop_report_xlsx", lambda a: [a.workshop_id]),
    ("manager", "agreement_list", lambda a: []),
    ("manager", "agreement_detail", lambda a: [a.pk]),
    ("manager", "agreement_export", lambda a: []),
    ("manager", "agreement_export_xlsx", lambda a: []),
    ("manager", "organisation_settings", lambda a: []),
]


def _kept_out_of_the_cache(response) -> bool:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    return "no-store" in directives


@pytest.mark.parametrize(
    ("persona", "name", "args"), STAFF_PAGES, ids=[name for _, name, _ in STAFF_PAGES]
)
def test_staff_pages_and_exports_are_not_stored(request, agreement, persona, name, args):
    client = request.getfixturevalue(f"{persona}_client")
    response = client.get(reverse(name, args=args(agreement)))
    assert response.status_code == 200
    assert _kept_out_of_the_cache(response)


def test_a_phone_page_with_its_own_contributions_is_not_stored(live, people):
    response = phone_client(people["ventas"]).get(reverse("participant_live", args=[live.qr_token]))
    assert response.status_code == 200
    assert _kept_out_of_the_cache(response)


def test_htmx_fragments_and_redirects_are_not_stored(facilitator_client, agreement):
    fragment = facilitator_client.get(reverse("agreement_list"), headers={"HX-Request": "true"})
    redirect = Client().get(reverse("agreement_list"))  # to the login page
    assert (fragment.status_code, redirect.status_code) == (200, 302)
    assert _kept_out_of_the_cache(fragment) and _kept_out_of_the_cache(redirect)


def test_a_view_that_sets_its_own_cache_control_keeps_it(agreement):
    # The owner's page is never_cache: its fuller header is left as the view wrote it.
    owner = agreement.owners.get(name="Diego Ruiz")
    response = Client().get(owner_link_url(owner))
    assert (
        response.headers["Cache-Control"]
        == "max-age=0, no-cache, no-store, must-revalidate, private"
    )
