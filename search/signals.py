"""The index follows the lessons: every save of a lesson indexes it again.

The search app listens to Lesson's post_save rather than lessons calling the
search app: the index is derived from lessons, so the dependency points from
search to lessons, and lessons stay whole (and testable) without search. The
signal also sees every path that saves a lesson (the admin, a revert from the
history, load_lessons, the shell), as Lesson.save() renders the HTML each time.
A delete needs no signal: the sections go with their lesson (on_delete CASCADE).
"""

from django.db.models.signals import post_save

from lessons.models import Lesson


def connect() -> None:
    post_save.connect(_lesson_saved, sender=Lesson, dispatch_uid="search-lesson-saved")


def _lesson_saved(sender, instance: Lesson, raw: bool = False, **kwargs) -> None:
    from search.indexing import index_lesson
    from search.models import Section

    index_lesson(
        section_model=Section,
        lesson_id=instance.pk,
        title=instance.title,
        body_html=instance.body_html,
    )
