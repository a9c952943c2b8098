# DemoRun and DemoRunTally were made by the lessons app's migrations 0001 and
# 0003. They move here in the state only: their tables keep their names and
# rows, and nothing in the database changes but the content types' app label.

from django.db import migrations, models

MODELS = ("demorun", "demoruntally")


def relabel(apps, schema_editor, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.using(schema_editor.connection.alias).filter(
        app_label=old, model__in=MODELS
    ).update(app_label=new)


def to_live(apps, schema_editor) -> None:
    relabel(apps, schema_editor, "lessons", "live")


def to_lessons(apps, schema_editor) -> None:
    relabel(apps, schema_editor, "live", "lessons")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("lessons", "0003_demo_run_tally"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DemoRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("demo", models.CharField(db_index=True, max_length=40)),
                        ("mode", models.CharField(choices=[("sync", "Sync"), ("async", "Async")], max_length=5)),
                        ("params", models.JSONField(help_text="The normalized parameters the run used.")),
                        ("status", models.CharField(choices=[("ok", "OK"), ("failed", "Failed"), ("cancelled", "Cancelled")], max_length=10)),
                        ("elapsed", models.FloatField(help_text="Seconds, measured on the server.")),
                        ("timeline", models.JSONField(help_text="Each task's start, end, outcome and output.")),
                        ("reason", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                    options={
                        "db_table": "lessons_demorun",
                        "ordering": ["-created_at"],
                        "indexes": [models.Index(fields=["demo", "mode", "status"], name="lessons_dem_demo_a5b3d8_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="DemoRunTally",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("demo", models.CharField(max_length=40)),
                        ("mode", models.CharField(choices=[("sync", "Sync"), ("async", "Async")], max_length=5)),
                        ("pruned_ok", models.PositiveBigIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "lessons_demoruntally",
                        "constraints": [models.UniqueConstraint(fields=("demo", "mode"), name="one_tally_per_demo_mode")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(to_live, to_lessons),
    ]
