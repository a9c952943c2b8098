from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("lessons", "0006_lesson_body_limit"),
    ]

    # Existing courses start at 0; their next save makes it 1, as for lessons.
    operations = [
        migrations.AddField(
            model_name="course",
            name="version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
