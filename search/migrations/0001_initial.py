"""The index's table, and on each database what makes it searchable.

SQLite: an external-content FTS5 table over search_section (the porter stemmer
over unicode61 words, accents folded) and triggers that keep it in step with
every insert, update and delete of a row. PostgreSQL: a GIN index on the
stored vector. Each does nothing on the other database. A later migration that
makes SQLite rebuild search_section (some ALTERs do) drops its triggers, and
must make them again.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

FTS_SQL = [
    """CREATE VIRTUAL TABLE search_section_fts USING fts5(
        title, heading, text,
        content='search_section', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER search_section_ai AFTER INSERT ON search_section BEGIN
        INSERT INTO search_section_fts(rowid, title, heading, text)
        VALUES (new.id, new.title, new.heading, new.text);
    END""",
    """CREATE TRIGGER search_section_ad AFTER DELETE ON search_section BEGIN
        INSERT INTO search_section_fts(search_section_fts, rowid, title, heading, text)
        VALUES ('delete', old.id, old.title, old.heading, old.text);
    END""",
    """CREATE TRIGGER search_section_au AFTER UPDATE ON search_section BEGIN
        INSERT INTO search_section_fts(search_section_fts, rowid, title, heading, text)
        VALUES ('delete', old.id, old.title, old.heading, old.text);
        INSERT INTO search_section_fts(rowid, title, heading, text)
        VALUES (new.id, new.title, new.heading, new.text);
    END""",
]
FTS_DROP_SQL = [
    "DROP TRIGGER search_section_au",
    "DROP TRIGGER search_section_ad",
    "DROP TRIGGER search_section_ai",
    "DROP TABLE search_section_fts",
]


def _on_sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """AddIndex on PostgreSQL only; the model's state holds the index everywhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('lessons', '0007_course_version'),
    ]

    operations = [
        migrations.CreateModel(
            name='Section',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('heading_id', models.TextField(blank=True)),
                ('heading', models.TextField(blank=True)),
                ('title', models.TextField()),
                ('text', models.TextField()),
                ('vector', django.contrib.postgres.search.SearchVectorField(null=True)),
                ('lesson', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='search_sections', to='lessons.lesson')),
            ],
            options={
                'ordering': ['lesson', 'position'],
            },
        ),
        AddIndexOnPostgreSQL(
            model_name='section',
            index=django.contrib.postgres.indexes.GinIndex(fields=['vector'], name='search_section_vector'),
        ),
        migrations.RunPython(_on_sqlite(FTS_SQL), _on_sqlite(FTS_DROP_SQL)),
    ]
