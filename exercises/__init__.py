"""Graded exercises in lessons: a task, a starting program, goals graded on what a run did.

``blocks`` reads fenced ``exercise`` blocks, registered with the lesson
renderer (``lessons.block_kinds``) when the app is ready; ``html`` renders
the reader's widget; ``goals`` grades a measured run against each goal;
``grading`` turns a finished sandboxed run into the ``graded`` message;
``selectors`` reads an exercise's goals from the saved lesson.

May import: Django, ``demos`` and ``lessons``. Never ``live``, ``search``,
``sandbox`` or ``tutorialsite``: the consumer in ``live`` calls in here.
"""
