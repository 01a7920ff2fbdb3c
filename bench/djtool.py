"""Django-side helper of the benchmark, run as a separate process against the bench database.

    djtool.py setup   -> prints JSON: a ready workshop from the 3-hour template, live, on the
                         "dream" block (contributions and dots), with seeded contributions,
                         and a facilitator user with a known password
    djtool.py counts LIVE_ID -> prints JSON: rows in the database for that live session

The environment chooses the database (DATABASE_URL or SQLITE_PATH), as for the servers.
"""

import datetime
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from facilitation import services  # noqa: E402
from facilitation.models import Contribution, Dot, LiveSession, Participant  # noqa: E402
from workshops.models import Workshop  # noqa: E402
from workshops.services import (  # noqa: E402
    library_load,
    member_create,
    organisation_create,
    workshop_create,
    workshop_set_status,
)

USERNAME = "bench-facilitadora"
PASSWORD = "bench-clave-larga-2026"  # noqa: S105 - a throwaway database of the benchmark
SEED_CONTRIBUTIONS = 6
INTAKE_BLOCK = "dream"


def setup() -> dict[str, object]:
    library_load()
    organisation = organisation_create(name="Bench S.A.S.", time_zone="America/Bogota")
    membership = member_create(
        organisation=organisation,
        username=USERNAME,
        password=PASSWORD,
        first_name="Bench",
        is_facilitator=True,
    )
    workshop = workshop_create(
        organisation=organisation,
        facilitator=membership.user,
        title="Benchmark",
        purpose="Medir la capa en vivo",
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(8, 0),
        invited={area: 200 for area in organisation.areas.all()},
        template="tres-horas",
    )
    workshop = workshop_set_status(workshop=workshop, status=Workshop.Status.READY)
    live = services.live_start(workshop=workshop)
    block = workshop.blocks.filter(kind__slug=INTAKE_BLOCK).order_by("position").first()
    assert block is not None and block.dots > 0 and block.allows_contributions
    live = services.live_goto_block(live=live, block=block)
    area = organisation.areas.order_by("position").first()
    assert area is not None
    seeder = services.participant_join(live=live, name="Semilla", area=area)
    services.participant_commit(participant=seeder)
    contribution_ids = []
    for i in range(SEED_CONTRIBUTIONS):
        contribution, _created = services.contribution_submit(
            participant=seeder, key=f"seed-{i}", text=f"Aporte semilla {i}", block_id=block.pk
        )
        contribution_ids.append(contribution.pk)
    live.refresh_from_db()
    return {
        "live_id": live.pk,
        "qr_token": live.qr_token,
        "join_code": live.join_code,
        "username": USERNAME,
        "password": PASSWORD,
        "intake_block": block.pk,
        "block_dots": block.dots,
        "contribution_ids": contribution_ids,
        "seq": live.seq,
    }


def counts(live_id: int) -> dict[str, object]:
    live = LiveSession.objects.get(pk=live_id)
    return {
        "seq": live.seq,
        "participants": Participant.objects.filter(live=live).count(),
        "committed": Participant.objects.filter(live=live, principles_answered=True).count(),
        "dots": Dot.objects.filter(live=live).count(),
        "contributions": Contribution.objects.filter(live=live).count(),
    }


def main() -> None:
    command = sys.argv[1]
    if command == "setup":
        result = setup()
    elif command == "counts":
        result = counts(int(sys.argv[2]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
