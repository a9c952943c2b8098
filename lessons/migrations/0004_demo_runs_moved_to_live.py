# DemoRun and DemoRunTally now belong to the live app (live 0001). Only the
# migration state forgets them here; their tables and rows stay as they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("lessons", "0003_demo_run_tally"),
        ("live", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DemoRunTally"),
                migrations.DeleteModel(name="DemoRun"),
            ],
            database_operations=[],
        ),
    ]
