"""Index the lessons already stored; from then on every save keeps the index up to date."""

from django.db import migrations


def index_all(apps, schema_editor):
    from search.indexing import index_lesson

    Lesson = apps.get_model("lessons", "Lesson")
    Section = apps.get_model("search", "Section")
    for lesson_id, title, body_html in Lesson.objects.values_list("id", "title", "body_html"):
        index_lesson(section_model=Section, lesson_id=lesson_id, title=title, body_html=body_html)


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(index_all, migrations.RunPython.noop),
    ]
