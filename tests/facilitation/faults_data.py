"""Data for the fault tests, made by a process of its own in the throwaway PostgreSQL the
tests started (the pytest process itself stays on its own test database).

    DATABASE_URL=… REDIS_URL=… python -m tests.facilitation.faults_data TAG PHONES

prints JSON: the live session, its area round, the participants' session cookies and the
facilitator's session id.
"""

import datetime
import json
import os
import sys


def main(tag: str, phones: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from facilitation import services
    from facilitation.access import SESSION_KEY
    from workshops.models import Workshop
    from workshops.services import (
        member_create,
        organisation_create,
        workshop_create,
        workshop_set_status,
    )

    organisation = organisation_create(name=f"Fallas {tag}")
    facilitator = member_create(
        organisation=organisation,
        username=f"lili-{tag}",
        password="una-clave-larga-2026",
        first_name="Lili",
        is_facilitator=True,
    )
    areas = list(organisation.areas.all())
    workshop = workshop_create(
        organisation=organisation,
        facilitator=facilitator.user,
        title=f"Fallas {tag}",
        purpose="Probar fallas",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={a: 20 for a in areas},
        template="tres-horas",
    )
    workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    live = services.live_start(workshop=workshop)
    area_round = workshop.blocks.get(kind__slug="area_round")
    assert area_round.allows_contributions and not area_round.anonymous
    live = services.live_goto_block(live=live, block=area_round)
    cookies = []
    for i in range(phones):
        participant = services.participant_join(
            live=live, name=f"Persona {i}", area=areas[i % len(areas)]
        )
        participant = services.participant_commit(participant=participant)
        session = SessionStore()
        session[SESSION_KEY.format(live_id=live.pk)] = participant.pk
        session.save()
        cookies.append({"id": participant.pk, "cookie": f"sessionid={session.session_key}"})
    client = Client()
    client.force_login(facilitator.user)
    return {
        "live": live.pk,
        "token": live.qr_token,
        "block": area_round.pk,
        "participants": cookies,
        "facilitator": client.cookies["sessionid"].value,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
