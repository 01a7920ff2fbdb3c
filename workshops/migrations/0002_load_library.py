from django.db import migrations


def load(apps, schema_editor):
    # The same idempotent loader that `manage.py load_library` runs, with the historical
    # registry of this migration.
    from workshops.services import library_load

    library_load(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("workshops", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
