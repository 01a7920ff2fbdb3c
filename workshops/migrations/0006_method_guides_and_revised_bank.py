from django.db import migrations


def load(apps, schema_editor):
    # The library loader brings the method's revised content: the "bridge" kind, the kinds'
    # new default durations and names, the revised question bank (reworded, merged and new
    # questions) and the seed's wording of assumptions and principles. Organisations' own
    # questions are not touched.
    from workshops.services import library_load

    library_load(apps=apps)


def fill_steps(apps, schema_editor):
    # Blocks designed before steps existed get their kind's guide, scaled to their duration.
    from workshops import method

    block_model = apps.get_model("workshops", "Block")
    guides = method.guides()
    for block in block_model.objects.select_related("kind"):
        guide = guides.get(block.kind.slug)
        if guide is not None and not block.steps:
            block.steps = method.scale_steps([s.as_dict() for s in guide.steps], block.minutes)
            block.save(update_fields=["steps"])


class Migration(migrations.Migration):
    dependencies = [("workshops", "0005_block_steps")]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(fill_steps, migrations.RunPython.noop),
    ]
