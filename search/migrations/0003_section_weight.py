"""A weight per section; on SQLite, the FTS triggers made again.

Adding a column with a default makes SQLite's schema editor rebuild
search_section, which drops the triggers that keep search_section_fts in step
(migration 0001). The FTS table and its rows survive the rebuild: the ids are
copied.
"""

import importlib

from django.db import migrations, models

_initial = importlib.import_module("search.migrations.0001_initial")
_TRIGGERS = ("search_section_ai", "search_section_ad", "search_section_au")


def make_triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in _TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in _initial.FTS_SQL:
        if statement.startswith("CREATE TRIGGER"):
            schema_editor.execute(statement)


def weigh_stored_sections(apps, schema_editor):
    from search.indexing import SECONDARY_HEADINGS, SECONDARY_WEIGHT

    Section = apps.get_model("search", "Section")
    for heading in SECONDARY_HEADINGS:
        Section.objects.filter(heading__iexact=heading).update(weight=SECONDARY_WEIGHT)


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0002_index_lessons"),
    ]

    operations = [
        migrations.AddField(
            model_name="section",
            name="weight",
            field=models.FloatField(default=1.0),
        ),
        migrations.RunPython(make_triggers_again, migrations.RunPython.noop),
        migrations.RunPython(weigh_stored_sections, migrations.RunPython.noop),
    ]
