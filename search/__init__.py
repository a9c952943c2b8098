"""Site search: a full-text index of the lessons, and the results page.

One index entry per section of a lesson (the text under an h2 or h3 heading,
code listings and quizzes included), rebuilt when a lesson is saved and gone
when it is deleted. The index lives in the database: SQLite's FTS5 or
PostgreSQL's text search, one small backend module each (``backends``).

May import: Django and ``lessons``. Never ``live`` or ``tutorialsite``; and
``lessons`` never imports this package: the index follows a lesson's saves
through Django's signals (``signals``).
"""
