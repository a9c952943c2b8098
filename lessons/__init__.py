"""Courses and lessons: what readers read.

Models, the admin, the reader pages (views, selectors), Markdown rendering
with its demo and quiz blocks and the kinds of block other apps register
(``block_kinds``: exercises), the bundled content and its loader, and the rules of
when a kept page is stale (``page_freshness``).

May import: Django and ``demos`` (to check a lesson's demo blocks). Never
``live`` or ``tutorialsite``: what the live app adds to a lesson page comes
through ``settings.LESSON_PAGE_CONTEXT``.
"""
