from django.core.management.base import BaseCommand

from lessons.models import Lesson
from search.indexing import index_lesson
from search.models import Section


class Command(BaseCommand):
    help = (
        "Index every lesson for search again. Saves keep the index up to date; this is "
        "for lessons whose HTML changed without a save (load_lessons' re-render after a "
        "renderer change)."
    )

    def handle(self, *args, **options) -> None:
        count = 0
        for lesson_id, title, body_html in Lesson.objects.values_list("id", "title", "body_html"):
            index_lesson(
                section_model=Section, lesson_id=lesson_id, title=title, body_html=body_html
            )
            count += 1
        self.stdout.write(f"Indexed {count} lessons.")
