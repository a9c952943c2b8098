import hashlib
import json

from django.db import migrations, models

# The fields load_lessons writes, hashed as lessons.content_loader.loaded_hash
# did when this migration was written (a migration keeps its own copy).
LOADED_FIELDS = ("title", "summary", "body", "position", "status")


def fill_loaded_hash(apps, schema_editor):
    # load_lessons used to leave every lesson not edited by staff equal to its
    # file, so a lesson's current fields are what it last loaded.
    lessons = apps.get_model("lessons", "Lesson")._default_manager
    for values in lessons.values("pk", *LOADED_FIELDS).iterator():
        canonical = json.dumps([values[name] for name in LOADED_FIELDS], ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        lessons.filter(pk=values["pk"]).update(loaded_hash=digest)


class Migration(migrations.Migration):

    dependencies = [
        ("lessons", "0004_demo_runs_moved_to_live"),
    ]

    operations = [
        migrations.AddField(
            model_name="lesson",
            name="loaded_hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.RunPython(fill_loaded_hash, migrations.RunPython.noop),
    ]
