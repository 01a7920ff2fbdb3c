from django.db import migrations


def load(apps, schema_editor):
    # The idempotent library loader adds the kinds that workshops/data/method.json gained
    # since 0002 ("open_agreements": the review of earlier sessions' open agreements) and
    # leaves every existing row as an administrator may have edited it.
    from workshops.services import library_load

    library_load(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("workshops", "0003_workshops_and_agendas")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
