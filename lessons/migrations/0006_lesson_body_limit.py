from django.db import migrations, models

# The limit as lessons.body_limits.MAX_BODY_CHARS set it when this migration was
# written (a migration keeps its own copy). A TextField's max_length is checked by
# forms only: the column stays as it is.
MAX_BODY_CHARS = 30_000
BODY_HELP = (
    "Markdown (CommonMark and tables). Start sections with ## headings; they form the "
    "table of contents. Embed a demo with a fenced block whose info string is demo, "
    'holding "name: sleep" (or weather, blocking) and optional parameters. At most '
    "30,000 characters, and HTML nested at most 100 deep."
)


class Migration(migrations.Migration):

    dependencies = [
        ("lessons", "0005_lesson_loaded_hash"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicallesson",
            name="body",
            field=models.TextField(help_text=BODY_HELP, max_length=MAX_BODY_CHARS),
        ),
        migrations.AlterField(
            model_name="lesson",
            name="body",
            field=models.TextField(help_text=BODY_HELP, max_length=MAX_BODY_CHARS),
        ),
    ]
